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

/** Every customer event from the apps (not the platform's own `contact.*`, with a `detail.customerId`) → `activity`. */
export const ACTIVITY_PATTERN: EventPattern = {
  source: [{ 'anything-but': { prefix: PLATFORM_SOURCE_PREFIX } }],
  detail: { customerId: [{ exists: true }] },
};

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
  return [
    ...campaigns,
    { name: 'customer-data', bus: TRIGGER_BUS_NAME, pattern: CUSTOMER_DATA_PATTERN, target: 'profile' },
    { name: 'customer-activity', bus: TRIGGER_BUS_NAME, pattern: ACTIVITY_PATTERN, target: 'activity' },
    {
      name: 'email-feedback',
      bus: 'default',
      pattern: sesFeedbackPattern(options.configurationSetName),
      target: 'feedback',
    },
    { name: 'platform-feedback', bus: TRIGGER_BUS_NAME, pattern: FEEDBACK_PATTERN, target: 'feedback' },
  ];
}
