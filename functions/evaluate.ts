import { InvalidInputError } from '#shared/errors.ts';
import { decisionObservations, isThrottle, throttleObservation } from '#shared/metrics/emit.ts';
import { evaluateTrigger } from '#shared/use-cases/evaluate-trigger.ts';
import * as z from '#shared/validation.ts';
import { evaluateDeps } from './platform/evaluation.ts';
import { observe } from './platform/observability.ts';
import { sqsBatchHandler } from './sqs-batch.ts';

/** What a campaign's EventBridge rule puts on the buffer queue. */
const triggerMessage = z.object({
  campaignId: z.string().check(z.minLength(1), z.maxLength(63)),
  event: z.unknown(),
});

/** Decides and delivers one (event, campaign) pair from the buffer queue. */
export async function processTrigger(body: unknown): Promise<void> {
  const parsed = triggerMessage.safeParse(body);
  if (!parsed.success) throw new InvalidInputError('not a trigger message ({ campaignId, event })');
  const deps = await evaluateDeps();
  const record = await evaluateTrigger(deps, parsed.data).catch((error: unknown) => {
    if (isThrottle(error)) observe(throttleObservation(parsed.data.campaignId));
    throw error;
  });
  // No log line per decision: the record is in the table and the counts are in the metrics (one EMF
  // document per group, per batch), so CloudWatch Logs is not paid twice for the same facts.
  observe(...decisionObservations(record));
}

export const { raw, handler } = sqsBatchHandler(processTrigger, 'trigger');
