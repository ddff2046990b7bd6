import { EventBridgeClient } from '@aws-sdk/client-eventbridge';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { type LocalEventBridge, startEventBridge } from '#local/servers/eventbridge.ts';
import {
  type CustomerEvent,
  CustomerEventValidationError,
  emitCustomerEvent,
  emitCustomerEvents,
  eventJsonSchemas,
  PUBLIC_EVENTS,
} from '#shared/contract/index.ts';
import type { RouteTarget } from '#shared/routing.ts';
import { platformRoutes } from '#shared/routing.ts';
import { loadCompiledStrategy } from '#shared/strategy/load.ts';

// A producer's view: the typed emitter, through the real SDK client, into the local EventBridge
// endpoint routing with the sample strategy's rules (as test/integration/local-eventbridge.test.ts).
const { strategy } = loadCompiledStrategy('strategy/contact-strategy.yaml');

let server: LocalEventBridge;
let client: EventBridgeClient;
let delivered: { target: RouteTarget; body: Record<string, unknown> }[] = [];
let calls: number[] = [];

beforeAll(async () => {
  server = await startEventBridge(0, {
    routes: platformRoutes(strategy),
    deliver: (target, body) => delivered.push({ target, body: JSON.parse(body) as Record<string, unknown> }),
  });
  process.env.AWS_ENDPOINT_URL_EVENTBRIDGE = server.endpoint;
  client = new EventBridgeClient({});
  client.middlewareStack.add(
    (next) => async (args) => {
      calls.push(((args.input as { Entries?: unknown[] }).Entries ?? []).length);
      return next(args);
    },
    { step: 'initialize', name: 'countPutEvents' },
  );
});
afterAll(async () => {
  client.destroy();
  await server.stop();
});
beforeEach(() => {
  delivered = [];
  calls = [];
});

const consent = (granted: boolean): CustomerEvent => ({
  source: 'contact.consent',
  detailType: granted ? 'ConsentGranted' : 'ConsentWithdrawn',
  detail: {
    customerId: 'c-1',
    purpose: 'marketing',
    channel: 'email',
    source: 'signup-form',
    textVersion: 'v3',
    occurredAt: '2026-03-01T10:00:00Z',
  },
});

/** One of every public event type, and an app event a campaign triggers on. */
const everyType: CustomerEvent[] = [
  {
    source: 'contact.profiles',
    detailType: 'CustomerProfileUpdated',
    detail: {
      customerId: 'c-1',
      email: 'sanne@example.nl',
      phone: '+31612345678',
      locale: 'nl',
      timezone: 'Europe/Amsterdam',
      preferredChannel: 'email',
      attributes: { firstName: 'Sanne', country: 'NL', birthDate: '1990-05-01' },
    },
  },
  consent(true),
  consent(false),
  { source: 'contact.customers', detailType: 'CustomerErasureRequested', detail: { customerId: 'c-2' } },
  { source: 'shop.newsletter', detailType: 'NewsletterSubscribed', detail: { customerId: 'c-1' } },
];

describe('emitCustomerEvent(s): the typed producer contract', () => {
  it('emits every public event type to the bus, where the platform routes it', async () => {
    expect(new Set(everyType.slice(0, 4).map((e) => `${e.source}/${e.detailType}`))).toEqual(
      new Set(PUBLIC_EVENTS.map((e) => `${e.source}/${e.detailType}`)),
    );
    for (const event of everyType) expect(await emitCustomerEvent(client, event)).toMatch(/^[0-9a-f-]{36}$/);

    const profile = delivered.filter((d) => d.target === 'profile').map((d) => d.body['detail-type']);
    expect(profile).toEqual([
      'CustomerProfileUpdated',
      'ConsentGranted',
      'ConsentWithdrawn',
      'CustomerErasureRequested',
    ]);
    expect(delivered).toContainEqual({
      target: 'buffer',
      body: expect.objectContaining({ campaignId: 'welcome' }),
    });
    expect(calls).toEqual([1, 1, 1, 1, 1]);
  });

  it.each([
    [
      'a bad email',
      { ...everyType[0], detail: { customerId: 'c-1', email: 'not-an-email' } },
      'detail.email: is not a valid email address',
    ],
    [
      'a missing customerId',
      { source: 'shop.orders', detailType: 'OrderPlaced', detail: { total: 5 } },
      'detail.customerId: is required',
    ],
    [
      'an unknown consent channel',
      { ...consent(true), detail: { ...consent(true).detail, channel: 'fax' } },
      'detail.channel: is not a channel',
    ],
    [
      'a missing occurredAt',
      { ...consent(true), detail: { ...consent(true).detail, occurredAt: undefined } },
      'detail.occurredAt',
    ],
    [
      'an unknown profile field',
      { ...everyType[0], detail: { customerId: 'c-1', favouriteColour: 'blue' } },
      'detail: Unrecognized key: "favouriteColour"',
    ],
    [
      'a made-up platform event',
      { source: 'contact.consent', detailType: 'ConsentMaybe', detail: { customerId: 'c-1' } },
      'detailType: "ConsentMaybe" is not an event of contact.consent',
    ],
    [
      'an AWS source',
      { source: 'aws.ses', detailType: 'Email Bounced', detail: { customerId: 'c-1' } },
      'source: aws.ses is reserved',
    ],
    [
      'no detail-type',
      { source: 'shop.orders', detailType: '', detail: { customerId: 'c-1' } },
      'detailType: is required',
    ],
  ])('rejects %s before sending, naming the field', async (_, event, field) => {
    const attempt = emitCustomerEvent(client, event as CustomerEvent);
    await expect(attempt).rejects.toBeInstanceOf(CustomerEventValidationError);
    await expect(attempt).rejects.toThrow(field);
    expect(calls).toEqual([]);
    expect(delivered).toEqual([]);
  });

  it('rejects a whole batch with one invalid event, naming its index and field, and sends nothing', async () => {
    const bad = { source: 'shop.orders', detailType: 'OrderPlaced', detail: { customerId: 'has space' } };
    const attempt = emitCustomerEvents(client, [...everyType, bad]);
    await expect(attempt).rejects.toThrow('events[5].detail.customerId: is not a valid customer id');
    expect(calls).toEqual([]);
  });

  it('batches at most 10 entries per PutEvents call and reports every entry', async () => {
    const orders: CustomerEvent[] = Array.from({ length: 23 }, (_, i) => ({
      source: 'shop.orders',
      detailType: 'OrderPlaced',
      detail: { customerId: `c-${i}`, orderId: `o-${i}`, total: 10 + i },
    }));
    const result = await emitCustomerEvents(client, orders);
    expect(calls).toEqual([10, 10, 3]);
    expect(result).toMatchObject({ sent: 23, failed: 0 });
    expect(result.entries.map((e) => e.index)).toEqual([...Array(23).keys()]);
  });

  it('keeps every call under 256 KB: big events go in fewer per call', async () => {
    const note = 'x'.repeat(60 * 1024);
    const events: CustomerEvent[] = Array.from({ length: 9 }, (_, i) => ({
      source: 'shop.support',
      detailType: 'TicketClosed',
      detail: { customerId: `c-${i}`, note },
    }));
    const result = await emitCustomerEvents(client, events);
    expect(result.sent).toBe(9);
    expect(calls).toEqual([4, 4, 1]);
  });

  it('refuses an event above 256 KB before sending', async () => {
    const attempt = emitCustomerEvent(client, {
      source: 'shop.support',
      detailType: 'TicketClosed',
      detail: { customerId: 'c-1', note: 'x'.repeat(257 * 1024) },
    });
    await expect(attempt).rejects.toThrow(/detail: the event is \d+ bytes, above EventBridge's 256 KB/);
    expect(calls).toEqual([]);
  });

  it('reports per-entry errors EventBridge returns', async () => {
    const result = await emitCustomerEvents(client, everyType.slice(0, 2), { busName: 'no-such-bus' });
    expect(result).toMatchObject({ sent: 0, failed: 2 });
    expect(result.entries[0]).toMatchObject({
      index: 0,
      ok: false,
      errorCode: 'InvalidArgument',
      errorMessage: expect.stringContaining('no-such-bus'),
    });
  });
});

describe('the schema registry documents', () => {
  it('are JSON Schema draft 4 of the whole envelope, one per public event plus the generic customer event', () => {
    const schemas = eventJsonSchemas();
    expect(schemas.map((s) => s.name)).toEqual([
      'contact.profiles@CustomerProfileUpdated',
      'contact.consent@ConsentGranted',
      'contact.consent@ConsentWithdrawn',
      'contact.customers@CustomerErasureRequested',
      'contact.apps@CustomerEvent',
    ]);
    const profile = JSON.parse(schemas[0]?.content ?? '{}');
    expect(profile.$schema).toBe('http://json-schema.org/draft-04/schema#');
    expect(profile.properties.source).toEqual({ type: 'string', enum: ['contact.profiles'] });
    expect(profile.properties.detail.required).toEqual(['customerId']);
    expect(Object.keys(profile.properties.detail.properties)).toContain('preferredChannel');
  });
});
