import { bucketOf } from '#shared/engine/hash.ts';
import type { CompiledStrategy } from '#shared/strategy/load.ts';
import { type BusEvent, isJsonLines, parseJsonLines, planRows, type RowProblem, readText } from './import.ts';
import {
  customerOf,
  isRecord,
  mergeReplays,
  parseEventLines,
  type ReplayEvent,
  replay,
  replayWindow,
  type SimulationResult,
} from './simulate.ts';
import { type ShardJob, type ShardLines, type ToWorker, WorkerPool } from './simulate-pool.ts';

/**
 * `contact simulate --workers N`: the replay split by customer over N threads (this one and N − 1
 * worker threads), each replaying its customers' events on its own clock, store and scheduler, the
 * results summed. The result is the same as one thread's, record for record: everything one decision
 * can change for another stays inside one customer — frequency caps (campaign and global caps count a
 * customer's own contacts), activity counters, consent, idempotency keys, holdout and variant buckets
 * (hashed from the customer id), deferred sends, the date index — and the ids a replay makes up are
 * numbered per customer (`PerCustomerCounter` in simulate.ts). Every thread stops its clock at every run
 * of the hourly date job, which reads only its own customers' dates, and at its own customers' deferred
 * sends; the other customers' stops change nothing for them.
 *
 * ## Input: each thread parses only its own lines
 *
 * This thread reads the files and cuts them into lines; a cheap scan of each line for its one
 * `"customerId":"…"` picks the shard (a stable hash of the id), and a line the scan cannot tell is parsed.
 * Each worker gets its shard's lines as one string (copying a string is far cheaper than cloning parsed
 * objects) and parses them itself, at the same time as the others. The replay window needs the first and
 * last event of the whole history, so the workers report theirs, and the replays start when the window
 * is known. A worker loads the TypeScript modules through tsx as `bin/contact.js` does
 * (`simulate-worker.js`), which takes over a second of CPU: it starts first, while this thread loads and reads.
 */

// --- Which shard a line belongs to ----------------------------------------------------------------

/** The customer's shard: a stable hash of the id (the engine's bucket), the same on every run and machine. */
export const shardOf = (customerId: string, shards: number): number => bucketOf(customerId) % shards;

const KEY = '"customerId":"';

/**
 * The customer id a JSON line names, found without parsing it: a string when the line holds the word
 * `customerId` exactly once, as `"customerId":"<id>"` with no escapes anywhere in the line; `undefined`
 * when the line holds no `customerId` at all (and no escapes, which could spell one); `null` when the
 * scan cannot tell (spaces around the colon, two of them, escapes): then the line is parsed.
 *
 * Where the one `customerId` stands does not matter: an event decides for the customer its
 * `detail.customerId` names, and an event without one changes no customer's state (every use case
 * refuses it), so it may be replayed by any shard.
 */
export function scanCustomerId(line: string): string | undefined | null {
  if (line.includes('\\')) return null;
  const at = line.indexOf('customerId');
  if (at < 0) return undefined;
  if (line.indexOf('customerId', at + 10) >= 0 || !line.startsWith(KEY, at - 1)) return null;
  const from = at - 1 + KEY.length;
  const end = line.indexOf('"', from);
  return end < 0 ? null : line.slice(from, end);
}

/**
 * Cuts a JSON-lines text into one list of lines per shard (blank lines dropped), with their line
 * numbers. `fallback` names the customer of a line the scan cannot tell; lines naming none, and lines
 * that are not JSON (their parser reports them), go to shard 0.
 */
export function splitLines(
  text: string,
  shards: number,
  fallback: (value: unknown) => string | undefined,
): { lines: string[][]; numbers: number[][] } {
  const lines: string[][] = Array.from({ length: shards }, () => []);
  const numbers: number[][] = Array.from({ length: shards }, () => []);
  let from = 0;
  let lineNo = 0;
  while (from <= text.length) {
    let to = text.indexOf('\n', from);
    if (to < 0) to = text.length;
    lineNo++;
    const line = text.slice(from, to);
    from = to + 1;
    if (line.trim() === '') continue;
    let id = scanCustomerId(line);
    if (id === null) {
      try {
        id = fallback(JSON.parse(line));
      } catch {
        id = undefined;
      }
    }
    const shard = id === undefined ? 0 : shardOf(id, shards);
    lines[shard]?.push(line);
    numbers[shard]?.push(lineNo);
  }
  return { lines, numbers };
}

const eventCustomer = (v: unknown) => (isRecord(v) ? customerOf(v.detail) : undefined);
const rowCustomer = (v: unknown) =>
  isRecord(v) && typeof v.customerId === 'string' ? v.customerId : undefined;

// --- Parsing one shard's lines --------------------------------------------------------------------

/** `parseEventLines` over a shard's lines, with the line numbers of the file. */
export function parseShardEvents(shard: ShardLines): { events: ReplayEvent[]; unreadable: RowProblem[] } {
  const { events, unreadable } = parseEventLines(shard.text);
  // parseEventLines numbers the lines it is given from 1; the mapping keeps their order (and the sort).
  for (const e of events) (e as { line: number }).line = shard.numbers[e.line - 1] ?? e.line;
  return {
    events,
    unreadable: unreadable.map((p) => ({ ...p, line: shard.numbers[p.line - 1] ?? p.line })),
  };
}

/** A shard's JSON-lines customers, validated as `contact import` does, as the events they become. */
export function planShardCustomers(
  shard: ShardLines,
  now: number,
): { events: BusEvent[]; rows: number; invalid: RowProblem[] } {
  const { rows, problems } = parseJsonLines(shard.text);
  const lineOf = (line: number) => shard.numbers[line - 1] ?? line;
  const plan = planRows(
    rows.map((r) => ({ ...r, line: lineOf(r.line) })),
    now,
  );
  return {
    events: plan.valid.flatMap((r) => r.events),
    rows: plan.rows + problems.length,
    invalid: [...problems.map((p) => ({ ...p, line: lineOf(p.line) })), ...plan.invalid],
  };
}

// --- The sharded run -------------------------------------------------------------------------------

export interface ShardedRun {
  readonly strategies: readonly CompiledStrategy[];
  readonly eventsFile: string;
  readonly customersFile?: string;
  readonly start?: number;
  readonly until?: number;
  readonly render?: boolean;
  readonly sendHour?: number;
  /** Threads in all (this one included); at least 2. */
  readonly workers: number;
  /** Workers started already (`new WorkerPool(workers - 1)`), else started here. Closed at the end. */
  readonly pool?: WorkerPool;
  /**
   * Bring the contact history back from the workers (`records` of the results). Copying it between
   * threads costs about as much as a tenth of the replay; the tally does not need it.
   * @default true
   */
  readonly records?: boolean;
  /** Events replayed so far, over every shard and run; `total` = events × runs. */
  readonly onProgress?: (done: number, total: number) => void;
}

export interface FilesRun {
  /** One result per strategy, in order. */
  readonly results: SimulationResult[];
  readonly unreadable: readonly RowProblem[];
  readonly invalidCustomers: readonly RowProblem[];
  /** Reading and parsing the events, until the window is known. */
  readonly readMs: number;
  /** When each strategy's result was complete (`performance.now()`). */
  readonly doneAt: readonly number[];
}

/**
 * Runs the strategies over the files on `workers` threads and merges the results (see the top of this
 * file). Throws when a worker fails; the workers are stopped either way.
 */
export async function simulateSharded(c: ShardedRun): Promise<FilesRun> {
  const pool = c.pool ?? new WorkerPool(Math.max(2, Math.floor(c.workers)) - 1);
  const shards = pool.threads;
  const inboxes = pool.inboxes;
  const started = performance.now();
  const progress: number[][] = c.strategies.map(() => new Array<number>(shards).fill(0));
  let total = 0;
  const report = (run: number, shard: number, done: number) => {
    const row = progress[run];
    if (row) row[shard] = done;
    c.onProgress?.(
      progress.reduce((n, r) => n + r.reduce((m, x) => m + x, 0), 0),
      total * c.strategies.length,
    );
  };
  for (const [i, inbox] of inboxes.entries()) inbox.onProgress = (run, done) => report(run, i + 1, done);
  try {
    const events = splitLines(readText(c.eventsFile), shards, eventCustomer);
    const customersText = c.customersFile ? readText(c.customersFile) : undefined;
    const jsonl =
      c.customersFile !== undefined &&
      customersText !== undefined &&
      isJsonLines(c.customersFile, customersText);
    const customers =
      jsonl && customersText !== undefined ? splitLines(customersText, shards, rowCustomer) : undefined;
    const shardLines = (split: { lines: string[][]; numbers: number[][] }, shard: number): ShardLines => ({
      text: (split.lines[shard] ?? []).join('\n'),
      numbers: Int32Array.from(split.numbers[shard] ?? []),
    });
    for (const [i, inbox] of inboxes.entries()) {
      const job: ShardJob = {
        kind: 'job',
        strategies: c.strategies,
        render: c.render === true,
        records: c.records !== false,
        ...(c.sendHour !== undefined && { sendHour: c.sendHour }),
        events: shardLines(events, i + 1),
        ...(customers && { customers: shardLines(customers, i + 1) }),
      };
      inbox.worker.postMessage(job, [
        job.events.numbers.buffer,
        ...(job.customers ? [job.customers.numbers.buffer] : []),
      ]);
    }
    const own = parseShardEvents(shardLines(events, 0));
    const parsed = await Promise.all(inboxes.map((inbox) => inbox.next('parsed')));
    const firsts = [own.events[0]?.time, ...parsed.map((p) => p.first)].filter((t) => t !== undefined);
    const lasts = [own.events.at(-1)?.time, ...parsed.map((p) => p.last)].filter((t) => t !== undefined);
    const window = replayWindow(
      firsts.length > 0 ? [{ time: Math.min(...firsts) }, { time: Math.max(...lasts) }] : [],
      {
        ...(c.start !== undefined && { start: c.start }),
        ...(c.until !== undefined && { until: c.until }),
      },
    );
    total = own.events.length + parsed.reduce((n, p) => n + p.count, 0);
    const unreadable = [...own.unreadable, ...parsed.flatMap((p) => p.unreadable)].sort(
      (a, b) => a.line - b.line,
    );
    const readMs = performance.now() - started;

    // A CSV customers file is read here (its rows are not lines), and each shard gets its customers' events.
    const { readCustomersFile } = await import('./import.ts');
    const csv = c.customersFile && !jsonl ? readCustomersFile(c.customersFile, window.start) : undefined;
    const csvShards: BusEvent[][] = Array.from({ length: shards }, () => []);
    for (const row of csv?.valid ?? []) csvShards[shardOf(row.customerId, shards)]?.push(...row.events);
    for (const [i, inbox] of inboxes.entries())
      inbox.worker.postMessage({
        kind: 'window',
        start: window.start,
        until: window.until,
        ...(csv && { customers: csvShards[i + 1] }),
      } satisfies ToWorker);
    const ownCustomers = customers
      ? planShardCustomers(shardLines(customers, 0), window.start)
      : { events: csvShards[0] ?? [], rows: 0, invalid: [] };
    const planned = customers ? await Promise.all(inboxes.map((inbox) => inbox.next('customers'))) : [];
    const invalidCustomers = [
      ...(csv?.invalid ?? []),
      ...ownCustomers.invalid,
      ...planned.flatMap((p) => p.invalid),
    ].sort((a, b) => a.line - b.line);

    let cpuFrom = process.cpuUsage();
    const results: SimulationResult[] = [];
    const doneAt: number[] = [];
    for (const [run, strategy] of c.strategies.entries()) {
      const mine = await replay({
        strategy,
        customers: ownCustomers.events,
        events: own.events,
        start: window.start,
        until: window.until,
        ...(c.render && { render: true }),
        ...(c.sendHour !== undefined && { sendHour: c.sendHour }),
        onProgress: (done) => report(run, 0, done),
        // Every shard's replay starts together, once all have loaded their customers.
        loaded: async () => {
          await Promise.all(inboxes.map((inbox) => inbox.next('loaded')));
          cpuFrom = process.cpuUsage();
          for (const inbox of inboxes) inbox.worker.postMessage({ kind: 'go' } satisfies ToWorker);
        },
      });
      const theirs = await Promise.all(inboxes.map((inbox) => inbox.next('result')));
      const parts = [mine, ...theirs.map((t) => t.outcome)];
      // Without the workers' records, none: a part of the history would pass for all of it.
      const merged = mergeReplays(
        strategy,
        c.records === false ? parts.map((p) => ({ ...p, records: [] })) : parts,
      );
      // process.cpuUsage() counts every thread: the replay's CPU time is the whole process's since the go.
      const cpu = process.cpuUsage(cpuFrom);
      const cpuMs = (cpu.user + cpu.system) / 1000;
      const replayed = mine.replayed + theirs.reduce((n, t) => n + t.outcome.replayed, 0);
      results.push({
        ...merged,
        timing: {
          ...merged.timing,
          cpuMs,
          eventsPerCpuSecond: Math.round(replayed / (Math.max(cpuMs, 0.001) / 1000)),
          workers: shards,
        },
      });
      doneAt.push(performance.now());
    }
    return { results, unreadable, invalidCustomers, readMs, doneAt };
  } finally {
    await pool.close();
  }
}
