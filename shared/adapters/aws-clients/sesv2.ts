import { SESv2Client } from '@aws-sdk/client-sesv2';
import { common, once, withoutSdkLog } from './once.ts';

export const sesClient = /* @__PURE__ */ once(() => withoutSdkLog(new SESv2Client(common)));
