import { eventBridgeClient } from '#shared/adapters/aws-clients/eventbridge.ts';
import { EventBridgeEmitter } from '#shared/adapters/eventbridge-emitter.ts';
import { env, loadConfig } from '#shared/config.ts';
import { once } from './lazy.ts';

/** Puts events on the platform's bus (date triggers). */
export const emitter = /* @__PURE__ */ once(() => {
  const { EVENT_BUS_NAME } = loadConfig({ EVENT_BUS_NAME: env.name() });
  return new EventBridgeEmitter(eventBridgeClient(), EVENT_BUS_NAME);
});
