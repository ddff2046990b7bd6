import { randomUUID } from 'node:crypto';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { beforeAll, describe, expect, it } from 'vitest';
import { meterDynamoDb } from '#local/ddb-meter.ts';
import { MemoryCustomerStore } from '#local/memory-store.ts';
import { createContactTable } from '#local/table.ts';
import { DynamoCustomerStore } from '#shared/adapters/dynamodb/customer-store.ts';
import type { ContactRecord } from '#shared/domain/store.ts';
import { compileEngine } from '#shared/engine/compile.ts';
import { conversionObservations } from '#shared/metrics/emit.ts';
import { loadCompiledStrategy } from '#shared/strategy/load.ts';
import { recordActivity } from '#shared/use-cases/record-activity.ts';
import { campaignUplift } from '#shared/use-cases/uplift.ts';

/**
 * Which contact a goal conversion is credited to when a customer both got the campaign's message and
 * was shown its offer at the till (the sample strategy's loyalty campaign: goal OrderPlaced within
 * 14 days, offered at till, call and web). Against DynamoDB Local and the memory store alike.
 */
const engine = compileEngine(loadCompiledStrategy('strategy/contact-strategy.yaml'));
const CAMPAIGN = 'loyalty-third-order';
const DAY = 86_400_000;
const T0 = Date.parse('2026-03-10T11:00:00.000Z');
const clock = { ms: T0, now: () => clock.ms };
const iso = (day: number) => new Date(T0 + day * DAY).toISOString();

const client = new DynamoDBClient({ maxAttempts: 3 });
const table = `attribution-${randomUUID().slice(0, 8)}`;
beforeAll(() => createContactTable(client, table));

type Store = DynamoCustomerStore | MemoryCustomerStore;
const stores: [string, () => Store][] = [
  [
    'DynamoDB',
    () => new DynamoCustomerStore(client, { tableName: table, sendRetentionMs: 7 * DAY, now: clock.now }),
  ],
  ['memory', () => new MemoryCustomerStore({ sendRetentionMs: 7 * DAY, now: clock.now })],
];

/** A contact of the loyalty campaign: the triggered message, or the offer shown at the till. */
function contact(
  customerId: string,
  kind: 'email' | 'till',
  day: number,
  extra: Partial<ContactRecord> = {},
) {
  const key = `${kind}-${day}#${CAMPAIGN}`;
  return {
    eventId: `${kind}-${day}`,
    campaignId: CAMPAIGN,
    customerId,
    outcome: 'sent',
    variant: 'a',
    decidedAt: iso(day),
    idempotencyKey: key,
    facts: kind === 'till' ? [{ kind: 'moment', moment: 'till' }] : [],
    ...(kind === 'email' ? { channel: 'email', messageId: `m-${day}` } : { moment: 'till' }),
    ...extra,
  } as ContactRecord;
}

const orderEvent = (customerId: string, day: number) => ({
  version: '0',
  id: randomUUID(),
  source: 'shop.orders',
  'detail-type': 'OrderPlaced',
  account: '000000000000',
  time: iso(day),
  region: 'eu-west-1',
  resources: [],
  detail: { customerId, orderId: randomUUID(), total: 60 },
});

async function order(store: Store, customerId: string, day: number) {
  clock.ms = T0 + day * DAY;
  const { conversions } = await recordActivity({ store, engine, clock }, orderEvent(customerId, day));
  return conversions.filter((c) => c.campaignId === CAMPAIGN);
}

const history = async (store: Store, customerId: string) =>
  (await store.exportCustomer(customerId)).contactHistory.filter((r) => r.campaignId === CAMPAIGN);

describe.each(stores)('goal conversions and offers shown at contact moments (%s)', (_, make) => {
  it('credits the message before a later till offer, once, and the uplift counts it', async () => {
    const store = make();
    const id = `a-${randomUUID().slice(0, 8)}`;
    await store.putContact(contact(id, 'email', 0));
    await store.putContact(contact(id, 'till', 2));
    const credited = await order(store, id, 4);
    expect(credited.map((r) => r.eventId)).toEqual(['email-0']);
    const stored = await history(store, id);
    expect(stored.filter((r) => r.conversion).map((r) => r.eventId)).toEqual(['email-0']);
    // The same order delivered again credits nothing more.
    expect(await order(store, id, 4)).toEqual([]);
    const campaign = engine.strategy.campaigns.find((c) => c.id === CAMPAIGN);
    if (!campaign) throw new Error('the sample strategy has the loyalty campaign');
    expect(campaignUplift(campaign, stored).treated).toMatchObject({ customers: 1, conversions: 1 });
    expect(conversionObservations(credited[0] as ContactRecord)[0]?.dimensions.outcome).toBe('sent');
  });

  it('credits an offer shown at the till when no message of the campaign came before, as "shown"', async () => {
    const store = make();
    const id = `b-${randomUUID().slice(0, 8)}`;
    await store.putContact(contact(id, 'till', 1));
    const credited = await order(store, id, 3);
    expect(credited.map((r) => [r.eventId, r.moment])).toEqual([['till-1', 'till']]);
    expect(conversionObservations(credited[0] as ContactRecord)[0]?.dimensions.outcome).toBe('shown');
  });

  it('does not count a purchase twice: an offer accepted at the till already has its conversion', async () => {
    const store = make();
    const id = `c-${randomUUID().slice(0, 8)}`;
    const accepted = { eventId: 'accepted:till-1', at: iso(1) };
    await store.putContact(contact(id, 'till', 1, { response: 'accepted', conversion: accepted }));
    expect(await order(store, id, 1.01)).toEqual([]);
    expect((await history(store, id)).map((r) => r.conversion)).toEqual([accepted]);
  });

  it('gives a message one conversion; a second order does not move to the till offer after it', async () => {
    const store = make();
    const id = `d-${randomUUID().slice(0, 8)}`;
    await store.putContact(contact(id, 'email', 0));
    expect((await order(store, id, 2)).map((r) => r.eventId)).toEqual(['email-0']);
    await store.putContact(contact(id, 'till', 3));
    expect(await order(store, id, 5)).toEqual([]);
    expect((await history(store, id)).filter((r) => r.conversion)).toHaveLength(1);
  });
});

describe('an order that is the goal of several campaigns (DynamoDB)', () => {
  it('credits each campaign’s latest contact in its own window, from one read of the history, as one campaign at a time would', async () => {
    const metered = new DynamoDBClient({ maxAttempts: 3 });
    const meter = meterDynamoDb(metered);
    const store = new DynamoCustomerStore(metered, {
      tableName: table,
      sendRetentionMs: 7 * DAY,
      now: clock.now,
    });
    const goals = engine.campaigns
      .filter((c) => c.campaign.goal?.conversion.detailType === 'OrderPlaced')
      .map((c) => c.campaign.id);
    expect(goals).toEqual(['loyalty-third-order', 'abandoned-cart', 'win-back']);
    const id = `e-${randomUUID().slice(0, 8)}`;
    const at = (campaignId: string, day: number, extra: Partial<ContactRecord> = {}) =>
      store.putContact({
        ...contact(id, 'email', day),
        campaignId,
        eventId: `${campaignId}-${day}`,
        idempotencyKey: `${campaignId}-${day}#${campaignId}`,
        ...extra,
      });
    // Loyalty (14 days): the later of two messages. Abandoned cart (3 days): only one outside its window.
    // Win-back (30 days): a holdout counts, a suppression does not. Another campaign's contacts: never.
    await at('loyalty-third-order', -10);
    await at('loyalty-third-order', -2);
    await at('abandoned-cart', -5);
    await at('win-back', -20, { outcome: 'holdout' });
    await at('win-back', -1, { outcome: 'suppressed', reason: 'cap_reached' });
    await at('welcome', -1);
    meter.reset();
    clock.ms = T0;
    const event = orderEvent(id, 0);
    const { conversions } = await recordActivity({ store, engine, clock }, event);
    expect(conversions.map((r) => r.eventId)).toEqual(['loyalty-third-order--2', 'win-back--20']);
    // One Query for the three campaigns, one conditional update per credited contact (and the
    // threshold rule's counter: a read, a tombstone check for a new counter, a write).
    expect(meter.calls.QueryCommand).toBe(1);
    expect(meter.calls.UpdateItemCommand).toBe(2);
    const credited = (await store.exportCustomer(id)).contactHistory
      .filter((r) => r.conversion)
      .map((r) => r.eventId)
      .sort();
    expect(credited).toEqual(['loyalty-third-order--2', 'win-back--20']);
    // The memory store, one campaign at a time, credits the same contacts.
    const memory = new MemoryCustomerStore({ sendRetentionMs: 7 * DAY, now: clock.now });
    for (const r of (await store.exportCustomer(id)).contactHistory) {
      const { conversion: _, ...uncredited } = r;
      await memory.putContact(uncredited);
    }
    const again = await recordActivity({ store: memory, engine, clock }, event);
    expect(again.conversions.map((r) => r.eventId)).toEqual(['loyalty-third-order--2', 'win-back--20']);
    metered.destroy();
  });
});
