import { systemClock } from '#shared/domain/ports.ts';
import { feedbackObservation } from '#shared/metrics/emit.ts';
import { applyFeedbackToContact } from '#shared/use-cases/apply-feedback.ts';
import { store } from './platform/engine.ts';
import { logger, observe } from './platform/observability.ts';
import { sqsBatchHandler } from './sqs-batch.ts';

/**
 * Provider feedback, delivered by EventBridge rules to the feedback queue: SES configuration-set events
 * (`aws.ses`, from the default bus) and the normalised `contact.feedback` events (SMS delivery failures,
 * disabled push endpoints). Invalid ones go to the DLQ with the reason.
 */
export async function processFeedback(body: unknown): Promise<void> {
  const { result, applied } = await applyFeedbackToContact({ store: store(), clock: systemClock }, body);
  if (applied) observe(feedbackObservation(applied));
  // Validated by now: the detail-type is one of the known feedback events, never personal data.
  const type =
    typeof body === 'object' && body !== null && 'detail-type' in body ? body['detail-type'] : undefined;
  logger.info('feedback', { result, type });
}

export const { raw, handler } = sqsBatchHandler(processFeedback, 'feedback');
