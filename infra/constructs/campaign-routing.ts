import { createHash } from 'node:crypto';
import { Duration } from 'aws-cdk-lib';
import * as events from 'aws-cdk-lib/aws-events';
import * as targets from 'aws-cdk-lib/aws-events-targets';
import * as iam from 'aws-cdk-lib/aws-iam';
import type * as kms from 'aws-cdk-lib/aws-kms';
import type * as lambda from 'aws-cdk-lib/aws-lambda';
import * as scheduler from 'aws-cdk-lib/aws-scheduler';
import * as sqs from 'aws-cdk-lib/aws-sqs';
import { Construct } from 'constructs';
import { acknowledge } from './nag.ts';

/** What the infrastructure needs to know about one campaign of the contact strategy. */
export interface CampaignRoute {
  /** The campaign id from the strategy file. */
  id: string;
  /** The campaign's EventBridge event pattern, verbatim; absent for date-triggered campaigns. */
  pattern?: Record<string, unknown>;
  /** Whether the campaign is triggered by a date attribute (birthday, contract end, ...). */
  dateTrigger: boolean;
}

/** The part of a validated strategy that routing reads (structurally, so infra does not depend on its types). */
export interface RoutableStrategy {
  readonly campaigns: readonly {
    readonly id: string;
    readonly enabled?: boolean;
    readonly trigger: { readonly pattern?: Record<string, unknown>; readonly date?: unknown };
  }[];
}

/**
 * The routes of a validated strategy. A disabled campaign gets no rule and no date trigger, so its
 * events cost nothing downstream.
 */
export function routesFromStrategy(strategy: RoutableStrategy): CampaignRoute[] {
  return strategy.campaigns
    .filter((campaign) => campaign.enabled !== false)
    .map((campaign) => ({
      id: campaign.id,
      ...(campaign.trigger.pattern ? { pattern: campaign.trigger.pattern } : {}),
      dateTrigger: campaign.trigger.date !== undefined,
    }));
}

/** EventBridge rule names: 1-64 of `[.-_A-Za-z0-9]`. Longer ids keep a prefix and a short hash. */
export function ruleNameFor(campaignId: string): string {
  const cleaned = campaignId.replace(/[^.\-_A-Za-z0-9]/g, '-');
  if (cleaned.length > 0 && cleaned.length <= 64 && cleaned === campaignId) return cleaned;
  const hash = createHash('sha256').update(campaignId).digest('hex').slice(0, 8);
  return `${cleaned.slice(0, 55)}-${hash}`;
}

/** The cron of the daily date-trigger run: 00:05 every day, after midnight's date has turned. */
export const DATE_TRIGGER_SCHEDULE = 'cron(5 0 * * ? *)';

/** Properties of {@link CampaignRouting}. */
export interface CampaignRoutingProps {
  readonly eventBus: events.IEventBus;
  /** Where matched events go: the trigger buffer. */
  readonly bufferQueue: sqs.IQueue;
  /** Encrypts the routing DLQ (the buffer's key, which EventBridge is already allowed to use). */
  readonly encryptionKey: kms.IKey;
  readonly campaigns: readonly CampaignRoute[];
  /** Time zone of the daily date-trigger schedule. @default 'UTC' */
  readonly dateTriggerTimeZone?: string;
}

/**
 * Turns the strategy's campaigns into routing: one EventBridge rule per campaign with a pattern,
 * sending `{ campaignId, event }` to the trigger buffer, and (when any campaign has a date trigger)
 * the schedule group for the daily date-trigger run.
 *
 * An event that matches two campaigns is delivered twice, once per campaign, so each
 * (event, campaign) pair gets its own decision. Deliveries EventBridge or the Scheduler cannot make
 * (after their retries) land in the routing DLQ rather than being dropped.
 */
export class CampaignRouting extends Construct {
  /** One rule per campaign with a pattern, by campaign id. */
  readonly rules: ReadonlyMap<string, events.Rule>;
  /** Events that could not be delivered to the buffer (or the date-trigger function). */
  readonly deadLetterQueue: sqs.Queue;
  /** Present when at least one campaign has a date trigger. */
  readonly dateTriggerScheduleGroup?: scheduler.CfnScheduleGroup;
  private readonly timeZone: string;
  private dateTriggerSchedule?: scheduler.CfnSchedule;

  constructor(scope: Construct, id: string, props: CampaignRoutingProps) {
    super(scope, id);
    this.timeZone = props.dateTriggerTimeZone ?? 'UTC';

    const ids = new Set<string>();
    const names = new Map<string, string>();
    for (const campaign of props.campaigns) {
      if (ids.has(campaign.id)) throw new Error(`campaign id "${campaign.id}" is used twice`);
      ids.add(campaign.id);
      const name = ruleNameFor(campaign.id);
      const other = names.get(name);
      if (other !== undefined) {
        throw new Error(`campaigns "${other}" and "${campaign.id}" would get the same rule name "${name}"`);
      }
      names.set(name, campaign.id);
    }

    this.deadLetterQueue = new sqs.Queue(this, 'Dlq', {
      encryption: sqs.QueueEncryption.KMS,
      encryptionMasterKey: props.encryptionKey,
      enforceSSL: true,
      retentionPeriod: Duration.days(14),
    });
    acknowledge(
      this.deadLetterQueue,
      {
        id: 'AwsSolutions-SQS3',
        reason:
          'This queue is the dead-letter queue of the campaign rules’ targets and of the date-trigger schedule (cdk-nag only recognises queue and Lambda DLQs).',
      },
      {
        id: 'Serverless-SQSRedrivePolicy',
        reason: 'This queue is itself a dead-letter queue; a DLQ of a DLQ would only move the problem.',
      },
    );

    const rules = new Map<string, events.Rule>();
    for (const campaign of props.campaigns) {
      if (!campaign.pattern) continue;
      const name = ruleNameFor(campaign.id);
      const rule = new events.Rule(this, `Campaign-${name}`, {
        eventBus: props.eventBus,
        ruleName: name,
        description: `Campaign ${campaign.id}: routes matching events to the trigger buffer`,
        // The strategy carries the pattern in EventBridge's own JSON form (`detail-type`, `$or`,
        // content filters) and has validated it; CDK renders unknown keys verbatim, so it goes
        // through unchanged. A copy keeps CDK's pattern merging away from the caller's object.
        eventPattern: structuredClone(campaign.pattern) as events.EventPattern,
      });
      rule.addTarget(
        new targets.SqsQueue(props.bufferQueue, {
          message: events.RuleTargetInput.fromObject({
            campaignId: campaign.id,
            event: events.EventField.fromPath('$'),
          }),
          deadLetterQueue: this.deadLetterQueue,
          retryAttempts: 185,
          maxEventAge: Duration.hours(24),
        }),
      );
      rules.set(campaign.id, rule);
    }
    this.rules = rules;

    if (props.campaigns.some((campaign) => campaign.dateTrigger)) {
      this.dateTriggerScheduleGroup = new scheduler.CfnScheduleGroup(this, 'DateTriggerGroup');
    }
  }

  /**
   * Schedules the daily date-trigger run (`cron(5 0 * * ? *)`, no flexible window) that invokes
   * `fn` (the `date-triggers` function), with retries and the routing DLQ. Call it once, from the
   * place that defines that function.
   *
   * @returns the schedule, or `undefined` when no campaign has a date trigger (nothing to run).
   */
  addDailyDateTriggerSchedule(fn: lambda.IFunction): scheduler.CfnSchedule | undefined {
    const group = this.dateTriggerScheduleGroup;
    if (!group) return undefined;
    if (this.dateTriggerSchedule) throw new Error('the daily date-trigger schedule is already defined');

    const role = new iam.Role(this, 'DateTriggerScheduleRole', {
      assumedBy: new iam.ServicePrincipal('scheduler.amazonaws.com', {
        conditions: { StringEquals: { 'aws:SourceAccount': group.stack.account } },
      }),
      description:
        'Lets EventBridge Scheduler invoke the date-triggers function and write to the routing DLQ',
    });
    iam.Grant.addToPrincipal({
      grantee: role,
      actions: ['lambda:InvokeFunction'],
      resourceArns: [fn.functionArn],
    });
    iam.Grant.addToPrincipal({
      grantee: role,
      actions: ['sqs:SendMessage'],
      resourceArns: [this.deadLetterQueue.queueArn],
    });
    const key = this.deadLetterQueue.encryptionMasterKey;
    if (key) {
      iam.Grant.addToPrincipal({
        grantee: role,
        actions: ['kms:GenerateDataKey', 'kms:Decrypt'],
        resourceArns: [key.keyArn],
      });
    }

    this.dateTriggerSchedule = new scheduler.CfnSchedule(this, 'DailyDateTriggers', {
      description: 'Daily run of the date triggers (birthdays, contract ends, ...)',
      groupName: group.ref,
      scheduleExpression: DATE_TRIGGER_SCHEDULE,
      scheduleExpressionTimezone: this.timeZone,
      flexibleTimeWindow: { mode: 'OFF' },
      state: 'ENABLED',
      target: {
        arn: fn.functionArn,
        roleArn: role.roleArn,
        // The run's own date, not the clock at invocation: a retry after midnight still works
        // through the scheduled day, and the execution id makes retries recognisable.
        input: JSON.stringify({
          scheduledTime: '<aws.scheduler.scheduled-time>',
          executionId: '<aws.scheduler.execution-id>',
        }),
        retryPolicy: { maximumRetryAttempts: 10, maximumEventAgeInSeconds: 6 * 60 * 60 },
        deadLetterConfig: { arn: this.deadLetterQueue.queueArn },
      },
    });
    return this.dateTriggerSchedule;
  }
}
