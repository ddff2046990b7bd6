import { beforeAll, describe, expect, it } from 'vitest';
import { compileEngine } from '#shared/engine/compile.ts';
import { reservedChannel } from '#shared/engine/decide.ts';
import { bucketOf } from '#shared/engine/hash.ts';
import { validateStrategy } from '#shared/strategy/validate.ts';
import { evaluateTrigger } from '#shared/use-cases/evaluate-trigger.ts';
import {
  busEvent,
  createPipeline,
  onboard,
  type Pipeline,
  pipelineStrategy,
  pipelineTemplates,
} from '../support/pipeline.ts';

/**
 * A held-out customer takes the campaign's cap slot exactly as a send would: without it, a control
 * group customer is re-triggered on every event the cap would have stopped for a treated one, and the
 * demo showed 158 holdouts against 197 sends for a 10% holdout — groups that are not comparable.
 */
describe('holdout reserves the cap like a send (DynamoDB Local)', () => {
  let p: Pipeline;
  const DAY = 86_400_000;
  // `control`: 50% holdout, at most one contact per 30 days.
  const strategy = pipelineStrategy('https://print.example.com/hook');
  const control = strategy.campaigns.find((c) => c.id === 'control');
  if (!control) throw new Error('fixture has no control campaign');
  Object.assign(control, { caps: [{ max: 1, per: '30d' }] });

  const inHoldout = (id: string) => bucketOf(`${id}#control#holdout`) < 5000;
  const pick = (held: boolean) => {
    for (let i = 0; ; i++) if (inHoldout(`hc-${i}`) === held) return `hc-${i}`;
  };

  beforeAll(async () => {
    const result = validateStrategy(strategy, pipelineTemplates);
    if (!result.strategy) throw new Error(JSON.stringify(result.problems));
    p = await createPipeline(compileEngine({ strategy: result.strategy, templates: pipelineTemplates }));
  });

  it.each([
    ['held out', true, 'holdout'],
    ['treated', false, 'sent'],
  ] as const)('a %s customer is contacted once, then capped for 30 days', async (_, held, first) => {
    const id = pick(held);
    await onboard(p, id, { email: `${id}@example.nl`, locale: 'nl' });
    const run = (n: number) =>
      evaluateTrigger(p.deps, { campaignId: 'control', event: busEvent('test.control', id, { n }) });

    p.meter.reset();
    const one = await run(1);
    expect(one.outcome).toBe(first);
    // One Query, one conditional commit of the state item, one contact record: as for a send.
    expect(p.meter.calls).toEqual({ QueryCommand: 1, UpdateItemCommand: 1, PutItemCommand: 1 });

    p.clock.ms += DAY;
    const two = await run(2);
    expect([two.outcome, two.reason]).toEqual(['suppressed', 'cap_reached']);
    expect(two.facts).toContainEqual({ kind: 'cap', scope: 'campaign', count: 1, max: 1, per: '30d' });

    p.clock.ms += 30 * DAY;
    expect((await run(3)).outcome).toBe(first);
  });

  it('a holdout names the channel whose slot it took, and a redelivered event stays one holdout', async () => {
    const id = pick(true);
    await onboard(p, id, { email: `${id}@example.nl`, locale: 'nl' });
    const event = busEvent('test.control', id, { n: 1 });
    const first = await evaluateTrigger(p.deps, { campaignId: 'control', event });
    expect(first.outcome).toBe('holdout');
    expect(first.channel).toBeUndefined();
    expect(reservedChannel(first)).toBe('email');
    const state = await p.store.load(id);
    expect(state.sends).toEqual([expect.objectContaining({ campaignId: 'control', channel: 'email' })]);

    const again = await evaluateTrigger(p.deps, { campaignId: 'control', event });
    expect(again.reason).toBe('duplicate');
    const record = await p.store.getContact(id, 'control', first.idempotencyKey);
    expect(record).toMatchObject({ outcome: 'holdout', duplicates: 1 });
  });
});
