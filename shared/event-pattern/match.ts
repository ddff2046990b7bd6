import type { Branch, Leaf } from './parse.ts';
import { isScalar, type Scalar, type ScalarTest } from './values.ts';

/**
 * Matching. EventBridge sees an event as a list of fields: every scalar, named by the dot-joined
 * keys leading to it, with arrays spread into their elements (an empty array or object yields no
 * field at all). A sub-pattern matches when each of its fields matches, with "array consistency":
 * two fields taken from objects inside one array must come from the same element. Fields are
 * checked in the order of their names, and `exists: false` means "no such field in the elements
 * chosen so far".
 *
 * Three tiers, each exact where it answers and "unsure" where it cannot:
 * 1. fast: each field's path is walked directly, nothing is allocated. Unsure when the event has an
 *    array where two fields of the sub-pattern meet, or a key with a dot in it on the way.
 * 2. structural: one walk over the sub-pattern's tree; at a shared array it looks for one element
 *    satisfying all fields below it. Unsure when an `exists: false` field is below that array, or
 *    for keys with dots.
 * 3. slow: the event is flattened once (only the parts the pattern can use) and searched exactly.
 */

const NO = 0;
const YES = 1;
const UNSURE = 2;
type Outcome = typeof NO | typeof YES | typeof UNSURE;

type EventObject = Record<string, unknown>;
const { hasOwn } = Object;

/** Events from JSON are never this deep; the cap only stops self-referencing objects. */
const MAX_DEPTH = 1000;

interface Walk {
  found: boolean;
  matched: boolean;
  unsure: boolean;
}

/**
 * Compiles the fast check of one field. `shared[l]` says whether another field of the same
 * sub-pattern also lives under the first `l` segments: an array there needs the slow path.
 */
function compileFastLeaf(leaf: Leaf, shared: readonly boolean[]): (event: EventObject) => Outcome {
  const segments = leaf.segments;
  const depth = segments.length;
  const { test, absentOk } = leaf.spec;
  const absent: Outcome = absentOk ? YES : NO;
  // Keys with dots that would name the same field, e.g. "state.status" for state → status.
  const dotted: string[][] = segments.map((_, i) => {
    const keys: string[] = [];
    let key = segments[i] ?? '';
    for (let j = i + 1; j < depth; j++) {
      key += `.${segments[j]}`;
      keys.push(key);
    }
    return keys;
  });
  const hasDotted = dotted.some((keys) => keys.length > 0);

  const onScalar = (value: unknown): Outcome => {
    if (!isScalar(value)) return absent;
    return test?.(value) ? YES : NO;
  };

  const walk = (value: unknown, level: number, state: Walk, height: number): void => {
    if (state.matched || state.unsure || height > MAX_DEPTH) return;
    if (Array.isArray(value)) {
      for (const element of value) walk(element, level, state, height + 1);
      return;
    }
    if (level === depth) {
      if (isScalar(value)) {
        state.found = true;
        if (test?.(value)) state.matched = true;
      }
      return;
    }
    if (typeof value !== 'object' || value === null) return;
    const object = value as EventObject;
    for (const key of dotted[level] ?? []) {
      if (hasOwn(object, key)) {
        state.unsure = true;
        return;
      }
    }
    const segment = segments[level] ?? '';
    if (!hasOwn(object, segment)) return;
    const child = object[segment];
    if (Array.isArray(child) && shared[level + 1]) {
      state.unsure = true;
      return;
    }
    walk(child, level + 1, state, height + 1);
  };

  const fromArray = (array: unknown[], level: number): Outcome => {
    if (shared[level]) return UNSURE;
    const state: Walk = { found: false, matched: false, unsure: false };
    walk(array, level, state, 0);
    if (state.unsure) return UNSURE;
    if (state.matched) return YES;
    return state.found ? NO : absent;
  };

  const first = segments[0] ?? '';
  if (depth === 1) {
    return (event) => {
      if (!hasOwn(event, first)) return absent;
      const value = event[first];
      return Array.isArray(value) ? fromArray(value, 1) : onScalar(value);
    };
  }
  const second = segments[1] ?? '';
  if (depth === 2) {
    const dottedKey = `${first}.${second}`;
    return (event) => {
      if (hasOwn(event, dottedKey)) return UNSURE;
      if (!hasOwn(event, first)) return absent;
      const outer = event[first];
      if (typeof outer !== 'object' || outer === null) return absent;
      if (Array.isArray(outer)) return fromArray(outer, 1);
      const object = outer as EventObject;
      if (!hasOwn(object, second)) return absent;
      const value = object[second];
      return Array.isArray(value) ? fromArray(value, 2) : onScalar(value);
    };
  }
  return (event) => {
    let current: EventObject = event;
    for (let level = 0; level < depth; level++) {
      if (hasDotted) {
        for (const key of dotted[level] ?? []) if (hasOwn(current, key)) return UNSURE;
      }
      const segment = segments[level] ?? '';
      if (!hasOwn(current, segment)) return absent;
      const value = current[segment];
      if (Array.isArray(value)) return fromArray(value, level + 1);
      if (level === depth - 1) return onScalar(value);
      if (typeof value !== 'object' || value === null) return absent;
      current = value as EventObject;
    }
    return absent;
  };
}

// ---------------------------------------------------------------------------------------------
// Slow path: the event as EventBridge flattens it.

interface Field {
  readonly value: Scalar;
  /** Pairs of (array id, element index) for every array the field is inside. */
  readonly membership: readonly number[];
}

/** The flattened event: field name → every value with that name. */
export type FlatEvent = ReadonlyMap<string, readonly Field[]>;

/** The names of the fields a pattern uses, and every dot-joined prefix of them (to prune the walk). */
export interface Wanted {
  readonly fields: ReadonlySet<string>;
  readonly prefixes: ReadonlySet<string>;
}

/** Precomputes what the slow path needs to keep of an event for these field names. */
export function wantedFields(paths: Iterable<string>): Wanted {
  const fields = new Set(paths);
  const prefixes = new Set<string>();
  for (const path of fields) {
    let prefix = '';
    path.split('.').forEach((segment, i) => {
      prefix = i === 0 ? segment : `${prefix}.${segment}`;
      prefixes.add(prefix);
    });
  }
  return { fields, prefixes };
}

/**
 * Flattens the fields of `event` that the pattern uses. Subtrees whose dot-joined name is not a
 * prefix of a pattern field are skipped: no field under them can matter.
 */
export function flatten(event: EventObject, wanted: Wanted): FlatEvent {
  const fields = new Map<string, Field[]>();
  let arrays = 0;
  const visit = (
    value: unknown,
    path: string | undefined,
    membership: readonly number[],
    height: number,
  ): void => {
    if (height > MAX_DEPTH) return;
    if (Array.isArray(value)) {
      const id = arrays++;
      value.forEach((element: unknown, index) => {
        visit(element, path, [...membership, id, index], height + 1);
      });
    } else if (typeof value === 'object' && value !== null) {
      const object = value as EventObject;
      for (const key of Object.keys(object)) {
        const name = path === undefined ? key : `${path}.${key}`;
        if (wanted.prefixes.has(name)) visit(object[key], name, membership, height + 1);
      }
    } else if (path !== undefined && isScalar(value) && wanted.fields.has(path)) {
      const list = fields.get(path);
      const field: Field = { value, membership };
      if (list) list.push(field);
      else fields.set(path, [field]);
    }
  };
  visit(event, undefined, [], 0);
  return fields;
}

/** The exact, array-consistent search over one sub-pattern (fields sorted by name). */
function compileSlowBranch(leaves: readonly Leaf[]): (event: FlatEvent) => boolean {
  const sorted = [...leaves].sort((a, b) => (a.path < b.path ? -1 : a.path > b.path ? 1 : 0));
  return (event) => {
    const chosen = new Map<number, number>();
    const consistent = (membership: readonly number[]): boolean => {
      for (let i = 0; i < membership.length; i += 2) {
        const index = chosen.get(membership[i] ?? -1);
        if (index !== undefined && index !== membership[i + 1]) return false;
      }
      return true;
    };
    const search = (position: number): boolean => {
      const leaf = sorted[position];
      if (!leaf) return true;
      const test: ScalarTest | undefined = leaf.spec.test;
      let anyConsistent = false;
      for (const field of event.get(leaf.path) ?? []) {
        if (!consistent(field.membership)) continue;
        anyConsistent = true;
        if (!test?.(field.value)) continue;
        const added: number[] = [];
        for (let i = 0; i < field.membership.length; i += 2) {
          const id = field.membership[i] ?? -1;
          if (!chosen.has(id)) {
            chosen.set(id, field.membership[i + 1] ?? -1);
            added.push(id);
          }
        }
        const found = search(position + 1);
        for (const id of added) chosen.delete(id);
        if (found) return true;
      }
      return leaf.spec.absentOk && !anyConsistent && search(position + 1);
    };
    return search(0);
  };
}

// ---------------------------------------------------------------------------------------------
// Middle path: the sub-pattern as a tree of its field names, walked over the event once. At an
// array shared by several fields it looks for one element that satisfies all of them, which is
// exactly array consistency as long as no `exists: false` field lies below that array (where the
// name-order rule decides which elements count); then, and for keys with dots, it is unsure.

interface TrieNode {
  /** Child segments and their nodes, in parallel arrays (cheaper to walk than a Map). */
  readonly segments: string[];
  readonly children: TrieNode[];
  leaf: Leaf | undefined;
  /** Fields at or below this node, and whether one of them accepts absence. */
  fields: number;
  absentOk: boolean;
  /** Keys with dots naming a field below this node, relative to it, e.g. "state.status". */
  readonly dotted: string[];
  /** The outcome when the event has nothing at this node. */
  missing: Outcome;
}

function buildTrie(leaves: readonly Leaf[]): TrieNode {
  const newNode = (): TrieNode => ({
    segments: [],
    children: [],
    leaf: undefined,
    fields: 0,
    absentOk: false,
    dotted: [],
    missing: YES,
  });
  const root = newNode();
  for (const leaf of leaves) {
    const path: TrieNode[] = [root];
    let node = root;
    for (const segment of leaf.segments) {
      const index = node.segments.indexOf(segment);
      let child = node.children[index];
      if (index < 0 || !child) {
        child = newNode();
        node.segments.push(segment);
        node.children.push(child);
      }
      node = child;
      path.push(node);
    }
    node.leaf = leaf;
    path.forEach((n, depth) => {
      n.fields++;
      if (leaf.spec.absentOk) n.absentOk = true;
      else n.missing = NO;
      const rest = leaf.segments.slice(depth);
      for (let end = 2; end <= rest.length; end++) {
        const key = rest.slice(0, end).join('.');
        if (!n.dotted.includes(key)) n.dotted.push(key);
      }
    });
  }
  return root;
}

const hasAnyKey = (object: EventObject, keys: readonly string[]): boolean => {
  for (let i = 0; i < keys.length; i++) if (hasOwn(object, keys[i] ?? '')) return true;
  return false;
};

function compileStructural(leaves: readonly Leaf[]): (event: EventObject) => Outcome {
  const root = buildTrie(leaves);

  /** A node with one field below: every value under it counts, in any element of any array. */
  const single = (node: TrieNode, value: unknown, state: Walk, height: number): void => {
    if (state.matched || state.unsure || height > MAX_DEPTH) return;
    if (Array.isArray(value)) {
      for (const element of value) single(node, element, state, height + 1);
    } else if (node.children.length === 0) {
      if (isScalar(value)) {
        state.found = true;
        if (node.leaf?.spec.test?.(value)) state.matched = true;
      }
    } else if (typeof value === 'object' && value !== null) {
      const object = value as EventObject;
      if (hasAnyKey(object, node.dotted)) {
        state.unsure = true;
        return;
      }
      const segment = node.segments[0] ?? '';
      const child = node.children[0];
      if (child && hasOwn(object, segment)) single(child, object[segment], state, height + 1);
    }
  };

  const evaluate = (node: TrieNode, value: unknown, height: number): Outcome => {
    if (height > MAX_DEPTH) return UNSURE;
    const { leaf, children } = node;
    if (node.fields === 1 && (children.length > 0 || Array.isArray(value))) {
      const state: Walk = { found: false, matched: false, unsure: false };
      single(node, value, state, height);
      if (state.unsure) return UNSURE;
      if (state.matched) return YES;
      return state.found || !node.absentOk ? NO : YES;
    }
    if (leaf && children.length > 0) return UNSURE;
    if (Array.isArray(value)) {
      if (node.absentOk) return UNSURE;
      let outcome: Outcome = NO;
      for (const element of value) {
        const r = evaluate(node, element, height + 1);
        if (r === YES) return YES;
        if (r === UNSURE) outcome = UNSURE;
      }
      return outcome;
    }
    if (leaf) {
      if (!isScalar(value)) return node.missing;
      return leaf.spec.test?.(value) ? YES : NO;
    }
    if (typeof value !== 'object' || value === null) return node.missing;
    const object = value as EventObject;
    if (hasAnyKey(object, node.dotted)) return UNSURE;
    let outcome: Outcome = YES;
    for (let i = 0; i < children.length; i++) {
      const child = children[i];
      if (!child) continue;
      const segment = node.segments[i] ?? '';
      const r = hasOwn(object, segment) ? evaluate(child, object[segment], height + 1) : child.missing;
      if (r === NO) return NO;
      if (r === UNSURE) outcome = UNSURE;
    }
    return outcome;
  };
  return (event) => evaluate(root, event, 0);
}

// ---------------------------------------------------------------------------------------------

interface CompiledBranch {
  readonly fast: (event: EventObject) => Outcome;
  readonly structural: (event: EventObject) => Outcome;
  readonly slow: (event: FlatEvent) => boolean;
}

function compileBranch(leaves: Branch): CompiledBranch {
  // How many fields of this sub-pattern live under each path prefix.
  const under = new Map<string, number>();
  for (const leaf of leaves) {
    let prefix = '';
    leaf.segments.forEach((segment, i) => {
      prefix = i === 0 ? segment : `${prefix}.${segment}`;
      under.set(prefix, (under.get(prefix) ?? 0) + 1);
    });
  }
  // Cheap, selective fields first; `exists: false` fields (which must look everywhere) last.
  const ordered = [...leaves].sort(
    (a, b) => Number(a.spec.test === undefined) - Number(b.spec.test === undefined),
  );
  const checks = ordered.map((leaf) => {
    const shared: boolean[] = [false];
    let prefix = '';
    leaf.segments.forEach((segment, i) => {
      prefix = i === 0 ? segment : `${prefix}.${segment}`;
      shared.push((under.get(prefix) ?? 0) > 1);
    });
    return compileFastLeaf(leaf, shared);
  });
  let fast: (event: EventObject) => Outcome;
  const [a, b, c] = checks;
  if (checks.length === 1 && a) {
    fast = a;
  } else if (checks.length === 2 && a && b) {
    fast = (event) => {
      const ra = a(event);
      if (ra === NO) return NO;
      const rb = b(event);
      return rb === NO ? NO : ra === UNSURE || rb === UNSURE ? UNSURE : YES;
    };
  } else if (checks.length === 3 && a && b && c) {
    fast = (event) => {
      const ra = a(event);
      if (ra === NO) return NO;
      const rb = b(event);
      if (rb === NO) return NO;
      const rc = c(event);
      return rc === NO ? NO : ra === UNSURE || rb === UNSURE || rc === UNSURE ? UNSURE : YES;
    };
  } else {
    fast = (event) => {
      let outcome: Outcome = YES;
      for (const check of checks) {
        const r = check(event);
        if (r === NO) return NO;
        if (r === UNSURE) outcome = UNSURE;
      }
      return outcome;
    };
  }
  return { fast, structural: compileStructural(leaves), slow: compileSlowBranch(leaves) };
}

/** Compiles the sub-patterns into one predicate over events. */
export function compileBranches(branches: readonly Branch[]): (event: unknown) => boolean {
  const wanted = wantedFields(branches.flatMap((branch) => branch.map((leaf) => leaf.path)));
  const compiled = branches.map(compileBranch);
  const isEvent = (event: unknown): event is EventObject =>
    typeof event === 'object' && event !== null && !Array.isArray(event);
  const only = compiled[0];
  if (compiled.length === 1 && only) {
    const { fast, structural, slow } = only;
    return (event) => {
      if (!isEvent(event)) return false;
      let outcome = fast(event);
      if (outcome === UNSURE) outcome = structural(event);
      return outcome === UNSURE ? slow(flatten(event, wanted)) : outcome === YES;
    };
  }
  return (event) => {
    if (!isEvent(event)) return false;
    let flat: FlatEvent | undefined;
    for (const branch of compiled) {
      let outcome = branch.fast(event);
      if (outcome === UNSURE) outcome = branch.structural(event);
      if (outcome === YES) return true;
      if (outcome === UNSURE) {
        flat ??= flatten(event, wanted);
        if (branch.slow(flat)) return true;
      }
    }
    return false;
  };
}
