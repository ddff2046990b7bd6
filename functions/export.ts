import { injectLambdaContext } from '@aws-lambda-powertools/logger/middleware';
import middy from '@middy/core';
import type { CustomerExport } from '#shared/domain/store.ts';
import { InvalidInputError } from '#shared/errors.ts';
import { exportCustomer } from '#shared/use-cases/customer-data.ts';
import * as z from '#shared/validation.ts';
import { store } from './platform/engine.ts';
import { logger } from './platform/observability.ts';

/**
 * A data-subject access request: invoked directly (IAM-authorised, e.g. by the DPO's tooling or
 * `aws lambda invoke`) with `{ "customerId": "..." }`; returns everything stored about the customer.
 * Erasure goes through the public `CustomerErasureRequested` event instead, so it is on the record.
 */
export async function raw(input: unknown): Promise<CustomerExport> {
  const parsed = z.object({ customerId: z.string() }).safeParse(input);
  if (!parsed.success) throw new InvalidInputError('expected { customerId }');
  const result = await exportCustomer({ store: store() }, parsed.data.customerId);
  logger.info('exported', { items: result.contactHistory.length + result.consentLedger.length });
  return result;
}

export const handler = middy(raw).use(injectLambdaContext(logger));
