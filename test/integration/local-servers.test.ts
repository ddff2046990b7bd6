import {
  CreateTableCommand,
  DeleteTableCommand,
  GetItemCommand,
  PutItemCommand,
} from '@aws-sdk/client-dynamodb';
import { SendEmailCommand } from '@aws-sdk/client-sesv2';
import { CreatePlatformEndpointCommand, PublishCommand } from '@aws-sdk/client-sns';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { localPlatformApplicationArn } from '#local/servers/sns.ts';
import { dynamoDbClient, sesClient, snsClient } from '#shared/adapters/aws-clients.ts';

const table = `foundation-${process.pid}`;

describe('the local AWS servers, reached through the standard SDK clients', () => {
  beforeAll(async () => {
    await dynamoDbClient().send(
      new CreateTableCommand({
        TableName: table,
        BillingMode: 'PAY_PER_REQUEST',
        AttributeDefinitions: [
          { AttributeName: 'pk', AttributeType: 'S' },
          { AttributeName: 'sk', AttributeType: 'S' },
        ],
        KeySchema: [
          { AttributeName: 'pk', KeyType: 'HASH' },
          { AttributeName: 'sk', KeyType: 'RANGE' },
        ],
      }),
    );
  });
  afterAll(async () => {
    await dynamoDbClient().send(new DeleteTableCommand({ TableName: table }));
  });

  it('writes an item to DynamoDB Local and reads it back', async () => {
    await dynamoDbClient().send(
      new PutItemCommand({
        TableName: table,
        Item: { pk: { S: 'CUSTOMER#c1' }, sk: { S: 'PROFILE' }, n: { N: '7' } },
      }),
    );
    const { Item } = await dynamoDbClient().send(
      new GetItemCommand({ TableName: table, Key: { pk: { S: 'CUSTOMER#c1' }, sk: { S: 'PROFILE' } } }),
    );
    expect(Item?.n).toEqual({ N: '7' });
  });

  it('sends an email to the SES v2 emulator and finds it in its store', async () => {
    const subject = `Welkom ${Date.now()}`;
    const { MessageId } = await sesClient().send(
      new SendEmailCommand({
        FromEmailAddress: 'shop@example.nl',
        Destination: { ToAddresses: ['anna@example.nl'] },
        Content: { Simple: { Subject: { Data: subject }, Body: { Text: { Data: 'Hallo Anna' } } } },
      }),
    );
    expect(MessageId).toBeTruthy();
    const store = (await (await fetch(`${inject('sesEndpoint')}/store`)).json()) as {
      emails: { subject: string; destination: { to: string[] } }[];
    };
    const mail = store.emails.find((e) => e.subject === subject);
    expect(mail?.destination.to).toEqual(['anna@example.nl']);
  });

  it('publishes an SMS and a mobile push to the local SNS endpoint and reads both back', async () => {
    const sms = await snsClient().send(
      new PublishCommand({ PhoneNumber: '+31612345678', Message: 'Uw code: 1234' }),
    );
    const { EndpointArn } = await snsClient().send(
      new CreatePlatformEndpointCommand({
        PlatformApplicationArn: localPlatformApplicationArn('GCM', 'foundation'),
        Token: 'device-token-1',
      }),
    );
    const push = await snsClient().send(
      new PublishCommand({ TargetArn: EndpointArn, Message: JSON.stringify({ default: 'Nieuw aanbod' }) }),
    );
    const store = (await (await fetch(`${inject('snsEndpoint')}/_store`)).json()) as {
      messages: { messageId: string; phoneNumber?: string; targetArn?: string; message: string }[];
    };
    expect(store.messages.find((m) => m.messageId === sms.MessageId)).toMatchObject({
      phoneNumber: '+31612345678',
      message: 'Uw code: 1234',
    });
    expect(store.messages.find((m) => m.messageId === push.MessageId)).toMatchObject({
      targetArn: EndpointArn,
    });
  });
});
