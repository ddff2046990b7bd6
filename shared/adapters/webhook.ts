import { randomUUID } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import type { Clock, SendResult, WebhookMessage, WebhookSender } from '#shared/domain/ports.ts';
import { PermanentSendError, systemClock } from '#shared/domain/ports.ts';
import { signWebhook, WEBHOOK_HEADERS } from '#shared/domain/webhook-signature.ts';
import { TransientError } from '#shared/errors.ts';

export interface HttpWebhookSenderOptions {
  /**
   * The HMAC secret shared with the receivers, or a function that fetches it (Secrets Manager,
   * Parameter Store). A function is called once per delivery, so a rotated secret is picked up without
   * a restart; cache inside it if calls cost money.
   */
  readonly secret: string | (() => Promise<string>);
  /** @default globalThis.fetch */
  readonly fetch?: typeof fetch;
  /** Per attempt, including reading the answer. @default 5000 */
  readonly timeoutMs?: number;
  /** Retries after the first attempt (so `retries + 1` attempts at most). @default 3 */
  readonly retries?: number;
  /** For the signature timestamp. @default systemClock */
  readonly clock?: Clock;
  /** First backoff step; each retry doubles it, with full jitter. @default 200 */
  readonly baseDelayMs?: number;
  /**
   * Cap for one wait, including a receiver's `Retry-After`: a Lambda that sleeps longer only burns
   * money, and SQS redelivery takes over after the retries. @default 5000
   */
  readonly maxDelayMs?: number;
}

/** Loopback hosts may be plain HTTP (the local runtime and tests); every other receiver needs HTTPS. */
const LOOPBACK = new Set(['localhost', '127.0.0.1', '[::1]']);

/** A failed attempt that is worth another try. */
class RetryableAttempt extends Error {
  override name = 'RetryableAttempt';
  constructor(
    message: string,
    readonly status?: number,
    readonly retryAfterMs?: number,
    options?: { cause?: unknown },
  ) {
    super(message, options);
  }
}

/**
 * Delivers JSON to the print shop's and call centre's HTTPS endpoints, signed so that they can tell our
 * requests from anyone else's (see `shared/domain/webhook-signature.ts`).
 *
 * Each attempt is re-signed with a fresh timestamp (a retry after a long `Retry-After` must not look
 * stale) and carries the same idempotency key (so the receiver can drop our duplicates). Redirects are
 * not followed: a signed body must not travel to a host the configuration did not name.
 *
 * Outcomes: 2xx → the receiver's `x-receipt-id` header or JSON `id`, else a generated UUID;
 * network errors, timeouts, 408, 429 and 5xx → retried with exponential backoff and full jitter, then
 * `TransientError`; any other status → `PermanentSendError` with code `HTTP_<status>`.
 */
export class HttpWebhookSender implements WebhookSender {
  private readonly fetch: typeof fetch;
  private readonly timeoutMs: number;
  private readonly retries: number;
  private readonly clock: Clock;
  private readonly baseDelayMs: number;
  private readonly maxDelayMs: number;

  constructor(private readonly options: HttpWebhookSenderOptions) {
    this.fetch = options.fetch ?? globalThis.fetch;
    this.timeoutMs = options.timeoutMs ?? 5000;
    this.retries = options.retries ?? 3;
    this.clock = options.clock ?? systemClock;
    this.baseDelayMs = options.baseDelayMs ?? 200;
    this.maxDelayMs = options.maxDelayMs ?? 5000;
  }

  async post(message: WebhookMessage): Promise<SendResult> {
    const url = parseUrl(message.url);
    const rawBody = JSON.stringify(message.body);
    if (rawBody === undefined)
      throw new PermanentSendError('webhook body is not JSON-serialisable', 'BAD_BODY');
    const secret = await this.secret();

    let last: RetryableAttempt | undefined;
    for (let attempt = 0; attempt <= this.retries; attempt++) {
      if (last !== undefined) await sleep(this.backoff(attempt, last.retryAfterMs));
      try {
        return await this.attempt(url, rawBody, secret, message.idempotencyKey);
      } catch (error) {
        if (!(error instanceof RetryableAttempt)) throw error;
        last = error;
      }
    }
    throw new TransientError(
      `webhook delivery failed after ${this.retries + 1} attempts (${last?.message ?? 'unknown'})`,
      { cause: last?.cause ?? last },
      {
        host: url.host,
        attempts: this.retries + 1,
        ...(last?.status !== undefined && { status: last.status }),
      },
    );
  }

  private async secret(): Promise<string> {
    const { secret } = this.options;
    if (typeof secret === 'string') return secret;
    try {
      return await secret();
    } catch (error) {
      throw new TransientError('webhook signing secret unavailable', { cause: error });
    }
  }

  private async attempt(
    url: URL,
    rawBody: string,
    secret: string,
    idempotencyKey: string,
  ): Promise<SendResult> {
    const timestamp = Math.floor(this.clock.now() / 1000);
    let response: Response;
    let text: string | undefined;
    try {
      const signal = AbortSignal.timeout(this.timeoutMs);
      response = await this.fetch(url, {
        method: 'POST',
        redirect: 'manual',
        signal,
        headers: {
          'content-type': 'application/json',
          [WEBHOOK_HEADERS.timestamp]: String(timestamp),
          [WEBHOOK_HEADERS.signature]: signWebhook(secret, timestamp, rawBody),
          [WEBHOOK_HEADERS.idempotencyKey]: idempotencyKey,
        },
        body: rawBody,
      });
      // Read (or discard) the answer under the same timeout, so the connection goes back to the pool.
      if (response.ok && !response.headers.has('x-receipt-id')) text = await response.text();
      else await response.body?.cancel();
    } catch (error) {
      const timedOut =
        error instanceof Error && (error.name === 'TimeoutError' || error.name === 'AbortError');
      throw new RetryableAttempt(
        timedOut ? `timeout after ${this.timeoutMs} ms` : 'network error',
        undefined,
        undefined,
        {
          cause: error,
        },
      );
    }

    const { status } = response;
    if (response.ok) return { messageId: receiptId(response.headers, text) };
    if (status === 408 || status === 429 || status >= 500) {
      throw new RetryableAttempt(`HTTP ${status}`, status, retryAfterMs(response.headers, this.clock.now()));
    }
    throw new PermanentSendError(`webhook receiver refused the delivery (HTTP ${status})`, `HTTP_${status}`);
  }

  /** Full jitter (AWS Architecture Blog, "Exponential Backoff And Jitter"), or the receiver's wish. */
  private backoff(attempt: number, retryAfter: number | undefined): number {
    if (retryAfter !== undefined) return Math.min(retryAfter, this.maxDelayMs);
    return Math.random() * Math.min(this.maxDelayMs, this.baseDelayMs * 2 ** (attempt - 1));
  }
}

function parseUrl(raw: string): URL {
  let url: URL;
  try {
    url = new URL(raw);
  } catch (error) {
    throw new PermanentSendError('webhook URL is not a URL', 'BAD_URL', { cause: error });
  }
  if (url.protocol !== 'https:' && !(url.protocol === 'http:' && LOOPBACK.has(url.hostname))) {
    throw new PermanentSendError(`webhook URL must use HTTPS (host ${url.host})`, 'INSECURE_URL');
  }
  return url;
}

/** `Retry-After` as delay-seconds or an HTTP date, in milliseconds from now. */
function retryAfterMs(headers: Headers, nowMs: number): number | undefined {
  const value = headers.get('retry-after')?.trim();
  if (!value) return undefined;
  if (/^\d+$/.test(value)) return Number(value) * 1000;
  const date = Date.parse(value);
  return Number.isNaN(date) ? undefined : Math.max(0, date - nowMs);
}

function receiptId(headers: Headers, text: string | undefined): string {
  const header = headers.get('x-receipt-id');
  if (header) return header;
  if (text) {
    try {
      const json: unknown = JSON.parse(text);
      if (typeof json === 'object' && json !== null && 'id' in json) {
        const { id } = json;
        if ((typeof id === 'string' && id !== '') || typeof id === 'number') return String(id);
      }
    } catch {
      // Not JSON: the receiver accepted the delivery without a receipt.
    }
  }
  return randomUUID();
}
