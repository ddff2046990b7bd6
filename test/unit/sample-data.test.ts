import { createHash } from 'node:crypto';
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parsePhoneNumberFromString } from 'libphonenumber-js/min';
import { beforeAll, describe, expect, it, vi } from 'vitest';
import { customerEvents, planRows } from '#local/import.ts';
import {
  DEMO_HISTORY,
  generateSampleData,
  runSampleDataCommand,
  type SampleData,
  sampleDataLines,
  writeSampleData,
} from '#local/sample-data.ts';
import { Router, type SimulationResult, simulate } from '#local/simulate.ts';
import { loadCompiledStrategy } from '#shared/strategy/load.ts';

const DAY = 86_400_000;
const sha = (text: string) => createHash('sha256').update(text).digest('hex');
const strategy = loadCompiledStrategy('strategy/contact-strategy.yaml');

let data: SampleData;
let simulated: SimulationResult;
beforeAll(async () => {
  data = generateSampleData();
  const start = Date.parse(data.options.start);
  simulated = await simulate({
    strategy,
    customers: data.customers.flatMap((row) => customerEvents(row, start)),
    events: data.events.map((e, i) => ({ ...e, line: i + 1, time: Date.parse(e.time) })),
  });
}, 120_000);

describe('sample data: deterministic', () => {
  it('gives the same bytes for the same seed, and other bytes for another seed', () => {
    const a = sampleDataLines(generateSampleData({ customers: 200, events: 3000 }));
    const b = sampleDataLines(generateSampleData({ customers: 200, events: 3000 }));
    const c = sampleDataLines(generateSampleData({ customers: 200, events: 3000, seed: 7 }));
    expect(sha(a.customers + a.events)).toBe(sha(b.customers + b.events));
    expect(sha(a.customers + a.events)).not.toBe(sha(c.customers + c.events));
  });

  it('writes the JSON-lines files it generates', () => {
    const dir = mkdtempSync(join(tmpdir(), 'sample-'));
    const { customersFile, eventsFile, data: written } = writeSampleData(dir, { customers: 50, events: 800 });
    const lines = sampleDataLines(written);
    expect(readFileSync(customersFile, 'utf8')).toBe(lines.customers);
    expect(readFileSync(eventsFile, 'utf8')).toBe(lines.events);
    expect(readFileSync(eventsFile, 'utf8').trimEnd().split('\n')).toHaveLength(800);
  });

  it("contact sample-data writes the demo's history: its bytes, on the hourly grid", () => {
    const [cli, demo] = [mkdtempSync(join(tmpdir(), 'sample-')), mkdtempSync(join(tmpdir(), 'sample-'))];
    const log = vi.spyOn(console, 'log').mockImplementation(() => {});
    expect(runSampleDataCommand({ dir: cli, customers: 50, events: 800 })).toBe(0);
    log.mockRestore();
    const expected = sampleDataLines(
      writeSampleData(demo, { ...DEMO_HISTORY, customers: 50, events: 800 }).data,
    );
    expect(readFileSync(join(cli, 'customers.jsonl'), 'utf8')).toBe(expected.customers);
    expect(readFileSync(join(cli, 'events.jsonl'), 'utf8')).toBe(expected.events);
    const times = expected.events
      .trimEnd()
      .split('\n')
      .map((line) => Date.parse((JSON.parse(line) as { time: string }).time));
    expect(times.every((t) => t % 3_600_000 === 0)).toBe(true);
  });
});

describe('sample data: sizes and shape', () => {
  it('has 1,000 customers and 20,000 events in time order, on the 15-minute grid, inside 60 days', () => {
    const start = Date.parse(data.options.start);
    const times = data.events.map((e) => Date.parse(e.time));
    expect(data.customers).toHaveLength(1000);
    expect(data.events).toHaveLength(20_000);
    expect(times.every((t, i) => i === 0 || t >= (times[i - 1] ?? 0))).toBe(true);
    expect(times.every((t) => t > start && t < start + 60 * DAY && t % (15 * 60_000) === 0)).toBe(true);
  });

  it('has valid Dutch and Belgian customers: every row loads', () => {
    const plan = planRows(
      data.customers.map((row, line) => ({ line, row })),
      Date.parse(data.options.start),
    );
    expect(plan.invalid).toEqual([]);
    const countries = count(data.customers.map((c) => String(c.attributes?.country)));
    expect((countries.NL ?? 0) + (countries.BE ?? 0)).toBeGreaterThan(900);
    expect(Object.keys(countries).length).toBeGreaterThan(3); // some live abroad
    expect(new Set(data.customers.map((c) => c.locale))).toEqual(new Set(['nl', 'nl-BE', 'en']));
    const zones = count(data.customers.map((c) => c.timezone ?? '(default)'));
    expect((zones['Europe/Amsterdam'] ?? 0) + (zones['Europe/Brussels'] ?? 0)).toBeGreaterThan(800);
    expect(Object.keys(zones).length).toBeGreaterThan(4);
  });

  it('writes phone numbers in national format that are valid in the customer’s country, emails at example.nl/.be', () => {
    for (const c of data.customers) {
      if (c.email) expect(c.email).toMatch(/^[a-z0-9.]+@example\.(nl|be)$/);
      if (!c.phone) continue;
      const country = c.attributes?.country === 'BE' ? 'BE' : 'NL';
      if (c.attributes?.country === 'NL' || c.attributes?.country === 'BE') expect(c.phone).toMatch(/^0\d/);
      expect(parsePhoneNumberFromString(c.phone, country)?.isValid()).toBe(true);
    }
  });

  it('mixes consent per purpose and channel, preferred channels, push tokens and segment attributes', () => {
    const consent = count(
      data.customers.flatMap((c) => (c.consent ?? []).map((x) => `${x.purpose}:${x.channel}:${x.granted}`)),
    );
    expect(Object.keys(consent).sort()).toEqual([
      'marketing:email:false',
      'marketing:email:true',
      'marketing:push:true',
      'marketing:sms:true',
      'service:all:true',
    ]);
    expect(new Set(data.customers.map((c) => c.preferredChannel))).toEqual(
      new Set([undefined, 'email', 'sms', 'push']),
    );
    expect(data.customers.filter((c) => c.pushEndpoints).length).toBeGreaterThan(200);
    for (const key of [
      'lifecycle',
      'contractType',
      'contractEndDate',
      'birthDate',
      'lifetimeValue',
      'lastOrderDate',
    ]) {
      expect(data.customers.filter((c) => c.attributes?.[key] !== undefined).length, key).toBeGreaterThan(
        100,
      );
    }
  });

  it('never has a birthday on the day a renewal reminder is due, nor either on the first day', () => {
    const start = Date.parse(data.options.start);
    const md = (ms: number) => new Date(ms).toISOString().slice(5, 10);
    for (const c of data.customers) {
      const birth = typeof c.attributes?.birthDate === 'string' ? c.attributes.birthDate.slice(5) : undefined;
      const end =
        typeof c.attributes?.contractEndDate === 'string'
          ? Date.parse(c.attributes.contractEndDate)
          : undefined;
      const reminder = end === undefined ? undefined : md(end - 30 * DAY);
      expect(birth).not.toBe(md(start));
      if (birth && reminder) expect(birth).not.toBe(reminder);
      if (end !== undefined) expect(end - 30 * DAY).toBeGreaterThan(start);
    }
  });
});

describe('sample data: the history exercises every campaign of the sample strategy', () => {
  it('routes triggers to every event-triggered campaign, carts above and below the 25 euro filter', () => {
    const router = new Router(strategy.strategy);
    const routed: Record<string, number> = {};
    for (const e of data.events) {
      for (const r of router.match({ source: e.source, 'detail-type': e.detailType, detail: e.detail })) {
        routed[r.name] = (routed[r.name] ?? 0) + 1;
      }
    }
    for (const id of [
      'welcome',
      'loyalty-third-order',
      'abandoned-cart',
      'policy-document-ready',
      'win-back',
    ])
      expect(routed[`campaign-${id}`], id).toBeGreaterThan(100);
    const carts = data.events
      .filter((e) => e.detailType === 'CartAbandoned')
      .map((e) => Number(e.detail.total));
    expect(carts.filter((t) => t > 25).length).toBeGreaterThan(500);
    expect(carts.filter((t) => t <= 25).length).toBeGreaterThan(500);
  });

  it('has enough customers with 3 paid orders within 30 days', () => {
    const orders = new Map<string, number[]>();
    for (const e of data.events) {
      if (e.detailType !== 'OrderPlaced' || !(Number(e.detail.total) > 0)) continue;
      const id = String(e.detail.customerId);
      orders.set(id, [...(orders.get(id) ?? []), Date.parse(e.time)]);
    }
    const qualifying = [...orders.values()].filter((times) =>
      times.some((t, i) => (times[i + 2] ?? Number.POSITIVE_INFINITY) - t <= 30 * DAY),
    );
    expect(qualifying.length).toBeGreaterThan(150);
  });

  it('ends in sends, holdouts and every kind of suppression the strategy can give, for every campaign', () => {
    const { campaigns } = simulated;
    for (const [id, t] of Object.entries(campaigns)) {
      expect(t.sent, id).toBeGreaterThan(20);
      expect(Object.keys(t.suppressed).length, id).toBeGreaterThanOrEqual(2);
    }
    expect(campaigns['loyalty-third-order']?.holdout).toBeGreaterThan(0);
    expect(campaigns['win-back']?.holdout).toBeGreaterThan(0);
    expect(campaigns['loyalty-third-order']?.suppressed).toMatchObject({
      rule_not_met: expect.any(Number),
      not_in_audience: expect.any(Number),
      cap_reached: expect.any(Number),
      no_consent: expect.any(Number),
      invalid_event: expect.any(Number),
    });
    expect(campaigns['policy-document-ready']?.suppressed.duplicate).toBeGreaterThan(10);
    expect(campaigns.welcome?.suppressed.unknown_customer).toBeGreaterThan(10);
    expect(campaigns['abandoned-cart']?.afterWait).toBeGreaterThan(100);
    expect(simulated.dateTriggers).toBeGreaterThan(300);
    expect(simulated.handlers.profile.deadLettered + simulated.handlers.buffer.deadLettered).toBeGreaterThan(
      10,
    );
    expect(simulated.sends.sms + simulated.sends.push).toBeGreaterThan(100);
    expect(simulated.superseded).toBe(0);
    expect(simulated.failures).toEqual({});
  });

  it('includes consent withdrawals and grants, profile updates and new customers during the window', () => {
    const types = count(data.events.map((e) => e.detailType));
    expect(types.ConsentWithdrawn).toBeGreaterThan(100);
    expect(types.ConsentGranted).toBeGreaterThan(100);
    expect(types.CustomerProfileUpdated).toBeGreaterThan(500);
    const known = new Set(data.customers.map((c) => c.customerId));
    const joiners = new Set(
      data.events.filter(
        (e) => e.detailType === 'CustomerProfileUpdated' && !known.has(String(e.detail.customerId)),
      ),
    );
    expect(joiners.size).toBeGreaterThan(10);
  });
});

function count(values: readonly string[]): Record<string, number> {
  const out: Record<string, number> = {};
  for (const v of values) out[v] = (out[v] ?? 0) + 1;
  return out;
}

describe('contact simulate without rendering', () => {
  it('decides the whole sample history exactly as when every message is rendered', async () => {
    const start = Date.parse(data.options.start);
    const rendered = await simulate({
      strategy,
      customers: data.customers.flatMap((row) => customerEvents(row, start)),
      events: data.events.map((e, i) => ({ ...e, line: i + 1, time: Date.parse(e.time) })),
      render: true,
    });
    expect(simulated.sends.email + simulated.sends.sms + simulated.sends.push).toBeGreaterThan(1000);
    expect(simulated.records).toEqual(rendered.records);
    expect(simulated.campaigns).toEqual(rendered.campaigns);
    expect(simulated.sends).toEqual(rendered.sends);
  }, 120_000);
});
