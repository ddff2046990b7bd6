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
 * A hand-computed fixture (z = 1.95996, the 95% two-sided quantile):
 * - treated 1,000 contacts (variant a 600 with 36 conversions, b 400 with 14), 50 converted = 5%;
 *   Wilson: p̃ = (p + z²/2n)/(1 + z²/n), half = z·√(p(1−p)/n + z²/4n²)/(1 + z²/n) → [3.813%, 6.531%];
 * - holdout 200 contacts, 4 converted = 2% → Wilson [0.780%, 5.029%];
 * - uplift 5% − 2% = 3 pp, SE = √(.05·.95/1000 + .02·.98/200) = 0.012062 → 3 ± 2.364 = [0.636, 5.364] pp:
 *   significant;
 * - b vs a: 3.5% − 6% = −2.5 pp, SE = √(.035·.965/400 + .06·.94/600) = 0.013357 → [−5.118, +0.118] pp:
 *   not significant yet.
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

  it('counts the treated group, the holdout and each variant once per contact', () => {
    expect([u.treated.contacts, u.treated.conversions, u.treated.value]).toEqual([1000, 50, 500]);
    expect([u.holdout?.contacts, u.holdout?.conversions]).toEqual([200, 4]);
    expect(u.variants.map((v) => [v.id, v.contacts, v.conversions])).toEqual([
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

  it('gives the uplift over the holdout with its two-proportion interval: significant', () => {
    expect(u.uplift?.difference).toBeCloseTo(0.03, 10);
    expect(u.uplift?.interval?.[0]).toBeCloseTo(0.006358, 6);
    expect(u.uplift?.interval?.[1]).toBeCloseTo(0.053642, 6);
    expect(u.uplift?.relative).toBeCloseTo(1.5, 10);
    expect(u.uplift?.significant).toBe(true);
  });

  it('compares variant b with a: not significant yet', () => {
    const [bVsA] = u.variantComparisons;
    expect([bVsA?.treatment, bVsA?.control]).toEqual(['b', 'a']);
    expect(bVsA?.difference).toBeCloseTo(-0.025, 10);
    expect(bVsA?.interval?.[0]).toBeCloseTo(-0.051181, 6);
    expect(bVsA?.interval?.[1]).toBeCloseTo(0.001181, 6);
    expect(bVsA?.significant).toBe(false);
  });

  it('puts the goal’s target beside the measured rate, and answers the learning goal', () => {
    expect(u.headline).toBe('5% within 14d: 5% [3.8–6.5%]');
    expect(u.learn?.question).toBe(campaign.learn);
    expect(u.learn?.answer).toBe(
      'b vs a: −2.5 pp [−5.1 pp to +0.1 pp], not significant yet (400 vs 600 contacts); ' +
        'treated vs holdout: +3 pp [+0.6 pp to +5.4 pp], significant (treated converts better) (1000 vs 200 contacts)',
    );
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
