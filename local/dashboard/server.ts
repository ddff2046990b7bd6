import { randomUUID, timingSafeEqual } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import { createRequire } from 'node:module';
import { dirname, join, relative } from 'node:path';
import type { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import type { APIGatewayProxyStructuredResultV2, LambdaFunctionURLEvent } from 'aws-lambda';
import type { CustomerDataStore } from '#shared/domain/store.ts';
import type { Engine } from '#shared/engine/compile.ts';
import type { Strategy } from '#shared/strategy/schema.ts';
import { MOMENTS, type Moment } from '#shared/strategy/schema.ts';
import type { NextBestOffer } from '#shared/use-cases/next-best-offer.ts';
import { reachOf, scanCustomers } from '../reach.ts';
import type { RuntimeStats, RuntimeUrls } from '../runtime.ts';
import { BodyTooLargeError, close, listen, readBody, send, sendJson } from '../servers/http.ts';
import {
  customerDecisions,
  knownCustomer,
  metricsOf,
  scanDecisions,
  selectDecisions,
  strategyViewOf,
} from './data.ts';
import { functionUrlEvent, jsonFunctionUrlEvent, writeFunctionUrlResult } from './function-url.ts';
import { MEASUREMENT_CHARTS_JS } from './measurement.ts';
import { renderReachPage, renderTillPage } from './moments-pages.ts';
import { renderDashboardPage } from './page.ts';

/**
 * The local dashboard (port 4000): one server-rendered page and a small JSON API over the contact
 * table, plus the `preferences` function URL mounted under `/p/` (the unsubscribe and preference links
 * in every local message point here).
 *
 * - `GET /api/decisions?customerId=&campaignId=&limit=`: `{ decisions }`, newest first (default 50)
 * - `GET /api/metrics`: per campaign and in total, decisions by outcome and reason, messages by channel
 * - `GET /api/customers/:id`: everything stored about the customer (`exportCustomer`), 404 if nothing
 * - `GET /api/strategy`: the Mermaid diagram and the campaigns
 * - `GET /api/stats`: the runtime's queues, dead letters and schedules
 * - `GET /assets/chart.umd.min.js` (Chart.js, from node_modules) and `/assets/measurement-charts.js`:
 *   the charts of the Measurement section
 * - `GET /api/reach`, `GET /reach`: the reachability report (`npx contact reach`)
 * - `GET /customers/:id/next-best-offer`, `POST /customers/:id/contacts`: the contact-moment API (the
 *   `next-best-offer` handler), with `Authorization: Bearer <apiToken>` as the local stand-in for AWS_IAM
 * - `GET /till`, `POST /till/contacts`: a shop till playing that API
 */

export type FunctionUrlHandler = (
  event: LambdaFunctionURLEvent,
) => Promise<APIGatewayProxyStructuredResultV2>;

export interface DashboardOptions {
  readonly doc: DynamoDBDocumentClient;
  readonly store: Pick<CustomerDataStore, 'exportCustomer'>;
  readonly table: string;
  readonly strategy: Strategy;
  readonly strategyFile: string;
  /** Simulated time. */
  now(): number;
  stats(): RuntimeStats;
  urls(): RuntimeUrls | undefined;
  /** The `preferences` handler, once the handler modules are loaded. */
  preferences(): FunctionUrlHandler | undefined;
  /** The compiled strategy, for the reachability report. */
  readonly engine?: Engine;
  /** The bearer token of the contact-moment API; without it the API is not served. */
  readonly apiToken?: string;
  /** The `next-best-offer` handler, once the handler modules are loaded. */
  moments?(): FunctionUrlHandler | undefined;
}

export interface DashboardServer {
  readonly endpoint: string;
  readonly port: number;
  stop(): Promise<void>;
}

/** The page may load nothing from anywhere; forms post only here. */
const PAGE_HEADERS = {
  'content-security-policy':
    "default-src 'none'; script-src 'self'; style-src 'unsafe-inline'; img-src data:; form-action 'self'; base-uri 'none'; frame-ancestors 'none'",
  'x-content-type-options': 'nosniff',
  'referrer-policy': 'no-referrer',
  'cache-control': 'no-store',
};

const MAX_FORM_BYTES = 64 * 1024;

/** Chart.js's browser build, served from node_modules (the page loads nothing from anywhere else). */
const CHART_JS = join(dirname(createRequire(import.meta.url).resolve('chart.js')), 'chart.umd.min.js');
let chartJs: Promise<Buffer> | undefined;

const SCRIPT_HEADERS = {
  'x-content-type-options': 'nosniff',
  'cache-control': 'public, max-age=3600',
};

const param = (url: URL, name: string): string | undefined => {
  const value = url.searchParams.get(name)?.trim();
  return value ? value : undefined;
};

export async function startDashboard(
  port: number,
  options: DashboardOptions,
  host = '127.0.0.1',
): Promise<DashboardServer> {
  const strategyView = strategyViewOf(
    options.strategy,
    relative(process.cwd(), options.strategyFile) || options.strategyFile,
  );

  const customer = async (id: string) => {
    const data = await options.store.exportCustomer(id);
    return knownCustomer(data) ? data : undefined;
  };

  const authorised = (req: IncomingMessage): boolean => {
    const expected = Buffer.from(`Bearer ${options.apiToken ?? ''}`);
    const given = Buffer.from(req.headers.authorization ?? '');
    return (
      options.apiToken !== undefined && given.length === expected.length && timingSafeEqual(given, expected)
    );
  };
  /** Calls the contact-moment handler as its function URL would (the till goes through here too). */
  const callMoments = async (method: string, path: string, query: string, body?: unknown) => {
    const handler = options.moments?.();
    if (!handler) return undefined;
    const event = jsonFunctionUrlEvent(method, path, query, body);
    const result = await handler(event);
    return {
      status: result.statusCode ?? 200,
      body: JSON.parse(result.body ?? '{}') as Record<string, unknown>,
    };
  };

  const handle = async (req: IncomingMessage, res: ServerResponse): Promise<void> => {
    const url = new URL(req.url ?? '/', 'http://localhost');
    const path = url.pathname;

    if (path.startsWith('/customers/')) {
      if (!authorised(req))
        return sendJson(
          res,
          401,
          { message: 'unauthorised: send Authorization: Bearer <token> (printed by npm start)' },
          'application/json',
          {
            'www-authenticate': 'Bearer realm="contact-moments"',
          },
        );
      const handler = options.moments?.();
      if (!handler) return sendJson(res, 503, { message: 'starting, try again in a moment' });
      const body = await formBody(req);
      if (!body) return sendJson(res, 413, { message: 'too large' });
      return writeFunctionUrlResult(res, await handler(functionUrlEvent(req, path, body)));
    }
    if (path === '/till/contacts' && req.method === 'POST') {
      // The till page's form posts without the API token, so only the page itself may post it: a form
      // on another site (cross-site request forgery) would otherwise record contacts and use up caps.
      if (!sameOrigin(req)) return sendJson(res, 403, { message: 'only the till page may post this form' });
      const raw = await formBody(req);
      if (!raw) return sendJson(res, 413, { message: 'too large' });
      const form = new URLSearchParams(raw.toString('utf8'));
      const customerId = form.get('customerId') ?? '';
      const moment = form.get('moment') ?? 'till';
      const answer = await callMoments('POST', `/customers/${encodeURIComponent(customerId)}/contacts`, '', {
        idempotencyKey: form.get('receipt') ?? '',
        campaignId: form.get('campaignId') ?? '',
        moment,
        response: form.get('response') ?? undefined,
        ...(form.get('variant') && { variant: form.get('variant') }),
      });
      const flash =
        answer && answer.status < 300
          ? `Recorded: ${form.get('response')} (${String(answer.body.status)}).`
          : `Not recorded: ${String(answer?.body.message ?? 'the API is starting')}`;
      const back = new URLSearchParams({ customerId, moment, flash });
      return send(res, 303, 'text/plain; charset=utf-8', 'See other', { location: `/till?${back}` });
    }

    if (path === '/p' || path.startsWith('/p/')) {
      const preferences = options.preferences();
      if (!preferences) return send(res, 503, 'text/plain; charset=utf-8', 'Starting, try again in a moment');
      const body = await formBody(req);
      if (!body) return send(res, 413, 'text/plain; charset=utf-8', 'Too large');
      const result = await preferences(functionUrlEvent(req, path.slice(2), body));
      return writeFunctionUrlResult(res, result);
    }
    if (req.method !== 'GET' && req.method !== 'HEAD')
      return sendJson(res, 405, { message: 'method not allowed' }, 'application/json', { allow: 'GET' });

    switch (true) {
      case path === '/api/decisions': {
        const customerId = param(url, 'customerId');
        const limit = Number(param(url, 'limit') ?? 50);
        if (!Number.isInteger(limit) || limit < 1)
          return sendJson(res, 400, { message: 'limit must be a positive integer' });
        const records = customerId
          ? await customerDecisions(options.doc, options.table, customerId)
          : await scanDecisions(options.doc, options.table);
        const campaignId = param(url, 'campaignId');
        return sendJson(res, 200, {
          decisions: selectDecisions(records, {
            ...(customerId && { customerId }),
            ...(campaignId && { campaignId }),
            limit,
          }),
        });
      }
      case path === '/api/metrics':
        return sendJson(
          res,
          200,
          metricsOf(await scanDecisions(options.doc, options.table), options.strategy, options.now()),
        );
      case path.startsWith('/api/customers/'): {
        const id = decodeURIComponent(path.slice('/api/customers/'.length));
        const data = id ? await customer(id) : undefined;
        return data
          ? sendJson(res, 200, data)
          : sendJson(res, 404, { message: 'no data about this customer' });
      }
      case path === '/api/strategy':
        return sendJson(res, 200, strategyView);
      case path === '/api/stats':
        return sendJson(res, 200, options.stats());
      case path === '/assets/chart.umd.min.js':
        chartJs ??= readFile(CHART_JS);
        return send(res, 200, 'text/javascript; charset=utf-8', await chartJs, SCRIPT_HEADERS);
      case path === '/assets/measurement-charts.js':
        return send(res, 200, 'text/javascript; charset=utf-8', MEASUREMENT_CHARTS_JS, SCRIPT_HEADERS);
      case path === '/api/reach' || path === '/reach': {
        if (!options.engine) return sendJson(res, 404, { message: 'no strategy engine' });
        const customers = await scanCustomers({ doc: options.doc, table: options.table, now: options.now() });
        const report = reachOf(options.engine, customers, options.now());
        return path === '/reach'
          ? send(res, 200, 'text/html; charset=utf-8', renderReachPage(report), PAGE_HEADERS)
          : sendJson(res, 200, report);
      }
      case path === '/till': {
        const customerId = param(url, 'customerId');
        const moment: Moment = MOMENTS.find((m) => m === param(url, 'moment')) ?? 'till';
        const asked = customerId
          ? await callMoments(
              'GET',
              `/customers/${encodeURIComponent(customerId)}/next-best-offer`,
              `moment=${moment}`,
            )
          : undefined;
        const html = renderTillPage({
          moment,
          receipt: `till-${randomUUID().slice(0, 8)}`,
          ...(customerId && { customerId }),
          ...(asked && asked.status === 200 && { answer: asked.body as unknown as NextBestOffer }),
          ...(asked && asked.status !== 200 && { error: String(asked.body.message ?? 'error') }),
          ...(customerId && !asked && { error: 'the API is starting, try again in a moment' }),
          ...(param(url, 'flash') && { flash: param(url, 'flash') }),
        });
        return send(res, 200, 'text/html; charset=utf-8', html, PAGE_HEADERS);
      }
      case path === '/' || path === '/index.html': {
        const records = await scanDecisions(options.doc, options.table);
        const filter = {
          ...(param(url, 'customerId') && { customerId: param(url, 'customerId') }),
          ...(param(url, 'campaignId') && { campaignId: param(url, 'campaignId') }),
        };
        const query = param(url, 'customer');
        const urls = options.urls();
        const html = renderDashboardPage({
          mode: 'live',
          now: new Date(options.now()).toISOString(),
          metrics: metricsOf(records, options.strategy, options.now()),
          decisions: selectDecisions(records, { ...filter, limit: 50 }),
          filter,
          strategy: strategyView,
          stats: options.stats(),
          links: { sesInbox: urls?.sesInbox ?? '#', snsStore: urls?.snsStore ?? '#' },
          ...(query !== undefined && {
            customer: { query, ...(await customer(query).then((data) => data && { data })) },
          }),
        });
        return send(res, 200, 'text/html; charset=utf-8', html, PAGE_HEADERS);
      }
      case path.startsWith('/api/'):
        return sendJson(res, 404, { message: `no API ${path}` });
      default:
        return send(
          res,
          404,
          'text/html; charset=utf-8',
          '<!doctype html><title>Not found</title><p>Not found. <a href="/">Dashboard</a></p>',
          PAGE_HEADERS,
        );
    }
  };

  const server = createServer((req, res) => {
    handle(req, res).catch((error: unknown) => {
      // Names only: an error message could quote data; the page never shows a stack.
      console.error(
        `[dashboard] ${req.method} ${new URL(req.url ?? '/', 'http://localhost').pathname} failed: ${error instanceof Error ? error.name : 'error'}`,
      );
      if (res.headersSent) return res.destroy();
      sendJson(res, 500, { message: 'internal error' });
    });
  });
  const actual = await listen(server, port, host, 'dashboard');
  return { endpoint: `http://${host}:${actual}`, port: actual, stop: () => close(server) };
}

/**
 * True unless the browser says the request came from another site: `Sec-Fetch-Site` (sent by every
 * current browser) or, failing that, an `Origin` whose host is not this server's. Tools without
 * either header (curl) are not browsers driven by a foreign page, so they pass.
 */
/** A request body of at most {@link MAX_FORM_BYTES}; undefined when it is larger (the caller answers 413). */
async function formBody(req: IncomingMessage): Promise<Buffer | undefined> {
  try {
    return await readBody(req, MAX_FORM_BYTES);
  } catch (error) {
    if (error instanceof BodyTooLargeError) return undefined;
    throw error;
  }
}

function sameOrigin(req: IncomingMessage): boolean {
  const site = req.headers['sec-fetch-site'];
  if (site !== undefined) return site === 'same-origin' || site === 'none';
  const origin = req.headers.origin;
  if (origin === undefined) return true;
  try {
    return new URL(origin).host === req.headers.host;
  } catch {
    return false;
  }
}
