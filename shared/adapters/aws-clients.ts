import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { EventBridgeClient } from '@aws-sdk/client-eventbridge';
import { SESv2Client } from '@aws-sdk/client-sesv2';
import { SNSClient } from '@aws-sdk/client-sns';

/**
 * AWS SDK clients, each created once per process on first use and reused across invocations.
 * Local servers are reached only through the SDK's standard `AWS_ENDPOINT_URL_<SERVICE>` variables
 * (`AWS_ENDPOINT_URL_DYNAMODB`, `_SESV2`, `_SNS`, `_EVENTBRIDGE`): no code path differs locally.
 */
const cache = new Map<string, unknown>();
function once<T>(key: string, create: () => T): () => T {
  return () => {
    let client = cache.get(key) as T | undefined;
    if (client === undefined) {
      client = create();
      cache.set(key, client);
    }
    return client;
  };
}

/** Retries are the SDK's standard mode; a failed call after them is left to SQS redelivery. */
const common = { maxAttempts: 3 } as const;

export const dynamoDbClient = once('dynamodb', () => new DynamoDBClient(common));
export const sesClient = once('sesv2', () => new SESv2Client(common));
export const snsClient = once('sns', () => new SNSClient(common));
export const eventBridgeClient = once('eventbridge', () => new EventBridgeClient(common));
