import { injectLambdaContext } from '@aws-lambda-powertools/logger/middleware';
import middy from '@middy/core';
import { loadConfig } from '#shared/config.ts';
import { systemClock } from '#shared/domain/ports.ts';
import { runDateTriggers } from '#shared/use-cases/date-triggers.ts';
import * as z from '#shared/validation.ts';
import { emitter } from './platform/emitter.ts';
import { engine, store } from './platform/engine.ts';
import { logger } from './platform/observability.ts';

const config = loadConfig({
  DATE_TRIGGER_SEND_HOUR: z._default(z.pipe(z.coerce.number(), z.int().check(z.gte(0), z.lte(23))), 9),
});

const scheduled = z.partial(z.object({ scheduledTime: z.iso.datetime({ offset: true }) }));

/**
 * Hourly (EventBridge Scheduler): emits the date triggers whose local send hour has come. It works
 * from the schedule's own time (`<aws.scheduler.scheduled-time>`), not the clock, so a late or
 * retried run still serves the hour it was meant for.
 */
export async function raw(input?: unknown): Promise<{ emitted: number }> {
  const parsed = scheduled.safeParse(input ?? {});
  const at = parsed.success && parsed.data.scheduledTime ? Date.parse(parsed.data.scheduledTime) : undefined;
  const result = await runDateTriggers({
    store: store(),
    engine: engine(),
    clock: at === undefined ? systemClock : { now: () => at },
    emitter: emitter(),
    sendHour: config.DATE_TRIGGER_SEND_HOUR,
  });
  logger.info('date triggers', result);
  return result;
}

export const handler = middy(raw).use(injectLambdaContext(logger));
