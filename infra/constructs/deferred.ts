import { Stack } from 'aws-cdk-lib';
import * as iam from 'aws-cdk-lib/aws-iam';
import type * as kms from 'aws-cdk-lib/aws-kms';
import * as scheduler from 'aws-cdk-lib/aws-scheduler';
import { Construct } from 'constructs';
import type { ContactTable } from './contact-table.ts';
import { acknowledge, wildcardResourceFinding } from './nag.ts';
import { PlatformFunction } from './platform-function.ts';
import { grantSending, SEND_TIMEOUT, type SendingProps, sendingEnvironment } from './sending.ts';

/** Properties of {@link Deferred}. */
export interface DeferredProps {
  readonly contactTable: ContactTable;
  /** Encrypts the function's asynchronous DLQ. */
  readonly encryptionKey: kms.IKey;
  readonly sending: SendingProps;
  /** The validated strategy, inlined into the bundle. */
  readonly bundledStrategyJson: string;
}

/**
 * Deferred sends (quiet hours, delays): `evaluate` commits the decision and creates a one-time
 * EventBridge Scheduler schedule (`at(...)`, deleted after it ran) in this construct's schedule group;
 * when it falls due, Scheduler invokes the `deferred` function with the role defined here, which
 * re-checks consent and sends.
 *
 * Scheduler invokes asynchronously: an invocation that fails after Lambda's own retries lands in the
 * function's asynchronous DLQ with its input, so it can be replayed.
 *
 * `deferred` does not depend on `evaluate`; `evaluate` gets this construct's
 * {@link schedulingEnvironment} and {@link grantScheduling}, so there is no cycle.
 */
export class Deferred extends Construct {
  readonly fn: PlatformFunction;
  readonly scheduleGroup: scheduler.CfnScheduleGroup;
  /** The role Scheduler assumes to invoke `deferred`; it may do nothing else. */
  readonly schedulerRole: iam.Role;

  constructor(scope: Construct, id: string, props: DeferredProps) {
    super(scope, id);

    this.scheduleGroup = new scheduler.CfnScheduleGroup(this, 'ScheduleGroup');

    this.fn = new PlatformFunction(this, 'Function', {
      name: 'deferred',
      description: 'Sends a deferred message when its one-time schedule falls due',
      encryptionKey: props.encryptionKey,
      timeout: SEND_TIMEOUT,
      bundledStrategyJson: props.bundledStrategyJson,
      environment: {
        TABLE_NAME: props.contactTable.tableName,
        ...sendingEnvironment(props.sending),
      },
    });
    props.contactTable.grantDeferredSendAccess(this.fn);
    grantSending(this, this.fn, props.sending);

    this.schedulerRole = new iam.Role(this, 'SchedulerRole', {
      // Only schedules of this account, in this group, may use the role (confused deputy).
      assumedBy: new iam.ServicePrincipal('scheduler.amazonaws.com', {
        conditions: {
          StringEquals: {
            'aws:SourceAccount': Stack.of(this).account,
            'aws:SourceArn': this.scheduleGroup.attrArn,
          },
        },
      }),
      description: 'Lets EventBridge Scheduler invoke the deferred function, and nothing else',
    });
    iam.Grant.addToPrincipal({
      grantee: this.schedulerRole,
      actions: ['lambda:InvokeFunction'],
      resourceArns: [this.fn.function.functionArn],
    });
    // A schedule that cannot invoke the function after its retries lands in the function's DLQ, with
    // the send in it: a deferred message is never silently lost.
    // (Explicit actions: CDK's grantSendMessages would add the wildcard kms:GenerateDataKey*.)
    iam.Grant.addToPrincipal({
      grantee: this.schedulerRole,
      actions: ['sqs:SendMessage'],
      resourceArns: [this.fn.deadLetterQueue.queueArn],
    });
    iam.Grant.addToPrincipal({
      grantee: this.schedulerRole,
      actions: ['kms:GenerateDataKey', 'kms:Decrypt'],
      resourceArns: [props.encryptionKey.keyArn],
    });
  }

  /** `SCHEDULE_GROUP`, `DEFERRED_FUNCTION_ARN`, `SCHEDULER_ROLE_ARN`: what `evaluateDeps` reads. */
  get schedulingEnvironment(): Record<string, string> {
    return {
      SCHEDULE_GROUP: this.scheduleGroup.ref,
      DEFERRED_FUNCTION_ARN: this.fn.function.functionArn,
      SCHEDULER_ROLE_ARN: this.schedulerRole.roleArn,
      SCHEDULER_DLQ_ARN: this.fn.deadLetterQueue.queueArn,
    };
  }

  /**
   * Creating the one-time schedules (`EventBridgeScheduler.schedule`): `scheduler:CreateSchedule`
   * on schedules of this group only, and `iam:PassRole` of the scheduler role to Scheduler only.
   */
  grantScheduling(grantee: iam.IGrantable & { readonly role?: iam.IRole }): void {
    const schedules = Stack.of(this).formatArn({
      service: 'scheduler',
      resource: 'schedule',
      resourceName: `${this.scheduleGroup.ref}/*`,
    });
    iam.Grant.addToPrincipal({ grantee, actions: ['scheduler:CreateSchedule'], resourceArns: [schedules] });
    iam.Grant.addToPrincipal({
      grantee,
      actions: ['iam:PassRole'],
      resourceArns: [this.schedulerRole.roleArn],
      conditions: { StringEquals: { 'iam:PassedToService': 'scheduler.amazonaws.com' } },
    });
    const defaultPolicy = grantee.role?.node.tryFindChild('DefaultPolicy');
    if (defaultPolicy) {
      acknowledge(defaultPolicy, {
        id: wildcardResourceFinding(this, schedules),
        reason:
          'One-time schedules are created per deferred send at run time, named after the decision; the wildcard is the schedule name inside the platform’s own deferred-send group.',
      });
    }
  }
}
