import type { ContactRecord } from '#shared/domain/store.ts';
import type { Campaign } from '#shared/strategy/schema.ts';

/**
 * Uplift: what a campaign changed, measured against its control group (DESIGN.md "prove afterwards
 * what that did"). Sales that would have happened anyway show up in the holdout too; the difference is
 * the campaign's effect.
 *
 * The unit is the **customer**, because that is what the holdout assigns (a customer's holdout and
 * variant buckets are fixed per campaign): a customer triggered three times is one customer, not three
 * independent trials. Counting contacts would make repeat triggers look like more evidence than there
 * is and the intervals too narrow.
 *
 * Steps, per campaign:
 * 1. take its triggered contacts (offers shown at a contact moment are not part of the experiment:
 *    nobody is held out at a till) that were sent or held out, and group them by customer;
 * 2. put each customer in the group of their first contact (treated or holdout, and for the treated
 *    their variant): intention to treat, so a later change of the holdout percentage cannot move a
 *    customer to the group that suits the result;
 * 3. a customer converted when any goal conversion was attributed to any of their contacts of the
 *    campaign (each conversion lies within the goal window of the contact it was attributed to, see
 *    `record-activity.ts`); their value is the sum of those conversions' values;
 * 4. give each group's conversion rate with its 95% Wilson score interval (sound for small groups and
 *    rates near 0 or 1, where the plain normal interval collapses);
 * 5. compare treated against holdout, and every other variant against the first, as a difference of
 *    two proportions with Newcombe's hybrid score interval (method 10 of Newcombe 1998, built from the
 *    two Wilson intervals): it keeps a width when a rate is 0 or 1 and holds its 95% coverage at small
 *    counts, where the Wald interval (estimate ± 1.96·SE) claims significance it does not have;
 *    significant when the interval excludes zero;
 * 6. answer the campaign's learning goal (`learn:`) with those comparisons, and put the goal's target
 *    beside the measured rate: "5% within 14d: 3.1% [2.4–3.8%]".
 *
 * Contacts still inside their goal window may convert later: the numbers are "so far", and both groups
 * are equally young, so the comparison stays fair while they mature.
 */

/** z for a two-sided 95% interval. */
export const Z95 = 1.959963984540054;

/** A group of customers and how many of them converted. */
export interface GroupRate {
  /** Customers in the group (each counted once, however often they were triggered). */
  readonly customers: number;
  /** Their contacts: messages sent, or triggers held out (at least one per customer). */
  readonly contacts: number;
  /** Customers with at least one goal conversion attributed to them. */
  readonly conversions: number;
  /** conversions / customers; 0 for an empty group. */
  readonly rate: number;
  /** 95% Wilson score interval of the rate; undefined for an empty group. */
  readonly interval?: readonly [number, number];
  /** Sum of the attributed conversions' values (order totals). */
  readonly value: number;
}

/** A difference of two conversion rates (treatment − control) with its 95% interval. */
export interface Comparison {
  /** `treated` or a variant id. */
  readonly treatment: string;
  /** `holdout` or a variant id. */
  readonly control: string;
  /** Absolute difference of the rates (0.012 = +1.2 percentage points). */
  readonly difference: number;
  /** 95% interval of the difference; undefined while either group is empty. */
  readonly interval?: readonly [number, number];
  /** Relative uplift (difference / control rate); undefined when the control rate is 0. */
  readonly relative?: number;
  /** The interval excludes zero. */
  readonly significant: boolean;
  /** In words: "b vs a: +1.2 pp [−0.8 pp to +3.2 pp], not significant yet (400 vs 600 customers)". */
  readonly summary: string;
}

export interface CampaignUplift {
  readonly campaignId: string;
  readonly name: string;
  /** `OrderPlaced within 14d`, when the campaign has a goal. */
  readonly goal?: { readonly conversion: string; readonly within: string; readonly target?: number };
  readonly treated: GroupRate;
  readonly holdout?: GroupRate;
  /** The treated group by variant, in strategy order (only with two or more variants). */
  readonly variants: readonly (GroupRate & { readonly id: string })[];
  /** Treated vs holdout (campaigns with a holdout). */
  readonly uplift?: Comparison;
  /** Every other variant vs the first. */
  readonly variantComparisons: readonly Comparison[];
  /** "5% within 14d: 3.1% [2.4–3.8%]": the goal's target beside the measured rate. */
  readonly headline: string;
  /** The `learn:` question and the answer so far. */
  readonly learn?: { readonly question: string; readonly answer: string };
}

/** The 95% Wilson score interval of k successes in n trials. */
export function wilsonInterval(k: number, n: number, z = Z95): readonly [number, number] | undefined {
  if (n <= 0) return undefined;
  const p = k / n;
  const z2 = z * z;
  const denominator = 1 + z2 / n;
  const centre = (p + z2 / (2 * n)) / denominator;
  const half = (z * Math.sqrt((p * (1 - p)) / n + z2 / (4 * n * n))) / denominator;
  return [Math.max(0, centre - half), Math.min(1, centre + half)];
}

/**
 * The difference p1 − p2 of two proportions with its 95% interval: Newcombe's hybrid score interval
 * (Newcombe 1998, Statistics in Medicine 17:873–890, method 10). With (l1, u1) and (l2, u2) the Wilson
 * intervals of p1 and p2: [d − √((p1 − l1)² + (u2 − p2)²), d + √((u1 − p1)² + (p2 − l2)²)].
 * No interval while either group is empty.
 */
export function differenceInterval(
  k1: number,
  n1: number,
  k2: number,
  n2: number,
  z = Z95,
): { difference: number; interval?: readonly [number, number] } {
  const p1 = n1 > 0 ? k1 / n1 : 0;
  const p2 = n2 > 0 ? k2 / n2 : 0;
  const difference = p1 - p2;
  const w1 = wilsonInterval(k1, n1, z);
  const w2 = wilsonInterval(k2, n2, z);
  if (!w1 || !w2) return { difference };
  const [l1, u1] = w1;
  const [l2, u2] = w2;
  return {
    difference,
    interval: [difference - Math.hypot(p1 - l1, u2 - p2), difference + Math.hypot(u1 - p1, p2 - l2)],
  };
}

/** `3.1%` (one decimal, trailing .0 kept short: `5%`). */
export const pct = (rate: number): string => `${trim((rate * 100).toFixed(1))}%`;
const trim = (s: string) => s.replace(/\.0$/, '').replace(/^-0$/, '0');
const pp = (d: number): string => `${d > 0 ? '+' : d < 0 ? '−' : ''}${trim(Math.abs(d * 100).toFixed(1))} pp`;
const range = (i: readonly [number, number]): string =>
  `[${trim((i[0] * 100).toFixed(1))}–${trim((i[1] * 100).toFixed(1))}%]`;

function rateOf(t: Tally): GroupRate {
  const interval = wilsonInterval(t.conversions, t.customers);
  return {
    customers: t.customers,
    contacts: t.contacts,
    conversions: t.conversions,
    rate: t.customers > 0 ? t.conversions / t.customers : 0,
    ...(interval && { interval }),
    value: t.value,
  };
}

/** Compares two groups; `treatment`/`control` name them in the summary. */
export function compare(treatment: string, t: GroupRate, control: string, c: GroupRate): Comparison {
  const { difference, interval } = differenceInterval(t.conversions, t.customers, c.conversions, c.customers);
  const significant = interval !== undefined && (interval[0] > 0 || interval[1] < 0);
  const relative = c.rate > 0 ? difference / c.rate : undefined;
  const verdict =
    interval === undefined
      ? 'no data yet'
      : significant
        ? `significant (${difference > 0 ? `${treatment} converts better` : `${control} converts better`})`
        : 'not significant yet';
  const bounds = interval ? ` [${pp(interval[0])} to ${pp(interval[1])}]` : '';
  return {
    treatment,
    control,
    difference,
    ...(interval && { interval }),
    ...(relative !== undefined && { relative }),
    significant,
    summary: `${treatment} vs ${control}: ${pp(difference)}${bounds}, ${verdict} (${t.customers} vs ${c.customers} customers)`,
  };
}

interface Tally {
  customers: number;
  contacts: number;
  conversions: number;
  value: number;
}
const tally = (): Tally => ({ customers: 0, contacts: 0, conversions: 0, value: 0 });

/** One customer of the experiment: the group of their first contact, and what they did. */
interface Assigned {
  first: ContactRecord;
  contacts: number;
  converted: boolean;
  value: number;
}

/** A contact of the experiment: a message that went out, or a trigger held out (not a shown offer). */
const inExperiment = (r: ContactRecord, campaignId: string): boolean =>
  r.campaignId === campaignId &&
  r.moment === undefined &&
  (r.outcome === 'holdout' || (r.outcome === 'sent' && r.status !== 'sending'));

/** Uplift of one campaign from its contact records (records of other campaigns are ignored). */
export function campaignUplift(campaign: Campaign, records: Iterable<ContactRecord>): CampaignUplift {
  const customers = new Map<string, Assigned>();
  for (const r of records) {
    if (!inExperiment(r, campaign.id)) continue;
    const seen = customers.get(r.customerId);
    const a = seen ?? { first: r, contacts: 0, converted: false, value: 0 };
    if (!seen) customers.set(r.customerId, a);
    else if (r.decidedAt < a.first.decidedAt) a.first = r;
    a.contacts++;
    if (r.conversion) {
      a.converted = true;
      a.value += r.conversion.value ?? 0;
    }
  }
  const treated = tally();
  const holdout = tally();
  const byVariant = new Map<string, Tally>(campaign.variants.map((v) => [v.id, tally()]));
  const add = (t: Tally, a: Assigned) => {
    t.customers++;
    t.contacts += a.contacts;
    if (a.converted) t.conversions++;
    t.value += a.value;
  };
  for (const a of customers.values()) {
    if (a.first.outcome === 'holdout') {
      add(holdout, a);
      continue;
    }
    add(treated, a);
    const v = a.first.variant !== undefined ? byVariant.get(a.first.variant) : undefined;
    if (v) add(v, a);
  }
  const treatedRate = rateOf(treated);
  const holdoutRate = campaign.holdout > 0 || holdout.customers > 0 ? rateOf(holdout) : undefined;
  const variants =
    campaign.variants.length > 1
      ? campaign.variants.map((v) => ({ id: v.id, ...rateOf(byVariant.get(v.id) ?? tally()) }))
      : [];
  const [first, ...others] = variants;
  const variantComparisons = first ? others.map((v) => compare(v.id, v, first.id, first)) : [];
  const uplift = holdoutRate ? compare('treated', treatedRate, 'holdout', holdoutRate) : undefined;

  const goal = campaign.goal;
  const measured = `${pct(treatedRate.rate)}${treatedRate.interval ? ` ${range(treatedRate.interval)}` : ''}`;
  const headline = goal
    ? `${goal.target !== undefined ? `${trim(String(goal.target))}% ` : ''}within ${goal.within}: ${measured}`
    : `no goal: ${treatedRate.customers} customers sent a message`;
  const answers = [...variantComparisons, ...(uplift ? [uplift] : [])].map((c) => c.summary);
  return {
    campaignId: campaign.id,
    name: campaign.name ?? campaign.id,
    ...(goal && {
      goal: {
        conversion: goal.conversion.detailType,
        within: goal.within,
        ...(goal.target !== undefined && { target: goal.target }),
      },
    }),
    treated: treatedRate,
    ...(holdoutRate && { holdout: holdoutRate }),
    variants,
    ...(uplift && { uplift }),
    variantComparisons,
    headline,
    ...(campaign.learn && {
      learn: {
        question: campaign.learn,
        answer:
          answers.length > 0
            ? answers.join('; ')
            : 'nothing to compare: the campaign has one variant and no holdout',
      },
    }),
  };
}

/** Uplift of every campaign with a goal, a holdout or variants to compare, in strategy order. */
export function measureUplift(
  campaigns: readonly Campaign[],
  records: readonly ContactRecord[],
): CampaignUplift[] {
  const byCampaign = new Map<string, ContactRecord[]>();
  for (const r of records) {
    const list = byCampaign.get(r.campaignId);
    if (list) list.push(r);
    else byCampaign.set(r.campaignId, [r]);
  }
  return campaigns
    .filter((c) => c.goal !== undefined || c.holdout > 0 || c.variants.length > 1)
    .map((c) => campaignUplift(c, byCampaign.get(c.id) ?? []));
}
