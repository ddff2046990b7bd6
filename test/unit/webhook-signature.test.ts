import { describe, expect, it } from 'vitest';
import {
  signWebhook,
  verifyWebhook,
  WEBHOOK_HEADERS,
  type WebhookHeaders,
} from '#shared/domain/webhook-signature.ts';

const secret = 'whsec-test-secret';
const now = 1_800_000_000;
const body = JSON.stringify({ orderId: 'o-1', campaignId: 'print-welcome' });

function signed(timestamp = now, rawBody = body, key = secret): Record<string, string> {
  return {
    [WEBHOOK_HEADERS.timestamp]: String(timestamp),
    [WEBHOOK_HEADERS.signature]: signWebhook(key, timestamp, rawBody),
  };
}

describe('signWebhook', () => {
  it('is v1= plus the hex HMAC-SHA256 of "<timestamp>.<raw body>"', () => {
    // Reference value computed independently: printf '1800000000.{}' | openssl dgst -sha256 -hmac whsec-test-secret
    expect(signWebhook(secret, now, '{}')).toBe(
      'v1=d40d41e9069bdb197bdb017210e0fdc1fa426603c431ad95d56ded3f1ca9ee29',
    );
  });
});

describe('verifyWebhook', () => {
  const valid = signed();
  const sig = valid[WEBHOOK_HEADERS.signature] ?? '';

  it.each<[string, WebhookHeaders, string, ReturnType<typeof verifyWebhook>]>([
    ['a valid signature', valid, body, { ok: true }],
    ['a valid signature at the edge of the tolerance', signed(now - 300), body, { ok: true }],
    [
      'a valid signature among two (secret rotation)',
      {
        ...valid,
        [WEBHOOK_HEADERS.signature]: `${signed(now, body, 'old')[WEBHOOK_HEADERS.signature]},${sig}`,
      },
      body,
      { ok: true },
    ],
    ['an altered body', valid, body.replace('o-1', 'o-2'), { ok: false, reason: 'mismatch' }],
    [
      'an altered timestamp',
      { ...valid, [WEBHOOK_HEADERS.timestamp]: String(now + 1) },
      body,
      { ok: false, reason: 'mismatch' },
    ],
    [
      'a truncated signature',
      { ...valid, [WEBHOOK_HEADERS.signature]: sig.slice(0, -2) },
      body,
      { ok: false, reason: 'malformed' },
    ],
    [
      'a signature with one hex digit changed',
      { ...valid, [WEBHOOK_HEADERS.signature]: `${sig.slice(0, -1)}${sig.endsWith('0') ? '1' : '0'}` },
      body,
      { ok: false, reason: 'mismatch' },
    ],
    ['the wrong secret', signed(now, body, 'another-secret'), body, { ok: false, reason: 'mismatch' }],
    ['a delivery older than 5 minutes', signed(now - 301), body, { ok: false, reason: 'stale' }],
    [
      'a timestamp beyond the tolerance in the future',
      signed(now + 301),
      body,
      { ok: false, reason: 'stale' },
    ],
    [
      'no signature header',
      { [WEBHOOK_HEADERS.timestamp]: String(now) },
      body,
      { ok: false, reason: 'missing' },
    ],
    ['no timestamp header', { [WEBHOOK_HEADERS.signature]: sig }, body, { ok: false, reason: 'missing' }],
    ['no headers at all', {}, body, { ok: false, reason: 'missing' }],
    [
      'an empty signature header',
      { ...valid, [WEBHOOK_HEADERS.signature]: '' },
      body,
      { ok: false, reason: 'missing' },
    ],
    [
      'a signature without the v1= prefix',
      { ...valid, [WEBHOOK_HEADERS.signature]: sig.slice(3) },
      body,
      { ok: false, reason: 'malformed' },
    ],
    [
      'a signature with another scheme',
      { ...valid, [WEBHOOK_HEADERS.signature]: `v0=${sig.slice(3)}` },
      body,
      { ok: false, reason: 'malformed' },
    ],
    [
      'a non-numeric timestamp',
      { ...valid, [WEBHOOK_HEADERS.timestamp]: '2027-01-15T10:00:00Z' },
      body,
      { ok: false, reason: 'malformed' },
    ],
    [
      'a repeated signature header (Node gives an array)',
      { ...valid, [WEBHOOK_HEADERS.signature]: [sig, sig] },
      body,
      { ok: false, reason: 'missing' },
    ],
  ])('%s', (_, headers, rawBody, expected) => {
    expect(verifyWebhook(secret, headers, rawBody, now)).toEqual(expected);
  });

  it('reads a fetch Headers object and mixed-case plain header names', () => {
    expect(verifyWebhook(secret, new Headers(valid), body, now)).toEqual({ ok: true });
    const mixed = { 'X-Contact-Timestamp': String(now), 'X-Contact-Signature': sig };
    expect(verifyWebhook(secret, mixed, body, now)).toEqual({ ok: true });
  });

  it('verifies the raw bytes, so a Buffer body gives the same verdict as its string', () => {
    expect(verifyWebhook(secret, valid, Buffer.from(body, 'utf8'), now)).toEqual({ ok: true });
  });

  it('honours a custom tolerance', () => {
    expect(verifyWebhook(secret, signed(now - 61), body, now, 60)).toEqual({ ok: false, reason: 'stale' });
    expect(verifyWebhook(secret, signed(now - 60), body, now, 60)).toEqual({ ok: true });
  });
});
