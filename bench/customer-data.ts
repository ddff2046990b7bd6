/**
 * The way into `contact simulate`, in isolation: reading the events and customers files, loading the
 * customers and applying the history's profile and consent events through `applyCustomerEvent` and
 * the in-memory store, with CPU times and µs per event type. The fingerprint (every outcome and error
 * message, every customer's export, the date index) must not change when this path is made faster.
 *
 *   npx tsx bench/customer-data.ts DIR   (DIR from `contact sample-data --out DIR`)
 */
import { createHash } from 'node:crypto';
import { readCustomersFile } from '#local/import.ts';
import { MemoryCustomerStore } from '#local/memory-store.ts';
import { envelope, readEventsFile, replayWindow, SimClock } from '#local/simulate.ts';
import { installFastParsers } from '#shared/contract/fast-parse.ts';
import { DEFAULT_STRATEGY_FILE, loadCompiledStrategy } from '#shared/strategy/load.ts';
import { applyCustomerEvent } from '#shared/use-cases/customer-data.ts';

// As `contact simulate` runs it: with the fast paths in front of the schemas.
installFastParsers();
const dir = process.argv[2];
if (!dir) throw new Error('usage: npx tsx bench/customer-data.ts DIR (from contact sample-data --out DIR)');
const strategy = loadCompiledStrategy(DEFAULT_STRATEGY_FILE);
const cpu = () => {
  const u = process.cpuUsage();
  return (u.user + u.system) / 1000;
};
let c0 = cpu();
const { events } = readEventsFile(`${dir}/events.jsonl`);
const readEv = cpu() - c0;
const { start } = replayWindow(events);
c0 = cpu();
const plan = readCustomersFile(`${dir}/customers.jsonl`, start);
const readCu = cpu() - c0;
const customers = plan.valid.flatMap((r) => r.events);
const clock = new SimClock(start);
const store = new MemoryCustomerStore({ sendRetentionMs: 30 * 86_400_000, now: () => clock.ms });
const deps = {
  store,
  strategy: strategy.strategy,
  clock,
  pushRegistry: { register: async (_a: string, t: string) => ({ endpointArn: `arn:x/${t}`, enabled: true }) },
  platformApplications: { fcm: 'arn:fcm', apns: 'arn:apns' },
};
const outcomes: string[] = [];
const per: Record<string, { n: number; ms: number }> = {};
const run = async (
  label: string,
  list: { source: string; detailType: string; detail: unknown; time?: number }[],
) => {
  let id = 0;
  for (const e of list) {
    const env = envelope(e as never, `${label}-${++id}`, e.time ?? start);
    if (e.time) clock.ms = e.time;
    const s = performance.now();
    try {
      outcomes.push(String(await applyCustomerEvent(deps as never, env)));
    } catch (error) {
      outcomes.push(`error ${(error as Error).name}: ${(error as Error).message}`);
    }
    const k = `${label} ${e.detailType}`;
    const r = per[k] ?? { n: 0, ms: 0 };
    per[k] = r;
    r.n++;
    r.ms += performance.now() - s;
  }
};
c0 = cpu();
await run('load', customers);
const load = cpu() - c0;
const hist = events.filter((e) => e.source.startsWith('contact.'));
c0 = cpu();
await run('hist', hist);
const histMs = cpu() - c0;
console.log(
  `read events ${readEv.toFixed(0)} ms cpu, customers ${readCu.toFixed(0)} ms cpu; load ${load.toFixed(0)} ms cpu (${customers.length}), history customer events ${histMs.toFixed(0)} ms cpu (${hist.length})`,
);
for (const [k, r] of Object.entries(per))
  console.log(`  ${k}: ${r.n} × ${((r.ms / r.n) * 1000).toFixed(1)} µs`);

const hash = createHash('sha256');
hash.update(JSON.stringify(events));
hash.update(JSON.stringify(plan));
hash.update(outcomes.join('\n'));
const ids = [
  ...new Set([...customers, ...hist].map((e) => (e.detail as { customerId: string }).customerId)),
].sort();
for (const id of ids) {
  const x = await store.exportCustomer(id);
  hash.update(JSON.stringify({ ...x, exportedAt: undefined }));
  hash.update(JSON.stringify((await store.load(id)).suppressions));
}
for (const day of ['01-01', '05-26', '11-03', '2026-04-13', '2026-05-01'])
  for (const a of ['birthDate', 'contractEndDate'])
    for (const an of [true, false]) {
      for await (const c of store.customersByDate(a, an, day)) hash.update(JSON.stringify(c));
    }
const errs = outcomes.filter((o) => o.startsWith('error')).length;
console.log(`fingerprint ${hash.digest('hex').slice(0, 16)} (${outcomes.length} outcomes, ${errs} errors)`);
