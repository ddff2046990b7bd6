import { describeType, InvalidEventPatternError, invalid, type PatternLocation } from './errors.ts';
import { isPlainObject, type LeafSpec, parseLeaf } from './values.ts';
import { WILDCARD_COMPLEXITY_LIMIT, type Wildcard, wildcardComplexity } from './wildcard.ts';

/**
 * Validation and normalisation of a pattern. EventBridge flattens a pattern into fields named by
 * their dot-joined path (`{"detail":{"state":[…]}}` and `{"detail.state":[…]}` are the same field)
 * and expands `$or` into alternative sub-patterns; when two entries of one sub-pattern name the
 * same field, the later one in the pattern wins.
 */

/** One field of a pattern: its dot-joined path, its segments, and its compiled alternatives. */
export interface Leaf {
  readonly path: string;
  readonly segments: readonly string[];
  readonly spec: LeafSpec;
  /** Position in the pattern, for "the later entry wins". */
  readonly order: number;
}

interface Clause {
  readonly leaves: Map<string, Leaf>;
  /** Each `$or`: its alternatives. */
  readonly ors: Clause[][];
}

/** The sub-patterns a pattern stands for (its `$or`s multiplied out); it matches when one does. */
export type Branch = readonly Leaf[];

/** More alternatives than this is certainly a mistake, and would make compiling slow. */
export const MAX_BRANCHES = 1000;

/** Field names that cannot be used inside `$or`, where they would be ambiguous with operators. */
const RESERVED_IN_OR = new Set([
  'exactly',
  'equals-ignore-case',
  'prefix',
  'suffix',
  'anything-but',
  'exists',
  'wildcard',
  'numeric',
  'cidr',
  'html',
  '=',
  '<',
  '<=',
  '>',
  '>=',
  'regex',
  'not-wildcard',
  'not-equals-ignore-case',
  'date-after',
  'date-on-or-after',
  'date-before',
  'date-on-or-before',
  'in-date-range',
  'ip-address-in-range',
  'ip-address-not-in-range',
]);

class Parser {
  private order = 0;
  private readonly open = new Set<object>();

  parseObject(
    node: Record<string, unknown>,
    segments: readonly string[],
    clause: Clause,
    insideOr: boolean,
    location: PatternLocation,
  ): void {
    if (this.open.has(node)) invalid('The pattern refers to itself', location);
    const keys = Object.keys(node);
    if (keys.length === 0) invalid('Empty objects are not allowed', location);
    this.open.add(node);
    for (const key of keys) {
      const value = node[key];
      const at: PatternLocation = [...location, key];
      if (key === '$or') {
        this.parseOr(value, segments, clause, at);
        continue;
      }
      if (insideOr && RESERVED_IN_OR.has(key)) {
        invalid(`"${key}" is a reserved word and cannot be used as a field name inside $or`, at);
      }
      const path = [...segments, ...key.split('.')];
      if (isPlainObject(value)) {
        this.parseObject(value, path, clause, insideOr, at);
      } else if (Array.isArray(value)) {
        const leaf: Leaf = {
          path: path.join('.'),
          segments: path,
          spec: parseLeaf(value, at),
          order: this.order++,
        };
        clause.leaves.set(leaf.path, leaf);
      } else {
        invalid(`"${key}" must be an object or an array, not ${describeType(value)}`, at);
      }
    }
    this.open.delete(node);
  }

  private parseOr(
    value: unknown,
    segments: readonly string[],
    clause: Clause,
    location: PatternLocation,
  ): void {
    if (!Array.isArray(value)) {
      invalid(`$or must be an array of objects, not ${describeType(value)}`, location);
    }
    const alternatives = value.map((item: unknown, i): Clause => {
      const at: PatternLocation = [...location, i];
      if (!isPlainObject(item))
        return invalid(`Only JSON objects are allowed in a $or array, not ${describeType(item)}`, at);
      const alternative: Clause = { leaves: new Map(), ors: [] };
      this.parseObject(item, segments, alternative, true, at);
      return alternative;
    });
    if (alternatives.length < 2) invalid('$or needs at least 2 objects', location);
    clause.ors.push(alternatives);
  }
}

function merge(into: ReadonlyMap<string, Leaf>, from: ReadonlyMap<string, Leaf>): Map<string, Leaf> {
  const merged = new Map(into);
  for (const [path, leaf] of from) {
    const existing = merged.get(path);
    if (!existing || leaf.order > existing.order) merged.set(path, leaf);
  }
  return merged;
}

function expand(clause: Clause): Map<string, Leaf>[] {
  let branches = [new Map(clause.leaves)];
  for (const alternatives of clause.ors) {
    const options = alternatives.flatMap(expand);
    if (branches.length * options.length > MAX_BRANCHES) {
      invalid(`The $or alternatives expand to more than ${MAX_BRANCHES} combinations`, []);
    }
    branches = branches.flatMap((branch) => options.map((option) => merge(branch, option)));
  }
  return branches;
}

/**
 * Groups the wildcards of the whole pattern by field name. EventBridge measures them per state of
 * its automaton; grouping across `$or` alternatives can only over-count, never miss a rejection.
 */
function collectWildcards(clause: Clause, byPath: Map<string, Wildcard[]>): void {
  for (const leaf of clause.leaves.values()) {
    if (leaf.spec.wildcards.length === 0) continue;
    const list = byPath.get(leaf.path) ?? [];
    list.push(...leaf.spec.wildcards);
    byPath.set(leaf.path, list);
  }
  for (const alternatives of clause.ors)
    for (const alternative of alternatives) collectWildcards(alternative, byPath);
}

/** Parses a pattern given as an object or as JSON text, or throws InvalidEventPatternError. */
export function parsePattern(input: unknown): Branch[] {
  let pattern = input;
  if (typeof input === 'string') {
    try {
      pattern = JSON.parse(input);
    } catch (error) {
      throw new InvalidEventPatternError(`the pattern is not valid JSON (${(error as Error).message})`);
    }
  }
  if (!isPlainObject(pattern)) invalid(`Filter is not an object, but ${describeType(pattern)}`, []);
  const root: Clause = { leaves: new Map(), ors: [] };
  new Parser().parseObject(pattern, [], root, false, []);

  const wildcards = new Map<string, Wildcard[]>();
  collectWildcards(root, wildcards);
  for (const [path, list] of wildcards) {
    if (wildcardComplexity(list) >= WILDCARD_COMPLEXITY_LIMIT) {
      invalid(
        'Rule is too complex - try using fewer wildcard characters or fewer repeating character sequences after a wildcard character',
        path.split('.'),
      );
    }
  }
  return expand(root).map((branch) => [...branch.values()]);
}
