import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { raw as nextBestOfferHandler } from '#functions/next-best-offer.ts';
import { logger } from '#functions/platform.ts';
import { jsonFunctionUrlEvent } from '#local/dashboard/function-url.ts';
import { meterDynamoDb } from '#local/ddb-meter.ts';
import { DynamoCustomerStore } from '#shared/adapters/dynamodb/customer-store.ts';
import { compileEngine } from '#shared/engine/compile.ts';
import { loadCompiledStrategy } from '#shared/strategy/load.ts';
import { applyConsentEvent, applyProfileUpdate } from '#shared/use-cases/customer-data.ts';
import type { NextBestOfferDeps } from '#shared/use-cases/next-best-offer.ts';
import { recordActivity } from '#shared/use-cases/record-activity.ts';

/**
 * Contact moments (issue 8) on the local servers: the latency of `GET /customers/{id}/next-best-offer`
 * and `POST /customers/{id}/contacts` through the very handler the function URL runs (parse, one
 * Query, the engine, render, JSON), against DynamoDB Local; plus the DynamoDB calls and units a GET
 * costs (target: one Query, no write). Sequential requests, after a warm-up, so the percentiles are the
 * service time, not queueing.
 */

/** The p99 a till can live with on a 2-core machine's local servers (a page waits on it). */
export const NEXT_BEST_OFFER_P99_TARGET_MS = 25;

export interface NextBestOfferBench {
  readonly requests: number;
  readonly getMs: { readonly p50: number; readonly p99: number };
  readonly postMs: { readonly p50: number; readonly p99: number };
  readonly p99TargetMs: number;
  /** Per GET: DynamoDB calls by command, and units. */
  readonly ddbPerGet: {
    readonly calls: Record<string, number>;
    readonly readUnits: number;
    readonly writeUnits: number;
  };
}

const percentile = (xs: readonly number[], p: number): number => {
  const s = [...xs].sort((a, b) => a - b);
  return Math.round((s[Math.min(s.length - 1, Math.floor((p / 100) * s.length))] ?? 0) * 100) / 100;
};

/**
 * Seeds `customers` loyal customers in `table` (profile, consent, three orders) and measures, with a
 * DynamoDB client of its own (metered; the SDK finds DynamoDB Local through AWS_ENDPOINT_URL_DYNAMODB).
 * @default customers 200, requests 2000 GETs and 400 POSTs
 */
export async function measureNextBestOffer(
  table: string,
  options: { customers?: number; requests?: number } = {},
): Promise<NextBestOfferBench> {
  const client = new DynamoDBClient({});
  // The handler logs one line per request: in production that is CloudWatch, here it would bury the results.
  logger.setLogLevel('ERROR');
  try {
    return await measure(client, table, options);
  } finally {
    client.destroy();
  }
}

async function measure(
  client: DynamoDBClient,
  table: string,
  options: { customers?: number; requests?: number },
): Promise<NextBestOfferBench> {
  const customers = options.customers ?? 200;
  const requests = options.requests ?? 2000;
  const engine = compileEngine(loadCompiledStrategy('strategy/contact-strategy.yaml'));
  const meter = meterDynamoDb(client);
  const store = new DynamoCustomerStore(client, { tableName: table, sendRetentionMs: engine.maxCapWindowMs });
  const now = Date.now();
  const clock = { now: () => Date.now() };
  const deps: NextBestOfferDeps = { store, engine, clock };
  const ids = Array.from({ length: customers }, (_, i) => `nbo-${i}`);
  const iso = (ms: number) => new Date(ms).toISOString();
  const envelope = (
    id: string,
    source: string,
    detailType: string,
    detail: Record<string, unknown>,
    at: number,
  ) => ({
    id: `${id}-${source}-${detailType}-${at}`,
    source,
    'detail-type': detailType,
    time: iso(at),
    detail: { customerId: id, ...detail },
  });
  for (const id of ids) {
    const data = { store, engine, strategy: engine.strategy, clock };
    await applyProfileUpdate(
      data,
      envelope(
        id,
        'contact.profiles',
        'CustomerProfileUpdated',
        {
          email: `${id}@example.nl`,
          locale: 'nl',
          attributes: {
            firstName: 'Sam',
            country: 'NL',
            lifecycle: 'active',
            contractType: 'home',
            contractEndDate: iso(now + 10 * 86_400_000).slice(0, 10),
          },
        },
        now - 3_600_000,
      ),
    );
    await applyConsentEvent(
      data,
      envelope(
        id,
        'contact.consent',
        'ConsentGranted',
        { purpose: 'marketing', channel: 'all', source: 'bench', occurredAt: iso(now - 3_600_000) },
        now - 3_600_000,
      ),
    );
    for (const n of [1, 2, 3])
      await recordActivity(
        data,
        envelope(
          id,
          'shop.orders',
          'OrderPlaced',
          { orderId: `${id}-${n}`, total: 40 },
          now - n * 86_400_000,
        ),
      );
  }

  const get = (i: number) =>
    nextBestOfferHandler(
      jsonFunctionUrlEvent('GET', `/customers/${ids[i % customers]}/next-best-offer`, 'moment=web'),
      deps,
    );
  for (let i = 0; i < 100; i++) await get(i); // warm-up: JIT, connections, template cache
  meter.reset();
  const getMs: number[] = [];
  for (let i = 0; i < requests; i++) {
    const t0 = performance.now();
    const result = await get(i);
    getMs.push(performance.now() - t0);
    if (result.statusCode !== 200) throw new Error(`GET answered ${result.statusCode}`);
  }
  const ddbPerGet = {
    calls: Object.fromEntries(Object.entries(meter.calls).map(([k, v]) => [k, v / requests])),
    readUnits: meter.readUnits / requests,
    writeUnits: meter.writeUnits / requests,
  };
  const postMs: number[] = [];
  for (let i = 0; i < requests / 5; i++) {
    const t0 = performance.now();
    const result = await nextBestOfferHandler(
      jsonFunctionUrlEvent('POST', `/customers/${ids[i % customers]}/contacts`, '', {
        idempotencyKey: `receipt-${i}`,
        campaignId: 'contract-renewal',
        moment: 'web',
        response: i % 3 === 0 ? 'accepted' : 'declined',
      }),
      deps,
    );
    postMs.push(performance.now() - t0);
    if ((result.statusCode ?? 0) >= 300) throw new Error(`POST answered ${result.statusCode}`);
  }
  return {
    requests,
    getMs: { p50: percentile(getMs, 50), p99: percentile(getMs, 99) },
    postMs: { p50: percentile(postMs, 50), p99: percentile(postMs, 99) },
    p99TargetMs: NEXT_BEST_OFFER_P99_TARGET_MS,
    ddbPerGet,
  };
}
