import { DescribeTableCommand, DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { type DynamoDBDocumentClient, ScanCommand } from '@aws-sdk/lib-dynamodb';
import { documentClient } from '#shared/adapters/dynamodb/customer-store.ts';
import { SK, stateFromItems } from '#shared/adapters/dynamodb/items.ts';
import type { CustomerState } from '#shared/domain/customer.ts';
import type { Fact } from '#shared/domain/decision.ts';
import { type CompiledCampaign, compileEngine, type Engine } from '#shared/engine/compile.ts';
import { selectChannels } from '#shared/engine/decide.ts';
import { bucketOf } from '#shared/engine/hash.ts';
import { loadCompiledStrategy } from '#shared/strategy/load.ts';
import { CHANNELS, type Channel } from '#shared/strategy/schema.ts';
import { templateLocales } from '#shared/strategy/templates.ts';
import { ProgressBar } from './import.ts';
import { TABLE_NAME } from './runtime.ts';

/**
 * Reachability, before a campaign goes live: per campaign and per channel, how many customers are in
 * the audience, how many of them have a validated address on the channel, how many of those have
 * consent for the campaign's purpose on it, how many of those are suppressed (bounced, complained,
 * opted out) — and so how many can actually be reached. The `any` row is the campaign as the engine
 * sends it: reachable on at least one of its channels (the customer's preferred channel resolved).
 *
 * The numbers come from the engine's own checks (`selectChannels`, the compiled audience), so they
 * agree with what a trigger would decide; caps, business rules and dates are left out (they depend
 * on the moment, not on who the customers are).
 */

export interface ReachRow {
  readonly campaignId: string;
  /** A channel, or `any` (at least one of the campaign's channels). */
  readonly channel: Channel | 'any';
  readonly audience: number;
  /** In the audience and with a validated address on the channel (and a template for it). */
  readonly address: number;
  /** …and with consent for the campaign's purpose on the channel. */
  readonly consent: number;
  /** …but the address is suppressed. */
  readonly suppressed: number;
  readonly reachable: number;
}

export interface ReachReport {
  /** Customers with a profile (erased ones excluded). */
  readonly customers: number;
  readonly rows: readonly ReachRow[];
  readonly at: string;
}

/** The concrete channels a campaign may use: its own, plus every templated one when it lists `preferred`. */
function channelsOf(engine: Engine, c: CompiledCampaign): Channel[] {
  const listed = c.campaign.channels.filter((ch): ch is Channel => ch !== 'preferred');
  if (!c.campaign.channels.includes('preferred')) return listed;
  const templated = CHANNELS.filter((ch) =>
    c.variantBounds.some((v) => {
      const t = engine.templates.templates[v.template];
      return t !== undefined && templateLocales(t, ch).length > 0;
    }),
  );
  return CHANNELS.filter((ch) => listed.includes(ch) || templated.includes(ch));
}

type Stage = 'none' | 'address' | 'suppressed' | 'reachable';

/** How far a customer gets on one channel, from the engine's channel facts. */
function stageOf(usable: boolean, facts: readonly Fact[], channel: Channel): Stage {
  if (usable) return 'reachable';
  const fact = facts.find((f) => f.kind === 'channel' && f.channel === channel);
  const why = fact?.kind === 'channel' ? fact.why : undefined;
  if (why === 'suppressed' || why === 'cap') return 'suppressed';
  if (why === 'no_consent') return 'address';
  return 'none';
}

const RANK: Record<Stage, number> = { none: 0, address: 1, suppressed: 2, reachable: 3 };

/** The report over customer states (from a scan, or the in-memory store). Pure. */
export function reachOf(engine: Engine, customers: Iterable<CustomerState>, now: number): ReachReport {
  const counters = new Map<string, { -readonly [K in keyof ReachRow]: ReachRow[K] }>();
  const row = (campaignId: string, channel: Channel | 'any') => {
    const key = `${campaignId}#${channel}`;
    let r = counters.get(key);
    if (!r) {
      r = { campaignId, channel, audience: 0, address: 0, consent: 0, suppressed: 0, reachable: 0 };
      counters.set(key, r);
    }
    return r;
  };
  const plans = engine.campaigns.map((c) => ({ c, channels: channelsOf(engine, c) }));
  for (const { c, channels } of plans) {
    row(c.campaign.id, 'any');
    for (const ch of channels) row(c.campaign.id, ch);
  }
  let total = 0;
  for (const state of customers) {
    const profile = state.profile;
    if (!profile || state.erased) continue;
    total++;
    for (const { c, channels } of plans) {
      if (!c.audience.every((test) => test.test(profile, now).passed)) continue;
      const variantBucket = bucketOf(`${state.customerId}#${c.campaign.id}#variant`);
      const variant =
        c.variantBounds.find((v) => variantBucket < v.upTo) ?? c.variantBounds[c.variantBounds.length - 1];
      const template = variant?.template ?? '';
      const any = row(c.campaign.id, 'any');
      any.audience++;
      const stages = new Map<Channel, Stage>();
      for (const ch of channels) {
        const facts: Fact[] = [];
        const only: CompiledCampaign = { ...c, campaign: { ...c.campaign, channels: [ch] } };
        const { usable } = selectChannels(engine, only, state, template, [], now, facts);
        const stage = stageOf(usable.length > 0, facts, ch);
        stages.set(ch, stage);
        count(row(c.campaign.id, ch), stage);
      }
      // The campaign as sent: its channel order for this customer (preferred resolved), best stage wins.
      const order = c.campaign.channels.flatMap((ch) =>
        ch === 'preferred' ? (profile.preferredChannel ? [profile.preferredChannel] : []) : [ch],
      );
      let best: Stage = 'none';
      for (const ch of order) {
        const stage = stages.get(ch) ?? 'none';
        if (RANK[stage] > RANK[best]) best = stage;
      }
      count(any, best, true);
    }
  }
  return { customers: total, rows: [...counters.values()], at: new Date(now).toISOString() };
}

function count(r: { -readonly [K in keyof ReachRow]: ReachRow[K] }, stage: Stage, audienceCounted = false) {
  if (!audienceCounted) r.audience++;
  if (stage === 'none') return;
  r.address++;
  if (stage === 'address') return;
  r.consent++;
  if (stage === 'suppressed') r.suppressed++;
  else r.reachable++;
}

export interface ScanOptions {
  readonly doc: DynamoDBDocumentClient;
  /** For the progress bar's total (DescribeTable's approximate item count); without it the total grows. */
  readonly client?: DynamoDBClient;
  readonly table: string;
  /** Parallel scan segments. @default 4 */
  readonly segments?: number;
  /** For filtering expired items. @default Date.now() */
  readonly now?: number;
  /** Called after each page: items scanned so far, and the table's approximate item count. */
  onProgress?(scanned: number, total: number): void;
}

/**
 * The customers of the contact table, by a paginated parallel Scan of the `A#` items a decision reads
 * (profile, state, tombstone). A customer's items share a partition, so they are in one segment.
 */
export async function scanCustomers(options: ScanOptions): Promise<CustomerState[]> {
  const segments = options.segments ?? 4;
  const described = await options.client?.send(new DescribeTableCommand({ TableName: options.table }));
  const total = described?.Table?.ItemCount ?? 0;
  let scanned = 0;
  const byId = new Map<string, Record<string, unknown>[]>();
  await Promise.all(
    Array.from({ length: segments }, async (_, segment) => {
      let start: Record<string, unknown> | undefined;
      do {
        const page = await options.doc.send(
          new ScanCommand({
            TableName: options.table,
            Segment: segment,
            TotalSegments: segments,
            FilterExpression: 'sk IN (:p, :s, :t)',
            ExpressionAttributeValues: { ':p': SK.profile, ':s': SK.state, ':t': SK.tombstone },
            ...(start && { ExclusiveStartKey: start }),
          }),
        );
        for (const item of page.Items ?? []) {
          const pk = String(item.pk ?? '');
          if (!pk.startsWith('CUSTOMER#')) continue;
          const customerId = pk.slice('CUSTOMER#'.length);
          const items = byId.get(customerId);
          if (items) items.push(item);
          else byId.set(customerId, [item]);
        }
        scanned += page.ScannedCount ?? 0;
        options.onProgress?.(scanned, Math.max(total, scanned));
        start = page.LastEvaluatedKey;
      } while (start);
    }),
  );
  // Decoded exactly as the decision's Query is (expired items filtered the same way).
  return [...byId].map(([customerId, items]) => stateFromItems(customerId, items, options.now ?? Date.now()));
}

/** The report as a text table for the terminal. */
export function formatReach(report: ReachReport): string {
  const head = ['campaign', 'channel', 'audience', 'address', 'consent', 'suppressed', 'reachable', '%'];
  const lines = report.rows.map((r) => [
    r.campaignId,
    r.channel,
    ...[r.audience, r.address, r.consent, r.suppressed, r.reachable].map((n) => n.toLocaleString('en')),
    r.audience > 0 ? `${Math.round((100 * r.reachable) / r.audience)}%` : '-',
  ]);
  const widths = head.map((h, i) => Math.max(h.length, ...lines.map((l) => (l[i] ?? '').length)));
  const fmt = (cells: string[]) =>
    cells.map((c, i) => (i < 2 ? c.padEnd(widths[i] ?? 0) : c.padStart(widths[i] ?? 0))).join('  ');
  let last = '';
  const body = lines.map((l) => {
    const shown = l[0] === last ? ['', ...l.slice(1)] : l;
    last = l[0] ?? '';
    return fmt(shown);
  });
  return [
    `${report.customers.toLocaleString('en')} customers, ${report.at}`,
    '',
    fmt(head),
    ...body,
    '',
    'audience → with a validated address → with consent for the purpose → of those suppressed / reachable.',
    'Channel "any": the campaign as sent (its channels in order, the customer’s preferred one resolved).',
  ].join('\n');
}

export interface ReachCommand {
  readonly strategyFile: string;
  /** The deployed table; without it the local runtime's. */
  readonly table?: string;
  readonly endpoint?: string;
  readonly segments?: number;
  readonly json?: boolean;
}

/** `npx contact reach`: the report of the local runtime's table or a deployed one. */
export async function runReachCommand(c: ReachCommand): Promise<number> {
  const engine = compileEngine(loadCompiledStrategy(c.strategyFile));
  const local = c.table === undefined;
  const endpoint =
    c.endpoint ??
    process.env.AWS_ENDPOINT_URL_DYNAMODB ??
    (local ? `http://127.0.0.1:${process.env.CONTACT_PORT_DYNAMODB ?? '8000'}` : undefined);
  const client = new DynamoDBClient({
    ...(endpoint && { endpoint }),
    ...(local && {
      region: process.env.AWS_REGION ?? 'eu-west-1',
      credentials: { accessKeyId: 'local', secretAccessKey: 'local' },
    }),
    maxAttempts: 5,
  });
  const table = c.table ?? TABLE_NAME;
  const bar = new ProgressBar('scanning', 0);
  try {
    const now = Date.now();
    const customers = await scanCustomers({
      doc: documentClient(client),
      client,
      table,
      now,
      ...(c.segments !== undefined && { segments: c.segments }),
      onProgress: (done, total) => bar.update(done, total),
    });
    bar.done();
    const report = reachOf(engine, customers, now);
    console.log(c.json ? JSON.stringify(report, null, 2) : formatReach(report));
    return 0;
  } catch (error) {
    bar.done();
    const name = (error as Error).name;
    if (name === 'ResourceNotFoundException') {
      console.error(
        `contact reach: table ${table} not found${local ? ' (is the local runtime running? npm start)' : ''}`,
      );
      return 1;
    }
    if (
      local &&
      ((error as { code?: string }).code === 'ECONNREFUSED' ||
        /ECONNREFUSED/.test(String((error as Error).message)))
    ) {
      console.error(
        `contact reach: no DynamoDB at ${endpoint}: start the local runtime (npm start) or pass --table for the deployed one`,
      );
      return 1;
    }
    throw error;
  } finally {
    client.destroy();
  }
}
