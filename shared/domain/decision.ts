import type { Channel } from '#shared/strategy/schema.ts';

/** Every (event, campaign) pair ends in exactly one of these (DESIGN.md "Decisions are data"). */
export const OUTCOMES = ['sent', 'deferred', 'holdout', 'suppressed'] as const;
export type Outcome = (typeof OUTCOMES)[number];

export const REASONS = [
  'no_consent',
  'cap_reached',
  'quiet_hours',
  'delay',
  'no_channel',
  'not_in_audience',
  'rule_not_met',
  'duplicate',
  'expired',
  'unknown_customer',
  'invalid_event',
  'bounced_address',
  'outranked',
] as const;
export type Reason = (typeof REASONS)[number];

/** A fact the engine used, so "why (not)?" can be answered without re-running anything. */
export type Fact =
  | { kind: 'pattern'; matched: boolean }
  | { kind: 'rule'; detailType: string; count: number; atLeast: number; within: string }
  | { kind: 'audience'; attribute: string; value: unknown; passed: boolean }
  | { kind: 'consent'; purpose: string; channel: Channel; granted: boolean; ledgerRef?: string }
  | {
      kind: 'cap';
      scope: 'campaign' | 'global';
      purpose?: string;
      channel?: Channel;
      count: number;
      max: number;
      per: string;
    }
  | { kind: 'channel'; channel: Channel; usable: boolean; why?: string }
  | { kind: 'quiet_hours'; from: string; to: string; timezone: string; localTime: string }
  | { kind: 'delay'; delay: string }
  | { kind: 'expiry'; expiresAt: string }
  | {
      kind: 'holdout';
      percent: number;
      bucket: number;
      /** The channel a treated customer would have got: its cap slot is reserved like a send's. */
      channel?: Channel;
    }
  | { kind: 'variant'; id: string; bucket: number }
  | { kind: 'arbitration'; winner: string; priority: number }
  | { kind: 'duplicate'; idempotencyKey: string; firstDecidedAt: string }
  | { kind: 'invalid'; problem: string }
  | { kind: 'date'; attribute: string; date?: string; daysAhead?: number; window: number }
  | { kind: 'moment'; moment: string; response?: string };

/** The public decision record (DESIGN.md "Public contracts"), plus what the pipeline needs. */
export interface Decision {
  readonly eventId: string;
  readonly campaignId: string;
  readonly customerId: string;
  readonly outcome: Outcome;
  readonly reason?: Reason;
  readonly channel?: Channel;
  readonly variant?: string;
  readonly messageId?: string;
  /** ISO time of the decision. */
  readonly decidedAt: string;
  /** ISO time a deferred message is due. */
  readonly sendAt?: string;
  /** ISO time after which a deferred message is no longer sent. */
  readonly expiresAt?: string;
  /** `<businessKey>#<campaignId>`: the same key on retries and redeliveries. */
  readonly idempotencyKey: string;
  /** The channels still eligible after the chosen one, in order (fallback on a permanent failure). */
  readonly fallbackChannels?: readonly Channel[];
  readonly facts: readonly Fact[];
}
