import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { REPO_ROOT } from '#infra/constructs/platform-function.ts';
import { COMMAND_ACTIONS, sdkCommands } from './sdk-usage.ts';

/**
 * What a function's role should allow, derived from its code and its configuration, never declared:
 *
 * 1. **Actions** — the SDK commands its bundle imports (`sdkCommands`), through `COMMAND_ACTIONS`.
 * 2. **Resources** — a function can only reach what its configuration names. Its bundle reads some
 *    environment variables; the synthesized template says what each one names (`Ref`, `Fn::GetAtt`,
 *    a cross-stack `Fn::GetStackOutput`, a literal ARN or sender address). The composition roots
 *    (`functions/**`) say which SDK client each variable is handed to: a module that reads the
 *    variable and builds the client. So a command's actions apply to the resources named by the
 *    variables of the client that sends it, in the ARN form IAM uses for that action
 *    ({@link ARN_FORMS}): a table and the indexes the code queries, a schedule group's schedules,
 *    a platform application's endpoints, …
 * 3. **Resources named by data, not configuration** ({@link NAMED_BY_DATA}): a phone number or a push
 *    endpoint read from the customer's record. Each with its evidence in the code and its reason.
 * 4. **Plumbing** — what Lambda does with the function's role, from the function's own template
 *    properties: its log group, X-Ray when tracing is active, its on-failure DLQ, the queues of its
 *    event source mappings.
 * 5. **KMS** — for every resource above that is encrypted with a customer-managed key, the key
 *    operations the action needs of it ({@link KMS_NEEDS}).
 *
 * A grant is `action on resource`; the comparison with the role is two set differences. Conditions
 * (`kms:ViaService`, `iam:PassedToService`) are checked by their own tests.
 */

// ---------------------------------------------------------------------------------------------------
// The template, as JSON

/** One resource of a synthesized template (only the fields read here). */
export interface CfnResource {
  readonly Type: string;
  readonly Properties?: Record<string, unknown>;
}

/** A synthesized template (`Template#toJSON()`). */
export interface CfnTemplate {
  readonly Resources: Record<string, CfnResource>;
  readonly Outputs?: Record<string, { readonly Value: unknown }>;
}

/** Every stack of the app, by stack name: cross-stack references are resolved through them. */
export type StackTemplates = Readonly<Record<string, CfnTemplate>>;

/**
 * A CloudFormation value as one canonical string, the same whichever stack holds the reference:
 * `<stack:LogicalId>` for a `Ref`, `<stack:LogicalId.Attr>` for a `Fn::GetAtt`, `<AWS::Region>` for
 * a pseudo parameter, joins concatenated, and a cross-stack `Fn::GetStackOutput` replaced by the
 * producer's output value. So the variable `TABLE_NAME` and a policy's table ARN, both cross-stack,
 * end up naming the same `<stateful:ContactTable…>`.
 */
export function canon(value: unknown, stack: string, stacks: StackTemplates): string {
  if (typeof value === 'string') return value;
  const [key, arg] = (value !== null && typeof value === 'object' && Object.entries(value)[0]) || [];
  switch (key) {
    case 'Ref':
      return String(arg).startsWith('AWS::') ? `<${String(arg)}>` : `<${stack}:${String(arg)}>`;
    case 'Fn::GetAtt': {
      const [id, attribute] = arg as [string, string];
      return `<${stack}:${id}.${attribute}>`;
    }
    case 'Fn::Join': {
      const [separator, parts] = arg as [string, unknown[]];
      return parts.map((p) => canon(p, stack, stacks)).join(separator);
    }
    case 'Fn::GetStackOutput': {
      const { StackName, OutputName } = arg as { StackName: string; OutputName: string };
      const output = stacks[StackName]?.Outputs?.[OutputName];
      if (!output) throw new Error(`no output ${OutputName} in stack ${StackName}`);
      return canon(output.Value, StackName, stacks);
    }
  }
  throw new Error(`cannot read ${JSON.stringify(value)} (stack ${stack})`);
}

// ---------------------------------------------------------------------------------------------------
// What a variable names

/** A resource a variable names: one of the app's (with its template entry) or an external ARN. */
export type NamedResource =
  | { readonly kind: 'cfn'; readonly stack: string; readonly id: string; readonly resource: CfnResource }
  | { readonly kind: 'arn'; readonly arn: string; readonly type: string };

const ARN = /^arn:[^:]+:([^:]+):[^:]*:[^:]*:([^/:]+)/;
const ADDRESS = /^[^@\s]+@([^@\s]+)$/;

/**
 * The resources a configuration value names: the resource behind a `Ref`/`Fn::GetAtt` (also across
 * stacks), an external ARN (type `service:resource-type`, e.g. `sns:app` for a platform
 * application), or, for a sender address, the app's SES identity of that address or its domain.
 * Any other literal (a URL's text, a number, a sender id) names nothing.
 */
export function namedBy(value: unknown, stack: string, stacks: StackTemplates): NamedResource[] {
  if (typeof value === 'string') {
    const arn = ARN.exec(value);
    if (arn) return [{ kind: 'arn', arn: value, type: `${arn[1]}:${arn[2]}` }];
    const address = ADDRESS.exec(value);
    if (address) {
      const identities = Object.entries(stacks).flatMap(([name, t]) =>
        Object.entries(t.Resources)
          .filter(([, r]) => r.Type === 'AWS::SES::EmailIdentity')
          .filter(([, r]) => [value, address[1]].includes(String(r.Properties?.EmailIdentity)))
          .map(([id, resource]) => ({ kind: 'cfn' as const, stack: name, id, resource })),
      );
      if (identities.length === 0)
        throw new Error(`the sender address ${value} has no SES identity in the app`);
      return identities;
    }
    return [];
  }
  const [key, arg] = (value !== null && typeof value === 'object' && Object.entries(value)[0]) || [];
  const local = (id: string): NamedResource[] => {
    const resource = stacks[stack]?.Resources[id];
    if (!resource) throw new Error(`no resource ${id} in stack ${stack}`);
    return [{ kind: 'cfn', stack, id, resource }];
  };
  switch (key) {
    case 'Ref':
      return local(String(arg));
    case 'Fn::GetAtt':
      return local((arg as string[])[0] ?? '');
    case 'Fn::GetStackOutput': {
      const { StackName, OutputName } = arg as { StackName: string; OutputName: string };
      const output = stacks[StackName]?.Outputs?.[OutputName];
      if (!output) throw new Error(`no output ${OutputName} in stack ${StackName}`);
      return namedBy(output.Value, StackName, stacks);
    }
  }
  throw new Error(`cannot tell what ${JSON.stringify(value)} names (stack ${stack})`);
}

const arnOf = (r: Extract<NamedResource, { kind: 'cfn' }>) => `<${r.stack}:${r.id}.Arn>`;
const refOf = (r: Extract<NamedResource, { kind: 'cfn' }>) => `<${r.stack}:${r.id}>`;
const regional = (service: string, rest: string) =>
  `arn:<AWS::Partition>:${service}:<AWS::Region>:<AWS::AccountId>:${rest}`;
/** `arn:…:sns:…:app/GCM/shop` → `arn:…:sns:…:endpoint/GCM/shop/*`: the devices registered under it. */
export const endpointsOf = (applicationArn: string) => `${applicationArn.replace(':app/', ':endpoint/')}/*`;

/**
 * The ARNs an action is authorized against, for each kind of resource a variable can name (the
 * Service Authorization Reference's resource types, in the forms CDK writes them). `[]`: the action
 * does not act on that kind (e.g. `sqs:SendMessage` on a Lambda function). A kind not listed fails
 * the derivation: add it here.
 */
const ARN_FORMS: Readonly<Record<string, (r: NamedResource, action: string, code: string) => string[]>> = {
  // A Query through an index is authorized on the index's ARN: the indexes the code names.
  'AWS::DynamoDB::Table': (r, action, code) => {
    if (r.kind !== 'cfn' || !action.startsWith('dynamodb:')) return [];
    const indexes = (r.resource.Properties?.GlobalSecondaryIndexes ?? []) as { IndexName: string }[];
    const queried = indexes
      .map((i) => i.IndexName)
      .filter((name) => action === 'dynamodb:Query' && code.includes(`IndexName:${JSON.stringify(name)}`));
    return [arnOf(r), ...queried.map((name) => `${arnOf(r)}/index/${name}`)];
  },
  'AWS::SQS::Queue': (r, action) => (r.kind === 'cfn' && action.startsWith('sqs:') ? [arnOf(r)] : []),
  // A secret's Ref is its ARN.
  'AWS::SecretsManager::Secret': (r, action) =>
    r.kind === 'cfn' && action.startsWith('secretsmanager:') ? [refOf(r)] : [],
  'AWS::Events::EventBus': (r, action) =>
    r.kind === 'cfn' && action === 'events:PutEvents' ? [arnOf(r)] : [],
  // Schedules are authorized by their own ARN, under their group: every schedule of the group.
  'AWS::Scheduler::ScheduleGroup': (r, action) =>
    r.kind === 'cfn' && action === 'scheduler:CreateSchedule'
      ? [regional('scheduler', `schedule/${refOf(r)}/*`)]
      : [],
  'AWS::IAM::Role': (r, action) => (r.kind === 'cfn' && action === 'iam:PassRole' ? [arnOf(r)] : []),
  // SendEmail is authorized on the sending identity and on the configuration set it names.
  'AWS::SES::ConfigurationSet': (r, action) =>
    r.kind === 'cfn' && action === 'ses:SendEmail' ? [regional('ses', `configuration-set/${refOf(r)}`)] : [],
  'AWS::SES::EmailIdentity': (r, action) =>
    r.kind === 'cfn' && action === 'ses:SendEmail'
      ? [regional('ses', `identity/${String(r.resource.Properties?.EmailIdentity)}`)]
      : [],
  // A platform application: endpoints are created under it, then read, updated and published to.
  'sns:app': (r, action) => {
    if (r.kind !== 'arn') return [];
    if (action === 'sns:CreatePlatformEndpoint') return [r.arn];
    const onEndpoints = ['sns:GetEndpointAttributes', 'sns:SetEndpointAttributes', 'sns:Publish'];
    return onEndpoints.includes(action) ? [endpointsOf(r.arn)] : [];
  },
  // Named to be handed on (a schedule's target, the preference pages' URL), never called.
  'AWS::Lambda::Function': () => [],
  'AWS::Lambda::Url': () => [],
};

const typeOf = (r: NamedResource) => (r.kind === 'cfn' ? r.resource.Type : r.type);

// ---------------------------------------------------------------------------------------------------
// Which client each variable is handed to

/** The composition roots: every module of `functions/`, where variables are read and clients built. */
function compositionRoots(): { file: string; source: string }[] {
  const dirs = ['functions', 'functions/platform'];
  return dirs.flatMap((dir) =>
    readdirSync(join(REPO_ROOT, dir))
      .filter((f) => f.endsWith('.ts'))
      .map((f) => ({ file: `${dir}/${f}`, source: readFileSync(join(REPO_ROOT, dir, f), 'utf8') })),
  );
}

/** The document client sends its commands through the DynamoDB client it wraps. */
const SENT_THROUGH: Readonly<Record<string, string>> = {
  '@aws-sdk/lib-dynamodb': '@aws-sdk/client-dynamodb',
};

/**
 * variable → the SDK packages of the clients it is handed to: a module of `functions/` that reads
 * the variable and builds a client (imports it from `#shared/adapters/aws-clients/`) hands the
 * variable to that client's adapter. The client module's own SDK import says its package.
 */
export function clientsOfVariables(variables: readonly string[]): Map<string, Set<string>> {
  const packagesOfClient = (name: string) =>
    [
      ...readFileSync(join(REPO_ROOT, 'shared/adapters/aws-clients', `${name}.ts`), 'utf8').matchAll(
        /from '(@aws-sdk\/[^']+)'/g,
      ),
    ].map((m) => m[1] ?? '');
  const out = new Map<string, Set<string>>();
  for (const { source } of compositionRoots()) {
    const clients = [...source.matchAll(/from '#shared\/adapters\/aws-clients\/([\w-]+)\.ts'/g)].flatMap(
      (m) => packagesOfClient(m[1] ?? ''),
    );
    for (const variable of variables.filter((v) => new RegExp(`\\b${v}\\b`).test(source))) {
      const set = out.get(variable) ?? new Set<string>();
      for (const pkg of clients) set.add(pkg);
      out.set(variable, set);
    }
  }
  return out;
}

// ---------------------------------------------------------------------------------------------------
// Resources named by data, plumbing, KMS

/**
 * Resources a function reaches through data it reads, not through its configuration, each with the
 * evidence in its code and the reason. `*` appears only here and for X-Ray, where AWS requires it.
 */
export const NAMED_BY_DATA: readonly {
  readonly action: string;
  /** The code does this (a minified bundle keeps object keys and string literals as written). */
  readonly evidence: RegExp;
  readonly resources: (app: { platformApplications: string[] }) => string[];
  readonly reason: string;
}[] = [
  {
    action: 'sns:Publish',
    evidence: /\bPhoneNumber:/,
    resources: () => ['*'],
    reason:
      'SMS: Publish to the customer’s phone number; a phone number has no ARN, so IAM accepts only Resource *',
  },
  {
    action: 'sns:CheckIfPhoneNumberIsOptedOut',
    evidence: /./,
    resources: () => ['*'],
    reason: 'sns:CheckIfPhoneNumberIsOptedOut has no resource type in IAM: only Resource * is accepted',
  },
  {
    action: 'sns:Publish',
    evidence: /\bTargetArn:/,
    resources: ({ platformApplications }) => platformApplications.map(endpointsOf),
    reason:
      'push: Publish to the endpoint ARN on the customer’s device record, which the profile function created under one of the app’s platform applications (the PUSH_APP_* variables)',
  },
];

/** AWS requires `*`: X-Ray's trace actions have no resource types. */
export const XRAY_REASON =
  'X-Ray’s PutTraceSegments and PutTelemetryRecords have no resource type: Resource *';

/**
 * What Lambda's SQS event source does with the function's role on the queue it polls: receive and
 * delete, and read the queue's attributes (AWS's own `AWSLambdaSQSQueueExecutionRole` is exactly
 * these three). Not `sqs:ChangeMessageVisibility` or `sqs:GetQueueUrl`, which CDK's
 * `SqsEventSource` adds: a failed record waits out its visibility timeout.
 */
const EVENT_SOURCE_ACTIONS = ['sqs:ReceiveMessage', 'sqs:DeleteMessage', 'sqs:GetQueueAttributes'];

/**
 * The key operations an action needs of the customer-managed key of the resource it acts on: reads
 * decrypt; writes to the table encrypt (data keys come from DynamoDB's own use of the key, as
 * `grantWriteData` gives them); a producer to an encrypted queue needs a data key and to decrypt it
 * (SQS SSE docs); a consumer decrypts; a secret is decrypted.
 */
export const KMS_NEEDS: Readonly<Record<string, readonly string[]>> = {
  'dynamodb:Query': ['kms:Decrypt'],
  'dynamodb:GetItem': ['kms:Decrypt'],
  'dynamodb:PutItem': ['kms:Decrypt', 'kms:Encrypt', 'kms:GenerateDataKey'],
  'dynamodb:UpdateItem': ['kms:Decrypt', 'kms:Encrypt', 'kms:GenerateDataKey'],
  'dynamodb:DeleteItem': ['kms:Decrypt', 'kms:Encrypt', 'kms:GenerateDataKey'],
  'dynamodb:BatchWriteItem': ['kms:Decrypt', 'kms:Encrypt', 'kms:GenerateDataKey'],
  'sqs:SendMessage': ['kms:Decrypt', 'kms:GenerateDataKey'],
  'sqs:ReceiveMessage': ['kms:Decrypt'],
  'secretsmanager:GetSecretValue': ['kms:Decrypt'],
};

/** The customer-managed key a resource is encrypted with, if any. */
function keyOf(r: NamedResource, stacks: StackTemplates): string | undefined {
  if (r.kind !== 'cfn') return undefined;
  const p = r.resource.Properties ?? {};
  const key =
    (p.SSESpecification as { KMSMasterKeyId?: unknown } | undefined)?.KMSMasterKeyId ??
    p.KmsMasterKeyId ??
    p.KmsKeyId;
  return key === undefined ? undefined : canon(key, r.stack, stacks);
}

// ---------------------------------------------------------------------------------------------------
// The derivation

/** One grant, as compared: `action on resource`. */
export const grant = (action: string, resource: string) => `${action} on ${resource}`;

/** A derived grant with where it comes from (shown when a comparison fails). */
export interface DerivedGrant {
  readonly action: string;
  readonly resource: string;
  readonly because: string;
  /** The environment variable that names the resource, when configuration names it. */
  readonly variable?: string;
  /** The resource's customer-managed key, when it has one. */
  readonly key?: string;
}

export interface FunctionUnderTest {
  /** Stack name and logical id of the `AWS::Lambda::Function`. */
  readonly stack: string;
  readonly functionId: string;
  /** Its bundle's code. */
  readonly code: string;
}

export interface Derivation {
  /** The variables the bundle reads that name a resource, with what they name. */
  readonly variables: Record<string, string[]>;
  /** Reachable from the code through its configuration or data (step 2 and 3). */
  readonly used: DerivedGrant[];
  /** What Lambda does with the role (step 4). */
  readonly plumbing: DerivedGrant[];
}

/** Steps 1–4 for one function (KMS is step 5, {@link kmsFor}, on the grants kept). */
export function derive(fn: FunctionUnderTest, stacks: StackTemplates): Derivation {
  const template = stacks[fn.stack];
  const props = template?.Resources[fn.functionId]?.Properties;
  if (!template || !props) throw new Error(`no function ${fn.functionId} in ${fn.stack}`);
  const environment = ((props.Environment as { Variables?: Record<string, unknown> } | undefined)
    ?.Variables ?? {}) as Record<string, unknown>;

  // The variables the bundle reads (a minified bundle keeps `loadConfig`'s keys as written).
  const read = Object.keys(environment).filter((v) => new RegExp(`\\b${v}\\b`).test(fn.code));
  const named = Object.fromEntries(read.map((v) => [v, namedBy(environment[v], fn.stack, stacks)]));
  const clients = clientsOfVariables(read);
  const platformApplications = Object.values(stacks).flatMap((t) =>
    Object.values(t.Resources)
      .filter((r) => r.Type === 'AWS::Lambda::Function')
      .flatMap((r) => Object.values((r.Properties?.Environment as { Variables?: object })?.Variables ?? {}))
      .filter((v): v is string => typeof v === 'string' && ARN.exec(v)?.slice(1).join(':') === 'sns:app'),
  );

  const used: DerivedGrant[] = [];
  for (const command of sdkCommands(fn.code)) {
    const [pkg = '', name = ''] = command.split('#');
    const actions = COMMAND_ACTIONS[pkg]?.[name];
    if (!actions) throw new Error(`${command} is not in COMMAND_ACTIONS (test/infra/sdk-usage.ts)`);
    const client = SENT_THROUGH[pkg] ?? pkg;
    for (const action of actions) {
      for (const [variable, resources] of Object.entries(named)) {
        if (!clients.get(variable)?.has(client)) continue;
        for (const r of resources) {
          const form = ARN_FORMS[typeOf(r)];
          if (!form) throw new Error(`${variable} names a ${typeOf(r)}: add its ARN forms to ARN_FORMS`);
          for (const resource of form(r, action, fn.code)) {
            const key = keyOf(r, stacks);
            used.push({ action, resource, because: `${name} (${variable})`, variable, ...(key && { key }) });
          }
        }
      }
      for (const data of NAMED_BY_DATA.filter((d) => d.action === action && d.evidence.test(fn.code))) {
        for (const resource of data.resources({ platformApplications })) {
          used.push({ action, resource, because: data.reason });
        }
      }
    }
  }

  const plumbing: DerivedGrant[] = [];
  const queue = (value: unknown, because: string, actions: readonly string[]) => {
    for (const r of namedBy(value, fn.stack, stacks)) {
      if (r.kind !== 'cfn' || r.resource.Type !== 'AWS::SQS::Queue')
        throw new Error(`${because}: not a queue`);
      const key = keyOf(r, stacks);
      for (const action of actions)
        plumbing.push({ action, resource: arnOf(r), because, ...(key && { key }) });
    }
  };
  const logGroup = (props.LoggingConfig as { LogGroup?: unknown } | undefined)?.LogGroup;
  if (logGroup === undefined) throw new Error(`${fn.functionId} has no log group of its own`);
  for (const action of ['logs:CreateLogStream', 'logs:PutLogEvents']) {
    const [r] = namedBy(logGroup, fn.stack, stacks);
    if (r?.kind === 'cfn') plumbing.push({ action, resource: arnOf(r), because: 'Lambda writes its logs' });
  }
  if ((props.TracingConfig as { Mode?: string } | undefined)?.Mode === 'Active') {
    for (const action of ['xray:PutTraceSegments', 'xray:PutTelemetryRecords']) {
      plumbing.push({ action, resource: '*', because: XRAY_REASON });
    }
  }
  const dlq = (props.DeadLetterConfig as { TargetArn?: unknown } | undefined)?.TargetArn;
  if (dlq !== undefined)
    queue(dlq, 'Lambda’s on-failure DLQ for asynchronous invocations', ['sqs:SendMessage']);
  for (const mapping of Object.values(template.Resources).filter(
    (r) =>
      r.Type === 'AWS::Lambda::EventSourceMapping' &&
      canon(r.Properties?.FunctionName, fn.stack, stacks) === `<${fn.stack}:${fn.functionId}>`,
  )) {
    queue(mapping.Properties?.EventSourceArn, 'the SQS event source polls its queue', EVENT_SOURCE_ACTIONS);
  }

  return {
    variables: Object.fromEntries(
      Object.entries(named)
        .filter(([, r]) => r.length > 0)
        .map(([v, r]) => [v, r.map((x) => (x.kind === 'cfn' ? `${x.resource.Type} ${x.id}` : x.arn))]),
    ),
    used,
    plumbing,
  };
}

/** Step 5: the key operations the kept grants need, on the keys of their resources. */
export function kmsFor(grants: readonly DerivedGrant[]): DerivedGrant[] {
  return grants.flatMap((g) =>
    g.key
      ? (KMS_NEEDS[g.action] ?? []).map((action) => ({
          action,
          resource: g.key as string,
          because: `${g.action} on a resource encrypted with this key`,
        }))
      : [],
  );
}

// ---------------------------------------------------------------------------------------------------
// The role

/** Every `action on resource` the role's policies allow (attached and inline), in canonical form. */
export function grantsOfRole(stack: string, roleId: string, stacks: StackTemplates): string[] {
  const template = stacks[stack];
  if (!template) throw new Error(`no stack ${stack}`);
  const list = (v: unknown): unknown[] => (Array.isArray(v) ? v : v === undefined ? [] : [v]);
  const documents: unknown[] = [];
  for (const r of Object.values(template.Resources)) {
    if (r.Type !== 'AWS::IAM::Policy') continue;
    if (list(r.Properties?.Roles).some((role) => canon(role, stack, stacks) === `<${stack}:${roleId}>`)) {
      documents.push(r.Properties?.PolicyDocument);
    }
  }
  for (const inline of list(template.Resources[roleId]?.Properties?.Policies)) {
    documents.push((inline as { PolicyDocument: unknown }).PolicyDocument);
  }
  const out = new Set<string>();
  for (const document of documents) {
    for (const raw of list((document as { Statement?: unknown }).Statement)) {
      const s = raw as Record<string, unknown>;
      if (s.NotAction !== undefined || s.NotResource !== undefined || s.Effect !== 'Allow') {
        throw new Error(`a statement this comparison cannot read: ${JSON.stringify(s)}`);
      }
      for (const action of list(s.Action)) {
        for (const resource of list(s.Resource))
          out.add(grant(String(action), canon(resource, stack, stacks)));
      }
    }
  }
  return [...out].sort();
}

// ---------------------------------------------------------------------------------------------------
// The comparison

/** The role against the derivation: each list empty when they agree. */
export interface Comparison {
  /** Granted, but not derived: a resource or action the function's code and configuration never name. */
  readonly extra: string[];
  /** Derived (and not listed as deliberately left out), but not granted: the function would fail. */
  readonly missing: string[];
  /** Listed as deliberately left out, but no longer derived: a stale exception. */
  readonly staleExceptions: string[];
  /** Everything derived, each with where it comes from. */
  readonly expected: DerivedGrant[];
  readonly derivation: Derivation;
}

/**
 * Compares a function's role with what its code reaches through its configuration. `notGranted`
 * lists grants the derivation finds reachable (the code carries the call, the configuration names
 * the resource) that the function's use case never makes, so the role leaves them out; KMS follows
 * the grants kept.
 */
export function compareRole(
  fn: FunctionUnderTest & { readonly roleId: string },
  stacks: StackTemplates,
  notGranted: readonly string[] = [],
): Comparison {
  const derivation = derive(fn, stacks);
  const reachable = new Set(derivation.used.map((g) => grant(g.action, g.resource)));
  const kept = [
    ...derivation.used.filter((g) => !notGranted.includes(grant(g.action, g.resource))),
    ...derivation.plumbing,
  ];
  const expected = [...kept, ...kmsFor(kept)];
  const expectedSet = new Set(expected.map((g) => grant(g.action, g.resource)));
  const granted = grantsOfRole(fn.stack, fn.roleId, stacks);
  return {
    extra: granted.filter((g) => !expectedSet.has(g)),
    missing: [...expectedSet].filter((g) => !granted.includes(g)).sort(),
    staleExceptions: notGranted.filter((g) => !reachable.has(g)),
    expected,
    derivation,
  };
}
