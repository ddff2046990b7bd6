import { Duration } from 'aws-cdk-lib';
import * as iam from 'aws-cdk-lib/aws-iam';
import type { Construct } from 'constructs';
import type { PushPlatformApplicationArns } from '../settings.ts';
import type { EmailSending } from './email-sending.ts';
import { acknowledge } from './nag.ts';
import type { PlatformFunction } from './platform-function.ts';
import { grantPushPublish } from './push.ts';
import type { SigningSecrets } from './signing-secrets.ts';

/**
 * Timeout of the functions that send (`evaluate`, `deferred`). A webhook delivery alone may take
 * 4 attempts × 5 s plus up to 3 waits of 5 s (`HttpWebhookSender` defaults: a receiver's
 * `Retry-After` is honoured up to 5 s), 35 s, before the channel gives up; SES, SNS and DynamoDB
 * add little. Cutting a send off mid-way leaves a pending record for the retry to complete, but
 * wastes the attempt.
 */
export const SEND_TIMEOUT = Duration.seconds(40);

/** What a sending function (`deliverDeps` in `functions/platform.ts`) is configured and allowed with. */
export interface SendingProps {
  readonly email: EmailSending;
  /** From address (`SENDER_EMAIL`). */
  readonly senderEmail: string;
  /** Alphanumeric SMS sender id (`SMS_SENDER_ID`). */
  readonly smsSenderId: string;
  readonly pushPlatformApplicationArns: PushPlatformApplicationArns;
  /** The link key (`LINK_KEY_SECRET_ID`) and the webhook key (`WEBHOOK_SECRET_ID`). */
  readonly secrets: SigningSecrets;
  /** Base URL of the preference pages, for the links in every message (`PREFERENCES_URL`). */
  readonly preferencesUrl: string;
}

/** The environment `deliverDeps` reads, exactly. */
export function sendingEnvironment(props: SendingProps): Record<string, string> {
  return {
    SENDER_EMAIL: props.senderEmail,
    CONFIGURATION_SET: props.email.configurationSetName,
    SMS_SENDER_ID: props.smsSenderId,
    PREFERENCES_URL: props.preferencesUrl,
    LINK_KEY_SECRET_ID: props.secrets.linkKey.secretArn,
    WEBHOOK_SECRET_ID: props.secrets.webhookKey.secretArn,
  };
}

/**
 * What sending through every channel needs, and nothing more: `ses:SendEmail` through the sender
 * identity and configuration set; `sns:Publish` to push endpoints of the configured applications;
 * SMS (`sns:Publish` to a phone number, `sns:CheckIfPhoneNumberIsOptedOut`) in its own policy;
 * `secretsmanager:GetSecretValue` on the link and webhook keys. Webhooks are plain HTTPS.
 */
export function grantSending(scope: Construct, fn: PlatformFunction, props: SendingProps): void {
  props.email.grantSendEmail(fn);
  grantPushPublish(fn, props.pushPlatformApplicationArns);
  grantSms(scope, fn);
  props.secrets.grantLinkKeyRead(fn);
  props.secrets.grantWebhookKeyRead(fn);
}

/**
 * SMS to a phone number is `sns:Publish` with a `PhoneNumber`, and the opt-out check
 * `sns:CheckIfPhoneNumberIsOptedOut`; neither has a resource ARN, so IAM only accepts `*`. They get
 * their own policy (`<scope>/SmsPublish`) so that this one wildcard carries its own reason.
 */
function grantSms(scope: Construct, fn: PlatformFunction): void {
  const policy = new iam.Policy(scope, 'SmsPublish', {
    statements: [
      new iam.PolicyStatement({
        actions: ['sns:Publish', 'sns:CheckIfPhoneNumberIsOptedOut'],
        resources: ['*'],
      }),
    ],
  });
  fn.role.attachInlinePolicy(policy);
  acknowledge(policy, {
    id: 'AwsSolutions-IAM5[Resource::*]',
    reason:
      'SMS to a phone number (sns:Publish with PhoneNumber) and the opt-out check (sns:CheckIfPhoneNumberIsOptedOut) have no resource ARN; IAM requires Resource * for them. Only these two actions are allowed.',
  });
}
