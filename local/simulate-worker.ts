import { parentPort } from 'node:worker_threads';
import { installFastParsers } from '#shared/contract/fast-parse.ts';
import type { BusEvent } from './import.ts';
import type { ReplayEvent } from './simulate.ts';
import { replay } from './simulate.ts';
import type { FromWorker, ShardJob, ToWorker } from './simulate-pool.ts';
import { parseShardEvents, planShardCustomers } from './simulate-shards.ts';

/**
 * One shard of `contact simulate --workers N` (see simulate-shards.ts): parses its lines, reports its
 * first and last event time, and once the window comes, validates its customers and replays them and
 * their events through each strategy, posting progress and one outcome per strategy.
 */
// As the main thread does (runSimulateCommand): the fast paths in front of the customer-data schemas.
installFastParsers();
const port = parentPort;
if (!port) throw new Error('simulate-worker.ts runs as a worker thread');
const post = (m: FromWorker) => port.postMessage(m);

let job: ShardJob | undefined;
let events: ReplayEvent[] = [];
/** Waiting for the go after the customers loaded. */
let go: (() => void) | undefined;

port.on('message', (m: ToWorker) => {
  if (m.kind === 'job') {
    job = m;
    const parsed = parseShardEvents(m.events);
    events = parsed.events;
    post({
      kind: 'parsed',
      count: events.length,
      ...(events.length > 0 && { first: events[0]?.time, last: events.at(-1)?.time }),
      unreadable: parsed.unreadable,
    });
    return;
  }
  if (m.kind === 'go') {
    go?.();
    go = undefined;
    return;
  }
  void run(m.start, m.until, m.customers);
});

async function run(start: number, until: number, csvCustomers?: readonly BusEvent[]): Promise<void> {
  if (!job) throw new Error('simulate worker: a window before the job');
  let customers = csvCustomers ?? [];
  if (job.customers) {
    const plan = planShardCustomers(job.customers, start);
    customers = plan.events;
    post({ kind: 'customers', rows: plan.rows, invalid: plan.invalid });
  }
  for (const [run, strategy] of job.strategies.entries()) {
    const outcome = await replay({
      strategy,
      customers,
      events,
      start,
      until,
      ...(job.render && { render: true }),
      ...(job.sendHour !== undefined && { sendHour: job.sendHour }),
      onProgress: (done) => post({ kind: 'progress', run, done }),
      loaded: () =>
        new Promise<void>((resolve) => {
          go = resolve;
          post({ kind: 'loaded', run });
        }),
    });
    post({ kind: 'result', run, outcome: job.records ? outcome : { ...outcome, records: [] } });
  }
}
