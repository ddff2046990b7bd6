import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { EventBridgeClient } from '@aws-sdk/client-eventbridge';
import { SchedulerClient } from '@aws-sdk/client-scheduler';
import { SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { SESv2Client } from '@aws-sdk/client-sesv2';
import { SNSClient } from '@aws-sdk/client-sns';
import { SQSClient } from '@aws-sdk/client-sqs';

/**
 * AWS SDK clients, each created once per process on first use and reused across invocations.
 * Local servers are reached only through the SDK's standard `AWS_ENDPOINT_URL_<SERVICE>` variables
 * (`AWS_ENDPOINT_URL_DYNAMODB`, `_SESV2`, `_SNS`, `_SQS`, `_SCHEDULER`, `_SECRETS_MANAGER`, ...): no code path differs locally.
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

export const dynamoDbClient = /* @__PURE__ */ once('dynamodb', () => new DynamoDBClient(common));
export const sesClient = /* @__PURE__ */ once('sesv2', () => new SESv2Client(common));
export const snsClient = /* @__PURE__ */ once('sns', () => new SNSClient(common));
export const eventBridgeClient = /* @__PURE__ */ once('eventbridge', () => new EventBridgeClient(common));
export const sqsClient = /* @__PURE__ */ once('sqs', () => new SQSClient(common));
export const schedulerClient = /* @__PURE__ */ once('scheduler', () => new SchedulerClient(common));
export const secretsClient = /* @__PURE__ */ once('secretsmanager', () => new SecretsManagerClient(common));
