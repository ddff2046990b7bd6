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
  // The first 12 hex digits of a then b, from a table (toString(16) and padStart cost more than the loop).
  return (
    (HEX[a >>> 24] as string) +
    HEX[(a >>> 16) & 255] +
    HEX[(a >>> 8) & 255] +
    HEX[a & 255] +
    HEX[b >>> 24] +
    HEX[(b >>> 16) & 255]
  );
}

const HEX: readonly string[] = Array.from({ length: 256 }, (_, i) => i.toString(16).padStart(2, '0'));
