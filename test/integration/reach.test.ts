import { randomUUID } from 'node:crypto';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { parsePhoneNumberFromString } from 'libphonenumber-js/min';
import { beforeAll, describe, expect, it } from 'vitest';
import type { ConsentRow, CustomerRow } from '#local/import.ts';
import { customerEvents } from '#local/import.ts';
import { formatReach, type ReachReport, reachOf, scanCustomers } from '#local/reach.ts';
import { generateSampleData } from '#local/sample-data.ts';
import { localPlatformApplicationArn } from '#local/servers/sns.ts';
import { createContactTable } from '#local/table.ts';
import { snsClient } from '#shared/adapters/aws-clients.ts';
import { DynamoCustomerStore, documentClient } from '#shared/adapters/dynamodb/customer-store.ts';
import { SnsPushRegistry } from '#shared/adapters/sns-push.ts';
import { compileEngine } from '#shared/engine/compile.ts';
import { loadCompiledStrategy } from '#shared/strategy/load.ts';
import type { AttributeFilter, Campaign, Channel } from '#shared/strategy/schema.ts';
import { templateLocales } from '#shared/strategy/templates.ts';
import { applyConsentEvent, applyProfileUpdate } from '#shared/use-cases/customer-data.ts';

// `contact reach` on the generated demo data, loaded through the real intake into DynamoDB Local, and
// checked against a direct count over the same rows that shares no code with the report.

const compiled = loadCompiledStrategy('strategy/contact-strategy.yaml');
const engine = compileEngine(compiled);
const NOW = Date.parse('2026-03-02T09:00:00Z');
const sample = generateSampleData({ customers: 240, events: 10 });
/** Every 9th customer's email address bounced; every 13th opted out of SMS at the carrier. */
const bounced = (i: number) => i % 9 === 0;
const optedOut = (i: number) => i % 13 === 0;

let report: ReachReport;
let client: DynamoDBClient;
const table = `reach-${randomUUID().slice(0, 8)}`;

beforeAll(async () => {
  client = new DynamoDBClient({});
  await createContactTable(client, table);
  const store = new DynamoCustomerStore(client, { tableName: table, sendRetentionMs: engine.maxCapWindowMs });
  const deps = {
    store,
    strategy: engine.strategy,
    clock: { now: () => NOW },
    pushRegistry: new SnsPushRegistry(snsClient()),
    platformApplications: {
      fcm: localPlatformApplicationArn('GCM', 'reach-test'),
      apns: localPlatformApplicationArn('APNS', 'reach-test'),
    },
  };
  await Promise.all(
    sample.customers.map(async (row, i) => {
      let n = 0;
      for (const e of customerEvents(row, NOW - 3_600_000)) {
        const event = {
          id: `${row.customerId}-${n++}`,
          source: e.source,
          'detail-type': e.detailType,
          time: new Date(NOW - 3_600_000).toISOString(),
          detail: e.detail,
        };
        if (e.detailType === 'CustomerProfileUpdated') await applyProfileUpdate(deps, event);
        else await applyConsentEvent(deps, event);
      }
      const at = new Date(NOW).toISOString();
      if (bounced(i) && row.email) await store.suppress(row.customerId, 'email', { reason: 'bounced', at });
      if (optedOut(i) && row.phone) await store.suppress(row.customerId, 'sms', { reason: 'opted_out', at });
    }),
  );
  const progress: number[] = [];
  const customers = await scanCustomers({
    doc: documentClient(client),
    client,
    table,
    segments: 3,
    now: NOW,
    onProgress: (done) => progress.push(done),
  });
  expect(progress.length).toBeGreaterThanOrEqual(3);
  report = reachOf(engine, customers, NOW);
}, 120_000);

// --- the direct count ------------------------------------------------------------------------------

function passes(filter: AttributeFilter, value: unknown): boolean {
  if (Array.isArray(filter)) return filter.includes(value as never);
  if (typeof filter !== 'object' || filter === null) return value === filter;
  if ('exists' in filter) return (value !== undefined && value !== null && value !== '') === filter.exists;
  if ('gte' in filter && filter.gte !== undefined) return typeof value === 'number' && value >= filter.gte;
  if ('before' in filter && filter.before === '-18y') {
    const adult = new Date(NOW);
    adult.setUTCFullYear(adult.getUTCFullYear() - 18);
    return typeof value === 'string' && Date.parse(value) < adult.getTime();
  }
  throw new Error(`the direct count does not know the filter ${JSON.stringify(filter)}`);
}

const inAudience = (c: Campaign, row: CustomerRow) =>
  Object.entries(c.audience).every(([name, filter]) => passes(filter, row.attributes?.[name]));

const hasAddress = (row: CustomerRow, ch: Channel): boolean => {
  if (ch === 'email') return row.email !== undefined;
  if (ch === 'sms')
    return (
      row.phone !== undefined &&
      parsePhoneNumberFromString(row.phone, String(row.attributes?.country ?? 'NL') as never)?.isValid() ===
        true
    );
  if (ch === 'push') return (row.pushEndpoints?.length ?? 0) > 0;
  return true;
};

/** The newest of the channel's own record and the `all` record decides. */
function consented(consent: readonly ConsentRow[], purpose: string, ch: Channel): boolean {
  const newest = (channel: string) =>
    consent
      .filter((c) => c.purpose === purpose && c.channel === channel)
      .sort((a, b) => ((a.occurredAt ?? '') < (b.occurredAt ?? '') ? -1 : 1))
      .at(-1);
  const own = newest(ch);
  const all = newest('all');
  const pick = !own ? all : !all ? own : (own.occurredAt ?? '') >= (all.occurredAt ?? '') ? own : all;
  return pick !== undefined && pick.granted !== false;
}

const hasTemplate = (c: Campaign, ch: Channel) =>
  c.variants.some((v) => {
    const t = compiled.templates.templates[v.template];
    return t !== undefined && templateLocales(t, ch).length > 0;
  });

type Stage = 0 | 1 | 2 | 3; // none, address, suppressed, reachable
function stage(c: Campaign, row: CustomerRow, i: number, ch: Channel): Stage {
  if (!hasTemplate(c, ch) || !hasAddress(row, ch)) return 0;
  if (!consented(row.consent ?? [], c.purpose, ch)) return 1;
  if ((ch === 'email' && bounced(i)) || (ch === 'sms' && optedOut(i))) return 2;
  return 3;
}

function direct(c: Campaign, ch: Channel | 'any') {
  const n = { audience: 0, address: 0, consent: 0, suppressed: 0, reachable: 0 };
  sample.customers.forEach((row, i) => {
    if (!inAudience(c, row)) return;
    n.audience++;
    const order = c.channels.flatMap((x) =>
      x === 'preferred' ? (row.preferredChannel ? [row.preferredChannel] : []) : [x],
    );
    const s =
      ch === 'any' ? (Math.max(0, ...order.map((x) => stage(c, row, i, x))) as Stage) : stage(c, row, i, ch);
    if (s >= 1) n.address++;
    if (s >= 2) n.consent++;
    if (s === 2) n.suppressed++;
    if (s === 3) n.reachable++;
  });
  return n;
}

describe('contact reach on the demo data', () => {
  it('counts every customer once', () => {
    expect(report.customers).toBe(sample.customers.length);
  });

  it('matches a direct count for every campaign and channel', () => {
    expect(report.rows.length).toBeGreaterThan(engine.campaigns.length);
    for (const row of report.rows) {
      const campaign = compiled.strategy.campaigns.find((c) => c.id === row.campaignId);
      if (!campaign) throw new Error(row.campaignId);
      const { campaignId, channel, ...counts } = row;
      expect({ campaignId, channel, ...direct(campaign, channel) }).toEqual({
        campaignId,
        channel,
        ...counts,
      });
    }
  });

  it('is not trivial: some customers are suppressed, some lack consent, most campaigns reach someone', () => {
    const any = report.rows.filter((r) => r.channel === 'any');
    expect(report.rows.some((r) => r.suppressed > 0)).toBe(true);
    expect(report.rows.some((r) => r.address > r.consent)).toBe(true);
    expect(any.filter((r) => r.reachable > 0).length).toBeGreaterThanOrEqual(5);
    expect(formatReach(report)).toMatch(/^240 customers/);
  });
});
