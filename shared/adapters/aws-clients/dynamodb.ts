import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { common, once, withoutSdkLog } from './once.ts';

export const dynamoDbClient = /* @__PURE__ */ once(() => withoutSdkLog(new DynamoDBClient(common)));
