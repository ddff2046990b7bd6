/**
 * A short stable id (12 hex chars, 48 bits) for a string: names shared activity counters, and keys
 * the decided idempotency keys in the state item so that it stays small (see `decidedKey`).
 */
export function shortHash(value: string): string {
  let a = 0x811c9dc5;
  let b = 0x01000193;
  for (let i = 0; i < value.length; i++) {
    const c = value.charCodeAt(i);
    a = Math.imul(a ^ c, 0x01000193);
    b = Math.imul(b ^ c, 0x5bd1e995);
  }
  return ((a >>> 0).toString(16).padStart(8, '0') + (b >>> 0).toString(16).padStart(8, '0')).slice(0, 12);
}
