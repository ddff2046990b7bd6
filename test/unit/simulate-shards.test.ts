import { appendFileSync, cpSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import { readCustomersFile } from '#local/import.ts';
import { writeSampleData } from '#local/sample-data.ts';
import {
  customerOf,
  readEventsFile,
  replayWindow,
  runSimulateCommand,
  type SimulationResult,
  simulate,
} from '#local/simulate.ts';
import { defaultWorkers, SHARD_FROM_BYTES } from '#local/simulate-pool.ts';
import { scanCustomerId, shardOf, simulateSharded, splitLines } from '#local/simulate-shards.ts';
import { loadCompiledStrategy } from '#shared/strategy/load.ts';

/**
 * `contact simulate --workers N` splits the replay by customer over threads. These tests hold it to
 * the one-thread replay: the same tally per campaign and the same contact history, record by record
 * and field by field, on the demo's sample history (1,000 customers, 20,000 events over 60 days).
 */

const strategy = loadCompiledStrategy('strategy/contact-strategy.yaml');
let dir: string;
let customersFile: string;
let eventsFile: string;
let one: SimulationResult;

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'simulate-shards-'));
  ({ customersFile, eventsFile } = writeSampleData(dir));
  const { events } = readEventsFile(eventsFile);
  const window = replayWindow(events);
  const plan = readCustomersFile(customersFile, window.start);
  one = await simulate({
    strategy,
    customers: plan.valid.flatMap((r) => r.events),
    events,
    start: window.start,
    until: window.until,
  });
}, 120_000);

afterAll(() => rmSync(dir, { recursive: true, force: true }));
afterEach(() => vi.restoreAllMocks());

describe('which shard a line goes to', () => {
  it('finds the one customerId of a line without parsing it, and says when it cannot tell', () => {
    expect(scanCustomerId('{"detail":{"customerId":"hp-00001","total":3}}')).toBe('hp-00001');
    expect(scanCustomerId('{"detail":{"orderId":"o-1"}}')).toBeUndefined();
    expect(scanCustomerId('{"detail":{"customerId": "hp-00001"}}')).toBeNull(); // a space
    expect(scanCustomerId('{"detail":{"customerId":"a","order":{"customerId":"b"}}}')).toBeNull(); // two
    expect(scanCustomerId('{"detail":{"customer\\u0049d":"a"}}')).toBeNull(); // an escape could spell one
    expect(scanCustomerId('{"detail":{"customerId":"a\\"b"}}')).toBeNull();
    expect(scanCustomerId('{"detail":{"customerId":42}}')).toBeNull();
  });

  it('hashes a customer to the same shard every time, within range', () => {
    const ids = Array.from({ length: 1000 }, (_, i) => `hp-${String(i).padStart(5, '0')}`);
    for (const shards of [2, 3, 8]) {
      const counts = new Array<number>(shards).fill(0);
      for (const id of ids) {
        const s = shardOf(id, shards);
        expect(s).toBe(shardOf(id, shards));
        counts[s] = (counts[s] ?? 0) + 1;
      }
      // Roughly even: no shard gets less than half its share.
      for (const n of counts) expect(n).toBeGreaterThan(1000 / shards / 2);
    }
  });

  it.each([2, 3])('never splits a customer’s events or rows over shards (%i shards)', (shards) => {
    for (const [file, customer] of [
      [eventsFile, (v: Record<string, unknown>) => customerOf(v.detail)],
      [customersFile, (v: Record<string, unknown>) => v.customerId as string],
    ] as const) {
      const text = readFileSync(file, 'utf8');
      const { lines, numbers } = splitLines(text, shards, () => undefined);
      const shardOfCustomer = new Map<string, number>();
      for (const [shard, shardLines] of lines.entries())
        for (const line of shardLines) {
          const id = customer(JSON.parse(line) as Record<string, unknown>);
          // An event naming no customer changes no customer's state: it goes to shard 0.
          if (id === undefined) {
            expect(shard).toBe(0);
            continue;
          }
          expect(shardOfCustomer.get(id) ?? shard).toBe(shard);
          shardOfCustomer.set(id, shard);
        }
      // Every non-blank line once, with its own number.
      const all = numbers.flat().sort((a, b) => a - b);
      expect(all).toEqual(
        text
          .split('\n')
          .map((l, i) => (l.trim() === '' ? 0 : i + 1))
          .filter((n) => n > 0),
      );
      expect(new Set(shardOfCustomer.values()).size).toBe(shards);
    }
  });

  it('parses a line the scan cannot tell, and sends what names no customer to shard 0', () => {
    const text = [
      '{"detail":{"customerId": "spaced"}}',
      'not json',
      '{"detail":{"orderId":"o-1"}}',
      '{"detail":{"customerId":"plain"}}',
    ].join('\n');
    const seen: unknown[] = [];
    const { lines } = splitLines(text, 3, (v) => {
      seen.push(v);
      return customerOf((v as { detail: unknown }).detail);
    });
    expect(seen).toEqual([{ detail: { customerId: 'spaced' } }]);
    const where = (part: string) => lines.findIndex((l) => l.some((line) => line.includes(part)));
    expect(where('"spaced"')).toBe(shardOf('spaced', 3));
    expect(where('"plain"')).toBe(shardOf('plain', 3));
    expect(where('not json')).toBe(0);
    expect(where('o-1')).toBe(0);
  });
});

describe('a sharded replay is the one-thread replay', () => {
  it.each([2, 3])(
    'on the demo history over %i threads: every tally, count and record, field by field',
    async (workers) => {
      const progress: number[] = [];
      const { results, unreadable, invalidCustomers } = await simulateSharded({
        strategies: [strategy],
        eventsFile,
        customersFile,
        workers,
        onProgress: (done, total) => {
          expect(total).toBe(20_000);
          progress.push(done);
        },
      });
      const [sharded] = results;
      if (!sharded) throw new Error('no result');
      expect(unreadable).toEqual([]);
      expect(invalidCustomers).toEqual([]);
      expect(sharded.campaigns).toEqual(one.campaigns);
      const { timing: _a, ...rest } = sharded;
      const { timing: _b, ...expected } = one;
      expect(rest.records.length).toBe(expected.records.length);
      for (const [i, record] of rest.records.entries()) expect(record).toEqual(expected.records[i]);
      expect(rest).toEqual(expected);
      expect(sharded.timing.workers).toBe(workers);
      // The bar moves: progress comes from every thread, up to every event.
      expect(progress.length).toBeGreaterThan(workers);
      expect(Math.max(...progress)).toBe(20_000);
    },
    120_000,
  );
});

describe('contact simulate --workers', () => {
  /** Runs the command; returns its exit code, stdout and stderr. */
  async function command(args: Parameters<typeof runSimulateCommand>[0]) {
    const out: string[] = [];
    const err: string[] = [];
    vi.spyOn(console, 'log').mockImplementation((...a: unknown[]) => void out.push(a.join(' ')));
    vi.spyOn(console, 'error').mockImplementation((...a: unknown[]) => void err.push(a.join(' ')));
    vi.spyOn(process.stdout, 'write').mockImplementation((chunk: string | Uint8Array) => {
      out.push(String(chunk));
      return true;
    });
    vi.spyOn(process.stderr, 'write').mockImplementation((chunk: string | Uint8Array) => {
      err.push(String(chunk));
      return true;
    });
    const code = await runSimulateCommand(args);
    vi.restoreAllMocks();
    return { code, out: out.join('\n'), err: err.join('') };
  }

  it('--diff gives the same tables, changes, changed decisions and customer timelines over 2 threads as in one', async () => {
    const small = join(dir, 'small');
    const files = writeSampleData(small, { customers: 150, events: 3_000, days: 20 });
    cpSync('strategy/templates', join(small, 'templates'), { recursive: true });
    writeFileSync(
      join(small, 'other.yaml'),
      readFileSync('strategy/contact-strategy.yaml', 'utf8').replace('holdout: 10%', 'holdout: 0%'),
    );
    const run = (workers: number) =>
      command({
        strategyFile: 'strategy/contact-strategy.yaml',
        eventsFile: files.eventsFile,
        customersFile: files.customersFile,
        diffFile: join(small, 'other.yaml'),
        json: true,
        explain: ['hp-00017'],
        workers,
      });
    const [a, b] = [await run(1), await run(2)];
    expect([a.code, b.code]).toEqual([0, 0]);
    const [x, y] = [JSON.parse(a.out), JSON.parse(b.out)];
    expect(x.diff.changes.length).toBeGreaterThan(0);
    expect(y.diff.changes).toEqual(x.diff.changes);
    expect(x.diff.decisions.changed).toBeGreaterThan(0);
    expect(y.diff.decisions).toEqual(x.diff.decisions);
    expect(x.customers).toEqual([{ customerId: 'hp-00017', decisions: expect.any(Array) }]);
    expect(x.customers[0].decisions.length).toBeGreaterThan(0);
    expect(y.customers).toEqual(x.customers);
    expect(y.diff.result.campaigns).toEqual(x.diff.result.campaigns);
    expect(y.diff.result.records).toEqual(x.diff.result.records);
    expect(y.campaigns).toEqual(x.campaigns);
    expect(y.timing.workers).toBe(2);
  }, 120_000);

  it('reports unreadable lines, invalid customer rows and refused entries alike over 1, 2 and 3 threads', async () => {
    const bad = join(dir, 'bad');
    const files = writeSampleData(bad, { customers: 60, events: 600, days: 5 });
    appendFileSync(
      files.eventsFile,
      [
        'not json',
        '{"time":"2026-03-03T10:00:00Z","source":"shop.orders","detail":{"customerId":"hp-00001"}}',
        '{"time":"2026-03-03T10:00:00Z","source":"aws.orders","detailType":"OrderPlaced","detail":{"customerId":"hp-00002","orderId":"x","total":5}}',
        '{"time":"2026-03-03T11:00:00Z","source":"shop.orders","detailType":"OrderPlaced","detail":"hp-00003"}',
        '',
      ].join('\n'),
    );
    appendFileSync(
      files.customersFile,
      '{"customerId":"hp-09999","timezone":"Mars/Base"}\n{"customerId": "hp-09998",\n',
    );
    const runs = [];
    for (const workers of [1, 2, 3])
      runs.push(
        await command({
          strategyFile: 'strategy/contact-strategy.yaml',
          eventsFile: files.eventsFile,
          customersFile: files.customersFile,
          workers,
        }),
      );
    const warnings = runs.map((r) => r.err.replace(/\r[^\n]*/g, ''));
    expect(warnings[0]).toMatch(/2 unreadable lines skipped \(first: line 601, not valid JSON\)/);
    expect(warnings[0]).toMatch(/2 invalid customer rows skipped/);
    expect(warnings[1]).toBe(warnings[0]);
    expect(warnings[2]).toBe(warnings[0]);
    const tables = runs.map((r) => r.out.split('\nwindow ')[0]);
    expect(tables[1]).toBe(tables[0]);
    expect(tables[2]).toBe(tables[0]);
    const refused = runs.map((r) => /events [\d,]+ \((\d+) refused by PutEvents\)/.exec(r.out)?.[1]);
    expect(refused).toEqual(['2', '2', '2']);
    expect(runs.map((r) => r.code)).toEqual([0, 0, 0]);
  }, 120_000);

  it('loads a CSV customers file over 2 threads as in one (read here, each worker sent its customers)', async () => {
    const csvDir = join(dir, 'csv');
    const files = writeSampleData(csvDir, { customers: 120, events: 2_000, days: 10 });
    const rows = readFileSync(files.customersFile, 'utf8')
      .split('\n')
      .filter((l) => l !== '')
      .map((l) => JSON.parse(l) as Record<string, unknown> & { attributes?: Record<string, unknown> });
    const csv = [
      'customerId;email;locale;timezone;firstName;lifecycle;lifetimeValue:number;consent.marketing.email;consent.service.all',
      ...rows.map((r) =>
        [
          r.customerId,
          r.email ?? '',
          r.locale ?? '',
          r.timezone ?? '',
          r.attributes?.firstName ?? '',
          r.attributes?.lifecycle ?? '',
          r.attributes?.lifetimeValue ?? '',
          'granted',
          'granted',
        ].join(';'),
      ),
      'no-email;not-an-address;nl;Europe/Amsterdam;;;;granted;granted',
    ].join('\n');
    const csvFile = join(csvDir, 'customers.csv');
    writeFileSync(csvFile, csv);
    const run = (workers: number) =>
      command({
        strategyFile: 'strategy/contact-strategy.yaml',
        eventsFile: files.eventsFile,
        customersFile: csvFile,
        json: true,
        workers,
      });
    const [a, b] = [await run(1), await run(2)];
    expect([a.code, b.code]).toEqual([0, 0]);
    const [x, y] = [JSON.parse(a.out), JSON.parse(b.out)];
    expect(x.input.customerEvents).toBeGreaterThan(200);
    expect(y.input).toEqual(x.input);
    expect(y.profileResults).toEqual(x.profileResults);
    expect(y.campaigns).toEqual(x.campaigns);
    expect(y.records).toEqual(x.records);
  }, 120_000);

  it('splits by default only a history big enough to repay a worker’s start-up', () => {
    expect(defaultWorkers(eventsFile, 4, 0)).toBe(1);
    const big = join(dir, 'big.jsonl');
    writeFileSync(big, Buffer.alloc(SHARD_FROM_BYTES, 0x20));
    expect(defaultWorkers(big, 4, 0)).toBe(4);
    expect(defaultWorkers(big, 16, 0)).toBe(8);
    // Only the idle cores: a busy machine gets fewer threads, a saturated one none extra.
    expect(defaultWorkers(big, 4, 1.6)).toBe(2);
    expect(defaultWorkers(big, 2, 5)).toBe(1);
    expect(defaultWorkers(big, 1, 0)).toBe(1);
    expect(defaultWorkers(join(dir, 'missing.jsonl'), 4, 0)).toBe(1);
  });
});
