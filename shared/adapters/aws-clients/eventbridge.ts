import { EventBridgeClient } from '@aws-sdk/client-eventbridge';
import { common, once, withoutSdkLog } from './once.ts';

export const eventBridgeClient = /* @__PURE__ */ once(() => withoutSdkLog(new EventBridgeClient(common)));
