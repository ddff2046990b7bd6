import { beforeAll, describe, expect, it } from 'vitest';
import type { ContactRecord } from '#shared/domain/store.ts';
import { evaluateTrigger } from '#shared/use-cases/evaluate-trigger.ts';
import { recordActivity } from '#shared/use-cases/record-activity.ts';
import { differenceInterval, measureUplift } from '#shared/use-cases/uplift.ts';
import { busEvent, createPipeline, onboard, type Pipeline, pipelineEngine } from '../support/pipeline.ts';

/**
 * A seeded population through the real use cases and DynamoDB Local: 40 customers triggered on the
 * `control` campaign (50% holdout, goal OrderPlaced within 14 days) three times each, a day apart (the
 * holdout is assigned per customer, so each stays in their group); every third of them orders a week
 * later. The conversions of held-out customers are attributed to their holdout contact, and the uplift
 * is computed from the stored contact history per customer, not per contact.
 */
describe('conversions of treated and held-out customers, and the uplift from them', () => {
  let p: Pipeline;
  const history: ContactRecord[] = [];
  const expected = { sent: [0, 0], holdout: [0, 0] } as Record<'sent' | 'holdout', [number, number]>;

  beforeAll(async () => {
    p = await createPipeline(pipelineEngine('https://print.example.com/hook'));
    const ids = Array.from({ length: 40 }, (_, i) => `up-${i}`);
    for (const id of ids) await onboard(p, id, { email: `${id}@example.nl`, locale: 'nl' });
    const outcomes = new Map<string, 'sent' | 'holdout'>();
    for (let round = 0; round < 3; round++) {
      for (const id of ids) {
        const event = busEvent('test.control', id, {}, p.clock.now());
        const r = await evaluateTrigger(p.deps, { campaignId: 'control', event });
        if (r.outcome !== 'sent' && r.outcome !== 'holdout') throw new Error(`unexpected ${r.outcome}`);
        if ((outcomes.get(id) ?? r.outcome) !== r.outcome) throw new Error('a customer changed group');
        outcomes.set(id, r.outcome);
      }
      p.clock.ms += 86_400_000;
    }
    p.clock.ms += 5 * 86_400_000;
    for (const [i, id] of ids.entries()) {
      const group = outcomes.get(id) ?? 'sent';
      expected[group][0]++;
      if (i % 3 !== 0) continue;
      expected[group][1]++;
      const order = {
        ...busEvent('test.order', id, { orderId: `o-${id}`, total: 40 }, p.clock.now()),
        'detail-type': 'OrderPlaced',
      };
      await recordActivity(p.activity, order);
    }
    for (const id of ids) history.push(...(await p.store.exportCustomer(id)).contactHistory);
  });

  it('attributes conversions to held-out contacts as well as to sent ones', () => {
    const held = history.filter((r) => r.campaignId === 'control' && r.outcome === 'holdout');
    expect(held.length).toBeGreaterThan(5);
    expect(held.filter((r) => r.conversion).length).toBe(expected.holdout[1]);
    expect(held.filter((r) => r.conversion).length).toBeGreaterThan(0);
    expect(held.find((r) => r.conversion)?.conversion).toMatchObject({ value: 40 });
  });

  it('computes the uplift of the campaign from the stored history, one customer counted once', () => {
    const control = measureUplift(p.deps.engine.strategy.campaigns, history).find(
      (c) => c.campaignId === 'control',
    );
    expect(history.filter((r) => r.campaignId === 'control')).toHaveLength(120);
    expect([control?.treated.customers, control?.treated.conversions]).toEqual(expected.sent);
    expect([control?.holdout?.customers, control?.holdout?.conversions]).toEqual(expected.holdout);
    expect(control?.treated.contacts).toBe(3 * expected.sent[0]);
    expect(control?.holdout?.contacts).toBe(3 * expected.holdout[0]);
    const [[sent, sentConverted], [held, heldConverted]] = [expected.sent, expected.holdout];
    const { difference, interval } = differenceInterval(sentConverted, sent, heldConverted, held);
    expect(control?.uplift?.difference).toBeCloseTo(difference, 12);
    expect(control?.uplift?.interval).toEqual(interval);
    // 40 customers cannot tell a real difference from chance.
    expect(control?.uplift?.significant).toBe(false);
  });
});
