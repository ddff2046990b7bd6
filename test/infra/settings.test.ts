import { describe, expect, it } from 'vitest';
import { parseSettings, SettingsError } from '#infra/settings.ts';

const VALID = { senderEmail: 'marketing@example.com', senderDomain: 'example.com' } as const;

/** The message of the SettingsError that `parseSettings` throws for `context`. */
function problemsOf(context: Record<string, unknown>): readonly string[] {
  try {
    parseSettings(context);
  } catch (error) {
    if (error instanceof SettingsError) return error.problems;
    throw error;
  }
  throw new Error('expected a SettingsError');
}

describe('parseSettings', () => {
  it('applies the documented defaults when only the sender is set', () => {
    expect(parseSettings({ ...VALID })).toEqual({
      stage: 'dev',
      senderEmail: 'marketing@example.com',
      senderDomain: 'example.com',
      alarmEmails: [],
      smsSenderId: 'Contact',
      pushPlatformApplicationArns: {},
      strategyFile: 'strategy/contact-strategy.yaml',
      dateTriggerSendHour: 9,
    });
  });

  it('keeps valid explicit values and ignores unrelated context (feature flags)', () => {
    const settings = parseSettings({
      ...VALID,
      stage: 'prod-eu',
      alarmEmails: ['ops@example.com'],
      smsSenderId: 'Shop24',
      pushPlatformApplicationArns: {
        fcm: 'arn:aws:sns:eu-west-1:123456789012:app/GCM/shop',
        apns: 'arn:aws:sns:eu-west-1:123456789012:app/APNS_SANDBOX/shop',
      },
      strategyFile: 'strategy/nl/contact-strategy.yml',
      dateTriggerSendHour: 0,
      '@aws-cdk/core:newStyleStackSynthesis': true,
    });
    expect(settings).toMatchObject({
      stage: 'prod-eu',
      alarmEmails: ['ops@example.com'],
      smsSenderId: 'Shop24',
      pushPlatformApplicationArns: {
        fcm: 'arn:aws:sns:eu-west-1:123456789012:app/GCM/shop',
        apns: 'arn:aws:sns:eu-west-1:123456789012:app/APNS_SANDBOX/shop',
      },
      strategyFile: 'strategy/nl/contact-strategy.yml',
      dateTriggerSendHour: 0,
    });
    expect(settings).not.toHaveProperty('@aws-cdk/core:newStyleStackSynthesis');
    expect(Object.isFrozen(settings)).toBe(true);
  });

  it('accepts the string forms that `cdk -c key=value` produces', () => {
    const settings = parseSettings({
      ...VALID,
      alarmEmails: 'ops@example.com, oncall@example.com',
      pushPlatformApplicationArns: '{"fcm":"arn:aws:sns:eu-west-1:123456789012:app/GCM/shop"}',
      dateTriggerSendHour: '8',
    });
    expect(settings.dateTriggerSendHour).toBe(8);
    expect(settings.alarmEmails).toEqual(['ops@example.com', 'oncall@example.com']);
    expect(settings.pushPlatformApplicationArns).toEqual({
      fcm: 'arn:aws:sns:eu-west-1:123456789012:app/GCM/shop',
    });
  });

  it.each([
    [
      { smsSenderId: 'Contact Centre' },
      'cdk.json context "smsSenderId": "Contact Centre" must be 1-11 letters/digits (at least one letter, no spaces), e.g. "Contact"',
    ],
    [
      { smsSenderId: 'ContactCentre' },
      'cdk.json context "smsSenderId": "ContactCentre" must be 1-11 letters/digits',
    ],
    [{ smsSenderId: '12345' }, 'cdk.json context "smsSenderId": "12345" must be 1-11 letters/digits'],
    [{ smsSenderId: 42 }, 'cdk.json context "smsSenderId": 42 must be 1-11 letters/digits'],
    [{ stage: 'Prod' }, 'cdk.json context "stage": "Prod" must be 1-20 lower-case letters, digits or -'],
    [{ senderEmail: 'marketing' }, 'cdk.json context "senderEmail": "marketing" must be an email address'],
    [
      { senderDomain: 'example' },
      'cdk.json context "senderDomain": "example" must be a domain name such as "example.com"',
    ],
    [
      { alarmEmails: ['ops@example.com', 'nope'] },
      'cdk.json context "alarmEmails[1]": "nope" must be an email address',
    ],
    [{ alarmEmails: 5 }, 'cdk.json context "alarmEmails": 5 must be a list of email addresses'],
    [
      { pushPlatformApplicationArns: { fcm: 'arn:aws:sns:eu-west-1:123456789012:app/APNS/shop' } },
      'cdk.json context "pushPlatformApplicationArns.fcm": "arn:aws:sns:eu-west-1:123456789012:app/APNS/shop" must be an SNS platform application ARN for FCM',
    ],
    [
      { pushPlatformApplicationArns: { apns: 'arn:aws:sns:eu-west-1:123456789012:app/GCM/shop' } },
      'cdk.json context "pushPlatformApplicationArns.apns": "arn:aws:sns:eu-west-1:123456789012:app/GCM/shop" must be an SNS platform application ARN for APNs',
    ],
    [
      { pushPlatformApplicationArns: { hms: 'arn:aws:sns:eu-west-1:123456789012:app/GCM/shop' } },
      'cdk.json context "pushPlatformApplicationArns": {"hms":"arn:aws:sns:eu-west-1:123456789012:app/GCM/shop"} must be an object with only "fcm" and/or "apns"',
    ],
    [
      { strategyFile: '/etc/strategy.yaml' },
      'cdk.json context "strategyFile": "/etc/strategy.yaml" must be a relative path',
    ],
    [
      { strategyFile: '../elsewhere/s.yaml' },
      'cdk.json context "strategyFile": "../elsewhere/s.yaml" must be a relative path',
    ],
    [
      { strategyFile: 'strategy/contact-strategy.json' },
      'must be a relative path to a .yaml file inside the repository',
    ],
    ...[24, -1, 9.5, 'nine', '', true].map((hour): [Record<string, unknown>, string] => [
      { dateTriggerSendHour: hour },
      `cdk.json context "dateTriggerSendHour": ${JSON.stringify(hour)} must be a whole hour from 0 to 23`,
    ]),
  ] satisfies [Record<string, unknown>, string][])(
    'rejects %j naming the key and the fix',
    (override, expected) => {
      const problems = problemsOf({ ...VALID, ...override });
      expect(problems).toHaveLength(1);
      expect(problems[0]).toContain(expected);
    },
  );

  it('says which key is missing and what it should hold', () => {
    expect(problemsOf({ senderDomain: 'example.com' })).toEqual([
      'cdk.json context "senderEmail" is not set: it must be an email address such as "marketing@example.com"',
    ]);
  });

  it('requires the sender address to be at the sender domain', () => {
    expect(problemsOf({ senderEmail: 'marketing@other.example', senderDomain: 'example.com' })).toEqual([
      'cdk.json context "senderEmail": "marketing@other.example" must be an address at senderDomain "example.com" (SES sends it through that domain identity)',
    ]);
  });

  it('lists every problem at once in one error message', () => {
    const attempt = () => parseSettings({ ...VALID, stage: 'Prod', smsSenderId: 'Contact Centre' });
    expect(attempt).toThrow(SettingsError);
    expect(attempt).toThrow(/invalid deploy settings \(2 problems\)/);
    expect(attempt).toThrow(/"stage": "Prod"[\s\S]*"smsSenderId": "Contact Centre"/);
  });
});
