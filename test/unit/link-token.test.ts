import * as crypto from 'node:crypto';
import { beforeEach, describe, expect, it, vi } from 'vitest';
import { type LinkClaims, signLinkToken, verifyLinkToken } from '#shared/domain/link-token.ts';

// Spy on the constant-time comparison to see what verification compares, without changing it.
vi.mock('node:crypto', async (importOriginal) => {
  const original = await importOriginal<typeof import('node:crypto')>();
  return { ...original, timingSafeEqual: vi.fn(original.timingSafeEqual) };
});

const KEY = 'unit-test-link-key';
const NOW = 1_780_000_000;
const claims: LinkClaims = {
  customerId: 'c-123',
  purpose: 'marketing',
  channel: 'email',
  expiresAt: NOW + 3600,
};
const token = signLinkToken(KEY, claims);
const [payload = '', signature = ''] = token.split('.');
const b64 = (value: unknown) => Buffer.from(JSON.stringify(value)).toString('base64url');
const hmac = (key: string, data: string) => crypto.createHmac('sha256', key).update(data).digest('base64url');
/** Replaces the character at `i` by another base64url character (never a no-op). */
const flip = (text: string, i: number) =>
  `${text.slice(0, i)}${text[i] === 'A' ? 'B' : 'A'}${text.slice(i + 1)}`;

describe('signLinkToken / verifyLinkToken', () => {
  it('round-trips the claims of a token it signed', () => {
    expect(token).toMatch(/^[A-Za-z0-9_-]+\.[A-Za-z0-9_-]{43}$/);
    expect(verifyLinkToken(KEY, token, NOW)).toEqual({ ok: true, claims });
  });

  it('accepts a token until its expiry second, inclusive', () => {
    expect(verifyLinkToken(KEY, token, claims.expiresAt).ok).toBe(true);
    expect(verifyLinkToken(KEY, token, claims.expiresAt + 1)).toEqual({ ok: false, reason: 'expired' });
  });

  it('signs deterministically, and differently per key and per claim', () => {
    expect(signLinkToken(KEY, claims)).toBe(token);
    expect(signLinkToken(Buffer.from(KEY), claims)).toBe(token);
    expect(signLinkToken('another-key', claims)).not.toBe(token);
    expect(signLinkToken(KEY, { ...claims, channel: 'sms' })).not.toBe(token);
  });

  const wrongCustomer = b64(['c-456', 'marketing', 'email', claims.expiresAt]);
  const longer = b64(['c-123', 'marketing', 'email', claims.expiresAt + 86_400 * 365]);
  it.each<[string, string, 'malformed' | 'signature' | 'expired']>([
    ['an empty string', '', 'malformed'],
    ['no dot', payload + signature, 'malformed'],
    ['two dots', `${token}.x`, 'malformed'],
    ['an empty payload', `.${signature}`, 'malformed'],
    ['over 1024 characters', `${payload}.${'A'.repeat(1100)}`, 'malformed'],
    ['an empty signature', `${payload}.`, 'signature'],
    ['a flipped signature character', `${payload}.${flip(signature, 10)}`, 'signature'],
    ['a truncated signature', token.slice(0, -5), 'signature'],
    ['a signature with extra bytes', `${token}AAAA`, 'signature'],
    ['another customer under the same signature', `${wrongCustomer}.${signature}`, 'signature'],
    ['a later expiry under the same signature', `${longer}.${signature}`, 'signature'],
    ['another purpose', `${b64(['c-123', 'service', 'email', claims.expiresAt])}.${signature}`, 'signature'],
    ['a key that is not ours', signLinkToken('another-key', claims), 'signature'],
    [
      'signed JSON that is not an array',
      `${b64({ customerId: 'c-123' })}.${hmac(KEY, b64({ customerId: 'c-123' }))}`,
      'malformed',
    ],
    ['signed JSON of the wrong arity', `${b64(['c-123'])}.${hmac(KEY, b64(['c-123']))}`, 'malformed'],
    [
      'a signed expiry that is a string',
      `${b64(['c', 'm', 'e', '1'])}.${hmac(KEY, b64(['c', 'm', 'e', '1']))}`,
      'malformed',
    ],
    ['signed bytes that are not JSON', `bm90IGpzb24.${hmac(KEY, 'bm90IGpzb24')}`, 'malformed'],
    ['an expired token', signLinkToken(KEY, { ...claims, expiresAt: NOW - 1 }), 'expired'],
  ])('refuses %s (%s)', (_what, candidate, reason) => {
    expect(verifyLinkToken(KEY, candidate, NOW)).toEqual({ ok: false, reason });
  });

  describe('the signature comparison', () => {
    const compare = vi.mocked(crypto.timingSafeEqual);
    beforeEach(() => {
      compare.mockClear();
    });

    // A length check before the comparison would answer a wrong-length signature faster than a
    // wrong-byte one; instead every signature is compared, always over the full 32 bytes.
    it.each([0, 1, 16, 31, 33, 64])('compares a %i-byte signature over 32 bytes and refuses it', (bytes) => {
      const candidate = `${payload}.${crypto.randomBytes(bytes).toString('base64url')}`;
      expect(verifyLinkToken(KEY, candidate, NOW)).toEqual({ ok: false, reason: 'signature' });
      expect(compare).toHaveBeenCalledTimes(1);
      const [given, expected] = compare.mock.calls[0] ?? [];
      expect([Buffer.from(given as Buffer).length, Buffer.from(expected as Buffer).length]).toEqual([32, 32]);
    });

    it('refuses a 32-byte wrong signature the same way, through the same comparison', () => {
      const candidate = `${payload}.${crypto.randomBytes(32).toString('base64url')}`;
      expect(verifyLinkToken(KEY, candidate, NOW)).toEqual({ ok: false, reason: 'signature' });
      expect(compare).toHaveBeenCalledTimes(1);
    });

    it('compares before it reads the payload, so a forged payload is never parsed', () => {
      const parse = vi.spyOn(JSON, 'parse');
      const result = verifyLinkToken(KEY, `${wrongCustomer}.${signature.slice(0, 20)}`, NOW);
      const parsed = parse.mock.calls.length;
      parse.mockRestore();
      expect(result).toEqual({ ok: false, reason: 'signature' });
      expect(compare).toHaveBeenCalledTimes(1);
      expect(parsed).toBe(0);
    });
  });

  it('refuses a non-canonical spelling of the right signature', () => {
    expect(verifyLinkToken(KEY, `${payload}.${signature.slice(0, 10)}!${signature.slice(10)}`, NOW).ok).toBe(
      false,
    );
  });
});
