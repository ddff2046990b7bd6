import { statSync } from 'node:fs';
import { availableParallelism, loadavg } from 'node:os';
import { Worker } from 'node:worker_threads';
import type { CompiledStrategy } from '#shared/strategy/load.ts';
import type { BusEvent, RowProblem } from './import.ts';
import type { ReplayOutcome } from './simulate.ts';

/**
 * The worker threads of `contact simulate --workers N` and what they say to each other (the work itself:
 * simulate-shards.ts). This module imports nothing heavy, so that the CLI can start the workers before
 * it loads the simulator: a worker spends over a second of CPU loading the modules through tsx (zod,
 * libphonenumber and Handlebars are most of it), and does that while this thread does the same.
 */

/** A worker's job: its shard's lines, and what to run over them. */
export interface ShardJob {
  readonly kind: 'job';
  readonly strategies: readonly CompiledStrategy[];
  readonly render: boolean;
  /** Send the contact history back with each outcome (else `records` is empty: the tally is in it). */
  readonly records: boolean;
  readonly sendHour?: number;
  readonly events: ShardLines;
  /** JSON-lines customers of the shard (a CSV file is read here and sent as events with the window). */
  readonly customers?: ShardLines;
}

/** Lines of one shard: joined by `\n`, and each one's line number in its file. */
export interface ShardLines {
  readonly text: string;
  readonly numbers: Int32Array<ArrayBuffer>;
}

export type ToWorker =
  | ShardJob
  | { readonly kind: 'go' }
  | {
      readonly kind: 'window';
      readonly start: number;
      readonly until: number;
      readonly customers?: readonly BusEvent[];
    };

export type FromWorker =
  | {
      readonly kind: 'parsed';
      readonly count: number;
      readonly first?: number;
      readonly last?: number;
      readonly unreadable: readonly RowProblem[];
    }
  | { readonly kind: 'customers'; readonly rows: number; readonly invalid: readonly RowProblem[] }
  | { readonly kind: 'loaded'; readonly run: number }
  | { readonly kind: 'progress'; readonly run: number; readonly done: number }
  | { readonly kind: 'result'; readonly run: number; readonly outcome: ReplayOutcome };

// --- How many threads ------------------------------------------------------------------------------

/**
 * Below this size of events file, one thread. Splitting costs a worker's start-up (loading the modules
 * through tsx: 1.3–1.5 s of CPU measured on a busy 2-core machine), a second JIT
 * warm-up, and copying the lines across; a history this small replays in a few seconds, most of them
 * warming up, so splitting it saves nothing. Measured on the demo history (3.7 MB, 20,000 events) and a
 * 200,000-event one (37 MB): see local/README.md.
 */
export const SHARD_FROM_BYTES = 16 * 1024 * 1024;

/**
 * The default thread count: one for a small history; else one per idle core — the cores less the
 * one-minute load average, rounded, at least one and at most 8 — since a thread on a busy core only
 * shares it and adds the overhead.
 */
export function defaultWorkers(
  eventsFile: string,
  cores = availableParallelism(),
  load = loadavg()[0] ?? 0,
): number {
  let bytes = 0;
  try {
    bytes = statSync(eventsFile).size;
  } catch {
    return 1; // reading it will say what is wrong
  }
  if (bytes < SHARD_FROM_BYTES) return 1;
  return Math.max(1, Math.min(8, Math.round(cores - load)));
}

/** Messages of one worker, as a queue to await. */
export class Inbox {
  private readonly queue: FromWorker[] = [];
  private waiting?: { resolve: (m: FromWorker) => void; reject: (e: unknown) => void };
  private failure?: unknown;

  /** Where the worker's progress goes (set by the run). */
  onProgress: (run: number, done: number) => void = () => {};

  constructor(readonly worker: Worker) {
    worker.on('message', (m: FromWorker) => {
      if (m.kind === 'progress') return this.onProgress(m.run, m.done);
      if (this.waiting) {
        this.waiting.resolve(m);
        this.waiting = undefined;
      } else this.queue.push(m);
    });
    const fail = (error: unknown) => {
      this.failure ??= error;
      this.waiting?.reject(error);
      this.waiting = undefined;
    };
    worker.on('error', fail);
    worker.on('exit', (code) => fail(new Error(`a simulate worker stopped early (exit code ${code})`)));
  }

  async next<K extends FromWorker['kind']>(kind: K): Promise<Extract<FromWorker, { kind: K }>> {
    const m =
      this.queue.shift() ??
      (await new Promise<FromWorker>((resolve, reject) => {
        if (this.failure !== undefined) reject(this.failure);
        else this.waiting = { resolve, reject };
      }));
    if (m.kind !== kind) throw new Error(`simulate worker: expected ${kind}, got ${m.kind}`);
    return m as Extract<FromWorker, { kind: K }>;
  }
}

const WORKER_URL = new URL('./simulate-worker.js', import.meta.url);

/** Worker threads for shards 1 … n of a run (this thread is shard 0). */
export class WorkerPool {
  readonly inboxes: readonly Inbox[];
  constructor(workers: number) {
    this.inboxes = Array.from({ length: Math.max(0, workers) }, () => new Inbox(new Worker(WORKER_URL)));
  }
  /** Threads in all, this one included. */
  get threads(): number {
    return this.inboxes.length + 1;
  }
  async close(): Promise<void> {
    await Promise.all(this.inboxes.map((inbox) => inbox.worker.terminate()));
  }
}
