import { describe, expect, it } from 'vitest';
import { silentAfterHours } from '#shared/strategy/schema.ts';
import { formatPath, validateStrategy } from '#shared/strategy/validate.ts';
import { fixtureStrategyDocument, fixtureTemplates } from '../support/engine-fixture.ts';

/** `silentAfter`: how long a campaign may get no trigger before its alarm goes off. */
describe('silentAfter in the strategy', () => {
  const problems = (defaults: unknown, campaign: unknown) => {
    const doc = fixtureStrategyDocument() as {
      defaults?: Record<string, unknown>;
      campaigns: Record<string, unknown>[];
    };
    if (defaults !== undefined) doc.defaults = { ...doc.defaults, silentAfter: defaults };
    if (campaign !== undefined && doc.campaigns[0]) doc.campaigns[0].silentAfter = campaign;
    const result = validateStrategy(doc, fixtureTemplates);
    return {
      strategy: result.strategy,
      problems: result.problems.map((p) => `${formatPath(p.path)}: ${p.message}`),
    };
  };

  it('defaults to 24h, and takes whole hours up to 7d, or false, per campaign', () => {
    const { strategy } = problems(undefined, undefined);
    expect(strategy?.defaults.silentAfter).toBe('24h');
    expect(problems('3d', '6h').strategy?.campaigns[0]?.silentAfter).toBe('6h');
    expect(problems(undefined, false).strategy?.campaigns[0]?.silentAfter).toBe(false);
  });

  it.each([
    ['30m', 'defaults.silentAfter: "30m" must be whole hours from 1h to 7d (e.g. 24h, 3d), or false'],
    ['8d', 'defaults.silentAfter: "8d" must be whole hours from 1h to 7d (e.g. 24h, 3d), or false'],
    ['soon', 'defaults.silentAfter: "soon" is not a duration (use 7d, 12h, 30m)'],
  ])('refuses %s with the path and the fix', (value, message) => {
    const { strategy, problems: found } = problems(value, undefined);
    expect(strategy).toBeUndefined();
    expect(found).toEqual([message]);
  });

  it.each([
    ['1h', 1],
    ['90m', undefined],
    ['120m', 2],
    ['3d', 72],
    ['1w', 168],
    ['2w', undefined],
  ])('%s is %s hours', (value, hours) => {
    expect(silentAfterHours(value)).toBe(hours);
  });
});
