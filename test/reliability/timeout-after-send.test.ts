import { beforeAll, describe, expect, it } from 'vitest';
import { TransientError } from '#shared/errors.ts';
import { evaluateTrigger } from '#shared/use-cases/evaluate-trigger.ts';
import { busEvent, createPipeline, onboard, type Pipeline, pipelineEngine } from '../support/pipeline.ts';
import { customerIds, emailOf, emailsPerRecipient } from './support/customers.ts';
import type { FaultPlan } from './support/faults.ts';
import { faultyDeps } from './support/faulty-pipeline.ts';

// A timeout *after* the provider (or DynamoDB) did the work: the request arrived and was carried out,
// the answer was lost. No local server can do that, so it is injected at the SDK layer (`timeout-after`
// in support/faults.ts: the real call goes through, then the SDK sees a socket timeout). What the
// platform promises here, and docs/reliability.md explains: at most one extra copy per such timeout,
// never a silent loss.

/** Injects `timeout-after` on the first call of one command only. */
const firstCallOf = (command: string): FaultPlan => {
  let calls = 0;
  return {
    rate: 0.5,
    kinds: ['timeout-after'],
    commands: [command],
    // The first draw decides "inject" (0 < 0.5) and the second picks the only kind; then never again.
    random: () => (calls++ < 2 ? 0 : 0.99),
  };
};

let p: Pipeline;
beforeAll(async () => {
  p = await createPipeline(pipelineEngine('http://127.0.0.1:9/unused'));
});

const customer = async () => {
  const [id = ''] = customerIds('late', 1);
  await onboard(p, id, { email: emailOf(id) }, [{ purpose: 'marketing' }]);
  return id;
};
const emailsTo = async (id: string) => (await emailsPerRecipient([emailOf(id)])).get(emailOf(id));

describe('a timeout after the provider accepted the send', () => {
  it('with the SDK’s retries (as configured): the SDK sends again at once; one extra copy, one record', async () => {
    const id = await customer();
    const { deps, stats } = faultyDeps(p, firstCallOf('SendEmailCommand'), 3);
    const event = busEvent('test.welcome', id);
    const record = await evaluateTrigger(deps, { campaignId: 'welcome', event });
    expect(stats.ses.injected['timeout-after']).toBe(1);
    expect(record).toMatchObject({ outcome: 'sent', channel: 'email' });
    expect(await emailsTo(id)).toBe(2);
    // Later redeliveries of the event are duplicates: no third copy.
    const again = await evaluateTrigger(deps, { campaignId: 'welcome', event });
    expect(again.reason).toBe('duplicate');
    expect(await emailsTo(id)).toBe(2);
    expect(await p.store.getContact(id, 'welcome', `${event.id}#welcome`)).toMatchObject({
      outcome: 'sent',
      duplicates: 1,
    });
  });

  it('without SDK retries: recorded as `sending`, the queue’s redelivery sends once more; one extra copy', async () => {
    const id = await customer();
    const { deps } = faultyDeps(p, firstCallOf('SendEmailCommand'), 1);
    const event = busEvent('test.welcome', id);
    await expect(evaluateTrigger(deps, { campaignId: 'welcome', event })).rejects.toBeInstanceOf(
      TransientError,
    );
    expect(await p.store.getContact(id, 'welcome', `${event.id}#welcome`)).toMatchObject({
      status: 'sending',
    });
    expect(await emailsTo(id)).toBe(1);
    const retried = await evaluateTrigger(deps, { campaignId: 'welcome', event });
    expect(retried).toMatchObject({ outcome: 'sent' });
    expect(retried.status).toBeUndefined();
    expect(await emailsTo(id)).toBe(2);
    expect((await evaluateTrigger(deps, { campaignId: 'welcome', event })).reason).toBe('duplicate');
    expect(await emailsTo(id)).toBe(2);
    // The cap counted one send, not two.
    expect((await p.store.load(id, true)).sends).toHaveLength(1);
  });
});

describe('a timeout after DynamoDB applied a write', () => {
  it('the commit: the event waits out the in-flight lease, then is sent exactly once', async () => {
    const id = await customer();
    const { deps } = faultyDeps(p, firstCallOf('UpdateItemCommand'), 1);
    const event = busEvent('test.welcome', id);
    // The SDK's TimeoutError reaches the batch wrapper, which leaves the message to the queue's retry.
    await expect(evaluateTrigger(deps, { campaignId: 'welcome', event })).rejects.toThrow(/timed out/);
    // Committed but not sent: a redelivery within the lease leaves it for later (it may be in flight).
    await expect(evaluateTrigger(deps, { campaignId: 'welcome', event })).rejects.toThrow(/still in flight/);
    expect(await emailsTo(id)).toBe(0);
    p.clock.ms += 5 * 60_000 + 1000;
    try {
      expect(await evaluateTrigger(deps, { campaignId: 'welcome', event })).toMatchObject({
        outcome: 'sent',
      });
    } finally {
      p.clock.ms -= 5 * 60_000 + 1000;
    }
    expect(await emailsTo(id)).toBe(1);
    expect((await p.store.load(id, true)).sends).toHaveLength(1);
  });

  it('the record after the send: written again by the retry, never taken for a failed send; one message', async () => {
    const id = await customer();
    const { deps } = faultyDeps(p, firstCallOf('PutItemCommand'), 1);
    const event = busEvent('test.welcome', id);
    expect(await evaluateTrigger(deps, { campaignId: 'welcome', event })).toMatchObject({ outcome: 'sent' });
    expect(await emailsTo(id)).toBe(1);
    expect((await evaluateTrigger(deps, { campaignId: 'welcome', event })).reason).toBe('duplicate');
    expect(await emailsTo(id)).toBe(1);
  });
});
