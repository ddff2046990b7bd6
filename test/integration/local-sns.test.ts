import {
  CheckIfPhoneNumberIsOptedOutCommand,
  CreatePlatformEndpointCommand,
  GetEndpointAttributesCommand,
  PublishCommand,
  SetEndpointAttributesCommand,
  SNSServiceException,
} from '@aws-sdk/client-sns';
import { describe, expect, inject, it } from 'vitest';
import { localPlatformApplicationArn } from '#local/servers/sns.ts';
import { snsClient } from '#shared/adapters/aws-clients.ts';

const app = localPlatformApplicationArn('APNS', `sns-test-${process.pid}`);

async function errorOf(promise: Promise<unknown>): Promise<SNSServiceException> {
  const error = await promise.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(error).toBeInstanceOf(SNSServiceException);
  return error as SNSServiceException;
}

describe('local SNS endpoint (awsQuery protocol, real @aws-sdk/client-sns)', () => {
  it.each([
    ['no plus sign', '0612345678'],
    ['letters', '+31abc'],
    ['too short', '+3161'],
  ])('refuses a phone number that is not E.164 (%s) with InvalidParameter', async (_, phone) => {
    const error = await errorOf(snsClient().send(new PublishCommand({ PhoneNumber: phone, Message: 'x' })));
    expect(error.name).toBe('InvalidParameterException');
    expect(error.$metadata.httpStatusCode).toBe(400);
  });

  it('refuses a publish with two targets or no message', async () => {
    const two = await errorOf(
      snsClient().send(
        new PublishCommand({ PhoneNumber: '+31612345678', TopicArn: 'arn:aws:sns:x', Message: 'x' }),
      ),
    );
    expect(two.name).toBe('InvalidParameterException');
    const empty = await errorOf(
      snsClient().send(new PublishCommand({ PhoneNumber: '+31612345678', Message: '' })),
    );
    expect(empty.name).toBe('InvalidParameterException');
  });

  it('keeps message attributes such as the SMS type', async () => {
    const { MessageId } = await snsClient().send(
      new PublishCommand({
        PhoneNumber: '+32470123456',
        Message: 'Bevestiging',
        MessageAttributes: { 'AWS.SNS.SMS.SMSType': { DataType: 'String', StringValue: 'Transactional' } },
      }),
    );
    const store = (await (await fetch(`${inject('snsEndpoint')}/_store`)).json()) as {
      messages: { messageId: string; messageAttributes: Record<string, { value: string }> }[];
    };
    const sent = store.messages.find((m) => m.messageId === MessageId);
    expect(sent?.messageAttributes['AWS.SNS.SMS.SMSType']?.value).toBe('Transactional');
  });

  it('creates platform endpoints idempotently per token and refuses the same token with other attributes', async () => {
    const first = await snsClient().send(
      new CreatePlatformEndpointCommand({ PlatformApplicationArn: app, Token: 'tok-a' }),
    );
    const again = await snsClient().send(
      new CreatePlatformEndpointCommand({ PlatformApplicationArn: app, Token: 'tok-a' }),
    );
    expect(again.EndpointArn).toBe(first.EndpointArn);
    const conflict = await errorOf(
      snsClient().send(
        new CreatePlatformEndpointCommand({
          PlatformApplicationArn: app,
          Token: 'tok-a',
          CustomUserData: 'other',
        }),
      ),
    );
    expect(conflict.name).toBe('InvalidParameterException');
    expect(conflict.message).toContain('already exists with the same Token');
  });

  it('answers endpoint attributes, and a disabled endpoint refuses a publish with EndpointDisabled', async () => {
    const { EndpointArn } = await snsClient().send(
      new CreatePlatformEndpointCommand({ PlatformApplicationArn: app, Token: 'tok-b' }),
    );
    const attributes = await snsClient().send(new GetEndpointAttributesCommand({ EndpointArn }));
    expect(attributes.Attributes).toEqual({ Enabled: 'true', Token: 'tok-b' });

    await snsClient().send(
      new SetEndpointAttributesCommand({ EndpointArn, Attributes: { Enabled: 'false' } }),
    );
    const error = await errorOf(
      snsClient().send(new PublishCommand({ TargetArn: EndpointArn, Message: 'x' })),
    );
    expect(error.name).toBe('EndpointDisabledException');
  });

  it('answers NotFound for an unknown endpoint', async () => {
    const error = await errorOf(
      snsClient().send(
        new GetEndpointAttributesCommand({ EndpointArn: `${app.replace(':app/', ':endpoint/')}/nope` }),
      ),
    );
    expect(error.name).toBe('NotFoundException');
  });

  it('reports opted-out phone numbers', async () => {
    await fetch(`${inject('snsEndpoint')}/_opt-out?phone=${encodeURIComponent('+31687654321')}`, {
      method: 'POST',
    });
    const out = await snsClient().send(
      new CheckIfPhoneNumberIsOptedOutCommand({ phoneNumber: '+31687654321' }),
    );
    const notOut = await snsClient().send(
      new CheckIfPhoneNumberIsOptedOutCommand({ phoneNumber: '+31611111111' }),
    );
    expect([out.isOptedOut, notOut.isOptedOut]).toEqual([true, false]);
  });
});
