import { compileEventPattern, type EventPattern } from '#shared/event-pattern/index.ts';
import { campaignPattern } from '#shared/strategy/campaign-pattern.ts';
import type { CompiledStrategy } from '#shared/strategy/load.ts';
import type { Campaign, Channel, QuietHours, Strategy } from '#shared/strategy/schema.ts';
import type { TemplateSet } from '#shared/strategy/templates.ts';
import { type AttributeTest, compileAudience } from './audience.ts';
import { shortHash } from './hash.ts';
import { sendRetentionMs } from './retention.ts';
import { durationMs } from './time.ts';

export interface CapRule {
  readonly scope: 'campaign' | 'global';
  readonly max: number;
  readonly per: string;
  readonly perMs: number;
  readonly purpose?: string;
  readonly channel?: Channel;
}

/** A threshold rule's activity counter; campaigns with the same rule share one counter. */
export interface CounterRule {
  readonly id: string;
  readonly source?: string;
  readonly detailType: string;
  readonly matches: (event: unknown) => boolean;
}

export interface CompiledCampaign {
  readonly campaign: Campaign;
  readonly matches: (event: unknown) => boolean;
  readonly audience: readonly AttributeTest[];
  readonly threshold?: {
    readonly counter: CounterRule;
    readonly atLeast: number;
    readonly within: string;
    readonly withinMs: number;
  };
  /** Caps on the campaign as a whole: its own, and global caps without a channel that apply to its purpose. */
  readonly caps: readonly CapRule[];
  /** Global caps on one channel that apply to the campaign's purpose. */
  readonly channelCaps: readonly CapRule[];
  readonly delayMs: number;
  readonly expiresMs?: number;
  readonly quietHours?: QuietHours;
  /** Holdout size in buckets of 10,000. */
  readonly holdoutBuckets: number;
  /** Cumulative variant bounds in buckets of 10,000. */
  readonly variantBounds: readonly {
    readonly id: string;
    readonly template: string;
    readonly upTo: number;
  }[];
}

export interface Engine {
  readonly strategy: Strategy;
  readonly templates: TemplateSet;
  readonly campaigns: readonly CompiledCampaign[];
  /** The campaigns by descending priority, ties by id: the order of arbitration. */
  readonly byPriority: readonly CompiledCampaign[];
  readonly counters: readonly CounterRule[];
  /** The longest cap window: sends older than this can be forgotten. */
  readonly maxCapWindowMs: number;
  /** The longest threshold window: activity older than this can be forgotten. */
  readonly maxActivityWindowMs: number;
}

/** A global cap applies to a campaign when it names the campaign's purpose, or names none and the campaign is not a service message. */
export const capAppliesToPurpose = (capPurpose: string | undefined, purpose: string): boolean =>
  capPurpose === undefined ? purpose !== 'service' : capPurpose === purpose;

function counterFor(
  count: NonNullable<Campaign['trigger']['when']>['count'],
  counters: Map<string, CounterRule>,
): CounterRule {
  const pattern: EventPattern = {
    ...(count.source !== undefined && { source: [count.source] }),
    'detail-type': [count.detailType],
    ...(count.filter !== undefined && { detail: count.filter }),
  };
  const id = `c${shortHash(JSON.stringify(pattern))}`;
  let counter = counters.get(id);
  if (!counter) {
    counter = {
      id,
      ...(count.source !== undefined && { source: count.source }),
      detailType: count.detailType,
      matches: compileEventPattern(pattern),
    };
    counters.set(id, counter);
  }
  return counter;
}

/**
 * Compiles a validated strategy once (patterns into predicates, durations into milliseconds, weights
 * into bucket bounds) so that deciding is cheap: the engine replays ≥ 50,000 events/s on one core.
 */
export function compileEngine({ strategy, templates }: CompiledStrategy): Engine {
  const counters = new Map<string, CounterRule>();
  const globalCaps = strategy.contactRules.caps.map((c) => ({ ...c, perMs: durationMs(c.per) }));
  let maxActivityWindowMs = 0;
  const campaigns = strategy.campaigns
    .filter((c) => c.enabled)
    .map((campaign): CompiledCampaign => {
      const applicable = globalCaps.filter((c) => capAppliesToPurpose(c.purpose, campaign.purpose));
      const own = campaign.caps.map(
        (c): CapRule => ({ scope: 'campaign', max: c.max, per: c.per, perMs: durationMs(c.per) }),
      );
      const toRule = (c: (typeof globalCaps)[number]): CapRule => ({
        scope: 'global',
        max: c.max,
        per: c.per,
        perMs: c.perMs,
        ...(c.purpose !== undefined && { purpose: c.purpose }),
        ...(c.channel !== undefined && { channel: c.channel }),
      });
      const count = campaign.trigger.when?.count;
      const threshold = count && {
        counter: counterFor(count, counters),
        atLeast: count.atLeast,
        within: count.within,
        withinMs: durationMs(count.within),
      };
      if (threshold) maxActivityWindowMs = Math.max(maxActivityWindowMs, threshold.withinMs);
      let upTo = 0;
      const variantBounds = campaign.variants.map((v) => {
        upTo += Math.round(v.weight * 100);
        return { id: v.id, template: v.template, upTo };
      });
      const quietHours =
        campaign.quietHours === undefined ? strategy.defaults.quietHours : campaign.quietHours || undefined;
      return {
        campaign,
        matches: compileEventPattern(campaignPattern(campaign)),
        audience: compileAudience(campaign.audience),
        ...(threshold && { threshold }),
        caps: [...own, ...applicable.filter((c) => c.channel === undefined).map(toRule)],
        channelCaps: applicable.filter((c) => c.channel !== undefined).map(toRule),
        delayMs: campaign.delay ? durationMs(campaign.delay) : 0,
        ...(campaign.expires && { expiresMs: durationMs(campaign.expires) }),
        ...(quietHours && { quietHours }),
        holdoutBuckets: Math.round(campaign.holdout * 100),
        variantBounds,
      };
    });
  const byPriority = [...campaigns].sort(
    (a, b) => b.campaign.priority - a.campaign.priority || (a.campaign.id < b.campaign.id ? -1 : 1),
  );
  return {
    strategy,
    templates,
    campaigns,
    byPriority,
    counters: [...counters.values()],
    maxCapWindowMs: sendRetentionMs(strategy),
    maxActivityWindowMs,
  };
}

/** The activity counters an event increments (the `activity` function updates them). */
export function countersForEvent(engine: Engine, event: unknown): CounterRule[] {
  return engine.counters.filter((c) => c.matches(event));
}
