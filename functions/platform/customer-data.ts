import { snsClient } from '#shared/adapters/aws-clients/sns.ts';
import { SnsPushRegistry } from '#shared/adapters/sns-push.ts';
import { loadConfig } from '#shared/config.ts';
import { systemClock } from '#shared/domain/ports.ts';
import type { CustomerDataDeps } from '#shared/use-cases/customer-data.ts';
import * as z from '#shared/validation.ts';
import { store, strategy } from './engine.ts';
import { once } from './lazy.ts';

/** The profile function's: store, strategy, and the push registry for device endpoints. */
export const customerDataDeps = /* @__PURE__ */ once((): CustomerDataDeps => {
  const config = loadConfig({
    PUSH_APP_FCM_ARN: z.optional(z.string().check(z.startsWith('arn:'))),
    PUSH_APP_APNS_ARN: z.optional(z.string().check(z.startsWith('arn:'))),
  });
  return {
    store: store(),
    strategy: strategy().strategy,
    clock: systemClock,
    pushRegistry: new SnsPushRegistry(snsClient()),
    platformApplications: {
      ...(config.PUSH_APP_FCM_ARN && { fcm: config.PUSH_APP_FCM_ARN }),
      ...(config.PUSH_APP_APNS_ARN && { apns: config.PUSH_APP_APNS_ARN }),
    },
  };
});
