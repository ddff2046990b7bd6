import { randomUUID } from 'node:crypto';
import type { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { DynamoDBDocumentClient, PutCommand, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import {
  contactToItem,
  encodeConsent,
  encodeDecided,
  encodeSends,
  pkOf,
  SK,
} from '#shared/adapters/dynamodb/items.ts';
import type { ConsentMap, SendEntry } from '#shared/domain/customer.ts';
import type { ContactRecord } from '#shared/domain/store.ts';

/**
 * The two ways DESIGN.md weighs to commit a send before it goes out, measured on write units against
 * DynamoDB Local with realistic item contents (docs/adr/0001-commit-with-one-conditional-update.md):
 *
 * - `conditional-update`: one UpdateItem of the per-customer state item (recent sends for the caps,
 *   decided idempotency keys, consent) guarded by its version; the contact record is written after
 *   the send. DynamoDB Local reports single-item capacity correctly.
 * - `transaction`: TransactWriteItems over an idempotency item, one counter item per applicable cap
 *   and the contact record; then one write after the send for the provider's message id. DynamoDB
 *   Local under-reports transactions, so each item's size is measured with a plain PutItem and billed
 *   by AWS's rule: 2 write units per started KB per item.
 */
export interface CommitMeasurement {
  readonly strategy: 'conditional-update' | 'transaction';
  readonly writeUnitsBeforeSend: number;
  readonly writeUnitsAfterSend: number;
  readonly writeUnitsPerSend: number;
  readonly callsPerSend: number;
}

const HOUR = 3_600_000;

/** A busy customer: 12 sends in the cap windows, 12 remembered keys, consent for 2 purposes × 3 channels. */
function busyState(now: number) {
  const sends: SendEntry[] = Array.from({ length: 12 }, (_, i) => ({
    at: now - i * 30 * HOUR,
    campaignId: ['welcome', 'loyalty-third-order', 'abandoned-cart', 'policy-document-ready'][i % 4] ?? 'x',
    purpose: i % 4 === 3 ? 'service' : 'marketing',
    channel: (['email', 'sms', 'push'] as const)[i % 3] ?? 'email',
  }));
  const decided = Object.fromEntries(
    sends.map((s, i) => [`${randomUUID()}#${s.campaignId}`, now - i * HOUR]),
  );
  const consent: ConsentMap = Object.fromEntries(
    ['marketing', 'service'].flatMap((p) =>
      ['email', 'sms', 'push'].map((c) => [
        `${p}:${c}`,
        {
          granted: true,
          occurredAt: '2026-01-02T10:00:00.000Z',
          recordedAt: '2026-01-02T10:00:01.000Z',
          ledgerRef: `L#2026-01-02T10:00:00.000Z#${randomUUID()}`,
          source: 'signup-form',
          textVersion: 'v3',
        },
      ]),
    ),
  );
  return { sends, decided, consent };
}

function contactRecord(customerId: string, now: number): ContactRecord {
  return {
    eventId: randomUUID(),
    campaignId: 'loyalty-third-order',
    customerId,
    outcome: 'sent',
    channel: 'email',
    variant: 'a',
    messageId: `0102018f${randomUUID().replaceAll('-', '')}-000000`,
    decidedAt: new Date(now).toISOString(),
    idempotencyKey: `o-${randomUUID()}#loyalty-third-order`,
    facts: [
      { kind: 'audience', attribute: 'country', value: 'NL', passed: true },
      { kind: 'rule', detailType: 'OrderPlaced', count: 3, atLeast: 3, within: '30d' },
      { kind: 'cap', scope: 'campaign', count: 0, max: 1, per: '90d' },
      { kind: 'cap', scope: 'global', purpose: 'marketing', count: 2, max: 3, per: '7d' },
      {
        kind: 'consent',
        purpose: 'marketing',
        channel: 'email',
        granted: true,
        ledgerRef: 'L#2026-01-02T10:00:00.000Z#x',
      },
      { kind: 'variant', id: 'a', bucket: 1234 },
    ],
  };
}

async function units(doc: DynamoDBDocumentClient, command: PutCommand | UpdateCommand): Promise<number> {
  const out = command instanceof PutCommand ? await doc.send(command) : await doc.send(command);
  return out.ConsumedCapacity?.CapacityUnits ?? 0;
}

export async function measureCommitStrategies(
  client: DynamoDBClient,
  table: string,
): Promise<CommitMeasurement[]> {
  const doc = DynamoDBDocumentClient.from(client, { marshallOptions: { removeUndefinedValues: true } });
  const now = Date.now();
  const customerId = `bench-${randomUUID().slice(0, 8)}`;
  const { sends, decided, consent } = busyState(now);
  const record = contactRecord(customerId, now);
  const ttl = Math.floor(now / 1000) + 730 * 86_400;

  // Conditional update: seed the state item, then one guarded update as the pipeline does it.
  await doc.send(
    new PutCommand({
      TableName: table,
      Item: { pk: pkOf(customerId), sk: SK.state, v: 1, c: encodeConsent(consent) },
    }),
  );
  const stateUnits = await units(
    doc,
    new UpdateCommand({
      TableName: table,
      Key: { pk: pkOf(customerId), sk: SK.state },
      UpdateExpression: 'SET s = :s, d = :d, v = :next',
      ConditionExpression: 'v = :v',
      ExpressionAttributeValues: {
        ':s': encodeSends(sends),
        ':d': encodeDecided(decided),
        ':next': 2,
        ':v': 1,
      },
      ReturnConsumedCapacity: 'TOTAL',
    }),
  );
  const recordUnits = await units(
    doc,
    new PutCommand({ TableName: table, Item: contactToItem(record, ttl), ReturnConsumedCapacity: 'TOTAL' }),
  );

  // Transaction: measure each item's size class with a plain PutItem, then bill 2× per item.
  const put = (item: Record<string, unknown>) =>
    units(doc, new PutCommand({ TableName: table, Item: item, ReturnConsumedCapacity: 'TOTAL' }));
  const idempotencyItem = { pk: pkOf(customerId), sk: `IDEM#${record.idempotencyKey}`, at: now, ttl };
  const capItems = ['campaign#loyalty-third-order#90d', 'purpose#marketing#7d', 'channel#email#1d'].map(
    (cap) => ({
      pk: pkOf(customerId),
      sk: `CAP#${cap}`,
      // A rolling window needs the send times, not just a count.
      at: sends.slice(0, 4).map((s) => Math.floor(s.at / 1000)),
    }),
  );
  const pendingRecord = { ...contactToItem({ ...record, messageId: undefined }, ttl) };
  const sizes = [
    await put(idempotencyItem),
    ...(await Promise.all(capItems.map(put))),
    await put(pendingRecord),
  ];
  const transactionUnits = sizes.reduce((sum, u) => sum + 2 * u, 0);
  const afterSend = 1; // UpdateItem of the record with the message id (≤ 1 KB)

  return [
    {
      strategy: 'conditional-update',
      writeUnitsBeforeSend: stateUnits,
      writeUnitsAfterSend: recordUnits,
      writeUnitsPerSend: stateUnits + recordUnits,
      callsPerSend: 3,
    },
    {
      strategy: 'transaction',
      writeUnitsBeforeSend: transactionUnits,
      writeUnitsAfterSend: afterSend,
      writeUnitsPerSend: transactionUnits + afterSend,
      callsPerSend: 3,
    },
  ];
}
