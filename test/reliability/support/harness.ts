import type { SQSEvent } from 'aws-lambda';
import { lambdaContext } from '#local/lambda-context.ts';
import { type DeadLetter, LocalQueues } from '#local/queues.ts';
import { startAuxServer } from '#local/servers/aux.ts';
import { sqsOperations } from '#local/servers/sqs.ts';
import type { EvaluateDeps, TriggerMessage } from '#shared/use-cases/evaluate-trigger.ts';
import { evaluateTrigger } from '#shared/use-cases/evaluate-trigger.ts';

/**
 * The buffer queue and the evaluate function's real batch wrapper (`functions/sqs-batch.ts`: partial
 * batch responses, input that can never succeed sent to the DLQ at once with its reason) around the
 * real use case, on the local queues (SQS + Lambda event-source semantics: batches of 10, parallel
 * records, visibility timeout, maxReceiveCount 5, then the DLQ). The handler's DLQ sends go through
 * the SQS SDK to the local SQS endpoint, as they do in the local runtime.
 */
export interface QueueHarness {
  readonly queues: LocalQueues;
  send(message: TriggerMessage): void;
  /** Waits until every message is done (deleted or dead-lettered). */
  drain(): Promise<void>;
  deadLetters(): readonly DeadLetter[];
  redrive(): number;
  stop(): Promise<void>;
}

export async function queueHarness(
  deps: () => EvaluateDeps,
  options: { concurrency?: number; visibilityTimeoutMs?: number } = {},
): Promise<QueueHarness> {
  const queues = new LocalQueues({ region: 'eu-west-1', now: Date.now, realNow: Date.now });
  const aux = await startAuxServer(0, { targets: sqsOperations(queues), rest: [] });
  queues.rebase(aux.endpoint);
  queues.define('buffer', {
    functionName: 'evaluate',
    concurrency: options.concurrency ?? 10,
    visibilityTimeoutMs: options.visibilityTimeoutMs ?? 300,
  });
  // The wrapper's DLQ client reads these once (platform.ts); they point at this harness's queue.
  process.env.AWS_ENDPOINT_URL_SQS = aux.endpoint;
  process.env.DEAD_LETTER_QUEUE_URL = queues.stats().buffer.deadLetterUrl;
  const { sqsBatchHandler } = await import('#functions/sqs-batch.ts');
  const { raw } = sqsBatchHandler(async (body) => {
    await evaluateTrigger(deps(), body as TriggerMessage);
  }, 'trigger');
  queues.consume('buffer', (event: SQSEvent) =>
    raw(event, lambdaContext('evaluate', { region: 'eu-west-1', realNow: Date.now })),
  );
  return {
    queues,
    send: (message) => queues.send('buffer', JSON.stringify(message)),
    async drain() {
      while (!queues.idle) await queues.changed();
    },
    deadLetters: () => queues.stats().buffer.deadLetters,
    redrive: () => queues.redrive('buffer'),
    async stop() {
      await queues.stop();
      await aux.stop();
    },
  };
}
