import { systemClock } from '#shared/domain/ports.ts';
import { conversionObservations } from '#shared/metrics/emit.ts';
import { recordActivity } from '#shared/use-cases/record-activity.ts';
import { engine, store } from './platform/engine.ts';
import { logger, observe } from './platform/observability.ts';
import { sqsBatchHandler } from './sqs-batch.ts';

/** Every customer event (activity queue): threshold-rule counters and goal conversions. */
export async function processActivity(body: unknown): Promise<void> {
  const { counted, conversions } = await recordActivity(
    { store: store(), engine: engine(), clock: systemClock },
    body,
  );
  for (const record of conversions) observe(...conversionObservations(record));
  if (counted.length > 0 || conversions.length > 0) {
    logger.info('activity', { counters: counted.length, conversions: conversions.map((c) => c.campaignId) });
  }
}

export const { raw, handler } = sqsBatchHandler(processActivity, 'activity');
