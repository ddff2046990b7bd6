/**
 * The local runtime's simulated clock.
 *
 * The handlers read time only through `systemClock` (`Date.now()`), as they do in Lambda. To fast-forward
 * them without a code path of their own, the runtime replaces `Date.now` **in this process only** while
 * it runs (never in production code, which never imports `local/`): simulated time = wall-clock time +
 * an offset, so time keeps flowing between jumps. `new Date()` without arguments is left alone (swapping
 * the `Date` constructor breaks `instanceof Date` in libraries); nothing in `functions/` or `shared/`
 * uses it.
 */

/** `Date.now` as this module found it: the wall clock. */
const NATIVE_NOW = Date.now;

export class SimulatedClock {
  /** The wall clock as it was before {@link install}; the runtime's own timers run on it. */
  readonly realNow: () => number;
  private offset = 0;
  private installed = false;

  constructor(start?: number) {
    this.realNow = () => NATIVE_NOW.call(Date);
    if (start !== undefined) this.set(start);
  }

  /** Simulated epoch ms. */
  now(): number {
    return this.realNow() + this.offset;
  }

  /** Jumps to `ms` (forwards or backwards); time keeps flowing from there. */
  set(ms: number): void {
    if (!Number.isFinite(ms)) throw new RangeError('clock: not a time');
    this.offset = ms - this.realNow();
  }

  /** Makes `Date.now()` answer simulated time. Idempotent. */
  install(): void {
    if (this.installed) return;
    if (Date.now !== NATIVE_NOW) {
      throw new Error('clock: Date.now is already replaced (is another local runtime running here?)');
    }
    Date.now = () => this.now();
    this.installed = true;
  }

  /** Gives `Date.now` back. */
  uninstall(): void {
    if (!this.installed) return;
    Date.now = NATIVE_NOW;
    this.installed = false;
  }
}
