import type { Fact } from '#shared/domain/decision.ts';
import { explainFact } from '#shared/domain/explain.ts';
import type { ContactRecord } from '#shared/domain/store.ts';
import { formatTable } from './simulate.ts';

/**
 * `contact simulate --diff`, decision by decision: which (event, campaign) pairs the other strategy
 * decides differently, how, and why — the per-campaign counts say how much changes, this says for whom
 * and by which rule. Both replays make the same ids for the same input (events by line, date triggers
 * by campaign and date, customer loads by row: see `replay`), so a pair is the same in both. The same
 * pairing gives one customer's timeline (`--customer ID`).
 */

/** How one strategy decided a pair. */
export interface DecidedAs {
  /** `sent (email)`, `sent (email, variant b)`, `deferred`, `holdout`, `suppressed (cap_reached)`. */
  readonly label: string;
  readonly decidedAt: string;
  /** What decided it, in the dashboard's words: the checks a suppression failed; the wait or group. */
  readonly why: readonly string[];
}

/** One (event, campaign) pair, and how each strategy decided it. */
export interface PairedDecision {
  readonly customerId: string;
  readonly campaignId: string;
  readonly eventId: string;
  /**
   * Absent: no record of its own under that strategy — the event did not trigger the campaign there,
   * or the pair was counted as a duplicate on the record of an earlier event with the same key.
   */
  readonly base?: DecidedAs;
  /** Absent as `base`; or no second strategy (a customer's timeline under one). */
  readonly other?: DecidedAs;
}

export interface DecisionDiff {
  /** Pairs with a record under either strategy. */
  readonly pairs: number;
  readonly changed: number;
  /** Customers with at least one changed pair. */
  readonly customers: number;
  /** Every kind of change (`from` → `to`, `—` for no record), most frequent first. */
  readonly transitions: readonly { readonly from: string; readonly to: string; readonly count: number }[];
  /** Every changed pair, in the records' order (by customer). */
  readonly changes: readonly PairedDecision[];
}

/** The label a record is compared by: what was decided, on which channel and variant. */
export function decisionLabel(r: ContactRecord): string {
  if (r.status === 'sending' || r.outcome === 'deferred') return 'deferred';
  if (r.outcome === 'suppressed') return `suppressed (${r.reason ?? 'no_channel'})`;
  const details = [r.outcome === 'sent' ? r.channel : undefined, r.variant && `variant ${r.variant}`].filter(
    (x): x is string => typeof x === 'string' && x !== '',
  );
  return details.length > 0 ? `${r.outcome} (${details.join(', ')})` : r.outcome;
}

/** The fact that names a suppression's reason even when it is not a failed check (an expiry, a ranking). */
const REASON_FACT: Partial<Record<string, Fact['kind']>> = { expired: 'expiry', outranked: 'arbitration' };

/**
 * What decided a record, in plain words: the checks a suppression failed, the group of a holdout, the
 * wait of a deferred or delayed send.
 */
function why(r: ContactRecord): string[] {
  const texts: string[] = [];
  for (const fact of r.facts) {
    const { text, ok } = explainFact(fact);
    const telling =
      r.outcome === 'suppressed'
        ? ok === false || fact.kind === REASON_FACT[r.reason ?? '']
        : r.outcome === 'holdout'
          ? fact.kind === 'holdout'
          : fact.kind === 'delay' || fact.kind === 'quiet_hours';
    if (telling) texts.push(text);
  }
  if (texts.length === 0 && r.reason === 'unknown_customer')
    texts.push('No profile for the customer (never created, or erased)');
  return texts;
}

const decidedAs = (r: ContactRecord | undefined): DecidedAs | undefined =>
  r && { label: decisionLabel(r), decidedAt: r.decidedAt, why: why(r) };

const pairOf = (r: ContactRecord) => `${r.customerId}\u0000${r.campaignId}\u0000${r.eventId}`;

/** A pair from its record under each strategy (at least one). */
function paired(a: ContactRecord | undefined, b: ContactRecord | undefined): PairedDecision {
  const r = (a ?? b) as ContactRecord;
  const [base, other] = [decidedAs(a), decidedAs(b)];
  return {
    customerId: r.customerId,
    campaignId: r.campaignId,
    eventId: r.eventId,
    ...(base && { base }),
    ...(other && { other }),
  };
}
const NONE = '—';

/** Pairs the two contact histories by (customer, campaign, event) and keeps the pairs decided differently. */
export function diffDecisions(base: readonly ContactRecord[], other: readonly ContactRecord[]): DecisionDiff {
  const others = new Map<string, ContactRecord>();
  for (const r of other) others.set(pairOf(r), r);
  const changes: PairedDecision[] = [];
  const seen = new Set<string>();
  const compare = (a: ContactRecord | undefined, b: ContactRecord | undefined) => {
    if (!(a && b && decisionLabel(a) === decisionLabel(b))) changes.push(paired(a, b));
  };
  for (const a of base) {
    const key = pairOf(a);
    seen.add(key);
    compare(a, others.get(key));
  }
  let onlyOther = 0;
  for (const b of other)
    if (!seen.has(pairOf(b))) {
      onlyOther++;
      compare(undefined, b);
    }
  // Pairs only the other strategy decides come after the base's: put every change in customer order.
  changes.sort((x, y) => (x.customerId < y.customerId ? -1 : x.customerId > y.customerId ? 1 : 0));

  const counts = new Map<string, { from: string; to: string; count: number }>();
  for (const c of changes) {
    const [from, to] = [c.base?.label ?? NONE, c.other?.label ?? NONE];
    const key = `${from}\u0000${to}`;
    const t = counts.get(key) ?? { from, to, count: 0 };
    t.count++;
    counts.set(key, t);
  }
  const transitions = [...counts.values()].sort(
    (x, y) => y.count - x.count || (x.from < y.from ? -1 : x.from > y.from ? 1 : x.to < y.to ? -1 : 1),
  );
  return {
    pairs: seen.size + onlyOther,
    changed: changes.length,
    customers: new Set(changes.map((c) => c.customerId)).size,
    transitions,
    changes,
  };
}

/**
 * The decision diff as text: how many pairs change, every kind of change with its count, and the first
 * `examples` pairs of each with what decided them (`--json` has every pair).
 */
export function formatDecisionDiff(d: DecisionDiff, examples = 3): string {
  if (d.changed === 0) return `decisions that change: none of ${d.pairs.toLocaleString('en')}`;
  const n = (x: number) => x.toLocaleString('en');
  const share = ((100 * d.changed) / Math.max(d.pairs, 1)).toFixed(1);
  const lines = [
    `decisions that change: ${n(d.changed)} of ${n(d.pairs)} (${share}%), for ${n(d.customers)} customer${d.customers === 1 ? '' : 's'}`,
    '',
    formatTable(
      ['change (base → other)', 'decisions'],
      d.transitions.map((t) => [`${t.from} → ${t.to}`, t.count]),
    ),
    '',
    `examples (the first ${examples} of each change; --json lists all ${n(d.changed)}):`,
  ];
  const shown = new Map<string, number>();
  const byChange = new Map<string, string[]>();
  for (const c of d.changes) {
    const key = `${c.base?.label ?? NONE} → ${c.other?.label ?? NONE}`;
    const count = shown.get(key) ?? 0;
    if (count >= examples) continue;
    shown.set(key, count + 1);
    const out = byChange.get(key) ?? [];
    out.push(`  ${c.customerId} · ${c.campaignId} · ${c.eventId} · ${(c.base ?? c.other)?.decidedAt}`);
    for (const [side, as] of [
      ['base', c.base],
      ['other', c.other],
    ] as const)
      if (as && as.why.length > 0) out.push(`    ${side}: ${as.why.join('; ')}`);
    byChange.set(key, out);
  }
  for (const t of d.transitions) {
    const key = `${t.from} → ${t.to}`;
    lines.push(`${key} (${n(t.count)}):`, ...(byChange.get(key) ?? []));
  }
  return lines.join('\n');
}

/**
 * Every decision about one customer, in time order: under one strategy, or paired under two (as
 * {@link diffDecisions} pairs them). `contact simulate --customer ID` prints it.
 */
export function customerTimeline(
  customerId: string,
  base: readonly ContactRecord[],
  other?: readonly ContactRecord[],
): PairedDecision[] {
  const mine = (records: readonly ContactRecord[] | undefined) =>
    new Map((records ?? []).filter((r) => r.customerId === customerId).map((r) => [pairOf(r), r]));
  const [a, b] = [mine(base), mine(other)];
  const at = (p: PairedDecision) => (p.base ?? p.other)?.decidedAt ?? '';
  return [...new Set([...a.keys(), ...b.keys()])]
    .map((key) => paired(a.get(key), b.get(key)))
    .sort((x, y) => (at(x) < at(y) ? -1 : at(x) > at(y) ? 1 : 0));
}

/** The timeline as text: a line per pair (`base → other` where two strategies differ), then what decided it. */
export function formatTimeline(
  customerId: string,
  entries: readonly PairedDecision[],
  twoStrategies: boolean,
): string {
  if (entries.length === 0)
    return `customer ${customerId}: no decisions (not in the history, or none of their events triggered a campaign)`;
  const label = (d: DecidedAs | undefined) => d?.label ?? NONE;
  const differs = (e: PairedDecision) => twoStrategies && label(e.base) !== label(e.other);
  const lines = [
    `customer ${customerId}: ${entries.length} decision${entries.length === 1 ? '' : 's'}${twoStrategies ? `, ${entries.filter(differs).length} decided differently (base → other)` : ''}`,
  ];
  for (const e of entries) {
    const first = (e.base ?? e.other) as DecidedAs;
    const decision = differs(e) ? `${label(e.base)} → ${label(e.other)}` : first.label;
    lines.push(
      `  ${first.decidedAt.slice(0, 16).replace('T', ' ')}  ${e.campaignId} · ${e.eventId}: ${decision}`,
    );
    const whys: [string, DecidedAs | undefined][] = differs(e)
      ? [
          ['base: ', e.base],
          ['other: ', e.other],
        ]
      : [['', first]];
    for (const [side, d] of whys) if (d && d.why.length > 0) lines.push(`      ${side}${d.why.join('; ')}`);
  }
  return lines.join('\n');
}
