import { App, Duration, Stack } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import * as kms from 'aws-cdk-lib/aws-kms';
import { BUNDLING_STACKS } from 'aws-cdk-lib/cx-api';
import { beforeAll, describe, expect, it } from 'vitest';
import {
  MAX_BUNDLED_STRATEGY_BYTES,
  PlatformFunction,
  type PlatformFunctionProps,
} from '#infra/constructs/platform-function.ts';
import { cdkJsonContext, fixtureStrategyJson, logicalId } from './helpers.ts';

/**
 * One function in a stack of its own, without bundling (CDK's own switch): the template is the same,
 * the esbuild run is left to `bundles.test.ts`, which builds every real bundle.
 */
function functionStack(props: Partial<PlatformFunctionProps> = {}) {
  const app = new App({ context: { ...cdkJsonContext(), [BUNDLING_STACKS]: [] } });
  const stack = new Stack(app, 'Fn');
  const key = new kms.Key(stack, 'Key', { enableKeyRotation: true });
  const fn = new PlatformFunction(stack, 'Evaluate', {
    name: 'evaluate',
    description: 'test',
    encryptionKey: key,
    ...props,
  });
  return { app, stack, key, fn };
}

describe('PlatformFunction', () => {
  let template: Template;
  let parts: ReturnType<typeof functionStack>;

  beforeAll(() => {
    parts = functionStack({
      bundledStrategyJson: fixtureStrategyJson(),
      timeout: Duration.seconds(20),
      memorySize: 512,
      environment: { TABLE_NAME: 'contact' },
    });
    template = Template.fromStack(parts.stack);
  });

  it('takes memory and timeout from the caller, keeps the platform defaults for the rest', () => {
    template.hasResourceProperties('AWS::Lambda::Function', {
      Runtime: 'nodejs22.x',
      Architectures: ['arm64'],
      MemorySize: 512,
      Timeout: 20,
      TracingConfig: { Mode: 'Active' },
    });
  });

  it('uses no managed policy: the role writes only to its own log group', () => {
    const role = template.toJSON().Resources[logicalId(parts.stack, parts.fn.role)];
    expect(role.Properties.ManagedPolicyArns).toBeUndefined();
  });

  it('keeps the inlined strategy out of the environment', () => {
    const fn = template.toJSON().Resources[logicalId(parts.stack, parts.fn.function)];
    expect(fn.Properties.Environment.Variables).toEqual({
      TABLE_NAME: 'contact',
      POWERTOOLS_SERVICE_NAME: 'evaluate',
      POWERTOOLS_METRICS_NAMESPACE: 'ContactTriggers',
      POWERTOOLS_LOG_LEVEL: 'INFO',
      NODE_OPTIONS: '--enable-source-maps',
    });
  });
});

describe('PlatformFunction guards', () => {
  const tooLarge = JSON.stringify({ padding: 'x'.repeat(MAX_BUNDLED_STRATEGY_BYTES) });

  it.each([
    ['an upper-case name', { name: 'Evaluate' }, 'must be lower-case letters, digits and -'],
    [
      'a missing entry',
      { name: 'no-such-function' },
      'entry file functions/no-such-function.ts does not exist',
    ],
    [
      'a platform variable',
      { environment: { POWERTOOLS_SERVICE_NAME: 'x' } },
      'environment may not set POWERTOOLS_SERVICE_NAME',
    ],
    [
      'the strategy as a variable',
      { environment: { CONTACT_STRATEGY_JSON: '{}' } },
      'environment may not set CONTACT_STRATEGY_JSON',
    ],
    ['a strategy that is not JSON', { bundledStrategyJson: 'version: 1' }, 'bundledStrategyJson is not JSON'],
    [
      'a strategy too large for esbuild’s command line',
      { bundledStrategyJson: tooLarge },
      'esbuild takes it as one command-line argument',
    ],
  ] satisfies [string, Partial<PlatformFunctionProps>, string][])('rejects %s', (_, props, message) => {
    expect(() => functionStack(props)).toThrow(message);
  });
});
