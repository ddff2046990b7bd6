import type { StoreOptions } from '#shared/adapters/dynamodb/customer-store.ts';
import { normaliseProfile, SK } from '#shared/adapters/dynamodb/items.ts';
import { attributionTarget } from '#shared/domain/attribution.ts';
import type {
  ActivityCounter,
  ConsentMap,
  ConsentState,
  CustomerState,
  Profile,
  SendEntry,
  Suppression,
} from '#shared/domain/customer.ts';
import { consentKey, currentSuppressions, decidedKey } from '#shared/domain/customer.ts';
import type {
  ActivityStore,
  ConsentLedgerEntry,
  ContactRecord,
  ContactRef,
  CustomerDataStore,
  CustomerExport,
  CustomerStore,
  DateIndexEntry,
  DecisionCommit,
} from '#shared/domain/store.ts';
import { PlatformError } from '#shared/errors.ts';
import type { Channel } from '#shared/strategy/schema.ts';

/** The DynamoDB store's options, without the table. */
export type MemoryStoreOptions = Omit<StoreOptions, 'tableName'>;

const DAY = 86_400_000;

/** DynamoDB keeps sends and decided keys in epoch seconds (items.ts); so does this store. */
const toSeconds = (ms: number): number => Math.floor(ms / 1000) * 1000;

/** The entry with its time in whole seconds (the same object when it already is). */
const inSeconds = (s: SendEntry): SendEntry => (s.at % 1000 === 0 ? s : { ...s, at: toSeconds(s.at) });

interface StateItem {
  readonly v: number;
  readonly consent: ConsentMap;
  readonly sends: readonly SendEntry[];
  readonly decided: Readonly<Record<string, number>>;
}

interface ActivityItem {
  readonly days: Readonly<Record<string, number>>;
  readonly ids: readonly string[];
  /**
   * The same ids as a set, for recognising a redelivery without comparing with each of them. Only the
   * store reads it, inside one call, so the counter's items share one set, updated as `ids` moves on.
   */
  readonly idSet: Set<string>;
}

interface ContactItem {
  readonly record: ContactRecord;
  /** Epoch seconds, as the table's `ttl` attribute. */
  readonly ttl: number;
}

/**
 * One customer's partition. The maps are keyed by the DynamoDB sort key of the item they stand for,
 * so listings come out in the order a Query would return them.
 */
interface Partition {
  profile?: { readonly profile: Profile; readonly suppressions: CustomerState['suppressions'] };
  state?: StateItem;
  readonly activity: Map<string, ActivityItem>;
  tombstone?: string;
  readonly contacts: Map<string, ContactItem>;
  /**
   * The items of `contacts` a conversion can be credited to (sent or held out), per campaign: a goal
   * event looks for one campaign's, and most records are suppressions (see `setContact`).
   */
  readonly byCampaign: Map<string, Map<string, ContactItem>>;
  readonly ledger: Map<string, ConsentLedgerEntry>;
  readonly dates: Map<string, DateIndexEntry>;
  /** The engine's view of the `A#` items, built on the first load after a change. */
  view?: CustomerState;
}

type DateListing = readonly { readonly customerId: string; readonly timezone: string }[];

const byKey = <T>(map: ReadonlyMap<string, T>): T[] =>
  [...map.entries()].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)).map(([, v]) => v);

/** Writes a contact item, keeping the partition's index of creditable contacts in step. */
function setContact(p: Partition, sk: string, item: ContactItem): void {
  p.contacts.set(sk, item);
  const { campaignId, outcome } = item.record;
  let creditable = p.byCampaign.get(campaignId);
  if (outcome === 'sent' || outcome === 'holdout') {
    if (!creditable) {
      creditable = new Map();
      p.byCampaign.set(campaignId, creditable);
    }
    creditable.set(sk, item);
  } else creditable?.delete(sk);
}

/** Drops `undefined` members, as the document client's `removeUndefinedValues` does on a put. */
function withoutUndefined<T extends object>(value: T): T {
  const record = value as Record<string, unknown>;
  let clean = true;
  for (const k in record) if (record[k] === undefined) clean = false;
  if (clean) return value;
  const out: Record<string, unknown> = {};
  for (const k in record) if (record[k] !== undefined) out[k] = record[k];
  return out as T;
}

/**
 * An empty object without prototype, which V8 keeps as a hash table from the start. The maps keyed
 * by data — decided keys (hashes), activity days — are built as these: as ordinary objects, every
 * new set of keys would get a hidden class of its own (hundreds of thousands in a long replay), which
 * makes every read of them slow and gives the garbage collector much more to do.
 */
const dictionary = <T>(): Record<string, T> => Object.create(null) as Record<string, T>;

/** A copy of the keys from `cutoff` on (keys and cutoff sort as their times do). */
function withoutOlder<T>(record: Readonly<Record<string, T>> | undefined, cutoff: string): Record<string, T> {
  const kept = dictionary<T>();
  if (record) for (const k in record) if (k >= cutoff) kept[k] = record[k] as T;
  return kept;
}

/** The decided keys after `cutoff`, in whole seconds. */
function keptDecided(decided: Readonly<Record<string, number>>, cutoff: number): Record<string, number> {
  const kept = dictionary<number>();
  for (const key in decided) {
    const at = decided[key] as number;
    if (at > cutoff) kept[key] = at % 1000 === 0 ? at : toSeconds(at);
  }
  return kept;
}

/** `YYYY-MM-DD` of an instant, memoised per day: the activity counters ask for it on every event. */
const dayOf = (() => {
  let lastDay = Number.NaN;
  let last = '';
  return (ms: number): string => {
    const day = Math.floor(ms / DAY);
    if (day !== lastDay) {
      lastDay = day;
      last = new Date(day * DAY).toISOString().slice(0, 10);
    }
    return last;
  };
})();

/** The date index entries a partition has are these (same sort keys, GSI keys and time zones). */
function sameDates(dates: ReadonlyMap<string, DateIndexEntry>, entries: readonly DateIndexEntry[]): boolean {
  if (dates.size !== entries.length) return false;
  for (const e of entries) {
    const had = dates.get(`${SK.dateIndex(e.attribute)}#${e.anniversary ? 'A' : 'D'}`);
    if (
      had?.attribute !== e.attribute ||
      had.anniversary !== e.anniversary ||
      had.key !== e.key ||
      had.timezone !== e.timezone
    )
      return false;
  }
  return true;
}

/**
 * {@link CustomerStore}, {@link CustomerDataStore} and {@link ActivityStore} in memory, with the
 * semantics of the DynamoDB adapter (`shared/adapters/dynamodb/customer-store.ts`), so that the
 * simulator and unit tests exercise the same use cases with the same outcomes, tens of thousands of
 * times a second:
 *
 * - `commitDecision` is conditional on the state version read by `load` (0 = no state item yet):
 *   concurrent callers interleaving at `await`s see `conflict` exactly where DynamoDB's
 *   `ConditionExpression` would fail; stale sends and decided keys are pruned in the same write;
 *   times are kept in whole seconds, as the state item stores them;
 * - `recordConsent` appends to the ledger (idempotent per event) and bumps the version, so decisions
 *   read before a withdrawal must re-read;
 * - erasure removes every item and leaves a tombstone that refuses profile and consent writes;
 * - contact records carry a TTL (`historyRetentionDays`) and are not returned once it has passed — the
 *   way DynamoDB behaves once its TTL sweep has run (see DESIGN.md "Items that expire carry a TTL and
 *   are filtered on read");
 * - the date index keeps the customer's time zone and lists customers in the GSI's sort order
 *   (`<timezone>|<customerId>`).
 *
 * Every method completes its read-check-write without yielding, which is what a conditional write is.
 */
export class MemoryCustomerStore implements CustomerStore, CustomerDataStore, ActivityStore {
  private readonly partitions = new Map<string, Partition>();
  /** The GSI: `<attribute>#<key>` → (`<customerId>#A|D` → entry). */
  private readonly dateIndex = new Map<string, Map<string, { customerId: string; entry: DateIndexEntry }>>();
  /** The GSI: provider message id → the contact record's keys. */
  private readonly messageIds = new Map<string, { customerId: string; sk: string }>();
  /** What `customersByDate` lists per GSI key and kind, until the key's members change. */
  private readonly listings = new Map<string, { A?: DateListing; D?: DateListing }>();
  private readonly now: () => number;

  constructor(private readonly options: MemoryStoreOptions) {
    this.now = options.now ?? Date.now;
  }

  /** How many customers have any item (tests and the simulator's summary). */
  get size(): number {
    return this.partitions.size;
  }

  private part(customerId: string): Partition {
    let p = this.partitions.get(customerId);
    if (!p) {
      p = {
        activity: new Map(),
        contacts: new Map(),
        byCampaign: new Map(),
        ledger: new Map(),
        dates: new Map(),
      };
      this.partitions.set(customerId, p);
    }
    return p;
  }

  private contactItem(p: Partition | undefined, sk: string): ContactItem | undefined {
    const item = p?.contacts.get(sk);
    if (!item || item.ttl < Math.floor(this.now() / 1000)) return undefined;
    return item;
  }

  async load(customerId: string, _consistent = false): Promise<CustomerState> {
    const p = this.partitions.get(customerId);
    if (!p) {
      return { customerId, consent: {}, sends: [], decided: {}, activity: {}, suppressions: {}, version: 0 };
    }
    p.view ??= this.view(customerId, p);
    return p.view;
  }

  /** The same shape `stateFromItems` builds from the one Query. */
  private view(customerId: string, p: Partition): CustomerState {
    const activity: Record<string, ActivityCounter> = {};
    for (const [counterId, item] of p.activity) activity[counterId] = { days: item.days, eventIds: item.ids };
    const erased = p.tombstone !== undefined;
    return {
      customerId,
      ...(p.profile && !erased && { profile: p.profile.profile }),
      consent: p.state?.consent ?? {},
      sends: p.state?.sends ?? [],
      decided: p.state?.decided ?? {},
      activity,
      suppressions: p.profile?.suppressions ?? {},
      version: p.state?.v ?? 0,
      ...(erased && { erased }),
    };
  }

  async commitDecision(state: CustomerState, commit: DecisionCommit): Promise<'committed' | 'conflict'> {
    const now = this.now();
    const p = this.part(state.customerId);
    if ((p.state?.v ?? 0) !== state.version) return 'conflict';
    const sendCutoff = now - this.options.sendRetentionMs;
    const decidedCutoff = now - (this.options.decidedRetentionMs ?? 14 * DAY);
    // Kept entries are reused: stored sends are already in whole seconds and never mutated.
    const sends: SendEntry[] = [];
    for (const s of state.sends) if (s.at > sendCutoff) sends.push(inSeconds(s));
    sends.push(inSeconds(commit.reserve));
    const decided = keptDecided(state.decided, decidedCutoff);
    // Keyed by `decidedKey` (a short hash), as the state item keeps them and the engine looks them up.
    decided[decidedKey(commit.idempotencyKey)] = toSeconds(commit.decidedAt);
    // `SET s, d, v`: the consent in the state item stays as it is.
    p.state = { v: state.version + 1, consent: p.state?.consent ?? {}, sends, decided };
    p.view = undefined;
    return 'committed';
  }

  async putContact(record: ContactRecord): Promise<void> {
    const ttl = Math.floor(this.now() / 1000) + (this.options.historyRetentionDays ?? 730) * 86_400;
    const p = this.part(record.customerId);
    const sk = SK.contact(record.campaignId, record.idempotencyKey);
    const previous = p.contacts.get(sk)?.record.messageId;
    if (previous !== undefined && previous !== record.messageId) this.messageIds.delete(previous);
    setContact(p, sk, { record: withoutUndefined(record), ttl });
    if (record.messageId) this.messageIds.set(record.messageId, { customerId: record.customerId, sk });
  }

  async getContact(
    customerId: string,
    campaignId: string,
    idempotencyKey: string,
  ): Promise<ContactRecord | undefined> {
    return this.contactItem(this.partitions.get(customerId), SK.contact(campaignId, idempotencyKey))?.record;
  }

  async addDuplicate(customerId: string, campaignId: string, idempotencyKey: string): Promise<void> {
    const p = this.partitions.get(customerId);
    const sk = SK.contact(campaignId, idempotencyKey);
    const item = this.contactItem(p, sk);
    // DynamoDB's `attribute_exists(pk)` condition fails the same way: the caller checked first.
    if (!p || !item)
      throw new PlatformError('no contact record to count a duplicate on', undefined, { campaignId });
    const record = { ...item.record, duplicates: (item.record.duplicates ?? 0) + 1 };
    setContact(p, sk, { ...item, record });
  }

  async mergeProfile(
    customerId: string,
    merge: (current: Profile | undefined) => Profile,
    updatedAt: string,
    dateIndex: (profile: Profile) => readonly DateIndexEntry[],
  ): Promise<'saved' | 'stale' | 'erased'> {
    const existing = this.partitions.get(customerId);
    if (existing?.tombstone !== undefined) return 'erased';
    const current = existing?.profile;
    if (current && current.profile.updatedAt > updatedAt) return 'stale';
    const p = existing ?? this.part(customerId);
    // As the item codec keeps it (`profileFromItem(profileToItem(...))`): exactly the fields DynamoDB would keep.
    const stored = normaliseProfile(merge(current?.profile), current?.suppressions);
    p.profile = stored;
    p.view = undefined;
    this.writeDateIndex(customerId, p, dateIndex(stored.profile));
    return 'saved';
  }

  private writeDateIndex(customerId: string, p: Partition, entries: readonly DateIndexEntry[]): void {
    // A profile update that leaves its dates as they were (most do) changes nothing in the index, and
    // keeps the listings `customersByDate` made.
    if (sameDates(p.dates, entries)) return;
    for (const [sk, e] of p.dates) {
      const gsiKey = `${e.attribute}#${e.key}`;
      this.dateIndex.get(gsiKey)?.delete(this.indexMember(customerId, sk));
      this.listings.delete(gsiKey);
    }
    p.dates.clear();
    for (const e of entries) {
      const sk = `${SK.dateIndex(e.attribute)}#${e.anniversary ? 'A' : 'D'}`;
      p.dates.set(sk, e);
      const gsiKey = `${e.attribute}#${e.key}`;
      this.listings.delete(gsiKey);
      let members = this.dateIndex.get(gsiKey);
      if (!members) {
        members = new Map();
        this.dateIndex.set(gsiKey, members);
      }
      members.set(this.indexMember(customerId, sk), { customerId, entry: e });
    }
  }

  private indexMember = (customerId: string, sk: string): string => `${customerId}${sk.slice(-2)}`;

  async recordConsent(entry: ConsentLedgerEntry): Promise<'recorded' | 'erased'> {
    const existing = this.partitions.get(entry.customerId);
    if (existing?.tombstone !== undefined) return 'erased';
    const p = existing ?? this.part(entry.customerId);
    const ledgerRef = SK.ledger(entry.occurredAt, entry.eventId);
    // The ledger first: append-only, idempotent per event (same sort key on a retry).
    p.ledger.set(ledgerRef, withoutUndefined(entry));
    const key = consentKey(entry.purpose, entry.channel);
    const current = p.state?.consent[key];
    if (current && current.occurredAt > entry.occurredAt) return 'recorded';
    // The state item keeps what a decision needs (items.ts `encodeConsent`); the rest is in the ledger.
    const state: ConsentState = {
      granted: entry.granted,
      occurredAt: entry.occurredAt,
      ledgerRef,
    };
    // The version moves, so a decision read before the change must re-read (see the DynamoDB store).
    p.state = {
      v: (p.state?.v ?? 0) + 1,
      consent: { ...(p.state?.consent ?? {}), [key]: state },
      sends: p.state?.sends ?? [],
      decided: p.state?.decided ?? {},
    };
    p.view = undefined;
    return 'recorded';
  }

  async suppress(customerId: string, channel: Channel, suppression: Suppression): Promise<void> {
    const p = this.partitions.get(customerId);
    if (!p?.profile) return; // no profile (erased, or never known): nothing to suppress
    // Like the DynamoDB store's read: a suppression of an address the customer no longer has is moot.
    const suppressions = currentSuppressions(p.profile.profile, {
      ...p.profile.suppressions,
      [channel]: suppression,
    });
    p.profile = { ...p.profile, suppressions };
    p.view = undefined;
  }

  async disablePushEndpoint(customerId: string, endpointArn: string): Promise<void> {
    const p = this.partitions.get(customerId);
    if (!p?.profile) return;
    const { profile } = p.profile;
    const pushEndpoints = (profile.pushEndpoints ?? []).map((e) =>
      e.arn === endpointArn ? { ...e, enabled: false } : e,
    );
    p.profile = { ...p.profile, profile: { ...profile, pushEndpoints } };
    p.view = undefined;
  }

  async findContactByMessageId(messageId: string): Promise<ContactRef | undefined> {
    const ref = this.messageIds.get(messageId);
    if (!ref) return undefined;
    const record = this.contactItem(this.partitions.get(ref.customerId), ref.sk)?.record;
    if (!record || record.messageId !== messageId) return undefined;
    return {
      customerId: record.customerId,
      campaignId: record.campaignId,
      idempotencyKey: record.idempotencyKey,
    };
  }

  async addFeedback(ref: ContactRef, feedback: { type: string; at: string }): Promise<void> {
    const p = this.partitions.get(ref.customerId);
    const sk = SK.contact(ref.campaignId, ref.idempotencyKey);
    const item = this.contactItem(p, sk);
    if (!p || !item) return;
    setContact(p, sk, {
      ...item,
      record: { ...item.record, feedback: [...(item.record.feedback ?? []), feedback] },
    });
  }

  async *customersByDate(
    attribute: string,
    anniversary: boolean,
    key: string,
  ): AsyncIterable<{ customerId: string; timezone: string }> {
    const gsiKey = `${attribute}#${key}`;
    const kind = anniversary ? 'A' : 'D';
    let cached = this.listings.get(gsiKey);
    let listed = cached?.[kind];
    if (!listed) {
      const suffix = `#${kind}`;
      const members = this.dateIndex.get(gsiKey);
      listed = [...(members?.entries() ?? [])]
        .filter(([member]) => member.endsWith(suffix))
        .map(([, { customerId, entry }]) => ({
          customerId,
          timezone: entry.timezone,
          sort: `${entry.timezone}|${customerId}`,
        }))
        .sort((a, b) => (a.sort < b.sort ? -1 : a.sort > b.sort ? 1 : 0))
        .map(({ customerId, timezone }) => ({ customerId, timezone }));
      cached ??= {};
      cached[kind] = listed;
      this.listings.set(gsiKey, cached);
    }
    // Copies: the caller may keep or change what it is given, and the listing may change meanwhile.
    for (const { customerId, timezone } of listed) yield { customerId, timezone };
  }

  async exportCustomer(customerId: string): Promise<CustomerExport> {
    const state = await this.load(customerId);
    const p = this.partitions.get(customerId);
    const nowSeconds = Math.floor(this.now() / 1000);
    return {
      customerId,
      exportedAt: new Date(this.now()).toISOString(),
      ...(state.profile && { profile: state.profile }),
      consent: state.consent,
      consentLedger: p ? byKey(p.ledger) : [],
      contactHistory: p
        ? byKey(p.contacts)
            .filter((c) => c.ttl >= nowSeconds)
            .map((c) => c.record)
        : [],
      activity: state.activity,
    };
  }

  async erase(customerId: string, erasedAt: string): Promise<number> {
    const p = this.part(customerId);
    const nowSeconds = Math.floor(this.now() / 1000);
    const items =
      (p.profile ? 1 : 0) +
      (p.state ? 1 : 0) +
      p.activity.size +
      [...p.contacts.values()].filter((c) => c.ttl >= nowSeconds).length +
      p.ledger.size +
      p.dates.size;
    this.writeDateIndex(customerId, p, []);
    for (const { record } of p.contacts.values())
      if (record.messageId) this.messageIds.delete(record.messageId);
    // The tombstone holds no personal data beyond the opaque id the producer already knows.
    this.partitions.set(customerId, {
      activity: new Map(),
      contacts: new Map(),
      byCampaign: new Map(),
      ledger: new Map(),
      dates: new Map(),
      tombstone: erasedAt,
    });
    return items;
  }

  /** Every contact record still kept (the simulator's tally reads the history as the dashboard does). */
  *contactRecords(): Iterable<ContactRecord> {
    const nowSeconds = Math.floor(this.now() / 1000);
    for (const p of this.partitions.values()) {
      for (const c of p.contacts.values()) if (c.ttl >= nowSeconds) yield c.record;
    }
  }

  /** Removes the tombstone (for tests and an explicit re-registration flow only), as the DynamoDB store does. */
  async forget(customerId: string): Promise<void> {
    const p = this.partitions.get(customerId);
    if (p) {
      p.tombstone = undefined;
      p.view = undefined;
    }
  }

  async countActivity(
    customerId: string,
    counterId: string,
    day: string,
    eventId: string,
    keepDays: number,
  ): Promise<'counted' | 'already_counted' | 'erased'> {
    const p = this.part(customerId);
    const item = p.activity.get(counterId);
    // Like the DynamoDB store: an erased customer's activity does not come back.
    if (!item && p.tombstone !== undefined) return 'erased';
    if (item?.idSet.has(eventId)) return 'already_counted';
    const ids = item?.ids ?? [];
    const idSet = item?.idSet ?? new Set();
    const cutoff = dayOf(this.now() - keepDays * DAY);
    const days = withoutOlder(item?.days, cutoff);
    days[day] = (days[day] ?? 0) + 1;
    // The last 50 event ids are enough to recognise a redelivery.
    const next = ids.length >= 50 ? ids.slice(ids.length - 49) : ids.slice();
    for (let i = 0; i < ids.length - next.length; i++) idSet.delete(ids[i] as string);
    next.push(eventId);
    idSet.add(eventId);
    p.activity.set(counterId, { days, ids: next, idSet });
    p.view = undefined;
    return 'counted';
  }

  async attributeConversion(
    customerId: string,
    campaignId: string,
    since: string,
    conversion: NonNullable<ContactRecord['conversion']>,
  ): Promise<ContactRecord | undefined> {
    const p = this.partitions.get(customerId);
    const creditable = p?.byCampaign.get(campaignId);
    if (!p || !creditable || creditable.size === 0) return undefined; // nothing to credit
    const nowSeconds = Math.floor(this.now() / 1000);
    const live: ContactRecord[] = [];
    for (const c of creditable.values()) if (c.ttl >= nowSeconds) live.push(c.record);
    // (attributionTarget passes over anything else; its answer does not depend on the order.)
    const latest = attributionTarget(live, since, conversion.at);
    if (!latest) return undefined;
    const sk = SK.contact(campaignId, latest.idempotencyKey);
    const item = p.contacts.get(sk);
    if (!item || item.record.conversion) return undefined;
    setContact(p, sk, { ...item, record: { ...item.record, conversion } });
    return { ...latest, conversion };
  }
}
