import { randomUUID } from 'node:crypto';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { beforeAll, describe, expect, it } from 'vitest';
import { MemoryCustomerStore } from '#local/memory-store.ts';
import { LocalScheduler } from '#local/scheduler.ts';
import { createContactTable } from '#local/table.ts';
import { DynamoCustomerStore } from '#shared/adapters/dynamodb/customer-store.ts';
import { decidedKey, type Profile } from '#shared/domain/customer.ts';
import type { Channels, Clock } from '#shared/domain/ports.ts';
import type {
  ActivityStore,
  ContactRecord,
  CustomerDataStore,
  CustomerStore,
  DateIndexEntry,
} from '#shared/domain/store.ts';
import { applyCustomerEvent } from '#shared/use-cases/customer-data.ts';
import { evaluateTrigger } from '#shared/use-cases/evaluate-trigger.ts';
import { recordActivity } from '#shared/use-cases/record-activity.ts';
import { pipelineEngine } from '../support/pipeline.ts';

/**
 * One list of scenarios, run against the in-memory store and the DynamoDB store (on DynamoDB Local
 * from the global setup): the simulator may only stand in for the real store if both answer alike.
 */

type Store = CustomerStore &
  CustomerDataStore &
  ActivityStore & { forget(customerId: string): Promise<void> };

const DAY = 86_400_000;
const T0 = Date.parse('2026-03-10T12:00:00.250Z');
const clock = { ms: T0, now: () => clock.ms };
const engine = pipelineEngine('https://print.example.nl/hook');

// The endpoint comes from AWS_ENDPOINT_URL_DYNAMODB (test/setup-env.ts), as everywhere else.
const client = new DynamoDBClient({ maxAttempts: 3 });
const table = `memory-parity-${randomUUID().slice(0, 8)}`;
beforeAll(() => createContactTable(client, table));

const makers: [string, () => Store][] = [
  ['memory', () => new MemoryCustomerStore({ sendRetentionMs: 7 * DAY, now: clock.now })],
  [
    'dynamodb',
    () => new DynamoCustomerStore(client, { tableName: table, sendRetentionMs: 7 * DAY, now: clock.now }),
  ],
];

const fresh = () => `c-${randomUUID().slice(0, 12)}`;
const iso = (ms: number) => new Date(ms).toISOString();
const reserve = (at: number, campaignId = 'welcome') => ({
  at,
  campaignId,
  purpose: 'marketing',
  channel: 'email' as const,
});
const commitOf = (key: string, at = clock.ms) => ({
  idempotencyKey: key,
  decidedAt: at,
  reserve: reserve(at),
});

const ledger = (
  customerId: string,
  purpose: string,
  granted: boolean,
  occurredAt: number,
  eventId: string,
) => ({
  customerId,
  purpose,
  channel: 'email' as const,
  granted,
  source: 'form',
  occurredAt: iso(occurredAt),
  recordedAt: iso(clock.ms),
  eventId,
});

const profileMerge =
  (customerId: string, fields: Partial<Profile>, updatedAt: string) =>
  (current: Profile | undefined): Profile => ({
    ...(current ?? { customerId, attributes: {} }),
    ...fields,
    attributes: { ...(current?.attributes ?? {}), ...(fields.attributes ?? {}) },
    updatedAt,
  });

const birthIndex =
  (timezone: string) =>
  (p: Profile): DateIndexEntry[] =>
    typeof p.attributes.birthDate === 'string'
      ? [{ attribute: 'birthDate', anniversary: true, key: p.attributes.birthDate.slice(5), timezone }]
      : [];

const record = (customerId: string, over: Partial<ContactRecord> = {}): ContactRecord => ({
  eventId: 'e1',
  campaignId: 'control',
  customerId,
  outcome: 'sent',
  channel: 'email',
  decidedAt: iso(clock.ms),
  idempotencyKey: 'e1#control',
  facts: [],
  ...over,
});

async function collect<T>(it: AsyncIterable<T>): Promise<T[]> {
  const out: T[] = [];
  for await (const x of it) out.push(x);
  return out;
}

describe.each(makers)('%s customer store', (_, make) => {
  const store = make();
  const at = (ms: number) => {
    clock.ms = ms;
  };

  it('loads a customer it has never heard of as an empty state', async () => {
    at(T0);
    expect(await store.load(fresh())).toMatchObject({
      consent: {},
      sends: [],
      decided: {},
      activity: {},
      suppressions: {},
      version: 0,
    });
  });

  it('commits only on the version it read, and keeps times in whole seconds', async () => {
    at(T0);
    const id = fresh();
    const read = await store.load(id);
    expect(await store.commitDecision(read, commitOf('k1#welcome'))).toBe('committed');
    expect(await store.commitDecision(read, commitOf('k2#welcome'))).toBe('conflict');
    const after = await store.load(id, true);
    expect(after.version).toBe(1);
    expect(after.decided).toEqual({ [decidedKey('k1#welcome')]: T0 - 250 });
    expect(after.sends).toEqual([reserve(T0 - 250)]);
    expect(await store.commitDecision(after, commitOf('k2#welcome'))).toBe('committed');
    expect((await store.load(id, true)).version).toBe(2);
  });

  it('prunes sends beyond the longest cap window and decided keys beyond their retention', async () => {
    const id = fresh();
    at(T0);
    await store.commitDecision(await store.load(id), commitOf('a#welcome'));
    at(T0 + 8 * DAY);
    await store.commitDecision(await store.load(id, true), commitOf('b#welcome'));
    let state = await store.load(id, true);
    expect(state.sends.map((s) => s.at)).toEqual([T0 + 8 * DAY - 250]);
    expect(Object.keys(state.decided).sort()).toEqual(
      [decidedKey('a#welcome'), decidedKey('b#welcome')].sort(),
    );
    at(T0 + 15 * DAY);
    await store.commitDecision(state, commitOf('c#welcome'));
    state = await store.load(id, true);
    expect(Object.keys(state.decided).sort()).toEqual(
      [decidedKey('b#welcome'), decidedKey('c#welcome')].sort(),
    );
  });

  it('moves the version on a consent change, so a decision read before it must re-read', async () => {
    at(T0);
    const id = fresh();
    const before = await store.load(id);
    expect(await store.recordConsent(ledger(id, 'marketing', false, T0, 'w1'))).toBe('recorded');
    expect(await store.commitDecision(before, commitOf('x#welcome'))).toBe('conflict');
    const after = await store.load(id, true);
    expect(after.consent['marketing:email']).toEqual({
      granted: false,
      occurredAt: iso(T0),
      ledgerRef: `L#${iso(T0)}#w1`,
    });
    expect(await store.commitDecision(after, commitOf('x#welcome'))).toBe('committed');
    // The commit left the consent as it was.
    expect((await store.load(id, true)).consent['marketing:email']?.granted).toBe(false);
  });

  it('lets the newest consent win, ledgers the older one, and records each event once', async () => {
    at(T0);
    const id = fresh();
    await store.recordConsent(ledger(id, 'marketing', true, T0, 'g1'));
    const v = (await store.load(id, true)).version;
    await store.recordConsent(ledger(id, 'marketing', false, T0 - DAY, 'old'));
    await store.recordConsent(ledger(id, 'marketing', true, T0, 'g1'));
    const state = await store.load(id, true);
    expect(state.consent['marketing:email']).toMatchObject({ granted: true, ledgerRef: `L#${iso(T0)}#g1` });
    // Only the second (equal occurredAt, same event) wrote state; the older one did not.
    expect(state.version).toBe(v + 1);
    const { consentLedger } = await store.exportCustomer(id);
    expect(consentLedger.map((e) => [e.eventId, e.granted])).toEqual([
      ['old', false],
      ['g1', true],
    ]);
  });

  it('merges profiles: newer saved, older stale, suppressions kept', async () => {
    at(T0);
    const id = fresh();
    const save = (fields: Partial<Profile>, time: number) =>
      store.mergeProfile(id, profileMerge(id, fields, iso(time)), iso(time), () => []);
    expect(await save({ email: 'a@example.nl', attributes: { tier: 'gold' } }, T0)).toBe('saved');
    await store.suppress(id, 'email', { reason: 'bounced', at: iso(T0) });
    expect(await save({ email: 'old@example.nl' }, T0 - 1000)).toBe('stale');
    expect(await save({ phone: '+31612345678', attributes: { city: 'Gent' } }, T0 + 1000)).toBe('saved');
    const state = await store.load(id);
    expect(state.profile).toEqual({
      customerId: id,
      email: 'a@example.nl',
      phone: '+31612345678',
      attributes: { tier: 'gold', city: 'Gent' },
      updatedAt: iso(T0 + 1000),
    });
    expect(state.suppressions).toEqual({ email: { reason: 'bounced', at: iso(T0) } });
  });

  it('finds customers by date with their time zone, in index order, and forgets moved dates', async () => {
    at(T0);
    const [a, b, c] = [fresh(), fresh(), fresh()];
    const day = '12-24';
    const save = (id: string, birthDate: string | undefined, tz: string, time = T0) =>
      store.mergeProfile(
        id,
        (current) => ({
          customerId: id,
          attributes: birthDate ? { birthDate } : {},
          updatedAt: iso(time),
          ...(current?.email && { email: current.email }),
        }),
        iso(time),
        birthIndex(tz),
      );
    await save(a, `1980-${day}`, 'Europe/Brussels');
    await save(b, `1991-${day}`, 'America/New_York');
    await save(c, `1975-${day}`, 'Europe/Amsterdam');
    const found = await collect(store.customersByDate('birthDate', true, day));
    const expected = [
      { customerId: b, timezone: 'America/New_York' },
      { customerId: c, timezone: 'Europe/Amsterdam' },
      { customerId: a, timezone: 'Europe/Brussels' },
    ];
    expect(found).toEqual(expected);
    expect(await collect(store.customersByDate('birthDate', false, day))).toEqual([]);
    // Moved to another day, and removed: the old key no longer lists them.
    await save(a, '1980-01-05', 'Europe/Brussels', T0 + 1);
    await save(b, undefined, 'America/New_York', T0 + 1);
    expect(await collect(store.customersByDate('birthDate', true, day))).toEqual([expected[1]]);
    // Saved again with the same date: still listed (the index is left as it was); in another time
    // zone: listed with the new one.
    await save(c, `1975-${day}`, 'Europe/Amsterdam', T0 + 2);
    expect(await collect(store.customersByDate('birthDate', true, day))).toEqual([expected[1]]);
    await save(c, `1975-${day}`, 'Asia/Tokyo', T0 + 3);
    expect(await collect(store.customersByDate('birthDate', true, day))).toEqual([
      { customerId: c, timezone: 'Asia/Tokyo' },
    ]);
  });

  it('keeps contact records: duplicates and feedback counted, message ids found, a replaced id forgotten', async () => {
    at(T0);
    const id = fresh();
    const m1 = `m-${randomUUID()}`;
    const m2 = `m-${randomUUID()}`;
    // SMS: its feedback names only the message id, so the record is found by it (emails carry their keys).
    await store.putContact(record(id, { messageId: m1, channel: 'sms' }));
    await store.addDuplicate(id, 'control', 'e1#control');
    await store.addFeedback(
      { customerId: id, campaignId: 'control', idempotencyKey: 'e1#control' },
      { type: 'delivered', at: iso(T0) },
    );
    expect(await store.getContact(id, 'control', 'e1#control')).toMatchObject({
      duplicates: 1,
      feedback: [{ type: 'delivered', at: iso(T0) }],
    });
    expect(await store.findContactByMessageId(m1)).toEqual({
      customerId: id,
      campaignId: 'control',
      idempotencyKey: 'e1#control',
    });
    await store.putContact(record(id, { messageId: m2, channel: 'sms' }));
    expect(await store.findContactByMessageId(m1)).toBeUndefined();
    expect(await store.findContactByMessageId(m2)).toMatchObject({ customerId: id });
    await expect(store.addDuplicate(id, 'control', 'nope#control')).rejects.toThrow();
    expect(await store.getContact(id, 'control', 'nope#control')).toBeUndefined();
  });

  it('counts activity once per event id, drops old days and keeps the last 50 ids', async () => {
    const id = fresh();
    at(T0);
    expect(await store.countActivity(id, 'c1', '2026-02-01', 'e0', 31)).toBe('counted');
    expect(await store.countActivity(id, 'c1', '2026-02-01', 'e0', 31)).toBe('already_counted');
    for (let i = 1; i <= 55; i++) await store.countActivity(id, 'c1', '2026-03-10', `e${i}`, 31);
    const { activity } = await store.load(id);
    expect(activity.c1?.days).toEqual({ '2026-03-10': 55 });
    expect(activity.c1?.eventIds).toHaveLength(50);
    expect(activity.c1?.eventIds[49]).toBe('e55');
    // Recognised: the 50 kept ids (e6..e55). Counted again: an id that has dropped out (e5).
    expect(await store.countActivity(id, 'c1', '2026-03-10', 'e6', 31)).toBe('already_counted');
    expect(await store.countActivity(id, 'c1', '2026-03-10', 'e55', 31)).toBe('already_counted');
    expect(await store.countActivity(id, 'c1', '2026-03-10', 'e5', 31)).toBe('counted');
    expect(await store.countActivity(id, 'c1', '2026-03-10', 'e6', 31)).toBe('counted');
    expect(await store.countActivity(id, 'c1', '2026-03-10', 'e5', 31)).toBe('already_counted');
  });

  it('attributes a conversion to the latest sent or held-out contact in the window, once', async () => {
    at(T0);
    const id = fresh();
    await store.putContact(record(id, { idempotencyKey: 'a#control', decidedAt: iso(T0 - 5 * DAY) }));
    await store.putContact(
      record(id, { idempotencyKey: 'b#control', outcome: 'holdout', decidedAt: iso(T0 - DAY) }),
    );
    await store.putContact(
      record(id, { idempotencyKey: 'c#control', outcome: 'deferred', decidedAt: iso(T0) }),
    );
    const conversion = { eventId: 'o1', at: iso(T0), value: 80 };
    const got = await store.attributeConversion(id, 'control', iso(T0 - 14 * DAY), conversion);
    expect(got).toMatchObject({ idempotencyKey: 'b#control', outcome: 'holdout', conversion });
    // The latest already converted: nothing more (not the older one either).
    expect(
      await store.attributeConversion(id, 'control', iso(T0 - 14 * DAY), { ...conversion, eventId: 'o2' }),
    ).toBeUndefined();
    expect(await store.attributeConversion(id, 'other', iso(T0 - 14 * DAY), conversion)).toBeUndefined();
  });

  it('erases every item, counts them and leaves a tombstone that refuses later writes', async () => {
    at(T0);
    const id = fresh();
    await store.mergeProfile(
      id,
      profileMerge(id, { attributes: { birthDate: '1990-05-01' } }, iso(T0)),
      iso(T0),
      birthIndex('Europe/Amsterdam'),
    );
    await store.recordConsent(ledger(id, 'marketing', true, T0, 'g1'));
    await store.countActivity(id, 'c1', '2026-03-10', 'e1', 31);
    await store.putContact(record(id, { messageId: `m-${randomUUID()}` }));
    // profile, date index entry, ledger entry, state, activity counter, contact record
    expect(await store.erase(id, iso(T0))).toBe(6);
    const state = await store.load(id, true);
    expect(state).toMatchObject({ erased: true, version: 0, consent: {} });
    expect(state.profile).toBeUndefined();
    expect(await collect(store.customersByDate('birthDate', true, '05-01'))).not.toContainEqual(
      expect.objectContaining({ customerId: id }),
    );
    expect(await store.mergeProfile(id, profileMerge(id, {}, iso(T0 + 1)), iso(T0 + 1), () => [])).toBe(
      'erased',
    );
    expect(await store.recordConsent(ledger(id, 'marketing', true, T0 + 1, 'g2'))).toBe('erased');
    const exported = await store.exportCustomer(id);
    expect([exported.profile, exported.consentLedger, exported.contactHistory]).toEqual([undefined, [], []]);
    await store.forget(id);
    expect(await store.mergeProfile(id, profileMerge(id, {}, iso(T0 + 2)), iso(T0 + 2), () => [])).toBe(
      'saved',
    );
  });

  it('ignores a suppression or a disabled push endpoint for a customer without a profile', async () => {
    at(T0);
    const id = fresh();
    await store.suppress(id, 'sms', { reason: 'opted_out', at: iso(T0) });
    await store.disablePushEndpoint(id, 'arn:aws:sns:eu-west-1:000000000000:endpoint/GCM/app/x');
    expect((await store.load(id)).suppressions).toEqual({});
    const arn = 'arn:aws:sns:eu-west-1:000000000000:endpoint/GCM/app/y';
    await store.mergeProfile(
      id,
      profileMerge(id, { pushEndpoints: [{ arn, platform: 'fcm', enabled: true }] }, iso(T0)),
      iso(T0),
      () => [],
    );
    await store.disablePushEndpoint(id, arn);
    expect((await store.load(id)).profile?.pushEndpoints).toEqual([{ arn, platform: 'fcm', enabled: false }]);
  });

  it('sends exactly the cap when 20 triggers of one customer are evaluated concurrently', async () => {
    at(T0);
    const id = fresh();
    await onboard(deps(store), id);
    const outcomes = await Promise.all(
      Array.from({ length: 20 }, (_, i) =>
        evaluateTrigger(deps(store), {
          campaignId: 'capped',
          event: busEvent('test.capped', id, `cap-${i}`),
        }),
      ),
    );
    const sent = outcomes.filter((r) => r.outcome === 'sent').length;
    expect([sent, outcomes.filter((r) => r.reason === 'cap_reached').length]).toEqual([3, 17]);
  });
});

it('memory store: a contact record past its TTL is no longer returned (as after DynamoDB’s TTL sweep)', async () => {
  clock.ms = T0;
  const store = new MemoryCustomerStore({ sendRetentionMs: DAY, historyRetentionDays: 30, now: clock.now });
  await store.putContact(record('c1', { messageId: 'm1' }));
  clock.ms = T0 + 31 * DAY;
  expect(await store.getContact('c1', 'control', 'e1#control')).toBeUndefined();
  expect(await store.findContactByMessageId('m1')).toBeUndefined();
  expect((await store.exportCustomer('c1')).contactHistory).toEqual([]);
});

it('both stores end in the same state after the same history through the use cases', async () => {
  clock.ms = T0;
  const [memory, dynamo] = makers.map(([, make]) => make());
  const id = fresh();
  const exports = [];
  for (const store of [memory, dynamo]) {
    if (!store) throw new Error('no store');
    clock.ms = T0;
    const d = deps(store);
    await onboard(d, id);
    for (let i = 1; i <= 4; i++) {
      const order = busEvent(
        'test.order',
        id,
        `order-${i}`,
        { orderId: `o${i}`, total: 20 * i },
        'OrderPlaced',
      );
      await recordActivity(d, order);
      await evaluateTrigger(d, { campaignId: 'third-order', event: order });
      clock.ms += DAY;
    }
    await evaluateTrigger(d, { campaignId: 'control', event: busEvent('test.control', id, 'ctl') });
    await evaluateTrigger(d, {
      campaignId: 'cart',
      event: busEvent('test.cart', id, 'cart-1', { cartId: 'k1' }),
    });
    await recordActivity(
      d,
      busEvent('test.order', id, 'order-9', { orderId: 'o9', total: 15 }, 'OrderPlaced'),
    );
    exports.push({ ...(await store.exportCustomer(id)), exportedAt: 'x' });
  }
  expect(exports[0]?.contactHistory.length).toBeGreaterThanOrEqual(5);
  expect(exports[0]).toEqual(exports[1]);
});

/** Wiring for the use cases: the store under test, channels that accept everything. */
function deps(store: Store) {
  let sent = 0;
  const ok = async () => ({ messageId: `sim-${++sent}` });
  const channels: Channels = {
    email: { sendEmail: ok },
    sms: { sendSms: ok, isOptedOut: async () => false },
    push: { sendPush: ok },
    webhook: { post: ok },
  };
  const c: Clock = { now: () => clock.ms };
  return {
    engine,
    strategy: engine.strategy,
    store,
    clock: c,
    channels,
    scheduler: new LocalScheduler(),
    links: {
      links: () => ({ unsubscribe: 'https://example.invalid/u', preferences: 'https://example.invalid/p' }),
    },
    from: 'Huis & Polis <hallo@example.nl>',
  };
}

function busEvent(
  source: string,
  customerId: string,
  id: string,
  detail: Record<string, unknown> = {},
  detailType = 'Test',
) {
  return {
    version: '0',
    id: `${id}-${customerId}`,
    source,
    'detail-type': detailType,
    account: '000000000000',
    region: 'eu-west-1',
    time: iso(clock.ms),
    resources: [],
    detail: { customerId, ...detail },
  };
}

async function onboard(d: ReturnType<typeof deps>, id: string): Promise<void> {
  const profile = { ...busEvent('contact.profiles', id, 'p'), 'detail-type': 'CustomerProfileUpdated' };
  await applyCustomerEvent(d, {
    ...profile,
    detail: { customerId: id, email: `${id}@example.nl`, attributes: { firstName: 'Anna' } },
  });
  for (const purpose of ['marketing', 'service']) {
    await applyCustomerEvent(d, {
      ...busEvent('contact.consent', id, `consent-${purpose}`),
      'detail-type': 'ConsentGranted',
      detail: {
        customerId: id,
        purpose,
        channel: 'all',
        source: 'signup-form',
        occurredAt: iso(clock.ms - 60_000),
      },
    });
  }
}
