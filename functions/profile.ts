import { applyCustomerEvent } from '#shared/use-cases/customer-data.ts';
import { customerDataDeps } from './platform/customer-data.ts';
import { logger } from './platform/observability.ts';
import { sqsBatchHandler } from './sqs-batch.ts';

/**
 * Profile, consent and erasure events (`contact.profiles`, `contact.consent`, `contact.customers`),
 * delivered by EventBridge to the profile queue. Invalid ones go to the DLQ with the reason.
 */
export async function processCustomerEvent(body: unknown): Promise<void> {
  const result = await applyCustomerEvent(customerDataDeps(), body);
  logger.info('customer event', { result });
}

export const { raw, handler } = sqsBatchHandler(processCustomerEvent, 'profile');
