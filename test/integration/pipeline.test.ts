import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { localPlatformApplicationArn } from '#local/servers/sns.ts';
import { type RunningWebhookReceiver, startWebhookReceiver } from '#local/webhook-receiver.ts';
import { verifyWebhook } from '#shared/domain/webhook-signature.ts';
import { InvalidInputError } from '#shared/errors.ts';
import { applyConsentEvent } from '#shared/use-cases/customer-data.ts';
import { evaluateTrigger } from '#shared/use-cases/evaluate-trigger.ts';
import { sendDeferred } from '#shared/use-cases/send-deferred.ts';
import {
  busEvent,
  createPipeline,
  onboard,
  type Pipeline,
  pipelineEngine,
  sesStore,
  snsStore,
  WEBHOOK_SECRET,
} from '../support/pipeline.ts';

let receiver: RunningWebhookReceiver;
let p: Pipeline;

beforeAll(async () => {
  receiver = await startWebhookReceiver(0, WEBHOOK_SECRET);
  p = await createPipeline(pipelineEngine(`${receiver.url}/print`));
});
afterAll(async () => {
  await receiver.stop();
});

const newCustomer = () => `c-${randomUUID().slice(0, 12)}`;
const emailOf = (id: string) => `${id}@example.nl`;
const emailsTo = async (address: string) =>
  (await sesStore()).emails.filter((e) => e.destination.to.includes(address));

describe('delivery pipeline against DynamoDB Local, the SES emulator, local SNS and a webhook receiver', () => {
  it('sends an email with one-click unsubscribe headers and records the decision', async () => {
    const id = newCustomer();
    await onboard(p, id, { email: emailOf(id), attributes: { firstName: 'Anna' } });
    const record = await evaluateTrigger(p.deps, {
      campaignId: 'welcome',
      event: busEvent('test.welcome', id),
    });
    expect(record).toMatchObject({
      outcome: 'sent',
      channel: 'email',
      campaignId: 'welcome',
      customerId: id,
    });
    const [mail, ...more] = await emailsTo(emailOf(id));
    expect(more).toHaveLength(0);
    expect(mail?.subject).toBe('welcome: hallo Anna');
    expect(JSON.stringify(mail)).toContain('List-Unsubscribe');
    expect(JSON.stringify(mail)).toContain('https://voorkeuren.example.nl/unsubscribe?token=');
    const stored = await p.store.getContact(id, 'welcome', record.idempotencyKey);
    expect(stored?.messageId).toBe(record.messageId);
  });

  it('sends an SMS as promotional, and a service SMS as transactional', async () => {
    const id = newCustomer();
    await onboard(p, id, { phone: '06 1234 5678', attributes: { country: 'NL' } });
    const sms = await evaluateTrigger(p.deps, { campaignId: 'sms-offer', event: busEvent('test.sms', id) });
    const service = await evaluateTrigger(p.deps, {
      campaignId: 'service',
      event: busEvent('test.service', id),
    });
    const published = (await snsStore()).messages;
    const type = (messageId?: string) =>
      published.find((m) => m.messageId === messageId)?.messageAttributes['AWS.SNS.SMS.SMSType']?.value;
    expect(published.find((m) => m.messageId === sms.messageId)?.phoneNumber).toBe('+31612345678');
    expect([type(sms.messageId), type(service.messageId)]).toEqual(['Promotional', 'Transactional']);
  });

  it('sends a mobile push to the customer’s enabled platform endpoint', async () => {
    const id = newCustomer();
    const arn = `${localPlatformApplicationArn('GCM', 'shop').replace(':app/', ':endpoint/')}/${id}`;
    // Register through SNS so the endpoint exists, then tell the platform about it.
    const { SnsPushRegistry } = await import('#shared/adapters/sns-push.ts');
    const { snsClient } = await import('#shared/adapters/aws-clients.ts');
    const { endpointArn } = await new SnsPushRegistry(snsClient()).register(
      localPlatformApplicationArn('GCM', 'shop'),
      `token-${id}`,
    );
    expect(endpointArn).not.toBe(arn);
    await onboard(p, id, { pushEndpoints: [{ arn: endpointArn, platform: 'fcm' }] });
    const record = await evaluateTrigger(p.deps, {
      campaignId: 'push-offer',
      event: busEvent('test.push', id),
    });
    expect(record).toMatchObject({ outcome: 'sent', channel: 'push' });
    const push = (await snsStore()).messages.find((m) => m.messageId === record.messageId);
    expect(push?.targetArn).toBe(endpointArn);
  });

  it('posts a signed webhook to the print shop', async () => {
    const id = newCustomer();
    await onboard(p, id, { attributes: { firstName: 'Bram' } });
    const record = await evaluateTrigger(p.deps, {
      campaignId: 'postcard',
      event: busEvent('test.postcard', id),
    });
    expect(record).toMatchObject({ outcome: 'sent', channel: 'webhook' });
    const delivery = receiver.store.deliveries.find((d) => d.idempotencyKey === record.idempotencyKey);
    expect(delivery?.body).toMatchObject({
      campaignId: 'postcard',
      customerId: id,
      payload: { greeting: 'Beste Bram' },
    });
    expect(verifyWebhook).toBeTypeOf('function');
  });

  it('sends exactly one message when the same event is delivered 5 times concurrently', async () => {
    const id = newCustomer();
    await onboard(p, id, { email: emailOf(id) });
    const event = busEvent('test.welcome', id);
    const results = await Promise.allSettled(
      Array.from({ length: 5 }, () => evaluateTrigger(p.deps, { campaignId: 'welcome', event })),
    );
    // A duplicate that finds the first delivery still in flight is retried later (as SQS would).
    for (const r of results)
      if (r.status === 'rejected') await evaluateTrigger(p.deps, { campaignId: 'welcome', event });
    expect(await emailsTo(emailOf(id))).toHaveLength(1);
    const record = await p.store.getContact(id, 'welcome', `${event.id}#welcome`);
    expect(record).toMatchObject({ outcome: 'sent', duplicates: 4 });
  });

  it('50 concurrent triggers for one customer under a cap of 3 send exactly 3 and decide 47 cap_reached', async () => {
    const id = newCustomer();
    await onboard(p, id, { email: emailOf(id) });
    const outcomes = await Promise.all(
      Array.from({ length: 50 }, () =>
        evaluateTrigger(p.deps, { campaignId: 'capped', event: busEvent('test.capped', id) }),
      ),
    );
    const count = (pred: (r: (typeof outcomes)[number]) => boolean) => outcomes.filter(pred).length;
    expect(count((r) => r.outcome === 'sent')).toBe(3);
    expect(count((r) => r.reason === 'cap_reached')).toBe(47);
    expect(await emailsTo(emailOf(id))).toHaveLength(3);
  });

  it('a consent withdrawal makes the next trigger no_consent and stops a deferred send decided before it', async () => {
    const id = newCustomer();
    await onboard(p, id, { email: emailOf(id) });
    const deferred = await evaluateTrigger(p.deps, {
      campaignId: 'cart',
      event: busEvent('test.cart', id, { cartId: 'k1' }),
    });
    expect(deferred).toMatchObject({ outcome: 'deferred', reason: 'delay' });

    await applyConsentEvent(p.data, {
      ...busEvent('contact.consent', id),
      'detail-type': 'ConsentWithdrawn',
      detail: {
        customerId: id,
        purpose: 'marketing',
        channel: 'all',
        source: 'preference-page',
        occurredAt: new Date(p.clock.now()).toISOString(),
      },
    });
    const next = await evaluateTrigger(p.deps, {
      campaignId: 'welcome',
      event: busEvent('test.welcome', id),
    });
    expect(next).toMatchObject({ outcome: 'suppressed', reason: 'no_consent' });

    p.clock.ms += 2 * 3_600_000;
    const due = await p.scheduler.runDue(p.clock.now(), (send) => sendDeferred(p.deps, send));
    expect(due.failed).toBe(0);
    const final = await p.store.getContact(id, 'cart', deferred.idempotencyKey);
    expect(final).toMatchObject({ outcome: 'suppressed', reason: 'no_consent' });
    expect(await emailsTo(emailOf(id))).toHaveLength(0);
    p.clock.ms -= 2 * 3_600_000;
  });

  it('sends a deferred message when it falls due, once', async () => {
    const id = newCustomer();
    await onboard(p, id, { email: emailOf(id) });
    const deferred = await evaluateTrigger(p.deps, {
      campaignId: 'cart',
      event: busEvent('test.cart', id, { cartId: 'k2' }),
    });
    p.clock.ms += 3_600_000;
    await p.scheduler.runDue(p.clock.now(), (send) => sendDeferred(p.deps, send));
    const again = await sendDeferred(p.deps, {
      at: 0,
      customerId: id,
      campaignId: 'cart',
      idempotencyKey: deferred.idempotencyKey,
      event: {},
    });
    p.clock.ms -= 3_600_000;
    expect(again).toMatchObject({ outcome: 'sent', channel: 'email' });
    expect(await emailsTo(emailOf(id))).toHaveLength(1);
  });

  it('refuses malformed events with a clear reason and changes no state', async () => {
    const id = newCustomer();
    await onboard(p, id, { email: emailOf(id) });
    const before = await p.store.exportCustomer(id);
    const bad: [string, unknown][] = [
      ['no customerId', { ...busEvent('test.welcome', id), detail: {} }],
      ['customerId of the wrong type', { ...busEvent('test.welcome', id), detail: { customerId: 42 } }],
      ['no id', { ...busEvent('test.welcome', id), id: undefined }],
      ['a huge customerId', { ...busEvent('test.welcome', id), detail: { customerId: 'x'.repeat(300_000) } }],
      ['not an object', 'hello'],
    ];
    for (const [what, event] of bad) {
      const attempt = evaluateTrigger(p.deps, { campaignId: 'welcome', event });
      await expect(attempt, what).rejects.toBeInstanceOf(InvalidInputError);
      await expect(attempt, what).rejects.toThrow(/invalid event: /);
    }
    expect(await p.store.exportCustomer(id)).toEqual({ ...before, exportedAt: expect.any(String) });
  });

  it('uses 1 Query, 1 conditional write before the send and 1 write after it', async () => {
    const id = newCustomer();
    await onboard(p, id, { email: emailOf(id) });
    p.meter.reset();
    await evaluateTrigger(p.deps, { campaignId: 'welcome', event: busEvent('test.welcome', id) });
    expect(p.meter.calls).toEqual({ QueryCommand: 1, UpdateItemCommand: 1, PutItemCommand: 1 });
    expect(p.meter.readUnits).toBeLessThanOrEqual(1);
    // 1 for the state item, 1 for the record: an email record stays under 1 KB and has no index entry.
    expect(p.meter.writeUnits).toBe(2);
  });
});

describe('provider failures (faults the local SES emulator cannot produce are injected at the port)', () => {
  it('a throttled send keeps its cap reservation, is recorded as sending, and the retry sends once', async () => {
    const { TransientError } = await import('#shared/errors.ts');
    const id = newCustomer();
    await onboard(p, id, { email: emailOf(id) });
    let calls = 0;
    const flaky = {
      ...p.deps,
      channels: {
        ...p.deps.channels,
        email: {
          sendEmail: async (m: Parameters<typeof p.deps.channels.email.sendEmail>[0]) => {
            calls++;
            if (calls === 1) throw new TransientError('TooManyRequestsException (injected)');
            return p.deps.channels.email.sendEmail(m);
          },
        },
      },
    };
    const event = busEvent('test.welcome', id);
    await expect(evaluateTrigger(flaky, { campaignId: 'welcome', event })).rejects.toBeInstanceOf(
      TransientError,
    );
    const pending = await p.store.getContact(id, 'welcome', `${event.id}#welcome`);
    expect(pending).toMatchObject({ status: 'sending', channel: 'email' });
    expect((await p.store.load(id, true)).sends).toHaveLength(1);

    const retried = await evaluateTrigger(flaky, { campaignId: 'welcome', event });
    expect(retried).toMatchObject({ outcome: 'sent', channel: 'email' });
    expect(retried.status).toBeUndefined();
    expect((await p.store.load(id, true)).sends).toHaveLength(1);
    expect(await emailsTo(emailOf(id))).toHaveLength(1);
  });

  it('a permanent refusal falls back to the next eligible channel and says why', async () => {
    const { PermanentSendError } = await import('#shared/domain/ports.ts');
    const { SnsPushRegistry } = await import('#shared/adapters/sns-push.ts');
    const { snsClient } = await import('#shared/adapters/aws-clients.ts');
    const id = newCustomer();
    const { endpointArn } = await new SnsPushRegistry(snsClient()).register(
      localPlatformApplicationArn('GCM', 'shop'),
      `token-${id}`,
    );
    await onboard(p, id, { email: emailOf(id), pushEndpoints: [{ arn: endpointArn, platform: 'fcm' }] });
    const refusing = {
      ...p.deps,
      channels: {
        ...p.deps.channels,
        email: {
          sendEmail: async () => {
            throw new PermanentSendError('MessageRejected (injected)', 'MessageRejected');
          },
        },
      },
    };
    const record = await evaluateTrigger(refusing, {
      campaignId: 'welcome',
      event: busEvent('test.welcome', id),
    });
    expect(record).toMatchObject({ outcome: 'sent', channel: 'push' });
    expect(record.facts).toContainEqual({
      kind: 'channel',
      channel: 'email',
      usable: false,
      why: 'provider refused: MessageRejected',
    });
  });
});
