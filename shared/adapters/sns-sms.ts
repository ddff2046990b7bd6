import {
  AuthorizationErrorException,
  CheckIfPhoneNumberIsOptedOutCommand,
  InternalErrorException,
  InvalidParameterException,
  InvalidParameterValueException,
  InvalidSecurityException,
  KMSAccessDeniedException,
  KMSDisabledException,
  KMSInvalidStateException,
  KMSNotFoundException,
  KMSThrottlingException,
  type MessageAttributeValue,
  OptedOutException,
  PlatformApplicationDisabledException,
  PublishCommand,
  type SNSClient,
  SNSServiceException,
  ThrottledException,
} from '@aws-sdk/client-sns';
import type { SendResult, SmsMessage, SmsSender } from '#shared/domain/ports.ts';
import { PermanentSendError } from '#shared/domain/ports.ts';
import { PlatformError, TransientError } from '#shared/errors.ts';
import { isThrottling } from './throttling.ts';

/** SMS through Amazon SNS `Publish` to a phone number. */
export interface SnsSmsSenderOptions {
  /**
   * Alphanumeric sender id (1–11 characters) shown instead of a number where the country allows it
   * (NL, BE, DE do; US, CA do not and ignore it).
   * @default undefined (the origination number or pool decides)
   */
  readonly senderId?: string;
}

export class SnsSmsSender implements SmsSender {
  constructor(
    private readonly client: SNSClient,
    private readonly options: SnsSmsSenderOptions = {},
  ) {}

  /**
   * Publishes one SMS. `Transactional` gets SNS's higher-reliability route (and is what service
   * messages need); marketing goes `Promotional`, which is cheaper and which some countries restrict
   * to daytime.
   */
  async sendSms(message: SmsMessage): Promise<SendResult> {
    const attributes: Record<string, MessageAttributeValue> = {
      'AWS.SNS.SMS.SMSType': {
        DataType: 'String',
        StringValue: message.transactional ? 'Transactional' : 'Promotional',
      },
    };
    if (this.options.senderId !== undefined) {
      attributes['AWS.SNS.SMS.SenderID'] = { DataType: 'String', StringValue: this.options.senderId };
    }
    let messageId: string | undefined;
    try {
      ({ MessageId: messageId } = await this.client.send(
        new PublishCommand({
          PhoneNumber: message.phone,
          Message: message.text,
          MessageAttributes: attributes,
        }),
      ));
    } catch (error) {
      throw snsSendError(error, 'SMS');
    }
    // Not transient: SNS may have accepted the message, and a retry would send it twice.
    if (!messageId) throw new PlatformError('SNS accepted the SMS but returned no MessageId');
    return { messageId };
  }

  /**
   * Asks SNS whether the number replied STOP to this account. An invalid number maps to
   * `PermanentSendError` (code `InvalidParameter`) like a refused send would: the number is unusable.
   */
  async isOptedOut(phone: string): Promise<boolean> {
    try {
      const { isOptedOut } = await this.client.send(
        new CheckIfPhoneNumberIsOptedOutCommand({ phoneNumber: phone }),
      );
      return isOptedOut === true;
    } catch (error) {
      throw snsSendError(error, 'SMS');
    }
  }
}

/** Refusals about this message or its target: bad number or payload, opted out, gone or disabled endpoint. */
const PERMANENT = [InvalidParameterException, InvalidParameterValueException, OptedOutException] as const;
/** Throttling and SNS's own failures: the same message will go through later. */
const THROTTLED = [ThrottledException, KMSThrottlingException, InternalErrorException] as const;
/**
 * IAM, KMS or platform-application problems: not this recipient's fault, so nothing about the
 * address may be concluded; the message waits (retries, then the DLQ) for an engineer and a redrive.
 */
const SYSTEMIC = [
  AuthorizationErrorException,
  InvalidSecurityException,
  KMSAccessDeniedException,
  KMSDisabledException,
  KMSInvalidStateException,
  KMSNotFoundException,
  PlatformApplicationDisabledException,
] as const;

type ErrorClass = abstract new (...args: never[]) => Error;

/** An E.164 number, as SNS may echo it in an error message. */
const PHONE = /\+\d{7,15}/g;

/**
 * Maps anything an SNS call threw to the platform's errors. Shared by the SMS and push adapters
 * (each passes the extra error classes that are permanent for its channel). Exported for them and
 * for the unit tests.
 *
 * The permanent error's `code` is SNS's wire code (`EndpointDisabled`, `InvalidParameter`), not the
 * SDK's class name. SNS messages can echo a phone number; the original error is kept as `cause` with
 * numbers masked in place, because loggers print causes.
 */
export function snsSendError(
  error: unknown,
  channel: 'SMS' | 'push',
  permanent: readonly ErrorClass[] = [],
): PlatformError {
  if (error instanceof Error) error.message = error.message.replace(PHONE, '<number>');
  if (!(error instanceof SNSServiceException)) {
    return new TransientError(`SNS could not be reached (${channel})`, { cause: error });
  }
  const code = snsErrorCode(error);
  const status = error.$metadata.httpStatusCode;
  const context = { code, channel, ...(status !== undefined && { status }) };
  if ([...PERMANENT, ...permanent].some((type) => error instanceof type)) {
    return new PermanentSendError(`SNS refused the ${channel} message (${code})`, code, { cause: error });
  }
  if (
    THROTTLED.some((type) => error instanceof type) ||
    isThrottling(error) ||
    error.$fault === 'server' ||
    (status ?? 0) >= 500
  ) {
    return new TransientError(`SNS failed temporarily (${channel}, ${code})`, { cause: error }, context);
  }
  if (SYSTEMIC.some((type) => error instanceof type)) {
    return new TransientError(
      `SNS cannot send for this account (${channel}, ${code})`,
      { cause: error },
      {
        ...context,
        systemic: true,
      },
    );
  }
  if (status === 400) {
    return new PermanentSendError(`SNS refused the ${channel} message (${code})`, code, { cause: error });
  }
  return new TransientError(
    `SNS failed (${channel}, ${code})`,
    { cause: error },
    { ...context, systemic: true },
  );
}

/** SNS's wire code: the SDK keeps it as `Code` on awsQuery errors; otherwise the class name without `Exception`. */
export function snsErrorCode(error: SNSServiceException): string {
  const wire = (error as { Code?: unknown }).Code;
  return typeof wire === 'string' && wire !== '' ? wire : error.name.replace(/Exception$/, '');
}
