import { dynamoDbClient } from '#shared/adapters/aws-clients/dynamodb.ts';
import { DynamoCustomerStore } from '#shared/adapters/dynamodb/customer-store.ts';
import { env, loadConfig } from '#shared/config.ts';
import { compileEngine, type Engine } from '#shared/engine/compile.ts';
import { sendRetentionMs } from '#shared/engine/retention.ts';
import { openSealedStrategy } from '#shared/strategy/bundle.ts';
import type { CompiledStrategy } from '#shared/strategy/load.ts';
import { once } from './lazy.ts';

/**
 * The strategy and its templates, as `cdk synth` validated, sealed and bundled them into the function
 * (`CONTACT_STRATEGY_JSON`, replaced at build time). Opened, not re-validated: the seal shows it is
 * the build's validated result (see shared/strategy/bundle.ts).
 */
export const strategy = /* @__PURE__ */ once((): CompiledStrategy => {
  // Read literally: at build time esbuild's `define` replaces this very expression with the strategy
  // that `cdk synth` validated (infra/constructs/function-bundling.ts); locally it is a real variable.
  const { CONTACT_STRATEGY_JSON } = loadConfig(
    { CONTACT_STRATEGY_JSON: env.name() },
    { CONTACT_STRATEGY_JSON: process.env.CONTACT_STRATEGY_JSON },
  );
  return openSealedStrategy(CONTACT_STRATEGY_JSON);
});

/**
 * The decision engine compiled from it. Only the functions that decide or render build it: `profile`
 * reads the strategy alone, and its bundle carries neither the engine nor the event-pattern matcher.
 */
export const engine = /* @__PURE__ */ once((): Engine => compileEngine(strategy()));

/** The customer store on the contact table; cap windows from the strategy bound what it keeps. */
export const store = /* @__PURE__ */ once(() => {
  const config = loadConfig({ TABLE_NAME: env.name() });
  return new DynamoCustomerStore(dynamoDbClient(), {
    tableName: config.TABLE_NAME,
    sendRetentionMs: sendRetentionMs(strategy().strategy),
  });
});
