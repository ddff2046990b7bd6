import { createHash } from 'node:crypto';
import { Duration, Stack } from 'aws-cdk-lib';
import * as events from 'aws-cdk-lib/aws-events';
import * as targets from 'aws-cdk-lib/aws-events-targets';
import * as iam from 'aws-cdk-lib/aws-iam';
import type * as kms from 'aws-cdk-lib/aws-kms';
import type * as lambda from 'aws-cdk-lib/aws-lambda';
import * as scheduler from 'aws-cdk-lib/aws-scheduler';
import * as sqs from 'aws-cdk-lib/aws-sqs';
import { Construct } from 'constructs';
import { campaignPattern } from '#shared/strategy/campaign-pattern.ts';
import type { Strategy } from '#shared/strategy/schema.ts';
import { acknowledge } from './nag.ts';

/** What the infrastructure needs to know about one campaign of the contact strategy. */
export interface CampaignRoute {
  /** The campaign id from the strategy file. */
  id: string;
  /**
   * The EventBridge pattern that routes events to the campaign (`campaignPattern`): its own, or for
   * a date-triggered campaign the `contact.schedule`/`DateTriggerReached` event for this campaign.
   */
  pattern: Record<string, unknown>;
  /** Whether the campaign is triggered by a date attribute (birthday, contract end, ...). */
  dateTrigger: boolean;
}

/** The part of a validated strategy that routing reads. */
export type RoutableStrategy = Pick<Strategy, 'campaigns'>;

/**
 * The routes of a validated strategy, with the same patterns the engine and the local runtime match
 * (`campaignPattern`). A disabled campaign gets no rule and no date trigger, so its events cost
 * nothing downstream.
 */
export function routesFromStrategy(strategy: RoutableStrategy): CampaignRoute[] {
  return strategy.campaigns
    .filter((campaign) => campaign.enabled)
    .map((campaign) => ({
      id: campaign.id,
      pattern: campaignPattern(campaign),
      dateTrigger: campaign.trigger.date !== undefined,
    }));
}

/**
 * How every EventBridge target of the platform delivers: EventBridge retries for a day (185 attempts,
 * its maximum) before an event goes to the routing DLQ, so an SQS or KMS hiccup loses nothing.
 */
export const TARGET_DELIVERY = { retryAttempts: 185, maxEventAge: Duration.hours(24) } as const;

/** EventBridge rule names: 1-64 of `[.-_A-Za-z0-9]`. Longer ids keep a prefix and a short hash. */
export function ruleNameFor(campaignId: string): string {
  const cleaned = campaignId.replace(/[^.\-_A-Za-z0-9]/g, '-');
  if (cleaned.length > 0 && cleaned.length <= 64 && cleaned === campaignId) return cleaned;
  const hash = createHash('sha256').update(campaignId).digest('hex').slice(0, 8);
  return `${cleaned.slice(0, 55)}-${hash}`;
}

/**
 * The cron of the date-trigger run: five past every hour (UTC). Each run emits the triggers of the
 * customers whose local clock shows the send hour (`dateTriggerSendHour`), so every time zone,
 * including the half- and quarter-hour ones, gets its messages at that local hour.
 */
export const DATE_TRIGGER_SCHEDULE = 'cron(5 * * * ? *)';

/** Properties of {@link CampaignRouting}. */
export interface CampaignRoutingProps {
  readonly eventBus: events.IEventBus;
  /** Where matched events go: the trigger buffer. */
  readonly bufferQueue: sqs.IQueue;
  /** Encrypts the routing DLQ (the buffer's key, which EventBridge is already allowed to use). */
  readonly encryptionKey: kms.IKey;
  readonly campaigns: readonly CampaignRoute[];
}

/**
 * Turns the strategy's campaigns into routing: one EventBridge rule per enabled campaign, sending
 * `{ campaignId, event }` to the trigger buffer (a date-triggered campaign's rule matches the
 * `DateTriggerReached` events the date-trigger run emits for it), and (when any campaign has a date
 * trigger) the schedule group for the hourly date-trigger run.
 *
 * An event that matches two campaigns is delivered twice, once per campaign, so each
 * (event, campaign) pair gets its own decision. Deliveries EventBridge or the Scheduler cannot make
 * (after their retries) land in the routing DLQ rather than being dropped; the platform's other rules
 * (customer data, activity, feedback) use the same DLQ.
 */
export class CampaignRouting extends Construct {
  /** One rule per enabled campaign, by campaign id. */
  readonly rules: ReadonlyMap<string, events.Rule>;
  /** Events that could not be delivered by a rule's target (or to the date-trigger function). */
  readonly deadLetterQueue: sqs.Queue;
  /**
   * {@link deadLetterQueue} as every rule target must name it (`deadLetterQueue` of a target): its
   * queue policy already admits all rules of this account.
   */
  readonly targetDeadLetterQueue: sqs.IQueue;
  /** Present when at least one campaign has a date trigger. */
  readonly dateTriggerScheduleGroup?: scheduler.CfnScheduleGroup;
  private dateTriggerSchedule?: scheduler.CfnSchedule;

  constructor(scope: Construct, id: string, props: CampaignRoutingProps) {
    super(scope, id);

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
          'This queue is the dead-letter queue of the EventBridge rule targets and of the date-trigger schedule (cdk-nag only recognises queue and Lambda DLQs).',
      },
      {
        id: 'Serverless-SQSRedrivePolicy',
        reason: 'This queue is itself a dead-letter queue; a DLQ of a DLQ would only move the problem.',
      },
    );

    // Every rule target names this DLQ. Handed over as an imported queue, so that CDK does not add a
    // queue-policy statement per rule (an SQS policy holds at most 20 statements, i.e. fewer than 20
    // campaigns); the one statement below lets EventBridge rules of this account write to it.
    this.deadLetterQueue.addToResourcePolicy(
      new iam.PolicyStatement({
        sid: 'EventBridgeRulesOfThisAccount',
        principals: [new iam.ServicePrincipal('events.amazonaws.com')],
        actions: ['sqs:SendMessage'],
        resources: [this.deadLetterQueue.queueArn],
        conditions: {
          StringEquals: { 'aws:SourceAccount': Stack.of(this).account },
          ArnLike: {
            'aws:SourceArn': Stack.of(this).formatArn({
              service: 'events',
              resource: 'rule',
              resourceName: '*',
            }),
          },
        },
      }),
    );
    this.targetDeadLetterQueue = sqs.Queue.fromQueueAttributes(this, 'TargetDlq', {
      queueArn: this.deadLetterQueue.queueArn,
      keyArn: props.encryptionKey.keyArn,
    });

    const rules = new Map<string, events.Rule>();
    for (const campaign of props.campaigns) {
      const name = ruleNameFor(campaign.id);
      const rule = new events.Rule(this, `Campaign-${name}`, {
        eventBus: props.eventBus,
        ruleName: name,
        description: campaign.dateTrigger
          ? `Campaign ${campaign.id}: routes its date-trigger events to the trigger buffer`
          : `Campaign ${campaign.id}: routes matching events to the trigger buffer`,
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
          deadLetterQueue: this.targetDeadLetterQueue,
          ...TARGET_DELIVERY,
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
   * Schedules the hourly date-trigger run ({@link DATE_TRIGGER_SCHEDULE}, UTC, no flexible window)
   * that invokes `fn` (the `date-triggers` function), with retries and the routing DLQ. Call it once,
   * from the place that defines that function.
   *
   * @returns the schedule, or `undefined` when no campaign has a date trigger (nothing to run).
   */
  addDateTriggerSchedule(fn: lambda.IFunction): scheduler.CfnSchedule | undefined {
    const group = this.dateTriggerScheduleGroup;
    if (!group) return undefined;
    if (this.dateTriggerSchedule) throw new Error('the date-trigger schedule is already defined');

    const role = new iam.Role(this, 'DateTriggerScheduleRole', {
      // Only schedules of this account, in this group, may use the role (confused deputy).
      assumedBy: new iam.ServicePrincipal('scheduler.amazonaws.com', {
        conditions: {
          StringEquals: { 'aws:SourceAccount': group.stack.account, 'aws:SourceArn': group.attrArn },
        },
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

    this.dateTriggerSchedule = new scheduler.CfnSchedule(this, 'HourlyDateTriggers', {
      description: 'Hourly run of the date triggers (birthdays, contract ends, ...) at the local send hour',
      groupName: group.ref,
      scheduleExpression: DATE_TRIGGER_SCHEDULE,
      scheduleExpressionTimezone: 'UTC',
      flexibleTimeWindow: { mode: 'OFF' },
      state: 'ENABLED',
      target: {
        arn: fn.functionArn,
        roleArn: role.roleArn,
        // The run's scheduled hour and execution id, so that a retried run can be told from the next
        // one: `functions/date-triggers.ts` works from this time, not its clock.
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
