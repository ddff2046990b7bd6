import { createHash } from 'node:crypto';
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
  /**
   * The address it is about, as its {@link addressFingerprint} (the address itself is not repeated):
   * a new address of the customer is not suppressed by the old one's bounce. Absent when the provider
   * did not name the address (SMS delivery status): then it holds for the channel, whatever address.
   */
  readonly address?: string;
}

/** A one-way fingerprint of an address (trimmed, lower-cased): 128 bits of its SHA-256, base64url. */
export function addressFingerprint(address: string): string {
  return createHash('sha256').update(address.trim().toLowerCase()).digest('base64url').slice(0, 22);
}

/**
 * The suppressions that hold for the profile's current addresses: one about another address (the
 * customer has changed it since) no longer does. Returns the same object when nothing is dropped.
 */
export function currentSuppressions(
  profile: Pick<Profile, 'email' | 'phone'> | undefined,
  suppressions: Readonly<Partial<Record<Channel, Suppression>>>,
): Readonly<Partial<Record<Channel, Suppression>>> {
  const stale = (channel: string, s: Suppression | undefined): boolean => {
    if (s?.address === undefined) return false;
    const current = channel === 'email' ? profile?.email : channel === 'sms' ? profile?.phone : undefined;
    return current === undefined || addressFingerprint(current) !== s.address;
  };
  if (!Object.entries(suppressions).some(([channel, s]) => stale(channel, s))) return suppressions;
  return Object.fromEntries(Object.entries(suppressions).filter(([channel, s]) => !stale(channel, s)));
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
