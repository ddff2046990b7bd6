import { needsMessageIndex } from '#shared/domain/contact-ref.ts';
import type {
  ActivityCounter,
  ConsentMap,
  CustomerState,
  Profile,
  PushEndpoint,
  SendEntry,
  Suppression,
} from '#shared/domain/customer.ts';
import { currentSuppressions } from '#shared/domain/customer.ts';
import type { Fact } from '#shared/domain/decision.ts';
import type { ConsentLedgerEntry, ContactRecord } from '#shared/domain/store.ts';
import type { Channel } from '#shared/strategy/schema.ts';

/**
 * The single-table layout (DESIGN.md "Data"). One partition per customer:
 *
 * | sk                         | item                                                           |
 * | -------------------------- | -------------------------------------------------------------- |
 * | `A#PROFILE`                | profile, addresses, segment attributes, suppressions           |
 * | `A#STATE`                  | version, current consent, recent sends (caps), decided keys    |
 * | `A#ACT#<counter>`          | activity counter of a threshold rule (events per day)          |
 * | `A#TOMBSTONE`              | left by erasure: the customer may not be recreated             |
 * | `H#<campaign>#<key>`       | contact history: one record per decision (GSI: provider id)    |
 * | `L#<occurredAt>#<eventId>` | consent ledger, append-only                                    |
 * | `I#DATE#<attribute>`       | date index entry (GSI: `DATE#<attribute>#<MM-DD>`)             |
 *
 * The decision's one Query reads `begins_with(sk, 'A#')` only, so the history and the ledger can grow
 * without making it bigger.
 */
export const pkOf = (customerId: string): string => `CUSTOMER#${customerId}`;
export const SK = {
  profile: 'A#PROFILE',
  state: 'A#STATE',
  activityPrefix: 'A#ACT#',
  tombstone: 'A#TOMBSTONE',
  decisionRange: 'A#',
  contact: (campaignId: string, key: string) => `H#${campaignId}#${key}`,
  contactPrefix: 'H#',
  ledger: (occurredAt: string, eventId: string) => `L#${occurredAt}#${eventId}`,
  ledgerPrefix: 'L#',
  dateIndex: (attribute: string) => `I#DATE#${attribute}`,
} as const;
export const messageIdKey = (messageId: string): string => `MSG#${messageId}`;
export const dateIndexKey = (attribute: string, monthDay: string): string => `DATE#${attribute}#${monthDay}`;

export type Item = Record<string, unknown>;

const str = (v: unknown): string | undefined => (typeof v === 'string' ? v : undefined);
const num = (v: unknown): number | undefined => (typeof v === 'number' ? v : undefined);

function parseJson<T>(v: unknown, fallback: T): T {
  if (typeof v !== 'string' || v === '') return fallback;
  try {
    return JSON.parse(v) as T;
  } catch {
    return fallback;
  }
}

/** Sends are stored compactly — `[epochSeconds, campaignId, purpose, channel]` — to keep the state item near 1 KB. */
type StoredSend = [number, string, string, SendEntry['channel']];
export const encodeSends = (sends: readonly SendEntry[]): string =>
  JSON.stringify(sends.map((s): StoredSend => [Math.floor(s.at / 1000), s.campaignId, s.purpose, s.channel]));
export const decodeSends = (v: unknown): SendEntry[] =>
  parseJson<StoredSend[]>(v, []).map(([at, campaignId, purpose, channel]) => ({
    at: at * 1000,
    campaignId,
    purpose,
    channel,
  }));

/**
 * Consent in the state item keeps only what a decision needs — granted, when, and which ledger entry
 * (the proof) — as `[1|0, occurredAt, ledgerRef]`; source and text version stay in the ledger.
 */
type StoredConsent = [0 | 1, string, string];
export const encodeConsent = (consent: ConsentMap): string =>
  JSON.stringify(
    Object.fromEntries(
      Object.entries(consent).map(([k, c]): [string, StoredConsent] => [
        k,
        [c.granted ? 1 : 0, c.occurredAt, c.ledgerRef],
      ]),
    ),
  );
export const decodeConsent = (v: unknown): ConsentMap =>
  Object.fromEntries(
    Object.entries(parseJson<Record<string, StoredConsent>>(v, {})).map(
      ([k, [granted, occurredAt, ledgerRef]]) => [k, { granted: granted === 1, occurredAt, ledgerRef }],
    ),
  );

/** Decided keys are stored with epoch seconds. */
export const encodeDecided = (decided: Readonly<Record<string, number>>): string =>
  JSON.stringify(Object.fromEntries(Object.entries(decided).map(([k, ms]) => [k, Math.floor(ms / 1000)])));
export const decodeDecided = (v: unknown): Record<string, number> =>
  Object.fromEntries(Object.entries(parseJson<Record<string, number>>(v, {})).map(([k, s]) => [k, s * 1000]));

export function profileFromItem(item: Item): {
  profile: Profile;
  suppressions: CustomerState['suppressions'];
} {
  const profile = { customerId: str(item.customerId) ?? '' } as {
    -readonly [K in keyof Profile]: Profile[K];
  };
  if (str(item.email)) profile.email = item.email as string;
  if (str(item.phone)) profile.phone = item.phone as string;
  if (Array.isArray(item.push)) profile.pushEndpoints = item.push as PushEndpoint[];
  if (str(item.locale)) profile.locale = item.locale as string;
  if (str(item.timezone)) profile.timezone = item.timezone as string;
  if (str(item.preferredChannel)) profile.preferredChannel = item.preferredChannel as Channel;
  profile.attributes = (item.attributes as Record<string, unknown> | undefined) ?? {};
  profile.updatedAt = str(item.updatedAt) ?? '';
  const stored = (item.suppressions as Partial<Record<Channel, Suppression>> | undefined) ?? {};
  // A suppression of an address the customer no longer has does not hold for the new one.
  return { profile, suppressions: currentSuppressions(profile, stored) };
}

/**
 * The profile and suppressions as the profile item keeps them: what `profileFromItem(profileToItem(p, s))`
 * gives, without building the item's keys (the in-memory store normalises every profile it saves so).
 */
export function normaliseProfile(
  profile: Profile,
  suppressions?: CustomerState['suppressions'],
): ReturnType<typeof profileFromItem> {
  // profileFromItem's steps on the profile's own fields (`push` is `pushEndpoints` there).
  const { email, phone, pushEndpoints, locale, timezone, preferredChannel } = profile;
  const out = { customerId: str(profile.customerId) ?? '' } as { -readonly [K in keyof Profile]: Profile[K] };
  if (str(email)) out.email = email;
  if (str(phone)) out.phone = phone;
  if (Array.isArray(pushEndpoints)) out.pushEndpoints = pushEndpoints;
  if (str(locale)) out.locale = locale;
  if (str(timezone)) out.timezone = timezone;
  if (str(preferredChannel)) out.preferredChannel = preferredChannel;
  out.attributes = profile.attributes ?? {};
  out.updatedAt = str(profile.updatedAt) ?? '';
  return { profile: out, suppressions: currentSuppressions(out, suppressions ?? {}) };
}

export function profileToItem(profile: Profile, suppressions: CustomerState['suppressions'] = {}): Item {
  return {
    pk: pkOf(profile.customerId),
    sk: SK.profile,
    customerId: profile.customerId,
    email: profile.email,
    phone: profile.phone,
    push: profile.pushEndpoints,
    locale: profile.locale,
    timezone: profile.timezone,
    preferredChannel: profile.preferredChannel,
    attributes: profile.attributes,
    suppressions,
    updatedAt: profile.updatedAt,
  };
}

/** Builds the engine's view of a customer from the items of the one Query. */
export function stateFromItems(customerId: string, items: readonly Item[], now: number): CustomerState {
  let profile: Profile | undefined;
  let suppressions: CustomerState['suppressions'] = {};
  let consent: ConsentMap = {};
  let sends: SendEntry[] = [];
  let decided: Record<string, number> = {};
  let version = 0;
  let erased = false;
  const activity: Record<string, ActivityCounter> = {};
  const nowSeconds = Math.floor(now / 1000);
  for (const item of items) {
    // DynamoDB Local never deletes expired items (and DynamoDB may take days): filter them on read.
    const ttl = num(item.ttl);
    if (ttl !== undefined && ttl < nowSeconds) continue;
    const sk = str(item.sk) ?? '';
    if (sk === SK.profile) ({ profile, suppressions } = profileFromItem(item));
    else if (sk === SK.state) {
      version = num(item.v) ?? 0;
      consent = decodeConsent(item.c);
      sends = decodeSends(item.s);
      decided = decodeDecided(item.d);
    } else if (sk === SK.tombstone) erased = true;
    else if (sk.startsWith(SK.activityPrefix)) {
      activity[sk.slice(SK.activityPrefix.length)] = {
        days: (item.days as Record<string, number> | undefined) ?? {},
        eventIds: (item.ids as string[] | undefined) ?? [],
      };
    }
  }
  return {
    customerId,
    ...(profile && !erased && { profile }),
    consent,
    sends,
    decided,
    activity,
    suppressions,
    version,
    ...(erased && { erased }),
  };
}

/**
 * Facts are stored as positional tuples, `[kind, ...values]` in the order below, so that a contact
 * record stays within 1 KB (1 write unit) even with a long explanation: the field names of every fact
 * would otherwise take a third of the item. A kind missing here (or a stored object from before) is
 * kept as the object itself. Fields may only be appended to a kind: stored tuples are positional.
 */
const FACT_FIELDS: {
  readonly [K in Fact['kind']]?: readonly Exclude<keyof Extract<Fact, { kind: K }>, 'kind'>[];
} = {
  pattern: ['matched'],
  rule: ['detailType', 'count', 'atLeast', 'within'],
  audience: ['attribute', 'value', 'passed'],
  consent: ['purpose', 'channel', 'granted', 'ledgerRef'],
  cap: ['scope', 'count', 'max', 'per', 'purpose', 'channel'],
  channel: ['channel', 'usable', 'why'],
  quiet_hours: ['from', 'to', 'timezone', 'localTime'],
  delay: ['delay'],
  expiry: ['expiresAt'],
  holdout: ['percent', 'bucket', 'channel'],
  variant: ['id', 'bucket'],
  arbitration: ['winner', 'priority'],
  duplicate: ['idempotencyKey', 'firstDecidedAt'],
  invalid: ['problem'],
  date: ['attribute', 'date', 'daysAhead', 'window'],
  moment: ['moment', 'response'],
};

/** Encodes facts as tuples (see {@link FACT_FIELDS}); trailing absent values are left out. */
export function encodeFacts(facts: readonly Fact[]): string {
  return JSON.stringify(
    facts.map((fact) => {
      const fields = FACT_FIELDS[fact.kind] as readonly string[] | undefined;
      const record = fact as unknown as Record<string, unknown>;
      // A tuple's null means "absent": a fact holding an actual null (an audience value) stays an object.
      if (!fields || fields.some((f) => record[f] === null)) return fact;
      const values = fields.map((f) => record[f] ?? null);
      while (values.length > 0 && values[values.length - 1] === null) values.pop();
      return [fact.kind, ...values];
    }),
  );
}

/** The inverse of {@link encodeFacts}; also reads facts stored as objects. */
export function decodeFacts(v: unknown): Fact[] {
  return parseJson<unknown[]>(v, []).map((entry) => {
    if (!Array.isArray(entry)) return entry as Fact;
    const [kind, ...values] = entry as [Fact['kind'], ...unknown[]];
    const fields = (FACT_FIELDS[kind] ?? []) as readonly string[];
    const fact: Record<string, unknown> = { kind };
    for (const [i, field] of fields.entries()) {
      const value = values[i];
      if (value !== null && value !== undefined) fact[field] = value;
    }
    return fact as unknown as Fact;
  });
}

/**
 * A contact record as an item. What the keys already say is not stored twice: the customer id is in
 * `pk`, the campaign and idempotency key in `sk`, an indexed message id in `gsi1pk`. With the facts
 * as tuples a typical record is about 600 bytes: one write unit, and no index write unless its
 * feedback needs one (docs/adr/0002-cost-per-triggered-send.md).
 */
export function contactToItem(record: ContactRecord, ttlSeconds: number): Item {
  const { facts, customerId, campaignId, idempotencyKey, messageId, ...rest } = record;
  // An index entry costs a second write unit: only records whose feedback names nothing but the
  // provider's message id get one (SMS); an email's events carry its keys in a tag.
  const indexed = messageId !== undefined && needsMessageIndex(record);
  return {
    pk: pkOf(customerId),
    sk: SK.contact(campaignId, idempotencyKey),
    ...rest,
    facts: encodeFacts(facts),
    ...(messageId && (indexed ? { gsi1pk: messageIdKey(messageId), gsi1sk: 'H' } : { messageId })),
    ttl: ttlSeconds,
  };
}

export function contactFromItem(item: Item): ContactRecord {
  const { pk, sk, gsi1pk, gsi1sk, ttl, facts, ...rest } = item;
  // `H#<campaignId>#<idempotencyKey>`: campaign ids have no `#` (the strategy schema's id rule).
  const key = String(sk).slice(SK.contactPrefix.length);
  const at = key.indexOf('#');
  const indexed = typeof gsi1pk === 'string' ? gsi1pk.slice(messageIdKey('').length) : undefined;
  return {
    ...(rest as unknown as Omit<ContactRecord, 'facts'>),
    customerId: String(pk).slice(pkOf('').length),
    campaignId: key.slice(0, at),
    idempotencyKey: key.slice(at + 1),
    ...(indexed && { messageId: indexed }),
    facts: decodeFacts(facts),
  };
}

export function ledgerToItem(entry: ConsentLedgerEntry): Item {
  return { pk: pkOf(entry.customerId), sk: SK.ledger(entry.occurredAt, entry.eventId), ...entry };
}

export function ledgerFromItem(item: Item): ConsentLedgerEntry {
  const { pk, sk, ...rest } = item;
  return rest as unknown as ConsentLedgerEntry;
}
