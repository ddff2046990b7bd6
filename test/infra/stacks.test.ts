import { App, Stack } from 'aws-cdk-lib';
import { Annotations, Match, Template } from 'aws-cdk-lib/assertions';
import * as sqs from 'aws-cdk-lib/aws-sqs';
import { AwsSolutionsChecks, ServerlessChecks } from 'cdk-nag';
import type { IConstruct } from 'constructs';
import { beforeAll, describe, expect, it } from 'vitest';
import type { CampaignRoute } from '#infra/constructs/campaign-routing.ts';
import type { ContactApp } from '#infra/contact-app.ts';
import {
  buildApp,
  FIXTURE_STRATEGY_FILE,
  logicalId,
  permissionsOf,
  render,
  statementsOfRole,
} from './helpers.ts';

const FCM_APP = 'arn:aws:sns:eu-west-1:123456789012:app/GCM/shop';
const APNS_APP = 'arn:aws:sns:eu-west-1:123456789012:app/APNS/shop';

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
  { id: 'contract-renewal', dateTrigger: true },
];
const PATTERN_CAMPAIGNS = CAMPAIGNS.filter(
  (c): c is CampaignRoute & { pattern: Record<string, unknown> } => c.pattern !== undefined,
);

let built: ContactApp;
let stateful: Template;
let stateless: Template;

beforeAll(() => {
  built = buildApp(CAMPAIGNS, { pushPlatformApplicationArns: { fcm: FCM_APP, apns: APNS_APP } });
  stateful = Template.fromStack(built.stateful);
  stateless = Template.fromStack(built.stateless);
});

/** `<LogicalId.Arn>` of a construct in the stateless stack. */
const arnOf = (construct: IConstruct) => `<${logicalId(built.stateless, construct)}.Arn>`;
/** Matches a weak cross-stack reference to an attribute of a stateful-stack construct. */
const statefulOutput = (construct: IConstruct, attribute: 'Arn' | 'Ref') => {
  const id = logicalId(built.stateful, construct);
  const output = attribute === 'Arn' ? `PublishOutputFnGetAtt${id}Arn` : `PublishOutputRef${id}`;
  return expect.stringMatching(new RegExp(`^<${built.stateful.stackName}:${output}[0-9A-F]{8}>$`));
};

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

  it.each(['AWS::DynamoDB::Table', 'AWS::KMS::Key'])(
    'retains the %s when the stack or resource goes',
    (type) => {
      stateful.hasResource(type, { DeletionPolicy: 'Retain', UpdateReplacePolicy: 'Retain' });
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

describe('stateless stack: bus, archive and routing', () => {
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

  it('routes exactly the campaigns that have a pattern, one rule each', () => {
    const names = Object.values(stateless.findResources('AWS::Events::Rule')).map((r) => r.Properties.Name);
    expect(names.sort()).toEqual(PATTERN_CAMPAIGNS.map((c) => c.id).sort());
  });

  it.each(PATTERN_CAMPAIGNS)(
    'rule $id has exactly the campaign pattern and sends {campaignId, event} to the buffer',
    (campaign) => {
      const rules = stateless.findResources('AWS::Events::Rule', { Properties: { Name: campaign.id } });
      const rule = Object.values(rules)[0];
      expect(rule?.Properties.EventPattern).toEqual(campaign.pattern);
      expect(rule?.Properties.EventBusName).toEqual({
        Ref: logicalId(built.stateless, built.stateless.bus.eventBus),
      });

      const [target] = rule?.Properties.Targets ?? [];
      expect(render(target.Arn)).toBe(arnOf(built.stateless.buffer.queue));
      expect(render(target.DeadLetterConfig.Arn)).toBe(arnOf(built.stateless.routing.deadLetterQueue));
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

  it('creates the schedule group for date-triggered campaigns', () => {
    expect(built.stateless.routing.dateTriggerScheduleGroup).toBeDefined();
    stateless.hasResourceProperties('AWS::Scheduler::ScheduleGroup', {
      Tags: Match.arrayWith([{ Key: 'project', Value: 'contact-triggers' }]),
    });
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
});

describe('stateless stack: queues', () => {
  const queues = () => ({
    'trigger buffer': built.stateless.buffer.queue,
    'buffer DLQ': built.stateless.buffer.deadLetterQueue,
    'routing DLQ': built.stateless.routing.deadLetterQueue,
    'evaluate async DLQ': built.stateless.evaluate.fn.deadLetterQueue,
  });

  it.each(['trigger buffer', 'buffer DLQ', 'routing DLQ', 'evaluate async DLQ'] as const)(
    '%s is encrypted with the messaging key and refuses non-TLS requests',
    (name) => {
      const queue = queues()[name];
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
    },
  );

  it.each(['buffer DLQ', 'routing DLQ', 'evaluate async DLQ'] as const)(
    '%s keeps messages 14 days',
    (name) => {
      const id = logicalId(built.stateless, queues()[name]);
      expect(stateless.toJSON().Resources[id].Properties.MessageRetentionPeriod).toBe(14 * 24 * 3600);
    },
  );

  it('moves a message to the buffer DLQ after 5 receives', () => {
    const id = logicalId(built.stateless, built.stateless.buffer.queue);
    const redrive = stateless.toJSON().Resources[id].Properties.RedrivePolicy;
    expect(redrive.maxReceiveCount).toBe(5);
    expect(render(redrive.deadLetterTargetArn)).toBe(arnOf(built.stateless.buffer.deadLetterQueue));
  });

  it('hides a received message for at least 6× the evaluate timeout', () => {
    const queue = stateless.toJSON().Resources[logicalId(built.stateless, built.stateless.buffer.queue)];
    const fn = stateless.toJSON().Resources[logicalId(built.stateless, built.stateless.evaluate.fn.function)];
    expect(queue.Properties.VisibilityTimeout).toBeGreaterThanOrEqual(6 * fn.Properties.Timeout);
  });
});

describe('stateless stack: evaluate', () => {
  const fnProps = () =>
    stateless.toJSON().Resources[logicalId(built.stateless, built.stateless.evaluate.fn.function)].Properties;

  it('runs Node.js 22 on arm64 with active tracing, 256 MB and 10 s', () => {
    expect(fnProps()).toMatchObject({
      Runtime: 'nodejs22.x',
      Architectures: ['arm64'],
      TracingConfig: { Mode: 'Active' },
      MemorySize: 256,
      Timeout: 10,
      Handler: 'index.handler',
    });
  });

  it('logs to its own log group, kept one month', () => {
    const logGroupId = logicalId(built.stateless, built.stateless.evaluate.fn.logGroup);
    expect(fnProps().LoggingConfig).toEqual({ LogGroup: { Ref: logGroupId } });
    expect(stateless.toJSON().Resources[logGroupId].Properties.RetentionInDays).toBe(30);
  });

  it('dead-letters failed asynchronous invocations to its own queue', () => {
    expect(render(fnProps().DeadLetterConfig.TargetArn)).toBe(
      arnOf(built.stateless.evaluate.fn.deadLetterQueue),
    );
  });

  it('gets the table, configuration set, sender, strategy and Powertools settings as environment', () => {
    const env = fnProps().Environment.Variables as Record<string, unknown>;
    expect(Object.fromEntries(Object.entries(env).map(([k, v]) => [k, render(v)]))).toEqual({
      TABLE_NAME: statefulOutput(built.stateful.contactTable.table, 'Ref'),
      CONFIGURATION_SET: `<${logicalId(built.stateless, built.stateless.email.configurationSet)}>`,
      SENDER_EMAIL: 'marketing@example.com',
      SMS_SENDER_ID: 'Contact',
      STRATEGY_FILE: `/var/task/${FIXTURE_STRATEGY_FILE}`,
      POWERTOOLS_SERVICE_NAME: 'evaluate',
      POWERTOOLS_METRICS_NAMESPACE: 'ContactTriggers',
      POWERTOOLS_LOG_LEVEL: 'INFO',
      NODE_OPTIONS: '--enable-source-maps',
    });
  });

  it('consumes the buffer in batches of 10 with partial batch failures and a concurrency cap', () => {
    stateless.hasResourceProperties('AWS::Lambda::EventSourceMapping', {
      FunctionName: { Ref: logicalId(built.stateless, built.stateless.evaluate.fn.function) },
      EventSourceArn: { 'Fn::GetAtt': [logicalId(built.stateless, built.stateless.buffer.queue), 'Arn'] },
      BatchSize: 10,
      MaximumBatchingWindowInSeconds: 1,
      FunctionResponseTypes: ['ReportBatchItemFailures'],
      ScalingConfig: { MaximumConcurrency: 10 },
    });
  });

  it('may do exactly what it needs, on exactly its resources', () => {
    const fn = built.stateless.evaluate.fn;
    const roleId = logicalId(built.stateless, fn.role);
    const table = statefulOutput(built.stateful.contactTable.table, 'Arn');
    const tableKey = statefulOutput(built.stateful.contactTable.encryptionKey, 'Arn');
    const messagingKey = arnOf(built.stateless.messagingKey);
    const buffer = arnOf(built.stateless.buffer.queue);
    const configurationSetArn = `arn:<AWS::Partition>:ses:<AWS::Region>:<AWS::AccountId>:configuration-set/<${logicalId(built.stateless, built.stateless.email.configurationSet)}>`;
    const identityArn = 'arn:<AWS::Partition>:ses:<AWS::Region>:<AWS::AccountId>:identity/example.com';

    expect(permissionsOf(statementsOfRole(stateless, roleId))).toEqual({
      'dynamodb:ConditionCheckItem': [table],
      'dynamodb:PutItem': [table],
      'dynamodb:Query': [table],
      'dynamodb:UpdateItem': [table],
      'kms:Decrypt': expect.arrayContaining([messagingKey, tableKey]),
      'kms:Encrypt': [tableKey],
      'kms:GenerateDataKey': expect.arrayContaining([messagingKey, tableKey]),
      'logs:CreateLogStream': [arnOf(fn.logGroup)],
      'logs:PutLogEvents': [arnOf(fn.logGroup)],
      'ses:SendEmail': [configurationSetArn, identityArn].sort(),
      'sns:Publish': [
        '*',
        'arn:aws:sns:eu-west-1:123456789012:endpoint/APNS/shop/*',
        'arn:aws:sns:eu-west-1:123456789012:endpoint/GCM/shop/*',
      ],
      'sqs:ChangeMessageVisibility': [buffer],
      'sqs:DeleteMessage': [buffer],
      'sqs:GetQueueAttributes': [buffer],
      'sqs:GetQueueUrl': [buffer],
      'sqs:ReceiveMessage': [buffer],
      'sqs:SendMessage': [arnOf(fn.deadLetterQueue)],
      'xray:PutTelemetryRecords': ['*'],
      'xray:PutTraceSegments': ['*'],
    });
    const permissions = permissionsOf(statementsOfRole(stateless, roleId));
    expect(permissions['kms:Decrypt']).toHaveLength(2);
    expect(permissions['kms:GenerateDataKey']).toHaveLength(2);
  });

  it('uses the table key only through DynamoDB', () => {
    const roleId = logicalId(built.stateless, built.stateless.evaluate.fn.role);
    const tableKey = statefulOutput(built.stateful.contactTable.encryptionKey, 'Arn');
    const keyStatements = statementsOfRole(stateless, roleId).filter((s) =>
      s.resources.some((r) => tableKey.asymmetricMatch(r)),
    );
    expect(keyStatements).toHaveLength(1);
    const condition = keyStatements[0]?.condition as { StringEquals: Record<string, unknown> };
    expect(Object.keys(condition)).toEqual(['StringEquals']);
    expect(render(condition.StringEquals['kms:ViaService'])).toBe('dynamodb.<AWS::Region>.amazonaws.com');
  });

  it('has no wildcard actions, and Resource * only for X-Ray and SMS publishing (in its own policy)', () => {
    const roleId = logicalId(built.stateless, built.stateless.evaluate.fn.role);
    const statements = statementsOfRole(stateless, roleId);
    expect(statements.flatMap((s) => s.actions).filter((a) => a.includes('*'))).toEqual([]);
    const starred = statements.filter((s) => s.resources.includes('*'));
    expect(starred.map((s) => s.actions)).toEqual(
      expect.arrayContaining([['sns:Publish'], ['xray:PutTelemetryRecords', 'xray:PutTraceSegments']]),
    );
    expect(starred).toHaveLength(2);
    const sms = starred.find((s) => s.actions.includes('sns:Publish'));
    expect(sms?.policy).toBe(
      logicalId(built.stateless, built.stateless.evaluate.node.findChild('SmsPublish')),
    );
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
  const violations = () =>
    [new AwsSolutionsChecks(), new ServerlessChecks()].flatMap((pack) =>
      pack
        .validateScope(built.app)
        .violations.map(
          (v) =>
            `${v.severity} ${v.ruleName} at ${v.violatingResources.map((r) => r.constructPath).join(', ')}`,
        ),
    );

  it('finds no unacknowledged error or warning in either stack (AwsSolutions, Serverless)', () => {
    expect(violations()).toEqual([]);
  });

  it('does report what it should (so the empty list above means something)', () => {
    const stack = new Stack(new App(), 'Careless');
    new sqs.Queue(stack, 'PlainQueue', { encryption: sqs.QueueEncryption.UNENCRYPTED });
    const rules = [new AwsSolutionsChecks(), new ServerlessChecks()].flatMap((pack) =>
      pack.validateScope(stack).violations.map((v) => v.ruleName),
    );
    expect(rules).toEqual(
      expect.arrayContaining([
        'AwsSolutions-SQS2',
        'AwsSolutions-SQS3',
        'AwsSolutions-SQS4',
        'Serverless-SQSRedrivePolicy',
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
          // The event source mapping's id embeds the queue's unique id; keep the test readable.
          const path = node.node.path.replace(/SqsEventSource:[^/]+/, 'SqsEventSource:<queue>');
          acknowledged.push(`${path} ${id.replace(/^annotation::/i, '')}`);
        }
      }
      node.node.children.forEach(visit);
    };
    visit(built.app);
    const s = built.stateless.stackName;
    expect(acknowledged.sort()).toEqual(
      [
        `${s}/CampaignRouting/Dlq/Resource AwsSolutions-SQS3`,
        `${s}/CampaignRouting/Dlq/Resource Serverless-SQSRedrivePolicy`,
        `${s}/TriggerBuffer/Dlq/Resource Serverless-SQSRedrivePolicy`,
        `${s}/Evaluate/Function/AsyncDlq/Resource Serverless-SQSRedrivePolicy`,
        `${s}/Evaluate/Function/Function/Resource AwsSolutions-L1`,
        `${s}/Evaluate/Function/Function/Resource Serverless-LambdaLatestVersion`,
        `${s}/Evaluate/Function/Function/SqsEventSource:<queue>/Resource Serverless-LambdaEventSourceMappingDestination`,
        `${s}/Evaluate/Function/Role/DefaultPolicy/Resource AwsSolutions-IAM5[Resource::*]`,
        `${s}/Evaluate/Function/Role/DefaultPolicy/Resource AwsSolutions-IAM5[Resource::arn:aws:sns:eu-west-1:123456789012:endpoint/GCM/shop/*]`,
        `${s}/Evaluate/Function/Role/DefaultPolicy/Resource AwsSolutions-IAM5[Resource::arn:aws:sns:eu-west-1:123456789012:endpoint/APNS/shop/*]`,
        `${s}/Evaluate/SmsPublish/Resource AwsSolutions-IAM5[Resource::*]`,
      ].sort(),
    );
  });
});
