import { describe, expect, it } from 'vitest';
import type { ContactRecord } from '#shared/domain/store.ts';
import type { Campaign } from '#shared/strategy/schema.ts';
import {
  campaignUplift,
  differenceInterval,
  measureUplift,
  wilsonInterval,
} from '#shared/use-cases/uplift.ts';

/**
 * A hand-computed fixture (z = 1.95996, the 95% two-sided quantile), one contact per customer:
 * - treated 1,000 customers (variant a 600 with 36 conversions, b 400 with 14), 50 converted = 5%;
 *   Wilson: p̃ = (p + z²/2n)/(1 + z²/n), half = z·√(p(1−p)/n + z²/4n²)/(1 + z²/n) → [3.813%, 6.531%];
 * - holdout 200 customers, 4 converted = 2% → Wilson [0.780%, 5.029%];
 * - uplift 5% − 2% = 3 pp; Newcombe's hybrid score interval from the two Wilson intervals:
 *   low = 3 − √((5 − 3.813)² + (5.029 − 2)²) = 3 − 3.253 = −0.253 pp,
 *   high = 3 + √((6.531 − 5)² + (2 − 0.780)²) = 3 + 1.958 = 4.958 pp → [−0.253, +4.958] pp: not
 *   significant yet (the Wald interval said [+0.636, +5.364], "significant", on 4 held-out conversions);
 * - b vs a: 3.5% − 6% = −2.5 pp; Wilson b [2.100%, 5.778%], a [4.371%, 8.187%] →
 *   low = −2.5 − √((3.5 − 2.1)² + (8.187 − 6)²) = −5.105 pp, high = −2.5 + √((5.778 − 3.5)² + (6 − 4.371)²)
 *   = +0.312 pp → not significant yet.
 */
const campaign = {
  id: 'loyalty',
  name: 'Third order',
  enabled: true,
  purpose: 'marketing',
  goal: { conversion: { source: 'shop', detailType: 'OrderPlaced' }, within: '14d', target: 5 },
  learn: 'Does b beat a, and does the thank-you beat doing nothing?',
  trigger: { pattern: { source: ['shop'] } },
  audience: {},
  channels: ['email'],
  caps: [],
  priority: 0,
  holdout: 10,
  variants: [
    { id: 'a', weight: 50, template: 'a' },
    { id: 'b', weight: 50, template: 'b' },
  ],
} as unknown as Campaign;

let n = 0;
function records(outcome: 'sent' | 'holdout', variant: string, contacts: number, converted: number) {
  return Array.from({ length: contacts }, (_, i): ContactRecord => {
    n++;
    return {
      eventId: `e${n}`,
      campaignId: 'loyalty',
      customerId: `c${n}`,
      outcome,
      variant,
      ...(outcome === 'sent' && { channel: 'email' as const, messageId: `m${n}` }),
      decidedAt: '2026-03-01T10:00:00.000Z',
      idempotencyKey: `e${n}#loyalty`,
      facts: [],
      ...(i < converted && { conversion: { eventId: `o${n}`, at: '2026-03-05T10:00:00.000Z', value: 10 } }),
    };
  });
}

const history = [
  ...records('sent', 'a', 600, 36),
  ...records('sent', 'b', 400, 14),
  ...records('holdout', 'a', 110, 2),
  ...records('holdout', 'b', 90, 2),
  // Not counted: suppressed, still deferred, waiting for a transient retry, another campaign.
  { ...records('sent', 'a', 1, 1)[0], outcome: 'suppressed', reason: 'cap_reached' } as ContactRecord,
  { ...records('sent', 'a', 1, 1)[0], outcome: 'deferred' } as ContactRecord,
  { ...records('sent', 'a', 1, 1)[0], status: 'sending' } as ContactRecord,
  { ...records('sent', 'a', 1, 1)[0], campaignId: 'other' } as ContactRecord,
];

describe('uplift against a hand-computed fixture', () => {
  const u = campaignUplift(campaign, history);

  it('counts the treated group, the holdout and each variant once per customer', () => {
    expect([u.treated.customers, u.treated.conversions, u.treated.value]).toEqual([1000, 50, 500]);
    expect([u.holdout?.customers, u.holdout?.conversions]).toEqual([200, 4]);
    expect(u.variants.map((v) => [v.id, v.customers, v.conversions])).toEqual([
      ['a', 600, 36],
      ['b', 400, 14],
    ]);
  });

  it('gives each rate its 95% Wilson interval', () => {
    expect(u.treated.rate).toBe(0.05);
    expect(u.treated.interval?.[0]).toBeCloseTo(0.03813, 5);
    expect(u.treated.interval?.[1]).toBeCloseTo(0.06531, 5);
    expect(u.holdout?.interval?.[0]).toBeCloseTo(0.0078, 4);
    expect(u.holdout?.interval?.[1]).toBeCloseTo(0.05029, 5);
  });

  it('gives the uplift over the holdout with its Newcombe interval: not significant on 4 conversions', () => {
    expect(u.uplift?.difference).toBeCloseTo(0.03, 10);
    expect(u.uplift?.interval?.[0]).toBeCloseTo(-0.00253, 5);
    expect(u.uplift?.interval?.[1]).toBeCloseTo(0.04958, 5);
    expect(u.uplift?.relative).toBeCloseTo(1.5, 10);
    expect(u.uplift?.significant).toBe(false);
  });

  it('compares variant b with a: not significant yet', () => {
    const [bVsA] = u.variantComparisons;
    expect([bVsA?.treatment, bVsA?.control]).toEqual(['b', 'a']);
    expect(bVsA?.difference).toBeCloseTo(-0.025, 10);
    expect(bVsA?.interval?.[0]).toBeCloseTo(-0.05105, 5);
    expect(bVsA?.interval?.[1]).toBeCloseTo(0.00312, 5);
    expect(bVsA?.significant).toBe(false);
  });

  it('puts the goal’s target beside the measured rate, and answers the learning goal', () => {
    expect(u.headline).toBe('5% within 14d: 5% [3.8–6.5%]');
    expect(u.learn?.question).toBe(campaign.learn);
    expect(u.learn?.answer).toBe(
      'b vs a: −2.5 pp [−5.1 pp to +0.3 pp], not significant yet (400 vs 600 customers); ' +
        'treated vs holdout: +3 pp [−0.3 pp to +5 pp], not significant yet (1000 vs 200 customers)',
    );
  });
});

describe('the interval of a difference against Newcombe (1998), Table II', () => {
  // Method 10 (hybrid score, no continuity correction), published to 4 decimals.
  it.each([
    ['(a) 56/70 vs 48/80', 56, 70, 48, 80, 0.0524, 0.3339],
    ['(d) 5/56 vs 0/29', 5, 56, 0, 29, -0.0381, 0.1926],
  ])('%s', (_, k1, n1, k2, n2, low, high) => {
    const { interval } = differenceInterval(k1, n1, k2, n2);
    expect(interval?.map((x) => Number(x.toFixed(4)))).toEqual([low, high]);
  });

  it('keeps a width when a rate is 0 or 1, and stays inside [−1, 1]', () => {
    // Wald gave 2/2 vs 0/1 the interval [1, 1]: "significant" on three customers.
    const { difference, interval } = differenceInterval(2, 2, 0, 1);
    expect(difference).toBe(1);
    const [lo = Number.NaN, hi = Number.NaN] = interval ?? [];
    expect(lo).toBeLessThan(0);
    expect(hi).toBeCloseTo(1, 12);
    const none = differenceInterval(0, 10, 0, 20).interval ?? [0, 0];
    expect(none[0]).toBeLessThan(0);
    expect(none[1]).toBeGreaterThan(0);
  });

  it('gives the Wilson intervals of Newcombe (1998), the single-proportion paper', () => {
    // Statistics in Medicine 17:857–872, method 3: 15/148, 0/20 and 1/29.
    expect(wilsonInterval(15, 148)?.map((x) => Number(x.toFixed(4)))).toEqual([0.0624, 0.1605]);
    expect(wilsonInterval(0, 20)?.map((x) => Number(x.toFixed(4)))).toEqual([0, 0.1611]);
    expect(wilsonInterval(1, 29)?.map((x) => Number(x.toFixed(4)))).toEqual([0.0061, 0.1718]);
  });
});

describe('the unit is the customer', () => {
  const at = (day: number) => `2026-03-${String(day).padStart(2, '0')}T10:00:00.000Z`;
  const contact = (
    customerId: string,
    outcome: 'sent' | 'holdout',
    day: number,
    variant = 'a',
    value?: number,
  ): ContactRecord => ({
    eventId: `${customerId}-${day}`,
    campaignId: 'loyalty',
    customerId,
    outcome,
    variant,
    decidedAt: at(day),
    idempotencyKey: `${customerId}-${day}#loyalty`,
    facts: [],
    ...(value !== undefined && { conversion: { eventId: `o-${customerId}-${day}`, at: at(day + 1), value } }),
  });

  it('counts a customer triggered three times once, converted when any contact converted', () => {
    const u = campaignUplift(campaign, [
      contact('h1', 'holdout', 1),
      contact('h1', 'holdout', 5),
      contact('h1', 'holdout', 9, 'a', 20),
      contact('h2', 'holdout', 2),
      contact('t1', 'sent', 1, 'b', 10),
      contact('t1', 'sent', 4, 'b', 15),
      contact('t2', 'sent', 3, 'a'),
    ]);
    expect(u.holdout).toMatchObject({ customers: 2, contacts: 4, conversions: 1, rate: 0.5, value: 20 });
    expect(u.treated).toMatchObject({ customers: 2, contacts: 3, conversions: 1, rate: 0.5, value: 25 });
    expect(u.variants.map((v) => [v.id, v.customers, v.conversions])).toEqual([
      ['a', 1, 0],
      ['b', 1, 1],
    ]);
    expect(u.uplift?.summary).toContain('(2 vs 2 customers)');
  });

  it('keeps a customer in the group of their first contact (intention to treat)', () => {
    // The holdout percentage changed between the two triggers: the customer stays in the holdout.
    const u = campaignUplift(campaign, [contact('x', 'sent', 6, 'b', 30), contact('x', 'holdout', 2)]);
    expect([u.holdout?.customers, u.holdout?.conversions, u.treated.customers]).toEqual([1, 1, 0]);
  });

  it('leaves offers shown at a contact moment out of the experiment', () => {
    const shown = { ...contact('m', 'sent', 3, 'a', 10), moment: 'till' as const };
    expect(campaignUplift(campaign, [shown]).treated.customers).toBe(0);
  });
});

describe('edge cases', () => {
  it('has no interval for an empty group, and never calls it significant', () => {
    expect(wilsonInterval(0, 0)).toBeUndefined();
    expect(differenceInterval(1, 10, 0, 0)).toEqual({ difference: 0.1 });
    const u = campaignUplift(campaign, []);
    expect(u.uplift?.significant).toBe(false);
    expect(u.uplift?.summary).toContain('no data yet');
    expect(u.headline).toBe('5% within 14d: 0%');
  });

  it('keeps a zero rate’s interval inside [0, 1]', () => {
    const [lo, hi] = wilsonInterval(0, 20) ?? [];
    expect(lo).toBe(0);
    expect(hi).toBeCloseTo(0.16113, 4);
  });

  it('measures only campaigns with a goal, a holdout or variants', () => {
    const plain = { ...campaign, id: 'plain', goal: undefined, holdout: 0, variants: [campaign.variants[0]] };
    expect(measureUplift([campaign, plain as Campaign], history).map((c) => c.campaignId)).toEqual([
      'loyalty',
    ]);
  });
});
