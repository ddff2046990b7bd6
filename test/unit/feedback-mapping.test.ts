/**
 * The mapping of every provider feedback event to a feedback type and suppression, as a table, with no
 * server: {@link interpretFeedback} is pure. The SES shapes follow the SES event record (`eventType`,
 * `mail`, and one object per event type) as EventBridge delivers it from the default bus.
 */
import { describe, expect, it } from 'vitest';
import { addressFingerprint } from '#shared/domain/customer.ts';
import { InvalidInputError } from '#shared/errors.ts';
import { FEEDBACK_TYPES, interpretFeedback, SES_FEEDBACK } from '#shared/use-cases/apply-feedback.ts';

const TIME = '2026-03-10T12:00:00Z';
const ADDRESS = 'anna.de.vries@example.nl';
const mail = {
  timestamp: '2026-03-10T11:59:58.100Z',
  messageId: '0101019abc-1234-5678-9abc-def012345678-000000',
  source: 'Huis & Polis <hallo@example.nl>',
  destination: [ADDRESS],
  tags: { campaign: ['welcome'], customer: ['c-1'] },
};

/** An SES event as the default bus delivers it; `object` is the event type's own data. */
function sesEvent(detailType: string, eventType: string, key: string, object: Record<string, unknown>) {
  return {
    version: '0',
    id: 'e7a3c2d1-0000-4000-8000-000000000001',
    'detail-type': detailType,
    source: 'aws.ses',
    account: '123456789012',
    time: TIME,
    region: 'eu-west-1',
    resources: ['arn:aws:ses:eu-west-1:123456789012:configuration-set/contact'],
    detail: { eventType, mail, [key]: object },
  };
}

const feedbackEvent = (detailType: string, detail: unknown) => ({
  source: 'contact.feedback',
  'detail-type': detailType,
  time: TIME,
  detail,
});

const at = '2026-03-10T12:00:01.500Z';
const recipients = [
  { emailAddress: ADDRESS, action: 'failed', status: '5.1.1', diagnosticCode: 'smtp; 550 5.1.1' },
];

describe('SES event → feedback', () => {
  it.each([
    ['Email Sent', 'Send', 'send', {}, 'sent', TIME, undefined],
    [
      'Email Delivered',
      'Delivery',
      'delivery',
      { timestamp: at, recipients: [ADDRESS], smtpResponse: '250 ok' },
      'delivered',
      at,
      undefined,
    ],
    [
      'Email Bounced',
      'Bounce',
      'bounce',
      { bounceType: 'Permanent', bounceSubType: 'General', bouncedRecipients: recipients, timestamp: at },
      'bounced',
      at,
      'bounced',
    ],
    [
      'Email Bounced',
      'Bounce',
      'bounce',
      {
        bounceType: 'Permanent',
        bounceSubType: 'OnAccountSuppressionList',
        bouncedRecipients: recipients,
        timestamp: at,
      },
      'bounced',
      at,
      'bounced',
    ],
    [
      'Email Bounced',
      'Bounce',
      'bounce',
      { bounceType: 'Transient', bounceSubType: 'MailboxFull', bouncedRecipients: recipients, timestamp: at },
      'soft_bounced',
      at,
      undefined,
    ],
    [
      'Email Bounced',
      'Bounce',
      'bounce',
      {
        bounceType: 'Undetermined',
        bounceSubType: 'Undetermined',
        bouncedRecipients: recipients,
        timestamp: at,
      },
      'soft_bounced',
      at,
      undefined,
    ],
    [
      'Email Complaint Received',
      'Complaint',
      'complaint',
      { complainedRecipients: [{ emailAddress: ADDRESS }], complaintFeedbackType: 'abuse', timestamp: at },
      'complained',
      at,
      'complained',
    ],
    [
      'Email Opened',
      'Open',
      'open',
      { ipAddress: '192.0.2.1', userAgent: 'Mozilla/5.0', timestamp: at },
      'opened',
      at,
      undefined,
    ],
    [
      'Email Clicked',
      'Click',
      'click',
      { link: 'https://example.nl/offer', linkTags: { cta: ['main'] }, timestamp: at },
      'clicked',
      at,
      undefined,
    ],
    ['Email Rejected', 'Reject', 'reject', { reason: 'Bad content' }, 'rejected', TIME, undefined],
    [
      'Email Delivery Delayed',
      'DeliveryDelay',
      'deliveryDelay',
      { delayType: 'MailboxFull', expirationTime: '2026-03-11T12:00:00Z', timestamp: at },
      'delayed',
      at,
      undefined,
    ],
    [
      'Email Rendering Failed',
      'Rendering Failure',
      'failure',
      { templateName: 'welcome', errorMessage: 'Attribute missing' },
      'rendering_failed',
      TIME,
      undefined,
    ],
  ] as const)(
    '%s (%s) %j → %s at %s, suppression %s',
    (detailType, eventType, key, object, type, when, suppression) => {
      const action = interpretFeedback(sesEvent(detailType, eventType, key, object));
      const expectedAt = new Date(when).toISOString();
      expect(action).toEqual({
        kind: 'message',
        channel: 'email',
        messageId: mail.messageId,
        // When SES accepted the message: how long feedback waits for the message's record.
        sentAt: mail.timestamp,
        feedback: { type, at: expectedAt },
        // The address bounced or complained about, as a fingerprint only.
        ...(suppression && {
          suppression: { reason: suppression, at: expectedAt, address: addressFingerprint(ADDRESS) },
        }),
      });
      expect(JSON.stringify(action)).not.toContain(ADDRESS);
    },
  );

  it('covers every SES detail-type in the mapping and maps onto known feedback types only', () => {
    expect(Object.keys(SES_FEEDBACK).sort()).toEqual(
      [
        'Email Bounced',
        'Email Clicked',
        'Email Complaint Received',
        'Email Delivered',
        'Email Delivery Delayed',
        'Email Opened',
        'Email Rejected',
        'Email Rendering Failed',
        'Email Sent',
      ].sort(),
    );
    for (const { type } of Object.values(SES_FEEDBACK)) expect(FEEDBACK_TYPES).toContain(type);
  });

  it.each(['Email Subscribed', 'Sending Status Disabled', 'Advisor Recommendation Status Open'])(
    'ignores the SES service event %s',
    (detailType) => {
      expect(
        interpretFeedback({ source: 'aws.ses', 'detail-type': detailType, time: TIME, detail: {} }),
      ).toEqual({
        kind: 'ignored',
      });
    },
  );
});

describe('normalised contact.feedback events', () => {
  it.each([
    ['opted_out', 'opted_out'],
    ['invalid_number', 'bounced'],
    ['carrier', undefined],
  ] as const)('SmsDeliveryFailed %s → bounced, sms suppression %s', (reason, suppression) => {
    const action = interpretFeedback(
      feedbackEvent('SmsDeliveryFailed', { customerId: 'c-1', messageId: 'sns-1', reason }),
    );
    const when = new Date(TIME).toISOString();
    expect(action).toEqual({
      kind: 'message',
      channel: 'sms',
      messageId: 'sns-1',
      customerId: 'c-1',
      sentAt: when,
      feedback: { type: 'bounced', at: when },
      ...(suppression && { suppression: { reason: suppression, at: when } }),
    });
  });

  it('PushEndpointDisabled → disable that endpoint of that customer', () => {
    const endpointArn =
      'arn:aws:sns:eu-west-1:123456789012:endpoint/GCM/shop/5f1c0a3e-0000-4000-8000-000000000000';
    expect(
      interpretFeedback(feedbackEvent('PushEndpointDisabled', { customerId: 'c-1', endpointArn })),
    ).toEqual({
      kind: 'push_disabled',
      customerId: 'c-1',
      endpointArn,
      at: new Date(TIME).toISOString(),
    });
  });
});

describe('malformed or unknown feedback events', () => {
  const bounce = (patch: Record<string, unknown>) => ({
    ...sesEvent('Email Bounced', 'Bounce', 'bounce', {
      bounceType: 'Permanent',
      bouncedRecipients: recipients,
    }),
    ...patch,
  });
  it.each([
    ['not an object', 'hello', /\(root\)/],
    ['no time', bounce({ time: undefined }), /time /],
    ['no detail-type', bounce({ 'detail-type': undefined }), /detail-type /],
    ['an unknown source', { ...bounce({}), source: 'shop.orders' }, /not a known feedback event/],
    ['an unknown SES detail-type', bounce({ 'detail-type': 'Email Exploded' }), /not a known feedback event/],
    [
      'no mail',
      bounce({ detail: { eventType: 'Bounce', bounce: { bounceType: 'Permanent' } } }),
      /detail\.mail /,
    ],
    [
      'no message id',
      bounce({ detail: { eventType: 'Bounce', mail: {}, bounce: { bounceType: 'Permanent' } } }),
      /detail\.mail\.messageId /,
    ],
    [
      'a message id with spaces',
      bounce({
        detail: { eventType: 'Bounce', mail: { messageId: 'a b' }, bounce: { bounceType: 'Permanent' } },
      }),
      /detail\.mail\.messageId is not a provider message id/,
    ],
    ['no bounce object', bounce({ detail: { eventType: 'Bounce', mail } }), /detail\.bounce is missing/],
    [
      'an unknown bounce type',
      bounce({ detail: { eventType: 'Bounce', mail, bounce: { bounceType: ADDRESS } } }),
      /detail\.bounce\.bounceType is not Permanent/,
    ],
    [
      'an eventType that contradicts the detail-type',
      bounce({ detail: { eventType: 'Delivery', mail, bounce: { bounceType: 'Permanent' } } }),
      /detail\.eventType is not Bounce/,
    ],
    [
      'a bad timestamp',
      bounce({
        detail: { eventType: 'Bounce', mail, bounce: { bounceType: 'Permanent', timestamp: 'yesterday' } },
      }),
      /detail\.bounce\.timestamp is not an ISO timestamp/,
    ],
    [
      'an SMS failure without reason',
      feedbackEvent('SmsDeliveryFailed', { customerId: 'c-1', messageId: 'm' }),
      /detail\.reason /,
    ],
    [
      'an SMS failure with an unknown reason',
      feedbackEvent('SmsDeliveryFailed', { customerId: 'c-1', messageId: 'm', reason: 'moon' }),
      /detail\.reason is not opted_out/,
    ],
    [
      'a push event with a bad customer id',
      feedbackEvent('PushEndpointDisabled', {
        customerId: ' ',
        endpointArn: 'arn:aws:sns:eu-west-1:123456789012:endpoint/GCM/a/b',
      }),
      /detail\.customerId is not a valid customer id/,
    ],
    [
      'a push event with an application ARN',
      feedbackEvent('PushEndpointDisabled', {
        customerId: 'c-1',
        endpointArn: 'arn:aws:sns:eu-west-1:123456789012:app/GCM/a',
      }),
      /detail\.endpointArn is not an SNS endpoint ARN/,
    ],
    [
      'an unknown contact.feedback detail-type',
      feedbackEvent('PushEndpointEnabled', {}),
      /not a known feedback event/,
    ],
  ])('refuses %s with a field-level reason and no address', (_what, event, reason) => {
    let error: unknown;
    try {
      interpretFeedback(event);
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(InvalidInputError);
    expect((error as Error).message).toMatch(reason);
    expect((error as Error).message).not.toContain(ADDRESS);
  });
});
