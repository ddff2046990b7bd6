import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { writeSampleData } from '#local/sample-data.ts';
import type { SimulationResult } from '#local/simulate.ts';

export interface SimulateThroughput {
  /** Events of the history per second of the command's work on it: reading the files, loading the customers, replaying. */
  readonly eventsPerSecond: number;
  /** Per second of the replay alone (the figure `contact simulate` prints on its `replay:` line). */
  readonly replayEventsPerSecond: number;
  /** Per CPU second of the replay: on a busy machine, the rate to compare between runs. */
  readonly replayEventsPerCpuSecond: number;
  /** The whole process, start to exit: Node and tsx starting, the strategy compiled, the files read, the replay. */
  readonly processSeconds: number;
  readonly events: number;
  readonly customers: number;
  readonly runs: number;
}

const median = (xs: readonly number[]): number => {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)] ?? 0;
};

/**
 * `contact simulate` as a user runs it (`npx contact simulate --events ... --customers ...`), on the
 * demo's history (`contact sample-data`: 1,000 customers, 20,000 events over 60 days), each run in a
 * fresh Node process. The median of `runs`.
 */
export function simulateThroughput(runs = 3): SimulateThroughput {
  const dir = mkdtempSync(join(tmpdir(), 'simulate-bench-'));
  try {
    const { customersFile, eventsFile, data } = writeSampleData(dir);
    const results: { result: SimulationResult; seconds: number }[] = [];
    for (let i = 0; i < runs; i++) {
      const t0 = performance.now();
      const out = execFileSync(
        process.execPath,
        ['bin/contact.js', 'simulate', '--events', eventsFile, '--customers', customersFile, '--json'],
        { encoding: 'utf8', maxBuffer: 256 * 1024 * 1024, stdio: ['ignore', 'pipe', 'ignore'] },
      );
      const seconds = (performance.now() - t0) / 1000;
      results.push({ result: JSON.parse(out) as SimulationResult, seconds });
    }
    const timing = (f: (r: SimulationResult['timing']) => number | undefined) =>
      median(results.map(({ result }) => f(result.timing) ?? 0));
    return {
      eventsPerSecond: timing((t) => t.endToEndEventsPerSecond),
      replayEventsPerSecond: timing((t) => t.eventsPerSecond),
      replayEventsPerCpuSecond: timing((t) => t.eventsPerCpuSecond),
      processSeconds: Math.round(median(results.map((r) => r.seconds)) * 100) / 100,
      events: data.events.length,
      customers: data.customers.length,
      runs,
    };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
