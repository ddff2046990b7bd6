import { SESv2Client } from '@aws-sdk/client-sesv2';
import { common, once } from './once.ts';

export const sesClient = /* @__PURE__ */ once(() => new SESv2Client(common));
