/**
 * Error classification of the SES and SNS channel adapters for faults the local servers cannot
 * produce: throttling, 5xx, timeouts and network failures, account-level (systemic) errors, and the
 * provider error classes the emulators never send. These use `aws-sdk-client-mock` on one client
 * instance each; everything a local server *can* produce (emulator validation errors, EndpointDisabled,
 * NotFound, the registry flow) is tested against the real servers in
 * test/integration/channel-adapters.test.ts.
 */
import {
  AccountSuspendedException,
  BadRequestException,
  LimitExceededException,
  MailFromDomainNotVerifiedException,
  MessageRejected,
  SESv2Client,
  SESv2ServiceException,
  SendEmailCommand,
  SendingPausedException,
  NotFoundException as SesNotFoundException,
  TooManyRequestsException,
} from '@aws-sdk/client-sesv2';
import {
  AuthorizationErrorException,
  CheckIfPhoneNumberIsOptedOutCommand,
  CreatePlatformEndpointCommand,
  EndpointDisabledException,
  InternalErrorException,
  InvalidParameterException,
  KMSThrottlingException,
  OptedOutException,
  PlatformApplicationDisabledException,
  PublishCommand,
  SNSClient,
  SNSServiceException,
  ThrottledException,
} from '@aws-sdk/client-sns';
import { mockClient } from 'aws-sdk-client-mock';
import { afterEach, describe, expect, it } from 'vitest';
import { SesEmailSender } from '#shared/adapters/ses-email.ts';
import { SnsPushRegistry, SnsPushSender } from '#shared/adapters/sns-push.ts';
import { SnsSmsSender } from '#shared/adapters/sns-sms.ts';
import { PermanentSendError } from '#shared/domain/ports.ts';
import { InvalidInputError, type PlatformError, TransientError } from '#shared/errors.ts';

const $metadata = { httpStatusCode: 400 };
const local = {
  region: 'eu-west-1',
  credentials: { accessKeyId: 'x', secretAccessKey: 'x' },
  maxAttempts: 1,
};
const ses = mockClient(new SESv2Client(local));
const sns = mockClient(new SNSClient(local));
afterEach(() => {
  ses.reset();
  sns.reset();
});

const timeout = (): Error =>
  Object.assign(new Error('Connection timed out after 5000 ms'), { name: 'TimeoutError' });
const network = (): Error =>
  Object.assign(new Error('connect ECONNREFUSED 10.0.0.1:443'), { name: 'Error', code: 'ECONNREFUSED' });

async function failure(promise: Promise<unknown>): Promise<PlatformError> {
  const error = await promise.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(error).toBeInstanceOf(Error);
  return error as PlatformError;
}

const email = {
  to: 'anna.de.vries@example.nl',
  from: 'Shop <shop@example.nl>',
  subject: 'Welkom',
  html: '<p>Hallo</p>',
  text: 'Hallo',
  headers: {},
  tags: {},
};

describe('SesEmailSender error classification', () => {
  it.each<[string, 'transient' | 'systemic' | 'permanent', string, () => Error]>([
    [
      'throttling (TooManyRequests)',
      'transient',
      'TooManyRequestsException',
      () =>
        new TooManyRequestsException({ message: 'Too many requests', $metadata: { httpStatusCode: 429 } }),
    ],
    [
      'a sending quota (LimitExceeded)',
      'transient',
      'LimitExceededException',
      () => new LimitExceededException({ message: 'Daily message quota exceeded', $metadata }),
    ],
    [
      'a 500 SES does not model',
      'transient',
      'InternalFailure',
      () =>
        new SESv2ServiceException({
          name: 'InternalFailure',
          $fault: 'server',
          $metadata: { httpStatusCode: 500 },
          message: 'Internal',
        }),
    ],
    [
      // AWS's common request-rate error, which the SES v2 model does not declare.
      'the common ThrottlingException (HTTP 400, unmodelled)',
      'transient',
      'ThrottlingException',
      () =>
        new SESv2ServiceException({
          name: 'ThrottlingException',
          $fault: 'client',
          $metadata: { httpStatusCode: 400 },
          message: 'Rate exceeded',
        }),
    ],
    [
      'a 503 without a fault flag',
      'transient',
      'ServiceUnavailable',
      () =>
        new SESv2ServiceException({
          name: 'ServiceUnavailable',
          $fault: 'client',
          $metadata: { httpStatusCode: 503 },
          message: 'Unavailable',
        }),
    ],
    [
      'a suspended account',
      'systemic',
      'AccountSuspendedException',
      () => new AccountSuspendedException({ message: 'suspended', $metadata }),
    ],
    [
      'paused sending',
      'systemic',
      'SendingPausedException',
      () => new SendingPausedException({ message: 'paused', $metadata }),
    ],
    [
      'an unverified MAIL FROM domain',
      'systemic',
      'MailFromDomainNotVerifiedException',
      () => new MailFromDomainNotVerifiedException({ message: 'not verified', $metadata }),
    ],
    [
      'a missing configuration set (NotFound)',
      'systemic',
      'NotFoundException',
      () =>
        new SesNotFoundException({
          message: 'Configuration set does not exist',
          $metadata: { httpStatusCode: 404 },
        }),
    ],
    [
      'an IAM denial (403, unmodelled)',
      'systemic',
      'AccessDeniedException',
      () =>
        new SESv2ServiceException({
          name: 'AccessDeniedException',
          $fault: 'client',
          $metadata: { httpStatusCode: 403 },
          message: 'denied',
        }),
    ],
    [
      'a rejected message',
      'permanent',
      'MessageRejected',
      () =>
        new MessageRejected({
          message: 'Email address is not verified: anna.de.vries@example.nl',
          $metadata,
        }),
    ],
    [
      'a bad request',
      'permanent',
      'BadRequestException',
      () => new BadRequestException({ message: 'Invalid header', $metadata }),
    ],
  ])('%s → %s (%s)', async (_, kind, code, error) => {
    ses.on(SendEmailCommand).rejects(error());
    const thrown = await failure(new SesEmailSender(ses as unknown as SESv2Client).sendEmail(email));
    if (kind === 'permanent') {
      expect(thrown).toBeInstanceOf(PermanentSendError);
      expect((thrown as PermanentSendError).code).toBe(code);
    } else {
      expect(thrown).toBeInstanceOf(TransientError);
      expect(thrown.context).toMatchObject({ code, ...(kind === 'systemic' && { systemic: true }) });
      if (kind === 'transient') expect(thrown.context.systemic).toBeUndefined();
    }
    expect(thrown.cause).toBeInstanceOf(SESv2ServiceException);
  });

  it.each([
    ['a timeout', timeout],
    ['a refused connection', network],
  ])('%s → TransientError with the original error as cause', async (_, error) => {
    const original = error();
    ses.on(SendEmailCommand).rejects(original);
    const thrown = await failure(new SesEmailSender(ses as unknown as SESv2Client).sendEmail(email));
    expect(thrown).toBeInstanceOf(TransientError);
    expect(thrown.cause).toBe(original);
  });

  it('keeps the address out of the error message and masks it in the cause', async () => {
    ses.on(SendEmailCommand).rejects(
      new MessageRejected({
        message: 'The following identities failed the check: anna.de.vries@example.nl',
        $metadata,
      }),
    );
    const thrown = await failure(new SesEmailSender(ses as unknown as SESv2Client).sendEmail(email));
    expect(JSON.stringify({ message: thrown.message, context: thrown.context })).not.toContain('example.nl');
    expect((thrown.cause as Error).message).toBe('The following identities failed the check: <email>');
  });
});

describe('SesEmailSender request fields the emulator does not store', () => {
  // The SES v2 emulator drops ConfigurationSetName and EmailTags (TOOLCHAIN.md), so the request is
  // inspected here instead.
  it('sends the configuration set and tags sanitised to SES’s character set and length', async () => {
    ses.on(SendEmailCommand).resolves({ MessageId: 'm-1' });
    await new SesEmailSender(ses as unknown as SESv2Client, { configurationSetName: 'feedback' }).sendEmail({
      ...email,
      tags: { campaign: 'loyalty third/order', variant: 'b', empty: '', long: 'x'.repeat(300) },
    });
    const input = ses.commandCalls(SendEmailCommand)[0]?.args[0].input;
    expect(input?.ConfigurationSetName).toBe('feedback');
    expect(input?.EmailTags).toEqual([
      { Name: 'campaign', Value: 'loyalty_third_order' },
      { Name: 'variant', Value: 'b' },
      { Name: 'long', Value: 'x'.repeat(256) },
    ]);
  });
});

describe('SNS adapters error classification', () => {
  const sms = { phone: '+31612345678', text: 'Uw code', transactional: true };
  const app = 'arn:aws:sns:eu-west-1:000000000000:app/GCM/app';
  const push = {
    endpointArn: 'arn:aws:sns:eu-west-1:000000000000:endpoint/GCM/app/1',
    title: 't',
    body: 'b',
    data: {},
  };

  it.each<[string, () => Error]>([
    ['throttling (Throttled)', () => new ThrottledException({ message: 'Rate exceeded', $metadata })],
    ['KMS throttling', () => new KMSThrottlingException({ message: 'KMS rate exceeded', $metadata })],
    [
      // AWS's common request-rate error, not in the SNS model: it used to be taken for a refusal.
      'the common Throttling error (HTTP 400, unmodelled)',
      () =>
        Object.assign(
          new SNSServiceException({
            name: 'Throttling',
            $fault: 'client',
            $metadata: { httpStatusCode: 400 },
            message: 'Rate exceeded',
          }),
          { Code: 'Throttling' },
        ),
    ],
    [
      'an internal error',
      () => new InternalErrorException({ message: 'Internal', $metadata: { httpStatusCode: 500 } }),
    ],
    [
      'an unmodelled 502',
      () =>
        new SNSServiceException({
          name: 'BadGateway',
          $fault: 'server',
          $metadata: { httpStatusCode: 502 },
          message: 'bad gateway',
        }),
    ],
    ['a timeout', timeout],
    ['a refused connection', network],
  ])('SMS and push: %s → TransientError (not systemic)', async (_, error) => {
    sns.on(PublishCommand).rejects(error());
    const smsError = await failure(new SnsSmsSender(sns as unknown as SNSClient).sendSms(sms));
    const pushError = await failure(new SnsPushSender(sns as unknown as SNSClient).sendPush(push));
    for (const thrown of [smsError, pushError]) {
      expect(thrown).toBeInstanceOf(TransientError);
      expect(thrown.context.systemic).toBeUndefined();
    }
  });

  it.each<[string, () => Error]>([
    [
      'an IAM denial',
      () =>
        new AuthorizationErrorException({ message: 'not authorized', $metadata: { httpStatusCode: 403 } }),
    ],
    [
      'a disabled platform application',
      () => new PlatformApplicationDisabledException({ message: 'disabled', $metadata }),
    ],
  ])('%s → systemic TransientError', async (_, error) => {
    sns.on(PublishCommand).rejects(error());
    const thrown = await failure(new SnsPushSender(sns as unknown as SNSClient).sendPush(push));
    expect(thrown).toBeInstanceOf(TransientError);
    expect(thrown.context.systemic).toBe(true);
  });

  it.each<[string, () => Error, string]>([
    [
      'an opted-out number',
      () => new OptedOutException({ message: 'Phone number +31612345678 is opted out', $metadata }),
      'OptedOut',
    ],
    [
      'an invalid number',
      () => new InvalidParameterException({ message: 'Invalid parameter: PhoneNumber', $metadata }),
      'InvalidParameter',
    ],
  ])('SMS: %s → PermanentSendError, the number masked in the cause', async (_, error, code) => {
    sns.on(PublishCommand).rejects(error());
    const thrown = await failure(new SnsSmsSender(sns as unknown as SNSClient).sendSms(sms));
    expect(thrown).toBeInstanceOf(PermanentSendError);
    expect((thrown as PermanentSendError).code).toBe(code);
    expect(`${thrown.message} ${(thrown.cause as Error).message}`).not.toContain('612345678');
  });

  it('push: EndpointDisabled is permanent with the wire code (no Exception suffix)', async () => {
    sns
      .on(PublishCommand)
      .rejects(new EndpointDisabledException({ message: 'Endpoint is disabled', $metadata }));
    const thrown = await failure(new SnsPushSender(sns as unknown as SNSClient).sendPush(push));
    expect(thrown).toBeInstanceOf(PermanentSendError);
    expect((thrown as PermanentSendError).code).toBe('EndpointDisabled');
  });

  it('opt-out check: throttling → TransientError', async () => {
    sns
      .on(CheckIfPhoneNumberIsOptedOutCommand)
      .rejects(new ThrottledException({ message: 'Rate exceeded', $metadata }));
    expect(await failure(new SnsSmsSender(sns as unknown as SNSClient).isOptedOut(sms.phone))).toBeInstanceOf(
      TransientError,
    );
  });

  it('push registry: throttling → TransientError', async () => {
    sns
      .on(CreatePlatformEndpointCommand)
      .rejects(new ThrottledException({ message: 'Rate exceeded', $metadata }));
    const thrown = await failure(new SnsPushRegistry(sns as unknown as SNSClient).register(app, 'tok-1'));
    expect(thrown).toBeInstanceOf(TransientError);
  });

  it('push registry: a refused token → InvalidInputError, the token masked in the cause', async () => {
    sns.on(CreatePlatformEndpointCommand).rejects(
      new InvalidParameterException({
        message: 'Invalid parameter: Token tok-secret-xyz is too long',
        $metadata,
      }),
    );
    const thrown = await failure(
      new SnsPushRegistry(sns as unknown as SNSClient).register(app, 'tok-secret-xyz'),
    );
    expect(thrown).toBeInstanceOf(InvalidInputError);
    expect(`${thrown.message} ${(thrown.cause as Error).message}`).not.toContain('tok-secret-xyz');
  });
});
