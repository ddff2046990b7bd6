import { randomUUID } from 'node:crypto';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { verifyWebhook, WEBHOOK_HEADERS } from '#shared/domain/webhook-signature.ts';

/**
 * A sample webhook receiver, as the print shop or call centre would run it: it shows a partner how to
 * verify our signatures, and gives tests and the local demo a real HTTP endpoint to deliver to.
 *
 * - `POST` (any path): verifies `x-contact-signature` over the raw body and refuses a bad or stale one
 *   (older or newer than 5 minutes) with 401; needs `x-contact-idempotency-key` (400 without);
 *   stores the delivery once per key and answers `200 { id }` with an `x-receipt-id` header, the same
 *   receipt for a repeated key (our retries), so the sender records one delivery.
 * - `GET /_store`: `{ deliveries, attempts }` as JSON.
 * - `POST /_fail?status=500&count=1[&retryAfter=0]`: test hook, the next `count` deliveries answer
 *   `status` before anything else is checked, to show retries and permanent refusals.
 */

export interface Delivery {
  readonly receiptId: string;
  readonly idempotencyKey: string;
  readonly path: string;
  readonly body: unknown;
  readonly receivedAt: string;
}

/** Every request that reached `POST`, including refused ones: what the sender's retries looked like. */
export interface DeliveryAttempt {
  readonly idempotencyKey: string | undefined;
  readonly status: number;
  readonly reason?: string;
}

export interface WebhookReceiverStore {
  readonly deliveries: Delivery[];
  readonly attempts: DeliveryAttempt[];
}

export interface RunningWebhookReceiver {
  /** Base URL, e.g. `http://127.0.0.1:41234`; any path below it accepts deliveries. */
  readonly url: string;
  readonly store: WebhookReceiverStore;
  stop(): Promise<void>;
}

const MAX_BODY_BYTES = 1024 * 1024;

class BodyTooLarge extends Error {}

async function readBody(req: IncomingMessage): Promise<Buffer> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req) {
    size += (chunk as Buffer).length;
    if (size > MAX_BODY_BYTES) throw new BodyTooLarge();
    chunks.push(chunk as Buffer);
  }
  return Buffer.concat(chunks);
}

function send(
  res: ServerResponse,
  status: number,
  body: unknown,
  headers: Record<string, string> = {},
): void {
  const text = JSON.stringify(body);
  res.writeHead(status, {
    'content-type': 'application/json',
    'content-length': Buffer.byteLength(text),
    ...headers,
  });
  res.end(text);
}

function single(value: string | string[] | undefined): string | undefined {
  return typeof value === 'string' && value !== '' ? value : undefined;
}

/**
 * Starts the sample receiver on `127.0.0.1:port` (0 picks a free port) with the shared `secret`.
 * @param nowSeconds the receiver's clock, for replay checks. @default wall-clock time
 */
export async function startWebhookReceiver(
  port: number,
  secret: string,
  nowSeconds: () => number = () => Math.floor(Date.now() / 1000),
): Promise<RunningWebhookReceiver> {
  const store: WebhookReceiverStore = { deliveries: [], attempts: [] };
  const byKey = new Map<string, Delivery>();
  const faults: { status: number; retryAfter?: string }[] = [];

  const handle = async (req: IncomingMessage, res: ServerResponse): Promise<void> => {
    const url = new URL(req.url ?? '/', 'http://localhost');
    if (req.method === 'GET' && url.pathname === '/_store') return send(res, 200, store);
    if (req.method === 'POST' && url.pathname === '/_fail') {
      const status = Number(url.searchParams.get('status') ?? '500');
      const count = Number(url.searchParams.get('count') ?? '1');
      const retryAfter = url.searchParams.get('retryAfter') ?? undefined;
      for (let i = 0; i < count; i++)
        faults.push({ status, ...(retryAfter !== undefined && { retryAfter }) });
      return send(res, 200, { queued: faults.length });
    }
    if (req.method !== 'POST') return send(res, 405, { error: 'method not allowed' });

    const idempotencyKey = single(req.headers[WEBHOOK_HEADERS.idempotencyKey]);
    const refuse = (status: number, reason: string, headers?: Record<string, string>): void => {
      store.attempts.push({ idempotencyKey, status, reason });
      send(res, status, { error: reason }, headers);
    };
    let raw: Buffer;
    try {
      raw = await readBody(req);
    } catch (error) {
      return refuse(error instanceof BodyTooLarge ? 413 : 400, 'unreadable body');
    }
    const fault = faults.shift();
    if (fault) {
      return refuse(
        fault.status,
        'injected fault',
        fault.retryAfter ? { 'retry-after': fault.retryAfter } : {},
      );
    }
    // Verify before anything else is trusted, on the bytes as received.
    const verification = verifyWebhook(secret, req.headers, raw, nowSeconds());
    if (!verification.ok) return refuse(401, `signature ${verification.reason}`);
    if (!idempotencyKey) return refuse(400, 'missing idempotency key');
    let body: unknown;
    try {
      body = JSON.parse(raw.toString('utf8'));
    } catch {
      return refuse(400, 'body is not JSON');
    }

    const seen = byKey.get(idempotencyKey);
    const delivery: Delivery = seen ?? {
      receiptId: randomUUID(),
      idempotencyKey,
      path: url.pathname,
      body,
      receivedAt: new Date().toISOString(),
    };
    if (!seen) {
      byKey.set(idempotencyKey, delivery);
      store.deliveries.push(delivery);
    }
    store.attempts.push({ idempotencyKey, status: 200, ...(seen && { reason: 'duplicate' }) });
    send(
      res,
      200,
      { id: delivery.receiptId, duplicate: seen !== undefined },
      { 'x-receipt-id': delivery.receiptId },
    );
  };
  const server = createServer((req, res) => {
    handle(req, res).catch(() => {
      if (res.headersSent) res.destroy();
      else send(res, 500, { error: 'internal error' });
    });
  });

  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, '127.0.0.1', resolve);
  });
  const actual = (server.address() as AddressInfo).port;
  return {
    url: `http://127.0.0.1:${actual}`,
    store,
    stop: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
