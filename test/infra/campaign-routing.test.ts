import { join } from 'node:path';
import { App, Stack } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import * as kms from 'aws-cdk-lib/aws-kms';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import * as sqs from 'aws-cdk-lib/aws-sqs';
import { beforeAll, describe, expect, it } from 'vitest';
import {
  type CampaignRoute,
  CampaignRouting,
  DATE_TRIGGER_SCHEDULE,
  routesFromStrategy,
  ruleNameFor,
} from '#infra/constructs/campaign-routing.ts';
import { REPO_ROOT } from '#infra/constructs/platform-function.ts';
import { TriggerBus } from '#infra/constructs/trigger-bus.ts';
import { campaignPattern } from '#shared/strategy/campaign-pattern.ts';
import { loadCompiledStrategy } from '#shared/strategy/load.ts';
import {
  cdkJsonContext,
  dateRoute,
  FIXTURE_STRATEGY_FILE,
  logicalId,
  permissionsOf,
  render,
  statementsOfRole,
} from './helpers.ts';

/** A stack with the routing's collaborators; cheap (no bundling). */
function routingStack(campaigns: readonly CampaignRoute[], busName?: string) {
  const stack = new Stack(new App({ context: cdkJsonContext() }), 'Routing');
  const key = new kms.Key(stack, 'Key', { enableKeyRotation: true });
  const bus = new TriggerBus(stack, 'Bus', { eventBusName: busName });
  const queue = new sqs.Queue(stack, 'Buffer', { encryptionMasterKey: key });
  const routing = new CampaignRouting(stack, 'Routing', {
    eventBus: bus.eventBus,
    bufferQueue: queue,
    encryptionKey: key,
    campaigns,
  });
  return { stack, key, bus, queue, routing };
}

const ORDER_PATTERN = { source: ['shop.orders'], 'detail-type': ['OrderPlaced'] };

/** Stands in for the date-triggers function that the pipeline work adds (test only). */
const dateTriggersFunction = (stack: Stack) =>
  new lambda.Function(stack, 'DateTriggers', {
    runtime: lambda.Runtime.NODEJS_22_X,
    handler: 'index.handler',
    code: lambda.Code.fromInline('exports.handler = async () => {};'),
  });

describe('routesFromStrategy', () => {
  it('routes every enabled campaign with the engine’s pattern, date triggers included', () => {
    const { strategy } = loadCompiledStrategy(join(REPO_ROOT, FIXTURE_STRATEGY_FILE));
    expect(routesFromStrategy(strategy)).toEqual([
      { id: 'fixture-orders', pattern: ORDER_PATTERN, dateTrigger: false },
      dateRoute('fixture-birthday'),
    ]);
  });

  it('uses exactly campaignPattern, as the engine and the local runtime do', () => {
    const { strategy } = loadCompiledStrategy(join(REPO_ROOT, 'strategy/contact-strategy.yaml'));
    const enabled = strategy.campaigns.filter((c) => c.enabled);
    expect(routesFromStrategy(strategy)).toEqual(
      enabled.map((c) => ({
        id: c.id,
        pattern: campaignPattern(c),
        dateTrigger: c.trigger.date !== undefined,
      })),
    );
    expect(enabled.some((c) => c.trigger.date)).toBe(true);
  });
});

describe('ruleNameFor', () => {
  it.each([
    ['loyalty-third-order', 'loyalty-third-order'],
    ['a'.repeat(64), 'a'.repeat(64)],
  ])('keeps a valid id %s as the rule name', (id, expected) => {
    expect(ruleNameFor(id)).toBe(expected);
  });

  it.each(['a'.repeat(65), 'summer sale/2026', 'ünïcode'])(
    'sanitises %s into a valid, distinct rule name',
    (id) => {
      const name = ruleNameFor(id);
      expect(name).toMatch(/^[.\-_A-Za-z0-9]{1,64}$/);
      expect(name).not.toBe(id);
      expect(ruleNameFor(`${id}x`)).not.toBe(name);
    },
  );
});

describe('CampaignRouting', () => {
  it('rejects a campaign id used twice', () => {
    expect(() =>
      routingStack([
        { id: 'loyalty', pattern: ORDER_PATTERN, dateTrigger: false },
        { id: 'loyalty', pattern: ORDER_PATTERN, dateTrigger: false },
      ]),
    ).toThrow('campaign id "loyalty" is used twice');
  });

  describe('without date-triggered campaigns', () => {
    let schedule: unknown;
    let template: Template;

    beforeAll(() => {
      const { stack, routing } = routingStack([
        { id: 'loyalty', pattern: ORDER_PATTERN, dateTrigger: false },
      ]);
      schedule = routing.addDateTriggerSchedule(dateTriggersFunction(stack));
      template = Template.fromStack(stack);
    });

    it('creates no schedule group, and addDateTriggerSchedule adds nothing', () => {
      expect(schedule).toBeUndefined();
      expect(template.findResources('AWS::Scheduler::ScheduleGroup')).toEqual({});
      expect(template.findResources('AWS::Scheduler::Schedule')).toEqual({});
    });
  });

  describe('addDateTriggerSchedule', () => {
    let parts: ReturnType<typeof routingStack>;
    let fn: lambda.Function;
    let schedule: unknown;
    let template: Template;

    beforeAll(() => {
      parts = routingStack([
        { id: 'loyalty', pattern: ORDER_PATTERN, dateTrigger: false },
        dateRoute('renewal'),
      ]);
      fn = dateTriggersFunction(parts.stack);
      schedule = parts.routing.addDateTriggerSchedule(fn);
      template = Template.fromStack(parts.stack);
    });

    it('gives the date-triggered campaign a rule for its DateTriggerReached events', () => {
      const rule = template.findResources('AWS::Events::Rule', { Properties: { Name: 'renewal' } });
      expect(Object.values(rule)[0]?.Properties.EventPattern).toEqual(dateRoute('renewal').pattern);
    });

    it('runs the function hourly at :05 in the schedule group, exactly on time, with retries and the DLQ', () => {
      const { stack, routing } = parts;
      expect(schedule).toBeDefined();
      expect(DATE_TRIGGER_SCHEDULE).toBe('cron(5 * * * ? *)');
      const [resource] = Object.values(template.findResources('AWS::Scheduler::Schedule'));
      const props = resource?.Properties;
      expect(props).toMatchObject({
        ScheduleExpression: 'cron(5 * * * ? *)',
        ScheduleExpressionTimezone: 'UTC',
        FlexibleTimeWindow: { Mode: 'OFF' },
        State: 'ENABLED',
      });
      const group = routing.dateTriggerScheduleGroup;
      if (!group) throw new Error('expected a schedule group');
      expect(render(props.GroupName)).toBe(`<${logicalId(stack, group)}>`);
      expect(render(props.Target.Arn)).toBe(`<${logicalId(stack, fn)}.Arn>`);
      expect(render(props.Target.DeadLetterConfig.Arn)).toBe(
        `<${logicalId(stack, routing.deadLetterQueue)}.Arn>`,
      );
      expect(props.Target.RetryPolicy).toEqual({ MaximumRetryAttempts: 10, MaximumEventAgeInSeconds: 21600 });
      expect(JSON.parse(props.Target.Input)).toEqual({
        scheduledTime: '<aws.scheduler.scheduled-time>',
        executionId: '<aws.scheduler.execution-id>',
      });
    });

    it('gives the scheduler a role for this account and group that may only invoke the function and write the DLQ', () => {
      const { stack, routing, key } = parts;
      const roleId = logicalId(stack, routing.node.findChild('DateTriggerScheduleRole'));
      const role = template.toJSON().Resources[roleId];
      const group = routing.dateTriggerScheduleGroup;
      if (!group) throw new Error('expected a schedule group');
      expect(role.Properties.AssumeRolePolicyDocument.Statement).toEqual([
        {
          Action: 'sts:AssumeRole',
          Effect: 'Allow',
          Principal: { Service: 'scheduler.amazonaws.com' },
          Condition: {
            StringEquals: {
              'aws:SourceAccount': { Ref: 'AWS::AccountId' },
              'aws:SourceArn': { 'Fn::GetAtt': [logicalId(stack, group), 'Arn'] },
            },
          },
        },
      ]);
      expect(permissionsOf(statementsOfRole(template, roleId))).toEqual({
        'kms:Decrypt': [`<${logicalId(stack, key)}.Arn>`],
        'kms:GenerateDataKey': [`<${logicalId(stack, key)}.Arn>`],
        'lambda:InvokeFunction': [`<${logicalId(stack, fn)}.Arn>`],
        'sqs:SendMessage': [`<${logicalId(stack, routing.deadLetterQueue)}.Arn>`],
      });
    });

    it('refuses a second schedule', () => {
      expect(() => parts.routing.addDateTriggerSchedule(fn)).toThrow('already defined');
    });
  });
});

describe('TriggerBus', () => {
  let names: { byDefault: unknown[]; overridden: unknown[] };

  beforeAll(() => {
    const busNames = (busName?: string) =>
      Object.values(
        Template.fromStack(routingStack([], busName).stack).findResources('AWS::Events::EventBus'),
      ).map((bus) => bus.Properties.Name);
    names = { byDefault: busNames(), overridden: busNames('contact-triggers-test') };
  });

  it('is named contact-triggers unless told otherwise', () => {
    expect(names.byDefault).toEqual(['contact-triggers']);
    expect(names.overridden).toEqual(['contact-triggers-test']);
  });
});
