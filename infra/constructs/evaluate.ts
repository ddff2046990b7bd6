import { posix } from 'node:path';
import { Arn, ArnFormat, Duration } from 'aws-cdk-lib';
import * as iam from 'aws-cdk-lib/aws-iam';
import type * as kms from 'aws-cdk-lib/aws-kms';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import { SqsEventSource } from 'aws-cdk-lib/aws-lambda-event-sources';
import type * as sqs from 'aws-cdk-lib/aws-sqs';
import { Construct } from 'constructs';
import type { PushPlatformApplicationArns } from '../settings.ts';
import type { ContactTable } from './contact-table.ts';
import type { EmailSending } from './email-sending.ts';
import { acknowledge } from './nag.ts';
import { LAMBDA_TASK_ROOT, PlatformFunction } from './platform-function.ts';

/** Timeout of `evaluate`; the buffer's visibility timeout is derived from it. */
export const EVALUATE_TIMEOUT = Duration.seconds(10);
/** How long the event source may wait to fill a batch; short, a trigger is a moment. */
export const EVALUATE_BATCHING_WINDOW = Duration.seconds(1);

/** Properties of {@link Evaluate}. */
export interface EvaluateProps {
  readonly bufferQueue: sqs.IQueue;
  readonly contactTable: ContactTable;
  readonly email: EmailSending;
  readonly encryptionKey: kms.IKey;
  readonly senderEmail: string;
  readonly smsSenderId: string;
  /** Repo-relative contact-strategy file; its directory (with the templates) is bundled. */
  readonly strategyFile: string;
  readonly pushPlatformApplicationArns: PushPlatformApplicationArns;
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
 * The `evaluate` function: reads `{ campaignId, event }` batches from the trigger buffer, decides per
 * (event, campaign) and sends through SES or SNS. Failed records are reported one by one
 * (`ReportBatchItemFailures`), so one bad message is retried, and finally dead-lettered, alone.
 *
 * Its permissions are exactly: the table's decision access, `ses:SendEmail` through the sender
 * identity and configuration set, and `sns:Publish` (SMS to phone numbers, push to endpoints of the
 * configured platform applications).
 */
export class Evaluate extends Construct {
  readonly fn: PlatformFunction;

  constructor(scope: Construct, id: string, props: EvaluateProps) {
    super(scope, id);

    // The whole strategy directory travels with the code: the templates live beside the file.
    const strategyDir = posix.dirname(posix.normalize(props.strategyFile));
    this.fn = new PlatformFunction(this, 'Function', {
      name: 'evaluate',
      description: 'Decides and sends for each routed (event, campaign) pair',
      encryptionKey: props.encryptionKey,
      timeout: EVALUATE_TIMEOUT,
      includePaths: [strategyDir === '.' ? props.strategyFile : strategyDir],
      environment: {
        ...props.environment,
        TABLE_NAME: props.contactTable.tableName,
        CONFIGURATION_SET: props.email.configurationSetName,
        SENDER_EMAIL: props.senderEmail,
        SMS_SENDER_ID: props.smsSenderId,
        STRATEGY_FILE: posix.join(LAMBDA_TASK_ROOT, props.strategyFile),
      },
    });

    this.fn.function.addEventSource(
      new SqsEventSource(props.bufferQueue, {
        batchSize: 10,
        maxBatchingWindow: EVALUATE_BATCHING_WINDOW,
        reportBatchItemFailures: true,
        maxConcurrency: props.maxConcurrency ?? 10,
      }),
    );

    props.contactTable.grantDecisionAccess(this.fn);
    props.email.grantSendEmail(this.fn);
    this.grantPush(props.pushPlatformApplicationArns);
    this.grantSms();

    for (const mapping of this.fn.function.node.children.filter(
      (c) => c instanceof lambda.EventSourceMapping,
    )) {
      acknowledge(mapping, {
        id: 'Serverless-LambdaEventSourceMappingDestination',
        reason:
          'SQS event sources do not support on-failure destinations; failed records go to the buffer queue’s own DLQ through its redrive policy (maxReceiveCount).',
      });
    }
  }

  /** Push: publish to the endpoints of the configured platform applications only. */
  private grantPush(applications: PushPlatformApplicationArns): void {
    const endpointArns = [applications.fcm, applications.apns]
      .filter((arn): arn is string => arn !== undefined)
      .map((arn) => {
        const parts = Arn.split(arn, ArnFormat.SLASH_RESOURCE_NAME);
        // app/<platform>/<name> → endpoint/<platform>/<name>/<endpoint id>
        return Arn.format({ ...parts, resource: 'endpoint', resourceName: `${parts.resourceName}/*` });
      });
    if (endpointArns.length === 0) return;
    iam.Grant.addToPrincipal({ grantee: this.fn, actions: ['sns:Publish'], resourceArns: endpointArns });
    const defaultPolicy = this.fn.role.node.tryFindChild('DefaultPolicy');
    if (defaultPolicy) {
      acknowledge(
        defaultPolicy,
        ...endpointArns.map((arn) => ({
          id: `AwsSolutions-IAM5[Resource::${arn}]`,
          reason:
            'Push endpoints are created per device at run time under the configured platform application; the wildcard is the endpoint id below it.',
        })),
      );
    }
  }

  /**
   * SMS to a phone number is `sns:Publish` with a `PhoneNumber`, which has no resource ARN: IAM only
   * accepts `*` for it. It gets its own policy so that this one wildcard carries its own reason.
   */
  private grantSms(): void {
    const policy = new iam.Policy(this, 'SmsPublish', {
      statements: [new iam.PolicyStatement({ actions: ['sns:Publish'], resources: ['*'] })],
    });
    this.fn.role.attachInlinePolicy(policy);
    acknowledge(policy, {
      id: 'AwsSolutions-IAM5[Resource::*]',
      reason:
        'SMS to a phone number (sns:Publish with PhoneNumber) has no resource ARN; IAM requires Resource * for it. Only sns:Publish is allowed.',
    });
  }
}
