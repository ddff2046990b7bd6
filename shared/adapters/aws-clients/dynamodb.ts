import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { common, once } from './once.ts';

export const dynamoDbClient = /* @__PURE__ */ once(() => new DynamoDBClient(common));
