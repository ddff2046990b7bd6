import { SQSClient } from '@aws-sdk/client-sqs';
import { common, once } from './once.ts';

export const sqsClient = /* @__PURE__ */ once(() => new SQSClient(common));
