import { SNSClient } from '@aws-sdk/client-sns';
import { common, once, withoutSdkLog } from './once.ts';

export const snsClient = /* @__PURE__ */ once(() => withoutSdkLog(new SNSClient(common)));
