import { invalid, type PatternLocation } from './errors.ts';

/**
 * Wildcard values: `*` matches any run of characters (also none); `\*` is a literal star and `\\`
 * a literal backslash; any other escape, and two consecutive stars, are invalid.
 */

/** A validated wildcard: the literal pieces between the stars (one piece when there is no star). */
export interface Wildcard {
  readonly source: string;
  readonly pieces: readonly string[];
}

const utf8Length = (text: string): number => Buffer.byteLength(text, 'utf8');

/**
 * Validates a wildcard value. Positions in messages count UTF-8 bytes of the value in quotes, as
 * EventBridge's messages do.
 */
export function parseWildcard(source: string, location: PatternLocation): Wildcard {
  const pieces: string[] = [];
  let piece = '';
  for (let i = 0; i < source.length; i++) {
    const ch = source[i];
    if (ch === '*') {
      if (source[i + 1] === '*') {
        invalid(`Consecutive wildcard characters at pos ${1 + utf8Length(source.slice(0, i))}`, location);
      }
      pieces.push(piece);
      piece = '';
    } else if (ch === '\\') {
      const next = source[i + 1];
      if (next !== '*' && next !== '\\') {
        invalid(`Invalid escape character at pos ${1 + utf8Length(source.slice(0, i))}`, location);
      }
      piece += next;
      i++;
    } else {
      piece += ch;
    }
  }
  pieces.push(piece);
  return { source, pieces };
}

/** A predicate for one wildcard; no regular expressions, so no catastrophic backtracking. */
export function wildcardMatcher({ pieces }: Wildcard): (value: string) => boolean {
  const first = pieces[0] ?? '';
  if (pieces.length === 1) return (value) => value === first;
  const last = pieces[pieces.length - 1] ?? '';
  const middle = pieces.slice(1, -1).filter((p) => p.length > 0);
  const fixed = first.length + last.length;
  if (middle.length === 0) {
    return (value) => value.length >= fixed && value.startsWith(first) && value.endsWith(last);
  }
  return (value) => {
    if (value.length < fixed || !value.startsWith(first) || !value.endsWith(last)) return false;
    const end = value.length - last.length;
    let at = first.length;
    for (const p of middle) {
      const found = value.indexOf(p, at);
      if (found < 0 || found + p.length > end) return false;
      at = found + p.length;
    }
    return true;
  };
}

const STAR = -1;

/** The pattern as EventBridge's byte machine sees it: the UTF-8 bytes of the quoted value. */
function tokens({ pieces }: Wildcard): number[] {
  const out: number[] = [0x22];
  pieces.forEach((piece, i) => {
    if (i > 0) out.push(STAR);
    for (const byte of Buffer.from(piece, 'utf8')) out.push(byte);
  });
  out.push(0x22);
  return out;
}

/**
 * EventBridge refuses wildcard patterns whose matching would be too non-deterministic: "Rule is
 * too complex - try using fewer wildcard characters or fewer repeating character sequences after
 * a wildcard character". The measure (after event-ruler's MachineComplexityEvaluator) is the
 * largest number of pattern prefixes that a single input can match at once, summed over the
 * wildcard patterns on one field. We simulate the patterns' automata together over every byte
 * that matters and stop as soon as the limit is reached.
 */
export const WILDCARD_COMPLEXITY_LIMIT = 10;
const MAX_STATES_EXPLORED = 20_000;

/** The complexity of the wildcards on one field; compare with WILDCARD_COMPLEXITY_LIMIT. */
export function wildcardComplexity(wildcards: readonly Wildcard[]): number {
  const machines = wildcards.filter((w) => w.pieces.length > 1).map(tokens);
  if (machines.length === 0) return 0;
  const alphabet = new Set<number>();
  for (const m of machines) for (const t of m) if (t !== STAR) alphabet.add(t);
  for (let other = 0; other < 256; other++) {
    if (!alphabet.has(other)) {
      alphabet.add(other);
      break;
    }
  }
  const step = (m: number[], active: readonly number[], byte: number): number[] => {
    const next = new Uint8Array(m.length + 1);
    for (const k of active) {
      const t = m[k];
      if (t === byte || t === STAR) next[k + 1] = 1;
      if (k > 0 && m[k - 1] === STAR) next[k] = 1;
    }
    for (let k = 0; k < m.length; k++) if (next[k] === 1 && m[k] === STAR) next[k + 1] = 1;
    const out: number[] = [];
    next.forEach((on, k) => {
      if (on === 1) out.push(k);
    });
    return out;
  };
  let worst = 0;
  const seen = new Set<string>();
  const queue: number[][][] = [machines.map(() => [0])];
  while (queue.length > 0 && seen.size < MAX_STATES_EXPLORED) {
    const state = queue.shift();
    if (!state) break;
    for (const byte of alphabet) {
      const next = machines.map((m, i) => step(m, state[i] ?? [], byte));
      const size = next.reduce((sum, active) => sum + active.length, 0);
      if (size === 0) continue;
      worst = Math.max(worst, size);
      if (worst >= WILDCARD_COMPLEXITY_LIMIT) return worst;
      const key = next.map((active) => active.join(',')).join('|');
      if (!seen.has(key)) {
        seen.add(key);
        queue.push(next);
      }
    }
  }
  return worst;
}
