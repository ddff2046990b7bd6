import { describe, expect, it } from 'vitest';
import { shortHash } from '#shared/domain/hash.ts';
import { bucketOf, bucketOf3 } from '#shared/engine/hash.ts';
import { durationMs, isoString, localParts, utcDay } from '#shared/engine/time.ts';
import { compileEventPattern } from '#shared/event-pattern/index.ts';
import { compileBranches } from '#shared/event-pattern/match.ts';
import { parsePattern } from '#shared/event-pattern/parse.ts';
import { normalisePhone } from '#shared/use-cases/customer-data.ts';

/**
 * The engine's fast paths must give exactly what the plain code gives: decisions and their records
 * are compared byte for byte (simulate against the live replay, rendering on and off). Each fast path
 * is checked here against the plain computation it replaces.
 */

/** A deterministic stream of numbers in [0, 1) (mulberry32). */
function numbers(seed: number): () => number {
  let a = seed;
  return () => {
    a = (a + 0x6d2b79f5) | 0;
    let t = Math.imul(a ^ (a >>> 15), 1 | a);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const words = (random: () => number, n: number): string[] =>
  Array.from({ length: n }, () =>
    Array.from({ length: Math.floor(random() * 14) }, () =>
      String.fromCharCode(
        random() < 0.9 ? 32 + Math.floor(random() * 95) : 0xa0 + Math.floor(random() * 0x2000),
      ),
    ).join(''),
  );

describe('isoString', () => {
  const random = numbers(1);
  const instants = [
    0,
    -1,
    1.5,
    -1.5,
    -86_400_000,
    253_402_300_799_999,
    253_402_300_800_000,
    -62_167_219_200_001,
    8.64e15,
    -8.64e15,
    ...Array.from({ length: 20_000 }, () => Math.floor((random() - 0.3) * 4e12)),
    ...Array.from({ length: 2_000 }, () => random() * 4e12),
  ];

  it('is the text of toISOString for every instant, and utcDay its date', () => {
    for (const ms of instants) {
      const expected = new Date(ms).toISOString();
      if (isoString(ms) !== expected || utcDay(ms) !== expected.slice(0, 10))
        expect({ ms, got: isoString(ms) }).toEqual({ ms, got: expected });
    }
  });

  it.each([Number.NaN, 8.64e15 + 1, Number.POSITIVE_INFINITY])(
    'throws the RangeError of toISOString for %s',
    (ms) => {
      expect(() => isoString(ms)).toThrow(RangeError);
    },
  );
});

describe('hashes', () => {
  const random = numbers(2);
  const keys = words(random, 5_000);

  it('bucketOf3(a, b, c) is bucketOf of a#b#c', () => {
    for (let i = 0; i + 2 < keys.length; i += 3) {
      const [a = '', b = '', c = ''] = keys.slice(i, i + 3);
      expect(bucketOf3(a, b, c)).toBe(bucketOf(`${a}#${b}#${c}`));
    }
    expect(bucketOf3('', '', '')).toBe(bucketOf('##'));
  });

  it('shortHash is the first 12 hex digits of both FNV hashes, as before', () => {
    const reference = (value: string): string => {
      let a = 0x811c9dc5;
      let b = 0x01000193;
      for (let i = 0; i < value.length; i++) {
        const c = value.charCodeAt(i);
        a = Math.imul(a ^ c, 0x01000193);
        b = Math.imul(b ^ c, 0x5bd1e995);
      }
      return ((a >>> 0).toString(16).padStart(8, '0') + (b >>> 0).toString(16).padStart(8, '0')).slice(0, 12);
    };
    for (const key of ['', ...keys]) expect(shortHash(key)).toBe(reference(key));
  });
});

describe('localParts (offsets cached per block of six hours)', () => {
  // Zones with summer time, half-hour and 45-minute offsets, a 30-minute DST shift (Lord Howe) and
  // Ramadan suspensions (Casablanca): every answer must be Intl's.
  const zones = [
    'Europe/Amsterdam',
    'America/New_York',
    'Australia/Lord_Howe',
    'Asia/Kathmandu',
    'Africa/Casablanca',
    'America/Santiago',
  ];

  it.each(zones)('agrees with Intl every 97 minutes through 2026 in %s', (timeZone) => {
    const intl = new Intl.DateTimeFormat('en-US', {
      timeZone,
      hourCycle: 'h23',
      year: 'numeric',
      month: 'numeric',
      day: 'numeric',
      hour: 'numeric',
      minute: 'numeric',
    });
    for (
      let ms = Date.parse('2026-01-01T00:00:00Z');
      ms < Date.parse('2027-01-01T00:00:00Z');
      ms += 97 * 60_000 + 7_000
    ) {
      const p: Record<string, number> = {};
      for (const part of intl.formatToParts(ms))
        if (part.type !== 'literal') p[part.type] = Number(part.value);
      const expected = { year: p.year, month: p.month, day: p.day, hour: p.hour, minute: p.minute };
      const got = localParts(ms, timeZone);
      if (JSON.stringify(got) !== JSON.stringify(expected))
        expect({ ms, got }).toEqual({ ms, got: expected });
    }
  });

  it('still refuses an unknown time zone', () => {
    expect(() => localParts(0, 'Mars/Olympus_Mons')).toThrow(RangeError);
  });
});

describe('memoised parsers', () => {
  it('durationMs answers the same the second time, and still throws for a non-duration', () => {
    expect(durationMs('7d')).toBe(604_800_000);
    expect(durationMs('7d')).toBe(604_800_000);
    expect(durationMs('30m')).toBe(1_800_000);
    expect(() => durationMs('7days')).toThrow(TypeError);
    expect(() => durationMs('7days')).toThrow(TypeError);
  });

  it('normalisePhone answers the same from its memo, per country, and never memoises a refusal', () => {
    expect(normalisePhone('06 12345678', 'NL')).toBe('+31612345678');
    expect(normalisePhone('06 12345678', 'NL')).toBe('+31612345678');
    expect(normalisePhone('0470 12 34 56', 'BE')).toBe('+32470123456');
    expect(normalisePhone('0470 12 34 56', undefined)).not.toBe('+32470123456'); // read as Dutch
    expect(() => normalisePhone('12', 'NL')).toThrow('phone is not a valid phone number');
    expect(() => normalisePhone('12', 'NL')).toThrow('phone is not a valid phone number');
  });
});

describe('compileEventPattern: the quick no from source and detail-type', () => {
  const patterns: Record<string, unknown>[] = [
    { source: ['shop.orders'], 'detail-type': ['OrderPlaced'] },
    { source: ['shop.orders', 'shop.carts'], detail: { total: [{ numeric: ['>', 25] }] } },
    { 'detail-type': ['OrderPlaced'], detail: { customerId: [{ exists: true }] } },
    { source: [{ prefix: 'shop.' }], 'detail-type': ['OrderPlaced'] },
    { source: ['shop.orders'], $or: [{ detail: { total: [1] } }, { 'detail-type': ['CartAbandoned'] }] },
    { source: ['shop.orders', null] },
  ];
  const events: unknown[] = [
    { source: 'shop.orders', 'detail-type': 'OrderPlaced', detail: { total: 40, customerId: 'c-1' } },
    { source: 'shop.carts', 'detail-type': 'CartAbandoned', detail: { total: 1 } },
    { source: 'shop.web', 'detail-type': 'OrderPlaced', detail: { total: 40 } },
    { source: ['shop.web', 'shop.orders'], 'detail-type': ['OrderPlaced'], detail: { total: 1 } },
    { source: 'shop.orders', 'detail-type': 'CartAbandoned', detail: {} },
    { 'detail-type': 'OrderPlaced', detail: { customerId: 'c-1' } },
    { source: null, 'detail-type': 'OrderPlaced' },
    { source: 5, 'detail-type': 'OrderPlaced' },
    { 'source.x': 'shop.orders', source: 'shop.orders', 'detail-type': 'OrderPlaced' },
    Object.create({ source: 'shop.web' }),
    null,
    'shop.orders',
    [],
  ];

  it.each(patterns.map((p) => [JSON.stringify(p), p] as const))(
    '%s answers as the full matcher does',
    (_, pattern) => {
      const full = compileBranches(parsePattern(pattern));
      for (const matches of [compileEventPattern(pattern), compileEventPattern(JSON.stringify(pattern))])
        for (const event of events) expect([event, matches(event)]).toEqual([event, full(event)]);
    },
  );
});
