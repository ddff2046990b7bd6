import { afterEach, describe, expect, it, vi } from 'vitest';
import { CONFLICT, jitteredDelay, retryOnConflict } from '#shared/optimistic-retry.ts';

describe('retry on an optimistic-concurrency conflict', () => {
  afterEach(() => vi.restoreAllMocks());

  it('tries again after each conflict and returns the first result that is not one', async () => {
    const seen: number[] = [];
    const result = await retryOnConflict(
      { maxAttempts: 5, baseMs: 0 },
      async (n) => {
        seen.push(n);
        return n < 2 ? CONFLICT : 'done';
      },
      () => new Error('exhausted'),
    );
    expect(result).toBe('done');
    expect(seen).toEqual([0, 1, 2]);
  });

  it('throws the caller’s error after the last attempt conflicted, and never tries more often', async () => {
    let attempts = 0;
    const run = retryOnConflict(
      { maxAttempts: 3, baseMs: 0 },
      async () => {
        attempts++;
        return CONFLICT;
      },
      () => new RangeError('too many concurrent updates'),
    );
    await expect(run).rejects.toThrow(RangeError);
    expect(attempts).toBe(3);
  });

  it('passes an error of an attempt through at once', async () => {
    let attempts = 0;
    const run = retryOnConflict(
      { maxAttempts: 3 },
      async () => {
        attempts++;
        throw new TypeError('bad input');
      },
      () => new Error('exhausted'),
    );
    await expect(run).rejects.toThrow(TypeError);
    expect(attempts).toBe(1);
  });

  it('waits a random time below a bound that doubles per attempt up to its cap', () => {
    vi.spyOn(Math, 'random').mockReturnValue(0.999999);
    const bounds = [0, 1, 2, 6, 7, 20].map((n) => Math.round(jitteredDelay(n, { maxAttempts: 8 })));
    expect(bounds).toEqual([5, 10, 20, 320, 320, 320]);
    expect(Math.round(jitteredDelay(9, { maxAttempts: 10, baseMs: 10, maxDoublings: 5 }))).toBe(320);
    vi.spyOn(Math, 'random').mockReturnValue(0);
    expect(jitteredDelay(4, { maxAttempts: 8 })).toBe(0);
  });
});
