import { createHmac, timingSafeEqual } from 'node:crypto';

/**
 * Signed, expiring, per-customer tokens for the one-click unsubscribe and preference links. The token
 * is `<payload>.<signature>`, both base64url; the payload names the customer, purpose and channel and
 * when the token expires; the signature is HMAC-SHA256 with a key kept in Secrets Manager. Nothing in
 * it is secret, but nothing in it can be changed: another customer's id, a later expiry or another
 * purpose all break the signature.
 */
export interface LinkClaims {
  readonly customerId: string;
  readonly purpose: string;
  readonly channel: string;
  /** Epoch seconds. */
  readonly expiresAt: number;
}

export type TokenCheck =
  | { ok: true; claims: LinkClaims }
  | { ok: false; reason: 'malformed' | 'signature' | 'expired' };

const b64 = (buf: Buffer): string => buf.toString('base64url');
const mac = (key: string | Buffer, payload: string): Buffer =>
  createHmac('sha256', key).update(payload).digest();

export function signLinkToken(key: string | Buffer, claims: LinkClaims): string {
  const payload = b64(
    Buffer.from(JSON.stringify([claims.customerId, claims.purpose, claims.channel, claims.expiresAt])),
  );
  return `${payload}.${b64(mac(key, payload))}`;
}

/** Verifies a token in constant time with respect to the signature; never throws. */
export function verifyLinkToken(key: string | Buffer, token: string, nowSeconds: number): TokenCheck {
  const dot = token.indexOf('.');
  if (dot <= 0 || dot !== token.lastIndexOf('.') || token.length > 1024)
    return { ok: false, reason: 'malformed' };
  const payload = token.slice(0, dot);
  const given = Buffer.from(token.slice(dot + 1), 'base64url');
  const expected = mac(key, payload);
  // Compare equal-length buffers only; a wrong length is as wrong as a wrong byte, and takes as long.
  const same = timingSafeEqual(
    given.length === expected.length ? given : Buffer.alloc(expected.length),
    expected,
  );
  // Node's base64url decoder skips stray characters; only the canonical spelling is the signature.
  if (!same || given.length !== expected.length || b64(given) !== token.slice(dot + 1)) {
    return { ok: false, reason: 'signature' };
  }
  let parts: unknown;
  try {
    parts = JSON.parse(Buffer.from(payload, 'base64url').toString('utf8'));
  } catch {
    return { ok: false, reason: 'malformed' };
  }
  if (!Array.isArray(parts) || parts.length !== 4) return { ok: false, reason: 'malformed' };
  const [customerId, purpose, channel, expiresAt] = parts as unknown[];
  if (
    typeof customerId !== 'string' ||
    typeof purpose !== 'string' ||
    typeof channel !== 'string' ||
    typeof expiresAt !== 'number'
  ) {
    return { ok: false, reason: 'malformed' };
  }
  if (expiresAt < nowSeconds) return { ok: false, reason: 'expired' };
  return { ok: true, claims: { customerId, purpose, channel, expiresAt } };
}
