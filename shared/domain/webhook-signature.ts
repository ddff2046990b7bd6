import { createHmac, timingSafeEqual } from 'node:crypto';

/**
 * Webhook signing, shared by the sender (`shared/adapters/webhook.ts`) and any receiver (the sample in
 * `local/webhook-receiver.ts`, the print shop's or call centre's own code).
 *
 * The scheme follows Stripe's and Svix's: the signature covers `"<timestamp>.<raw body>"`, so a
 * captured request cannot be replayed later with a fresh timestamp, and the receiver refuses
 * timestamps outside a tolerance window, so it cannot be replayed later with its old one either.
 * The `v1=` prefix leaves room for a new scheme; several comma-separated signatures may be sent while
 * a secret is being rotated.
 */

/** Header names, lower case as Node's `IncomingMessage.headers` has them. Part of the public contract. */
export const WEBHOOK_HEADERS = {
  timestamp: 'x-contact-timestamp',
  signature: 'x-contact-signature',
  idempotencyKey: 'x-contact-idempotency-key',
} as const;

/** How far (in seconds, both ways) a receiver accepts a timestamp from its own clock. @default 300 */
export const DEFAULT_TOLERANCE_SECONDS = 300;

const SCHEME = 'v1=';
const HEX_SHA256 = /^[0-9a-f]{64}$/;
const UNIX_SECONDS = /^\d{1,12}$/;

/**
 * The `x-contact-signature` header value for a body sent at `timestampSeconds`:
 * `v1=<hex HMAC-SHA256(secret, "<timestamp>.<raw body>")>`.
 *
 * `rawBody` must be the exact bytes on the wire: re-serialising parsed JSON on the receiving side may
 * reorder keys or change whitespace and break the signature.
 */
export function signWebhook(secret: string, timestampSeconds: number, rawBody: string | Uint8Array): string {
  const mac = createHmac('sha256', secret)
    .update(`${Math.trunc(timestampSeconds)}.`)
    .update(rawBody);
  return `${SCHEME}${mac.digest('hex')}`;
}

export type WebhookVerification =
  | { ok: true }
  | { ok: false; reason: 'missing' | 'malformed' | 'stale' | 'mismatch' };

/** Node's `IncomingHttpHeaders`, a plain record, or a fetch `Headers` object. */
export type WebhookHeaders = Headers | Readonly<Record<string, string | readonly string[] | undefined>>;

function header(headers: WebhookHeaders, name: string): string | undefined {
  if (headers instanceof Headers) return headers.get(name) ?? undefined;
  const key = Object.keys(headers).find((k) => k.toLowerCase() === name);
  const value = key === undefined ? undefined : headers[key];
  // A repeated header is ambiguous: take none rather than guess which one was signed.
  return typeof value === 'string' ? value : undefined;
}

/**
 * Checks a delivery's signature and freshness. Pure: the caller passes its clock.
 *
 * Order of checks: the headers must be present and well formed, then the signature must match (in
 * constant time, so response timing does not reveal how many leading bytes were right), then the
 * timestamp must lie within `toleranceSeconds` of `nowSeconds` in either direction (a far-future
 * timestamp would otherwise make a captured request replayable for longer).
 *
 * @param toleranceSeconds @default 300 (5 minutes)
 */
export function verifyWebhook(
  secret: string,
  headers: WebhookHeaders,
  rawBody: string | Uint8Array,
  nowSeconds: number,
  toleranceSeconds = DEFAULT_TOLERANCE_SECONDS,
): WebhookVerification {
  const timestamp = header(headers, WEBHOOK_HEADERS.timestamp)?.trim();
  const signatures = header(headers, WEBHOOK_HEADERS.signature)?.trim();
  if (!timestamp || !signatures) return { ok: false, reason: 'missing' };
  if (!UNIX_SECONDS.test(timestamp)) return { ok: false, reason: 'malformed' };

  const candidates = signatures.split(',').map((s) => s.trim());
  if (!candidates.every((s) => s.startsWith(SCHEME) && HEX_SHA256.test(s.slice(SCHEME.length)))) {
    return { ok: false, reason: 'malformed' };
  }
  const expected = Buffer.from(signWebhook(secret, Number(timestamp), rawBody).slice(SCHEME.length), 'hex');
  // Every candidate is exactly 32 bytes here (checked above), as timingSafeEqual requires; all are
  // compared so that the time taken does not depend on which one matched.
  let matched = false;
  for (const candidate of candidates) {
    if (timingSafeEqual(expected, Buffer.from(candidate.slice(SCHEME.length), 'hex'))) matched = true;
  }
  if (!matched) return { ok: false, reason: 'mismatch' };

  if (Math.abs(nowSeconds - Number(timestamp)) > toleranceSeconds) return { ok: false, reason: 'stale' };
  return { ok: true };
}
