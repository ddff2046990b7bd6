import type { DeferredSend, Scheduler } from '#shared/domain/ports.ts';

/**
 * The local stand-in for EventBridge Scheduler's one-time schedules: keeps deferred sends in memory
 * and hands those that are due to a callback (the same `deferred` use case the Lambda runs). The local
 * runtime calls `runDue` on a timer and when its clock is fast-forwarded.
 */
export class LocalScheduler implements Scheduler {
  private readonly pending = new Map<string, DeferredSend>();

  async schedule(send: DeferredSend): Promise<void> {
    // One schedule per decision, as the real adapter names schedules by idempotency key.
    this.pending.set(`${send.customerId}|${send.idempotencyKey}`, send);
  }

  get size(): number {
    return this.pending.size;
  }

  /** Runs every send due at `now` (oldest first); a failing one stays scheduled for the next run. */
  async runDue(
    now: number,
    run: (send: DeferredSend) => Promise<unknown>,
  ): Promise<{ ran: number; failed: number }> {
    const due = [...this.pending.entries()]
      .filter(([, s]) => s.at <= now)
      .sort(([, a], [, b]) => a.at - b.at);
    let failed = 0;
    for (const [key, send] of due) {
      try {
        await run(send);
        this.pending.delete(key);
      } catch {
        failed++;
      }
    }
    return { ran: due.length - failed, failed };
  }
}
