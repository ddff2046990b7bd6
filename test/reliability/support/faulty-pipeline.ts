import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { SESv2Client } from '@aws-sdk/client-sesv2';
import { SNSClient } from '@aws-sdk/client-sns';
import { DynamoCustomerStore } from '#shared/adapters/dynamodb/customer-store.ts';
import { SesEmailSender } from '#shared/adapters/ses-email.ts';
import { SnsPushSender } from '#shared/adapters/sns-push.ts';
import { SnsSmsSender } from '#shared/adapters/sns-sms.ts';
import type { EvaluateDeps } from '#shared/use-cases/evaluate-trigger.ts';
import type { Pipeline } from '../../support/pipeline.ts';
import { type FaultPlan, type FaultStats, injectFaults } from './faults.ts';

export interface FaultyDeps {
  readonly deps: EvaluateDeps;
  readonly stats: { dynamodb: FaultStats; ses: FaultStats; sns: FaultStats };
}

/**
 * The pipeline's use-case dependencies on clients of their own (by default with the SDK's standard
 * retries, as the functions have them: `maxAttempts: 3`), each with the fault middleware; same table,
 * same servers.
 */
export function faultyDeps(p: Pipeline, plan: FaultPlan, maxAttempts = 3): FaultyDeps {
  const ddb = new DynamoDBClient({ maxAttempts });
  const ses = new SESv2Client({ maxAttempts });
  const sns = new SNSClient({ maxAttempts });
  const stats = {
    dynamodb: injectFaults(ddb, 'awsJson', plan),
    ses: injectFaults(ses, 'restJson', plan),
    sns: injectFaults(sns, 'awsQuery', plan),
  };
  const store = new DynamoCustomerStore(ddb, {
    tableName: p.table,
    sendRetentionMs: p.deps.engine.maxCapWindowMs,
    now: () => p.clock.now(),
  });
  const deps: EvaluateDeps = {
    ...p.deps,
    store,
    channels: {
      ...p.deps.channels,
      email: new SesEmailSender(ses, { configurationSetName: 'contact-test' }),
      sms: new SnsSmsSender(sns, { senderId: 'HuisPolis' }),
      push: new SnsPushSender(sns),
    },
  };
  return { deps, stats };
}
