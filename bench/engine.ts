import { prng } from '#local/sample-data.ts';
import type { ConsentMap, CustomerState } from '#shared/domain/customer.ts';
import { compileEngine, type Engine } from '#shared/engine/compile.ts';
import { decide } from '#shared/engine/decide.ts';
import { loadCompiledStrategy } from '#shared/strategy/load.ts';
import type { Strategy } from '#shared/strategy/schema.ts';

/** The sample strategy grown to 10 campaigns (copies of its event-triggered ones under new ids). */
export function tenCampaignEngine(file = 'strategy/contact-strategy.yaml'): Engine {
  const { strategy, templates } = loadCompiledStrategy(file);
  const extra = strategy.campaigns.filter((c) => c.trigger.pattern).slice(0, 10 - strategy.campaigns.length);
  const campaigns = [
    ...strategy.campaigns,
    ...extra.map((c, i) => ({ ...c, id: `${c.id}-copy-${i}`, priority: c.priority + 1 })),
  ];
  const grown: Strategy = { ...strategy, campaigns };
  return compileEngine({ strategy: grown, templates });
}

const SOURCES: [string, string, () => Record<string, unknown>][] = [
  ['shop.orders', 'OrderPlaced', () => ({ orderId: `o-${Math.floor(Math.random() * 1e9)}`, total: 42.5 })],
  ['shop.newsletter', 'NewsletterSubscribed', () => ({})],
  ['shop.carts', 'CartAbandoned', () => ({ cartId: 'k', total: 80 })],
  ['insurance.policies', 'PolicyDocumentReady', () => ({ policyId: 'p' })],
  ['shop.customers', 'CustomerInactive', () => ({})],
  ['shop.web', 'PageViewed', () => ({ path: '/' })],
];

/** Customers in varied states: consent or not, addresses or not, some recent sends and activity. */
export function customers(engine: Engine, n: number, random: () => number): CustomerState[] {
  const counter = engine.counters[0]?.id;
  return Array.from({ length: n }, (_, i) => {
    const id = `cust-${i}`;
    const at = '2026-01-01T00:00:00Z';
    return {
      customerId: id,
      profile: {
        customerId: id,
        ...(random() < 0.9 && { email: `${id}@example.nl` }),
        ...(random() < 0.6 && { phone: '+31612345678' }),
        ...(random() < 0.3 && { preferredChannel: 'sms' as const }),
        attributes: {
          country: random() < 0.8 ? 'NL' : 'BE',
          lifecycle: random() < 0.7 ? 'active' : 'lapsed',
          lifetimeValue: Math.floor(random() * 500),
          lastOrderDate: '2025-11-01',
          firstName: 'Anna',
        },
        updatedAt: at,
      },
      consent: (random() < 0.8
        ? {
            'marketing:all': { granted: true, occurredAt: at, recordedAt: at, ledgerRef: 'L#1' },
            'service:all': { granted: true, occurredAt: at, recordedAt: at, ledgerRef: 'L#2' },
          }
        : {}) as ConsentMap,
      sends:
        random() < 0.3
          ? [
              {
                at: Date.parse('2026-03-08T10:00:00Z'),
                campaignId: 'welcome',
                purpose: 'marketing',
                channel: 'email',
              },
            ]
          : [],
      decided: {},
      activity: counter
        ? { [counter]: { days: { '2026-03-01': Math.floor(random() * 3) }, eventIds: [] } }
        : {},
      suppressions: {},
      version: 1,
    };
  });
}

export function events(
  n: number,
  customerCount: number,
  random: () => number,
  start: number,
): Record<string, unknown>[] {
  return Array.from({ length: n }, (_, i) => {
    const [source, detailType, detail] = SOURCES[Math.floor(random() * SOURCES.length)] ??
      SOURCES[0] ?? ['', '', () => ({})];
    return {
      version: '0',
      id: `e-${i}`,
      source,
      'detail-type': detailType,
      account: '000000000000',
      region: 'eu-west-1',
      time: new Date(start + i * 1000).toISOString(),
      resources: [],
      detail: { customerId: `cust-${Math.floor(random() * customerCount)}`, ...detail() },
    };
  });
}

/**
 * Pure decision-engine replay on one core: events/s over a 10-campaign strategy, every decision
 * computed (arbitration included), no I/O. Warm-up first, then the median of several runs.
 */
export function engineThroughput(count = 100_000): {
  eventsPerSecond: number;
  /** Per CPU second of the same runs (the process's CPU time): on a busy machine, the rate to compare. */
  eventsPerCpuSecond: number;
  decisionsPerEvent: number;
  campaigns: number;
} {
  const engine = tenCampaignEngine();
  const random = prng(42);
  const states = customers(engine, 5_000, random);
  const start = Date.parse('2026-03-10T12:00:00Z');
  const log = events(count, states.length, random, start);
  const byId = new Map(states.map((s) => [s.customerId, s]));
  let decisions = 0;
  const cpuSeconds: number[] = [];
  const run = () => {
    const cpu0 = process.cpuUsage();
    const t0 = process.hrtime.bigint();
    decisions = 0;
    for (const event of log) {
      const id = String((event.detail as { customerId: string }).customerId);
      const state = byId.get(id);
      if (!state) continue;
      decisions += decide(engine, { event, state, now: Date.parse(String(event.time)) }).length;
    }
    const seconds = Number(process.hrtime.bigint() - t0) / 1e9;
    const cpu = process.cpuUsage(cpu0);
    cpuSeconds.push((cpu.user + cpu.system) / 1e6);
    return seconds;
  };
  run();
  cpuSeconds.length = 0;
  const times = [run(), run(), run()].sort((a, b) => a - b);
  const median = times[1] ?? times[0] ?? 1;
  const medianCpu = [...cpuSeconds].sort((a, b) => a - b)[1] ?? 1;
  return {
    eventsPerSecond: Math.round(count / median),
    eventsPerCpuSecond: Math.round(count / medianCpu),
    decisionsPerEvent: decisions / count,
    campaigns: engine.campaigns.length,
  };
}
