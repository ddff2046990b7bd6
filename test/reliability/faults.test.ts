import { DynamoDBClient, ListTablesCommand } from '@aws-sdk/client-dynamodb';
import { SESv2Client, SendEmailCommand } from '@aws-sdk/client-sesv2';
import { PublishCommand, SNSClient } from '@aws-sdk/client-sns';
import { describe, expect, it } from 'vitest';
import { type FaultKind, injectFaults } from './support/faults.ts';

// The local servers cannot throttle, fail with a 5xx or time out: these faults are injected in-process
// at the SDK layer (see support/faults.ts). This file proves the injection is faithful: the SDK turns
// each injected answer into the service's own exception, and retries it by its standard rules.
const always = (kind: FaultKind) => ({ rate: 1, kinds: [kind], random: () => 0 });

describe('fault injection at the SDK layer', () => {
  const ddb = (kind: FaultKind) => {
    const client = new DynamoDBClient({ maxAttempts: 2 });
    const stats = injectFaults(client, 'awsJson', always(kind));
    return { call: () => client.send(new ListTablesCommand({})), stats };
  };
  const ses = (kind: FaultKind) => {
    const client = new SESv2Client({ maxAttempts: 2 });
    const stats = injectFaults(client, 'restJson', always(kind));
    const call = () =>
      client.send(
        new SendEmailCommand({
          FromEmailAddress: 'a@example.nl',
          Destination: { ToAddresses: ['b@example.nl'] },
          Content: { Simple: { Subject: { Data: 's' }, Body: { Text: { Data: 't' } } } },
        }),
      );
    return { call, stats };
  };
  const sns = (kind: FaultKind) => {
    const client = new SNSClient({ maxAttempts: 2 });
    const stats = injectFaults(client, 'awsQuery', always(kind));
    return {
      call: () => client.send(new PublishCommand({ PhoneNumber: '+31612345678', Message: 'x' })),
      stats,
    };
  };

  const makers = { DynamoDB: ddb, SES: ses, SNS: sns };
  it.each([
    ['DynamoDB', 'throttle', 'ThrottlingException', 400],
    ['DynamoDB', '5xx', 'InternalServerError', 500],
    ['SES', 'throttle', 'TooManyRequestsException', 429],
    ['SES', '5xx', 'InternalServerError', 500],
    ['SNS', 'throttle', 'Throttling', 400],
    ['SNS', '5xx', 'InternalServerError', 500],
  ] as const)(
    '%s: an injected %s becomes the SDK’s %s (HTTP %i), retried by the SDK',
    async (service, kind, name, status) => {
      const { call, stats } = makers[service](kind);
      const error = (await call().catch((e: unknown) => e)) as {
        name: string;
        $metadata: { httpStatusCode?: number; attempts?: number };
      };
      expect(error.name).toBe(name);
      expect(error.$metadata.httpStatusCode).toBe(status);
      expect(error.$metadata.attempts).toBe(2);
      expect(stats.calls).toBe(2);
    },
  );

  it.each(['DynamoDB', 'SES', 'SNS'] as const)(
    '%s: an injected timeout is a TimeoutError, retried by the SDK',
    async (service) => {
      const { call, stats } = makers[service]('timeout');
      const error = (await call().catch((e: unknown) => e)) as Error & { $metadata?: { attempts?: number } };
      expect(error.name).toBe('TimeoutError');
      expect(stats.calls).toBe(2);
    },
  );
});
