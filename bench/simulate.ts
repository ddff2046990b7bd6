import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DEMO_HISTORY, type SampleOptions, writeSampleData } from '#local/sample-data.ts';

export interface SimulateThroughput {
  /** Events of the history per second of the command's work on it: reading the files, loading the customers, replaying. */
  readonly eventsPerSecond: number;
  /** Per second of the replay alone (the figure `contact simulate` prints on its `replay:` line). */
  readonly replayEventsPerSecond: number;
  /** Per CPU second of the replay (every thread's): on a busy machine, the rate to compare between runs. */
  readonly replayEventsPerCpuSecond: number;
  /** The whole process, start to exit: Node and tsx starting, the strategy compiled, the files read, the replay. */
  readonly processSeconds: number;
  /** Threads the replay ran on (`--workers`; the command's default unless the bench chose). */
  readonly workers: number;
  readonly events: number;
  readonly customers: number;
  readonly runs: number;
}

const median = (xs: readonly number[]): number => {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)] ?? 0;
};

/** A larger history: 10,000 customers, 200,000 events over 60 days. */
export const LARGE_HISTORY: SampleOptions = { customers: 10_000, events: 200_000, days: 60 };

/** The figures of the summary `contact simulate` prints (its `replay:` and `end to end:` lines). */
export function summaryFigures(text: string): {
  endToEnd: number;
  replay: number;
  replayPerCpu: number;
  workers: number;
} {
  const number = (s: string | undefined) => Number((s ?? '').replaceAll(',', ''));
  const replay = /^replay: .* — ([\d,]+) events\/s \(([\d,]+) per CPU second\).*?(?:; (\d+) threads)?$/m.exec(
    text,
  );
  const endToEnd = /^end to end: ([\d,]+) events\/s/m.exec(text);
  if (!replay || !endToEnd) throw new Error(`no replay or end-to-end line in:\n${text}`);
  return {
    endToEnd: number(endToEnd[1]),
    replay: number(replay[1]),
    replayPerCpu: number(replay[2]),
    workers: replay[3] === undefined ? 1 : number(replay[3]),
  };
}

/**
 * `contact simulate` as a user runs it (`npx contact simulate --events ... --customers ...`, the tables
 * and summary on stdout), each run in a fresh Node process, on a generated history (the demo's unless
 * told), with the command's default thread count unless `workers` is given. The median of `runs`.
 */
export function simulateThroughput(
  runs = 3,
  options: { history?: SampleOptions; workers?: number } = {},
): SimulateThroughput {
  const dir = mkdtempSync(join(tmpdir(), 'simulate-bench-'));
  try {
    const { customersFile, eventsFile, data } = writeSampleData(dir, options.history ?? DEMO_HISTORY);
    const results: { figures: ReturnType<typeof summaryFigures>; seconds: number }[] = [];
    for (let i = 0; i < runs; i++) {
      const t0 = performance.now();
      const out = execFileSync(
        process.execPath,
        [
          'bin/contact.js',
          'simulate',
          '--events',
          eventsFile,
          '--customers',
          customersFile,
          ...(options.workers !== undefined ? ['--workers', String(options.workers)] : []),
        ],
        { encoding: 'utf8', maxBuffer: 1024 * 1024 * 1024, stdio: ['ignore', 'pipe', 'ignore'] },
      );
      const seconds = (performance.now() - t0) / 1000;
      results.push({ figures: summaryFigures(out), seconds });
    }
    const of = (f: (r: ReturnType<typeof summaryFigures>) => number) =>
      median(results.map(({ figures }) => f(figures)));
    return {
      eventsPerSecond: of((f) => f.endToEnd),
      replayEventsPerSecond: of((f) => f.replay),
      replayEventsPerCpuSecond: of((f) => f.replayPerCpu),
      processSeconds: Math.round(median(results.map((r) => r.seconds)) * 100) / 100,
      workers: of((f) => f.workers),
      events: data.events.length,
      customers: data.customers.length,
      runs,
    };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
