import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { App, Duration, Stack } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import * as kms from 'aws-cdk-lib/aws-kms';
import { beforeAll, describe, expect, it } from 'vitest';
import { PlatformFunction, type PlatformFunctionProps } from '#infra/constructs/platform-function.ts';
import { cdkJsonContext, FIXTURE_STRATEGY_FILE, logicalId } from './helpers.ts';

const fixtureDir = FIXTURE_STRATEGY_FILE.slice(0, FIXTURE_STRATEGY_FILE.lastIndexOf('/'));

function functionStack(props: Partial<PlatformFunctionProps> = {}) {
  const app = new App({ context: cdkJsonContext() });
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

describe('PlatformFunction bundle', () => {
  let bundleDir: string;
  let template: Template;
  let parts: ReturnType<typeof functionStack>;

  beforeAll(() => {
    parts = functionStack({ includePaths: [fixtureDir], timeout: Duration.seconds(20), memorySize: 512 });
    const assembly = parts.app.synth();
    template = Template.fromStack(parts.stack);
    const resource = template.toJSON().Resources[logicalId(parts.stack, parts.fn.function)];
    // The asset's hash names both the zip key in the template and the staged directory.
    const hash = String(resource.Properties.Code.S3Key).replace(/\.zip$/, '');
    bundleDir = join(assembly.directory, `asset.${hash}`);
  });

  it('is one ESM file that defines require for bundled CommonJS code, with a source map', () => {
    const code = readFileSync(join(bundleDir, 'index.mjs'), 'utf8');
    expect(code.startsWith("import { createRequire as __platformCreateRequire } from 'node:module';")).toBe(
      true,
    );
    expect(code).toContain('const require = __platformCreateRequire(import.meta.url);');
    expect(code).toMatch(/export\s*\{[^}]*as handler/);
    expect(code).toContain('//# sourceMappingURL=index.mjs.map');
    expect(existsSync(join(bundleDir, 'index.mjs.map'))).toBe(true);
  });

  it('carries the included paths at their repo-relative place', () => {
    expect(readFileSync(join(bundleDir, FIXTURE_STRATEGY_FILE), 'utf8')).toBe(
      readFileSync(FIXTURE_STRATEGY_FILE, 'utf8'),
    );
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
});

describe('PlatformFunction guards', () => {
  it.each([
    [{ name: 'Evaluate' }, 'must be lower-case letters, digits and -'],
    [{ name: 'no-such-function' }, 'entry file functions/no-such-function.ts does not exist'],
    [{ environment: { POWERTOOLS_SERVICE_NAME: 'x' } }, 'environment may not set POWERTOOLS_SERVICE_NAME'],
    [{ includePaths: ['../outside'] }, 'includePaths "../outside" must be inside the repository'],
    [{ includePaths: ['strategy/nowhere.yaml'] }, 'includePaths "strategy/nowhere.yaml" does not exist'],
  ] satisfies [Partial<PlatformFunctionProps>, string][])('rejects %j', (props, message) => {
    expect(() => functionStack(props)).toThrow(message);
  });
});
