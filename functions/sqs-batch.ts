import { BatchProcessor, EventType, processPartialResponse } from '@aws-lambda-powertools/batch';
import { injectLambdaContext } from '@aws-lambda-powertools/logger/middleware';
import middy from '@middy/core';
import type { Context, SQSBatchResponse, SQSEvent, SQSRecord } from 'aws-lambda';
import { InvalidInputError } from '#shared/errors.ts';
import type { QueueName } from '#shared/metrics/catalogue.ts';
import { deadLetterObservation } from '#shared/metrics/emit.ts';
import { deadLetters } from './platform/dead-letters.ts';
import { flushMetrics, logger, observe } from './platform/observability.ts';

/**
 * The one shape of every queue-fed function: partial batch responses (a failing record is retried
 * alone, and after maxReceiveCount lands in the DLQ by the redrive policy), and input that can never
 * succeed moved to the DLQ at once with its reason instead of being retried five times. The batch's
 * metrics are published once, when it ends.
 */
export function sqsBatchHandler(
  process: (body: unknown, record: SQSRecord) => Promise<void>,
  queue: QueueName,
) {
  const one = async (record: SQSRecord): Promise<void> => {
    let body: unknown;
    try {
      body = JSON.parse(record.body);
      await process(body, record);
    } catch (error) {
      const reason =
        error instanceof SyntaxError
          ? 'invalid JSON'
          : error instanceof InvalidInputError
            ? error.message
            : undefined;
      if (reason === undefined) {
        logger.warn('will retry', {
          messageId: record.messageId,
          error: (error as Error).name,
          reason: (error as Error).message,
        });
        throw error;
      }
      logger.warn('rejected to the DLQ', { messageId: record.messageId, reason });
      await deadLetters().send(record.body, reason);
      observe(deadLetterObservation(queue));
    }
  };
  // A processor per invocation: it holds the batch's successes and failures, and one shared by two
  // invocations running at once in one process (the local runtime runs several batches concurrently)
  // mixes them up, reporting failed records as done and so deleting them. It costs nothing to build.
  const raw = async (event: SQSEvent, context: Context): Promise<SQSBatchResponse> => {
    try {
      return await processPartialResponse(event, one, new BatchProcessor(EventType.SQS), { context });
    } finally {
      flushMetrics();
    }
  };
  return { raw, handler: middy(raw).use(injectLambdaContext(logger)) };
}
