import { describe, expect, it } from 'vitest';
import { compileEngine } from '#shared/engine/compile.ts';
import { sendRetentionMs } from '#shared/engine/retention.ts';
import type { Strategy } from '#shared/strategy/schema.ts';
import { validateStrategy } from '#shared/strategy/validate.ts';
import { dateIndexFor } from '#shared/use-cases/customer-data.ts';
import { fixtureStrategyDocument, fixtureTemplates, profile } from '../support/engine-fixture.ts';

/**
 * The profile function reads the strategy without compiling the engine (its bundle then stays under
 * 250 KB). What it reads — the date attributes to index, how long send times matter — must be what
 * the compiled engine would say.
 */

const DAY = 86_400_000;

function strategyWith(
  overrides: Record<string, Record<string, unknown>> = {},
  extra: unknown[] = [],
): Strategy {
  const document = fixtureStrategyDocument(overrides);
  const result = validateStrategy(
    { ...document, campaigns: [...document.campaigns, ...extra] },
    fixtureTemplates,
  );
  if (!result.strategy) throw new Error(JSON.stringify(result.problems));
  return result.strategy;
}

const renewal = (enabled: boolean) => ({
  id: 'renewal',
  enabled,
  trigger: { date: { attribute: 'contractEndDate', daysBefore: 30 } },
  channels: ['email'],
  caps: [{ max: 1, per: '60d' }],
  variants: [{ id: 'a', weight: 100, template: 'thanks' }],
});

describe('sendRetentionMs', () => {
  it('is the longest cap window of the global caps and the enabled campaigns, as the engine says', () => {
    for (const strategy of [
      strategyWith(),
      strategyWith({}, [renewal(true)]),
      strategyWith({}, [renewal(false)]),
      strategyWith({ loyalty: { enabled: false } }),
    ])
      expect(sendRetentionMs(strategy)).toBe(
        compileEngine({ strategy, templates: fixtureTemplates }).maxCapWindowMs,
      );
    expect(sendRetentionMs(strategyWith({}, [renewal(true)]))).toBe(90 * DAY); // loyalty's own 90d cap
    expect(sendRetentionMs(strategyWith({ loyalty: { enabled: false } }))).toBe(7 * DAY); // global 7d
  });

  it('is 0 without caps', () => {
    const strategy = strategyWith({ loyalty: { caps: [] } });
    expect(sendRetentionMs({ ...strategy, contactRules: { ...strategy.contactRules, caps: [] } })).toBe(0);
  });
});

describe('dateIndexFor', () => {
  const withEndDate = profile({ attributes: { contractEndDate: '2026-09-30' } });

  it('indexes the date attribute of an enabled date-triggered campaign, in the default time zone', () => {
    expect(dateIndexFor(strategyWith({}, [renewal(true)]), withEndDate)).toEqual([
      { attribute: 'contractEndDate', anniversary: false, key: '2026-09-30', timezone: 'Europe/Amsterdam' },
    ]);
  });

  it('skips a disabled campaign, as the compiled engine leaves it out', () => {
    expect(dateIndexFor(strategyWith({}, [renewal(false)]), withEndDate)).toEqual([]);
  });

  it("uses the customer's own time zone, and skips a value that is not a date", () => {
    const strategy = strategyWith({}, [renewal(true)]);
    expect(dateIndexFor(strategy, { ...withEndDate, timezone: 'Europe/Brussels' })[0]?.timezone).toBe(
      'Europe/Brussels',
    );
    expect(dateIndexFor(strategy, profile({ attributes: { contractEndDate: 'soon' } }))).toEqual([]);
  });
});
