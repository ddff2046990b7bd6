import { PlatformError } from '#shared/errors.ts';

/**
 * The ports the domain owns. Use cases receive implementations as arguments; adapters in
 * `shared/adapters/` implement them for SES, SNS, DynamoDB and HTTP webhooks.
 */

/** What a provider answered for an accepted message. */
export interface SendResult {
  /** The provider's message id (SES MessageId, SNS MessageId, webhook receipt id). */
  readonly messageId: string;
}

/**
 * The provider refused this message for good (invalid or suppressed address, disabled push endpoint,
 * opted-out number, 4xx from a webhook). Retrying is pointless; the next eligible channel may work.
 * `code` is the provider's error code; the message never contains the address.
 */
export class PermanentSendError extends PlatformError {
  override name = 'PermanentSendError';
  constructor(
    message: string,
    readonly code: string,
    options?: { cause?: unknown },
  ) {
    super(message, options, { code });
  }
}

export interface EmailMessage {
  readonly to: string;
  /** `"Brand <sender@domain>"` or a bare address. */
  readonly from: string;
  readonly subject: string;
  readonly html: string;
  readonly text: string;
  /** Extra headers, e.g. List-Unsubscribe and List-Unsubscribe-Post (RFC 8058). */
  readonly headers: Readonly<Record<string, string>>;
  /** SES message tags (campaign, variant, decision id): they come back in feedback events. */
  readonly tags: Readonly<Record<string, string>>;
}

export interface EmailSender {
  sendEmail(message: EmailMessage): Promise<SendResult>;
}

export interface SmsMessage {
  /** E.164. */
  readonly phone: string;
  readonly text: string;
  /** Service messages go as Transactional, everything else as Promotional. */
  readonly transactional: boolean;
}

export interface SmsSender {
  sendSms(message: SmsMessage): Promise<SendResult>;
  /** True when the number replied STOP to the account (SNS's opt-out list). */
  isOptedOut(phone: string): Promise<boolean>;
}

export interface PushMessage {
  readonly endpointArn: string;
  readonly title: string;
  readonly body: string;
  /** Extra data for the app (campaign id, deep link). No personal data. */
  readonly data: Readonly<Record<string, string>>;
}

export interface PushSender {
  sendPush(message: PushMessage): Promise<SendResult>;
}

export interface WebhookMessage {
  readonly url: string;
  readonly body: unknown;
  /** Sent as a header so the receiver can deduplicate our retries. */
  readonly idempotencyKey: string;
}

export interface WebhookSender {
  post(message: WebhookMessage): Promise<SendResult>;
}

/** All channel senders, as one object passed to the use cases. */
export interface Channels {
  readonly email: EmailSender;
  readonly sms: SmsSender;
  readonly push: PushSender;
  readonly webhook: WebhookSender;
}

/** Registers a device token as an SNS platform endpoint (create, or repair per AWS's recommended flow). */
export interface PushRegistry {
  register(platformApplicationArn: string, token: string): Promise<{ endpointArn: string; enabled: boolean }>;
}

/** Time, injected so that tests and the local runtime can move it. */
export interface Clock {
  now(): number;
}

export const systemClock: Clock = { now: () => Date.now() };

/** A message due later (quiet hours, delay): the scheduler hands it to the `deferred` function at `at`. */
export interface DeferredSend {
  readonly at: number;
  readonly customerId: string;
  readonly campaignId: string;
  readonly idempotencyKey: string;
  /** The triggering event, for personalisation at send time. */
  readonly event: unknown;
}

export interface Scheduler {
  schedule(send: DeferredSend): Promise<void>;
}

/** Per-customer links in every message: one-click unsubscribe and the preference page (signed, expiring). */
export interface LinkBuilder {
  links(customerId: string, purpose: string, channel: string): { unsubscribe: string; preferences: string };
}

/** Where input that can never succeed goes, with its reason, instead of being retried or dropped. */
export interface DeadLetters {
  send(body: string, reason: string): Promise<void>;
}

/** Puts events on the `contact-triggers` bus (the daily date job's triggers). */
export interface TriggerEmitter {
  emit(
    events: readonly { source: string; detailType: string; detail: Record<string, unknown> }[],
  ): Promise<void>;
}
