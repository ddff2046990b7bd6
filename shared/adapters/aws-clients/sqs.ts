import { SQSClient } from '@aws-sdk/client-sqs';
import { common, once, withoutSdkLog } from './once.ts';

export const sqsClient = /* @__PURE__ */ once(() => withoutSdkLog(new SQSClient(common)));
