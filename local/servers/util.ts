import { setTimeout as sleep } from 'node:timers/promises';

/** Dummy credentials: the local servers accept any signature. */
export const localCredentials = { accessKeyId: 'local', secretAccessKey: 'local' } as const;

/** Retries `probe` until it resolves or the timeout passes; rethrows the last error with context. */
export async function waitUntil(
  probe: () => Promise<unknown>,
  { timeoutMs, what, intervalMs = 100 }: { timeoutMs: number; what: string; intervalMs?: number },
): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  let last: unknown;
  while (Date.now() < deadline) {
    try {
      await probe();
      return;
    } catch (error) {
      last = error;
      if (error instanceof Error && /exited with code/.test(error.message)) break;
    }
    await sleep(intervalMs);
  }
  throw new Error(`${what} did not become ready within ${timeoutMs} ms`, { cause: last });
}
