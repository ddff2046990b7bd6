import { existsSync } from 'node:fs';
import { dirname, join, posix, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Duration, RemovalPolicy } from 'aws-cdk-lib';
import * as iam from 'aws-cdk-lib/aws-iam';
import type * as kms from 'aws-cdk-lib/aws-kms';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import { NodejsFunction, OutputFormat } from 'aws-cdk-lib/aws-lambda-nodejs';
import * as logs from 'aws-cdk-lib/aws-logs';
import * as sqs from 'aws-cdk-lib/aws-sqs';
import { Construct } from 'constructs';
import { acknowledge } from './nag.ts';

/** The repository root (where package.json and package-lock.json live), independent of the cwd. */
export const REPO_ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..');

/** Where Lambda unpacks the bundle; files from `includePaths` keep their repo-relative path below it. */
export const LAMBDA_TASK_ROOT = '/var/task';

/** Environment variables the construct sets itself; a caller may not override them. */
const RESERVED_ENVIRONMENT = [
  'POWERTOOLS_SERVICE_NAME',
  'POWERTOOLS_METRICS_NAMESPACE',
  'POWERTOOLS_LOG_LEVEL',
  'NODE_OPTIONS',
] as const;

/**
 * ESM bundles have no `require`; CommonJS dependencies that esbuild inlines (the X-Ray SDK under the
 * Powertools tracer, for one) still call it. The alias avoids clashing with a bundled `createRequire`.
 */
const ESM_REQUIRE_BANNER =
  "import { createRequire as __platformCreateRequire } from 'node:module'; const require = __platformCreateRequire(import.meta.url);";

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
   * Repo-relative files or directories copied into the bundle at the same relative path (readable
   * at `/var/task/<path>`), e.g. the contact-strategy directory with its templates.
   *
   * @default - none
   */
  readonly includePaths?: readonly string[];
}

/**
 * The one way to define a Lambda function in this platform. It fixes the defaults no caller should
 * have to remember: Node.js 22 on arm64, an ESM bundle (minified, with source maps), an explicit log
 * group with retention, active X-Ray tracing, a KMS-encrypted dead-letter queue for asynchronous
 * invocations, the Powertools environment, 256 MB and 10 s.
 *
 * The role is created here without the `AWSLambdaBasicExecutionRole` managed policy: the function
 * may write to its own log group only.
 *
 * The AWS SDK v3 clients are bundled (`bundleAwsSDK`) rather than taken from the runtime: the
 * versions are then the ones pinned in package-lock.json and tested locally, not whatever the
 * runtime ships that week, and esbuild keeps only the clients used. A bundled, minified client
 * loads from one file; whether that beats the runtime's copy on cold start is debated and small
 * either way, while reproducibility is not.
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
    const includePaths = (props.includePaths ?? []).map((path) => posix.normalize(path));
    for (const path of includePaths) {
      if (path === '..' || path.startsWith('../') || posix.isAbsolute(path) || path === '.') {
        throw new Error(
          `PlatformFunction "${props.name}": includePaths "${path}" must be inside the repository`,
        );
      }
      if (!existsSync(join(REPO_ROOT, path))) {
        throw new Error(`PlatformFunction "${props.name}": includePaths "${path}" does not exist`);
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
      bundling: {
        format: OutputFormat.ESM,
        target: 'node22',
        mainFields: ['module', 'main'],
        banner: ESM_REQUIRE_BANNER,
        minify: true,
        sourceMap: true,
        sourcesContent: false,
        bundleAwsSDK: true,
        commandHooks: {
          beforeBundling: () => [],
          beforeInstall: () => [],
          afterBundling: (inputDir: string, outputDir: string) =>
            includePaths.map(
              (path) =>
                `mkdir -p "${posix.join(outputDir, posix.dirname(path))}" && cp -R "${posix.join(inputDir, path)}" "${posix.join(outputDir, path)}"`,
            ),
        },
      },
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
