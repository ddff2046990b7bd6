import {
  CONSENT_SOURCE,
  CUSTOMERS_SOURCE,
  FEEDBACK_SOURCE,
  PROFILE_SOURCE,
  SES_SOURCE,
  TRIGGER_BUS_NAME,
} from '#shared/domain/events.ts';
import type { EventPattern } from '#shared/event-pattern/index.ts';
import { campaignPattern } from '#shared/strategy/campaign-pattern.ts';
import type { Strategy } from '#shared/strategy/schema.ts';

/** Which queue a rule feeds; each queue has one consuming function. */
export type RouteTarget = 'buffer' | 'profile' | 'activity' | 'feedback';

export interface Route {
  /** Stable rule name (also the CDK construct id). */
  readonly name: string;
  /** `contact-triggers`, or the account's default bus (SES can publish only there). */
  readonly bus: typeof TRIGGER_BUS_NAME | 'default';
  readonly pattern: EventPattern;
  readonly target: RouteTarget;
  /** For campaign rules: the message is `{ campaignId, event }`; otherwise the event itself. */
  readonly campaignId?: string;
}

/** The platform's own sources start with this; none of them is customer activity. */
export const PLATFORM_SOURCE_PREFIX = 'contact.';

/** Profile, consent and erasure events → the `profile` queue (unknown detail-types are refused there, with a reason). */
export const CUSTOMER_DATA_PATTERN: EventPattern = {
  source: [PROFILE_SOURCE, CONSENT_SOURCE, CUSTOMERS_SOURCE],
};

/**
 * Every customer event from the apps (not the platform's own `contact.*`, with a `detail.customerId`).
 * The activity rule narrows this to the events the strategy counts or attributes
 * ({@link activityPattern}); this is the outer bound a narrowed pattern never exceeds.
 */
export const ACTIVITY_PATTERN: EventPattern = {
  source: [{ 'anything-but': { prefix: PLATFORM_SOURCE_PREFIX } }],
  detail: { customerId: [{ exists: true }] },
};

/**
 * The events `activity` has work for: those a threshold rule counts (`trigger.when.count`) and those a
 * goal names as its conversion (`goal.conversion`), as one `$or` of (source, detail-type) pairs. Every
 * other event would only cost an SQS message, an invocation and a log line to be ignored there, so it
 * is not routed (docs/adr/0002-cost-per-triggered-send.md). `undefined` when the strategy
 * counts and attributes nothing: no activity rule at all.
 */
export function activityPattern(strategy: Strategy): EventPattern | undefined {
  const pairs = new Map<string, { source?: string; detailType: string }>();
  for (const c of strategy.campaigns.filter((c) => c.enabled)) {
    for (const e of [c.trigger.when?.count, c.goal?.conversion]) {
      if (!e) continue;
      pairs.set(JSON.stringify([e.source ?? null, e.detailType]), {
        ...(e.source !== undefined && { source: e.source }),
        detailType: e.detailType,
      });
    }
  }
  if (pairs.size === 0) return undefined;
  const sorted = [...pairs.values()].sort((a, b) =>
    `${a.source ?? ''}\0${a.detailType}` < `${b.source ?? ''}\0${b.detailType}` ? -1 : 1,
  );
  const alternatives = sorted.map(
    (p): EventPattern => ({
      source: p.source !== undefined ? [p.source] : ACTIVITY_PATTERN.source,
      'detail-type': [p.detailType],
    }),
  );
  const [only] = alternatives;
  return {
    ...(alternatives.length === 1 && only ? only : { $or: alternatives }),
    detail: { customerId: [{ exists: true }] },
  };
}

/** Normalised SMS and push feedback on the platform's bus → the `feedback` queue. */
export const FEEDBACK_PATTERN: EventPattern = { source: [FEEDBACK_SOURCE] };

/**
 * SES events of the platform's configuration set, on the default bus → `feedback`. SES tags every
 * event it publishes through a configuration set with `ses:configuration-set`; filtering on it keeps
 * out the account's other mail and SES's account-level events. Without a name (local runtime), all.
 */
export function sesFeedbackPattern(configurationSetName?: string): EventPattern {
  return configurationSetName
    ? {
        source: [SES_SOURCE],
        detail: { mail: { tags: { 'ses:configuration-set': [configurationSetName] } } },
      }
    : { source: [SES_SOURCE] };
}

/**
 * Every EventBridge rule of the platform, derived from the strategy. `cdk synth` deploys exactly these
 * and the local EventBridge endpoint routes with exactly these, so local runs and AWS agree.
 */
export function platformRoutes(strategy: Strategy, options: { configurationSetName?: string } = {}): Route[] {
  const campaigns = strategy.campaigns
    .filter((c) => c.enabled)
    .map(
      (c): Route => ({
        name: `campaign-${c.id}`,
        bus: TRIGGER_BUS_NAME,
        pattern: campaignPattern(c),
        target: 'buffer',
        campaignId: c.id,
      }),
    );
  const activity = activityPattern(strategy);
  return [
    ...campaigns,
    { name: 'customer-data', bus: TRIGGER_BUS_NAME, pattern: CUSTOMER_DATA_PATTERN, target: 'profile' },
    ...(activity
      ? [{ name: 'customer-activity', bus: TRIGGER_BUS_NAME, pattern: activity, target: 'activity' } as const]
      : []),
    {
      name: 'email-feedback',
      bus: 'default',
      pattern: sesFeedbackPattern(options.configurationSetName),
      target: 'feedback',
    },
    { name: 'platform-feedback', bus: TRIGGER_BUS_NAME, pattern: FEEDBACK_PATTERN, target: 'feedback' },
  ];
}
