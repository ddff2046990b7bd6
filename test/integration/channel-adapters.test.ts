/**
 * The channel adapters against the real local servers started by test/global-setup.ts: the SES v2
 * emulator, the local SNS endpoint, and the sample webhook receiver (started here). Faults these
 * servers cannot produce (throttling, 5xx, timeouts of AWS) are in test/unit/channel-errors.test.ts.
 * The SES and SNS stores are shared by the whole run: every value here is unique to this test.
 */
import { randomUUID } from 'node:crypto';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import {
  DeleteEndpointCommand,
  GetEndpointAttributesCommand,
  SetEndpointAttributesCommand,
} from '@aws-sdk/client-sns';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { localPlatformApplicationArn } from '#local/servers/sns.ts';
import { type RunningWebhookReceiver, startWebhookReceiver } from '#local/webhook-receiver.ts';
import { sesClient, snsClient } from '#shared/adapters/aws-clients.ts';
import { SesEmailSender } from '#shared/adapters/ses-email.ts';
import { SnsPushRegistry, SnsPushSender } from '#shared/adapters/sns-push.ts';
import { SnsSmsSender } from '#shared/adapters/sns-sms.ts';
import { HttpWebhookSender } from '#shared/adapters/webhook.ts';
import { PermanentSendError } from '#shared/domain/ports.ts';
import { TransientError } from '#shared/errors.ts';

const run = `${process.pid}-${randomUUID().slice(0, 8)}`;

async function failure(promise: Promise<unknown>): Promise<Error> {
  const error = await promise.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(error).toBeInstanceOf(Error);
  return error as Error;
}

/** A unique E.164 number per call: +3168 followed by seven digits. */
let phoneCounter = 0;
const uniquePhone = (): string =>
  `+3168${String((process.pid * 100 + phoneCounter++) % 10_000_000).padStart(7, '0')}`;

interface SesStoredEmail {
  messageId: string;
  from: string;
  destination: { to: string[] };
  subject: string;
  body: { html?: string; text?: string };
  headers?: { name: string; value: string }[];
}

interface SnsStoredMessage {
  messageId: string;
  phoneNumber?: string;
  targetArn?: string;
  message: string;
  messageStructure?: string;
  messageAttributes: Record<string, { dataType: string; value: string }>;
}

async function snsMessage(messageId: string): Promise<SnsStoredMessage | undefined> {
  const store = (await (await fetch(`${inject('snsEndpoint')}/_store`)).json()) as {
    messages: SnsStoredMessage[];
  };
  return store.messages.find((m) => m.messageId === messageId);
}

describe('SesEmailSender → SES v2 emulator', () => {
  const sender = new SesEmailSender(sesClient(), { configurationSetName: 'contact-feedback' });
  const unsubscribe = `<https://prefs.example.nl/u/${run}>, <mailto:unsubscribe@example.nl?subject=${run}>`;

  it('lands with subject, HTML and text bodies and the RFC 8058 List-Unsubscribe headers', async () => {
    const subject = `Je derde bestelling — bedankt ${run}`;
    const { messageId } = await sender.sendEmail({
      to: `klant-${run}@example.nl`,
      from: 'Shop <shop@example.nl>',
      subject,
      html: `<p>Hallo <b>Anna</b>, ${run}</p>`,
      text: `Hallo Anna, ${run}`,
      headers: { 'List-Unsubscribe': unsubscribe, 'List-Unsubscribe-Post': 'List-Unsubscribe=One-Click' },
      // Characters SES refuses in tags (space, slash, accent) are replaced, not sent.
      tags: { campaign: 'loyalty third/order', variant: 'b', 'decision id': `é-${run}` },
    });

    const store = (await (await fetch(`${inject('sesEndpoint')}/store`)).json()) as {
      emails: SesStoredEmail[];
    };
    const mail = store.emails.find((e) => e.messageId === messageId);
    expect(mail).toMatchObject({
      from: 'Shop <shop@example.nl>',
      destination: { to: [`klant-${run}@example.nl`] },
      subject,
      body: { html: `<p>Hallo <b>Anna</b>, ${run}</p>`, text: `Hallo Anna, ${run}` },
    });
    expect(mail?.headers).toEqual([
      { name: 'List-Unsubscribe', value: unsubscribe },
      { name: 'List-Unsubscribe-Post', value: 'List-Unsubscribe=One-Click' },
    ]);

    // The emulator's rendered .eml (what a mail client would see) carries the headers too.
    const eml = (await (
      await fetch(`${inject('sesEndpoint')}/get-emlContent?messageId=${encodeURIComponent(messageId)}`)
    ).json()) as { body: { data: number[] } };
    const raw = Buffer.from(eml.body.data).toString('utf8');
    expect(raw).toContain(`List-Unsubscribe: <https://prefs.example.nl/u/${run}>`);
    expect(raw).toContain('List-Unsubscribe-Post: List-Unsubscribe=One-Click');
    expect(raw).toMatch(/Content-Type: multipart\/alternative/);
  });

  it('maps an emulator validation error (400, code Unknown) to a PermanentSendError without the address', async () => {
    const to = `leeg-${run}@example.nl`;
    const error = await failure(
      sender.sendEmail({
        to,
        from: 'shop@example.nl',
        subject: '',
        html: '<p>x</p>',
        text: 'x',
        headers: {},
        tags: {},
      }),
    );
    expect(error).toBeInstanceOf(PermanentSendError);
    expect((error as PermanentSendError).code).toBe('Unknown');
    expect(error.message).not.toContain(to);
  });
});

describe('SnsSmsSender → local SNS', () => {
  const sender = new SnsSmsSender(snsClient(), { senderId: 'SHOP' });

  it.each([
    [true, 'Transactional'],
    [false, 'Promotional'],
  ])(
    'publishes to the phone number with the SMS type (transactional: %s → %s) and sender id',
    async (transactional, type) => {
      const phone = uniquePhone();
      const { messageId } = await sender.sendSms({ phone, text: `Uw code ${run}`, transactional });
      expect(await snsMessage(messageId)).toMatchObject({
        phoneNumber: phone,
        message: `Uw code ${run}`,
        messageAttributes: {
          'AWS.SNS.SMS.SMSType': { dataType: 'String', value: type },
          'AWS.SNS.SMS.SenderID': { dataType: 'String', value: 'SHOP' },
        },
      });
    },
  );

  it('sends no SenderID attribute when none is configured', async () => {
    const { messageId } = await new SnsSmsSender(snsClient()).sendSms({
      phone: uniquePhone(),
      text: `Zonder afzender ${run}`,
      transactional: false,
    });
    expect(Object.keys((await snsMessage(messageId))?.messageAttributes ?? {})).toEqual([
      'AWS.SNS.SMS.SMSType',
    ]);
  });

  it('reports an opted-out number, and only that one', async () => {
    const out = uniquePhone();
    const stillIn = uniquePhone();
    await fetch(`${inject('snsEndpoint')}/_opt-out?phone=${encodeURIComponent(out)}`, { method: 'POST' });
    expect([await sender.isOptedOut(out), await sender.isOptedOut(stillIn)]).toEqual([true, false]);
  });

  it('refuses a number that is not E.164 permanently (InvalidParameter), without the number in the message', async () => {
    const error = await failure(sender.sendSms({ phone: '0612345678', text: 'x', transactional: true }));
    expect(error).toBeInstanceOf(PermanentSendError);
    expect((error as PermanentSendError).code).toBe('InvalidParameter');
    expect(error.message).not.toContain('0612345678');
  });
});

describe('SnsPushSender and SnsPushRegistry → local SNS', () => {
  const app = localPlatformApplicationArn('GCM', `channels-${run}`);
  const registry = new SnsPushRegistry(snsClient());
  const sender = new SnsPushSender(snsClient());
  const attributes = async (arn: string): Promise<Record<string, string> | undefined> =>
    (await snsClient().send(new GetEndpointAttributesCommand({ EndpointArn: arn }))).Attributes;

  it('publishes one JSON-structured message with FCM v1, APNs and default payloads', async () => {
    const { endpointArn } = await registry.register(app, `tok-send-${run}`);
    const data = { campaignId: 'loyalty-third-order', deepLink: 'shop://offers/42' };
    const { messageId } = await sender.sendPush({
      endpointArn,
      title: 'Voor jou',
      body: `10% korting ${run}`,
      data,
    });

    const stored = await snsMessage(messageId);
    expect(stored).toMatchObject({ targetArn: endpointArn, messageStructure: 'json' });
    const message = JSON.parse(stored?.message ?? '{}') as Record<string, string>;
    expect(Object.keys(message).sort()).toEqual(['APNS', 'APNS_SANDBOX', 'GCM', 'default']);
    expect(message.default).toBe(`10% korting ${run}`);
    expect(JSON.parse(message.GCM ?? '')).toEqual({
      fcmV1Message: { message: { notification: { title: 'Voor jou', body: `10% korting ${run}` }, data } },
    });
    const apns = { aps: { alert: { title: 'Voor jou', body: `10% korting ${run}` } }, ...data };
    expect(JSON.parse(message.APNS ?? '')).toEqual(apns);
    expect(JSON.parse(message.APNS_SANDBOX ?? '')).toEqual(apns);
  });

  it('refuses a disabled endpoint permanently with code EndpointDisabled', async () => {
    const { endpointArn } = await registry.register(app, `tok-disabled-${run}`);
    await snsClient().send(
      new SetEndpointAttributesCommand({ EndpointArn: endpointArn, Attributes: { Enabled: 'false' } }),
    );
    const error = await failure(sender.sendPush({ endpointArn, title: 't', body: 'b', data: {} }));
    expect(error).toBeInstanceOf(PermanentSendError);
    expect((error as PermanentSendError).code).toBe('EndpointDisabled');
  });

  it('refuses a deleted endpoint permanently with code NotFound', async () => {
    const { endpointArn } = await registry.register(app, `tok-deleted-${run}`);
    await snsClient().send(new DeleteEndpointCommand({ EndpointArn: endpointArn }));
    const error = await failure(sender.sendPush({ endpointArn, title: 't', body: 'b', data: {} }));
    expect(error).toBeInstanceOf(PermanentSendError);
    expect((error as PermanentSendError).code).toBe('NotFound');
  });

  it('registers per AWS create-or-update: create, same token, re-enable, token change, deleted endpoint', async () => {
    const token = `tok-flow-${run}`;
    // 1. First registration creates an enabled endpoint.
    const first = await registry.register(app, token);
    expect(first.enabled).toBe(true);
    expect(await attributes(first.endpointArn)).toEqual({ Enabled: 'true', Token: token });

    // 2. The same token again answers the same endpoint.
    expect(await registry.register(app, token)).toEqual(first);

    // 3. SNS disabled it (the platform reported the token dead); the app registering the token again
    //    proves it live: CreatePlatformEndpoint answers "already exists ... different attributes", the
    //    ARN is taken from that message and the endpoint re-enabled.
    await snsClient().send(
      new SetEndpointAttributesCommand({ EndpointArn: first.endpointArn, Attributes: { Enabled: 'false' } }),
    );
    expect(await registry.register(app, token)).toEqual({ endpointArn: first.endpointArn, enabled: true });
    expect((await attributes(first.endpointArn))?.Enabled).toBe('true');

    // 4. The token rotated: with the stored ARN, the same endpoint gets the new token.
    const rotated = `tok-flow-rotated-${run}`;
    expect(await registry.register(app, rotated, first.endpointArn)).toEqual({
      endpointArn: first.endpointArn,
      enabled: true,
    });
    expect(await attributes(first.endpointArn)).toEqual({ Enabled: 'true', Token: rotated });

    // 5. The stored endpoint was deleted: GetEndpointAttributes says NotFound, so it is created again.
    await snsClient().send(new DeleteEndpointCommand({ EndpointArn: first.endpointArn }));
    const recreated = await registry.register(app, rotated, first.endpointArn);
    expect(recreated.endpointArn).not.toBe(first.endpointArn);
    expect(await attributes(recreated.endpointArn)).toEqual({ Enabled: 'true', Token: rotated });
  });
});

describe('HttpWebhookSender → sample webhook receiver', () => {
  const secret = `whsec-${run}`;
  let receiver: RunningWebhookReceiver;
  beforeAll(async () => {
    receiver = await startWebhookReceiver(0, secret);
  });
  afterAll(async () => {
    await receiver.stop();
  });

  /** Fast backoff so retries do not slow the suite; the schedule itself is not under test here. */
  const sender = (overrides: Partial<ConstructorParameters<typeof HttpWebhookSender>[0]> = {}) =>
    new HttpWebhookSender({ secret, baseDelayMs: 5, maxDelayMs: 50, ...overrides });
  const statuses = (key: string): number[] =>
    receiver.store.attempts.filter((a) => a.idempotencyKey === key).map((a) => a.status);
  const injectFault = async (query: string): Promise<void> => {
    await fetch(`${receiver.url}/_fail?${query}`, { method: 'POST' });
  };

  it('delivers a signed JSON body once per idempotency key, answering the receiver’s receipt id', async () => {
    const key = `order-${run}#print-welcome`;
    const body = { campaignId: 'print-welcome', customerId: `c-${run}`, letter: 'welcome-nl' };
    const first = await sender({ secret: async () => secret }).post({
      url: `${receiver.url}/print`,
      body,
      idempotencyKey: key,
    });
    const again = await sender().post({ url: `${receiver.url}/print`, body, idempotencyKey: key });

    const deliveries = receiver.store.deliveries.filter((d) => d.idempotencyKey === key);
    expect(deliveries).toHaveLength(1);
    expect(deliveries[0]).toMatchObject({ body, path: '/print', receiptId: first.messageId });
    expect(again.messageId).toBe(first.messageId);
    expect(receiver.store.attempts.filter((a) => a.idempotencyKey === key)).toEqual([
      { idempotencyKey: key, status: 200 },
      { idempotencyKey: key, status: 200, reason: 'duplicate' },
    ]);
  });

  it('is refused (401 → HTTP_401) with the wrong secret or a timestamp older than 5 minutes', async () => {
    const wrong = await failure(
      sender({ secret: 'not-the-secret' }).post({
        url: receiver.url,
        body: {},
        idempotencyKey: `wrong-${run}`,
      }),
    );
    const stale = await failure(
      sender({ clock: { now: () => Date.now() - 6 * 60_000 } }).post({
        url: receiver.url,
        body: {},
        idempotencyKey: `stale-${run}`,
      }),
    );
    expect([(wrong as PermanentSendError).code, (stale as PermanentSendError).code]).toEqual([
      'HTTP_401',
      'HTTP_401',
    ]);
    expect(receiver.store.attempts.filter((a) => a.idempotencyKey === `wrong-${run}`)).toEqual([
      { idempotencyKey: `wrong-${run}`, status: 401, reason: 'signature mismatch' },
    ]);
    expect(receiver.store.attempts.find((a) => a.idempotencyKey === `stale-${run}`)?.reason).toBe(
      'signature stale',
    );
  });

  it('retries a 500 and succeeds on the next attempt', async () => {
    const key = `retry-500-${run}`;
    await injectFault('status=500&count=1');
    const { messageId } = await sender().post({ url: receiver.url, body: { n: 1 }, idempotencyKey: key });
    expect(statuses(key)).toEqual([500, 200]);
    expect(receiver.store.deliveries.find((d) => d.idempotencyKey === key)?.receiptId).toBe(messageId);
  });

  it('honours Retry-After on a 429, capped at maxDelayMs', async () => {
    const key = `retry-429-${run}`;
    await injectFault('status=429&count=1&retryAfter=30');
    const started = Date.now();
    await sender().post({ url: receiver.url, body: {}, idempotencyKey: key });
    expect(statuses(key)).toEqual([429, 200]);
    expect(Date.now() - started).toBeLessThan(1_000);
  });

  it('treats a 400 as permanent without retrying', async () => {
    const key = `bad-${run}`;
    await injectFault('status=400&count=1');
    const error = await failure(sender().post({ url: receiver.url, body: {}, idempotencyKey: key }));
    expect(error).toBeInstanceOf(PermanentSendError);
    expect((error as PermanentSendError).code).toBe('HTTP_400');
    expect(statuses(key)).toEqual([400]);
  });

  it('gives up after the retries with a TransientError', async () => {
    const key = `down-${run}`;
    await injectFault('status=503&count=3');
    const error = await failure(
      sender({ retries: 2 }).post({ url: receiver.url, body: {}, idempotencyKey: key }),
    );
    expect(error).toBeInstanceOf(TransientError);
    expect((error as TransientError).context).toMatchObject({ attempts: 3, status: 503 });
    expect(statuses(key)).toEqual([503, 503, 503]);
  });

  it('times out a receiver that never answers, retries, then gives up with a TransientError', async () => {
    // A real server that accepts the request and never answers: the only way to see our timeout.
    let requests = 0;
    const silent: Server = createServer(() => {
      requests++;
    });
    await new Promise<void>((resolve) => silent.listen(0, '127.0.0.1', resolve));
    try {
      const url = `http://127.0.0.1:${(silent.address() as AddressInfo).port}/`;
      const error = await failure(
        sender({ timeoutMs: 100, retries: 1 }).post({ url, body: {}, idempotencyKey: `slow-${run}` }),
      );
      expect(error).toBeInstanceOf(TransientError);
      expect(error.message).toContain('timeout after 100 ms');
      expect(requests).toBe(2);
    } finally {
      silent.closeAllConnections();
      await new Promise<void>((resolve) => silent.close(() => resolve()));
    }
  });

  it('refuses plain HTTP to anything but loopback', async () => {
    const error = await failure(
      sender().post({ url: 'http://print.example.com/hook', body: {}, idempotencyKey: run }),
    );
    expect((error as PermanentSendError).code).toBe('INSECURE_URL');
  });
});
