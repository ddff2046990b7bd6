import { compileBranches } from './match.ts';
import { parsePattern } from './parse.ts';

/**
 * Amazon EventBridge event-pattern matching, in process and without dependencies, so that the
 * decision engine and the local runtime route events exactly as the deployed rules will.
 * Semantics follow EventBridge (and its open-source engine, event-ruler); the conformance corpus
 * in test/unit/event-pattern-conformance.test.ts checks them against answers from the real API.
 */

export { InvalidEventPatternError } from './errors.ts';

/** An event pattern as an object: field names mapping to nested patterns or arrays of alternatives. */
export type EventPattern = Record<string, unknown>;

/**
 * Throws InvalidEventPatternError when the pattern is invalid, exactly where EventBridge would
 * reject it, so that a strategy is refused at load time rather than at deployment.
 * The pattern may be an object or its JSON text (as the EventBridge API takes it).
 */
export function validateEventPattern(pattern: unknown): void {
  parsePattern(pattern);
}

/**
 * Validates once and returns a fast predicate: the pattern is compiled into closures, so the
 * engine pays for parsing once per campaign and then matches tens of thousands of events per
 * second. The predicate returns false for anything that is not an event object.
 */
export function compileEventPattern(pattern: unknown): (event: unknown) => boolean {
  const matches = compileBranches(parsePattern(pattern));
  const object = typeof pattern === 'string' ? (JSON.parse(pattern) as unknown) : pattern;
  const sources = exactStrings(object, 'source');
  const detailTypes = exactStrings(object, 'detail-type');
  if (!sources && !detailTypes) return matches;
  // A quick "no" first: most events on a bus are not for a given rule, and these two envelope fields
  // say so. A top-level field is part of every alternative of the pattern; a string value matches a
  // list of plain strings only by being one of them. Everything else is left to the full matcher.
  return (event) => {
    if (typeof event === 'object' && event !== null) {
      const e = event as Record<string, unknown>;
      if (sources && typeof e.source === 'string' && hasOwn(e, 'source') && !sources.has(e.source))
        return false;
      const detailType = e['detail-type'];
      if (detailTypes && typeof detailType === 'string' && hasOwn(e, 'detail-type'))
        if (!detailTypes.has(detailType)) return false;
    }
    return matches(event);
  };
}

const { hasOwn } = Object;

/** The values of a top-level field when the pattern lists plain strings only (exact matches). */
function exactStrings(pattern: unknown, field: string): Set<string> | undefined {
  if (typeof pattern !== 'object' || pattern === null || !hasOwn(pattern, field)) return undefined;
  const values = (pattern as Record<string, unknown>)[field];
  if (!Array.isArray(values) || values.length === 0) return undefined;
  if (!values.every((v) => typeof v === 'string')) return undefined;
  return new Set(values as string[]);
}

/**
 * Convenience for one-off checks (CLI, tests), like the TestEventPattern API: compiles and
 * matches. The event may be an object or its JSON text. Prefer compileEventPattern in loops.
 */
export function testEventPattern(pattern: unknown, event: unknown): boolean {
  return compileEventPattern(pattern)(typeof event === 'string' ? JSON.parse(event) : event);
}
