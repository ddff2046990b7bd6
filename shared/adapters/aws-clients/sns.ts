import { SNSClient } from '@aws-sdk/client-sns';
import { common, once } from './once.ts';

export const snsClient = /* @__PURE__ */ once(() => new SNSClient(common));
