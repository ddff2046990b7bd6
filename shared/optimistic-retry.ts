/**
 * Optimistic concurrency on one customer's items: read, decide, write on a condition, and on a
 * conflict (someone else wrote first) wait a little and do it all again. The wait is random ("full
 * jitter") and doubles per attempt up to a cap, so concurrent writers to one customer spread out
 * instead of colliding again in lockstep.
 *
 * One loop for every such writer: the evaluate and next-best-offer use cases, and the DynamoDB store's
 * own read-modify-write items.
 */

/** What an attempt returns when its conditional write lost the race. */
export const CONFLICT = 'conflict' as const;

export interface OptimisticRetry {
  /** Attempts before giving up. */
  readonly maxAttempts: number;
  /** The first wait's upper bound in ms; each attempt doubles it. @default 5 */
  readonly baseMs?: number;
  /** Doublings at most (the wait stops growing after them). @default 6 */
  readonly maxDoublings?: number;
}

/** The wait before the attempt after `attempt` (0-based): random in [0, baseMs · 2^min(attempt, maxDoublings)). */
export function jitteredDelay(attempt: number, options: OptimisticRetry): number {
  return Math.random() * (options.baseMs ?? 5) * 2 ** Math.min(attempt, options.maxDoublings ?? 6);
}

/**
 * Runs `attempt` (told its 0-based number) until it returns something other than {@link CONFLICT},
 * waiting a jittered, growing delay after each conflict.
 * @throws the error `exhausted` makes when every attempt conflicted
 */
export async function retryOnConflict<T>(
  options: OptimisticRetry,
  attempt: (n: number) => Promise<T | typeof CONFLICT>,
  exhausted: () => Error,
): Promise<T> {
  for (let n = 0; n < options.maxAttempts; n++) {
    const result = await attempt(n);
    if (result !== CONFLICT) return result;
    if (n + 1 < options.maxAttempts)
      await new Promise((resolve) => setTimeout(resolve, jitteredDelay(n, options)));
  }
  throw exhausted();
}
