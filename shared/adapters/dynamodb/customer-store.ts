import {
  ConditionalCheckFailedException,
  type DynamoDBClient,
  PutItemCommand,
  QueryCommand as RawQueryCommand,
  UpdateItemCommand,
} from '@aws-sdk/client-dynamodb';
import {
  BatchWriteCommand,
  DeleteCommand,
  DynamoDBDocumentClient,
  GetCommand,
  PutCommand,
  QueryCommand,
  UpdateCommand,
} from '@aws-sdk/lib-dynamodb';
import { marshall, unmarshall } from '@aws-sdk/util-dynamodb';
import { attributionTarget } from '#shared/domain/attribution.ts';
import type {
  ConsentMap,
  ConsentState,
  CustomerState,
  Profile,
  Suppression,
} from '#shared/domain/customer.ts';
import { consentKey, decidedKey } from '#shared/domain/customer.ts';
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
import { retryOnConflict } from '#shared/optimistic-retry.ts';
import type { Channel } from '#shared/strategy/schema.ts';
import {
  contactFromItem,
  contactToItem,
  dateIndexKey,
  encodeConsent,
  encodeDecided,
  encodeSends,
  type Item,
  ledgerFromItem,
  ledgerToItem,
  messageIdKey,
  pkOf,
  profileFromItem,
  profileToItem,
  SK,
  stateFromItems,
} from './items.ts';

/**
 * The three calls of every trigger (load, commit, record) go through the low-level client with the
 * marshalling done here, once: the document client resolves a second middleware stack on every
 * command, which was a third of the CPU the pipeline spends beyond the bare calls (`npm run bench`).
 */
const MARSHALL = { removeUndefinedValues: true, convertClassInstanceToMap: false } as const;
const toAttributes = (values: Record<string, unknown>) => marshall(values, MARSHALL);

export interface StoreOptions {
  readonly tableName: string;
  /** Sends older than this no longer count against any cap (the engine's longest cap window). */
  readonly sendRetentionMs: number;
  /**
   * How long a committed idempotency key is remembered in the state item. A duplicate older than this
   * is decided again (its campaign cap usually stops it). @default 14 days
   */
  readonly decidedRetentionMs?: number;
  /** How long contact records are kept (GDPR: no longer than needed). @default 730 days */
  readonly historyRetentionDays?: number;
  /** For tests and the local runtime's fast-forwarding clock. @default Date.now */
  readonly now?: () => number;
}

const DAY = 86_400_000;

/** Creates the document client once per low-level client (shared across stores). */
export function documentClient(client: DynamoDBClient): DynamoDBDocumentClient {
  return DynamoDBDocumentClient.from(client, {
    marshallOptions: { removeUndefinedValues: true, convertClassInstanceToMap: false },
  });
}

/**
 * The DynamoDB adapter of {@link CustomerStore}: one Query to load, one conditional UpdateItem of the
 * small per-customer state item to commit (optimistic concurrency on `v`), one PutItem for the record.
 * See docs/adr/0001-commit-with-one-conditional-update.md for why not TransactWriteItems.
 */
export class DynamoCustomerStore implements CustomerStore, CustomerDataStore, ActivityStore {
  private readonly doc: DynamoDBDocumentClient;
  private readonly now: () => number;

  constructor(
    private readonly client: DynamoDBClient,
    private readonly options: StoreOptions,
  ) {
    this.doc = documentClient(client);
    this.now = options.now ?? Date.now;
  }

  get table(): string {
    return this.options.tableName;
  }

  async load(customerId: string, consistent = false): Promise<CustomerState> {
    const items: Item[] = [];
    let startKey: RawQueryCommand['input']['ExclusiveStartKey'];
    do {
      const page = await this.client.send(
        new RawQueryCommand({
          TableName: this.table,
          KeyConditionExpression: 'pk = :pk AND begins_with(sk, :a)',
          ExpressionAttributeValues: toAttributes({ ':pk': pkOf(customerId), ':a': SK.decisionRange }),
          ConsistentRead: consistent,
          ExclusiveStartKey: startKey,
        }),
      );
      for (const item of page.Items ?? []) items.push(unmarshall(item));
      startKey = page.LastEvaluatedKey;
    } while (startKey);
    return stateFromItems(customerId, items, this.now());
  }

  async commitDecision(state: CustomerState, commit: DecisionCommit): Promise<'committed' | 'conflict'> {
    const now = this.now();
    const sendCutoff = now - this.options.sendRetentionMs;
    const decidedCutoff = now - (this.options.decidedRetentionMs ?? 14 * DAY);
    const sends = [...state.sends.filter((s) => s.at > sendCutoff), commit.reserve];
    const decided: Record<string, number> = {};
    for (const [key, at] of Object.entries(state.decided)) if (at > decidedCutoff) decided[key] = at;
    decided[decidedKey(commit.idempotencyKey)] = commit.decidedAt;
    try {
      await this.client.send(
        new UpdateItemCommand({
          TableName: this.table,
          Key: toAttributes({ pk: pkOf(state.customerId), sk: SK.state }),
          UpdateExpression: 'SET s = :s, d = :d, v = :next',
          ConditionExpression: state.version === 0 ? 'attribute_not_exists(v)' : 'v = :v',
          ExpressionAttributeValues: toAttributes({
            ':s': encodeSends(sends),
            ':d': encodeDecided(decided),
            ':next': state.version + 1,
            ...(state.version !== 0 && { ':v': state.version }),
          }),
        }),
      );
      return 'committed';
    } catch (error) {
      if (error instanceof ConditionalCheckFailedException) return 'conflict';
      throw error;
    }
  }

  async putContact(record: ContactRecord): Promise<void> {
    const ttl = Math.floor(this.now() / 1000) + (this.options.historyRetentionDays ?? 730) * 86_400;
    await this.client.send(
      new PutItemCommand({ TableName: this.table, Item: toAttributes(contactToItem(record, ttl)) }),
    );
  }

  async getContact(
    customerId: string,
    campaignId: string,
    idempotencyKey: string,
  ): Promise<ContactRecord | undefined> {
    const { Item } = await this.doc.send(
      new GetCommand({
        TableName: this.table,
        Key: { pk: pkOf(customerId), sk: SK.contact(campaignId, idempotencyKey) },
        ConsistentRead: true,
      }),
    );
    return Item ? contactFromItem(Item) : undefined;
  }

  async addDuplicate(customerId: string, campaignId: string, idempotencyKey: string): Promise<void> {
    await this.doc.send(
      new UpdateCommand({
        TableName: this.table,
        Key: { pk: pkOf(customerId), sk: SK.contact(campaignId, idempotencyKey) },
        UpdateExpression: 'ADD duplicates :one',
        ConditionExpression: 'attribute_exists(pk)',
        ExpressionAttributeValues: { ':one': 1 },
      }),
    );
  }

  /** Every item of the customer's partition (all pages). */
  private async partition(customerId: string, prefix?: string, consistent = true): Promise<Item[]> {
    const items: Item[] = [];
    let startKey: Record<string, unknown> | undefined;
    do {
      const page = await this.doc.send(
        new QueryCommand({
          TableName: this.table,
          KeyConditionExpression: prefix ? 'pk = :pk AND begins_with(sk, :p)' : 'pk = :pk',
          ExpressionAttributeValues: { ':pk': pkOf(customerId), ...(prefix && { ':p': prefix }) },
          ConsistentRead: consistent,
          ExclusiveStartKey: startKey,
        }),
      );
      items.push(...((page.Items ?? []) as Item[]));
      startKey = page.LastEvaluatedKey;
    } while (startKey);
    return items;
  }

  private retryOnConflict<T>(attempt: () => Promise<T | 'conflict'>): Promise<T> {
    return retryOnConflict(
      { maxAttempts: 10, baseMs: 10, maxDoublings: 5 },
      attempt,
      () => new Error('too many concurrent updates of one customer'),
    );
  }

  private async conditional(command: PutCommand | UpdateCommand): Promise<'ok' | 'conflict'> {
    try {
      if (command instanceof PutCommand) await this.doc.send(command);
      else await this.doc.send(command);
      return 'ok';
    } catch (error) {
      if (error instanceof ConditionalCheckFailedException) return 'conflict';
      throw error;
    }
  }

  async mergeProfile(
    customerId: string,
    merge: (current: Profile | undefined) => Profile,
    updatedAt: string,
    dateIndex: (profile: Profile) => readonly DateIndexEntry[],
  ): Promise<'saved' | 'stale' | 'erased'> {
    return this.retryOnConflict(async () => {
      const items = await this.partition(customerId, SK.decisionRange);
      if (items.some((i) => i.sk === SK.tombstone)) return 'erased';
      const currentItem = items.find((i) => i.sk === SK.profile);
      const current = currentItem ? profileFromItem(currentItem) : undefined;
      if (current && current.profile.updatedAt > updatedAt) return 'stale';
      const profile = merge(current?.profile);
      const result = await this.conditional(
        new PutCommand({
          TableName: this.table,
          Item: profileToItem(profile, current?.suppressions),
          ConditionExpression: current ? 'updatedAt = :prev' : 'attribute_not_exists(pk)',
          ...(current && { ExpressionAttributeValues: { ':prev': current.profile.updatedAt } }),
        }),
      );
      if (result === 'conflict') return 'conflict';
      // Index entries are written after their profile (and erased with it): a customer without a
      // profile has none to replace, so a new customer's index costs no read.
      await this.writeDateIndex(customerId, dateIndex(profile), current !== undefined);
      return 'saved';
    });
  }

  private async writeDateIndex(
    customerId: string,
    entries: readonly DateIndexEntry[],
    mayHaveEntries: boolean,
  ): Promise<void> {
    const existing = mayHaveEntries ? await this.partition(customerId, SK.dateIndex(''), false) : [];
    const wanted = new Map(
      entries.map((e) => [`${SK.dateIndex(e.attribute)}#${e.anniversary ? 'A' : 'D'}`, e]),
    );
    const writes = [
      ...[...wanted].map(([sk, e]) => ({
        PutRequest: {
          // The time zone rides in the index's sort key (the index projects keys only), so the daily
          // job can tell the customer's local date without reading the profile.
          Item: {
            pk: pkOf(customerId),
            sk,
            gsi1pk: dateIndexKey(e.attribute, e.key),
            gsi1sk: `${e.timezone}|${customerId}`,
          },
        },
      })),
      ...existing
        .filter((i) => !wanted.has(String(i.sk)))
        .map((i) => ({ DeleteRequest: { Key: { pk: i.pk, sk: i.sk } } })),
    ];
    for (let i = 0; i < writes.length; i += 25) {
      await this.doc.send(new BatchWriteCommand({ RequestItems: { [this.table]: writes.slice(i, i + 25) } }));
    }
  }

  async recordConsent(entry: ConsentLedgerEntry): Promise<'recorded' | 'erased'> {
    return this.retryOnConflict(async () => {
      const items = await this.partition(entry.customerId, SK.decisionRange);
      if (items.some((i) => i.sk === SK.tombstone)) return 'erased';
      // The ledger first: append-only, idempotent per event (same sort key on a retry).
      await this.doc.send(new PutCommand({ TableName: this.table, Item: ledgerToItem(entry) }));
      const stateItem = items.find((i) => i.sk === SK.state);
      const version = typeof stateItem?.v === 'number' ? stateItem.v : 0;
      const consent: Record<string, ConsentState> = {
        ...(stateFromItems(entry.customerId, items, this.now()).consent as ConsentMap),
      };
      const key = consentKey(entry.purpose, entry.channel);
      const current = consent[key];
      if (current && current.occurredAt > entry.occurredAt) return 'recorded';
      consent[key] = {
        granted: entry.granted,
        occurredAt: entry.occurredAt,
        recordedAt: entry.recordedAt,
        ledgerRef: SK.ledger(entry.occurredAt, entry.eventId),
        source: entry.source,
        ...(entry.textVersion !== undefined && { textVersion: entry.textVersion }),
      };
      // Bumping the version makes every decision read before this change fail its commit and re-read:
      // a withdrawal takes effect for every decision committed after it is recorded.
      const result = await this.conditional(
        new UpdateCommand({
          TableName: this.table,
          Key: { pk: pkOf(entry.customerId), sk: SK.state },
          UpdateExpression: 'SET c = :c, v = :next',
          ConditionExpression: version === 0 ? 'attribute_not_exists(v)' : 'v = :v',
          ExpressionAttributeValues: {
            ':c': encodeConsent(consent),
            ':next': version + 1,
            ...(version !== 0 && { ':v': version }),
          },
        }),
      );
      return result === 'ok' ? 'recorded' : 'conflict';
    });
  }

  async suppress(customerId: string, channel: Channel, suppression: Suppression): Promise<void> {
    try {
      await this.doc.send(
        new UpdateCommand({
          TableName: this.table,
          Key: { pk: pkOf(customerId), sk: SK.profile },
          UpdateExpression: 'SET suppressions.#ch = :s',
          ConditionExpression: 'attribute_exists(pk)',
          ExpressionAttributeNames: { '#ch': channel },
          ExpressionAttributeValues: { ':s': suppression },
        }),
      );
    } catch (error) {
      // No profile (erased, or never known): nothing to suppress.
      if (!(error instanceof ConditionalCheckFailedException)) throw error;
    }
  }

  async disablePushEndpoint(customerId: string, endpointArn: string): Promise<void> {
    await this.retryOnConflict(async () => {
      const { Item } = await this.doc.send(
        new GetCommand({
          TableName: this.table,
          Key: { pk: pkOf(customerId), sk: SK.profile },
          ConsistentRead: true,
        }),
      );
      if (!Item) return 'done';
      const { profile, suppressions } = profileFromItem(Item);
      const endpoints = (profile.pushEndpoints ?? []).map((e) =>
        e.arn === endpointArn ? { ...e, enabled: false } : e,
      );
      const result = await this.conditional(
        new PutCommand({
          TableName: this.table,
          Item: profileToItem({ ...profile, pushEndpoints: endpoints }, suppressions),
          ConditionExpression: 'updatedAt = :prev',
          ExpressionAttributeValues: { ':prev': profile.updatedAt },
        }),
      );
      return result === 'ok' ? 'done' : 'conflict';
    });
  }

  async findContactByMessageId(messageId: string): Promise<ContactRef | undefined> {
    const { Items } = await this.doc.send(
      new QueryCommand({
        TableName: this.table,
        IndexName: 'gsi1',
        KeyConditionExpression: 'gsi1pk = :m',
        ExpressionAttributeValues: { ':m': messageIdKey(messageId) },
        Limit: 1,
      }),
    );
    const item = Items?.[0];
    if (!item) return undefined;
    const { Item } = await this.doc.send(
      new GetCommand({ TableName: this.table, Key: { pk: item.pk, sk: item.sk } }),
    );
    if (!Item) return undefined;
    const record = contactFromItem(Item);
    return {
      customerId: record.customerId,
      campaignId: record.campaignId,
      idempotencyKey: record.idempotencyKey,
    };
  }

  async addFeedback(ref: ContactRef, feedback: { type: string; at: string }): Promise<void> {
    try {
      await this.doc.send(
        new UpdateCommand({
          TableName: this.table,
          Key: { pk: pkOf(ref.customerId), sk: SK.contact(ref.campaignId, ref.idempotencyKey) },
          UpdateExpression: 'SET feedback = list_append(if_not_exists(feedback, :empty), :f)',
          ConditionExpression: 'attribute_exists(pk)',
          ExpressionAttributeValues: { ':f': [feedback], ':empty': [] },
        }),
      );
    } catch (error) {
      if (!(error instanceof ConditionalCheckFailedException)) throw error;
    }
  }

  async *customersByDate(
    attribute: string,
    anniversary: boolean,
    key: string,
  ): AsyncIterable<{ customerId: string; timezone: string }> {
    let startKey: Record<string, unknown> | undefined;
    do {
      const page = await this.doc.send(
        new QueryCommand({
          TableName: this.table,
          IndexName: 'gsi1',
          KeyConditionExpression: 'gsi1pk = :k',
          ExpressionAttributeValues: { ':k': dateIndexKey(attribute, key) },
          ExclusiveStartKey: startKey,
        }),
      );
      for (const item of page.Items ?? []) {
        if (!String(item.sk).endsWith(anniversary ? '#A' : '#D')) continue;
        const [timezone = '', customerId = ''] = String(item.gsi1sk).split('|');
        yield { customerId, timezone };
      }
      startKey = page.LastEvaluatedKey;
    } while (startKey);
  }

  async exportCustomer(customerId: string): Promise<CustomerExport> {
    const items = await this.partition(customerId);
    const state = stateFromItems(customerId, items, this.now());
    return {
      customerId,
      exportedAt: new Date(this.now()).toISOString(),
      ...(state.profile && { profile: state.profile }),
      consent: state.consent,
      consentLedger: items.filter((i) => String(i.sk).startsWith(SK.ledgerPrefix)).map(ledgerFromItem),
      contactHistory: items.filter((i) => String(i.sk).startsWith(SK.contactPrefix)).map(contactFromItem),
      activity: state.activity,
    };
  }

  async erase(customerId: string, erasedAt: string): Promise<number> {
    const items = await this.partition(customerId);
    const doomed = items.filter((i) => i.sk !== SK.tombstone);
    for (let i = 0; i < doomed.length; i += 25) {
      let requests = doomed
        .slice(i, i + 25)
        .map((item) => ({ DeleteRequest: { Key: { pk: item.pk, sk: item.sk } } }));
      for (let attempt = 0; requests.length > 0 && attempt < 8; attempt++) {
        const out = await this.doc.send(new BatchWriteCommand({ RequestItems: { [this.table]: requests } }));
        requests = (out.UnprocessedItems?.[this.table] ?? []) as typeof requests;
      }
      if (requests.length > 0)
        throw new Error('erasure incomplete: DynamoDB kept returning unprocessed items');
    }
    // The tombstone holds no personal data beyond the opaque id the producer already knows.
    await this.doc.send(
      new PutCommand({ TableName: this.table, Item: { pk: pkOf(customerId), sk: SK.tombstone, erasedAt } }),
    );
    return doomed.length;
  }

  /** Removes the tombstone (for tests and an explicit re-registration flow only). */
  async forget(customerId: string): Promise<void> {
    await this.doc.send(
      new DeleteCommand({ TableName: this.table, Key: { pk: pkOf(customerId), sk: SK.tombstone } }),
    );
  }

  async countActivity(
    customerId: string,
    counterId: string,
    day: string,
    eventId: string,
    keepDays: number,
  ): Promise<'counted' | 'already_counted' | 'erased'> {
    return this.retryOnConflict(async () => {
      const key = { pk: pkOf(customerId), sk: `${SK.activityPrefix}${counterId}` };
      const { Item } = await this.doc.send(
        new GetCommand({ TableName: this.table, Key: key, ConsistentRead: true }),
      );
      // A counter is created at most once per customer: only then look for a tombstone, so a late event
      // cannot bring an erased customer's activity back (and a counted event costs no extra read).
      if (!Item) {
        const tombstone = await this.doc.send(
          new GetCommand({
            TableName: this.table,
            Key: { pk: pkOf(customerId), sk: SK.tombstone },
            ConsistentRead: true,
            ProjectionExpression: 'pk',
          }),
        );
        if (tombstone.Item) return 'erased';
      }
      const ids = (Item?.ids as string[] | undefined) ?? [];
      if (ids.includes(eventId)) return 'already_counted';
      const cutoff = new Date(this.now() - keepDays * DAY).toISOString().slice(0, 10);
      const days: Record<string, number> = {};
      for (const [d, n] of Object.entries((Item?.days as Record<string, number> | undefined) ?? {}))
        if (d >= cutoff) days[d] = n;
      days[day] = (days[day] ?? 0) + 1;
      const version = typeof Item?.v === 'number' ? Item.v : 0;
      const result = await this.conditional(
        new PutCommand({
          TableName: this.table,
          // The last 50 event ids are enough to recognise a redelivery; the engine adds the current
          // event itself unless its id is here.
          Item: { ...key, days, ids: [...ids, eventId].slice(-50), v: version + 1 },
          ConditionExpression: version === 0 ? 'attribute_not_exists(pk)' : 'v = :v',
          ...(version !== 0 && { ExpressionAttributeValues: { ':v': version } }),
        }),
      );
      return result === 'ok' ? 'counted' : 'conflict';
    });
  }

  async attributeConversion(
    customerId: string,
    campaignId: string,
    since: string,
    conversion: NonNullable<ContactRecord['conversion']>,
  ): Promise<ContactRecord | undefined> {
    const records = (await this.partition(customerId, `${SK.contactPrefix}${campaignId}#`)).map(
      contactFromItem,
    );
    const target = attributionTarget(records, since, conversion.at);
    return this.creditConversion(customerId, campaignId, target, conversion);
  }

  /**
   * One consistent Query of the whole contact history (`H#`) instead of one per campaign: for an event
   * that is the goal of several campaigns (an order), that is one call instead of several, and fewer
   * read units while the history is short (every Query costs at least one); a long history of other
   * campaigns costs more read units than the per-campaign ranges would.
   */
  async attributeConversions(
    customerId: string,
    goals: readonly { readonly campaignId: string; readonly since: string }[],
    conversion: NonNullable<ContactRecord['conversion']>,
  ): Promise<ContactRecord[]> {
    const byCampaign = new Map<string, ContactRecord[]>(goals.map((g) => [g.campaignId, []]));
    for (const item of await this.partition(customerId, SK.contactPrefix)) {
      const sk = String(item.sk);
      const campaignId = sk.slice(SK.contactPrefix.length, sk.indexOf('#', SK.contactPrefix.length));
      byCampaign.get(campaignId)?.push(contactFromItem(item));
    }
    const credited: ContactRecord[] = [];
    for (const { campaignId, since } of goals) {
      const target = attributionTarget(byCampaign.get(campaignId) ?? [], since, conversion.at);
      const record = await this.creditConversion(customerId, campaignId, target, conversion);
      if (record) credited.push(record);
    }
    return credited;
  }

  /** Sets the conversion on the contact record, unless it already has one. */
  private async creditConversion(
    customerId: string,
    campaignId: string,
    latest: ContactRecord | undefined,
    conversion: NonNullable<ContactRecord['conversion']>,
  ): Promise<ContactRecord | undefined> {
    if (!latest) return undefined;
    try {
      await this.doc.send(
        new UpdateCommand({
          TableName: this.table,
          Key: { pk: pkOf(customerId), sk: SK.contact(campaignId, latest.idempotencyKey) },
          UpdateExpression: 'SET conversion = :c',
          ConditionExpression: 'attribute_exists(pk) AND attribute_not_exists(conversion)',
          ExpressionAttributeValues: { ':c': conversion },
        }),
      );
      return { ...latest, conversion };
    } catch (error) {
      if (error instanceof ConditionalCheckFailedException) return undefined;
      throw error;
    }
  }
}
