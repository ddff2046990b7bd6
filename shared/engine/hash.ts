/**
 * A stable bucket in [0, 10000) for a string: FNV-1a over UTF-16 code units, then murmur3's fmix32
 * finaliser so that near-identical keys (customer-1, customer-2) spread evenly. Deterministic across
 * processes and replays — a customer stays in the same holdout group and variant every time.
 */
export function bucketOf(key: string): number {
  return finish(fnv(0x811c9dc5, key));
}

/** `bucketOf(`${a}#${b}#${c}`)`, without building the string (the engine asks twice per decision). */
export function bucketOf3(a: string, b: string, c: string): number {
  return finish(fnv(Math.imul(fnv(Math.imul(fnv(0x811c9dc5, a) ^ 35, 0x01000193), b) ^ 35, 0x01000193), c));
}

function fnv(seed: number, key: string): number {
  let h = seed;
  for (let i = 0; i < key.length; i++) {
    h ^= key.charCodeAt(i);
    h = Math.imul(h, 0x01000193);
  }
  return h;
}

function finish(hash: number): number {
  let h = hash;
  h ^= h >>> 16;
  h = Math.imul(h, 0x85ebca6b);
  h ^= h >>> 13;
  h = Math.imul(h, 0xc2b2ae35);
  h ^= h >>> 16;
  return (h >>> 0) % 10_000;
}

export { shortHash } from '#shared/domain/hash.ts';
