import { join } from 'node:path';
import { App, Tags, Validations } from 'aws-cdk-lib';
import { AwsSolutionsChecks, ServerlessChecks } from 'cdk-nag';
import { type RoutableStrategy, routesFromStrategy } from './constructs/campaign-routing.ts';
import { REPO_ROOT } from './constructs/platform-function.ts';
import { type Settings, settingsFromContext } from './settings.ts';
import { StatefulStack } from './stateful-stack.ts';
import { StatelessStack } from './stateless-stack.ts';

/** How {@link createContactApp} is built. */
export interface ContactAppOptions {
  /** Loads and validates the contact-strategy file (absolute path); throws on an invalid one. */
  readonly loadStrategy: (file: string) => RoutableStrategy;
  /**
   * Context for the App. The CDK CLI passes cdk.json's context through the environment, so the
   * entry point leaves this out; tests pass cdk.json's context (plus overrides) here.
   */
  readonly context?: Record<string, unknown>;
  /** @default - the CLI's output directory, or a temporary one */
  readonly outdir?: string;
}

/** The composed app and its parts, for the entry point and for tests. */
export interface ContactApp {
  readonly app: App;
  readonly settings: Settings;
  readonly stateful: StatefulStack;
  readonly stateless: StatelessStack;
}

/**
 * Composes the platform: validates the settings, loads the strategy, builds the stateful and
 * stateless stacks, tags everything (`project`, `stage`) and registers cdk-nag's AwsSolutions and
 * Serverless packs. cdk-nag 3 runs as a CDK policy-validation plugin (not an aspect): any finding that
 * is not acknowledged with a reason (`Validations.of(resource).acknowledge`, see
 * `constructs/nag.ts`) fails the synth.
 *
 * @throws {SettingsError} for invalid context values; whatever `loadStrategy` throws for the strategy.
 */
export function createContactApp(options: ContactAppOptions): ContactApp {
  const app = new App({ context: options.context, outdir: options.outdir });
  const settings = settingsFromContext(app);
  const campaigns = routesFromStrategy(options.loadStrategy(join(REPO_ROOT, settings.strategyFile)));

  // Environment-agnostic unless the CLI knows the account/region; nothing here needs a lookup.
  const env = { account: process.env.CDK_DEFAULT_ACCOUNT, region: process.env.CDK_DEFAULT_REGION };
  const prefix = `contact-triggers-${settings.stage}`;

  const stateful = new StatefulStack(app, `${prefix}-stateful`, {
    env,
    stage: settings.stage,
    description: 'Contact triggers: the contact table and its key (retained)',
  });
  const stateless = new StatelessStack(app, `${prefix}-stateless`, {
    env,
    settings,
    contactTable: stateful.contactTable,
    campaigns,
    description: 'Contact triggers: event bus, routing, buffer, email sending and functions',
  });

  Tags.of(app).add('project', 'contact-triggers');
  Tags.of(app).add('stage', settings.stage);
  Validations.of(app).addPlugins(
    new AwsSolutionsChecks(app, { verbose: true }),
    new ServerlessChecks(app, { verbose: true }),
  );

  return { app, settings, stateful, stateless };
}
