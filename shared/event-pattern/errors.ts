/** Where in a pattern a problem is: `['detail', 'state', 0, 'prefix']` → `$.detail.state[0].prefix`. */
export type PatternLocation = readonly (string | number)[];

const IDENTIFIER = /^[A-Za-z_$][A-Za-z0-9_$]*$/;

/** Renders a location for messages; keys that are not identifiers are quoted. */
export function formatLocation(location: PatternLocation): string {
  let out = '$';
  for (const step of location) {
    if (typeof step === 'number') out += `[${step}]`;
    else out += IDENTIFIER.test(step) ? `.${step}` : `[${JSON.stringify(step)}]`;
  }
  return out;
}

/**
 * The pattern would be rejected by EventBridge (PutRule / TestEventPattern answer
 * `InvalidEventPatternException`). The message follows EventBridge's wording:
 * `Event pattern is not valid. Reason: <reason> at <location>`.
 */
export class InvalidEventPatternError extends Error {
  override name = 'InvalidEventPatternError';
  /** The reason alone, without the prefix and the location. */
  readonly reason: string;
  /** JSONPath-like location of the offending part of the pattern, e.g. `$.detail.state[0].prefix`. */
  readonly location: string;

  constructor(reason: string, location: PatternLocation = []) {
    const where = formatLocation(location);
    super(`Event pattern is not valid. Reason: ${reason} at ${where}`);
    this.reason = reason;
    this.location = where;
  }
}

/** Throws the error for `reason` at `location`; typed `never` so callers can narrow after it. */
export function invalid(reason: string, location: PatternLocation): never {
  throw new InvalidEventPatternError(reason, location);
}

/** `a string`, `a number`, `null`, `an array`, … for messages about a wrong JSON type. */
export function describeType(value: unknown): string {
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'an array';
  switch (typeof value) {
    case 'string':
      return 'a string';
    case 'number':
      return 'a number';
    case 'boolean':
      return 'a boolean';
    case 'object':
      return 'an object';
    default:
      return `a value of type ${typeof value}`;
  }
}
