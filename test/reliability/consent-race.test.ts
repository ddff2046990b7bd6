import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import fc from 'fast-check';
import { beforeAll, describe, expect, it } from 'vitest';
import { DynamoCustomerStore } from '#shared/adapters/dynamodb/customer-store.ts';
import { pkOf } from '#shared/adapters/dynamodb/items.ts';
import { decidedKey } from '#shared/domain/customer.ts';
import type { ContactRecord } from '#shared/domain/store.ts';
import { TransientError } from '#shared/errors.ts';
import { applyConsentEvent } from '#shared/use-cases/customer-data.ts';
import { type EvaluateDeps, evaluateTrigger } from '#shared/use-cases/evaluate-trigger.ts';
import { sendDeferred } from '#shared/use-cases/send-deferred.ts';
import { busEvent, createPipeline, onboard, type Pipeline, pipelineEngine } from '../support/pipeline.ts';
import { customerIds, emailOf } from './support/customers.ts';
import { SIZES, TIMEOUT } from './support/scale.ts';

// Consent withdrawal racing triggers for the same customer, in random interleavings (fast-check picks
// the number of triggers and every start delay). The order of events is read off the wire: a
// middleware on the DynamoDB client numbers the moment each decision commit was *issued* and the
// moment the withdrawal's write was *acknowledged*. The promise: no send whose commit was issued after
// the withdrawal was recorded. (A commit issued before may still send: it was decided first.)

const SEED = process.env.CONSENT_SEED ? Number(process.env.CONSENT_SEED) : undefined;

let p: Pipeline;
let deps: EvaluateDeps;
let data: Pipeline['data'];
let seq = 0;
/** Per customer partition: when the withdrawal was acknowledged. */
const withdrawnAt = new Map<string, number>();
/** Per committed (hashed) idempotency key: when the commit that first carried it was issued. */
const issuedAt = new Map<string, number>();

const str = (v: unknown): string =>
  typeof v === 'string'
    ? v
    : typeof (v as { S?: unknown })?.S === 'string'
      ? String((v as { S: string }).S)
      : '';

beforeAll(async () => {
  p = await createPipeline(pipelineEngine('http://127.0.0.1:9/unused'));
  const client = new DynamoDBClient({ maxAttempts: 3 });
  client.middlewareStack.add(
    (next, context) => async (args) => {
      if (context.commandName !== 'UpdateItemCommand') return next(args);
      const input = args.input as {
        UpdateExpression?: string;
        Key?: Record<string, unknown>;
        ExpressionAttributeValues?: Record<string, unknown>;
      };
      const pk = str(input.Key?.pk);
      const issued = seq++;
      const result = await next(args);
      if (input.UpdateExpression?.startsWith('SET c = :c')) withdrawnAt.set(pk, seq++);
      if (input.UpdateExpression?.startsWith('SET s = :s, d = :d')) {
        const keys = Object.keys(JSON.parse(str(input.ExpressionAttributeValues?.[':d']) || '{}'));
        for (const key of keys) if (!issuedAt.has(`${pk}|${key}`)) issuedAt.set(`${pk}|${key}`, issued);
      }
      return result;
    },
    { step: 'initialize', name: 'sequence' },
  );
  const store = new DynamoCustomerStore(client, {
    tableName: p.table,
    sendRetentionMs: p.deps.engine.maxCapWindowMs,
    now: () => p.clock.now(),
  });
  deps = { ...p.deps, store };
  data = { ...p.data, store };
});

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
/** As the queue would: a transient failure is retried. */
async function untilDecided(work: () => Promise<ContactRecord>): Promise<ContactRecord> {
  for (let i = 0; ; i++) {
    try {
      return await work();
    } catch (error) {
      if (!(error instanceof TransientError) || i > 20) throw error;
      await sleep(5);
    }
  }
}

describe('consent withdrawal racing triggers', () => {
  it(
    `${SIZES.consentRuns} random interleavings: 0 sends decided after a withdrawal was recorded`,
    async () => {
      let sentBefore = 0;
      let refusedAfter = 0;
      const interleaving = fc.record({
        triggers: fc.array(fc.record({ delay: fc.nat(12), deferred: fc.boolean() }), {
          minLength: 1,
          maxLength: 8,
        }),
        withdrawAfter: fc.nat(12),
      });
      await fc.assert(
        fc.asyncProperty(interleaving, async ({ triggers, withdrawAfter }) => {
          const [id = ''] = customerIds('race', 1);
          await onboard(p, id, { email: emailOf(id) }, [{ purpose: 'marketing' }]);
          const withdraw = async () => {
            await sleep(withdrawAfter);
            await applyConsentEvent(data, {
              ...busEvent('contact.consent', id),
              'detail-type': 'ConsentWithdrawn',
              detail: {
                customerId: id,
                purpose: 'marketing',
                channel: 'all',
                source: 'preference-page',
                occurredAt: new Date(p.clock.now()).toISOString(),
              },
            });
          };
          const decisions = triggers.map(async ({ delay, deferred }) => {
            await sleep(delay);
            const event = deferred
              ? {
                  campaignId: 'cart',
                  event: busEvent('test.cart', id, { cartId: `k${delay}-${Math.random()}` }),
                }
              : { campaignId: 'welcome', event: busEvent('test.welcome', id) };
            return untilDecided(() => evaluateTrigger(deps, event));
          });
          const [records] = await Promise.all([Promise.all(decisions), withdraw()]);
          const withdrawal = withdrawnAt.get(pkOf(id));
          expect(withdrawal).toBeDefined();
          for (const record of records) {
            if (record.outcome === 'sent') {
              sentBefore++;
              const issued = issuedAt.get(`${pkOf(id)}|${decidedKey(record.idempotencyKey)}`);
              expect(issued).toBeDefined();
              expect(issued).toBeLessThan(withdrawal as number);
            } else if (record.reason === 'no_consent') refusedAfter++;
          }
          // Deferred ones fall due after the withdrawal: each is re-checked and none goes out.
          p.clock.ms += 2 * 3_600_000;
          try {
            for (const record of records.filter((r) => r.outcome === 'deferred')) {
              const due = await sendDeferred(deps, {
                at: 0,
                customerId: id,
                campaignId: record.campaignId,
                idempotencyKey: record.idempotencyKey,
                event: {},
              });
              expect(due).toMatchObject({ outcome: 'suppressed', reason: 'no_consent' });
            }
          } finally {
            p.clock.ms -= 2 * 3_600_000;
          }
        }),
        { numRuns: SIZES.consentRuns, ...(SEED !== undefined && { seed: SEED }) },
      );
      console.log(`consent race: ${sentBefore} sent before the withdrawal, ${refusedAfter} refused after it`);
      // Both sides of the race were exercised.
      expect(sentBefore).toBeGreaterThan(0);
      expect(refusedAfter).toBeGreaterThan(0);
    },
    TIMEOUT,
  );
});
