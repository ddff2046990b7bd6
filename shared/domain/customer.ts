import type { Channel, Moment, Purpose } from '#shared/strategy/schema.ts';
import { shortHash } from './hash.ts';

/**
 * What the platform knows about one customer, as the decision engine sees it: everything comes back
 * from one DynamoDB Query on the customer's partition (see DESIGN.md "Data").
 */

/** A push endpoint registered for the customer (SNS platform endpoint). */
export interface PushEndpoint {
  readonly arn: string;
  readonly platform: 'fcm' | 'apns';
  /** False once SNS reports the endpoint disabled (app uninstalled, token expired). */
  readonly enabled: boolean;
}

export interface Profile {
  readonly customerId: string;
  /** Validated at intake (syntax); absent when the customer has none or it was invalid. */
  readonly email?: string;
  /** E.164, normalised with libphonenumber-js at intake. */
  readonly phone?: string;
  readonly pushEndpoints?: readonly PushEndpoint[];
  readonly locale?: string;
  /** IANA time zone; the strategy default applies when absent. */
  readonly timezone?: string;
  readonly preferredChannel?: Channel;
  /** Segment fields and dates: country, lifecycle, birthDate, contractEndDate, ... */
  readonly attributes: Readonly<Record<string, unknown>>;
  readonly updatedAt: string;
}

/** Current consent for one purpose × channel, derived from the append-only ledger. */
export interface ConsentState {
  readonly granted: boolean;
  /** When the customer gave or withdrew it (the event's `occurredAt`); the newest wins. */
  readonly occurredAt: string;
  /** When the ledger recorded it: decisions from then on see it. (In the ledger entry; not kept in the state.) */
  readonly recordedAt?: string;
  /** The ledger entry this state comes from (its sort key), for the explanation. */
  readonly ledgerRef: string;
  readonly source?: string;
  readonly textVersion?: string;
}

/** Keyed by `${purpose}:${channel}`; `${purpose}:all` covers every channel unless a channel entry is newer. */
export type ConsentMap = Readonly<Record<string, ConsentState>>;

export const consentKey = (purpose: Purpose | string, channel: Channel | 'all'): string =>
  `${purpose}:${channel}`;

/** One past send (or pending send) that counts against caps. Kept for the longest cap window. */
export interface SendEntry {
  /** Epoch milliseconds of the decision. */
  readonly at: number;
  readonly campaignId: string;
  readonly purpose: string;
  /** The channel of a message, or the contact moment at which an offer was shown (next-best-offer). */
  readonly channel: Channel | Moment;
}

/** The activity counter of one threshold rule (`trigger.when.count`): events per UTC day. */
export interface ActivityCounter {
  /** `YYYY-MM-DD` → count. */
  readonly days: Readonly<Record<string, number>>;
  /** Ids of the events already counted (bounded), so the triggering event is never counted twice. */
  readonly eventIds: readonly string[];
}

/** A suppressed address: hard bounce, complaint, unsubscribe at the provider, carrier opt-out. */
export interface Suppression {
  readonly reason: 'bounced' | 'complained' | 'opted_out' | 'disabled';
  readonly at: string;
}

export interface CustomerState {
  readonly customerId: string;
  /** Undefined when the platform has never heard of the customer (or after erasure). */
  readonly profile?: Profile;
  readonly consent: ConsentMap;
  /** Recent sends within the longest cap window, oldest first. */
  readonly sends: readonly SendEntry[];
  /**
   * Idempotency keys already committed, by {@link decidedKey}, with their decision time (epoch ms).
   * Sends, deferrals and holdouts are here: they reserved a cap slot and must never repeat.
   */
  readonly decided: Readonly<Record<string, number>>;
  readonly activity: Readonly<Record<string, ActivityCounter>>;
  /** Keyed by channel. */
  readonly suppressions: Readonly<Partial<Record<Channel, Suppression>>>;
  /** Optimistic-concurrency version of the state item (0 = no state item yet). */
  readonly version: number;
  /** True after erasure: the tombstone forbids recreating the person from a late event. */
  readonly erased?: boolean;
}

/** A customer the platform has never seen: the engine decides `unknown_customer`. */
export const emptyCustomerState = (customerId: string): CustomerState => ({
  customerId,
  consent: {},
  sends: [],
  decided: {},
  activity: {},
  suppressions: {},
  version: 0,
});

/**
 * How a committed idempotency key (`<businessKey>#<campaignId>`, often 60+ characters) is remembered
 * in the state item: a 48-bit hash, so a busy customer's state stays within one or two write units.
 * With the few dozen keys a customer has in the retention window, a collision is a ~1e-11 chance.
 */
export const decidedKey = (idempotencyKey: string): string => shortHash(idempotencyKey);
