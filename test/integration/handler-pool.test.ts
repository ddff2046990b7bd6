import { Worker } from 'node:worker_threads';
import { afterAll, describe, expect, it } from 'vitest';
import { SimulatedClock } from '#local/clock.ts';
import { HandlerPool, PooledInvocationError } from '#local/handler-pool.ts';

// The local runtime's handler threads (`handlerThreads`): the handlers there must read the runtime's
// simulated clock, follow its every jump, and report a failed invocation by name and message, so the
// queues retry or dead-letter exactly as they do for a handler on the main thread. The end-to-end
// behaviour (routing, retries, accounting, agreement with `contact simulate`) is covered by the demo
// test, which runs its handlers in a thread.

const clockUrl = new URL('../../local/clock.ts', import.meta.url).href;

/** A thread that follows `clock` and answers every message with its `Date.now()`. */
function clockReader(clock: SimulatedClock): Worker {
  const code = `
    const { parentPort, workerData } = require('node:worker_threads');
    import('tsx/esm/api').then((tsx) => { tsx.register(); return import(${JSON.stringify(clockUrl)}); })
      .then(({ followClock }) => {
        followClock(workerData);
        parentPort.on('message', () => parentPort.postMessage(Date.now()));
        parentPort.postMessage('ready');
      });`;
  return new Worker(code, { eval: true, workerData: clock.shared });
}

const next = (worker: Worker) => new Promise<unknown>((resolve) => worker.once('message', resolve));

describe('handler threads', () => {
  const clock = new SimulatedClock(Date.parse('2026-03-02T09:00:00Z'));
  let pool: HandlerPool | undefined;
  afterAll(async () => {
    await pool?.stop();
  });

  it("read the runtime's simulated clock and follow its jumps", async () => {
    const reader = clockReader(clock);
    try {
      expect(await next(reader)).toBe('ready');
      reader.postMessage('now');
      const first = (await next(reader)) as number;
      expect(Math.abs(first - clock.now())).toBeLessThan(1000);
      expect(new Date(first).toISOString().slice(0, 13)).toBe('2026-03-02T09');

      clock.set(Date.parse('2026-04-15T21:05:00Z'));
      reader.postMessage('now');
      const jumped = (await next(reader)) as number;
      expect(jumped).toBeGreaterThanOrEqual(Date.parse('2026-04-15T21:05:00Z'));
      expect(jumped - clock.now()).toBeLessThanOrEqual(0);
      expect(clock.now() - jumped).toBeLessThan(1000);
    } finally {
      await reader.terminate();
    }
  }, 60_000);

  it('report a failed invocation by its error name and message', async () => {
    pool = await HandlerPool.start({ size: 1, clock: clock.shared, region: 'eu-west-1' });
    // No table is configured in this process's environment: the composition root refuses to build.
    const failed = pool.invoke('dateTriggers', { scheduledTime: '2026-03-02T09:05:00Z' });
    await expect(failed).rejects.toBeInstanceOf(PooledInvocationError);
    await expect(failed).rejects.toMatchObject({ name: 'ConfigError' });
  }, 60_000);
});
