import {
  CONSENT_SOURCE,
  CUSTOMERS_SOURCE,
  FEEDBACK_SOURCE,
  PROFILE_SOURCE,
  type TRIGGER_BUS_NAME,
} from '#shared/domain/events.ts';
import { campaignPattern } from '#shared/engine/compile.ts';
import type { EventPattern } from '#shared/event-pattern/index.ts';
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

/**
 * Every EventBridge rule of the platform, derived from the strategy. `cdk synth` deploys exactly these
 * and the local EventBridge endpoint routes with exactly these, so local runs and AWS agree.
 */
export function platformRoutes(strategy: Strategy): Route[] {
  const campaigns = strategy.campaigns
    .filter((c) => c.enabled)
    .map(
      (c): Route => ({
        name: `campaign-${c.id}`,
        bus: 'contact-triggers',
        pattern: campaignPattern(c),
        target: 'buffer',
        campaignId: c.id,
      }),
    );
  return [
    ...campaigns,
    {
      name: 'customer-data',
      bus: 'contact-triggers',
      pattern: { source: [PROFILE_SOURCE, CONSENT_SOURCE, CUSTOMERS_SOURCE] },
      target: 'profile',
    },
    {
      // Every customer event from an app feeds the activity counters and goal conversions.
      name: 'customer-activity',
      bus: 'contact-triggers',
      pattern: {
        source: [{ 'anything-but': { prefix: 'contact.' } }],
        detail: { customerId: [{ exists: true }] },
      },
      target: 'activity',
    },
    { name: 'email-feedback', bus: 'default', pattern: { source: ['aws.ses'] }, target: 'feedback' },
    {
      name: 'platform-feedback',
      bus: 'contact-triggers',
      pattern: { source: [FEEDBACK_SOURCE] },
      target: 'feedback',
    },
  ];
}
