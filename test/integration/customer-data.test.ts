import { randomUUID } from 'node:crypto';
import { beforeAll, describe, expect, it } from 'vitest';
import type { TriggerEmitter } from '#shared/domain/ports.ts';
import { decide } from '#shared/engine/decide.ts';
import { InvalidInputError } from '#shared/errors.ts';
import { applyProfileUpdate, eraseCustomer, exportCustomer } from '#shared/use-cases/customer-data.ts';
import { runDateTriggers } from '#shared/use-cases/date-triggers.ts';
import { evaluateTrigger } from '#shared/use-cases/evaluate-trigger.ts';
import { recordActivity } from '#shared/use-cases/record-activity.ts';
import { busEvent, createPipeline, onboard, type Pipeline, pipelineEngine } from '../support/pipeline.ts';

let p: Pipeline;
beforeAll(async () => {
  p = await createPipeline(pipelineEngine('https://print.example.nl/hook'));
});

const newCustomer = () => `c-${randomUUID().slice(0, 12)}`;

/** Every item of the customer's partition, read straight from DynamoDB Local. */
async function partition(id: string) {
  const { DynamoDBDocumentClient, QueryCommand } = await import('@aws-sdk/lib-dynamodb');
  const { DynamoDBClient } = await import('@aws-sdk/client-dynamodb');
  const doc = DynamoDBDocumentClient.from(new DynamoDBClient({}));
  const { Items } = await doc.send(
    new QueryCommand({
      TableName: p.table,
      KeyConditionExpression: 'pk = :pk',
      ExpressionAttributeValues: { ':pk': `CUSTOMER#${id}` },
    }),
  );
  return Items;
}
const profileEvent = (customerId: string, detail: Record<string, unknown>, time: number) => ({
  ...busEvent('contact.profiles', customerId, {}, time),
  'detail-type': 'CustomerProfileUpdated',
  detail: { customerId, ...detail },
});
const order = (customerId: string, orderId: string, time?: number) =>
  busEvent('test.order', customerId, { detailType: 'OrderPlaced', orderId, total: 80 }, time);

describe('profile updates', () => {
  it('normalises a national phone number to E.164 in the customer’s country and merges attributes', async () => {
    const id = newCustomer();
    const t = p.clock.now();
    await applyProfileUpdate(
      p.data,
      profileEvent(id, { phone: '0470 12 34 56', attributes: { country: 'BE', tier: 'gold' } }, t),
    );
    await applyProfileUpdate(
      p.data,
      profileEvent(id, { attributes: { tier: null, city: 'Gent' } }, t + 1000),
    );
    const { profile } = await exportCustomer(p.data, id);
    expect(profile).toMatchObject({ phone: '+32470123456', attributes: { country: 'BE', city: 'Gent' } });
    expect(profile?.attributes).not.toHaveProperty('tier');
  });

  it.each([
    ['an invalid phone number', { phone: '12' }, /phone is not a valid phone number/],
    ['an invalid email address', { email: 'not-an-email' }, /email is not a valid email address/],
    ['an unknown time zone', { timezone: 'Europe/Atlantis' }, /timezone/],
    ['an unknown field', { favouriteColour: 'blue' }, /Unrecognized key/],
  ])('refuses %s with a clear reason and stores nothing', async (_, detail, reason) => {
    const id = newCustomer();
    const attempt = applyProfileUpdate(p.data, profileEvent(id, detail, p.clock.now()));
    await expect(attempt).rejects.toBeInstanceOf(InvalidInputError);
    await expect(attempt).rejects.toThrow(reason);
    expect((await exportCustomer(p.data, id)).profile).toBeUndefined();
  });

  it('ignores an update older than the stored profile (events arrive out of order)', async () => {
    const id = newCustomer();
    const t = p.clock.now();
    await applyProfileUpdate(p.data, profileEvent(id, { email: `${id}@new.example.nl` }, t));
    expect(
      await applyProfileUpdate(p.data, profileEvent(id, { email: `${id}@old.example.nl` }, t - 60_000)),
    ).toBe('stale');
    expect((await exportCustomer(p.data, id)).profile?.email).toBe(`${id}@new.example.nl`);
  });
});

describe('export and erasure', () => {
  it('exports everything stored, then erasure leaves only an anonymised tombstone that refuses a late event', async () => {
    const id = newCustomer();
    await onboard(p, id, {
      email: `${id}@example.nl`,
      attributes: { firstName: 'Ilse', birthDate: '1990-05-01' },
    });
    await evaluateTrigger(p.deps, { campaignId: 'welcome', event: busEvent('test.welcome', id) });
    const before = await exportCustomer(p.data, id);
    expect(before.profile?.attributes.firstName).toBe('Ilse');
    expect(before.consentLedger).toHaveLength(2);
    expect(before.contactHistory).toHaveLength(1);

    const erased = await eraseCustomer(p.data, {
      ...busEvent('contact.customers', id),
      'detail-type': 'CustomerErasureRequested',
    });
    expect(erased).toBeGreaterThanOrEqual(5);
    const Items = await partition(id);
    expect(Items?.map((i) => i.sk)).toEqual(['A#TOMBSTONE']);
    expect(JSON.stringify(Items)).not.toMatch(/Ilse|example\.nl|1990/);

    expect(
      await applyProfileUpdate(p.data, profileEvent(id, { email: `${id}@example.nl` }, p.clock.now() + 1000)),
    ).toBe('erased');
    const late = await evaluateTrigger(p.deps, {
      campaignId: 'welcome',
      event: busEvent('test.welcome', id),
    });
    expect(late).toMatchObject({ outcome: 'suppressed', reason: 'unknown_customer' });
  });

  it('does not count a late event of an erased customer: no activity counter comes back', async () => {
    const id = newCustomer();
    await onboard(p, id, { email: `${id}@example.nl` });
    await recordActivity(p.activity, order(id, 'o1'));
    expect(Object.keys((await p.store.load(id, true)).activity)).not.toHaveLength(0);
    await eraseCustomer(p.data, {
      ...busEvent('contact.customers', id),
      'detail-type': 'CustomerErasureRequested',
    });

    expect(await recordActivity(p.activity, order(id, 'o2'))).toEqual({ counted: [], conversions: [] });
    const Items = await partition(id);
    expect(Items?.map((i) => i.sk)).toEqual(['A#TOMBSTONE']);
  });
});

describe('activity counters and conversions', () => {
  it('fires the threshold rule on the 3rd order whichever of activity and evaluate runs first', async () => {
    const id = newCustomer();
    await onboard(p, id, { email: `${id}@example.nl` });
    for (const n of [1, 2]) {
      const e = order(id, `o${n}`);
      await recordActivity(p.activity, e);
      expect(await evaluateTrigger(p.deps, { campaignId: 'third-order', event: e })).toMatchObject({
        reason: 'rule_not_met',
      });
    }
    const third = order(id, 'o3');
    // evaluate before the activity function has counted the 3rd order...
    const decided = decide(p.deps.engine, {
      event: third,
      state: await p.store.load(id),
      now: p.clock.now(),
      campaignIds: ['third-order'],
    });
    expect(decided[0]).toMatchObject({ outcome: 'sent' });
    // ...and after it (counted exactly once, also when the activity event is redelivered).
    await recordActivity(p.activity, third);
    await recordActivity(p.activity, third);
    const sent = await evaluateTrigger(p.deps, { campaignId: 'third-order', event: third });
    expect(sent).toMatchObject({ outcome: 'sent' });
    expect(sent.facts).toContainEqual(expect.objectContaining({ kind: 'rule', count: 3, atLeast: 3 }));
  });

  it('attributes a conversion to the latest contact within the goal window, for held-out customers too', async () => {
    // Find one customer in the treated group and one in the control group of the 50% holdout.
    const found: Record<string, string> = {};
    for (let i = 0; Object.keys(found).length < 2; i++) {
      const id = `${newCustomer()}-${i}`;
      await onboard(p, id, { email: `${id}@example.nl` });
      const record = await evaluateTrigger(p.deps, {
        campaignId: 'control',
        event: busEvent('test.control', id),
      });
      found[record.outcome] ??= id;
    }
    const later = p.clock.now() + 3 * 86_400_000;
    for (const [outcome, id] of Object.entries(found)) {
      const { conversions } = await recordActivity(p.activity, order(id, `conv-${outcome}`, later));
      expect(conversions.map((c) => [c.campaignId, c.outcome, c.conversion?.value])).toContainEqual([
        'control',
        outcome,
        80,
      ]);
    }
    expect(Object.keys(found).sort()).toEqual(['holdout', 'sent']);
  });

  it('does not attribute a conversion outside the goal window', async () => {
    const id = newCustomer();
    await onboard(p, id, { email: `${id}@example.nl` });
    await evaluateTrigger(p.deps, { campaignId: 'welcome', event: busEvent('test.welcome', id) });
    const { conversions } = await recordActivity(
      p.activity,
      order(id, 'late', p.clock.now() + 15 * 86_400_000),
    );
    expect(conversions).toEqual([]);
  });
});

describe('date triggers', () => {
  class CollectingEmitter implements TriggerEmitter {
    events: { source: string; detailType: string; detail: Record<string, unknown> }[] = [];
    async emit(events: readonly { source: string; detailType: string; detail: Record<string, unknown> }[]) {
      this.events.push(...events);
    }
  }

  it('emits birthday and renewal triggers at the customer’s local send hour, found by index, once per occurrence', async () => {
    // 2026-03-10 08:30 UTC = 09:30 in Amsterdam; contract ends 30 days later; born on 10 March.
    const now = Date.parse('2026-03-10T08:30:00Z');
    const birthday = newCustomer();
    const renewal = newCustomer();
    const newYork = newCustomer();
    await onboard(p, birthday, { email: `${birthday}@example.nl`, attributes: { birthDate: '1985-03-10' } });
    await onboard(p, renewal, {
      email: `${renewal}@example.nl`,
      attributes: { contractEndDate: '2026-04-09' },
    });
    await onboard(p, newYork, {
      email: `${newYork}@example.nl`,
      timezone: 'America/New_York',
      attributes: { birthDate: '1985-03-10' },
    });
    const emitter = new CollectingEmitter();
    const run = () =>
      runDateTriggers({ store: p.store, engine: p.deps.engine, clock: { now: () => now }, emitter });
    await run();
    const mine = emitter.events.filter((e) =>
      [birthday, renewal, newYork].includes(String(e.detail.customerId)),
    );
    expect(mine.map((e) => [e.detail.campaignId, e.detail.customerId]).sort()).toEqual(
      [
        ['birthday', birthday],
        ['renewal', renewal],
      ].sort(),
    );
    // Turn them into bus events and decide: sent once; the same run again gives duplicates only.
    const toBus = (e: (typeof mine)[number]) => ({
      ...busEvent(e.source, String(e.detail.customerId), {}, now),
      'detail-type': e.detailType,
      detail: e.detail,
    });
    const first = await Promise.all(
      mine.map((e) => evaluateTrigger(p.deps, { campaignId: String(e.detail.campaignId), event: toBus(e) })),
    );
    expect(first.map((r) => r.outcome)).toEqual(['sent', 'sent']);
    const again = await Promise.all(
      mine.map((e) => evaluateTrigger(p.deps, { campaignId: String(e.detail.campaignId), event: toBus(e) })),
    );
    expect(again.map((r) => r.reason)).toEqual(['duplicate', 'duplicate']);
  });
});
