import { injectLambdaContext } from '@aws-lambda-powertools/logger/middleware';
import middy from '@middy/core';
import { systemClock } from '#shared/domain/ports.ts';
import { InvalidInputError } from '#shared/errors.ts';
import { deferredSendObservations, isThrottle, throttleObservation } from '#shared/metrics/emit.ts';
import { sendDeferred } from '#shared/use-cases/send-deferred.ts';
import * as z from '#shared/validation.ts';
import { deliverDeps } from './platform/delivery.ts';
import { flushMetrics, logger, observe } from './platform/observability.ts';

const deferredSend = z.object({
  at: z.number(),
  customerId: z.string().check(z.minLength(1)),
  campaignId: z.string().check(z.minLength(1)),
  idempotencyKey: z.string().check(z.minLength(1)),
  event: z.unknown(),
});

/**
 * Invoked by a one-time EventBridge Scheduler schedule when a deferred message falls due. Scheduler
 * retries on error and then sends the input to this function's DLQ.
 */
export async function raw(input: unknown): Promise<{ outcome: string; reason?: string }> {
  const parsed = deferredSend.safeParse(input);
  if (!parsed.success) throw new InvalidInputError('not a deferred send');
  const deps = { ...(await deliverDeps()), clock: systemClock };
  let record: Awaited<ReturnType<typeof sendDeferred>>;
  try {
    record = await sendDeferred(deps, parsed.data);
    observe(...deferredSendObservations(record));
  } catch (error) {
    if (isThrottle(error)) observe(throttleObservation(parsed.data.campaignId));
    throw error;
  } finally {
    flushMetrics();
  }
  const result = { outcome: record?.outcome ?? 'gone', ...(record?.reason && { reason: record.reason }) };
  logger.info('deferred send', { campaignId: parsed.data.campaignId, ...result });
  return result;
}

export const handler = middy(raw).use(injectLambdaContext(logger));
