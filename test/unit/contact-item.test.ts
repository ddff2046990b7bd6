import { describe, expect, it } from 'vitest';
import {
  contactFromItem,
  contactToItem,
  decodeFacts,
  encodeFacts,
  normaliseProfile,
  profileFromItem,
  profileToItem,
} from '#shared/adapters/dynamodb/items.ts';
import { decodeContactRef, encodeContactRef, needsMessageIndex } from '#shared/domain/contact-ref.ts';
import {
  addressFingerprint,
  type CustomerState,
  type Profile,
  type Suppression,
} from '#shared/domain/customer.ts';
import type { Fact } from '#shared/domain/decision.ts';
import type { ContactRecord } from '#shared/domain/store.ts';

const facts: Fact[] = [
  { kind: 'pattern', matched: true },
  { kind: 'rule', detailType: 'OrderPlaced', count: 3, atLeast: 3, within: '30d' },
  { kind: 'audience', attribute: 'country', value: 'NL', passed: true },
  { kind: 'consent', purpose: 'marketing', channel: 'email', granted: true, ledgerRef: 'L#2026#e-1' },
  { kind: 'consent', purpose: 'marketing', channel: 'sms', granted: false },
  { kind: 'cap', scope: 'campaign', count: 0, max: 1, per: '90d' },
  { kind: 'cap', scope: 'global', purpose: 'marketing', count: 2, max: 3, per: '7d' },
  { kind: 'cap', scope: 'global', channel: 'sms', count: 0, max: 1, per: '1d' },
  { kind: 'channel', channel: 'push', usable: false, why: 'no_address' },
  { kind: 'quiet_hours', from: '21:00', to: '08:00', timezone: 'Europe/Amsterdam', localTime: '22:10' },
  { kind: 'delay', delay: '1h' },
  { kind: 'expiry', expiresAt: '2026-03-04T09:00:00.000Z' },
  { kind: 'holdout', percent: 10, bucket: 4711 },
  { kind: 'variant', id: 'a', bucket: 12 },
  { kind: 'arbitration', winner: 'welcome', priority: 60 },
  { kind: 'duplicate', idempotencyKey: 'e-1#welcome', firstDecidedAt: '2026-03-02T09:00:00.000Z' },
  { kind: 'invalid', problem: 'detail.customerId is missing' },
];

const record = (over: Partial<ContactRecord> = {}): ContactRecord => ({
  eventId: '7383513a-273c-48ba-8c13-7d2885e3c8ac',
  campaignId: 'loyalty-third-order',
  customerId: 'c-0001',
  outcome: 'sent',
  channel: 'email',
  variant: 'a',
  messageId: '010001812345abcd-12345678-1234-1234-1234-123456789012-000000',
  decidedAt: '2026-03-02T09:00:00.000Z',
  idempotencyKey: 'o-123#loyalty-third-order',
  facts,
  ...over,
});

/** DynamoDB's item size: attribute names plus values (strings by UTF-8 length, numbers about 1 byte per 2 digits). */
const itemBytes = (item: Record<string, unknown>): number =>
  Object.entries(item).reduce(
    (n, [k, v]) =>
      n +
      Buffer.byteLength(k) +
      (typeof v === 'number' ? Math.ceil(String(v).length / 2) + 1 : Buffer.byteLength(JSON.stringify(v))),
    0,
  );

describe('contact records as items', () => {
  it('encodes every kind of fact as a tuple and reads it back unchanged', () => {
    const encoded = encodeFacts(facts);
    expect(JSON.parse(encoded).every(Array.isArray)).toBe(true);
    expect(decodeFacts(encoded)).toEqual(facts);
  });

  it('keeps a fact holding an actual null (an audience value) as it was', () => {
    const withNull: Fact[] = [{ kind: 'audience', attribute: 'segment', value: null, passed: false }];
    expect(decodeFacts(encodeFacts(withNull))).toEqual(withNull);
  });

  it('still reads facts stored as objects', () => {
    expect(decodeFacts(JSON.stringify(facts))).toEqual(facts);
  });

  it('round-trips a record, keeping keys only once: customer, campaign and key come from pk and sk', () => {
    const item = contactToItem(record(), 1_900_000_000);
    expect(item).not.toHaveProperty('customerId');
    expect(item).not.toHaveProperty('campaignId');
    expect(item).not.toHaveProperty('idempotencyKey');
    expect(contactFromItem(item)).toEqual(record());
  });

  it('keeps a long explanation of an email with a real SES message id within 1 KB (1 write unit)', () => {
    expect(itemBytes(contactToItem(record(), 1_900_000_000))).toBeLessThanOrEqual(1024);
  });

  it.each([
    ['email', false],
    ['push', false],
    ['webhook', false],
    ['sms', true],
  ] as const)('indexes a %s record by message id: %s', (channel, indexed) => {
    const item = contactToItem(record({ channel }), 1);
    expect('gsi1pk' in item).toBe(indexed);
    expect(contactFromItem(item).messageId).toBe(record().messageId);
  });

  it('indexes an email whose keys are too long for an SES tag', () => {
    const long = record({ idempotencyKey: `${'k'.repeat(300)}#loyalty-third-order` });
    expect(encodeContactRef(long)).toBeUndefined();
    expect(needsMessageIndex(long)).toBe(true);
    expect(contactToItem(long, 1)).toHaveProperty('gsi1pk');
  });

  it('reads a record written before the keys carried the ids', () => {
    const { facts: f, ...rest } = record();
    const old = {
      pk: 'CUSTOMER#c-0001',
      sk: 'H#loyalty-third-order#o-123#loyalty-third-order',
      ...rest,
      facts: JSON.stringify(f),
      gsi1pk: `MSG#${rest.messageId}`,
      gsi1sk: 'H',
      ttl: 1,
    };
    expect(contactFromItem(old)).toEqual(record());
  });
});

describe('the contact-ref SES tag', () => {
  it('is SES-safe and decodes to the same keys', () => {
    const tag = encodeContactRef(record());
    expect(tag).toMatch(/^[A-Za-z0-9_-]{1,256}$/);
    expect(decodeContactRef(tag)).toEqual({
      customerId: 'c-0001',
      campaignId: 'loyalty-third-order',
      idempotencyKey: 'o-123#loyalty-third-order',
    });
  });

  it.each([
    ['not a string', 42],
    ['not base64url', 'a b'],
    ['not JSON', Buffer.from('nope').toString('base64url')],
    ['the wrong shape', Buffer.from('["a","b"]').toString('base64url')],
    ['an empty key', Buffer.from('["a","b",""]').toString('base64url')],
    ['too long', 'a'.repeat(257)],
  ])('refuses %s', (_, value) => {
    expect(decodeContactRef(value)).toBeUndefined();
  });
});

describe('profiles as items', () => {
  const fingerprint = (address: string) => addressFingerprint(address);
  const suppressed = { at: '2026-03-01T00:00:00.000Z', reason: 'bounce' };
  const profiles: [string, Profile, CustomerState['suppressions'] | undefined][] = [
    [
      'a bare profile',
      { customerId: 'c-1', attributes: {}, updatedAt: '2026-03-02T10:00:00.000Z' },
      undefined,
    ],
    [
      'every field, in another order',
      {
        updatedAt: '2026-03-02T10:00:00.000Z',
        attributes: { country: 'NL', birthDate: '1980-03-10' },
        preferredChannel: 'sms',
        timezone: 'Europe/Amsterdam',
        locale: 'nl',
        pushEndpoints: [{ arn: 'arn:aws:sns:eu-west-1:1:endpoint/GCM/a/1', platform: 'fcm', enabled: true }],
        phone: '+31612345678',
        email: 'anna@example.nl',
        customerId: 'c-2',
      },
      { email: { ...suppressed, address: fingerprint('anna@example.nl') } as Suppression },
    ],
    [
      'empty strings and a suppression of an old address',
      { customerId: 'c-3', email: '', phone: '', locale: '', attributes: {}, updatedAt: '' },
      {
        email: { ...suppressed, address: fingerprint('old@example.nl') } as Suppression,
        sms: { ...suppressed } as Suppression,
      },
    ],
    [
      'fields a profile should not have',
      {
        customerId: 'c-4',
        attributes: {},
        updatedAt: 'x',
        extra: 1,
        pushEndpoints: 'no',
      } as unknown as Profile,
      {},
    ],
  ];

  it.each(profiles)('%s: normaliseProfile is the item codec round trip', (_name, profile, suppressions) => {
    const direct = normaliseProfile(profile, suppressions);
    const roundTrip = profileFromItem(profileToItem(profile, suppressions));
    expect(direct).toStrictEqual(roundTrip);
    expect(JSON.stringify(direct)).toBe(JSON.stringify(roundTrip));
  });
});
