import { injectLambdaContext } from '@aws-lambda-powertools/logger/middleware';
import middy from '@middy/core';
import * as z from 'zod';
import { loadConfig } from '#shared/config.ts';
import { systemClock } from '#shared/domain/ports.ts';
import { runDateTriggers } from '#shared/use-cases/date-triggers.ts';
import { emitter, engine, logger, store } from './platform.ts';

const config = loadConfig({ DATE_TRIGGER_SEND_HOUR: z.coerce.number().int().min(0).max(23).default(9) });

/** Hourly (EventBridge Scheduler): emits the date triggers whose local send hour has come. */
export async function raw(): Promise<{ emitted: number }> {
  const result = await runDateTriggers({
    store: store(),
    engine: engine(),
    clock: systemClock,
    emitter: emitter(),
    sendHour: config.DATE_TRIGGER_SEND_HOUR,
  });
  logger.info('date triggers', result);
  return result;
}

export const handler = middy(raw).use(injectLambdaContext(logger));
