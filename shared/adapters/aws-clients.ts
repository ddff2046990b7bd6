/**
 * AWS SDK clients, each created once per process on first use and reused across invocations, one
 * module per service (`aws-clients/<service>.ts`) so that a function's bundle imports only the SDK
 * packages it uses: the runtime then loads only those at cold start. This module gathers them.
 * Local servers are reached only through the SDK's standard `AWS_ENDPOINT_URL_<SERVICE>` variables
 * (`AWS_ENDPOINT_URL_DYNAMODB`, `_SESV2`, `_SNS`, `_SQS`, `_SCHEDULER`, `_SECRETS_MANAGER`, ...): no code path differs locally.
 */
export { dynamoDbClient } from './aws-clients/dynamodb.ts';
export { eventBridgeClient } from './aws-clients/eventbridge.ts';
export { schedulerClient } from './aws-clients/scheduler.ts';
export { secretsClient } from './aws-clients/secrets-manager.ts';
export { sesClient } from './aws-clients/sesv2.ts';
export { snsClient } from './aws-clients/sns.ts';
export { sqsClient } from './aws-clients/sqs.ts';
