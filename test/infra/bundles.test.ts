import { spawnSync } from 'node:child_process';
import {
  existsSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  statSync,
  writeFileSync,
} from 'node:fs';
import { join } from 'node:path';
import { Template } from 'aws-cdk-lib/assertions';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { REPO_ROOT } from '#infra/constructs/platform-function.ts';
import { type ContactApp, createContactApp, loadDeployedStrategy } from '#infra/contact-app.ts';
import { cdkJsonContext, FUNCTION_NAMES, type FunctionName, logicalId } from './helpers.ts';
import { RUNTIME_SDK_PACKAGES, sdkImports } from './sdk-usage.ts';

/**
 * The real thing, once: the whole app as `cdk synth` builds it from the shipped strategy file, with
 * all eight bundles built by esbuild. Every other infra test skips bundling.
 */

/** The issue-6 target: at most 250 KB of minified code per function. */
const MAX_BUNDLE_BYTES = 250_000;

/**
 * What precompiled Handlebars templates carry: the compiler revision they need, said once per module
 * and shared by every spec (`shared/strategy/load.ts`).
 */
const PRECOMPILED = /=\[8,">= 4\.3\.0"\]/;

let outdir: string;
let built: ContactApp;
let bundleDirs: Record<FunctionName, string>;
let expectedStrategy: string;
/** What each bundle does when imported and poked, from a clean Node process (see `probe.mjs`). */
let probed: Record<FunctionName, { strategyInlined: boolean; error?: { name: string; message: string } }>;

/**
 * Imports every bundle in a fresh Node process with only the variables a test sets: is the strategy
 * where `loadConfig` reads it, and do the queue consumers get past `engine()` (built from the inlined
 * JSON) to the validation of their (empty) input?
 */
const PROBE = `
import { readFileSync, writeFileSync } from 'node:fs';
const [expectedFile, outFile, ...pairs] = process.argv.slice(2);
const expected = readFileSync(expectedFile, 'utf8');
const consumers = { profile: 'processCustomerEvent', activity: 'processActivity', feedback: 'processFeedback' };
const results = {};
for (const pair of pairs) {
  const [name, file] = pair.split('=');
  delete process.env.CONTACT_STRATEGY_JSON;
  const bundle = await import(file);
  // The define replaced the expression platform.ts reads: it no longer appears, the JSON does.
  const source = readFileSync(file, 'utf8');
  const marker = JSON.parse(expected).document.campaigns[0].id;
  const result = {
    strategyInlined:
      process.env.CONTACT_STRATEGY_JSON === undefined &&
      !source.includes('process.env.CONTACT_STRATEGY_JSON') &&
      source.includes(marker),
  };
  const entry = consumers[name];
  if (entry) {
    try {
      await bundle[entry]({});
      result.error = { name: 'none', message: 'accepted an empty event' };
    } catch (error) {
      result.error = { name: error.name, message: error.message };
    }
  }
  results[name] = result;
}
writeFileSync(outFile, JSON.stringify(results));
`;

beforeAll(() => {
  // Inside the repository: the bundles leave the AWS SDK to the runtime (ADR 0003), and the probe's
  // Node resolves it from our node_modules as Lambda resolves it from the runtime's.
  const cache = join(REPO_ROOT, 'node_modules', '.cache');
  mkdirSync(cache, { recursive: true });
  outdir = mkdtempSync(join(cache, 'contact-bundles-'));
  built = createContactApp({ context: cdkJsonContext(), loadStrategy: loadDeployedStrategy, outdir });
  const assembly = built.app.synth();
  const template = Template.fromStack(built.stateless).toJSON();
  const s = built.stateless;
  const fns = {
    evaluate: s.evaluate.fn,
    deferred: s.deferred.fn,
    profile: s.profile.fn,
    activity: s.activity.fn,
    feedback: s.feedback.fn,
    'date-triggers': s.dateTriggers?.fn,
    preferences: s.preferences.fn,
    export: s.exportFunction,
    'next-best-offer': s.moments.fn,
  };
  bundleDirs = Object.fromEntries(
    FUNCTION_NAMES.map((name) => {
      const fn = fns[name];
      if (!fn) throw new Error(`no ${name} function (the shipped strategy has date-triggered campaigns)`);
      // The asset's hash names both the zip key in the template and the staged directory.
      const hash = String(template.Resources[logicalId(s, fn.function)].Properties.Code.S3Key).replace(
        /\.zip$/,
        '',
      );
      return [name, join(assembly.directory, `asset.${hash}`)];
    }),
  ) as Record<FunctionName, string>;

  expectedStrategy = loadDeployedStrategy(join(REPO_ROOT, built.settings.strategyFile)).bundleJson;
  const expectedFile = join(outdir, 'expected-strategy.json');
  const probe = join(outdir, 'probe.mjs');
  const results = join(outdir, 'probe-results.json');
  writeFileSync(expectedFile, expectedStrategy);
  writeFileSync(probe, PROBE);
  const run = spawnSync(
    process.execPath,
    [probe, expectedFile, results, ...FUNCTION_NAMES.map((n) => `${n}=${join(bundleDirs[n], 'index.mjs')}`)],
    {
      cwd: outdir,
      encoding: 'utf8',
      timeout: 60_000,
      env: {
        PATH: process.env.PATH,
        TABLE_NAME: 'contact',
        AWS_REGION: 'eu-west-1',
        AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: 'true',
      },
    },
  );
  if (run.status !== 0) throw new Error(`the probe failed: ${run.stderr}`);
  probed = JSON.parse(readFileSync(results, 'utf8'));
}, 300_000);

afterAll(() => {
  if (outdir) rmSync(outdir, { recursive: true, force: true });
});

describe('the function bundles (real esbuild, shipped strategy)', () => {
  it.each(FUNCTION_NAMES)(
    '%s is one ESM file that defines require for bundled CommonJS, with a source map',
    (name) => {
      expect(readdirSync(bundleDirs[name]).sort()).toEqual(['index.mjs', 'index.mjs.map']);
      const code = readFileSync(join(bundleDirs[name], 'index.mjs'), 'utf8');
      expect(code.startsWith("import { createRequire as __platformCreateRequire } from 'node:module';")).toBe(
        true,
      );
      expect(code).toContain('const require = __platformCreateRequire(import.meta.url);');
      expect(code).toMatch(/export\s*\{[^}]*as handler/);
      expect(code).toContain('//# sourceMappingURL=index.mjs.map');
    },
  );

  it.each(FUNCTION_NAMES)(
    '%s carries the validated strategy in its code (not in its environment)',
    (name) => {
      expect(probed[name].strategyInlined).toBe(true);
    },
  );

  it.each(FUNCTION_NAMES)('%s has no YAML parser and reads no strategy file', (name) => {
    const code = readFileSync(join(bundleDirs[name], 'index.mjs'), 'utf8');
    expect(code).not.toContain('tag:yaml.org,2002');
    expect(code).not.toContain('contact-strategy.yaml');
  });

  it.each(['profile', 'activity', 'feedback'] as const)(
    '%s opens the inlined strategy at cold start (and then refuses an empty event)',
    (name) => {
      expect(probed[name].error?.name).toBe('InvalidInputError');
    },
  );

  it.each(FUNCTION_NAMES)(`%s is at most ${MAX_BUNDLE_BYTES / 1000} KB`, (name) => {
    expect(statSync(join(bundleDirs[name], 'index.mjs')).size).toBeLessThanOrEqual(MAX_BUNDLE_BYTES);
  });

  // The profile function keeps libphonenumber-js's metadata (~121 KB, every country) and the public
  // event contract; it fits because it reads the strategy without compiling the engine.
  it('profile carries neither the decision engine nor the event-pattern matcher', () => {
    const code = readFileSync(join(bundleDirs.profile, 'index.mjs'), 'utf8');
    expect(code).toContain('libphonenumber');
    expect(code).not.toContain('InvalidEventPatternError');
    expect(code).not.toContain('equals-ignore-case');
  });

  // The fast paths in front of the customer-data schemas are for the local tools that install them
  // (`installFastParsers`: contact simulate, its workers, the demo); the functions validate with zod.
  it.each(FUNCTION_NAMES)('%s carries none of the local tools’ fast parsers', (name) => {
    const code = readFileSync(join(bundleDirs[name], 'index.mjs'), 'utf8');
    expect(code).not.toContain('fast-parse: ');
  });

  it.each(FUNCTION_NAMES)(
    '%s imports the AWS SDK from the runtime, only packages the runtime has',
    (name) => {
      const code = readFileSync(join(bundleDirs[name], 'index.mjs'), 'utf8');
      const packages = sdkImports(code).map((i) => i.pkg);
      expect(packages.length).toBeGreaterThan(0);
      for (const pkg of packages) expect(RUNTIME_SDK_PACKAGES).toContain(pkg);
      // Nothing of the SDK is bundled, and no other package is left to the runtime.
      expect(code).not.toMatch(/from\s*"@smithy\//);
      expect(code).not.toContain('node_modules/@aws-sdk');
    },
  );

  it.each(FUNCTION_NAMES)('%s carries Handlebars’ runtime at most, never its compiler', (name) => {
    const code = readFileSync(join(bundleDirs[name], 'index.mjs'), 'utf8');
    expect(code).not.toContain('Parse error on line');
  });

  it.each(['evaluate', 'deferred', 'next-best-offer'] as const)(
    '%s renders from templates precompiled at build time',
    (name) => {
      const code = readFileSync(join(bundleDirs[name], 'index.mjs'), 'utf8');
      expect(code).toMatch(PRECOMPILED);
    },
  );

  it.each(['profile', 'activity', 'feedback', 'date-triggers', 'preferences', 'export'] as const)(
    '%s renders nothing and carries no template code',
    (name) => {
      const code = readFileSync(join(bundleDirs[name], 'index.mjs'), 'utf8');
      expect(code).not.toMatch(PRECOMPILED);
    },
  );

  it('keeps the strategy out of every function’s environment', () => {
    const functions = Object.values(
      Template.fromStack(built.stateless).findResources('AWS::Lambda::Function'),
    );
    expect(functions).toHaveLength(FUNCTION_NAMES.length);
    for (const fn of functions) {
      expect(Object.keys(fn.Properties.Environment.Variables)).not.toContain('CONTACT_STRATEGY_JSON');
    }
    expect(existsSync(outdir)).toBe(true);
  });
});
