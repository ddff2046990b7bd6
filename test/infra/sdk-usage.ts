import { join } from 'node:path';
import { build } from 'esbuild';
import { esbuildOptions, strategyBuild } from '#infra/constructs/function-bundling.ts';
import { REPO_ROOT } from '#infra/constructs/platform-function.ts';

/**
 * What each function's code can call on AWS, read from its bundle: the runtime provides the AWS SDK
 * (ADR 0003), so esbuild leaves every SDK import in the minified ESM output as written, e.g.
 * `import{QueryCommand as x}from"@aws-sdk/client-dynamodb"`. Tree-shaking has already dropped what the
 * function cannot reach, so the commands left are the function's AWS surface.
 */

/**
 * Every SDK command the platform may use, and the IAM actions it needs. A command a bundle imports
 * that is missing here fails the IAM test (`iam.test.ts`): add it, with its actions, and review the
 * grant. On which resources is derived from the function's configuration (`iam-derivation.ts`).
 */
export const COMMAND_ACTIONS: Readonly<Record<string, Readonly<Record<string, readonly string[]>>>> = {
  '@aws-sdk/client-dynamodb': {
    QueryCommand: ['dynamodb:Query'],
    PutItemCommand: ['dynamodb:PutItem'],
    UpdateItemCommand: ['dynamodb:UpdateItem'],
  },
  // The document client's commands are the same operations, with marshalling.
  '@aws-sdk/lib-dynamodb': {
    QueryCommand: ['dynamodb:Query'],
    GetCommand: ['dynamodb:GetItem'],
    PutCommand: ['dynamodb:PutItem'],
    UpdateCommand: ['dynamodb:UpdateItem'],
    DeleteCommand: ['dynamodb:DeleteItem'],
    BatchWriteCommand: ['dynamodb:BatchWriteItem'],
  },
  '@aws-sdk/client-sesv2': { SendEmailCommand: ['ses:SendEmail'] },
  '@aws-sdk/client-sns': {
    PublishCommand: ['sns:Publish'],
    CheckIfPhoneNumberIsOptedOutCommand: ['sns:CheckIfPhoneNumberIsOptedOut'],
    CreatePlatformEndpointCommand: ['sns:CreatePlatformEndpoint'],
    GetEndpointAttributesCommand: ['sns:GetEndpointAttributes'],
    SetEndpointAttributesCommand: ['sns:SetEndpointAttributes'],
  },
  '@aws-sdk/client-sqs': { SendMessageCommand: ['sqs:SendMessage'] },
  // A schedule names the role Scheduler assumes to invoke its target: creating it passes that role.
  '@aws-sdk/client-scheduler': { CreateScheduleCommand: ['scheduler:CreateSchedule', 'iam:PassRole'] },
  '@aws-sdk/client-secrets-manager': { GetSecretValueCommand: ['secretsmanager:GetSecretValue'] },
  '@aws-sdk/client-eventbridge': { PutEventsCommand: ['events:PutEvents'] },
};

/**
 * The SDK packages a bundle may import: each is in the Lambda Node.js runtime's SDK (clients and the
 * DynamoDB document and marshalling libraries, which runtime stack traces show under
 * /var/runtime/node_modules/@aws-sdk/). A new package fails the bundle test until checked there.
 */
export const RUNTIME_SDK_PACKAGES = [
  '@aws-sdk/client-dynamodb',
  '@aws-sdk/client-eventbridge',
  '@aws-sdk/client-scheduler',
  '@aws-sdk/client-secrets-manager',
  '@aws-sdk/client-sesv2',
  '@aws-sdk/client-sns',
  '@aws-sdk/client-sqs',
  '@aws-sdk/lib-dynamodb',
  '@aws-sdk/util-dynamodb',
] as const;

export interface SdkImport {
  readonly pkg: string;
  readonly names: readonly string[];
}

/** The SDK imports of a minified ESM bundle (`import{A as b,C as d}from"@aws-sdk/x"`). */
export function sdkImports(code: string): SdkImport[] {
  const byPackage = new Map<string, Set<string>>();
  for (const m of code.matchAll(
    /import\s*(?:\{([^}]*)\}|\*\s*as\s*[\w$]+|[\w$]+)?\s*(?:from\s*)?"(@aws-sdk\/[^"]+)"/g,
  )) {
    const pkg = m[2] ?? '';
    const names = byPackage.get(pkg) ?? new Set<string>();
    for (const part of (m[1] ?? '').split(',')) {
      const name = part.trim().split(/\s+as\s+/)[0];
      if (name) names.add(name);
    }
    byPackage.set(pkg, names);
  }
  return [...byPackage]
    .map(([pkg, names]) => ({ pkg, names: [...names].sort() }))
    .sort((a, b) => a.pkg.localeCompare(b.pkg));
}

/** `package#Command` for every SDK command a bundle imports. */
export function sdkCommands(code: string): string[] {
  return sdkImports(code)
    .flatMap(({ pkg, names }) => names.filter((n) => n.endsWith('Command')).map((n) => `${pkg}#${n}`))
    .sort();
}

/**
 * Builds a function's bundle exactly as `cdk synth` does (the shared build options), in memory, with
 * the given sealed strategy.
 */
export async function bundleOf(name: string, strategyJson: string): Promise<string> {
  const result = await build({
    ...esbuildOptions(strategyBuild(strategyJson)),
    entryPoints: [join(REPO_ROOT, 'functions', `${name}.ts`)],
    absWorkingDir: REPO_ROOT,
    write: false,
  });
  return result.outputFiles[0]?.text ?? '';
}
