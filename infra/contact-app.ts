import { join } from 'node:path';
import { App, Tags, Validations } from 'aws-cdk-lib';
import { BUNDLING_STACKS } from 'aws-cdk-lib/cx-api';
import { AwsSolutionsChecks, ServerlessChecks } from 'cdk-nag';
import type { EventPattern } from '#shared/event-pattern/index.ts';
import { activityPattern } from '#shared/routing.ts';
import { strategyBundleJson } from '#shared/strategy/load.ts';
import type { TemplateSet } from '#shared/strategy/templates.ts';
import { validateStrategy } from '#shared/strategy/validate.ts';
import { type CampaignRoute, routesFromStrategy } from './constructs/campaign-routing.ts';
import { PlatformChecks } from './constructs/nag.ts';
import { REPO_ROOT } from './constructs/platform-function.ts';
import { type Settings, settingsFromContext } from './settings.ts';
import { StatefulStack } from './stateful-stack.ts';
import { StatelessStack } from './stateless-stack.ts';

/** The contact strategy as the deployment uses it, loaded once per synth. */
export interface DeployedStrategy {
  /** One route per enabled campaign: the rules. */
  readonly campaigns: readonly CampaignRoute[];
  /** The events `activity` counts or attributes (`activityPattern`); none: no activity rule. */
  readonly activityPattern?: EventPattern;
  /** The validated strategy with its templates as JSON: inlined into the functions' code. */
  readonly bundleJson: string;
}

/**
 * Loads, validates and serialises the strategy file (absolute path) once: the functions get the JSON
 * (`strategyBundleJson`), and the routes come from that same JSON, validated the way a function
 * validates it at cold start, so rules and engine cannot disagree.
 *
 * @throws {StrategyValidationError} listing every problem of an invalid strategy or template.
 */
export function loadDeployedStrategy(file: string): DeployedStrategy {
  const bundleJson = strategyBundleJson(file);
  const { document, templates } = JSON.parse(bundleJson) as { document: unknown; templates: TemplateSet };
  const { strategy, problems } = validateStrategy(document, templates);
  if (!strategy) {
    // strategyBundleJson validated this very document; a difference is a bug, not a user error.
    throw new Error(`the serialised strategy no longer validates: ${JSON.stringify(problems)}`);
  }
  const activity = activityPattern(strategy);
  return {
    campaigns: routesFromStrategy(strategy),
    ...(activity && { activityPattern: activity }),
    bundleJson,
  };
}

/** How {@link createContactApp} is built. */
export interface ContactAppOptions {
  /**
   * Loads and validates the contact-strategy file (absolute path); throws on an invalid one. The
   * entry point passes {@link loadDeployedStrategy}; tests pass their own campaigns.
   */
  readonly loadStrategy: (file: string) => DeployedStrategy;
  /**
   * Context for the App. The CDK CLI passes cdk.json's context through the environment, so the
   * entry point leaves this out; tests pass cdk.json's context (plus overrides) here.
   */
  readonly context?: Record<string, unknown>;
  /** @default - the CLI's output directory, or a temporary one */
  readonly outdir?: string;
  /**
   * Build the functions' bundles (esbuild). Tests that only inspect the templates turn it off: CDK
   * then skips every asset's bundling (its `aws:cdk:bundling-stacks` context, the switch behind
   * `cdk deploy --exclusively`), and the functions keep their exact shape with an unbuilt asset.
   *
   * @default true
   */
  readonly bundle?: boolean;
}

/** The composed app and its parts, for the entry point and for tests. */
export interface ContactApp {
  readonly app: App;
  readonly settings: Settings;
  readonly stateful: StatefulStack;
  readonly stateless: StatelessStack;
}

/**
 * Composes the platform: validates the settings, loads the strategy once, builds the stateful and
 * stateless stacks, tags everything (`project`, `stage`) and registers cdk-nag's AwsSolutions and
 * Serverless packs and the platform's own {@link PlatformChecks} (public Lambda endpoints). cdk-nag 3
 * runs as a CDK policy-validation plugin (not an aspect): any finding that is not acknowledged with
 * a reason (`Validations.of(resource).acknowledge`, see `constructs/nag.ts`) fails the synth.
 *
 * @throws {SettingsError} for invalid context values; whatever `loadStrategy` throws for the strategy.
 */
export function createContactApp(options: ContactAppOptions): ContactApp {
  const context = options.bundle === false ? { ...options.context, [BUNDLING_STACKS]: [] } : options.context;
  const app = new App({ context, outdir: options.outdir });
  const settings = settingsFromContext(app);
  const strategy = options.loadStrategy(join(REPO_ROOT, settings.strategyFile));

  // Environment-agnostic unless the CLI knows the account/region; nothing here needs a lookup.
  const env = { account: process.env.CDK_DEFAULT_ACCOUNT, region: process.env.CDK_DEFAULT_REGION };
  const prefix = `contact-triggers-${settings.stage}`;

  const stateful = new StatefulStack(app, `${prefix}-stateful`, {
    env,
    stage: settings.stage,
    description: 'Contact triggers: the contact table, the signing secrets and their keys (retained)',
  });
  const stateless = new StatelessStack(app, `${prefix}-stateless`, {
    env,
    settings,
    contactTable: stateful.contactTable,
    secrets: stateful.secrets,
    campaigns: strategy.campaigns,
    ...(strategy.activityPattern && { activityPattern: strategy.activityPattern }),
    bundledStrategyJson: strategy.bundleJson,
    description: 'Contact triggers: event bus, routing, queues, email sending, schedules and functions',
  });

  Tags.of(app).add('project', 'contact-triggers');
  Tags.of(app).add('stage', settings.stage);
  Validations.of(app).addPlugins(
    new AwsSolutionsChecks(app, { verbose: true }),
    new ServerlessChecks(app, { verbose: true }),
    new PlatformChecks(app, { verbose: true }),
  );

  return { app, settings, stateful, stateless };
}
