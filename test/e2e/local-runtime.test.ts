import { spawnSync } from 'node:child_process';
import { EventBridgeClient, PutEventsCommand, type PutEventsRequestEntry } from '@aws-sdk/client-eventbridge';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type Runtime, startRuntime } from '#local/runtime.ts';

// The local runtime as a user runs it (`npm start`), on free ports, driven only through its public
// interfaces: PutEvents with the AWS SDK, the SES emulator and local SNS stores, the dashboard API, and
// the programmatic drain / clock / stats / stop. One runtime for the file: DynamoDB Local costs ~3 s.

const START = Date.parse('2026-03-02T09:00:00Z'); // a Monday, 10:00 in Amsterdam: outside quiet hours
const FREE = { eventBridge: 0, dashboard: 0, dynamodb: 0, ses: 0, sns: 0, aux: 0 };

interface StoredEmail {
  messageId: string;
  subject: string;
  destination: { to: string[] };
  headers?: { name: string; value: string }[];
}

let runtime: Runtime;
let events: EventBridgeClient;

const json = async <T>(url: string): Promise<T> => (await fetch(url)).json() as Promise<T>;
const emailsTo = async (address: string) =>
  (await json<{ emails: StoredEmail[] }>(`${runtime.urls.ses}/store`)).emails.filter((e) =>
    e.destination.to.includes(address),
  );
const decisionsOf = async (customerId: string) =>
  (
    await json<{
      decisions: {
        eventId: string;
        campaignId: string;
        outcome: string;
        reason?: string;
        channel?: string;
        messageId?: string;
        sendAt?: string;
      }[];
    }>(`${runtime.urls.dashboard}/api/decisions?customerId=${customerId}`)
  ).decisions;

const entry = (
  source: string,
  detailType: string,
  detail: Record<string, unknown>,
): PutEventsRequestEntry => ({
  EventBusName: 'contact-triggers',
  Source: source,
  DetailType: detailType,
  Detail: JSON.stringify(detail),
});
const profile = (customerId: string, fields: Record<string, unknown>) =>
  entry('contact.profiles', 'CustomerProfileUpdated', { customerId, ...fields });
const consent = (customerId: string, purpose: string, channel: string) =>
  entry('contact.consent', 'ConsentGranted', {
    customerId,
    purpose,
    channel,
    source: 'signup-form',
    textVersion: 'v1',
    occurredAt: new Date(START - 60_000).toISOString(),
  });

/** PutEvents; every entry must be accepted. Returns the event ids. */
async function put(...entries: PutEventsRequestEntry[]): Promise<string[]> {
  const out = await events.send(new PutEventsCommand({ Entries: entries }));
  expect(out.FailedEntryCount).toBe(0);
  return (out.Entries ?? []).map((e) => e.EventId ?? '');
}

beforeAll(async () => {
  runtime = await startRuntime({ ports: FREE, clock: START, quiet: true });
  events = new EventBridgeClient({ endpoint: runtime.urls.eventBridge });
});

afterAll(async () => {
  events?.destroy();
  await runtime?.stop();
});

describe('the local runtime', () => {
  it('turns a newsletter subscription into a welcome email, decided and explained on the dashboard API', async () => {
    await put(
      profile('c-anna', { email: 'anna@example.com', locale: 'nl', attributes: { firstName: 'Anna' } }),
      consent('c-anna', 'marketing', 'all'),
    );
    await runtime.drain();

    const [eventId] = await put(entry('shop.newsletter', 'NewsletterSubscribed', { customerId: 'c-anna' }));
    await runtime.drain();

    const emails = await emailsTo('anna@example.com');
    expect(emails.map((e) => e.subject)).toEqual(['Welkom bij Huis & Polis, Anna!']);
    const unsubscribe = emails[0]?.headers?.find((h) => h.name === 'List-Unsubscribe')?.value;
    expect(unsubscribe).toContain(`${runtime.urls.preferences}/unsubscribe?token=`);
    expect(await decisionsOf('c-anna')).toEqual([
      expect.objectContaining({
        eventId,
        campaignId: 'welcome',
        outcome: 'sent',
        channel: 'email',
        messageId: emails[0]?.messageId,
      }),
    ]);
  });

  it('sends a service SMS to a customer with only a phone number and SMS consent', async () => {
    await put(
      profile('c-piet', { phone: '+31612345678', locale: 'nl' }),
      consent('c-piet', 'service', 'sms'),
    );
    await runtime.drain();

    await put(
      entry('insurance.policies', 'PolicyDocumentReady', { customerId: 'c-piet', documentId: 'doc-1' }),
    );
    await runtime.drain();

    const { messages } = await json<{ messages: { phoneNumber?: string; message: string }[] }>(
      runtime.urls.snsStore,
    );
    expect(messages.filter((m) => m.phoneNumber === '+31612345678')).toHaveLength(1);
    expect(await decisionsOf('c-piet')).toEqual([
      expect.objectContaining({ campaignId: 'policy-document-ready', outcome: 'sent', channel: 'sms' }),
    ]);
  });

  it('defers the abandoned-cart reminder by its 1 h delay and sends it once the clock is fast-forwarded', async () => {
    await put(entry('shop.carts', 'CartAbandoned', { customerId: 'c-anna', cartId: 'cart-1', total: 40 }));
    await runtime.drain();
    const [deferred] = (await decisionsOf('c-anna')).filter((d) => d.campaignId === 'abandoned-cart');
    expect(deferred).toMatchObject({ outcome: 'deferred', reason: 'delay' });
    expect(Date.parse(deferred?.sendAt ?? '') - runtime.clock.now()).toBeGreaterThan(55 * 60_000);
    expect(runtime.stats().schedules.pending).toBe(1);

    await runtime.clock.advance(30 * 60_000);
    expect(await emailsTo('anna@example.com')).toHaveLength(1);

    await runtime.clock.advance(31 * 60_000);
    const subjects = (await emailsTo('anna@example.com')).map((e) => e.subject);
    expect(subjects).toEqual([
      'Welkom bij Huis & Polis, Anna!',
      'Je winkelmandje staat nog voor je klaar, Anna',
    ]);
    expect((await decisionsOf('c-anna')).find((d) => d.campaignId === 'abandoned-cart')).toMatchObject({
      outcome: 'sent',
      channel: 'email',
    });
    expect(runtime.stats().schedules).toMatchObject({ pending: 0, fired: 1 });
  });

  it('moves invalid events to the dead-letter queue of the queue that refused them, with the reason', async () => {
    await put(
      entry('shop.newsletter', 'NewsletterSubscribed', { email: 'no-id@example.com' }),
      profile('c-bad', { email: 'not-an-email' }),
    );
    await runtime.drain();

    const { queues } = runtime.stats();
    expect(queues.buffer.deadLetters).toEqual([
      expect.objectContaining({
        reason: 'invalid event: detail.customerId is missing or not a string',
        by: 'handler',
      }),
    ]);
    expect(queues.profile.deadLetters).toEqual([
      expect.objectContaining({ reason: expect.stringMatching(/email is not a valid email address/) }),
    ]);
    expect(JSON.parse(queues.buffer.deadLetters[0]?.body ?? '{}')).toMatchObject({ campaignId: 'welcome' });
    expect(await decisionsOf('c-bad')).toEqual([]);
    expect(queues.activity.deadLetters).toEqual([]);
  });

  it('stops every server and leaves no DynamoDB Local JVM behind', async () => {
    const port = runtime.ports.dynamodb;
    const javaRunning = () =>
      spawnSync('pgrep', ['-f', `DynamoDBLocal.jar -inMemory -disableTelemetry -port ${port}$`]).status === 0;
    expect(javaRunning()).toBe(true);

    await runtime.stop();

    expect(javaRunning()).toBe(false);
    await expect(fetch(`${runtime.urls.dashboard}/api/metrics`)).rejects.toThrow();
    await expect(fetch(runtime.urls.eventBridge, { method: 'POST' })).rejects.toThrow();
  });
});
