import { createHash } from 'node:crypto';
import { StrategyValidationError } from '#shared/errors.ts';
import type { Strategy } from './schema.ts';
import type { TemplateSet } from './templates.ts';

/**
 * The strategy as a function receives it (`CONTACT_STRATEGY_JSON`, inlined into the bundle at build
 * time): the strategy *as validated* (zod's output: defaults filled in, percentages as numbers) with
 * its templates, sealed with a format number and a SHA-256 of exactly that content. A function then
 * opens it without re-validating: the build validated it, and the seal shows it is that very result
 * (no zod schema, no YAML parser at cold start). The YAML document rides along for the build steps
 * that re-read it (routes, dashboards); functions ignore it.
 *
 * Runtime code: imports nothing but node:crypto and the error classes.
 */

/** Bumped whenever the sealed shape changes; a function refuses a bundle of another format. */
export const STRATEGY_BUNDLE_FORMAT = 1;

export interface SealedStrategy {
  readonly document: unknown;
  readonly strategy: Strategy;
  readonly templates: TemplateSet;
  readonly seal: { readonly format: number; readonly sha256: string };
}

const digest = (strategy: unknown, templates: unknown): string =>
  createHash('sha256').update(JSON.stringify({ strategy, templates })).digest('hex');

/** Seals a validated strategy and its templates (build time, after validation). */
export function sealStrategy(document: unknown, strategy: Strategy, templates: TemplateSet): string {
  const sealed: SealedStrategy = {
    document,
    strategy,
    templates,
    seal: { format: STRATEGY_BUNDLE_FORMAT, sha256: digest(strategy, templates) },
  };
  return JSON.stringify(sealed);
}

/**
 * Opens a sealed strategy: the validated strategy and templates, unchanged since the build sealed them.
 * @throws {StrategyValidationError} when the text is not a sealed strategy of this format, or its
 *   content no longer matches its seal (say, edited by hand after the build).
 */
export function openSealedStrategy(json: string): { strategy: Strategy; templates: TemplateSet } {
  let sealed: Partial<SealedStrategy>;
  try {
    sealed = JSON.parse(json) as Partial<SealedStrategy>;
  } catch {
    throw new StrategyValidationError(['CONTACT_STRATEGY_JSON is not JSON'], 'CONTACT_STRATEGY_JSON');
  }
  const { strategy, templates, seal } = sealed;
  if (seal?.format !== STRATEGY_BUNDLE_FORMAT || strategy === undefined || templates === undefined) {
    throw new StrategyValidationError(
      [
        `CONTACT_STRATEGY_JSON is not a sealed strategy of format ${STRATEGY_BUNDLE_FORMAT} (got format ${String(seal?.format)}): build it with strategyBundleJson`,
      ],
      'CONTACT_STRATEGY_JSON',
    );
  }
  if (digest(strategy, templates) !== seal.sha256) {
    throw new StrategyValidationError(
      ['CONTACT_STRATEGY_JSON does not match its seal: it changed after the build validated it'],
      'CONTACT_STRATEGY_JSON',
    );
  }
  return { strategy, templates };
}
