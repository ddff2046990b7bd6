import { describe, expect, it } from 'vitest';
import { type CustomerState, decidedKey, type SendEntry } from '#shared/domain/customer.ts';
import type { Decision } from '#shared/domain/decision.ts';
import type { Engine } from '#shared/engine/compile.ts';
import { decide } from '#shared/engine/decide.ts';
import { DAY_MS } from '#shared/engine/time.ts';
import { customer, event, fixtureEngine, NOON, profile } from '../support/engine-fixture.ts';

const engine = fixtureEngine();
const HOUR = 3_600_000;

/** Activity that makes the loyalty rule (3 orders in 30 days) true when the current order counts. */
function twoEarlierOrders(e: Engine): CustomerState['activity'] {
  const counter = e.campaigns.find((c) => c.campaign.id === 'loyalty')?.threshold?.counter.id ?? '';
  return { [counter]: { days: { '2026-03-01': 1, '2026-03-05': 1 }, eventIds: ['old-1', 'old-2'] } };
}

function one(decisions: Decision[], campaignId: string): Decision {
  const d = decisions.find((x) => x.campaignId === campaignId);
  if (!d) throw new Error(`no decision for ${campaignId}: ${JSON.stringify(decisions)}`);
  return d;
}

const marketingSends = (n: number): SendEntry[] =>
  Array.from({ length: n }, (_, i) => ({
    at: NOON - (i + 1) * HOUR,
    campaignId: 'other',
    purpose: 'marketing',
    channel: 'push',
  }));

describe('decision engine: one decision per triggered campaign, with outcome and reason', () => {
  const welcome = () => event('shop.newsletter', 'NewsletterSubscribed');
  const cases: [string, () => Decision, Partial<Decision>][] = [
    [
      'sent through the first usable channel',
      () => one(decide(engine, { event: welcome(), state: customer(), now: NOON }), 'welcome'),
      { outcome: 'sent', channel: 'email', variant: 'a' },
    ],
    [
      'deferred in quiet hours (22:30 in Amsterdam)',
      () => one(decide(engine, { event: welcome(), state: customer(), now: NOON + 9.5 * HOUR }), 'welcome'),
      { outcome: 'deferred', reason: 'quiet_hours', sendAt: '2026-03-11T07:00:00.000Z' },
    ],
    [
      'deferred by the campaign delay',
      () =>
        one(
          decide(engine, { event: event('shop.carts', 'CartAbandoned'), state: customer(), now: NOON }),
          'cart',
        ),
      { outcome: 'deferred', reason: 'delay', sendAt: '2026-03-10T13:00:00.000Z' },
    ],
    [
      'expired when the event is older than the campaign allows',
      () =>
        one(
          decide(engine, {
            event: event('shop.carts', 'CartAbandoned', {}, NOON - 25 * HOUR),
            state: customer(),
            now: NOON,
          }),
          'cart',
        ),
      { outcome: 'suppressed', reason: 'expired' },
    ],
    [
      'unknown customer',
      () =>
        one(
          decide(engine, { event: welcome(), state: { ...customer(), profile: undefined }, now: NOON }),
          'welcome',
        ),
      { outcome: 'suppressed', reason: 'unknown_customer' },
    ],
    [
      'an erased customer is unknown',
      () =>
        one(decide(engine, { event: welcome(), state: customer({ erased: true }), now: NOON }), 'welcome'),
      { outcome: 'suppressed', reason: 'unknown_customer' },
    ],
    [
      'no consent for the purpose on any channel',
      () => one(decide(engine, { event: welcome(), state: customer({ consent: {} }), now: NOON }), 'welcome'),
      { outcome: 'suppressed', reason: 'no_consent' },
    ],
    [
      'no usable address at all',
      () =>
        one(
          decide(engine, {
            event: welcome(),
            state: customer({ profile: profile({ email: undefined }) }),
            now: NOON,
          }),
          'welcome',
        ),
      { outcome: 'suppressed', reason: 'no_channel' },
    ],
    [
      'bounced address and no other channel',
      () =>
        one(
          decide(engine, {
            event: welcome(),
            state: customer({ suppressions: { email: { reason: 'bounced', at: '2026-02-01T00:00:00Z' } } }),
            now: NOON,
          }),
          'welcome',
        ),
      { outcome: 'suppressed', reason: 'bounced_address' },
    ],
    [
      'global marketing cap reached',
      () =>
        one(
          decide(engine, { event: welcome(), state: customer({ sends: marketingSends(3) }), now: NOON }),
          'welcome',
        ),
      { outcome: 'suppressed', reason: 'cap_reached' },
    ],
    [
      'not in the audience',
      () =>
        one(
          decide(engine, {
            event: event('shop.orders', 'OrderPlaced', { orderId: 'o-1' }),
            state: customer({
              profile: profile({ attributes: { country: 'DE' } }),
              activity: twoEarlierOrders(engine),
            }),
            now: NOON,
          }),
          'loyalty',
        ),
      { outcome: 'suppressed', reason: 'not_in_audience' },
    ],
    [
      'business rule not met (2nd order)',
      () =>
        one(
          decide(engine, {
            event: event('shop.orders', 'OrderPlaced', { orderId: 'o-2' }),
            state: customer(),
            now: NOON,
          }),
          'loyalty',
        ),
      { outcome: 'suppressed', reason: 'rule_not_met' },
    ],
    [
      'duplicate of a decided idempotency key',
      () =>
        one(
          decide(engine, {
            event: event('shop.orders', 'OrderPlaced', { orderId: 'o-3' }),
            state: customer({ decided: { [decidedKey('o-3#order-thanks')]: NOON - HOUR } }),
            now: NOON,
          }),
          'order-thanks',
        ),
      { outcome: 'suppressed', reason: 'duplicate' },
    ],
    [
      'invalid event (no customerId)',
      () =>
        one(
          decide(engine, {
            event: { ...welcome(), detail: {} },
            state: customer(),
            now: NOON,
            campaignIds: ['welcome'],
          }),
          'welcome',
        ),
      { outcome: 'suppressed', reason: 'invalid_event', customerId: 'unknown' },
    ],
  ];

  it.each(cases)('%s', (_, run, expected) => {
    expect(run()).toMatchObject(expected);
  });

  it('explains a decision with the facts it used', () => {
    const d = one(
      decide(engine, { event: welcome(), state: customer({ sends: marketingSends(3) }), now: NOON }),
      'welcome',
    );
    expect(d.facts).toContainEqual({
      kind: 'cap',
      scope: 'global',
      purpose: 'marketing',
      count: 3,
      max: 3,
      per: '7d',
    });
  });

  it('falls back to the next channel when the first has no consent, and lists the rest as fallbacks', () => {
    const state = customer({
      profile: profile({
        pushEndpoints: [
          { arn: 'arn:aws:sns:eu-west-1:0:endpoint/GCM/app/1', platform: 'fcm', enabled: true },
        ],
      }),
      consent: {
        'marketing:all': {
          granted: true,
          occurredAt: '2026-01-01T00:00:00Z',
          recordedAt: '2026-01-01T00:00:00Z',
          ledgerRef: 'L#1',
        },
        'marketing:email': {
          granted: false,
          occurredAt: '2026-02-01T00:00:00Z',
          recordedAt: '2026-02-01T00:00:00Z',
          ledgerRef: 'L#3',
        },
      },
    });
    const d = one(decide(engine, { event: welcome(), state, now: NOON }), 'welcome');
    expect(d).toMatchObject({ outcome: 'sent', channel: 'push', fallbackChannels: [] });
    expect(d.facts).toContainEqual({
      kind: 'consent',
      purpose: 'marketing',
      channel: 'email',
      granted: false,
      ledgerRef: 'L#3',
    });
  });

  it('a later "all channels" grant overrides an older per-channel withdrawal', () => {
    const state = customer({
      consent: {
        'marketing:email': {
          granted: false,
          occurredAt: '2026-01-01T00:00:00Z',
          recordedAt: '2026-01-01T00:00:00Z',
          ledgerRef: 'L#1',
        },
        'marketing:all': {
          granted: true,
          occurredAt: '2026-02-01T00:00:00Z',
          recordedAt: '2026-02-01T00:00:00Z',
          ledgerRef: 'L#2',
        },
      },
    });
    expect(one(decide(engine, { event: welcome(), state, now: NOON }), 'welcome')).toMatchObject({
      outcome: 'sent',
      channel: 'email',
    });
  });

  it("puts the customer's preferred channel first", () => {
    const state = customer({
      profile: profile({ preferredChannel: 'sms' }),
      activity: twoEarlierOrders(engine),
    });
    const decisions = decide(engine, {
      event: event('shop.orders', 'OrderPlaced', { orderId: 'o-9' }),
      state,
      now: NOON,
      campaignIds: ['loyalty'],
    });
    const d = one(decisions, 'loyalty');
    expect(d.outcome === 'holdout' ? 'holdout' : d.channel).toMatch(/sms|holdout/);
    if (d.outcome !== 'holdout') expect(d.fallbackChannels).toEqual(['email']);
  });

  it('counts the triggering event for the threshold rule once, also when the activity function already counted it', () => {
    const activity = twoEarlierOrders(engine);
    const third = event('shop.orders', 'OrderPlaced', { orderId: 'o-10' });
    const counter = Object.keys(activity)[0] ?? '';
    const alreadyCounted = {
      [counter]: {
        days: { '2026-03-01': 1, '2026-03-05': 1, '2026-03-10': 1 },
        eventIds: ['old-1', 'old-2', third.id],
      },
    };
    const fact = (a: CustomerState['activity']) =>
      one(
        decide(engine, { event: third, state: customer({ activity: a }), now: NOON }),
        'loyalty',
      ).facts.find((f) => f.kind === 'rule');
    expect(fact(activity)).toMatchObject({ count: 3, atLeast: 3 });
    expect(fact(alreadyCounted)).toMatchObject({ count: 3, atLeast: 3 });
  });

  it('forgets activity older than the rule window', () => {
    const counter = engine.campaigns.find((c) => c.campaign.id === 'loyalty')?.threshold?.counter.id ?? '';
    const activity = { [counter]: { days: { '2026-01-01': 5 }, eventIds: [] } };
    const d = one(
      decide(engine, {
        event: event('shop.orders', 'OrderPlaced', { orderId: 'o-11' }),
        state: customer({ activity }),
        now: NOON,
      }),
      'loyalty',
    );
    expect(d.reason).toBe('rule_not_met');
  });

  it('uses the business key for idempotency when the campaign names one, else the event id', () => {
    const e = event('shop.orders', 'OrderPlaced', { orderId: 'o-42' });
    expect(
      one(decide(engine, { event: e, state: customer(), now: NOON }), 'order-thanks').idempotencyKey,
    ).toBe('o-42#order-thanks');
    const w = welcome();
    expect(one(decide(engine, { event: w, state: customer(), now: NOON }), 'welcome').idempotencyKey).toBe(
      `${w.id}#welcome`,
    );
  });

  it('keys a suppression by its event, so a later event with the same business key cannot overwrite its record', () => {
    // A suppression commits nothing: a second order event with the same orderId is decided afresh,
    // and each (event, campaign) pair keeps its own record. A duplicate keeps the business key, as it
    // is counted on the record that key names.
    const first = event('shop.orders', 'OrderPlaced', { orderId: 'o-43' });
    const again = event('shop.orders', 'OrderPlaced', { orderId: 'o-43' });
    const noConsent = customer({ consent: {} });
    const suppressed = one(decide(engine, { event: first, state: noConsent, now: NOON }), 'order-thanks');
    expect(suppressed).toMatchObject({ outcome: 'suppressed', idempotencyKey: `${first.id}#order-thanks` });
    const sent = one(decide(engine, { event: again, state: customer(), now: NOON }), 'order-thanks');
    expect(sent).toMatchObject({ outcome: 'sent', idempotencyKey: 'o-43#order-thanks' });
    const decided = customer({ decided: { [decidedKey('o-43#order-thanks')]: NOON } });
    const duplicate = one(decide(engine, { event: again, state: decided, now: NOON }), 'order-thanks');
    expect(duplicate).toMatchObject({ reason: 'duplicate', idempotencyKey: 'o-43#order-thanks' });
  });

  it('service messages ignore marketing caps but still need service consent', () => {
    const policy = event('insurance.policies', 'PolicyDocumentReady');
    const full = customer({ sends: marketingSends(3) });
    expect(one(decide(engine, { event: policy, state: full, now: NOON }), 'policy')).toMatchObject({
      outcome: 'sent',
    });
    const noServiceConsent = customer({
      consent: {
        'marketing:all': {
          granted: true,
          occurredAt: '2026-01-01T00:00:00Z',
          recordedAt: '2026-01-01T00:00:00Z',
          ledgerRef: 'L#1',
        },
      },
    });
    expect(
      one(decide(engine, { event: policy, state: noServiceConsent, now: NOON }), 'policy'),
    ).toMatchObject({ reason: 'no_consent' });
  });

  it('a per-channel global cap moves the message to another channel, and is per channel', () => {
    const smsToday: SendEntry[] = [
      { at: NOON - HOUR, campaignId: 'x', purpose: 'marketing', channel: 'sms' },
    ];
    const state = customer({ profile: profile({ email: undefined }), sends: smsToday });
    const d = one(
      decide(engine, { event: event('shop.orders', 'OrderPlaced', { orderId: 'o-12' }), state, now: NOON }),
      'order-thanks',
    );
    expect(d).toMatchObject({ outcome: 'suppressed', reason: 'cap_reached' });
    const tomorrow = one(
      decide(engine, {
        event: event('shop.orders', 'OrderPlaced', { orderId: 'o-13' }),
        state,
        now: NOON + DAY_MS,
      }),
      'order-thanks',
    );
    expect(tomorrow).toMatchObject({ outcome: 'sent', channel: 'sms' });
  });

  it('routes an invalid event to every campaign named, changing nothing else', () => {
    const decisions = decide(engine, {
      event: 'not an event',
      state: customer(),
      now: NOON,
      campaignIds: ['welcome', 'cart'],
    });
    expect(decisions.map((d) => [d.campaignId, d.reason])).toEqual([
      ['welcome', 'invalid_event'],
      ['cart', 'invalid_event'],
    ]);
  });

  it('answers rule_not_met for a routed campaign whose pattern does not match the event', () => {
    const decisions = decide(engine, {
      event: welcome(),
      state: customer(),
      now: NOON,
      campaignIds: ['cart'],
    });
    expect(decisions).toHaveLength(1);
    expect(decisions[0]).toMatchObject({
      campaignId: 'cart',
      reason: 'rule_not_met',
      facts: [{ kind: 'pattern', matched: false }],
    });
  });
});

describe('arbitration', () => {
  it('gives the last cap slot to the higher priority and marks the other outranked', () => {
    // Two marketing sends this week: one slot left under the 3-per-7d cap; loyalty (50) beats order-thanks (10).
    const state = customer({ sends: marketingSends(2), activity: twoEarlierOrders(engine) });
    const orderEvent = event('shop.orders', 'OrderPlaced', { orderId: 'o-20' });
    const all = decide(engine, {
      event: orderEvent,
      state: { ...state, customerId: 'c-not-held-out' },
      now: NOON,
    });
    const loyalty = one(all, 'loyalty');
    const thanks = one(all, 'order-thanks');
    if (loyalty.outcome === 'holdout') {
      // A held-out campaign reserves no slot, so the lower priority one may send.
      expect(thanks.outcome).toBe('sent');
    } else {
      expect(loyalty).toMatchObject({ outcome: 'sent' });
      expect(thanks).toMatchObject({ outcome: 'suppressed', reason: 'outranked' });
      expect(thanks.facts).toContainEqual({ kind: 'arbitration', winner: 'loyalty', priority: 50 });
      expect(thanks.channel).toBeUndefined();
    }
  });

  it('gives the same answer whichever campaign message of the event is processed (order independent)', () => {
    const state = customer({ sends: marketingSends(2), activity: twoEarlierOrders(engine) });
    const orderEvent = event('shop.orders', 'OrderPlaced', { orderId: 'o-21' });
    const together = decide(engine, { event: orderEvent, state, now: NOON });
    const separately = ['order-thanks', 'loyalty'].map((id) =>
      one(decide(engine, { event: orderEvent, state, now: NOON, campaignIds: [id] }), id),
    );
    expect(separately).toEqual(['order-thanks', 'loyalty'].map((id) => one(together, id)));
  });

  it('ties are broken by campaign id, deterministically', () => {
    const tied = fixtureEngine({
      loyalty: { priority: 10, holdout: 0, caps: [] },
      'order-thanks': { priority: 10 },
    });
    const state = customer({ sends: marketingSends(2), activity: twoEarlierOrders(tied) });
    const all = decide(tied, {
      event: event('shop.orders', 'OrderPlaced', { orderId: 'o-22' }),
      state,
      now: NOON,
    });
    expect(one(all, 'loyalty').outcome).toBe('sent');
    expect(one(all, 'order-thanks').reason).toBe('outranked');
  });

  it('a campaign over its own cap is cap_reached, not outranked', () => {
    const state = customer({
      activity: twoEarlierOrders(engine),
      sends: [{ at: NOON - 10 * DAY_MS, campaignId: 'loyalty', purpose: 'marketing', channel: 'email' }],
    });
    const d = one(
      decide(engine, {
        event: event('shop.orders', 'OrderPlaced', { orderId: 'o-23' }),
        state: { ...state, customerId: 'c1' },
        now: NOON,
      }),
      'loyalty',
    );
    expect(d.reason).toBe('cap_reached');
    expect(d.facts).toContainEqual({ kind: 'cap', scope: 'campaign', count: 1, max: 1, per: '90d' });
  });
});

describe('holdout and variants: deterministic split by (customerId, campaignId)', () => {
  const split = fixtureEngine({
    loyalty: { caps: [], audience: {}, trigger: { pattern: { source: ['shop.orders'] } } },
  });
  const decisions = Array.from({ length: 10_000 }, (_, i) => {
    const state = customer({ customerId: `cust-${i}`, profile: profile({ customerId: `cust-${i}` }) });
    const e = event('shop.orders', 'OrderPlaced', { customerId: `cust-${i}`, orderId: `o-${i}` });
    return one(decide(split, { event: e, state, now: NOON, campaignIds: ['loyalty'] }), 'loyalty');
  });

  it('holds out 10% ± 2% of 10,000 customers', () => {
    const held = decisions.filter((d) => d.outcome === 'holdout').length;
    expect(held).toBeGreaterThanOrEqual(800);
    expect(held).toBeLessThanOrEqual(1200);
  });

  it('splits the treated group 50/50 ± 2% between the variants', () => {
    const treated = decisions.filter((d) => d.outcome === 'sent');
    const a = treated.filter((d) => d.variant === 'a').length / treated.length;
    expect(a).toBeGreaterThanOrEqual(0.48);
    expect(a).toBeLessThanOrEqual(0.52);
  });

  it('keeps a customer in the same group and variant on every trigger', () => {
    const again = decisions.slice(0, 200).map((_d, i) => {
      const state = customer({ customerId: `cust-${i}`, profile: profile({ customerId: `cust-${i}` }) });
      const e = event(
        'shop.orders',
        'OrderPlaced',
        { customerId: `cust-${i}`, orderId: `again-${i}` },
        NOON + DAY_MS,
      );
      const next = one(
        decide(split, { event: e, state, now: NOON + DAY_MS, campaignIds: ['loyalty'] }),
        'loyalty',
      );
      return [next.outcome === 'holdout', next.variant] as const;
    });
    expect(again).toEqual(decisions.slice(0, 200).map((d) => [d.outcome === 'holdout', d.variant] as const));
  });
});

describe('quiet hours in the customer time zone', () => {
  const at = (iso: string, timezone?: string) =>
    one(
      decide(engine, {
        event: event('shop.newsletter', 'NewsletterSubscribed', {}, Date.parse(iso)),
        state: customer({ profile: profile(timezone ? { timezone } : {}) }),
        now: Date.parse(iso),
      }),
      'welcome',
    );

  it.each([
    ['evening, before midnight', '2026-03-10T21:30:00Z', 'deferred', '2026-03-11T07:00:00.000Z'],
    ['after midnight', '2026-03-11T01:00:00Z', 'deferred', '2026-03-11T07:00:00.000Z'],
    ['exactly at the end', '2026-03-11T07:00:00Z', 'sent', undefined],
    ['just before the start', '2026-03-10T19:59:00Z', 'sent', undefined],
    ['at the start', '2026-03-10T20:00:00Z', 'deferred', '2026-03-11T07:00:00.000Z'],
    // Summer time starts 2026-03-29 02:00 CET: 08:00 CEST is 06:00 UTC.
    ['night of the spring DST change', '2026-03-28T23:30:00Z', 'deferred', '2026-03-29T06:00:00.000Z'],
    // Winter time starts 2026-10-25 03:00 CEST: 08:00 CET is 07:00 UTC.
    ['night of the autumn DST change', '2026-10-24T22:00:00Z', 'deferred', '2026-10-25T07:00:00.000Z'],
  ])('%s (Europe/Amsterdam, the strategy default)', (_, iso, outcome, sendAt) => {
    const d = at(iso);
    expect(d.outcome).toBe(outcome);
    expect(d.sendAt).toBe(sendAt);
  });

  it("uses the customer's own time zone: 22:00 UTC is 17:00 in New York", () => {
    expect(at('2026-03-10T22:00:00Z', 'America/New_York').outcome).toBe('sent');
    const d = at('2026-03-11T03:00:00Z', 'America/New_York');
    expect(d).toMatchObject({
      outcome: 'deferred',
      reason: 'quiet_hours',
      sendAt: '2026-03-11T12:00:00.000Z',
    });
    expect(d.facts).toContainEqual({
      kind: 'quiet_hours',
      from: '21:00',
      to: '08:00',
      timezone: 'America/New_York',
      localTime: '23:00',
    });
  });

  it('a deferral past the expiry is expired, not deferred', () => {
    const short = fixtureEngine({ cart: { delay: undefined, expires: '2h' } });
    const late = Date.parse('2026-03-10T21:00:00Z');
    const d = one(
      decide(short, { event: event('shop.carts', 'CartAbandoned', {}, late), state: customer(), now: late }),
      'cart',
    );
    expect(d).toMatchObject({ outcome: 'suppressed', reason: 'expired' });
  });
});
