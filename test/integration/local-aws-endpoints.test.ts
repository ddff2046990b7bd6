import { ConflictException, CreateScheduleCommand, SchedulerClient } from '@aws-sdk/client-scheduler';
import {
  GetSecretValueCommand,
  ResourceNotFoundException,
  SecretsManagerClient,
} from '@aws-sdk/client-secrets-manager';
import { SQSClient } from '@aws-sdk/client-sqs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { LocalQueues } from '#local/queues.ts';
import { type AuxServer, startAuxServer } from '#local/servers/aux.ts';
import { LocalSchedules, schedulerRoutes, zonedTimeToUtc } from '#local/servers/scheduler.ts';
import { secretsOperations } from '#local/servers/secrets.ts';
import { sqsOperations } from '#local/servers/sqs.ts';
import { EventBridgeScheduler } from '#shared/adapters/eventbridge-scheduler.ts';
import { SqsDeadLetters } from '#shared/adapters/sqs-dead-letters.ts';

// The small local endpoints for SQS (dead letters), EventBridge Scheduler and Secrets Manager, driven
// by the real SDK clients and the platform's own adapters, as the handlers use them.

let server: AuxServer;
const queues = new LocalQueues({ region: 'eu-west-1', now: () => Date.now(), realNow: () => Date.now() });
const schedules = new LocalSchedules({
  region: 'eu-west-1',
  groups: ['contact-local'],
  now: () => Date.now(),
});
const clients: { destroy(): void }[] = [];
const client = <T extends { destroy(): void }>(c: T): T => {
  clients.push(c);
  return c;
};

beforeAll(async () => {
  server = await startAuxServer(0, {
    targets: {
      ...sqsOperations(queues),
      ...secretsOperations([{ name: 'contact-local/link-signing-key', value: 's3cret' }], 'eu-west-1'),
    },
    rest: schedulerRoutes(schedules),
  });
  queues.rebase(server.endpoint);
  queues.define('buffer', { functionName: 'evaluate' });
});
afterAll(async () => {
  for (const c of clients) c.destroy();
  await server.stop();
});

describe('EventBridge Scheduler (CreateSchedule)', () => {
  const send = {
    at: Date.parse('2026-03-02T10:00:00Z'),
    customerId: 'c-1',
    campaignId: 'cart',
    idempotencyKey: 'k-1',
    event: { id: 'e-1' },
  };

  it('stores the one-time schedule the adapter creates, once per decision', async () => {
    const adapter = new EventBridgeScheduler(client(new SchedulerClient({ endpoint: server.endpoint })), {
      groupName: 'contact-local',
      targetArn: 'arn:aws:lambda:eu-west-1:000000000000:function:deferred',
      roleArn: 'arn:aws:iam::000000000000:role/scheduler',
      deadLetterArn: 'arn:aws:sqs:eu-west-1:000000000000:scheduler-dlq',
    });

    await adapter.schedule(send);
    await adapter.schedule(send); // a retried deferral: ConflictException, swallowed by the adapter

    const [stored] = schedules.list();
    expect(schedules.pending).toBe(1);
    expect(stored).toMatchObject({
      at: send.at,
      groupName: 'contact-local',
      deleteAfterCompletion: true,
      maxAttempts: 11,
      deadLetterArn: 'arn:aws:sqs:eu-west-1:000000000000:scheduler-dlq',
    });
    expect(JSON.parse(stored?.input ?? '{}')).toEqual(send);
    expect(schedules.nextDueAfter(send.at - 1)).toBe(send.at);
  });

  it('answers a duplicate name with ConflictException and an unknown group with ResourceNotFoundException', async () => {
    const scheduler = client(new SchedulerClient({ endpoint: server.endpoint }));
    const input = {
      Name: 'dup',
      GroupName: 'contact-local',
      ScheduleExpression: 'at(2026-03-02T10:00:00)',
      FlexibleTimeWindow: { Mode: 'OFF' as const },
      Target: { Arn: 'arn:x', RoleArn: 'arn:y', Input: '{}' },
    };
    await scheduler.send(new CreateScheduleCommand(input));
    await expect(scheduler.send(new CreateScheduleCommand(input))).rejects.toBeInstanceOf(ConflictException);
    await expect(
      scheduler.send(new CreateScheduleCommand({ ...input, Name: 'other', GroupName: 'nope' })),
    ).rejects.toMatchObject({ name: 'ResourceNotFoundException' });
    await expect(
      scheduler.send(
        new CreateScheduleCommand({ ...input, Name: 'rate', ScheduleExpression: 'rate(1 hour)' }),
      ),
    ).rejects.toMatchObject({ name: 'ValidationException' });
  });

  it('fires due schedules through the target and dead-letters one that keeps failing', async () => {
    const local = new LocalSchedules({
      region: 'eu-west-1',
      groups: ['g'],
      now: () => Date.parse('2026-03-02T10:00:00Z'),
    });
    const base = {
      GroupName: 'g',
      FlexibleTimeWindow: { Mode: 'OFF' },
      Target: { Arn: 'a', RoleArn: 'r', Input: '{"n":1}', RetryPolicy: { MaximumRetryAttempts: 1 } },
    };
    local.create('due', { ...base, ScheduleExpression: 'at(2026-03-02T09:59:59)' });
    local.create('later', { ...base, ScheduleExpression: 'at(2026-03-02T10:00:01)' });
    const inputs: string[] = [];

    expect(await local.runDue(async (s) => inputs.push(s.input))).toBe(1);
    expect(inputs).toEqual(['{"n":1}']);
    expect(local.pending).toBe(1);

    local.create('bad', { ...base, ScheduleExpression: 'at(2026-03-02T09:00:00)' });
    const failing = async () => {
      throw new Error('target failed');
    };
    await local.runDue(failing);
    await local.runDue(failing);
    expect(local.deadLetters).toEqual([
      expect.objectContaining({ name: 'bad', reason: 'failed 2 times; last error Error: target failed' }),
    ]);
  });

  it('runs different customers’ due schedules concurrently and one customer’s in due order', async () => {
    const local = new LocalSchedules({
      region: 'eu-west-1',
      groups: ['g'],
      now: () => Date.parse('2026-03-02T10:00:00Z'),
    });
    const create = (name: string, customerId: string, at: string) =>
      local.create(name, {
        GroupName: 'g',
        FlexibleTimeWindow: { Mode: 'OFF' },
        ScheduleExpression: `at(${at})`,
        Target: { Arn: 'a', RoleArn: 'r', Input: JSON.stringify({ customerId, name }) },
      });
    create('a-2', 'a', '2026-03-02T09:30:00');
    create('a-1', 'a', '2026-03-02T09:00:00');
    create('b-1', 'b', '2026-03-02T09:10:00');
    create('c-1', 'c', '2026-03-02T09:20:00');
    const running = new Set<string>();
    let mostAtOnce = 0;
    const order: string[] = [];
    const invoke = async (s: { input: string }) => {
      const { customerId, name } = JSON.parse(s.input) as { customerId: string; name: string };
      expect(running.has(customerId)).toBe(false);
      running.add(customerId);
      mostAtOnce = Math.max(mostAtOnce, running.size);
      await new Promise((r) => setTimeout(r, 10));
      order.push(name);
      running.delete(customerId);
    };

    expect(await local.runDue(invoke)).toBe(4);
    expect(mostAtOnce).toBe(3);
    expect(order.filter((n) => n.startsWith('a-'))).toEqual(['a-1', 'a-2']);
    expect(local.pending).toBe(0);
    expect(local.fired).toBe(4);
  });

  it.each([
    ['2026-03-02T10:00:00', 'UTC', '2026-03-02T10:00:00.000Z'],
    ['2026-03-02T10:00:00', 'Europe/Amsterdam', '2026-03-02T09:00:00.000Z'],
    ['2026-07-02T10:00:00', 'Europe/Amsterdam', '2026-07-02T08:00:00.000Z'],
  ])('reads at(%s) in %s', (local, zone, utc) => {
    expect(new Date(zonedTimeToUtc(local, zone)).toISOString()).toBe(utc);
  });
});

describe('SQS (SendMessage to a dead-letter queue)', () => {
  it('files the adapter’s dead letter, with its reason, under the queue the URL names', async () => {
    const sqs = client(new SQSClient({ endpoint: server.endpoint }));
    const dlq = new SqsDeadLetters(sqs, `${server.endpoint}/000000000000/contact-local-buffer-dlq`);

    await dlq.send('{"campaignId":"welcome"}', 'invalid event: detail.customerId is missing'); // the SDK checks the body's MD5

    expect(queues.stats().buffer.deadLetters).toEqual([
      expect.objectContaining({
        body: '{"campaignId":"welcome"}',
        reason: 'invalid event: detail.customerId is missing',
      }),
    ]);
  });

  it('refuses a queue it does not hold', async () => {
    const dlq = new SqsDeadLetters(
      client(new SQSClient({ endpoint: server.endpoint })),
      `${server.endpoint}/000000000000/elsewhere`,
    );
    await expect(dlq.send('{}', 'x')).rejects.toMatchObject({ name: 'QueueDoesNotExist' });
  });
});

describe('Secrets Manager (GetSecretValue)', () => {
  it('serves the local secrets and refuses others', async () => {
    const secrets = client(new SecretsManagerClient({ endpoint: server.endpoint }));
    const out = await secrets.send(new GetSecretValueCommand({ SecretId: 'contact-local/link-signing-key' }));
    expect(out).toMatchObject({ Name: 'contact-local/link-signing-key', SecretString: 's3cret' });
    await expect(secrets.send(new GetSecretValueCommand({ SecretId: 'prod/key' }))).rejects.toBeInstanceOf(
      ResourceNotFoundException,
    );
  });
});
