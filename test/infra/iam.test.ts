import { Template } from 'aws-cdk-lib/assertions';
import type { IConstruct } from 'constructs';
import { beforeAll, describe, expect, it } from 'vitest';
import type { CampaignRoute } from '#infra/constructs/campaign-routing.ts';
import type { PlatformFunction } from '#infra/constructs/platform-function.ts';
import type { ContactApp } from '#infra/contact-app.ts';
import {
  APNS_APP,
  buildApp,
  dateRoute,
  FCM_APP,
  FUNCTION_NAMES,
  type FunctionName,
  fixtureStrategyJson,
  functionsOf,
  logicalId,
} from './helpers.ts';
import {
  type CfnTemplate,
  type Comparison,
  compareRole,
  endpointsOf,
  grant,
  NAMED_BY_DATA,
  type StackTemplates,
  XRAY_REASON,
} from './iam-derivation.ts';
import { bundleOf } from './sdk-usage.ts';

/**
 * IAM derived from the code (issue 6, Security): each function's role against what its bundle can
 * call (its SDK commands) on what its configuration names (the environment variables the bundle
 * reads, resolved in the synthesized template). The derivation and its rules are in
 * `iam-derivation.ts`; this file holds only what cannot be derived, each with its reason: grants the
 * code could make but the function's use case never does, and variables handed on, not called.
 */

/** One ordinary and one date-triggered campaign: every function exists, date-triggers included. */
const CAMPAIGNS: CampaignRoute[] = [
  {
    id: 'loyalty-third-order',
    pattern: { source: ['shop.orders'], 'detail-type': ['OrderPlaced'] },
    dateTrigger: false,
  },
  dateRoute('contract-renewal'),
];

let built: ContactApp;
let stacks: StackTemplates;
/** Each function's bundle, built once for this file (esbuild, the shared build options). */
const code = {} as Record<FunctionName, string>;

beforeAll(async () => {
  built = buildApp(CAMPAIGNS, { pushPlatformApplicationArns: { fcm: FCM_APP, apns: APNS_APP } });
  stacks = {
    [built.stateful.stackName]: Template.fromStack(built.stateful).toJSON() as CfnTemplate,
    [built.stateless.stackName]: Template.fromStack(built.stateless).toJSON() as CfnTemplate,
  };
  for (const name of FUNCTION_NAMES) code[name] = await bundleOf(name, fixtureStrategyJson());
}, 180_000);

const functions = () => functionsOf(built);

/** `<stack:LogicalId.Arn>`, as the derivation writes a resource. */
const arnIn = (stack: 'stateful' | 'stateless', construct: IConstruct) => {
  const s = built[stack];
  return `<${s.stackName}:${logicalId(s, construct)}.Arn>`;
};

/** The function, its role and its bundle, as the derivation takes them. */
const underTest = (name: FunctionName) => {
  const s = built.stateless;
  const fn = functions()[name];
  return {
    stack: s.stackName,
    functionId: logicalId(s, fn.function),
    roleId: logicalId(s, fn.role),
    code: code[name],
  };
};

const STORE = 'the customer store is one adapter with every table operation; this use case never calls it';
const INDEX =
  'the store’s lookups by message id and by date query gsi1; this use case makes neither (feedback and date-triggers do)';
const KEY_QUERIES = 'the store’s key queries are reachable; this use case only looks up through gsi1';
const SENDERS =
  'the push registry shares its module with the push and SMS senders; the profile function registers devices and sends nothing';

/**
 * Reachable but deliberately not granted: the code carries the call and the configuration names the
 * resource, but the function's use case never makes it. Each one is a grant the role is narrower
 * than the bundle by; a stale entry (no longer reachable) fails the test too.
 */
const notGranted = (name: FunctionName): Record<string, string> => {
  const table = arnIn('stateful', built.stateful.contactTable.table);
  const gsi1 = `${table}/index/gsi1`;
  const on = (resource: string, reason: string, ...actions: string[]) =>
    Object.fromEntries(actions.map((a) => [grant(`dynamodb:${a}`, resource), reason]));
  const store = (...actions: string[]) => on(table, STORE, ...actions);
  const byCase: Record<FunctionName, Record<string, string>> = {
    evaluate: { ...store('BatchWriteItem', 'DeleteItem'), ...on(gsi1, INDEX, 'Query') },
    deferred: { ...store('BatchWriteItem', 'DeleteItem', 'UpdateItem'), ...on(gsi1, INDEX, 'Query') },
    profile: {
      ...store('DeleteItem', 'GetItem'),
      ...on(gsi1, INDEX, 'Query'),
      [grant('sns:CheckIfPhoneNumberIsOptedOut', '*')]: SENDERS,
      [grant('sns:Publish', endpointsOf(FCM_APP))]: SENDERS,
      [grant('sns:Publish', endpointsOf(APNS_APP))]: SENDERS,
    },
    activity: { ...store('BatchWriteItem', 'DeleteItem'), ...on(gsi1, INDEX, 'Query') },
    feedback: { ...store('BatchWriteItem', 'DeleteItem'), ...on(table, KEY_QUERIES, 'Query') },
    'date-triggers': {
      ...store('BatchWriteItem', 'DeleteItem', 'GetItem', 'PutItem', 'UpdateItem'),
      ...on(table, KEY_QUERIES, 'Query'),
    },
    preferences: { ...store('BatchWriteItem', 'DeleteItem', 'GetItem'), ...on(gsi1, INDEX, 'Query') },
    export: {
      ...store('BatchWriteItem', 'DeleteItem', 'GetItem', 'PutItem', 'UpdateItem'),
      ...on(gsi1, INDEX, 'Query'),
    },
    'next-best-offer': { ...store('BatchWriteItem', 'DeleteItem'), ...on(gsi1, INDEX, 'Query') },
  };
  return byCase[name];
};

/** Variables that name a resource the function hands to another service and never calls itself. */
const HANDED_ON: Readonly<Record<string, string>> = {
  DEFERRED_FUNCTION_ARN:
    'the target of the deferred sends’ schedules: Scheduler invokes it with its own role',
  SCHEDULER_DLQ_ARN: 'the dead-letter queue of those schedules: Scheduler writes to it with its own role',
  PREFERENCES_URL: 'the base URL of the links in each message: the function never calls it',
};

const compare = (name: FunctionName, templates: StackTemplates = stacks): Comparison =>
  compareRole(underTest(name), templates, Object.keys(notGranted(name)));

describe('IAM derived from the code: each role against its bundle’s calls on its configured resources', () => {
  it.each(FUNCTION_NAMES)(
    '%s is granted nothing its code and configuration do not name (no over-grant)',
    (name) => {
      expect(compare(name).extra).toEqual([]);
    },
  );

  it.each(FUNCTION_NAMES)('%s is granted everything its code uses there (no missing grant)', (name) => {
    const { missing, staleExceptions } = compare(name);
    expect(missing).toEqual([]);
    expect(staleExceptions).toEqual([]);
  });

  it.each(FUNCTION_NAMES)(
    '%s reads only variables that name what it calls, or what it hands on (listed)',
    (name) => {
      const { derivation, expected } = compare(name);
      const called = new Set(expected.map((g) => g.variable));
      const idle = Object.keys(derivation.variables).filter((v) => !called.has(v));
      expect(idle.filter((v) => !(v in HANDED_ON))).toEqual([]);
      // Every function reaches the table through its configuration.
      expect(derivation.variables.TABLE_NAME).toEqual([
        `AWS::DynamoDB::Table ${logicalId(built.stateful, built.stateful.contactTable.table)}`,
      ]);
    },
  );

  it.each(FUNCTION_NAMES)('%s has Resource * only where AWS requires it, each with its reason', (name) => {
    const starred = compare(name).expected.filter((g) => g.resource === '*');
    const reasons = new Set([XRAY_REASON, ...NAMED_BY_DATA.map((d) => d.reason)]);
    for (const g of starred) expect(reasons).toContain(g.because);
    const sends = name === 'evaluate' || name === 'deferred';
    expect(starred.map((g) => g.action).sort()).toEqual(
      [
        'xray:PutTelemetryRecords',
        'xray:PutTraceSegments',
        ...(sends ? ['sns:CheckIfPhoneNumberIsOptedOut', 'sns:Publish'] : []),
      ].sort(),
    );
  });

  it('derives resources from configuration, data and plumbing (a sample, read whole)', () => {
    const s = built.stateless;
    const { expected } = compare('evaluate');
    const where = (action: string) =>
      [...new Set(expected.filter((g) => g.action === action).map((g) => g.resource))].sort();
    expect(where('sqs:SendMessage')).toEqual(
      [
        arnIn('stateless', s.evaluate.buffer.deadLetterQueue),
        arnIn('stateless', s.evaluate.fn.deadLetterQueue),
      ].sort(),
    );
    expect(where('iam:PassRole')).toEqual([arnIn('stateless', s.deferred.schedulerRole)]);
    expect(where('sns:Publish')).toEqual(['*', endpointsOf(APNS_APP), endpointsOf(FCM_APP)].sort());
    expect(where('kms:Encrypt')).toEqual([arnIn('stateful', built.stateful.contactTable.encryptionKey)]);
    expect(where('sqs:ReceiveMessage')).toEqual([arnIn('stateless', s.evaluate.buffer.queue)]);
  });
});

/** A copy of the templates to break on purpose. */
const mutable = (): Record<string, { Resources: Record<string, { Type: string; Properties: never }> }> =>
  structuredClone(stacks) as never;

/** The statements of the role's default policy (CDK's `<Role>DefaultPolicy…`), to edit. */
const statementsOfDefaultPolicy = (templates: ReturnType<typeof mutable>, name: FunctionName) => {
  const { stack, roleId } = underTest(name);
  const [policy] = Object.values(templates[stack]?.Resources ?? {}).filter(
    (r) =>
      r.Type === 'AWS::IAM::Policy' &&
      (r.Properties as { Roles: { Ref: string }[] }).Roles.some((role) => role.Ref === roleId),
  );
  if (!policy) throw new Error(`no policy for ${name}`);
  return (policy.Properties as { PolicyDocument: { Statement: Record<string, unknown>[] } }).PolicyDocument
    .Statement;
};

/** A function's environment variables in a copy of the templates, to edit. */
const environmentOf = (templates: ReturnType<typeof mutable>, fn: PlatformFunction) => {
  const s = built.stateless;
  const resource = templates[s.stackName]?.Resources[logicalId(s, fn.function)];
  if (!resource) throw new Error('no such function');
  return (resource.Properties as { Environment: { Variables: Record<string, unknown> } }).Environment
    .Variables;
};

describe('the comparison fails when the role and the code disagree (mutations)', () => {
  const stateful = () => built.stateful.stackName;
  const tableArnOutput = () => {
    const outputs = stacks[stateful()]?.Outputs ?? {};
    const id = logicalId(built.stateful, built.stateful.contactTable.table);
    const [name] = Object.entries(outputs).find(
      ([, o]) => JSON.stringify(o.Value) === JSON.stringify({ 'Fn::GetAtt': [id, 'Arn'] }),
    ) ?? [''];
    return { 'Fn::GetStackOutput': { StackName: stateful(), OutputName: name } };
  };

  it('reports a grant on a resource the function never names', () => {
    const templates = mutable();
    const feedbackDlq = logicalId(built.stateless, built.stateless.feedback.buffer.deadLetterQueue);
    statementsOfDefaultPolicy(templates, 'export').push({
      Action: 'sqs:SendMessage',
      Effect: 'Allow',
      Resource: { 'Fn::GetAtt': [feedbackDlq, 'Arn'] },
    });
    expect(compare('export', templates as StackTemplates).extra).toEqual([
      grant('sqs:SendMessage', arnIn('stateless', built.stateless.feedback.buffer.deadLetterQueue)),
    ]);
  });

  it('reports an action the function’s use case never makes, on a resource it does name', () => {
    const templates = mutable();
    statementsOfDefaultPolicy(templates, 'export').push({
      Action: ['dynamodb:DeleteItem'],
      Effect: 'Allow',
      Resource: tableArnOutput(),
    });
    expect(compare('export', templates as StackTemplates).extra).toEqual([
      grant('dynamodb:DeleteItem', arnIn('stateful', built.stateful.contactTable.table)),
    ]);
  });

  it('reports a Resource * without a reason', () => {
    const templates = mutable();
    statementsOfDefaultPolicy(templates, 'activity').push({
      Action: 'dynamodb:Query',
      Effect: 'Allow',
      Resource: '*',
    });
    expect(compare('activity', templates as StackTemplates).extra).toEqual([grant('dynamodb:Query', '*')]);
  });

  it('reports a removed statement as a used resource without a grant', () => {
    const templates = mutable();
    const statements = statementsOfDefaultPolicy(templates, 'evaluate');
    const index = statements.findIndex((s) => s.Action === 'ses:SendEmail');
    expect(index).toBeGreaterThanOrEqual(0);
    statements.splice(index, 1);
    const { missing, extra } = compare('evaluate', templates as StackTemplates);
    expect(extra).toEqual([]);
    expect(missing).toHaveLength(2);
    expect(missing.every((g) => g.startsWith('ses:SendEmail on arn:<AWS::Partition>:ses:'))).toBe(true);
  });

  it('follows the configuration: a variable pointed elsewhere moves the expected grant', () => {
    const templates = mutable();
    const s = built.stateless;
    const variables = environmentOf(templates, s.activity.fn);
    variables.DEAD_LETTER_QUEUE_URL = { Ref: logicalId(s, s.feedback.buffer.deadLetterQueue) };
    const { extra, missing } = compare('activity', templates as StackTemplates);
    expect(extra).toEqual([grant('sqs:SendMessage', arnIn('stateless', s.activity.buffer.deadLetterQueue))]);
    expect(missing).toEqual([
      grant('sqs:SendMessage', arnIn('stateless', s.feedback.buffer.deadLetterQueue)),
    ]);
  });

  it('follows the configuration: without its table variable, the table grants are over-grants', () => {
    const templates = mutable();
    const s = built.stateless;
    const variables = environmentOf(templates, s.exportFunction);
    delete variables.TABLE_NAME;
    const { extra } = compare('export', templates as StackTemplates);
    const table = arnIn('stateful', built.stateful.contactTable.table);
    const key = arnIn('stateful', built.stateful.contactTable.encryptionKey);
    expect(extra).toEqual([grant('dynamodb:Query', table), grant('kms:Decrypt', key)].sort());
  });

  it('follows the code: a bundle without the command makes its grant an over-grant', () => {
    const withoutEvents = code['date-triggers'].replace(/PutEventsCommand/g, 'SomethingElse');
    const { extra } = compareRole(
      { ...underTest('date-triggers'), code: withoutEvents },
      stacks,
      Object.keys(notGranted('date-triggers')),
    );
    expect(extra).toEqual([grant('events:PutEvents', arnIn('stateless', built.stateless.bus.eventBus))]);
  });
});
