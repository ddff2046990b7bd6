import { EventBridgeClient } from '@aws-sdk/client-eventbridge';
import { common, once } from './once.ts';

export const eventBridgeClient = /* @__PURE__ */ once(() => new EventBridgeClient(common));
