import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { busEvent, createPipeline, type Pipeline, pipelineEngine } from '../support/pipeline.ts';
import {
  contactHistory,
  customerIds,
  emailOf,
  emailsPerRecipient,
  onboardAll,
  tally,
} from './support/customers.ts';
import { type QueueHarness, queueHarness } from './support/harness.ts';
import { SIZES, TIMEOUT } from './support/scale.ts';

// Exactly once under at-least-once delivery, and caps under contention: every event goes through the
// buffer queue and the evaluate function's real batch wrapper against DynamoDB Local and the SES
// emulator. No faults here (see faults.test.ts): this is what SQS and EventBridge do on a good day.

let p: Pipeline;
let queue: QueueHarness;

beforeAll(async () => {
  p = await createPipeline(pipelineEngine('http://127.0.0.1:9/unused'));
  queue = await queueHarness(() => p.deps);
});
afterAll(async () => {
  await queue?.stop();
});

describe('duplicates and concurrency through the buffer queue', () => {
  it(
    `${SIZES.duplicateEvents} events each delivered 3 times concurrently send exactly ${SIZES.duplicateEvents} messages; every copy is a duplicate decision`,
    async () => {
      const ids = customerIds('dup', SIZES.duplicateCustomers);
      await onboardAll(p, ids);
      const events = Array.from({ length: SIZES.duplicateEvents }, (_, i) =>
        busEvent('test.welcome', ids[i % ids.length] as string),
      );
      // Three copies of each event next to one another, so they share a batch (whose records run in
      // parallel) or run in neighbouring batches at the same time: 10 batches of 10 are in flight.
      for (const event of events)
        for (let copy = 0; copy < 3; copy++) queue.send({ campaignId: 'welcome', event });
      await queue.drain();

      expect(queue.deadLetters()).toEqual([]);
      const perRecipient = await emailsPerRecipient(ids.map(emailOf));
      const total = [...perRecipient.values()].reduce((a, b) => a + b, 0);
      expect(total).toBe(SIZES.duplicateEvents);
      const records = await contactHistory(p, ids);
      expect(records).toHaveLength(SIZES.duplicateEvents);
      const byKey = new Map(records.map((r) => [r.idempotencyKey, r]));
      for (const event of events) {
        const record = byKey.get(`${event.id}#welcome`);
        expect(record?.outcome).toBe('sent');
        // The two other copies were each decided `duplicate` and counted on the original.
        expect(record?.duplicates).toBe(2);
      }
      expect(tally(records.map((r) => r.duplicates))).toEqual({ 2: SIZES.duplicateEvents });
    },
    TIMEOUT,
  );

  it(
    `${SIZES.cappedTriggers} concurrent triggers for one customer under a cap of 3 send exactly 3`,
    async () => {
      const [id = ''] = customerIds('cap', 1);
      await onboardAll(p, [id]);
      for (let i = 0; i < SIZES.cappedTriggers; i++)
        queue.send({ campaignId: 'capped', event: busEvent('test.capped', id) });
      await queue.drain();

      expect(queue.deadLetters()).toEqual([]);
      expect((await emailsPerRecipient([emailOf(id)])).get(emailOf(id))).toBe(3);
      const records = await contactHistory(p, [id]);
      expect(tally(records.map((r) => r.reason ?? r.outcome))).toEqual({
        sent: 3,
        cap_reached: SIZES.cappedTriggers - 3,
      });
    },
    TIMEOUT,
  );
});
