import {
  AccountSuspendedException,
  BadRequestException,
  LimitExceededException,
  MailFromDomainNotVerifiedException,
  MessageRejected,
  NotFoundException,
  type SESv2Client,
  SESv2ServiceException,
  SendEmailCommand,
  SendingPausedException,
  TooManyRequestsException,
} from '@aws-sdk/client-sesv2';
import type { EmailMessage, EmailSender, SendResult } from '#shared/domain/ports.ts';
import { PermanentSendError } from '#shared/domain/ports.ts';
import { PlatformError, TransientError } from '#shared/errors.ts';
import { isThrottling } from './throttling.ts';

/**
 * Email through Amazon SES v2 `SendEmail` with `Simple` content.
 *
 * `Simple` rather than `Raw`: SES builds the MIME itself (multipart/alternative with both bodies,
 * UTF-8 subject encoding) and still takes our own headers, which RFC 8058 one-click unsubscribe needs
 * (`List-Unsubscribe` + `List-Unsubscribe-Post`). The SES v2 emulator used locally also keeps custom
 * headers only for `Simple` content.
 */
export interface SesEmailSenderOptions {
  /**
   * The configuration set whose event destination carries bounces, complaints and deliveries back to
   * the feedback function. Without one SES sends no events and the contact history stays "sent".
   * @default undefined (no configuration set)
   */
  readonly configurationSetName?: string;
}

const CHARSET = 'UTF-8';
/** SES accepts at most 50 tags per message. */
const MAX_TAGS = 50;
const MAX_TAG_LENGTH = 256;

/**
 * SES tag names and values may only hold `[A-Za-z0-9_\-.@]` and at most 256 characters; anything else
 * makes SES refuse the whole message with BadRequest. Campaign and variant ids come from a file a
 * marketer edits, so replace rather than fail.
 */
export function sanitiseSesTag(value: string): string {
  return value.replace(/[^A-Za-z0-9_\-.@]/g, '_').slice(0, MAX_TAG_LENGTH);
}

export class SesEmailSender implements EmailSender {
  constructor(
    private readonly client: SESv2Client,
    private readonly options: SesEmailSenderOptions = {},
  ) {}

  /**
   * Sends one email. Throws `PermanentSendError` when SES refuses this message for good and
   * `TransientError` when a retry (of the same message, later) may succeed.
   */
  async sendEmail(message: EmailMessage): Promise<SendResult> {
    const tags = Object.entries(message.tags)
      .map(([name, value]) => ({ Name: sanitiseSesTag(name), Value: sanitiseSesTag(value) }))
      // An empty name or value carries no information and SES would refuse it.
      .filter((tag) => tag.Name !== '' && tag.Value !== '')
      .slice(0, MAX_TAGS);
    const headers = Object.entries(message.headers).map(([Name, Value]) => ({ Name, Value }));
    let messageId: string | undefined;
    try {
      ({ MessageId: messageId } = await this.client.send(
        new SendEmailCommand({
          FromEmailAddress: message.from,
          Destination: { ToAddresses: [message.to] },
          Content: {
            Simple: {
              Subject: { Data: message.subject, Charset: CHARSET },
              Body: {
                Html: { Data: message.html, Charset: CHARSET },
                Text: { Data: message.text, Charset: CHARSET },
              },
              ...(headers.length > 0 && { Headers: headers }),
            },
          },
          ...(this.options.configurationSetName !== undefined && {
            ConfigurationSetName: this.options.configurationSetName,
          }),
          ...(tags.length > 0 && { EmailTags: tags }),
        }),
      ));
    } catch (error) {
      throw sesSendError(error);
    }
    // SES always answers a MessageId on success; without one there is nothing to match feedback to.
    // Not transient: SES may well have accepted the mail, and a retry would send it twice.
    if (!messageId) throw new PlatformError('SES accepted SendEmail but returned no MessageId');
    return { messageId };
  }
}

/** Refusals about this message: its content, its recipient, or its parameters. */
const PERMANENT = [MessageRejected, BadRequestException] as const;
/** Rate and quota limits: the same message will go through later. */
const THROTTLED = [TooManyRequestsException, LimitExceededException] as const;
/**
 * The account or its configuration is broken (suspended, paused, unverified MAIL FROM domain, missing
 * configuration set). Not this recipient's fault, so the address must not be marked bad and no other
 * channel should be tried as if it were: the message waits (retries, then the DLQ) until an engineer
 * fixes the account and redrives it.
 */
const SYSTEMIC = [
  AccountSuspendedException,
  SendingPausedException,
  MailFromDomainNotVerifiedException,
  NotFoundException,
] as const;

const EMAIL = /[^\s<>"'(),;:]+@[^\s<>"'(),;:]+/g;

/**
 * Maps anything `SendEmail` threw to the platform's errors. Exported for the unit tests.
 *
 * SES's own messages can name addresses ("The following identities failed the check: ..."); the
 * original error is kept as `cause` for its code and request id, with addresses masked in place,
 * because loggers print causes.
 */
export function sesSendError(error: unknown): PlatformError {
  if (error instanceof Error) error.message = error.message.replace(EMAIL, '<email>');
  if (!(error instanceof SESv2ServiceException)) {
    // Network failures, timeouts, aborted requests, missing credentials: nothing reached SES's verdict.
    return new TransientError('SES could not be reached', { cause: error });
  }
  const code = error.name;
  const status = error.$metadata.httpStatusCode;
  const context = { code, ...(status !== undefined && { status }) };
  if (PERMANENT.some((type) => error instanceof type)) {
    return new PermanentSendError(`SES refused the message (${code})`, code, { cause: error });
  }
  if (
    THROTTLED.some((type) => error instanceof type) ||
    isThrottling(error) ||
    error.$fault === 'server' ||
    (status ?? 0) >= 500
  ) {
    return new TransientError(`SES failed temporarily (${code})`, { cause: error }, context);
  }
  if (SYSTEMIC.some((type) => error instanceof type)) {
    return new TransientError(
      `SES cannot send for this account (${code})`,
      { cause: error },
      {
        ...context,
        systemic: true,
      },
    );
  }
  // A 400 whose code the SDK does not model is a validation failure of this request (the local
  // emulator reports all of them as `Unknown`); other statuses (403 and the like) are IAM or
  // account problems, hence systemic.
  if (status === 400) {
    return new PermanentSendError(`SES refused the message (${code})`, code, { cause: error });
  }
  return new TransientError(`SES failed (${code})`, { cause: error }, { ...context, systemic: true });
}
