import { schedulerClient } from '#shared/adapters/aws-clients/scheduler.ts';
import { EventBridgeScheduler } from '#shared/adapters/eventbridge-scheduler.ts';
import { env, loadConfig } from '#shared/config.ts';
import { systemClock } from '#shared/domain/ports.ts';
import type { EvaluateDeps } from '#shared/use-cases/evaluate-trigger.ts';
import { deliverDeps } from './delivery.ts';
import { onceAsync } from './lazy.ts';

/** The evaluate function's: delivery plus the clock and the scheduler for deferred sends. */
export const evaluateDeps = /* @__PURE__ */ onceAsync(async (): Promise<EvaluateDeps> => {
  const config = loadConfig({
    SCHEDULE_GROUP: env.name(),
    DEFERRED_FUNCTION_ARN: env.name(),
    SCHEDULER_ROLE_ARN: env.name(),
    SCHEDULER_DLQ_ARN: env.name(),
  });
  return {
    ...(await deliverDeps()),
    clock: systemClock,
    scheduler: new EventBridgeScheduler(schedulerClient(), {
      groupName: config.SCHEDULE_GROUP,
      targetArn: config.DEFERRED_FUNCTION_ARN,
      roleArn: config.SCHEDULER_ROLE_ARN,
      deadLetterArn: config.SCHEDULER_DLQ_ARN,
    }),
  };
});
