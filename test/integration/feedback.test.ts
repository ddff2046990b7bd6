/**
 * Delivery feedback against the real local servers: messages are sent through the pipeline (DynamoDB
 * Local, the SES v2 emulator, local SNS), then SES configuration-set events and the normalised
 * `contact.feedback` events for them are applied, and the next decisions show the effect.
 */
import { randomUUID } from 'node:crypto';
import { beforeAll, describe, expect, it } from 'vitest';
import { localPlatformApplicationArn } from '#local/servers/sns.ts';
import { snsClient } from '#shared/adapters/aws-clients.ts';
import { SnsPushRegistry } from '#shared/adapters/sns-push.ts';
import { CONTACT_REF_TAG, encodeContactRef } from '#shared/domain/contact-ref.ts';
import { addressFingerprint } from '#shared/domain/customer.ts';
import { InvalidInputError, TransientError } from '#shared/errors.ts';
import { applyFeedback, type FeedbackDeps } from '#shared/use-cases/apply-feedback.ts';
import { evaluateTrigger } from '#shared/use-cases/evaluate-trigger.ts';
import { busEvent, createPipeline, onboard, type Pipeline, pipelineEngine } from '../support/pipeline.ts';

let p: Pipeline;
let deps: FeedbackDeps;

beforeAll(async () => {
  // No campaign here posts a webhook; the URL only has to be valid.
  p = await createPipeline(pipelineEngine('http://127.0.0.1:9/print'));
  deps = { store: p.store, clock: p.clock };
});

const newCustomer = () => `c-${randomUUID().slice(0, 12)}`;
const emailOf = (id: string) => `${id}@example.nl`;
/** An ISO time `seconds` after the pipeline's clock. */
const secondsLater = (seconds: number) => new Date(p.clock.now() + seconds * 1000).toISOString();

/** SES event objects per detail-type: the event type and the key of its own data. */
const SES = {
  'Email Sent': ['Send', 'send'],
  'Email Delivered': ['Delivery', 'delivery'],
  'Email Bounced': ['Bounce', 'bounce'],
  'Email Complaint Received': ['Complaint', 'complaint'],
  'Email Opened': ['Open', 'open'],
  'Email Clicked': ['Click', 'click'],
} as const;

/** The `record` tag each welcome email was sent with, by SES message id. */
const refTags = new Map<string, Record<string, string[]>>();

/** An SES configuration-set event for one of our messages, as the default bus delivers it. */
function sesEvent(
  detailType: keyof typeof SES,
  messageId: string,
  object: Record<string, unknown>,
  to = 'x@example.nl',
) {
  const [eventType, key] = SES[detailType];
  return {
    version: '0',
    id: randomUUID(),
    'detail-type': detailType,
    source: 'aws.ses',
    account: '000000000000',
    time: new Date(p.clock.now()).toISOString(),
    region: 'eu-west-1',
    resources: [],
    detail: {
      eventType,
      mail: {
        timestamp: secondsLater(-1),
        messageId,
        source: 'hallo@example.nl',
        destination: [to],
        // SES repeats the message's tags; the emulator keeps none, so the test remembers them.
        tags: { campaign: ['welcome'], ...refTags.get(messageId) },
      },
      [key]: object,
    },
  };
}

const hardBounce = (messageId: string, to: string, at = secondsLater(2)) =>
  sesEvent(
    'Email Bounced',
    messageId,
    {
      bounceType: 'Permanent',
      bounceSubType: 'General',
      bouncedRecipients: [
        {
          emailAddress: to,
          action: 'failed',
          status: '5.1.1',
          diagnosticCode: 'smtp; 550 5.1.1 user unknown',
        },
      ],
      timestamp: at,
    },
    to,
  );

const feedbackEvent = (detailType: string, detail: Record<string, unknown>) => ({
  ...busEvent('contact.feedback', String(detail.customerId), {}, p.clock.now()),
  'detail-type': detailType,
  detail,
});

/** Registers a device token with local SNS and returns the endpoint ARN. */
const registerDevice = async (id: string) =>
  (
    await new SnsPushRegistry(snsClient()).register(
      localPlatformApplicationArn('GCM', 'shop'),
      `token-${id}-0123456789`,
    )
  ).endpointArn;

/** Sends the `welcome` email and returns its contact record (with the SES message id). */
async function sendWelcome(id: string) {
  const record = await evaluateTrigger(p.deps, {
    campaignId: 'welcome',
    event: busEvent('test.welcome', id),
  });
  expect(record).toMatchObject({ outcome: 'sent', channel: 'email' });
  const messageId = record.messageId;
  if (!messageId) throw new Error('the welcome email has no message id');
  const ref = encodeContactRef(record);
  if (ref) refTags.set(messageId, { [CONTACT_REF_TAG]: [ref] });
  return { record, messageId };
}

const feedbackOn = async (record: { customerId: string; campaignId: string; idempotencyKey: string }) =>
  (await p.store.getContact(record.customerId, record.campaignId, record.idempotencyKey))?.feedback ?? [];

describe('SES feedback against DynamoDB Local and the SES emulator', () => {
  it('a hard bounce is recorded, suppresses the address, and the next welcome falls back to push', async () => {
    const id = newCustomer();
    const endpointArn = await registerDevice(id);
    await onboard(p, id, { email: emailOf(id), pushEndpoints: [{ arn: endpointArn, platform: 'fcm' }] });
    const { record, messageId } = await sendWelcome(id);
    const at = secondsLater(2);

    const result = await applyFeedback(deps, hardBounce(messageId, emailOf(id), at));

    expect(result).toBe('recorded');
    expect(await feedbackOn(record)).toEqual([{ type: 'bounced', at: new Date(at).toISOString() }]);
    // The address as a fingerprint: the suppression ends when the customer changes address.
    expect((await p.store.load(id, true)).suppressions).toEqual({
      email: { reason: 'bounced', at: new Date(at).toISOString(), address: addressFingerprint(emailOf(id)) },
    });
    const next = await evaluateTrigger(p.deps, {
      campaignId: 'welcome',
      event: busEvent('test.welcome', id),
    });
    expect(next).toMatchObject({ outcome: 'sent', channel: 'push' });
  });

  it('a hard bounce leaves a customer without another channel suppressed with bounced_address', async () => {
    const id = newCustomer();
    await onboard(p, id, { email: emailOf(id) });
    const { messageId } = await sendWelcome(id);

    await applyFeedback(deps, hardBounce(messageId, emailOf(id)));

    const next = await evaluateTrigger(p.deps, {
      campaignId: 'welcome',
      event: busEvent('test.welcome', id),
    });
    expect(next).toMatchObject({ outcome: 'suppressed', reason: 'bounced_address' });
  });

  it('appends sent, delivered, opened and clicked in order', async () => {
    const id = newCustomer();
    await onboard(p, id, { email: emailOf(id) });
    const { record, messageId } = await sendWelcome(id);
    const events = [
      sesEvent('Email Sent', messageId, {}),
      sesEvent('Email Delivered', messageId, {
        timestamp: secondsLater(1),
        processingTimeMillis: 420,
        recipients: [emailOf(id)],
        smtpResponse: '250 ok',
      }),
      sesEvent('Email Opened', messageId, {
        timestamp: secondsLater(60),
        ipAddress: '192.0.2.1',
        userAgent: 'Mozilla/5.0',
      }),
      sesEvent('Email Clicked', messageId, {
        timestamp: secondsLater(90),
        ipAddress: '192.0.2.1',
        link: 'https://example.nl/a',
        linkTags: {},
      }),
    ];

    for (const event of events) expect(await applyFeedback(deps, event)).toBe('recorded');

    expect((await feedbackOn(record)).map((f) => f.type)).toEqual(['sent', 'delivered', 'opened', 'clicked']);
    expect((await p.store.load(id, true)).suppressions).toEqual({});
  });

  it('a bounce suppresses that address only: a new address of the customer is used again', async () => {
    const id = newCustomer();
    await onboard(p, id, { email: emailOf(id) });
    const { messageId } = await sendWelcome(id);
    expect(await applyFeedback(deps, hardBounce(messageId, emailOf(id)))).toBe('recorded');
    const welcome = () =>
      evaluateTrigger(p.deps, { campaignId: 'welcome', event: busEvent('test.welcome', id) });
    expect(await welcome()).toMatchObject({ outcome: 'suppressed', reason: 'bounced_address' });

    // The customer gives a new address: it has never bounced.
    await onboard(p, id, { email: `new-${emailOf(id)}` }, []);
    p.clock.ms += 1000;
    expect(await welcome()).toMatchObject({ outcome: 'sent', channel: 'email' });
  });

  it('a late bounce of an old address does not suppress the customer’s new one', async () => {
    const id = newCustomer();
    await onboard(p, id, { email: emailOf(id) });
    const { messageId } = await sendWelcome(id);
    p.clock.ms += 1000;
    await onboard(p, id, { email: `new-${emailOf(id)}` }, []);
    // SES reports the bounce of the message sent to the old address after the change.
    expect(await applyFeedback(deps, hardBounce(messageId, emailOf(id), secondsLater(1)))).toBe('recorded');
    p.clock.ms += 2000;
    const next = await evaluateTrigger(p.deps, {
      campaignId: 'welcome',
      event: busEvent('test.welcome', id),
    });
    expect(next).toMatchObject({ outcome: 'sent', channel: 'email' });
  });

  it('a complaint suppresses the address', async () => {
    const id = newCustomer();
    await onboard(p, id, { email: emailOf(id) });
    const { record, messageId } = await sendWelcome(id);
    const at = secondsLater(300);

    await applyFeedback(
      deps,
      sesEvent('Email Complaint Received', messageId, {
        complainedRecipients: [{ emailAddress: emailOf(id) }],
        complaintFeedbackType: 'abuse',
        timestamp: at,
      }),
    );

    expect((await feedbackOn(record)).map((f) => f.type)).toEqual(['complained']);
    expect((await p.store.load(id, true)).suppressions.email).toEqual({
      reason: 'complained',
      at: new Date(at).toISOString(),
      address: addressFingerprint(emailOf(id)),
    });
  });

  it('a transient bounce is recorded as soft_bounced and does not suppress', async () => {
    const id = newCustomer();
    await onboard(p, id, { email: emailOf(id) });
    const { record, messageId } = await sendWelcome(id);

    await applyFeedback(
      deps,
      sesEvent('Email Bounced', messageId, {
        bounceType: 'Transient',
        bounceSubType: 'MailboxFull',
        bouncedRecipients: [{ emailAddress: emailOf(id) }],
        timestamp: secondsLater(5),
      }),
    );

    expect((await feedbackOn(record)).map((f) => f.type)).toEqual(['soft_bounced']);
    expect((await p.store.load(id, true)).suppressions).toEqual({});
    const next = await evaluateTrigger(p.deps, {
      campaignId: 'welcome',
      event: busEvent('test.welcome', id),
    });
    expect(next).toMatchObject({ outcome: 'sent', channel: 'email' });
  });

  it('an unknown message id is unknown_message, and so is a message of an erased customer', async () => {
    // Sent a few minutes ago: no record is coming for it any more.
    const old = (event: ReturnType<typeof hardBounce>) => {
      event.detail.mail.timestamp = secondsLater(-181);
      return event;
    };
    expect(await applyFeedback(deps, old(hardBounce(`not-ours-${randomUUID()}`, 'x@example.nl')))).toBe(
      'unknown_message',
    );

    const id = newCustomer();
    await onboard(p, id, { email: emailOf(id) });
    const { messageId } = await sendWelcome(id);
    await p.store.erase(id, new Date(p.clock.now()).toISOString());
    expect(await applyFeedback(deps, old(hardBounce(messageId, emailOf(id))))).toBe('unknown_message');
    expect(await p.store.exportCustomer(id)).toMatchObject({ contactHistory: [], consentLedger: [] });
  });

  it('a hard bounce that arrives before its contact record is retried, then suppresses the address', async () => {
    const id = newCustomer();
    await onboard(p, id, { email: emailOf(id) });
    // The message went out a second ago; its record (written right after the send) is not there yet.
    const ref = { customerId: id, campaignId: 'welcome', idempotencyKey: `${randomUUID()}#welcome` };
    const messageId = `ses-${randomUUID()}`;
    refTags.set(messageId, { [CONTACT_REF_TAG]: [encodeContactRef(ref) ?? ''] });
    const bounce = hardBounce(messageId, emailOf(id));

    const early = applyFeedback(deps, bounce);
    await expect(early).rejects.toBeInstanceOf(TransientError);
    await expect(early).rejects.not.toThrow(emailOf(id));

    await p.store.putContact({
      ...ref,
      eventId: ref.idempotencyKey.split('#')[0] ?? '',
      outcome: 'sent',
      channel: 'email',
      variant: 'a',
      messageId,
      decidedAt: secondsLater(-1),
      facts: [],
    });
    // The queue delivers the event again.
    expect(await applyFeedback(deps, bounce)).toBe('recorded');
    expect((await p.store.load(id, true)).suppressions.email).toMatchObject({ reason: 'bounced' });
    expect((await feedbackOn(ref)).map((f) => f.type)).toEqual(['bounced']);
  });

  it('replaying an event answers the same and appends no second entry', async () => {
    const id = newCustomer();
    await onboard(p, id, { email: emailOf(id) });
    const { record, messageId } = await sendWelcome(id);
    const bounce = hardBounce(messageId, emailOf(id));
    const sent = sesEvent('Email Sent', messageId, {});

    const results = [];
    for (const event of [sent, bounce, bounce, sent, { ...bounce, id: randomUUID() }]) {
      results.push(await applyFeedback(deps, event));
    }

    expect(results).toEqual(['recorded', 'recorded', 'recorded', 'recorded', 'recorded']);
    expect((await feedbackOn(record)).map((f) => f.type)).toEqual(['sent', 'bounced']);
  });

  it('refuses malformed events with InvalidInputError and changes nothing', async () => {
    const id = newCustomer();
    await onboard(p, id, { email: emailOf(id), phone: '06 1234 5678', attributes: { country: 'NL' } });
    const { messageId } = await sendWelcome(id);
    const other = newCustomer();
    await onboard(p, other, { email: emailOf(other), phone: '06 1234 5679', attributes: { country: 'NL' } });
    const theirs = await sendWelcome(other);
    const theirSms = await evaluateTrigger(p.deps, {
      campaignId: 'sms-offer',
      event: busEvent('test.sms', other),
    });
    expect(theirSms).toMatchObject({ outcome: 'sent', channel: 'sms' });
    const before = await p.store.exportCustomer(id);
    const beforeState = await p.store.load(id, true);
    const bounce = hardBounce(messageId, emailOf(id));
    const bad: [string, unknown][] = [
      ['not an object', 'hello'],
      ['an unknown source', { ...bounce, source: 'shop.orders' }],
      ['an unknown bounce type', { ...bounce, detail: { ...bounce.detail, bounce: { bounceType: 'Soft' } } }],
      [
        'an eventType against the detail-type',
        { ...bounce, detail: { ...bounce.detail, eventType: 'Delivery' } },
      ],
      ['no message id', { ...bounce, detail: { ...bounce.detail, mail: { destination: [emailOf(id)] } } }],
      ['a time in the future', hardBounce(messageId, emailOf(id), secondsLater(3_600))],
      // Email records are found by their tag, SMS records by the message-id index.
      ['an SES event for an SMS message', hardBounce(theirSms.messageId ?? '', emailOf(id))],
      [
        'an SMS failure naming the wrong customer',
        feedbackEvent('SmsDeliveryFailed', {
          customerId: id,
          messageId: theirSms.messageId,
          reason: 'opted_out',
        }),
      ],
      ['a push event without endpoint', feedbackEvent('PushEndpointDisabled', { customerId: id })],
    ];

    for (const [what, event] of bad) {
      const attempt = applyFeedback(deps, event);
      await expect(attempt, what).rejects.toBeInstanceOf(InvalidInputError);
      await expect(attempt, what).rejects.not.toThrow(emailOf(id));
    }

    expect(await p.store.exportCustomer(id)).toEqual({ ...before, exportedAt: expect.any(String) });
    const afterState = await p.store.load(id, true);
    expect(afterState.suppressions).toEqual(beforeState.suppressions);
    expect(afterState.profile).toEqual(beforeState.profile);
    expect(await feedbackOn(theirs.record)).toEqual([]);
    expect(await feedbackOn(theirSms)).toEqual([]);
    // An SMS failure naming an email's message id finds no SMS message, and changes nothing either:
    // retried while a record could still be coming, unknown after that.
    const smsFailure = feedbackEvent('SmsDeliveryFailed', {
      customerId: id,
      messageId,
      reason: 'invalid_number',
    });
    await expect(applyFeedback(deps, smsFailure)).rejects.toBeInstanceOf(TransientError);
    expect(await applyFeedback({ ...deps, recordGraceMs: 0 }, smsFailure)).toBe('unknown_message');
    expect(await p.store.exportCustomer(id)).toEqual({ ...before, exportedAt: expect.any(String) });
  });
});

describe('normalised contact.feedback events', () => {
  it('PushEndpointDisabled disables the endpoint, so the next push-offer falls back to email', async () => {
    const id = newCustomer();
    const endpointArn = await registerDevice(id);
    await onboard(p, id, { email: emailOf(id), pushEndpoints: [{ arn: endpointArn, platform: 'fcm' }] });
    const first = await evaluateTrigger(p.deps, {
      campaignId: 'push-offer',
      event: busEvent('test.push', id),
    });
    expect(first).toMatchObject({ outcome: 'sent', channel: 'push' });

    const result = await applyFeedback(
      deps,
      feedbackEvent('PushEndpointDisabled', { customerId: id, endpointArn }),
    );

    expect(result).toBe('recorded');
    expect((await p.store.load(id, true)).profile?.pushEndpoints).toEqual([
      { arn: endpointArn, platform: 'fcm', enabled: false },
    ]);
    const next = await evaluateTrigger(p.deps, {
      campaignId: 'push-offer',
      event: busEvent('test.push', id),
    });
    expect(next).toMatchObject({ outcome: 'sent', channel: 'email' });
  });

  it('SmsDeliveryFailed records a bounce and suppresses an opted-out number', async () => {
    const id = newCustomer();
    await onboard(p, id, { phone: '06 1234 5678', attributes: { country: 'NL' } });
    const sms = await evaluateTrigger(p.deps, { campaignId: 'sms-offer', event: busEvent('test.sms', id) });
    expect(sms).toMatchObject({ outcome: 'sent', channel: 'sms' });

    const result = await applyFeedback(
      deps,
      feedbackEvent('SmsDeliveryFailed', { customerId: id, messageId: sms.messageId, reason: 'opted_out' }),
    );

    expect(result).toBe('recorded');
    expect((await feedbackOn(sms)).map((f) => f.type)).toEqual(['bounced']);
    expect((await p.store.load(id, true)).suppressions.sms).toMatchObject({ reason: 'opted_out' });
    const next = await evaluateTrigger(p.deps, { campaignId: 'sms-offer', event: busEvent('test.sms', id) });
    expect(next).toMatchObject({ outcome: 'suppressed', reason: 'bounced_address' });
  });

  it('a carrier failure records a bounce without suppressing the number', async () => {
    const id = newCustomer();
    await onboard(p, id, { phone: '06 1234 5678', attributes: { country: 'NL' } });
    const sms = await evaluateTrigger(p.deps, { campaignId: 'sms-offer', event: busEvent('test.sms', id) });

    await applyFeedback(
      deps,
      feedbackEvent('SmsDeliveryFailed', { customerId: id, messageId: sms.messageId, reason: 'carrier' }),
    );

    expect((await feedbackOn(sms)).map((f) => f.type)).toEqual(['bounced']);
    expect((await p.store.load(id, true)).suppressions).toEqual({});
  });
});
