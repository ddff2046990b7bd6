import { App, Stack } from 'aws-cdk-lib';
import { Annotations, Match, Template } from 'aws-cdk-lib/assertions';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import * as sqs from 'aws-cdk-lib/aws-sqs';
import { AwsSolutionsChecks, ServerlessChecks } from 'cdk-nag';
import type { IConstruct } from 'constructs';
import { beforeAll, describe, expect, it } from 'vitest';
import { type CampaignRoute, DATE_TRIGGER_SCHEDULE } from '#infra/constructs/campaign-routing.ts';
import { CUSTOMER_DATA_PATTERN, FEEDBACK_PATTERN } from '#infra/constructs/customer-event-routing.ts';
import { PlatformChecks } from '#infra/constructs/nag.ts';
import { SIGNING_KEY_LENGTH } from '#infra/constructs/signing-secrets.ts';
import { DEFAULT_EVENT_BUS_NAME } from '#infra/constructs/trigger-bus.ts';
import { type ContactApp, createContactApp } from '#infra/contact-app.ts';
import { CONSENT_SOURCE, CUSTOMERS_SOURCE, PROFILE_SOURCE, TRIGGER_BUS_NAME } from '#shared/domain/events.ts';
import { testEventPattern } from '#shared/event-pattern/index.ts';
import { platformRoutes } from '#shared/routing.ts';
import { loadStrategyFile } from '#shared/strategy/load.ts';
import {
  APNS_APP,
  buildApp,
  cdkJsonContext,
  dateRoute,
  FCM_APP,
  FIXTURE_STRATEGY_FILE,
  type FlatStatement,
  FUNCTION_NAMES,
  type FunctionName,
  fixtureActivityPattern,
  fixtureStrategyJson,
  functionsOf,
  logicalId,
  permissionsOf,
  render,
  statementsOfRole,
} from './helpers.ts';

const FCM_ENDPOINTS = 'arn:aws:sns:eu-west-1:123456789012:endpoint/GCM/shop/*';
const APNS_ENDPOINTS = 'arn:aws:sns:eu-west-1:123456789012:endpoint/APNS/shop/*';

const CAMPAIGNS: CampaignRoute[] = [
  {
    id: 'loyalty-third-order',
    pattern: { source: ['shop.orders'], 'detail-type': ['OrderPlaced'] },
    dateTrigger: false,
  },
  {
    id: 'newsletter-welcome',
    pattern: {
      source: ['contact.consent'],
      'detail-type': ['ConsentGranted'],
      detail: { purpose: ['marketing'], channel: [{ 'anything-but': 'sms' }] },
    },
    dateTrigger: false,
  },
  {
    id: 'big-spender',
    pattern: {
      source: [{ prefix: 'shop.' }],
      $or: [{ detail: { total: [{ numeric: ['>', 500] }] } }, { detail: { vip: [true] } }],
    },
    dateTrigger: false,
  },
  dateRoute('contract-renewal'),
];

let built: ContactApp;
let stateful: Template;
let stateless: Template;

beforeAll(() => {
  built = buildApp(CAMPAIGNS, { pushPlatformApplicationArns: { fcm: FCM_APP, apns: APNS_APP } });
  stateful = Template.fromStack(built.stateful);
  stateless = Template.fromStack(built.stateless);
});

/** `<LogicalId>` and `<LogicalId.Arn>` of a construct in the stateless stack. */
const refOf = (construct: IConstruct) => `<${logicalId(built.stateless, construct)}>`;
const arnOf = (construct: IConstruct) => `<${logicalId(built.stateless, construct)}.Arn>`;
/** A stateful-stack value as {@link normalise} shows it: `<stateful-stack:LogicalId>` or `…​.Arn>`. */
const fromStateful = (construct: IConstruct, attribute: 'Arn' | 'Ref') =>
  `<${built.stateful.stackName}:${logicalId(built.stateful, construct)}${attribute === 'Arn' ? '.Arn' : ''}>`;

/**
 * A weak cross-stack reference renders as `<stack:PublishOutputFnGetAtt<Id>Arn<hash>>` (or `Ref<Id>`);
 * shown as `<stack:<Id>.Arn>` / `<stack:<Id>>`, so that expectations are plain strings.
 */
const normalise = (value: string) =>
  value.replace(/<([^:<>]+):PublishOutput(FnGetAtt|Ref)(.+?)[0-9A-F]{8}>/g, (_, stack, kind, rest) =>
    kind === 'Ref' ? `<${stack}:${rest}>` : `<${stack}:${String(rest).replace(/Arn$/, '.Arn')}>`,
  );

/** The template resource behind a construct (the template's JSON is untyped). */
const resourceOf = (construct: IConstruct) =>
  stateless.toJSON().Resources[logicalId(built.stateless, construct)];

const functions = () => functionsOf(built);

describe('stateful stack: the contact table', () => {
  it('has pk/sk string keys, on-demand billing, PITR, TTL on `ttl` and deletion protection', () => {
    stateful.hasResourceProperties('AWS::DynamoDB::Table', {
      KeySchema: [
        { AttributeName: 'pk', KeyType: 'HASH' },
        { AttributeName: 'sk', KeyType: 'RANGE' },
      ],
      BillingMode: 'PAY_PER_REQUEST',
      PointInTimeRecoverySpecification: { PointInTimeRecoveryEnabled: true },
      TimeToLiveSpecification: { AttributeName: 'ttl', Enabled: true },
      DeletionProtectionEnabled: true,
    });
  });

  it('has exactly one GSI, gsi1 on gsi1pk/gsi1sk, keys only', () => {
    const [table] = Object.values(stateful.findResources('AWS::DynamoDB::Table'));
    expect(table?.Properties.GlobalSecondaryIndexes).toEqual([
      {
        IndexName: 'gsi1',
        KeySchema: [
          { AttributeName: 'gsi1pk', KeyType: 'HASH' },
          { AttributeName: 'gsi1sk', KeyType: 'RANGE' },
        ],
        Projection: { ProjectionType: 'KEYS_ONLY' },
      },
    ]);
    expect(table?.Properties.AttributeDefinitions).toEqual(
      expect.arrayContaining(
        ['pk', 'sk', 'gsi1pk', 'gsi1sk'].map((name) => ({ AttributeName: name, AttributeType: 'S' })),
      ),
    );
  });

  it('is encrypted with its own customer-managed key, which rotates', () => {
    const keyId = logicalId(built.stateful, built.stateful.contactTable.encryptionKey);
    stateful.hasResourceProperties('AWS::DynamoDB::Table', {
      SSESpecification: {
        SSEEnabled: true,
        SSEType: 'KMS',
        KMSMasterKeyId: { 'Fn::GetAtt': [keyId, 'Arn'] },
      },
    });
    expect(stateful.toJSON().Resources[keyId]).toMatchObject({
      Type: 'AWS::KMS::Key',
      Properties: { EnableKeyRotation: true },
    });
  });

  it.each(['AWS::DynamoDB::Table', 'AWS::KMS::Key', 'AWS::SecretsManager::Secret'])(
    'retains every %s when the stack or resource goes',
    (type) => {
      const resources = Object.values(stateful.findResources(type));
      expect(resources.length).toBeGreaterThan(0);
      for (const resource of resources) {
        expect(resource).toMatchObject({ DeletionPolicy: 'Retain', UpdateReplacePolicy: 'Retain' });
      }
    },
  );

  it('tags resources with project and stage', () => {
    stateful.hasResourceProperties('AWS::DynamoDB::Table', {
      Tags: Match.arrayWith([
        { Key: 'project', Value: 'contact-triggers' },
        { Key: 'stage', Value: 'dev' },
      ]),
    });
  });
});

describe('stateful stack: the signing secrets', () => {
  const secrets = () => built.stateful.secrets;

  it.each(['linkKey', 'webhookKey'] as const)(
    '%s is generated (64 letters and digits) and encrypted with the secrets’ own rotating CMK',
    (name) => {
      const keyId = logicalId(built.stateful, secrets().encryptionKey);
      const secret = stateful.toJSON().Resources[logicalId(built.stateful, secrets()[name])];
      expect(secret.Properties.KmsKeyId).toEqual({ 'Fn::GetAtt': [keyId, 'Arn'] });
      expect(secret.Properties.GenerateSecretString).toEqual({
        PasswordLength: SIGNING_KEY_LENGTH,
        ExcludePunctuation: true,
        IncludeSpace: false,
      });
      expect(SIGNING_KEY_LENGTH).toBe(64);
      expect(secret.Properties.SecretString).toBeUndefined();
      expect(stateful.toJSON().Resources[keyId].Properties.EnableKeyRotation).toBe(true);
    },
  );

  it('are exactly two secrets', () => {
    expect(Object.keys(stateful.findResources('AWS::SecretsManager::Secret'))).toHaveLength(2);
  });
});

describe('stateless stack: bus, archive and campaign routing', () => {
  it('names the bus contact-triggers (the public contract)', () => {
    stateless.hasResourceProperties('AWS::Events::EventBus', { Name: 'contact-triggers' });
  });

  it('archives every event on the bus for 30 days', () => {
    stateless.hasResourceProperties('AWS::Events::Archive', {
      SourceArn: { 'Fn::GetAtt': [logicalId(built.stateless, built.stateless.bus.eventBus), 'Arn'] },
      RetentionDays: 30,
      EventPattern: { account: [{ Ref: 'AWS::AccountId' }] },
    });
  });

  it('lets only this account put events on the bus', () => {
    const policies = Object.values(stateless.findResources('AWS::Events::EventBusPolicy'));
    expect(policies.map((p) => p.Properties.EventBusName)).toEqual([
      { Ref: logicalId(built.stateless, built.stateless.bus.eventBus) },
    ]);
    const statement = policies[0]?.Properties.Statement;
    expect(statement).toMatchObject({ Effect: 'Allow', Action: 'events:PutEvents' });
    expect(render(statement.Principal.AWS)).toBe('arn:<AWS::Partition>:iam::<AWS::AccountId>:root');
    expect(statement.Condition).toBeUndefined();
  });

  it('has one rule per enabled campaign, date-triggered ones included, named after the campaign', () => {
    const named = Object.values(stateless.findResources('AWS::Events::Rule'))
      .map((r) => r.Properties.Name)
      .filter((name) => name !== undefined);
    expect(named.sort()).toEqual(CAMPAIGNS.map((c) => c.id).sort());
  });

  it.each(CAMPAIGNS)(
    'rule $id has exactly the campaign pattern and sends {campaignId, event} to the trigger buffer',
    (campaign) => {
      const rules = stateless.findResources('AWS::Events::Rule', { Properties: { Name: campaign.id } });
      const rule = Object.values(rules)[0];
      expect(rule?.Properties.EventPattern).toEqual(campaign.pattern);
      expect(rule?.Properties.EventBusName).toEqual({
        Ref: logicalId(built.stateless, built.stateless.bus.eventBus),
      });

      const [target] = rule?.Properties.Targets ?? [];
      expect(render(target.Arn)).toBe(arnOf(built.stateless.evaluate.buffer.queue));
      expect(render(target.DeadLetterConfig.Arn)).toBe(arnOf(built.stateless.routing.deadLetterQueue));
      expect(target.RetryPolicy).toEqual({ MaximumRetryAttempts: 185, MaximumEventAgeInSeconds: 86400 });
      const { InputPathsMap, InputTemplate } = target.InputTransformer as {
        InputPathsMap: Record<string, string>;
        InputTemplate: string;
      };
      const [[placeholder, path]] = Object.entries(InputPathsMap) as [[string, string]];
      expect(path).toBe('$');
      const sampleEvent = { id: 'e-1', source: 'shop.orders', detail: { customerId: 'c-1' } };
      expect(JSON.parse(InputTemplate.replace(`<${placeholder}>`, JSON.stringify(sampleEvent)))).toEqual({
        campaignId: campaign.id,
        event: sampleEvent,
      });
    },
  );

  it('routes a date-triggered campaign’s DateTriggerReached events, and no other campaign’s', () => {
    const rules = stateless.findResources('AWS::Events::Rule', { Properties: { Name: 'contract-renewal' } });
    const pattern = Object.values(rules)[0]?.Properties.EventPattern;
    const event = (campaignId: string) => ({
      source: 'contact.schedule',
      'detail-type': 'DateTriggerReached',
      detail: { customerId: 'c-1', campaignId },
    });
    expect(testEventPattern(pattern, event('contract-renewal'))).toBe(true);
    expect(testEventPattern(pattern, event('birthday'))).toBe(false);
  });

  it('lets EventBridge use the messaging key for this account only (to write the encrypted queues)', () => {
    const keyId = logicalId(built.stateless, built.stateless.messagingKey);
    const key = stateless.toJSON().Resources[keyId];
    expect(key.Properties.EnableKeyRotation).toBe(true);
    expect(key.Properties.KeyPolicy.Statement).toContainEqual(
      expect.objectContaining({
        Principal: { Service: 'events.amazonaws.com' },
        Action: expect.arrayContaining(['kms:Decrypt', 'kms:GenerateDataKey*']),
        Condition: { StringEquals: { 'aws:SourceAccount': { Ref: 'AWS::AccountId' } } },
      }),
    );
  });

  it('admits every rule of this account to the routing DLQ with one queue-policy statement', () => {
    const dlqId = logicalId(built.stateless, built.stateless.routing.deadLetterQueue);
    const [policy, ...more] = Object.values(
      stateless.findResources('AWS::SQS::QueuePolicy', { Properties: { Queues: [{ Ref: dlqId }] } }),
    );
    expect(more).toEqual([]);
    const allows = policy?.Properties.PolicyDocument.Statement.filter(
      (s: { Effect: string }) => s.Effect === 'Allow',
    );
    expect(allows).toHaveLength(1);
    expect(allows[0]).toMatchObject({
      Principal: { Service: 'events.amazonaws.com' },
      Action: 'sqs:SendMessage',
      Condition: { StringEquals: { 'aws:SourceAccount': { Ref: 'AWS::AccountId' } } },
    });
    expect(render(allows[0].Condition.ArnLike['aws:SourceArn'])).toBe(
      'arn:<AWS::Partition>:events:<AWS::Region>:<AWS::AccountId>:rule/*',
    );
  });
});

describe('stateless stack: customer-event routing', () => {
  const ruleOf = (rule: IConstruct | undefined) => {
    if (!rule) throw new Error('no such rule');
    return resourceOf(rule).Properties;
  };
  const routing = () => built.stateless.customerEventRouting;

  it('uses the public contract’s source names and the shared routes (the local runtime routes with them too)', () => {
    expect(CUSTOMER_DATA_PATTERN).toEqual({ source: [PROFILE_SOURCE, CONSENT_SOURCE, CUSTOMERS_SOURCE] });
    expect(DEFAULT_EVENT_BUS_NAME).toBe(TRIGGER_BUS_NAME);
    const shared = platformRoutes(loadStrategyFile(FIXTURE_STRATEGY_FILE)).filter(
      (r) => r.target !== 'buffer' && r.bus === TRIGGER_BUS_NAME,
    );
    expect(shared.map((r) => r.pattern)).toEqual([
      CUSTOMER_DATA_PATTERN,
      fixtureActivityPattern(),
      FEEDBACK_PATTERN,
    ]);
  });

  it.each([
    ['customerDataRule', 'profile', CUSTOMER_DATA_PATTERN],
    ['activityRule', 'activity', fixtureActivityPattern()],
    ['feedbackRule', 'feedback', FEEDBACK_PATTERN],
  ] as const)(
    '%s on contact-triggers sends the whole event to the %s queue, with retries and the routing DLQ',
    (ruleName, consumer, pattern) => {
      const props = ruleOf(routing()[ruleName]);
      expect(props.EventBusName).toEqual({ Ref: logicalId(built.stateless, built.stateless.bus.eventBus) });
      expect(props.EventPattern).toEqual(pattern);
      expect(props.Targets).toHaveLength(1);
      const [target] = props.Targets;
      expect(render(target.Arn)).toBe(arnOf(built.stateless[consumer].buffer.queue));
      expect(target.InputTransformer).toBeUndefined();
      expect(target.Input).toBeUndefined();
      expect(render(target.DeadLetterConfig.Arn)).toBe(arnOf(built.stateless.routing.deadLetterQueue));
      expect(target.RetryPolicy).toEqual({ MaximumRetryAttempts: 185, MaximumEventAgeInSeconds: 86400 });
    },
  );

  it('routes profile, consent and erasure events, and nothing else, to the profile queue', () => {
    const pattern = ruleOf(routing().customerDataRule).EventPattern;
    for (const source of ['contact.profiles', 'contact.consent', 'contact.customers']) {
      expect(testEventPattern(pattern, { source, 'detail-type': 'X', detail: { customerId: 'c' } })).toBe(
        true,
      );
    }
    expect(testEventPattern(pattern, { source: 'shop.orders', detail: { customerId: 'c' } })).toBe(false);
  });

  it('routes the events the strategy counts or attributes to the activity queue, nothing else', () => {
    const pattern = ruleOf(routing().activityRule).EventPattern;
    const event = (
      source: string,
      detailType: string,
      detail: Record<string, unknown> = { customerId: 'c-1' },
    ) => ({
      source,
      'detail-type': detailType,
      detail,
    });
    // The fixture's goal names shop.orders / OrderPlaced.
    expect(testEventPattern(pattern, event('shop.orders', 'OrderPlaced'))).toBe(true);
    expect(testEventPattern(pattern, event('shop.orders', 'OrderCancelled'))).toBe(false);
    expect(testEventPattern(pattern, event('newsletter', 'OrderPlaced'))).toBe(false);
    expect(testEventPattern(pattern, event('shop.orders', 'OrderPlaced', { orderId: 'o-1' }))).toBe(false);
    for (const own of ['contact.profiles', 'contact.consent', 'contact.schedule', 'contact.feedback']) {
      expect(testEventPattern(pattern, event(own, 'OrderPlaced'))).toBe(false);
    }
  });

  it('has no activity rule when the strategy counts and attributes nothing', () => {
    const bare = createContactApp({
      context: { ...cdkJsonContext(), strategyFile: FIXTURE_STRATEGY_FILE },
      loadStrategy: () => ({ campaigns: [dateRoute('only-dates')], bundleJson: fixtureStrategyJson() }),
      bundle: false,
    });
    expect(bare.stateless.customerEventRouting.activityRule).toBeUndefined();
  });

  it('takes SES events from the default bus, only those of the platform’s configuration set', () => {
    const props = ruleOf(routing().sesFeedbackRule);
    expect(props.EventBusName).toBe('default');
    const configurationSet = built.stateless.email.configurationSet;
    expect(props.EventPattern).toEqual({
      source: ['aws.ses'],
      detail: {
        mail: { tags: { 'ses:configuration-set': [{ Ref: logicalId(built.stateless, configurationSet) }] } },
      },
    });
    const [target] = props.Targets;
    expect(render(target.Arn)).toBe(arnOf(built.stateless.feedback.buffer.queue));
    expect(render(target.DeadLetterConfig.Arn)).toBe(arnOf(built.stateless.routing.deadLetterQueue));

    // As SES publishes a bounce through a configuration set (the auto tag carries its name).
    const pattern = JSON.parse(JSON.stringify(props.EventPattern).replace(/\{"Ref":"[^"]+"\}/, '"ours"'));
    const bounce = (set: string) => ({
      source: 'aws.ses',
      'detail-type': 'Email Bounced',
      detail: {
        eventType: 'Bounce',
        mail: { messageId: 'm-1', tags: { 'ses:configuration-set': [set], campaign: ['welcome'] } },
      },
    });
    expect(testEventPattern(pattern, bounce('ours'))).toBe(true);
    expect(testEventPattern(pattern, bounce('someone-else'))).toBe(false);
  });
});

describe('stateless stack: queues', () => {
  const consumers = ['evaluate', 'profile', 'activity', 'feedback'] as const;
  const queues = () => {
    const s = built.stateless;
    return {
      ...Object.fromEntries(consumers.map((c) => [`${c} buffer`, s[c].buffer.queue])),
      ...Object.fromEntries(consumers.map((c) => [`${c} buffer DLQ`, s[c].buffer.deadLetterQueue])),
      'routing DLQ': s.routing.deadLetterQueue,
      ...Object.fromEntries(FUNCTION_NAMES.map((f) => [`${f} async DLQ`, functions()[f].deadLetterQueue])),
    } as Record<string, sqs.Queue>;
  };
  const QUEUES = [
    ...consumers.map((c) => `${c} buffer`),
    ...consumers.map((c) => `${c} buffer DLQ`),
    'routing DLQ',
    ...FUNCTION_NAMES.map((f) => `${f} async DLQ`),
  ];
  const DLQS = QUEUES.filter((q) => q.endsWith('DLQ'));

  it('are exactly these queues', () => {
    expect(Object.keys(stateless.findResources('AWS::SQS::Queue')).sort()).toEqual(
      Object.values(queues())
        .map((q) => logicalId(built.stateless, q))
        .sort(),
    );
  });

  it.each(QUEUES)('%s is encrypted with the messaging key and refuses non-TLS requests', (name) => {
    const queue = queues()[name] as sqs.Queue;
    const id = logicalId(built.stateless, queue);
    expect(stateless.toJSON().Resources[id].Properties.KmsMasterKeyId).toEqual({
      'Fn::GetAtt': [logicalId(built.stateless, built.stateless.messagingKey), 'Arn'],
    });
    stateless.hasResourceProperties('AWS::SQS::QueuePolicy', {
      Queues: [{ Ref: id }],
      PolicyDocument: {
        Statement: Match.arrayWith([
          Match.objectLike({
            Effect: 'Deny',
            Action: 'sqs:*',
            Principal: { AWS: '*' },
            Condition: { Bool: { 'aws:SecureTransport': 'false' } },
          }),
        ]),
      },
    });
  });

  it.each(DLQS)('%s keeps messages 14 days', (name) => {
    const id = logicalId(built.stateless, queues()[name] as sqs.Queue);
    expect(stateless.toJSON().Resources[id].Properties.MessageRetentionPeriod).toBe(14 * 24 * 3600);
  });

  it.each(consumers)('the %s buffer moves a message to its own DLQ after 5 receives', (consumer) => {
    const { queue, deadLetterQueue } = built.stateless[consumer].buffer;
    const redrive = resourceOf(queue).Properties.RedrivePolicy;
    expect(redrive.maxReceiveCount).toBe(5);
    expect(render(redrive.deadLetterTargetArn)).toBe(arnOf(deadLetterQueue));
  });

  it.each(consumers)(
    'the %s buffer hides a received message for at least 6× the consumer’s timeout',
    (consumer) => {
      const queue = resourceOf(built.stateless[consumer].buffer.queue);
      const fn = resourceOf(built.stateless[consumer].fn.function);
      expect(queue.Properties.VisibilityTimeout).toBeGreaterThanOrEqual(6 * fn.Properties.Timeout);
    },
  );
});

describe('stateless stack: functions', () => {
  const fnProps = (name: FunctionName) => resourceOf(functions()[name].function).Properties;

  it('are exactly the nine functions', () => {
    expect(
      Object.values(stateless.findResources('AWS::Lambda::Function'))
        .map((f) => f.Properties.Environment.Variables.POWERTOOLS_SERVICE_NAME)
        .sort(),
    ).toEqual([...FUNCTION_NAMES].sort());
  });

  it.each(FUNCTION_NAMES)(
    '%s runs Node.js 22 on arm64 with active tracing, logs to its own group',
    (name) => {
      const fn = functions()[name];
      expect(fnProps(name)).toMatchObject({
        Runtime: 'nodejs22.x',
        Architectures: ['arm64'],
        TracingConfig: { Mode: 'Active' },
        MemorySize: 256,
        Handler: 'index.handler',
      });
      const logGroupId = logicalId(built.stateless, fn.logGroup);
      expect(fnProps(name).LoggingConfig).toEqual({ LogGroup: { Ref: logGroupId } });
      expect(stateless.toJSON().Resources[logGroupId].Properties.RetentionInDays).toBe(30);
      expect(render(fnProps(name).DeadLetterConfig.TargetArn)).toBe(arnOf(fn.deadLetterQueue));
    },
  );

  it.each([
    ['evaluate', 40],
    ['deferred', 40],
    ['profile', 30],
    ['activity', 10],
    ['feedback', 10],
    ['date-triggers', 300],
    ['preferences', 10],
    ['export', 30],
  ] as const)('%s times out after %i s', (name, seconds) => {
    expect(fnProps(name).Timeout).toBe(seconds);
  });

  /** Exactly the variables each function's getters in functions/platform.ts read. */
  const environments = (): Record<FunctionName, Record<string, string>> => {
    const s = built.stateless;
    const table = fromStateful(built.stateful.contactTable.table, 'Ref');
    const sending = {
      SENDER_EMAIL: 'marketing@example.com',
      CONFIGURATION_SET: refOf(s.email.configurationSet),
      SMS_SENDER_ID: 'Contact',
      PREFERENCES_URL: `<${logicalId(s, s.preferences.url)}.FunctionUrl>`,
      LINK_KEY_SECRET_ID: fromStateful(built.stateful.secrets.linkKey, 'Ref'),
      WEBHOOK_SECRET_ID: fromStateful(built.stateful.secrets.webhookKey, 'Ref'),
    };
    const dlqUrl = (consumer: 'evaluate' | 'profile' | 'activity' | 'feedback') => ({
      DEAD_LETTER_QUEUE_URL: refOf(s[consumer].buffer.deadLetterQueue),
    });
    return {
      evaluate: {
        TABLE_NAME: table,
        ...sending,
        SCHEDULE_GROUP: refOf(s.deferred.scheduleGroup),
        DEFERRED_FUNCTION_ARN: arnOf(s.deferred.fn.function),
        SCHEDULER_ROLE_ARN: arnOf(s.deferred.schedulerRole),
        SCHEDULER_DLQ_ARN: expect.anything(),
        ...dlqUrl('evaluate'),
      },
      deferred: { TABLE_NAME: table, ...sending },
      profile: {
        TABLE_NAME: table,
        PUSH_APP_FCM_ARN: FCM_APP,
        PUSH_APP_APNS_ARN: APNS_APP,
        ...dlqUrl('profile'),
      },
      activity: { TABLE_NAME: table, ...dlqUrl('activity') },
      feedback: { TABLE_NAME: table, ...dlqUrl('feedback') },
      'date-triggers': {
        TABLE_NAME: table,
        EVENT_BUS_NAME: refOf(s.bus.eventBus),
        DATE_TRIGGER_SEND_HOUR: '9',
      },
      preferences: {
        TABLE_NAME: table,
        LINK_KEY_SECRET_ID: fromStateful(built.stateful.secrets.linkKey, 'Ref'),
      },
      export: { TABLE_NAME: table },
      'next-best-offer': { TABLE_NAME: table },
    };
  };

  it.each(FUNCTION_NAMES)(
    '%s gets exactly the environment its getters read, plus the Powertools settings',
    (name) => {
      const env = fnProps(name).Environment.Variables as Record<string, unknown>;
      expect(Object.fromEntries(Object.entries(env).map(([k, v]) => [k, normalise(render(v))]))).toEqual({
        ...environments()[name],
        POWERTOOLS_SERVICE_NAME: name,
        POWERTOOLS_METRICS_NAMESPACE: 'ContactTriggers',
        POWERTOOLS_LOG_LEVEL: 'INFO',
        NODE_OPTIONS: '--enable-source-maps',
      });
    },
  );

  it.each(FUNCTION_NAMES)(
    '%s does not get the strategy as an environment variable (it is inlined)',
    (name) => {
      expect(Object.keys(fnProps(name).Environment.Variables)).not.toContain('CONTACT_STRATEGY_JSON');
    },
  );

  // Which actions each role allows on which resources is derived from the bundles and compared both
  // ways in iam.test.ts; the conditions and the wildcards are checked here.

  const statementsOf = (name: FunctionName): FlatStatement[] =>
    statementsOfRole(stateless, logicalId(built.stateless, functions()[name].role)).map((s) => ({
      ...s,
      resources: s.resources.map(normalise),
    }));

  it.each(FUNCTION_NAMES)('%s uses the table and secrets keys only through their services', (name) => {
    const through: Record<string, string> = {
      [fromStateful(built.stateful.contactTable.encryptionKey, 'Arn')]:
        'dynamodb.<AWS::Region>.amazonaws.com',
      [fromStateful(built.stateful.secrets.encryptionKey, 'Arn')]:
        'secretsmanager.<AWS::Region>.amazonaws.com',
    };
    for (const statement of statementsOf(name)) {
      for (const [key, service] of Object.entries(through)) {
        if (!statement.resources.includes(key)) continue;
        expect(statement.resources).toEqual([key]);
        const condition = statement.condition as { StringEquals: Record<string, unknown> };
        expect(Object.keys(condition)).toEqual(['StringEquals']);
        expect(render(condition.StringEquals['kms:ViaService'])).toBe(service);
      }
    }
  });

  it.each(FUNCTION_NAMES)(
    '%s has no wildcard action, and Resource * only for X-Ray and (senders) SMS in its own policy',
    (name) => {
      const statements = statementsOf(name);
      expect(statements.flatMap((s) => s.actions).filter((a) => a.includes('*'))).toEqual([]);
      const starred = statements.filter((s) => s.resources.includes('*'));
      const sends = name === 'evaluate' || name === 'deferred';
      expect(starred.map((s) => s.actions).sort()).toEqual(
        [
          ['xray:PutTelemetryRecords', 'xray:PutTraceSegments'],
          ...(sends ? [['sns:CheckIfPhoneNumberIsOptedOut', 'sns:Publish']] : []),
        ].sort(),
      );
      const sms = starred.find((s) => s.actions.includes('sns:Publish'));
      if (sends) {
        const owner = name === 'evaluate' ? built.stateless.evaluate : built.stateless.deferred;
        expect(sms?.policy).toBe(logicalId(built.stateless, owner.node.findChild('SmsPublish')));
        expect(sms?.resources).toEqual(['*']);
      }
    },
  );

  it.each([
    ['evaluate', 10, 1, 10],
    ['profile', 10, 1, 2],
    ['activity', 10, 5, 5],
    ['feedback', 10, 5, 5],
  ] as const)(
    '%s consumes its own queue in batches of %i (window %i s) with partial batch failures and max concurrency %i',
    (name, batchSize, window, maxConcurrency) => {
      const consumer = built.stateless[name];
      const mappings = Object.values(
        stateless.findResources('AWS::Lambda::EventSourceMapping', {
          Properties: { FunctionName: { Ref: logicalId(built.stateless, consumer.fn.function) } },
        }),
      );
      expect(mappings).toHaveLength(1);
      expect(mappings[0]?.Properties).toEqual({
        FunctionName: { Ref: logicalId(built.stateless, consumer.fn.function) },
        EventSourceArn: { 'Fn::GetAtt': [logicalId(built.stateless, consumer.buffer.queue), 'Arn'] },
        BatchSize: batchSize,
        MaximumBatchingWindowInSeconds: window,
        FunctionResponseTypes: ['ReportBatchItemFailures'],
        ScalingConfig: { MaximumConcurrency: maxConcurrency },
        Tags: expect.any(Array),
      });
    },
  );

  it('has event source mappings for the four queue consumers only', () => {
    expect(Object.keys(stateless.findResources('AWS::Lambda::EventSourceMapping'))).toHaveLength(4);
  });
});

describe('stateless stack: EventBridge Scheduler', () => {
  const schedulerTrust = (group: IConstruct) => [
    {
      Action: 'sts:AssumeRole',
      Effect: 'Allow',
      Principal: { Service: 'scheduler.amazonaws.com' },
      Condition: {
        StringEquals: {
          'aws:SourceAccount': { Ref: 'AWS::AccountId' },
          'aws:SourceArn': { 'Fn::GetAtt': [logicalId(built.stateless, group), 'Arn'] },
        },
      },
    },
  ];

  it('has a schedule group for the deferred sends, named in evaluate’s SCHEDULE_GROUP', () => {
    const group = built.stateless.deferred.scheduleGroup;
    expect(resourceOf(group).Type).toBe('AWS::Scheduler::ScheduleGroup');
  });

  it('gives Scheduler a role, for this account and group only, that may only invoke deferred or dead-letter', () => {
    const { schedulerRole, scheduleGroup, fn } = built.stateless.deferred;
    const role = resourceOf(schedulerRole);
    expect(role.Properties.AssumeRolePolicyDocument.Statement).toEqual(schedulerTrust(scheduleGroup));
    expect(role.Properties.ManagedPolicyArns).toBeUndefined();
    const key = `<${logicalId(built.stateless, built.stateless.messagingKey)}.Arn>`;
    expect(permissionsOf(statementsOfRole(stateless, logicalId(built.stateless, schedulerRole)))).toEqual({
      'lambda:InvokeFunction': [arnOf(fn.function)],
      'sqs:SendMessage': [`<${logicalId(built.stateless, fn.deadLetterQueue)}.Arn>`],
      'kms:GenerateDataKey': [key],
      'kms:Decrypt': [key],
    });
  });

  it('lets evaluate pass that role to Scheduler only', () => {
    const statement = statementsOfRole(
      stateless,
      logicalId(built.stateless, built.stateless.evaluate.fn.role),
    ).find((s) => s.actions.includes('iam:PassRole'));
    expect(statement?.condition).toEqual({
      StringEquals: { 'iam:PassedToService': 'scheduler.amazonaws.com' },
    });
  });

  it('runs date-triggers every hour at :05 (UTC), exactly on time, with retries and the routing DLQ', () => {
    const { routing } = built.stateless;
    const [schedule, ...more] = Object.values(stateless.findResources('AWS::Scheduler::Schedule'));
    expect(more).toEqual([]);
    expect(DATE_TRIGGER_SCHEDULE).toBe('cron(5 * * * ? *)');
    const props = schedule?.Properties;
    expect(props).toMatchObject({
      ScheduleExpression: 'cron(5 * * * ? *)',
      ScheduleExpressionTimezone: 'UTC',
      FlexibleTimeWindow: { Mode: 'OFF' },
      State: 'ENABLED',
    });
    const group = routing.dateTriggerScheduleGroup;
    if (!group) throw new Error('expected the date-trigger schedule group');
    expect(render(props.GroupName)).toBe(refOf(group));
    expect(render(props.Target.Arn)).toBe(arnOf(functions()['date-triggers'].function));
    expect(render(props.Target.DeadLetterConfig.Arn)).toBe(arnOf(routing.deadLetterQueue));
    expect(render(props.Target.RoleArn)).toBe(arnOf(routing.node.findChild('DateTriggerScheduleRole')));
  });

  it('has exactly the two schedule groups (deferred sends, date triggers)', () => {
    expect(Object.keys(stateless.findResources('AWS::Scheduler::ScheduleGroup'))).toHaveLength(2);
  });

  describe('without date-triggered campaigns', () => {
    let plain: ContactApp;
    let template: Template;

    beforeAll(() => {
      plain = buildApp([CAMPAIGNS[0] as CampaignRoute]);
      template = Template.fromStack(plain.stateless);
    });

    it('has no date-triggers function, no recurring schedule and only the deferred-send group', () => {
      expect(plain.stateless.dateTriggers).toBeUndefined();
      expect(template.findResources('AWS::Scheduler::Schedule')).toEqual({});
      expect(Object.keys(template.findResources('AWS::Scheduler::ScheduleGroup'))).toEqual([
        logicalId(plain.stateless, plain.stateless.deferred.scheduleGroup),
      ]);
      const names = Object.values(template.findResources('AWS::Lambda::Function')).map(
        (f) => f.Properties.Environment.Variables.POWERTOOLS_SERVICE_NAME,
      );
      expect(names).not.toContain('date-triggers');
      expect(names).toHaveLength(8);
    });

    it('gives the profile function no push permissions and no push variables without push applications', () => {
      const permissions = permissionsOf(
        statementsOfRole(template, logicalId(plain.stateless, plain.stateless.profile.fn.role)),
      );
      expect(Object.keys(permissions).filter((a) => a.startsWith('sns:'))).toEqual([]);
      const env =
        template.toJSON().Resources[logicalId(plain.stateless, plain.stateless.profile.fn.function)]
          .Properties.Environment.Variables;
      expect(Object.keys(env).filter((k) => k.startsWith('PUSH_APP_'))).toEqual([]);
    });
  });
});

describe('stateless stack: the preference pages', () => {
  it('are a public, buffered function URL on the preferences function', () => {
    const url = resourceOf(built.stateless.preferences.url);
    expect(url).toEqual({
      Type: 'AWS::Lambda::Url',
      Properties: {
        AuthType: 'NONE',
        InvokeMode: 'BUFFERED',
        TargetFunctionArn: {
          'Fn::GetAtt': [logicalId(built.stateless, built.stateless.preferences.fn.function), 'Arn'],
        },
      },
    });
  });

  it('let anyone invoke the function through the URL only', () => {
    const permissions = Object.values(stateless.findResources('AWS::Lambda::Permission'));
    expect(permissions.map((p) => p.Properties).sort((a, b) => a.Action.localeCompare(b.Action))).toEqual([
      {
        Action: 'lambda:InvokeFunction',
        FunctionName: {
          'Fn::GetAtt': [logicalId(built.stateless, built.stateless.preferences.fn.function), 'Arn'],
        },
        InvokedViaFunctionUrl: true,
        Principal: '*',
      },
      {
        Action: 'lambda:InvokeFunctionUrl',
        FunctionName: {
          'Fn::GetAtt': [logicalId(built.stateless, built.stateless.preferences.fn.function), 'Arn'],
        },
        FunctionUrlAuthType: 'NONE',
        Principal: '*',
      },
    ]);
  });
});

describe('stateless stack: contact moments and the app contract', () => {
  it('serve the next-best-offer API through a function URL with AWS_IAM auth, never open', () => {
    const fn = logicalId(built.stateless, built.stateless.moments.fn.function);
    const urls = Object.values(stateless.findResources('AWS::Lambda::Url')).filter(
      (u) => u.Properties.TargetFunctionArn['Fn::GetAtt']?.[0] === fn,
    );
    expect(urls).toHaveLength(1);
    expect(urls[0]?.Properties).toMatchObject({ AuthType: 'AWS_IAM', InvokeMode: 'BUFFERED' });
    // No resource-based permission opens it to anyone: callers need lambda:InvokeFunctionUrl in their own policy.
    const open = Object.values(stateless.findResources('AWS::Lambda::Permission')).filter(
      (p) => p.Properties.FunctionName['Fn::GetAtt']?.[0] === fn,
    );
    expect(open).toEqual([]);
  });

  it('deploy the public events as an EventBridge schema registry (JSON Schema draft 4)', () => {
    const registries = Object.values(stateless.findResources('AWS::EventSchemas::Registry'));
    expect(registries).toHaveLength(1);
    const schemas = Object.values(stateless.findResources('AWS::EventSchemas::Schema'));
    expect(schemas.map((s) => s.Properties.SchemaName).sort()).toEqual([
      'contact.apps@CustomerEvent',
      'contact.consent@ConsentGranted',
      'contact.consent@ConsentWithdrawn',
      'contact.customers@CustomerErasureRequested',
      'contact.profiles@CustomerProfileUpdated',
    ]);
    for (const schema of schemas) {
      expect(schema.Properties.Type).toBe('JSONSchemaDraft4');
      expect(JSON.parse(schema.Properties.Content).$schema).toBe('http://json-schema.org/draft-04/schema#');
    }
  });
});

describe('stateless stack: email sending', () => {
  it('has a configuration set with reputation metrics', () => {
    stateless.hasResourceProperties('AWS::SES::ConfigurationSet', {
      ReputationOptions: { ReputationMetricsEnabled: true },
      SendingOptions: { SendingEnabled: true },
    });
  });

  it('publishes delivery events to the default event bus (the only bus SES can use)', () => {
    const [destination] = Object.values(
      stateless.findResources('AWS::SES::ConfigurationSetEventDestination'),
    );
    expect(destination?.Properties.ConfigurationSetName).toEqual({
      Ref: logicalId(built.stateless, built.stateless.email.configurationSet),
    });
    const eventDestination = destination?.Properties.EventDestination;
    expect(render(eventDestination.EventBridgeDestination.EventBusArn)).toBe(
      'arn:<AWS::Partition>:events:<AWS::Region>:<AWS::AccountId>:event-bus/default',
    );
    expect(eventDestination.Enabled).toBe(true);
    expect([...eventDestination.MatchingEventTypes].sort()).toEqual(
      [
        'bounce',
        'click',
        'complaint',
        'delivery',
        'deliveryDelay',
        'open',
        'reject',
        'renderingFailure',
        'send',
      ].sort(),
    );
  });

  it('verifies the sender domain as an SES identity that uses the configuration set', () => {
    stateless.hasResourceProperties('AWS::SES::EmailIdentity', {
      EmailIdentity: 'example.com',
      ConfigurationSetAttributes: {
        ConfigurationSetName: { Ref: logicalId(built.stateless, built.stateless.email.configurationSet) },
      },
    });
  });
});

describe('cdk-nag', () => {
  const packs = () => [new AwsSolutionsChecks(), new ServerlessChecks(), new PlatformChecks()];
  const violations = () =>
    packs().flatMap((pack) =>
      pack
        .validateScope(built.app)
        .violations.map(
          (v) =>
            `${v.severity} ${v.ruleName} at ${v.violatingResources.map((r) => r.constructPath).join(', ')}`,
        ),
    );

  it('finds no unacknowledged error or warning in either stack (AwsSolutions, Serverless, platform)', () => {
    expect(violations()).toEqual([]);
  });

  it('does report what it should (so the empty list above means something)', () => {
    const stack = new Stack(new App(), 'Careless');
    new sqs.Queue(stack, 'PlainQueue', { encryption: sqs.QueueEncryption.UNENCRYPTED });
    const fn = new lambda.Function(stack, 'Public', {
      runtime: lambda.Runtime.NODEJS_22_X,
      handler: 'index.handler',
      code: lambda.Code.fromInline('exports.handler = async () => {};'),
    });
    fn.addFunctionUrl({ authType: lambda.FunctionUrlAuthType.NONE });
    const rules = packs().flatMap((pack) => pack.validateScope(stack).violations.map((v) => v.ruleName));
    expect(rules).toEqual(
      expect.arrayContaining([
        'AwsSolutions-SQS2',
        'AwsSolutions-SQS3',
        'AwsSolutions-SQS4',
        'Serverless-SQSRedrivePolicy',
        'ContactTriggers-LambdaUrlAuth',
        'ContactTriggers-LambdaPublicPermission',
      ]),
    );
  });

  it('leaves CDK itself with no error or warning annotations', () => {
    for (const stack of [built.stateful, built.stateless]) {
      expect(Annotations.fromStack(stack).findError('*', Match.anyValue())).toEqual([]);
      expect(Annotations.fromStack(stack).findWarning('*', Match.anyValue())).toEqual([]);
    }
  });

  it('acknowledges exactly the reviewed findings, each on one resource with a reason', () => {
    const acknowledged: string[] = [];
    const visit = (node: IConstruct) => {
      for (const entry of node.node.metadata) {
        if (entry.type !== 'aws:cdk:acknowledged-rules') continue;
        for (const [id, reason] of Object.entries(entry.data as Record<string, string>)) {
          expect(reason.length, `${id} at ${node.node.path}`).toBeGreaterThan(40);
          // The event source mapping's id embeds the queue's unique id, a permission's the
          // function's; keep the list readable.
          const path = node.node.path
            .replace(/SqsEventSource:[^/]+/, 'SqsEventSource:<queue>')
            .replace(/\/(invoke-function(?:-url)?)[^/]*$/, '/$1');
          acknowledged.push(`${path} ${normalise(id.replace(/^annotation::/i, ''))}`);
        }
      }
      node.node.children.forEach(visit);
    };
    visit(built.app);
    const s = built.stateless.stackName;
    const f = built.stateful.stackName;
    const fnAcks = (path: string) => [
      `${s}/${path}/AsyncDlq/Resource Serverless-SQSRedrivePolicy`,
      `${s}/${path}/Function/Resource AwsSolutions-L1`,
      `${s}/${path}/Function/Resource Serverless-LambdaLatestVersion`,
      `${s}/${path}/Role/DefaultPolicy/Resource AwsSolutions-IAM5[Resource::*]`,
    ];
    const consumerAcks = (id: string) => [
      ...fnAcks(`${id}/Function`),
      `${s}/${id}/Buffer/Dlq/Resource Serverless-SQSRedrivePolicy`,
      `${s}/${id}/Function/Function/SqsEventSource:<queue>/Resource Serverless-LambdaEventSourceMappingDestination`,
    ];
    const endpoints = (path: string) =>
      [FCM_ENDPOINTS, APNS_ENDPOINTS].map(
        (arn) => `${s}/${path}/Role/DefaultPolicy/Resource AwsSolutions-IAM5[Resource::${arn}]`,
      );
    const schedules = `arn:<AWS::Partition>:scheduler:<AWS::Region>:<AWS::AccountId>:schedule/${refOf(built.stateless.deferred.scheduleGroup)}/*`;
    expect(acknowledged.sort()).toEqual(
      [
        `${f}/SigningSecrets/LinkKey/Resource AwsSolutions-SMG4`,
        `${f}/SigningSecrets/WebhookKey/Resource AwsSolutions-SMG4`,
        `${s}/CampaignRouting/Dlq/Resource AwsSolutions-SQS3`,
        `${s}/CampaignRouting/Dlq/Resource Serverless-SQSRedrivePolicy`,
        ...consumerAcks('Evaluate'),
        ...endpoints('Evaluate/Function'),
        `${s}/Evaluate/SmsPublish/Resource AwsSolutions-IAM5[Resource::*]`,
        `${s}/Evaluate/Function/Role/DefaultPolicy/Resource AwsSolutions-IAM5[Resource::${schedules}]`,
        ...fnAcks('Deferred/Function'),
        ...endpoints('Deferred/Function'),
        `${s}/Deferred/SmsPublish/Resource AwsSolutions-IAM5[Resource::*]`,
        ...consumerAcks('Profile'),
        ...endpoints('Profile/Function'),
        ...consumerAcks('Activity'),
        ...consumerAcks('Feedback'),
        ...fnAcks('DateTriggers/Function'),
        ...fnAcks('Preferences/Function'),
        `${s}/Preferences/Function/Function/FunctionUrl/Resource ContactTriggers-LambdaUrlAuth`,
        `${s}/Preferences/Function/Function/invoke-function ContactTriggers-LambdaPublicPermission`,
        `${s}/Preferences/Function/Function/invoke-function-url ContactTriggers-LambdaPublicPermission`,
        ...fnAcks('Export'),
        ...fnAcks('ContactMoments/Function'),
      ].sort(),
    );
  });
});
