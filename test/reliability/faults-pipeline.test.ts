import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ContactRecord } from '#shared/domain/store.ts';
import type { EvaluateDeps } from '#shared/use-cases/evaluate-trigger.ts';
import { busEvent, createPipeline, type Pipeline, pipelineEngine } from '../support/pipeline.ts';
import {
  contactHistory,
  customerIds,
  emailOf,
  emailsPerRecipient,
  nextPhoneRun,
  onboardAll,
  phoneOf,
  smsPerPhone,
  tally,
} from './support/customers.ts';
import { type FaultPlan, seeded } from './support/faults.ts';
import { faultyDeps } from './support/faulty-pipeline.ts';
import { type QueueHarness, queueHarness } from './support/harness.ts';
import { SIZES, TIMEOUT } from './support/scale.ts';

// Throttling, 5xx answers and timeouts on 20% of all DynamoDB, SES and SNS calls. The local servers
// cannot produce these, so they are injected in-process at the SDK layer (support/faults.ts), inside
// the SDK's own retry loop: the SDK turns them into the services' real exceptions and retries them as
// it would against AWS; what it cannot absorb reaches the use cases, the batch wrapper and the queue.

const SEED = Number(process.env.FAULT_SEED ?? 20261122);
const LEASE_MS = 5 * 60_000;

let p: Pipeline;
let harness: QueueHarness;
let deps: EvaluateDeps;

beforeAll(async () => {
  p = await createPipeline(pipelineEngine('http://127.0.0.1:9/unused'));
  // One harness per file (the batch wrapper's DLQ client is a per-process singleton), its consumer
  // using whatever dependencies the running test set.
  harness = await queueHarness(() => deps);
});
afterAll(async () => {
  await harness?.stop();
});

describe(`faults on 20% of DynamoDB, SES and SNS calls (seed ${SEED}, FAULT_SEED to replay)`, () => {
  // With the SDK's retries as the functions configure them (3 attempts) most faults are absorbed;
  // without them (1 attempt) every fault reaches the use cases, and many events exhaust their five
  // receives and land in the DLQ.
  it.each([
    [3, 'as configured'],
    [1, 'switched off'],
  ])(
    `${SIZES.faultEvents} events, SDK attempts %i (retries %s): each ends sent or in the DLQ with its reason, none lost or sent twice; the redrive completes the rest`,
    async (maxAttempts) => {
      const plan: FaultPlan = {
        rate: 0,
        kinds: ['throttle', '5xx', 'timeout'],
        random: seeded(SEED + maxAttempts),
      };
      const faulty = faultyDeps(p, plan, maxAttempts);
      deps = faulty.deps;
      // Each customer has an email address and a phone number, and gets 2 email and 2 SMS triggers.
      const n = Math.ceil(SIZES.faultEvents / 4);
      const ids = customerIds('fault', n);
      const run = nextPhoneRun();
      const phones = ids.map((_, i) => phoneOf(i, run));
      await onboardAll(p, ids, (id, i) => ({ email: emailOf(id), phone: phones[i] }));
      const events = ids.flatMap((id) => [
        { campaignId: 'welcome', event: busEvent('test.welcome', id) },
        { campaignId: 'sms-offer', event: busEvent('test.sms', id) },
        { campaignId: 'welcome', event: busEvent('test.welcome', id) },
        { campaignId: 'sms-offer', event: busEvent('test.sms', id) },
      ]);
      const keyOf = (m: (typeof events)[number]) => `${m.event.id}#${m.campaignId}`;

      plan.rate = 0.2;
      for (const message of events) harness.send(message);
      await harness.drain();
      plan.rate = 0;

      const injected = Object.values(faulty.stats).reduce(
        (a, s) => a + Object.values(s.injected).reduce((x, y) => x + y, 0),
        0,
      );
      const calls = Object.values(faulty.stats).reduce((a, s) => a + s.calls, 0);
      console.log(
        `faults: ${injected} of ${calls} calls (${((100 * injected) / calls).toFixed(1)}%);` +
          ` dead-lettered ${harness.deadLetters().length} of ${events.length} events`,
      );
      expect(injected / calls).toBeGreaterThan(0.15);

      // Every event is either sent (its record says so) or in the DLQ with a reason: none lost.
      const letters = harness.deadLetters();
      const inDlq = new Set(letters.map((l) => keyOf(JSON.parse(l.body))));
      for (const letter of letters)
        expect(letter.reason).toMatch(letter.by === 'redrive-policy' ? /^failed 5 times/ : /\w/);
      const sentNow = new Map<string, ContactRecord>();
      for (const r of await contactHistory(p, ids))
        if (r.outcome === 'sent' && !r.status) sentNow.set(r.idempotencyKey, r);
      const lost = events.filter((m) => !sentNow.has(keyOf(m)) && !inDlq.has(keyOf(m)));
      expect(lost).toEqual([]);
      // And none sent twice so far: each recipient has at most what it was due, and every message
      // that went out has its record.
      const emails = await emailsPerRecipient(ids.map(emailOf));
      const sms = await smsPerPhone(phones);
      const delivered = [...emails.values(), ...sms.values()].reduce((a, b) => a + b, 0);
      expect(Math.max(...emails.values(), ...sms.values())).toBeLessThanOrEqual(2);
      expect(delivered).toBe(sentNow.size);

      // An engineer redrives the DLQ once the faults are gone (later than the in-flight lease).
      p.clock.ms += LEASE_MS + 1000;
      harness.redrive();
      await harness.drain();
      p.clock.ms -= LEASE_MS + 1000;

      expect(harness.deadLetters()).toEqual([]);
      const final = await contactHistory(p, ids);
      expect(tally(final.map((r) => r.status ?? r.reason ?? r.outcome))).toEqual({ sent: events.length });
      expect(new Set(final.map((r) => r.idempotencyKey))).toEqual(new Set(events.map(keyOf)));
      expect([...(await emailsPerRecipient(ids.map(emailOf))).values()].every((c) => c === 2)).toBe(true);
      expect([...(await smsPerPhone(phones)).values()].every((c) => c === 2)).toBe(true);
    },
    TIMEOUT,
  );
});
