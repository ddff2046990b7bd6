import { describe, expect, it } from 'vitest';
import { StrategyValidationError } from '#shared/errors.ts';
import { openSealedStrategy, STRATEGY_BUNDLE_FORMAT } from '#shared/strategy/bundle.ts';
import { loadCompiledStrategy, strategyBundleJson } from '#shared/strategy/load.ts';

/** A function opens the strategy the build validated and sealed, without re-validating it. */
const FILE = 'strategy/contact-strategy.yaml';
const sealed = strategyBundleJson(FILE);

describe('the sealed strategy', () => {
  it('opens to exactly the validated strategy and templates', () => {
    const { strategy, templates } = loadCompiledStrategy(FILE);
    expect(openSealedStrategy(sealed)).toEqual(JSON.parse(JSON.stringify({ strategy, templates })));
    expect(JSON.parse(sealed).seal.format).toBe(STRATEGY_BUNDLE_FORMAT);
  });

  it.each([
    ['not JSON', 'version: 1', /is not JSON/],
    [
      'the raw YAML document of the old format',
      JSON.stringify({ document: {}, templates: {} }),
      /not a sealed strategy of format 1/,
    ],
    [
      'another format',
      JSON.stringify({ ...JSON.parse(sealed), seal: { ...JSON.parse(sealed).seal, format: 99 } }),
      /got format 99/,
    ],
    [
      'content changed after the build',
      JSON.stringify({ ...JSON.parse(sealed), strategy: { ...JSON.parse(sealed).strategy, version: 2 } }),
      /does not match its seal/,
    ],
  ])('refuses %s with a clear error', (_, json, message) => {
    expect(() => openSealedStrategy(json)).toThrow(StrategyValidationError);
    expect(() => openSealedStrategy(json)).toThrow(message);
  });
});
