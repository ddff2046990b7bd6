import { Logger } from '@aws-lambda-powertools/logger';
import { GetSecretValueCommand } from '@aws-sdk/client-secrets-manager';
import * as z from 'zod';
import {
  dynamoDbClient,
  eventBridgeClient,
  schedulerClient,
  secretsClient,
  sesClient,
  snsClient,
  sqsClient,
} from '#shared/adapters/aws-clients.ts';
import { CompactLogFormatter } from '#shared/adapters/compact-log-formatter.ts';
import { DynamoCustomerStore } from '#shared/adapters/dynamodb/customer-store.ts';
import { EventBridgeEmitter } from '#shared/adapters/eventbridge-emitter.ts';
import { EventBridgeScheduler } from '#shared/adapters/eventbridge-scheduler.ts';
import { SesEmailSender } from '#shared/adapters/ses-email.ts';
import { SignedLinkBuilder } from '#shared/adapters/signed-links.ts';
import { SnsPushRegistry, SnsPushSender } from '#shared/adapters/sns-push.ts';
import { SnsSmsSender } from '#shared/adapters/sns-sms.ts';
import { SqsDeadLetters } from '#shared/adapters/sqs-dead-letters.ts';
import { HttpWebhookSender } from '#shared/adapters/webhook.ts';
import { env, loadConfig } from '#shared/config.ts';
import { systemClock } from '#shared/domain/ports.ts';
import { compileEngine, type Engine } from '#shared/engine/compile.ts';
import { StrategyValidationError } from '#shared/errors.ts';
import { MetricBatch, type Observation } from '#shared/metrics/batch.ts';
import { createMetrics } from '#shared/metrics/emit.ts';
import type { TemplateSet } from '#shared/strategy/templates.ts';
import { validateStrategy } from '#shared/strategy/validate.ts';
import type { CustomerDataDeps } from '#shared/use-cases/customer-data.ts';
import type { DeliverDeps } from '#shared/use-cases/deliver.ts';
import type { EvaluateDeps } from '#shared/use-cases/evaluate-trigger.ts';

/**
 * The composition root every function shares: configuration parsed once, clients and adapters built
 * once per container and only for what a function uses (each getter is lazy), wired into the use
 * cases. Local servers are reached through `AWS_ENDPOINT_URL_*` alone; nothing here knows "local".
 */

/** Module singleton: ids and reasons only, never addresses, phones, names or tokens. */
export const logger = new Logger({ logFormatter: new CompactLogFormatter() });

/** Module singleton: Powertools metrics in the platform's namespace (CloudWatch EMF). */
export const metrics = /* @__PURE__ */ createMetrics(logger);

/**
 * The observations of the invocation in progress, published once when it ends ({@link flushMetrics}):
 * one EMF document per campaign/outcome group rather than one per event (logs are billed per byte).
 */
const batch = new MetricBatch();

/** Records observations for this invocation's metrics. */
export function observe(...observations: readonly (Observation | undefined)[]): void {
  for (const o of observations) if (o) batch.add(o);
}

/** Publishes this invocation's metrics (call once, at the end, also after a failure). */
export function flushMetrics(): void {
  try {
    batch.flush(metrics);
  } catch (error) {
    // Metrics must never fail a batch that did its work.
    logger.warn('metrics not published', { error: (error as Error).message });
  }
}

function once<T>(create: () => T): () => T {
  let value: T | undefined;
  return () => {
    value ??= create();
    return value;
  };
}

/** Like {@link once} for async values, but a failure is forgotten: the next call tries again. */
function onceAsync<T>(create: () => Promise<T>): () => Promise<T> {
  let value: Promise<T> | undefined;
  return () => {
    value ??= create().catch((error: unknown) => {
      value = undefined;
      throw error;
    });
    return value;
  };
}

/**
 * The strategy and its templates, as `cdk synth` validated and bundled them into the function
 * (`CONTACT_STRATEGY_JSON`, replaced at build time), validated again at cold start.
 */
export const engine = /* @__PURE__ */ once((): Engine => {
  // Read literally: at build time esbuild's `define` replaces this very expression with the strategy
  // that `cdk synth` validated (infra/constructs/platform-function.ts); locally it is a real variable.
  const { CONTACT_STRATEGY_JSON } = loadConfig(
    { CONTACT_STRATEGY_JSON: env.name() },
    { CONTACT_STRATEGY_JSON: process.env.CONTACT_STRATEGY_JSON },
  );
  const { document, templates } = JSON.parse(CONTACT_STRATEGY_JSON) as {
    document: unknown;
    templates: TemplateSet;
  };
  const result = validateStrategy(document, templates);
  if (!result.strategy)
    throw new StrategyValidationError(result.problems.map((p) => `${p.path.join('.')}: ${p.message}`));
  return compileEngine({ strategy: result.strategy, templates });
});

export const store = /* @__PURE__ */ once(() => {
  const config = loadConfig({ TABLE_NAME: env.name() });
  return new DynamoCustomerStore(dynamoDbClient(), {
    tableName: config.TABLE_NAME,
    sendRetentionMs: engine().maxCapWindowMs,
  });
});

/** The link-signing key, read once per container from Secrets Manager. */
export const linkKey = /* @__PURE__ */ onceAsync(async (): Promise<string> => {
  const { LINK_KEY_SECRET_ID } = loadConfig({ LINK_KEY_SECRET_ID: env.name() });
  const { SecretString } = await secretsClient().send(
    new GetSecretValueCommand({ SecretId: LINK_KEY_SECRET_ID }),
  );
  if (!SecretString) throw new Error('the link-signing secret is empty');
  return SecretString;
});

const webhookSecret = /* @__PURE__ */ onceAsync(async (): Promise<string> => {
  const { WEBHOOK_SECRET_ID } = loadConfig({ WEBHOOK_SECRET_ID: env.name() });
  const { SecretString } = await secretsClient().send(
    new GetSecretValueCommand({ SecretId: WEBHOOK_SECRET_ID }),
  );
  if (!SecretString) throw new Error('the webhook signing secret is empty');
  return SecretString;
});

export const deliverDeps = /* @__PURE__ */ onceAsync(async (): Promise<DeliverDeps> => {
  const config = loadConfig({
    SENDER_EMAIL: z.email(),
    CONFIGURATION_SET: env.name(),
    SMS_SENDER_ID: z
      .string()
      .regex(/^[A-Za-z0-9]{1,11}$/)
      .optional(),
    PREFERENCES_URL: env.url(),
  });
  const brand = engine().strategy.brand;
  const name = brand?.senderName ?? brand?.name;
  return {
    engine: engine(),
    store: store(),
    from: name ? `${name.replace(/[<>"]/g, '')} <${config.SENDER_EMAIL}>` : config.SENDER_EMAIL,
    links: new SignedLinkBuilder(config.PREFERENCES_URL, await linkKey(), systemClock),
    channels: {
      email: new SesEmailSender(sesClient(), { configurationSetName: config.CONFIGURATION_SET }),
      sms: new SnsSmsSender(snsClient(), config.SMS_SENDER_ID ? { senderId: config.SMS_SENDER_ID } : {}),
      push: new SnsPushSender(snsClient()),
      webhook: new HttpWebhookSender({ secret: webhookSecret }),
    },
  };
});

export const evaluateDeps = /* @__PURE__ */ onceAsync(async (): Promise<EvaluateDeps> => {
  const config = loadConfig({
    SCHEDULE_GROUP: env.name(),
    DEFERRED_FUNCTION_ARN: env.name(),
    SCHEDULER_ROLE_ARN: env.name(),
    SCHEDULER_DLQ_ARN: env.name(),
  });
  return {
    ...(await deliverDeps()),
    clock: systemClock,
    scheduler: new EventBridgeScheduler(schedulerClient(), {
      groupName: config.SCHEDULE_GROUP,
      targetArn: config.DEFERRED_FUNCTION_ARN,
      roleArn: config.SCHEDULER_ROLE_ARN,
      deadLetterArn: config.SCHEDULER_DLQ_ARN,
    }),
  };
});

export const customerDataDeps = /* @__PURE__ */ once((): CustomerDataDeps => {
  const config = loadConfig({
    PUSH_APP_FCM_ARN: z.string().startsWith('arn:').optional(),
    PUSH_APP_APNS_ARN: z.string().startsWith('arn:').optional(),
  });
  return {
    store: store(),
    engine: engine(),
    clock: systemClock,
    pushRegistry: new SnsPushRegistry(snsClient()),
    platformApplications: {
      ...(config.PUSH_APP_FCM_ARN && { fcm: config.PUSH_APP_FCM_ARN }),
      ...(config.PUSH_APP_APNS_ARN && { apns: config.PUSH_APP_APNS_ARN }),
    },
  };
});

export const deadLetters = /* @__PURE__ */ once(() => {
  const { DEAD_LETTER_QUEUE_URL } = loadConfig({ DEAD_LETTER_QUEUE_URL: env.url() });
  return new SqsDeadLetters(sqsClient(), DEAD_LETTER_QUEUE_URL);
});

export const emitter = /* @__PURE__ */ once(() => {
  const { EVENT_BUS_NAME } = loadConfig({ EVENT_BUS_NAME: env.name() });
  return new EventBridgeEmitter(eventBridgeClient(), EVENT_BUS_NAME);
});
