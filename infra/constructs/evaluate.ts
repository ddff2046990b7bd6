import { Duration } from 'aws-cdk-lib';
import type * as kms from 'aws-cdk-lib/aws-kms';
import type { Construct } from 'constructs';
import type { ContactTable } from './contact-table.ts';
import type { Deferred } from './deferred.ts';
import { QueueConsumer } from './queue-consumer.ts';
import { grantSending, SEND_TIMEOUT, type SendingProps, sendingEnvironment } from './sending.ts';

/** Timeout of `evaluate`; the buffer's visibility timeout is derived from it. */
export const EVALUATE_TIMEOUT = SEND_TIMEOUT;
/** How long the event source may wait to fill a batch; short, a trigger is a moment. */
export const EVALUATE_BATCHING_WINDOW = Duration.seconds(1);

/** Properties of {@link Evaluate}. */
export interface EvaluateProps {
  readonly contactTable: ContactTable;
  /** Encrypts the trigger buffer, its DLQ and the function's asynchronous DLQ. */
  readonly encryptionKey: kms.IKey;
  readonly sending: SendingProps;
  /** Where decisions to send later go: one-time schedules that invoke `deferred`. */
  readonly deferred: Deferred;
  /** The validated strategy, inlined into the bundle (`PlatformFunctionProps.bundledStrategyJson`). */
  readonly bundledStrategyJson: string;
  /**
   * Upper bound of concurrent `evaluate` instances fed by the buffer (2-1000): it caps the send
   * rate toward SES and SNS, whatever the burst on the bus.
   *
   * @default 10
   */
  readonly maxConcurrency?: number;
  /** Extra environment for the function. */
  readonly environment?: Readonly<Record<string, string>>;
}

/**
 * The `evaluate` function and its trigger buffer: reads `{ campaignId, event }` batches that the
 * campaign rules put on the buffer, decides per (event, campaign) and sends, or defers the send to a
 * one-time EventBridge Scheduler schedule that invokes `deferred`. Failed records are reported one by
 * one (`ReportBatchItemFailures`), so one bad message is retried, and finally dead-lettered, alone.
 *
 * Its permissions are exactly: the table's decision access; sending (SES, SNS SMS and push, the
 * signing secrets); `scheduler:CreateSchedule` in the deferred-send group with `iam:PassRole` of the
 * scheduler's role; `sqs:SendMessage` to the buffer's DLQ for invalid messages.
 */
export class Evaluate extends QueueConsumer {
  constructor(scope: Construct, id: string, props: EvaluateProps) {
    super(scope, id, {
      name: 'evaluate',
      description: 'Decides and sends for each routed (event, campaign) pair',
      purpose: 'the trigger buffer',
      encryptionKey: props.encryptionKey,
      timeout: EVALUATE_TIMEOUT,
      maxBatchingWindow: EVALUATE_BATCHING_WINDOW,
      maxConcurrency: props.maxConcurrency ?? 10,
      bundledStrategyJson: props.bundledStrategyJson,
      environment: {
        ...props.environment,
        TABLE_NAME: props.contactTable.tableName,
        ...sendingEnvironment(props.sending),
        ...props.deferred.schedulingEnvironment,
      },
    });

    props.contactTable.grantDecisionAccess(this.fn);
    grantSending(this, this.fn, props.sending);
    props.deferred.grantScheduling(this.fn);
  }
}
