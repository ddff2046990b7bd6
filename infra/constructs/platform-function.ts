import { existsSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Duration, RemovalPolicy } from 'aws-cdk-lib';
import * as iam from 'aws-cdk-lib/aws-iam';
import type * as kms from 'aws-cdk-lib/aws-kms';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import { NodejsFunction } from 'aws-cdk-lib/aws-lambda-nodejs';
import * as logs from 'aws-cdk-lib/aws-logs';
import * as sqs from 'aws-cdk-lib/aws-sqs';
import { Construct } from 'constructs';
import { cdkBundling, STRATEGY_VARIABLE, strategyBuild } from './function-bundling.ts';
import { acknowledge } from './nag.ts';

/** The repository root (where package.json and package-lock.json live), independent of the cwd. */
export const REPO_ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..');

export { STRATEGY_VARIABLE };

/**
 * Environment variables a caller may not set: the construct sets the first four itself, and the
 * strategy is inlined into the code (`bundledStrategyJson`), never an environment variable.
 */
const RESERVED_ENVIRONMENT = [
  'POWERTOOLS_SERVICE_NAME',
  'POWERTOOLS_METRICS_NAMESPACE',
  'POWERTOOLS_LOG_LEVEL',
  'NODE_OPTIONS',
  STRATEGY_VARIABLE,
] as const;

/**
 * The define reaches esbuild as one command-line argument (`--define:...=<JSON>`, no shell), and
 * Linux refuses a single argument longer than 128 KiB (MAX_ARG_STRLEN). Stop with a clear message
 * well before that.
 */
export const MAX_BUNDLED_STRATEGY_BYTES = 120_000;

/** Properties of {@link PlatformFunction}. */
export interface PlatformFunctionProps {
  /**
   * The function's name in the platform: the entry file is `functions/<name>.ts` and it is the
   * Powertools service name. Lower-case letters, digits and -.
   */
  readonly name: string;
  /** What the function does, for the console. */
  readonly description: string;
  /** Encrypts the function's dead-letter queue (the role gets just enough of it to write there). */
  readonly encryptionKey: kms.IKey;
  /** @default 256 */
  readonly memorySize?: number;
  /** @default Duration.seconds(10) */
  readonly timeout?: Duration;
  /** Extra environment, merged over the platform's; the platform's own keys cannot be overridden. */
  readonly environment?: Readonly<Record<string, string>>;
  /** @default 'INFO' */
  readonly logLevel?: 'DEBUG' | 'INFO' | 'WARN' | 'ERROR';
  /** @default logs.RetentionDays.ONE_MONTH */
  readonly logRetention?: logs.RetentionDays;
  /** @default 'ContactTriggers' */
  readonly metricsNamespace?: string;
  /**
   * The validated, sealed contact strategy with its templates as one JSON string
   * (`strategyBundleJson`), inlined into the code at build time (`strategyBuild`): esbuild's `define`
   * replaces the expression `process.env.CONTACT_STRATEGY_JSON`, which `functions/platform/engine.ts`
   * reads literally, and its templates arrive precompiled. Required for
   * every function that runs the decision engine (`engine()`, also through `store()`); leave it out
   * for the others. Never an environment variable: Lambda's 4 KB limit and console would both be in
   * the way, and the code and its strategy then deploy as one unit.
   *
   * @default - none: the function does not run the engine
   */
  readonly bundledStrategyJson?: string;
}

/**
 * The one way to define a Lambda function in this platform. It fixes the defaults no caller should
 * have to remember: Node.js 22 on arm64, an ESM bundle (minified, with source maps), an explicit log
 * group with retention, active X-Ray tracing, a KMS-encrypted dead-letter queue for asynchronous
 * invocations, the Powertools environment, 256 MB and 10 s. A function that runs the decision engine
 * gets the strategy inlined into its bundle (`bundledStrategyJson`), so code and strategy deploy as
 * one unit and nothing reads a file or parses YAML at run time.
 *
 * Tests that only inspect the template can skip bundling with CDK's own switch (the
 * `aws:cdk:bundling-stacks` context, see `createContactApp`'s `bundle` option): the function keeps
 * this exact shape, with an asset that was not built.
 *
 * The role is created here without the `AWSLambdaBasicExecutionRole` managed policy: the function
 * may write to its own log group only.
 *
 * The bundle itself (ESM, minified, the runtime's AWS SDK, precompiled templates) is defined once in
 * `function-bundling.ts`, which the bench and the bundle tests use too.
 */
export class PlatformFunction extends Construct implements iam.IGrantable {
  readonly function: NodejsFunction;
  readonly role: iam.Role;
  readonly logGroup: logs.LogGroup;
  readonly deadLetterQueue: sqs.Queue;

  constructor(scope: Construct, id: string, props: PlatformFunctionProps) {
    super(scope, id);

    if (!/^[a-z][a-z0-9-]*$/.test(props.name)) {
      throw new Error(`PlatformFunction name "${props.name}" must be lower-case letters, digits and -`);
    }
    const entry = join(REPO_ROOT, 'functions', `${props.name}.ts`);
    if (!existsSync(entry)) {
      throw new Error(
        `PlatformFunction "${props.name}": entry file functions/${props.name}.ts does not exist`,
      );
    }
    const reserved = Object.keys(props.environment ?? {}).filter((key) =>
      (RESERVED_ENVIRONMENT as readonly string[]).includes(key),
    );
    if (reserved.length > 0) {
      throw new Error(`PlatformFunction "${props.name}": environment may not set ${reserved.join(', ')}`);
    }
    const strategy = props.bundledStrategyJson;
    if (strategy !== undefined) {
      try {
        JSON.parse(strategy);
      } catch {
        throw new Error(`PlatformFunction "${props.name}": bundledStrategyJson is not JSON`);
      }
      const bytes = Buffer.byteLength(JSON.stringify(strategy));
      if (bytes > MAX_BUNDLED_STRATEGY_BYTES) {
        throw new Error(
          `PlatformFunction "${props.name}": the strategy with its templates is ${bytes} bytes as JSON; esbuild takes it as one command-line argument, which is limited to ${MAX_BUNDLED_STRATEGY_BYTES}`,
        );
      }
    }

    this.logGroup = new logs.LogGroup(this, 'LogGroup', {
      retention: props.logRetention ?? logs.RetentionDays.ONE_MONTH,
      // Logs outlive a replaced function for their retention period; they are evidence, and cost
      // nothing once expired.
      removalPolicy: RemovalPolicy.RETAIN,
    });

    this.deadLetterQueue = new sqs.Queue(this, 'AsyncDlq', {
      encryption: sqs.QueueEncryption.KMS,
      encryptionMasterKey: props.encryptionKey,
      enforceSSL: true,
      retentionPeriod: Duration.days(14),
    });

    this.role = new iam.Role(this, 'Role', {
      assumedBy: new iam.ServicePrincipal('lambda.amazonaws.com'),
      description: `Execution role of the ${props.name} function`,
    });
    this.logGroup.grantWrite(this.role);
    // Lambda's own DLQ wiring grants sqs:SendMessage only; an SSE-KMS queue also needs the key, or
    // failed asynchronous events would be dropped silently.
    iam.Grant.addToPrincipal({
      grantee: this.role,
      actions: ['kms:GenerateDataKey', 'kms:Decrypt'],
      resourceArns: [props.encryptionKey.keyArn],
    });

    this.function = new NodejsFunction(this, 'Function', {
      entry,
      handler: 'handler',
      projectRoot: REPO_ROOT,
      depsLockFilePath: join(REPO_ROOT, 'package-lock.json'),
      description: props.description,
      runtime: lambda.Runtime.NODEJS_22_X,
      architecture: lambda.Architecture.ARM_64,
      memorySize: props.memorySize ?? 256,
      timeout: props.timeout ?? Duration.seconds(10),
      role: this.role,
      logGroup: this.logGroup,
      tracing: lambda.Tracing.ACTIVE,
      deadLetterQueue: this.deadLetterQueue,
      awsSdkConnectionReuse: false,
      environment: {
        ...props.environment,
        POWERTOOLS_SERVICE_NAME: props.name,
        POWERTOOLS_METRICS_NAMESPACE: props.metricsNamespace ?? 'ContactTriggers',
        POWERTOOLS_LOG_LEVEL: props.logLevel ?? 'INFO',
        NODE_OPTIONS: '--enable-source-maps',
      },
      // One definition of the build for synth, bench and tests (function-bundling.ts); the strategy's
      // templates arrive precompiled, so the bundle carries Handlebars' runtime only.
      bundling: cdkBundling(strategy === undefined ? undefined : strategyBuild(strategy)),
    });

    acknowledge(
      this.function,
      {
        id: 'AwsSolutions-L1',
        reason:
          'Node.js 22 is the platform runtime on purpose: the bundle targets node22 and the code is tested on it; moving to a newer runtime is a deliberate, tested upgrade, not a drift.',
      },
      {
        id: 'Serverless-LambdaLatestVersion',
        reason: 'Node.js 22 is the platform runtime on purpose (see AwsSolutions-L1 on this function).',
      },
    );
    const defaultPolicy = this.role.node.tryFindChild('DefaultPolicy');
    if (defaultPolicy) {
      acknowledge(defaultPolicy, {
        id: 'AwsSolutions-IAM5[Resource::*]',
        reason:
          'X-Ray tracing (Tracing.ACTIVE): xray:PutTraceSegments and xray:PutTelemetryRecords do not support resource-level permissions, so their resource must be *.',
      });
    }
    acknowledge(this.deadLetterQueue, {
      id: 'Serverless-SQSRedrivePolicy',
      reason: 'This queue is itself a dead-letter queue; a DLQ of a DLQ would only move the problem.',
    });
  }

  get grantPrincipal(): iam.IPrincipal {
    return this.role;
  }
}
