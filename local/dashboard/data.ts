import { type DynamoDBDocumentClient, QueryCommand, ScanCommand } from '@aws-sdk/lib-dynamodb';
import { contactFromItem, pkOf, SK } from '#shared/adapters/dynamodb/items.ts';
import { type Fact, OUTCOMES, type Outcome } from '#shared/domain/decision.ts';
import type { ContactRecord, CustomerExport } from '#shared/domain/store.ts';
import { strategyDiagram } from '#shared/strategy/diagram.ts';
import { type Campaign, CHANNELS, type Channel, type Strategy } from '#shared/strategy/schema.ts';
import { type CampaignUplift, measureUplift } from '#shared/use-cases/uplift.ts';

/**
 * What the dashboard shows, read from the contact table: decision records (the contact history, one
 * per (event, campaign) pair), metrics derived from them, and the strategy. Locally a Scan is fine; the
 * deployed platform has CloudWatch metrics for this instead.
 */

/** A decision record as the API serves it: the public contract plus the explanation (facts). */
export interface DecisionRecord {
  readonly eventId: string;
  readonly campaignId: string;
  readonly customerId: string;
  readonly outcome: Outcome;
  readonly reason?: string;
  readonly channel?: Channel;
  readonly variant?: string;
  readonly messageId?: string;
  readonly decidedAt: string;
  readonly sendAt?: string;
  readonly expiresAt?: string;
  /** Later duplicates of this decision (each a `suppressed`/`duplicate` decision, counted here). */
  readonly duplicates?: number;
  readonly feedback?: readonly { readonly type: string; readonly at: string }[];
  readonly conversion?: { readonly eventId: string; readonly at: string; readonly value?: number };
  readonly facts: readonly Fact[];
}

export interface Counts {
  decisions: number;
  byOutcome: Record<Outcome, number>;
  byReason: Record<string, number>;
  messagesByChannel: Record<Channel, number>;
  conversions: number;
}

/** Messages that went out and how far they got: provider feedback, then the goal conversion. */
export interface Funnel {
  sent: number;
  delivered: number;
  opened: number;
  clicked: number;
  converted: number;
}

export interface CampaignMetrics extends Counts {
  /** sent → delivered → opened → clicked → converted (each message counted once per stage). */
  readonly funnel: Funnel;
  readonly campaignId: string;
  readonly name: string;
  readonly purpose: string;
  readonly enabled: boolean;
  /** `OrderPlaced within 14d, target 5%`, when the campaign has a goal. */
  readonly goal?: string;
}

export interface Metrics {
  readonly generatedAt: string;
  readonly totals: Counts;
  readonly campaigns: CampaignMetrics[];
  /**
   * Treated vs holdout and variant against variant, with 95% intervals, per campaign with a goal, a
   * holdout or variants (`shared/use-cases/uplift.ts`, the same numbers as the CloudWatch dashboard).
   */
  readonly uplift: CampaignUplift[];
}

export interface CampaignView {
  readonly id: string;
  readonly name: string;
  readonly description?: string;
  readonly purpose: string;
  readonly enabled: boolean;
  readonly priority: number;
  readonly triggerKind: 'event' | 'date';
  readonly trigger: string;
  readonly rule?: string;
  readonly audience: string[];
  readonly channels: string[];
  readonly timing: string[];
  readonly caps: string[];
  readonly variants: string[];
  readonly holdout: number;
  readonly goal?: string;
  readonly learn?: string;
}

export interface StrategyView {
  readonly file: string;
  readonly brand?: string;
  /** The strategy as a Mermaid flowchart (what `contact diagram` writes). */
  readonly diagram: string;
  readonly contactRules: string[];
  readonly campaigns: CampaignView[];
}

const emptyCounts = (): Counts => ({
  decisions: 0,
  byOutcome: Object.fromEntries(OUTCOMES.map((o) => [o, 0])) as Record<Outcome, number>,
  byReason: {},
  messagesByChannel: Object.fromEntries(CHANNELS.map((c) => [c, 0])) as Record<Channel, number>,
  conversions: 0,
});

export function toDecisionRecord(record: ContactRecord): DecisionRecord {
  return {
    eventId: record.eventId,
    campaignId: record.campaignId,
    customerId: record.customerId,
    outcome: record.outcome,
    ...(record.reason && { reason: record.reason }),
    ...(record.channel && { channel: record.channel }),
    ...(record.variant && { variant: record.variant }),
    ...(record.messageId && { messageId: record.messageId }),
    decidedAt: record.decidedAt,
    ...(record.sendAt && { sendAt: record.sendAt }),
    ...(record.expiresAt && { expiresAt: record.expiresAt }),
    ...(record.duplicates && { duplicates: record.duplicates }),
    ...(record.feedback && { feedback: record.feedback }),
    ...(record.conversion && { conversion: record.conversion }),
    facts: record.facts,
  };
}

/** Every decision record in the table (Scan on the history prefix). */
export async function scanDecisions(doc: DynamoDBDocumentClient, table: string): Promise<ContactRecord[]> {
  const records: ContactRecord[] = [];
  let startKey: Record<string, unknown> | undefined;
  do {
    const page = await doc.send(
      new ScanCommand({
        TableName: table,
        FilterExpression: 'begins_with(sk, :h)',
        ExpressionAttributeValues: { ':h': SK.contactPrefix },
        ExclusiveStartKey: startKey,
      }),
    );
    records.push(...(page.Items ?? []).map(contactFromItem));
    startKey = page.LastEvaluatedKey;
  } while (startKey);
  return records;
}

/** One customer's decision records (a Query on their partition). */
export async function customerDecisions(
  doc: DynamoDBDocumentClient,
  table: string,
  customerId: string,
): Promise<ContactRecord[]> {
  const records: ContactRecord[] = [];
  let startKey: Record<string, unknown> | undefined;
  do {
    const page = await doc.send(
      new QueryCommand({
        TableName: table,
        KeyConditionExpression: 'pk = :pk AND begins_with(sk, :h)',
        ExpressionAttributeValues: { ':pk': pkOf(customerId), ':h': SK.contactPrefix },
        ExclusiveStartKey: startKey,
      }),
    );
    records.push(...(page.Items ?? []).map(contactFromItem));
    startKey = page.LastEvaluatedKey;
  } while (startKey);
  return records;
}

export interface DecisionQuery {
  readonly customerId?: string;
  readonly campaignId?: string;
  /** @default 50, at most 1000 */
  readonly limit?: number;
}

/** Filters, sorts newest first and limits. */
export function selectDecisions(records: readonly ContactRecord[], query: DecisionQuery): DecisionRecord[] {
  const limit = Math.min(Math.max(1, query.limit ?? 50), 1000);
  return records
    .filter((r) => (query.customerId ? r.customerId === query.customerId : true))
    .filter((r) => (query.campaignId ? r.campaignId === query.campaignId : true))
    .sort((a, b) => (a.decidedAt < b.decidedAt ? 1 : a.decidedAt > b.decidedAt ? -1 : 0))
    .slice(0, limit)
    .map(toDecisionRecord);
}

const goalOf = (c: Campaign): string | undefined =>
  c.goal
    ? `${c.goal.conversion.detailType} within ${c.goal.within}${c.goal.target !== undefined ? `, target ${c.goal.target}%` : ''}`
    : undefined;

function add(counts: Counts, record: ContactRecord): void {
  counts.decisions++;
  counts.byOutcome[record.outcome]++;
  if (record.reason) counts.byReason[record.reason] = (counts.byReason[record.reason] ?? 0) + 1;
  // A message went out when the decision is `sent` and no longer waiting for a transient retry.
  if (record.outcome === 'sent' && record.channel && record.status !== 'sending')
    counts.messagesByChannel[record.channel]++;
  if (record.conversion) counts.conversions++;
  // Each duplicate was a decision of its own (suppressed, duplicate), counted on the original record.
  const duplicates = record.duplicates ?? 0;
  if (duplicates > 0) {
    counts.decisions += duplicates;
    counts.byOutcome.suppressed += duplicates;
    counts.byReason.duplicate = (counts.byReason.duplicate ?? 0) + duplicates;
  }
}

const emptyFunnel = (): Funnel => ({ sent: 0, delivered: 0, opened: 0, clicked: 0, converted: 0 });

function addToFunnel(funnel: Funnel, record: ContactRecord): void {
  if (record.outcome !== 'sent' || record.status === 'sending') return;
  funnel.sent++;
  const types = new Set(record.feedback?.map((f) => f.type));
  if (types.has('delivered')) funnel.delivered++;
  if (types.has('opened')) funnel.opened++;
  if (types.has('clicked')) funnel.clicked++;
  if (record.conversion) funnel.converted++;
}

/** Per campaign (every campaign of the strategy, plus any found only in the data) and in total. */
export function metricsOf(records: readonly ContactRecord[], strategy: Strategy, now: number): Metrics {
  const totals = emptyCounts();
  const byCampaign = new Map<string, CampaignMetrics>();
  for (const c of strategy.campaigns) {
    const goal = goalOf(c);
    byCampaign.set(c.id, {
      campaignId: c.id,
      name: c.name ?? c.id,
      purpose: c.purpose,
      enabled: c.enabled,
      ...(goal && { goal }),
      ...emptyCounts(),
      funnel: emptyFunnel(),
    });
  }
  for (const record of records) {
    let campaign = byCampaign.get(record.campaignId);
    if (!campaign) {
      campaign = {
        campaignId: record.campaignId,
        name: record.campaignId,
        purpose: 'unknown',
        enabled: false,
        ...emptyCounts(),
        funnel: emptyFunnel(),
      };
      byCampaign.set(record.campaignId, campaign);
    }
    add(campaign, record);
    add(totals, record);
    addToFunnel(campaign.funnel, record);
  }
  return {
    generatedAt: new Date(now).toISOString(),
    totals,
    campaigns: [...byCampaign.values()],
    uplift: measureUplift(strategy.campaigns, records),
  };
}

function audienceText(name: string, filter: unknown): string {
  if (Array.isArray(filter)) return `${name} is ${filter.join(' or ')}`;
  if (typeof filter !== 'object' || filter === null) return `${name}: ${JSON.stringify(filter)}`;
  const parts = Object.entries(filter).map(([op, value]) => {
    switch (op) {
      case 'exists':
        return value ? 'is known' : 'is unknown';
      case 'gte':
        return `≥ ${value}`;
      case 'gt':
        return `> ${value}`;
      case 'lte':
        return `≤ ${value}`;
      case 'lt':
        return `< ${value}`;
      case 'before':
        return `before ${value}`;
      case 'after':
        return `after ${value}`;
      default:
        return `${op} ${JSON.stringify(value)}`;
    }
  });
  return `${name} ${parts.join(' and ')}`;
}

function triggerText(c: Campaign): string {
  const date = c.trigger.date;
  if (date) {
    const when = date.anniversary ? 'every year on' : 'on';
    return `${date.daysBefore > 0 ? `${date.daysBefore} days before ` : ''}${when} ${date.attribute}`;
  }
  const pattern = c.trigger.pattern ?? {};
  const list = (v: unknown) => (Array.isArray(v) ? v.filter((x) => typeof x === 'string').join(' / ') : '');
  const main = [list(pattern.source), list(pattern['detail-type'])].filter(Boolean).join(' · ');
  const more = Object.keys(pattern).some((k) => k !== 'source' && k !== 'detail-type') ? ' + filters' : '';
  return `${main || 'custom pattern'}${more}`;
}

/** The strategy as the dashboard draws it, and as `GET /api/strategy` serves it. */
export function strategyViewOf(strategy: Strategy, file: string): StrategyView {
  return {
    file,
    ...(strategy.brand && { brand: strategy.brand.name }),
    diagram: strategyDiagram(strategy),
    contactRules: strategy.contactRules.caps.map(
      (c) =>
        `at most ${c.max} ${c.purpose ? `${c.purpose} ` : ''}message${c.max === 1 ? '' : 's'}${c.channel ? ` by ${c.channel}` : ''} per ${c.per}`,
    ),
    campaigns: strategy.campaigns.map((c): CampaignView => {
      const count = c.trigger.when?.count;
      const goal = goalOf(c);
      return {
        id: c.id,
        name: c.name ?? c.id,
        ...(c.description && { description: c.description }),
        purpose: c.purpose,
        enabled: c.enabled,
        priority: c.priority,
        triggerKind: c.trigger.date ? 'date' : 'event',
        trigger: triggerText(c),
        ...(count && { rule: `${count.atLeast}× ${count.detailType} within ${count.within}` }),
        audience: Object.entries(c.audience).map(([k, v]) => audienceText(k, v)),
        channels: [...c.channels],
        timing: [
          c.delay && `after ${c.delay}`,
          c.expires && `expires after ${c.expires}`,
          c.quietHours === false
            ? 'ignores quiet hours'
            : c.quietHours && `quiet ${c.quietHours.from}–${c.quietHours.to}`,
        ].filter((x): x is string => typeof x === 'string'),
        caps: c.caps.map((cap) => `max ${cap.max} per ${cap.per}`),
        variants: c.variants.map((v) => `${v.id} ${v.weight}% (${v.template})`),
        holdout: c.holdout,
        ...(goal && { goal }),
        ...(c.learn && { learn: c.learn }),
      };
    }),
  };
}

/** True when the export holds anything at all about the customer. */
export const knownCustomer = (data: CustomerExport): boolean =>
  data.profile !== undefined ||
  data.consentLedger.length > 0 ||
  data.contactHistory.length > 0 ||
  Object.keys(data.consent).length > 0;
