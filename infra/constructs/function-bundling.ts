import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { type BundlingOptions, OutputFormat } from 'aws-cdk-lib/aws-lambda-nodejs';
import type { BuildOptions } from 'esbuild';
import { lambdaStrategy, PRECOMPILED_TEMPLATES_EXPORT } from '#shared/strategy/load.ts';

/**
 * How every function is bundled: the one place that says it, read by the function construct (through
 * CDK's `NodejsFunction` bundling options), by `npm run bench` and by the tests that build bundles
 * (through esbuild's API). Change a setting here and all three follow.
 *
 * - ESM for Node.js 22, minified; a banner defines `require` for the CommonJS dependencies esbuild
 *   inlines (the X-Ray SDK under the Powertools tracer, for one).
 * - The AWS SDK v3 is the one the Lambda runtime provides, not bundled: see
 *   docs/adr/0003-runtime-provided-aws-sdk.md. {@link BUNDLE_AWS_SDK} is the one switch back.
 * - Handlebars ships as its runtime only: `handlebars` is aliased to `handlebars/runtime`, and every
 *   template of the strategy arrives precompiled (an injected module, {@link strategyBuild}).
 * - The strategy is inlined as sealed JSON (`define` of `process.env.CONTACT_STRATEGY_JSON`).
 */

/**
 * Bundle the AWS SDK into every function (true) or use the runtime's (false, the default: ~420 KB
 * less code per function to load at cold start). The one switch of ADR 0003.
 */
export const BUNDLE_AWS_SDK = false;

/** What esbuild leaves to the runtime: the AWS SDK v3, unless {@link BUNDLE_AWS_SDK}. */
export const EXTERNAL_MODULES: readonly string[] = BUNDLE_AWS_SDK ? [] : ['@aws-sdk/*'];

/** The variable the composition root (`functions/platform/engine.ts`) reads the strategy from. */
export const STRATEGY_VARIABLE = 'CONTACT_STRATEGY_JSON';

/**
 * ESM bundles have no `require`; CommonJS dependencies that esbuild inlines still call it. The alias
 * avoids clashing with a bundled `createRequire`.
 */
export const ESM_REQUIRE_BANNER =
  "import { createRequire as __platformCreateRequire } from 'node:module'; const require = __platformCreateRequire(import.meta.url);";

/** Handlebars' compiler (~110 KB with its source-map dependency) stays out of the functions. */
const ALIASES: Readonly<Record<string, string>> = { handlebars: 'handlebars/runtime' };

/** The expression `functions/platform/engine.ts` reads the precompiled templates from. */
const PRECOMPILED_TEMPLATES_GLOBAL = `globalThis.${PRECOMPILED_TEMPLATES_EXPORT}`;

/** The strategy-specific part of a build: what is defined, and the module injected. */
export interface StrategyBuild {
  readonly define: Readonly<Record<string, string>>;
  readonly inject: readonly string[];
}

/**
 * The strategy-specific settings for a sealed strategy (`strategyBundleJson`), as `lambdaStrategy`
 * prepares it: its JSON (template texts replaced by keys) defined as `process.env.CONTACT_STRATEGY_JSON`,
 * and its templates precompiled into a module (written once per content under the system's temp
 * directory; it imports nothing) that esbuild injects for `globalThis.__contactPrecompiledTemplates`.
 * A function that never reads that expression carries neither the module nor the template texts.
 */
export function strategyBuild(bundleJson: string): StrategyBuild {
  const { json, precompiledModule } = lambdaStrategy(bundleJson);
  const dir = join(tmpdir(), 'contact-triggers-templates');
  const file = join(dir, `${createHash('sha256').update(precompiledModule).digest('hex').slice(0, 32)}.mjs`);
  if (!existsSync(file)) {
    mkdirSync(dir, { recursive: true });
    writeFileSync(file, precompiledModule);
  }
  return {
    define: {
      // A JS expression: the JSON text as a string literal.
      [`process.env.${STRATEGY_VARIABLE}`]: JSON.stringify(json),
      [PRECOMPILED_TEMPLATES_GLOBAL]: PRECOMPILED_TEMPLATES_EXPORT,
    },
    inject: [file],
  };
}

/** The NodejsFunction bundling options (CDK renders them as esbuild's command line). */
export function cdkBundling(strategy: StrategyBuild | undefined): BundlingOptions {
  return {
    format: OutputFormat.ESM,
    target: 'node22',
    mainFields: ['module', 'main'],
    banner: ESM_REQUIRE_BANNER,
    minify: true,
    sourceMap: true,
    sourcesContent: false,
    bundleAwsSDK: BUNDLE_AWS_SDK,
    externalModules: [...EXTERNAL_MODULES],
    esbuildArgs: { '--alias': Object.entries(ALIASES).map(([from, to]) => `${from}=${to}`) },
    ...(strategy && { define: { ...strategy.define }, inject: [...strategy.inject] }),
  };
}

/**
 * The same build through esbuild's API (bench, tests), without source maps unless asked: the code
 * itself is byte-for-byte what `cdk synth` stages.
 */
export function esbuildOptions(strategy: StrategyBuild | undefined): BuildOptions {
  return {
    bundle: true,
    platform: 'node',
    format: 'esm',
    target: 'node22',
    mainFields: ['module', 'main'],
    banner: { js: ESM_REQUIRE_BANNER },
    minify: true,
    external: [...EXTERNAL_MODULES],
    alias: { ...ALIASES },
    ...(strategy && { define: { ...strategy.define }, inject: [...strategy.inject] }),
    logLevel: 'silent',
  };
}
