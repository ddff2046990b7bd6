import type { ContactRecord } from '#shared/domain/store.ts';
import type { Campaign } from '#shared/strategy/schema.ts';

/**
 * Uplift: what a campaign changed, measured against its control group (DESIGN.md "prove afterwards
 * what that did"). Sales that would have happened anyway show up in the holdout too; the difference is
 * the campaign's effect.
 *
 * Steps, per campaign:
 * 1. split its contact history into the treated group (`sent`: a message went out) and the holdout
 *    (`holdout`), and the treated group by variant; each contact counts once, converted when a goal
 *    conversion was attributed to it (see `record-activity.ts`);
 * 2. give each group's conversion rate with its 95% Wilson score interval (sound for small groups and
 *    rates near 0, where the plain normal interval collapses);
 * 3. compare treated against holdout, and every other variant against the first, as a difference of
 *    two proportions with its 95% interval (unpooled normal approximation); significant when the
 *    interval excludes zero;
 * 4. answer the campaign's learning goal (`learn:`) with those comparisons, and put the goal's target
 *    beside the measured rate: "5% within 14d: 3.1% [2.4–3.8%]".
 *
 * Contacts still inside their goal window may convert later: the numbers are "so far", and both groups
 * are equally young, so the comparison stays fair while they mature.
 */

/** z for a two-sided 95% interval. */
export const Z95 = 1.959963984540054;

/** A group of contacts and how many converted. */
export interface GroupRate {
  readonly contacts: number;
  readonly conversions: number;
  /** conversions / contacts; 0 for an empty group. */
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
  /** In words: "b vs a: +1.2 pp [−0.8 to +3.2 pp], not significant yet". */
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

/** The difference p1 − p2 of two proportions with its 95% interval (unpooled normal approximation). */
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
  if (n1 <= 0 || n2 <= 0) return { difference };
  const se = Math.sqrt((p1 * (1 - p1)) / n1 + (p2 * (1 - p2)) / n2);
  return { difference, interval: [difference - z * se, difference + z * se] };
}

/** `3.1%` (one decimal, trailing .0 kept short: `5%`). */
export const pct = (rate: number): string => `${trim((rate * 100).toFixed(1))}%`;
const trim = (s: string) => s.replace(/\.0$/, '').replace(/^-0$/, '0');
const pp = (d: number): string => `${d > 0 ? '+' : d < 0 ? '−' : ''}${trim(Math.abs(d * 100).toFixed(1))} pp`;
const range = (i: readonly [number, number]): string =>
  `[${trim((i[0] * 100).toFixed(1))}–${trim((i[1] * 100).toFixed(1))}%]`;

function rateOf(contacts: number, conversions: number, value: number): GroupRate {
  const interval = wilsonInterval(conversions, contacts);
  return {
    contacts,
    conversions,
    rate: contacts > 0 ? conversions / contacts : 0,
    ...(interval && { interval }),
    value,
  };
}

/** Compares two groups; `treatment`/`control` name them in the summary. */
export function compare(treatment: string, t: GroupRate, control: string, c: GroupRate): Comparison {
  const { difference, interval } = differenceInterval(t.conversions, t.contacts, c.conversions, c.contacts);
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
    summary: `${treatment} vs ${control}: ${pp(difference)}${bounds}, ${verdict} (${t.contacts} vs ${c.contacts} contacts)`,
  };
}

interface Tally {
  contacts: number;
  conversions: number;
  value: number;
}
const tally = (): Tally => ({ contacts: 0, conversions: 0, value: 0 });
const count = (t: Tally, r: ContactRecord) => {
  t.contacts++;
  if (r.conversion) {
    t.conversions++;
    t.value += r.conversion.value ?? 0;
  }
};

/** Uplift of one campaign from its contact records (records of other campaigns are ignored). */
export function campaignUplift(campaign: Campaign, records: Iterable<ContactRecord>): CampaignUplift {
  const treated = tally();
  const holdout = tally();
  const byVariant = new Map<string, Tally>(campaign.variants.map((v) => [v.id, tally()]));
  for (const r of records) {
    // Offers shown at a contact moment (till, call, web) have no control group there: they are not
    // part of the campaign's treated-vs-holdout experiment.
    if (r.campaignId !== campaign.id || r.moment !== undefined) continue;
    if (r.outcome === 'holdout') count(holdout, r);
    else if (r.outcome === 'sent' && r.status !== 'sending') {
      count(treated, r);
      const v = r.variant !== undefined ? byVariant.get(r.variant) : undefined;
      if (v) count(v, r);
    }
  }
  const treatedRate = rateOf(treated.contacts, treated.conversions, treated.value);
  const holdoutRate =
    campaign.holdout > 0 || holdout.contacts > 0
      ? rateOf(holdout.contacts, holdout.conversions, holdout.value)
      : undefined;
  const variants =
    campaign.variants.length > 1
      ? campaign.variants.map((v) => {
          const t = byVariant.get(v.id) ?? tally();
          return { id: v.id, ...rateOf(t.contacts, t.conversions, t.value) };
        })
      : [];
  const [first, ...others] = variants;
  const variantComparisons = first ? others.map((v) => compare(v.id, v, first.id, first)) : [];
  const uplift = holdoutRate ? compare('treated', treatedRate, 'holdout', holdoutRate) : undefined;

  const goal = campaign.goal;
  const measured = `${pct(treatedRate.rate)}${treatedRate.interval ? ` ${range(treatedRate.interval)}` : ''}`;
  const headline = goal
    ? `${goal.target !== undefined ? `${trim(String(goal.target))}% ` : ''}within ${goal.within}: ${measured}`
    : `no goal: ${treatedRate.contacts} sent`;
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
