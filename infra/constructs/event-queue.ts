import { Duration } from 'aws-cdk-lib';
import type * as kms from 'aws-cdk-lib/aws-kms';
import * as sqs from 'aws-cdk-lib/aws-sqs';
import { Construct } from 'constructs';
import { acknowledge } from './nag.ts';

/** Properties of {@link EventQueue}. */
export interface EventQueueProps {
  /** What the queue buffers, for the DLQ's acknowledgement ("the trigger buffer"). */
  readonly purpose: string;
  /** Encrypts both queues. */
  readonly encryptionKey: kms.IKey;
  /** Timeout of the consuming function; the visibility timeout is derived from it. */
  readonly consumerTimeout: Duration;
  /** The consumer's maximum batching window, added to the visibility timeout. */
  readonly consumerBatchingWindow: Duration;
  /** Receives before a message moves to the DLQ. @default 5 */
  readonly maxReceiveCount?: number;
}

/**
 * An SQS queue between EventBridge and a consuming function, with its dead-letter queue: it absorbs
 * bursts so that the consumer's maximum concurrency (not the producers) sets the pace toward SES, SNS
 * and DynamoDB. A message that fails `maxReceiveCount` times moves to the DLQ (kept 14 days) with its
 * body intact, so it can be redriven to this queue once the cause is fixed; the consumer also moves
 * input that can never succeed there at once, with the reason (`DEAD_LETTER_QUEUE_URL`).
 *
 * Both queues are KMS-encrypted and refuse requests without TLS. The visibility timeout is six times
 * the consumer's timeout plus its batching window (the AWS guidance for Lambda event sources), so a
 * message is not handed out again while a slow batch with retries is still working on it.
 */
export class EventQueue extends Construct {
  readonly queue: sqs.Queue;
  readonly deadLetterQueue: sqs.Queue;

  constructor(scope: Construct, id: string, props: EventQueueProps) {
    super(scope, id);

    this.deadLetterQueue = new sqs.Queue(this, 'Dlq', {
      encryption: sqs.QueueEncryption.KMS,
      encryptionMasterKey: props.encryptionKey,
      enforceSSL: true,
      retentionPeriod: Duration.days(14),
    });

    this.queue = new sqs.Queue(this, 'Queue', {
      encryption: sqs.QueueEncryption.KMS,
      encryptionMasterKey: props.encryptionKey,
      // One data key serves many messages for 5 minutes (the default), keeping KMS calls and cost low.
      dataKeyReuse: Duration.minutes(5),
      enforceSSL: true,
      retentionPeriod: Duration.days(4),
      visibilityTimeout: Duration.seconds(
        props.consumerTimeout.toSeconds() * 6 + props.consumerBatchingWindow.toSeconds(),
      ),
      deadLetterQueue: { queue: this.deadLetterQueue, maxReceiveCount: props.maxReceiveCount ?? 5 },
    });

    acknowledge(this.deadLetterQueue, {
      id: 'Serverless-SQSRedrivePolicy',
      reason: `This queue is itself the dead-letter queue of ${props.purpose}; messages are redriven from it by hand.`,
    });
  }
}
