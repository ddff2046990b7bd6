import {
  EventBridgeClient,
  InvalidEventPatternException,
  PutEventsCommand,
  type PutEventsRequestEntry,
  TestEventPatternCommand,
} from '@aws-sdk/client-eventbridge';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { type LocalEventBridge, MAX_ENTRY_BYTES, startEventBridge } from '#local/servers/eventbridge.ts';
import type { RouteTarget } from '#shared/routing.ts';
import { platformRoutes } from '#shared/routing.ts';
import { loadCompiledStrategy } from '#shared/strategy/load.ts';

// The local EventBridge endpoint, driven by the real SDK client through AWS_ENDPOINT_URL_EVENTBRIDGE,
// routing with the sample strategy's rules into a recording "queue".
const { strategy } = loadCompiledStrategy('strategy/contact-strategy.yaml');
const NOW = Date.parse('2026-03-02T09:00:00.250Z');

let server: LocalEventBridge;
let client: EventBridgeClient;
let delivered: { target: RouteTarget; body: Record<string, unknown> }[] = [];

beforeAll(async () => {
  server = await startEventBridge(0, {
    routes: platformRoutes(strategy),
    deliver: (target, body) => delivered.push({ target, body: JSON.parse(body) as Record<string, unknown> }),
    now: () => NOW,
  });
  process.env.AWS_ENDPOINT_URL_EVENTBRIDGE = server.endpoint;
  client = new EventBridgeClient({});
});
afterAll(async () => {
  client.destroy();
  await server.stop();
});
beforeEach(() => {
  delivered = [];
});

const entry = (over: Partial<PutEventsRequestEntry> = {}): PutEventsRequestEntry => ({
  EventBusName: 'contact-triggers',
  Source: 'shop.newsletter',
  DetailType: 'NewsletterSubscribed',
  Detail: JSON.stringify({ customerId: 'c-1' }),
  ...over,
});

describe('PutEvents', () => {
  it('routes a trigger to its campaign ({ campaignId, event }) with the event envelope, and not to activity when nothing counts it', async () => {
    const out = await client.send(new PutEventsCommand({ Entries: [entry({ Resources: ['arn:x'] })] }));

    expect(out.FailedEntryCount).toBe(0);
    const id = out.Entries?.[0]?.EventId;
    expect(id).toMatch(/^[0-9a-f-]{36}$/);
    const event = {
      version: '0',
      id,
      'detail-type': 'NewsletterSubscribed',
      source: 'shop.newsletter',
      account: '000000000000',
      time: '2026-03-02T09:00:00Z',
      region: 'eu-west-1',
      resources: ['arn:x'],
      detail: { customerId: 'c-1' },
    };
    expect(delivered).toEqual([{ target: 'buffer', body: { campaignId: 'welcome', event } }]);
  });

  it('routes a counted trigger to its campaign and, as the bare event, to the activity queue', async () => {
    const out = await client.send(
      new PutEventsCommand({
        Entries: [entry({ Source: 'shop.orders', DetailType: 'OrderPlaced', Resources: ['arn:x'] })],
      }),
    );
    const event = {
      version: '0',
      id: out.Entries?.[0]?.EventId,
      'detail-type': 'OrderPlaced',
      source: 'shop.orders',
      account: '000000000000',
      time: '2026-03-02T09:00:00Z',
      region: 'eu-west-1',
      resources: ['arn:x'],
      detail: { customerId: 'c-1' },
    };
    expect(delivered).toEqual([
      { target: 'buffer', body: { campaignId: 'loyalty-third-order', event } },
      { target: 'activity', body: event },
    ]);
    expect(Object.keys(delivered[1]?.body ?? {})).toEqual(Object.keys(event));
  });

  it.each([
    ['a profile event', 'contact.profiles', 'CustomerProfileUpdated', undefined, ['profile']],
    ['a consent event without EventBusName', 'contact.consent', 'ConsentGranted', '', ['profile']],
    ['an SES event on the default bus', 'aws.ses', 'Email Bounced', 'default', ['feedback']],
    ['an app event nothing listens to, nowhere', 'shop.orders', 'OrderShipped', 'contact-triggers', []],
    [
      'a goal event no campaign is triggered by',
      'insurance.policies',
      'PolicyRenewed',
      undefined,
      ['activity'],
    ],
    [
      'the bus by ARN',
      'shop.orders',
      'OrderPlaced',
      'arn:aws:events:eu-west-1:000000000000:event-bus/contact-triggers',
      ['buffer', 'activity'],
    ],
  ])('routes %s', async (_, source, detailType, bus, targets) => {
    const out = await client.send(
      new PutEventsCommand({
        Entries: [
          entry({ Source: source, DetailType: detailType, ...(bus !== undefined && { EventBusName: bus }) }),
        ],
      }),
    );
    expect(out.FailedEntryCount).toBe(0);
    expect(delivered.map((d) => d.target)).toEqual(targets);
  });

  it('answers one result per entry in order; refused entries get an ErrorCode and are not routed', async () => {
    const big = JSON.stringify({ customerId: 'c-1', blob: 'x'.repeat(MAX_ENTRY_BYTES) });
    const out = await client.send(
      new PutEventsCommand({
        Entries: [
          entry({ Source: undefined }),
          entry({ Detail: '{"customerId": "c-1"' }),
          entry({ Detail: '[{"customerId":"c-1"}]' }),
          entry({ Detail: big }),
          entry({ DetailType: '' }),
          entry({ EventBusName: 'no-such-bus' }),
          entry({ Source: 'aws.ses' }),
          entry({ Detail: JSON.stringify({ customerId: 'c-2' }) }),
        ],
      }),
    );

    expect(out.FailedEntryCount).toBe(7);
    expect(out.Entries?.map((e) => e.ErrorCode ?? 'ok')).toEqual([
      'InvalidArgument',
      'MalformedDetail',
      'MalformedDetail',
      'InvalidArgument',
      'InvalidArgument',
      'InvalidArgument',
      'NotAuthorizedForSourceException',
      'ok',
    ]);
    expect(out.Entries?.[0]?.ErrorMessage).toBe(
      'Parameter Source is not valid. Reason: Source is a required argument.',
    );
    expect(out.Entries?.[3]?.ErrorMessage).toMatch(/over the limit of 262144 bytes/);
    expect(out.Entries?.[7]?.EventId).toBeDefined();
    // Only the valid entry travelled: to welcome (nothing counts newsletter sign-ups).
    expect(delivered.map((d) => d.target)).toEqual(['buffer']);
    expect(JSON.stringify(delivered)).toContain('c-2');
    expect(server.stats().failed).toMatchObject({ InvalidArgument: 4, MalformedDetail: 2 });
  });

  it('accepts an entry of exactly 256 KB and honours an explicit Time', async () => {
    const fixed = entry({ Time: new Date('2026-01-05T10:11:12Z') });
    const base = 14 + 'shop.newsletter'.length + 'NewsletterSubscribed'.length;
    const skeleton = JSON.stringify({ customerId: 'c-1', pad: '' });
    const detail = JSON.stringify({
      customerId: 'c-1',
      pad: 'y'.repeat(MAX_ENTRY_BYTES - base - skeleton.length),
    });

    const out = await client.send(new PutEventsCommand({ Entries: [{ ...fixed, Detail: detail }] }));

    expect(out.FailedEntryCount).toBe(0);
    expect(delivered[0]?.body.event).toMatchObject({ time: '2026-01-05T10:11:12Z' });
  });

  it('refuses a request with more than 10 entries as a whole', async () => {
    await expect(
      client.send(new PutEventsCommand({ Entries: Array.from({ length: 11 }, () => entry()) })),
    ).rejects.toMatchObject({ name: 'ValidationException' });
    expect(delivered).toEqual([]);
  });
});

describe('TestEventPattern', () => {
  const event = JSON.stringify({
    id: '1',
    account: '000000000000',
    source: 'shop.carts',
    time: '2026-03-02T09:00:00Z',
    region: 'eu-west-1',
    resources: [],
    'detail-type': 'CartAbandoned',
    detail: { customerId: 'c-1', total: 40 },
  });

  it.each([
    ['matches', { source: ['shop.carts'], detail: { total: [{ numeric: ['>', 25] }] } }, true],
    ['does not match', { source: ['shop.carts'], detail: { total: [{ numeric: ['>', 50] }] } }, false],
  ])('answers Result when the pattern %s', async (_, pattern, result) => {
    const out = await client.send(
      new TestEventPatternCommand({ EventPattern: JSON.stringify(pattern), Event: event }),
    );
    expect(out.Result).toBe(result);
  });

  it('refuses an invalid pattern with InvalidEventPatternException', async () => {
    const call = client.send(
      new TestEventPatternCommand({ EventPattern: JSON.stringify({ source: 'shop.carts' }), Event: event }),
    );
    await expect(call).rejects.toBeInstanceOf(InvalidEventPatternException);
    await expect(call).rejects.toThrow(/^Event pattern is not valid\. Reason: /);
  });

  it('answers in the AWS JSON error shape', async () => {
    const response = await fetch(server.endpoint, {
      method: 'POST',
      headers: { 'content-type': 'application/x-amz-json-1.1', 'x-amz-target': 'AWSEvents.TestEventPattern' },
      body: JSON.stringify({ EventPattern: '{"source": [', Event: event }),
    });
    expect(response.status).toBe(400);
    expect(await response.json()).toEqual({
      __type: 'InvalidEventPatternException',
      message: expect.stringMatching(/^Event pattern is not valid/),
    });
  });
});
