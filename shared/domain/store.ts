import type { Channel, Moment } from '#shared/strategy/schema.ts';
import type { ConsentState, CustomerState, Profile, SendEntry, Suppression } from './customer.ts';
import type { Decision } from './decision.ts';

/**
 * A decision as stored in the contact history: the public decision record plus what the pipeline
 * needs to finish or audit it. One per (idempotency key, campaign).
 */
export interface ContactRecord extends Decision {
  /**
   * `sending`: the send was committed but the provider failed transiently; a retry sends again.
   * Absent once the decision is final.
   */
  readonly status?: 'sending';
  /** Provider feedback, newest last: delivered, opened, clicked, bounced, complained, ... */
  readonly feedback?: readonly { readonly type: string; readonly at: string }[];
  /** How many duplicates of this decision arrived later (each is a `duplicate` decision). */
  readonly duplicates?: number;
  /** Conversion attributed to this contact (goal event id and value). */
  readonly conversion?: { readonly eventId: string; readonly at: string; readonly value?: number };
  /** Set when the contact was an offer shown at a contact moment (next-best-offer), not a message. */
  readonly moment?: Moment;
  /** The customer's answer to an offer shown at a moment. */
  readonly response?: MomentResponse;
}

/** What the customer said to an offer shown at a contact moment. */
export const MOMENT_RESPONSES = ['accepted', 'declined', 'later'] as const;
export type MomentResponse = (typeof MOMENT_RESPONSES)[number];

/** An entry of the append-only consent ledger. */
export interface ConsentLedgerEntry {
  readonly customerId: string;
  readonly purpose: string;
  readonly channel: Channel | 'all';
  readonly granted: boolean;
  readonly source: string;
  readonly textVersion?: string;
  readonly occurredAt: string;
  readonly recordedAt: string;
  /** The event that carried it: the ledger is idempotent on it. */
  readonly eventId: string;
}

/** Everything stored about a customer, for a data-subject access request. */
export interface CustomerExport {
  readonly customerId: string;
  readonly exportedAt: string;
  readonly profile?: Profile;
  readonly consent: Readonly<Record<string, ConsentState>>;
  readonly consentLedger: readonly ConsentLedgerEntry[];
  readonly contactHistory: readonly ContactRecord[];
  readonly activity: CustomerState['activity'];
}

/** The change one committed decision makes to the per-customer state item. */
export interface DecisionCommit {
  readonly idempotencyKey: string;
  readonly decidedAt: number;
  readonly reserve: SendEntry;
}

/**
 * Customer data in DynamoDB. `load` is the one Query a decision needs; `commitDecision` the one
 * conditional write before a send; `putContact` the one write after it.
 */
export interface CustomerStore {
  /** One Query on the customer's partition (profile, state, consent, activity, suppressions). */
  load(customerId: string, consistent?: boolean): Promise<CustomerState>;
  /**
   * Commits a send or deferral: the idempotency key becomes taken and the cap entry is reserved, if and
   * only if nobody changed the state since `state` was read (optimistic concurrency on its version).
   * Entries older than the retention windows are pruned in the same write.
   */
  commitDecision(state: CustomerState, commit: DecisionCommit): Promise<'committed' | 'conflict'>;
  /** Writes (or overwrites) the contact record of a decision. */
  putContact(record: ContactRecord): Promise<void>;
  getContact(
    customerId: string,
    campaignId: string,
    idempotencyKey: string,
  ): Promise<ContactRecord | undefined>;
  /** Counts a duplicate on the original record (the duplicate decision, without a second record). */
  addDuplicate(customerId: string, campaignId: string, idempotencyKey: string): Promise<void>;
}

/** A date attribute the daily job looks up by index: `key` is `YYYY-MM-DD`, or `MM-DD` for anniversaries. */
export interface DateIndexEntry {
  readonly attribute: string;
  readonly anniversary: boolean;
  readonly key: string;
  /** The customer's time zone (or the strategy default): the job fires at their local send hour. */
  readonly timezone: string;
}

/** Where a provider message id leads (feedback): the contact record's keys. */
export interface ContactRef {
  readonly customerId: string;
  readonly campaignId: string;
  readonly idempotencyKey: string;
}

/** Profile, consent, suppressions, feedback and data-subject requests. */
export interface CustomerDataStore {
  /**
   * Merges a profile update into the stored profile when the update is not older than it (events
   * may arrive out of order), and refreshes the date index. Never recreates an erased customer.
   */
  mergeProfile(
    customerId: string,
    merge: (current: Profile | undefined) => Profile,
    updatedAt: string,
    dateIndex: (profile: Profile) => readonly DateIndexEntry[],
  ): Promise<'saved' | 'stale' | 'erased'>;
  /** Appends to the ledger (idempotent per event) and updates the derived consent state. */
  recordConsent(entry: ConsentLedgerEntry): Promise<'recorded' | 'erased'>;
  suppress(customerId: string, channel: Channel, suppression: Suppression): Promise<void>;
  /** Marks a push endpoint disabled in the profile (SNS reported it). */
  disablePushEndpoint(customerId: string, endpointArn: string): Promise<void>;
  /** The record of a provider message id, for records indexed by it (SMS; emails carry their keys in a tag). */
  findContactByMessageId(messageId: string): Promise<ContactRef | undefined>;
  addFeedback(ref: ContactRef, feedback: { type: string; at: string }): Promise<void>;
  /** Customers whose date attribute has this index key, with their time zone. */
  customersByDate(
    attribute: string,
    anniversary: boolean,
    key: string,
  ): AsyncIterable<{ customerId: string; timezone: string }>;
  exportCustomer(customerId: string): Promise<CustomerExport>;
  /** Deletes every item of the customer and leaves an anonymised tombstone. Returns how many items went. */
  erase(customerId: string, erasedAt: string): Promise<number>;
}

/** Activity counters (threshold rules) and conversions (goals), from every customer event. */
export interface ActivityStore {
  /**
   * Counts one event on a counter's day bucket, once per event id; days older than `keepDays` are
   * dropped in the same write. An erased customer (tombstone) gets no counter back: `erased`.
   */
  countActivity(
    customerId: string,
    counterId: string,
    day: string,
    eventId: string,
    keepDays: number,
  ): Promise<'counted' | 'already_counted' | 'erased'>;
  /**
   * Attributes a conversion to one contact of the campaign decided at or after `since`: the latest
   * message sent or trigger held out, else the latest offer shown at a contact moment; none when that
   * contact already has a conversion (see `attributionTarget`). Returns the record it was attributed to.
   */
  attributeConversion(
    customerId: string,
    campaignId: string,
    since: string,
    conversion: NonNullable<ContactRecord['conversion']>,
  ): Promise<ContactRecord | undefined>;
  /**
   * `attributeConversion` for several campaigns whose goal the same event is, with one read of the
   * customer's contact history where the store can (optional: without it, one call per campaign).
   * Returns the records attributed to, in the order of `goals`.
   */
  attributeConversions?(
    customerId: string,
    goals: readonly { readonly campaignId: string; readonly since: string }[],
    conversion: NonNullable<ContactRecord['conversion']>,
  ): Promise<ContactRecord[]>;
}
