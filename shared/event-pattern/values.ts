import { describeType, invalid, type PatternLocation } from './errors.ts';
import { type IpRange, ipInRange, looksLikeIp, parseCidr, parseIp, sameIp } from './ip.ts';
import { parseWildcard, type Wildcard, wildcardMatcher } from './wildcard.ts';

/**
 * One leaf of a pattern — the array of alternatives under a field — compiled into a test on a
 * single event value. Values are the JSON scalars; objects and arrays are never values (arrays
 * are spread into their elements before a test sees them).
 */
export type Scalar = string | number | boolean | null;
export type ScalarTest = (value: Scalar) => boolean;

export interface LeafSpec {
  /** True when a present value satisfies one of the alternatives; undefined when only `exists: false`. */
  readonly test: ScalarTest | undefined;
  /** `{ "exists": false }` is one of the alternatives: an absent field matches. */
  readonly absentOk: boolean;
  /** Wildcards used on this field (plain and anything-but), for the complexity limit. */
  readonly wildcards: readonly Wildcard[];
}

/** A JSON-style object (not an array, not a class instance): patterns accept only these. */
export const isPlainObject = (value: unknown): value is Record<string, unknown> => {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) return false;
  const proto: unknown = Object.getPrototypeOf(value);
  return proto === Object.prototype || proto === null;
};

/** The JSON scalars an event can hold; anything else (undefined, functions, …) is no value at all. */
export const isScalar = (value: unknown): value is Scalar =>
  value === null || typeof value === 'string' || typeof value === 'boolean' || typeof value === 'number';

// ---------------------------------------------------------------------------------------------
// Numbers. EventBridge compares numbers as decimals in [-5e9, 5e9] with at most six decimal
// places; an event number outside that never satisfies `numeric`, and a pattern number outside
// it (in `numeric` or a numeric anything-but) is invalid.

const FIVE_BILLION = 5e9;
const hasAtMostSixDecimals = (n: number): boolean => Math.round(n * 1e6) / 1e6 === n;

/** The number can be compared by `numeric`; NaN, infinities and out-of-range values cannot. */
export const isComparable = (n: number): boolean =>
  n >= -FIVE_BILLION && n <= FIVE_BILLION && hasAtMostSixDecimals(n);

function comparableOperand(value: number, location: PatternLocation): number {
  if (!(value >= -FIVE_BILLION && value <= FIVE_BILLION)) {
    invalid('Value must be between -5.0E9 and 5.0E9, inclusive', location);
  }
  if (!hasAtMostSixDecimals(value)) invalid(`Only values up to 6 decimals are supported: ${value}`, location);
  return value;
}

const LOWER_BOUNDS = new Set(['>', '>=']);
const UPPER_BOUNDS = new Set(['<', '<=']);

function numericTest(operands: unknown, location: PatternLocation): ScalarTest {
  if (!Array.isArray(operands)) {
    return invalid(`Value of numeric must be an array, not ${describeType(operands)}`, location);
  }
  const at = (i: number): PatternLocation => [...location, i];
  const operator = (i: number): string => {
    const op: unknown = operands[i];
    if (typeof op !== 'string') {
      return invalid(
        i === 0 ? 'Invalid member in numeric match: expected an operator' : 'Bad value in numeric range',
        at(i),
      );
    }
    return op;
  };
  const operand = (i: number, op: string): number => {
    const value: unknown = operands[i];
    if (value === undefined) return invalid(`Value of ${op} is missing`, at(i));
    if (typeof value !== 'number' || !Number.isFinite(value)) {
      return invalid(`Value of ${op} must be numeric, not ${describeType(value)}`, at(i));
    }
    return comparableOperand(value, at(i));
  };
  const first = operator(0);
  if (first !== '=' && !LOWER_BOUNDS.has(first) && !UPPER_BOUNDS.has(first)) {
    return invalid(`Unrecognized numeric range operator: ${first}`, at(0));
  }
  const firstValue = operand(1, first);
  let bottom = -FIVE_BILLION;
  let openBottom = false;
  let top = FIVE_BILLION;
  let openTop = false;
  if (first === '=') {
    if (operands.length > 2) invalid('Too many elements in numeric expression', at(2));
    return (v) => v === firstValue;
  }
  if (UPPER_BOUNDS.has(first)) {
    if (operands.length > 2) invalid('Too many elements in numeric expression', at(2));
    top = firstValue;
    openTop = first === '<';
  } else {
    bottom = firstValue;
    openBottom = first === '>';
    if (operands.length > 2) {
      const second = operator(2);
      if (!UPPER_BOUNDS.has(second)) return invalid(`Bad numeric range operator: ${second}`, at(2));
      top = operand(3, second);
      openTop = second === '<';
      if (operands.length > 4) invalid('Too many terms in numeric range expression', at(4));
    }
  }
  if (bottom >= top) invalid('Bottom must be less than top', location);
  return (v) =>
    typeof v === 'number' &&
    (openBottom ? v > bottom : v >= bottom) &&
    (openTop ? v < top : v <= top) &&
    isComparable(v);
}

// ---------------------------------------------------------------------------------------------
// Case-insensitive comparison: equal when the lower-case or the upper-case forms are equal, so
// that e.g. "ß" and "SS" compare like EventBridge's per-character case folding.

function caseless(kind: 'equals' | 'prefix' | 'suffix', text: string): (value: string) => boolean {
  const lower = text.toLowerCase();
  const upper = text.toUpperCase();
  switch (kind) {
    case 'equals':
      return (v) => v.toLowerCase() === lower || v.toUpperCase() === upper;
    case 'prefix':
      return (v) => v.toLowerCase().startsWith(lower) || v.toUpperCase().startsWith(upper);
    case 'suffix':
      return (v) => v.toLowerCase().endsWith(lower) || v.toUpperCase().endsWith(upper);
  }
}

// ---------------------------------------------------------------------------------------------

/** Reads the single key of a match expression such as `{ "prefix": "x" }`. */
function singleKey(
  expression: Record<string, unknown>,
  location: PatternLocation,
  missing: string,
): [string, unknown] {
  const keys = Object.keys(expression);
  const key = keys[0];
  if (key === undefined) return invalid(missing, location);
  if (keys.length > 1) invalid('Only one key allowed in match expression', [...location, keys[1] ?? '']);
  return [key, expression[key]];
}

function requireString(op: string, value: unknown, location: PatternLocation): string {
  if (typeof value !== 'string') {
    return invalid(`"${op}" match pattern must be a string, not ${describeType(value)}`, location);
  }
  return value;
}

/** `{ "prefix": "x" }` or `{ "prefix": { "equals-ignore-case": "x" } }`, and the same for suffix. */
function affixTest(kind: 'prefix' | 'suffix', value: unknown, location: PatternLocation): ScalarTest {
  if (isPlainObject(value)) {
    const [inner, text] = singleKey(value, location, `${kind} expression name not found`);
    if (inner !== 'equals-ignore-case')
      return invalid(`Unsupported ${kind} pattern: ${inner}`, [...location, inner]);
    const matches = caseless(kind, requireString('equals-ignore-case', text, [...location, inner]));
    return (v) => typeof v === 'string' && matches(v);
  }
  const text = requireString(kind, value, location);
  return kind === 'prefix'
    ? (v) => typeof v === 'string' && v.startsWith(text)
    : (v) => typeof v === 'string' && v.endsWith(text);
}

interface Collected {
  readonly tests: ScalarTest[];
  readonly wildcards: Wildcard[];
}

/** anything-but: a field that is present and whose value matches none of the listed things. */
function anythingButTest(value: unknown, location: PatternLocation, into: Collected): ScalarTest {
  if (isPlainObject(value)) {
    const [kind, operand] = singleKey(value, location, 'Anything-but expression name not found');
    const at: PatternLocation = [...location, kind];
    if (kind !== 'prefix' && kind !== 'suffix' && kind !== 'equals-ignore-case' && kind !== 'wildcard') {
      return invalid(`Unsupported anything-but pattern: ${kind}`, at);
    }
    if (!Array.isArray(operand) && typeof operand !== 'string' && typeof operand !== 'number') {
      return invalid(
        `Value of anything-but ${kind} must be an array or a single string, not ${describeType(operand)}`,
        at,
      );
    }
    const texts = (Array.isArray(operand) ? operand : [operand]).map((item: unknown, i) => {
      const itemAt = Array.isArray(operand) ? [...at, i] : at;
      const text = requireString(kind, item, itemAt);
      if ((kind === 'prefix' || kind === 'suffix') && text.length === 0) {
        invalid(`Empty ${kind} not allowed in anything-but`, itemAt);
      }
      return text;
    });
    let excluded: (v: string) => boolean;
    switch (kind) {
      case 'prefix':
        excluded = (v) => texts.some((t) => v.startsWith(t));
        break;
      case 'suffix':
        excluded = (v) => texts.some((t) => v.endsWith(t));
        break;
      case 'equals-ignore-case': {
        const lower = new Set(texts.map((t) => t.toLowerCase()));
        const upper = new Set(texts.map((t) => t.toUpperCase()));
        excluded = (v) => lower.has(v.toLowerCase()) || upper.has(v.toUpperCase());
        break;
      }
      case 'wildcard': {
        const wildcards = texts.map((t, i) => parseWildcard(t, Array.isArray(operand) ? [...at, i] : at));
        into.wildcards.push(...wildcards);
        const matchers = wildcards.map(wildcardMatcher);
        excluded = (v) => matchers.some((m) => m(v));
        break;
      }
    }
    // Values that are not strings can never be excluded by a string operation.
    return (v) => typeof v !== 'string' || !excluded(v);
  }
  const items: unknown[] = Array.isArray(value) ? value : [value];
  let strings = 0;
  let numbers = 0;
  items.forEach((item, i) => {
    const itemAt = Array.isArray(value) ? [...location, i] : location;
    if (typeof item === 'string') strings++;
    else if (typeof item === 'number' && Number.isFinite(item)) {
      comparableOperand(item, itemAt);
      numbers++;
    } else {
      invalid(
        `Inside anything-but, only strings and numbers are supported, not ${describeType(item)}`,
        itemAt,
      );
    }
  });
  if (strings > 0 && numbers > 0) {
    invalid('Inside anything-but list, either all values are numbers or all are strings', location);
  }
  if (items.length === 0) invalid('Inside anything-but list, at least one value is required', location);
  const excluded = new Set<Scalar>(items as Scalar[]);
  return (v) => !excluded.has(v);
}

/** Operators are case-sensitive and exactly these; anything else is invalid. */
function operatorTest(
  expression: Record<string, unknown>,
  location: PatternLocation,
  into: Collected,
  flags: { existsTrue: boolean; existsFalse: boolean },
): ScalarTest | undefined {
  const [op, value] = singleKey(expression, location, 'Match expression name not found');
  const at: PatternLocation = [...location, op];
  switch (op) {
    case 'prefix':
    case 'suffix':
      return affixTest(op, value, at);
    case 'equals-ignore-case': {
      const matches = caseless('equals', requireString(op, value, at));
      return (v) => typeof v === 'string' && matches(v);
    }
    case 'wildcard': {
      const wildcard = parseWildcard(requireString(op, value, at), at);
      into.wildcards.push(wildcard);
      const matches = wildcardMatcher(wildcard);
      return (v) => typeof v === 'string' && matches(v);
    }
    case 'anything-but':
      return anythingButTest(value, at, into);
    case 'numeric':
      return numericTest(value, at);
    case 'exists':
      if (value === true) flags.existsTrue = true;
      else if (value === false) flags.existsFalse = true;
      else invalid(`exists match pattern must be either true or false, not ${describeType(value)}`, at);
      return undefined;
    case 'cidr': {
      const range: IpRange = parseCidr(requireString(op, value, at), at);
      return (v) => {
        if (typeof v !== 'string') return false;
        const address = parseIp(v);
        return address !== undefined && ipInRange(address, range);
      };
    }
    default:
      return invalid(`Unrecognized match type ${op}`, at);
  }
}

/**
 * Validates and compiles the array of alternatives under one field. A value matches when it
 * matches any alternative; exact values are looked up in one Set.
 */
export function parseLeaf(alternatives: readonly unknown[], location: PatternLocation): LeafSpec {
  if (alternatives.length === 0) return invalid('Empty arrays are not allowed', location);
  const exact = new Set<Scalar>();
  const ipLiterals: Uint8Array[] = [];
  const into: Collected = { tests: [], wildcards: [] };
  const flags = { existsTrue: false, existsFalse: false };
  alternatives.forEach((alternative, i) => {
    const at: PatternLocation = [...location, i];
    if (typeof alternative === 'string') {
      exact.add(alternative);
      const address = looksLikeIp(alternative) ? parseIp(alternative) : undefined;
      if (address) ipLiterals.push(address);
    } else if (typeof alternative === 'number') {
      if (!Number.isFinite(alternative)) invalid('Match value must be a finite number', at);
      exact.add(alternative);
    } else if (alternative === null || typeof alternative === 'boolean') {
      exact.add(alternative);
    } else if (isPlainObject(alternative)) {
      const test = operatorTest(alternative, at, into, flags);
      if (test) into.tests.push(test);
    } else {
      invalid(
        `Match value must be String, number, true, false, or null, not ${describeType(alternative)}`,
        at,
      );
    }
  });
  const tests = into.tests;
  if (ipLiterals.length > 0) {
    // An exact IP address also matches the same address written differently (e.g. IPv6 zeros).
    tests.push((v) => {
      if (typeof v !== 'string' || !looksLikeIp(v)) return false;
      const address = parseIp(v);
      return address !== undefined && ipLiterals.some((ip) => sameIp(ip, address));
    });
  }
  let test: ScalarTest | undefined;
  if (flags.existsTrue) test = () => true;
  else if (tests.length === 0) test = exact.size === 0 ? undefined : (v) => exact.has(v);
  else if (exact.size === 0 && tests.length === 1) test = tests[0];
  else if (exact.size === 0) test = (v) => tests.some((t) => t(v));
  else test = (v) => exact.has(v) || tests.some((t) => t(v));
  return { test, absentOk: flags.existsFalse, wildcards: into.wildcards };
}
