import { readFileSync } from 'node:fs';
import { readCustomersFile } from './local/import.ts';
import { customerOf, readEventsFile, replay, replayWindow } from './local/simulate.ts';
import { shardOf } from './local/simulate-shards.ts';
import { loadCompiledStrategy } from './shared/strategy/load.ts';

const dir = process.argv[2];
const strategy = loadCompiledStrategy('strategy/contact-strategy.yaml');
const { events } = readEventsFile(`${dir}/events.jsonl`);
const w = replayWindow(events);
const plan = readCustomersFile(`${dir}/customers.jsonl`, w.start);
const customers = plan.valid.flatMap((r) => r.events);
const cpu = async (label: string, ev: typeof events, cu: typeof customers) => {
  const c0 = process.cpuUsage();
  const t0 = performance.now();
  const o = await replay({ strategy, events: ev, customers: cu, start: w.start, until: w.until });
  const c = process.cpuUsage(c0);
  console.log(
    label,
    ev.length,
    'wall',
    Math.round(performance.now() - t0),
    'cpu',
    Math.round((c.user + c.system) / 1000),
    'replay',
    Math.round(o.timing.replayMs),
    'load',
    Math.round(o.timing.loadMs),
  );
};
const sh = (s: number) =>
  [
    events.filter((e) => shardOf(customerOf(e.detail) ?? '', 2) === s),
    customers.filter((e) => shardOf(customerOf(e.detail) ?? '', 2) === s),
  ] as const;
await cpu('warm', ...sh(1));
await cpu('full', events, customers);
await cpu('shard0', ...sh(0));
await cpu('shard1', ...sh(1));
await cpu('full', events, customers);
