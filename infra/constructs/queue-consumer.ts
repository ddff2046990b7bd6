import { type Duration, Names } from 'aws-cdk-lib';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import { Construct } from 'constructs';
import { EventQueue } from './event-queue.ts';
import { acknowledge } from './nag.ts';
import { PlatformFunction, type PlatformFunctionProps } from './platform-function.ts';

/** Properties of {@link QueueConsumer}. */
export interface QueueConsumerProps extends PlatformFunctionProps {
  /** What the queue buffers, for the DLQ's acknowledgement ("the profile queue"). */
  readonly purpose: string;
  /** The function's timeout; the queue's visibility timeout is derived from it. */
  readonly timeout: Duration;
  /** Records per invocation. @default 10 */
  readonly batchSize?: number;
  /** How long the event source may wait to fill a batch. */
  readonly maxBatchingWindow: Duration;
  /** Upper bound of concurrent instances on this queue (2-1000): the pace toward what it calls. */
  readonly maxConcurrency: number;
  /** Receives before a message moves to the DLQ. @default 5 */
  readonly maxReceiveCount?: number;
}

/**
 * A function fed by its own queue ({@link EventQueue}): the shape of every queue-fed handler
 * (`functions/sqs-batch.ts`). Batches with partial batch responses (`ReportBatchItemFailures`: a
 * failing record is retried alone and finally dead-lettered alone) and a maximum concurrency.
 *
 * Input that can never succeed is moved to the queue's DLQ at once, with its reason: the function
 * gets `DEAD_LETTER_QUEUE_URL` and `sqs:SendMessage` on that DLQ (the key it needs is the messaging
 * key, which `PlatformFunction` already grants for its own asynchronous DLQ).
 */
export class QueueConsumer extends Construct {
  readonly buffer: EventQueue;
  readonly fn: PlatformFunction;

  constructor(scope: Construct, id: string, props: QueueConsumerProps) {
    super(scope, id);
    const { purpose, batchSize, maxBatchingWindow, maxConcurrency, maxReceiveCount, ...functionProps } =
      props;

    this.buffer = new EventQueue(this, 'Buffer', {
      purpose,
      encryptionKey: props.encryptionKey,
      consumerTimeout: props.timeout,
      consumerBatchingWindow: maxBatchingWindow,
      ...(maxReceiveCount !== undefined && { maxReceiveCount }),
    });

    this.fn = new PlatformFunction(this, 'Function', {
      ...functionProps,
      environment: { ...props.environment, DEAD_LETTER_QUEUE_URL: this.buffer.deadLetterQueue.queueUrl },
    });

    // The mapping SqsEventSource would make (same id, so a deployed mapping is updated in place), but
    // with only what Lambda's poller does on the queue: receive, delete, read its attributes (AWS's
    // AWSLambdaSQSQueueExecutionRole), and decrypt with the queue's key. SqsEventSource's
    // grantConsumeMessages adds sqs:ChangeMessageVisibility and sqs:GetQueueUrl, which neither the
    // poller nor the code calls: a failed record waits out its visibility timeout.
    this.fn.function.addEventSourceMapping(`SqsEventSource:${Names.nodeUniqueId(this.buffer.queue.node)}`, {
      eventSourceArn: this.buffer.queue.queueArn,
      batchSize: batchSize ?? 10,
      maxBatchingWindow,
      reportBatchItemFailures: true,
      maxConcurrency,
    });
    iam.Grant.addToPrincipal({
      grantee: this.fn,
      actions: ['sqs:ReceiveMessage', 'sqs:DeleteMessage', 'sqs:GetQueueAttributes'],
      resourceArns: [this.buffer.queue.queueArn],
    });
    this.buffer.queue.encryptionMasterKey?.grantDecrypt(this.fn);
    iam.Grant.addToPrincipal({
      grantee: this.fn,
      actions: ['sqs:SendMessage'],
      resourceArns: [this.buffer.deadLetterQueue.queueArn],
    });

    for (const mapping of this.fn.function.node.children.filter(
      (c) => c instanceof lambda.EventSourceMapping,
    )) {
      acknowledge(mapping, {
        id: 'Serverless-LambdaEventSourceMappingDestination',
        reason: `SQS event sources do not support on-failure destinations; failed records go to ${purpose}’s own DLQ through its redrive policy (maxReceiveCount).`,
      });
    }
  }
}
