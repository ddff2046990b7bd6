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
  return compileBranches(parsePattern(pattern));
}

/**
 * Convenience for one-off checks (CLI, tests), like the TestEventPattern API: compiles and
 * matches. The event may be an object or its JSON text. Prefer compileEventPattern in loops.
 */
export function testEventPattern(pattern: unknown, event: unknown): boolean {
  return compileEventPattern(pattern)(typeof event === 'string' ? JSON.parse(event) : event);
}
