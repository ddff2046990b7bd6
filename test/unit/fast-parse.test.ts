import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { customerEvents } from '#local/import.ts';
import { MemoryCustomerStore } from '#local/memory-store.ts';
import { generateSampleData } from '#local/sample-data.ts';
import { envelope as busEnvelope } from '#local/simulate.ts';
import { consentDetail, profileDetail } from '#shared/contract/events.ts';
import {
  fastConsentDetail,
  fastEnvelope,
  fastProfileDetail,
  installFastParsers,
  LIMITS,
  lengthOf,
} from '#shared/contract/fast-parse.ts';
import { loadCompiledStrategy } from '#shared/strategy/load.ts';
import {
  applyCustomerEvent,
  type CustomerDataDeps,
  envelope,
  useFastParsers,
} from '#shared/use-cases/customer-data.ts';
import * as z from '#shared/validation.ts';

/**
 * The fast paths in front of the customer-data schemas (shared/contract/fast-parse.ts) may only say
 * "valid, and this is what zod gives" or "ask zod". Every input below goes to both: whenever the fast
 * path answers, zod must accept the input and give the very same value, fields in the same order. The
 * inputs mix valid and invalid fields of every kind (lengths counted in code points, surrogate pairs,
 * unknown and `undefined` fields, `__proto__`, odd prototypes), and the valid ones must mostly take
 * the fast path, or it would be a path nobody takes.
 */

/** Same value and the same key order all the way down (JSON keeps insertion order). */
function expectSame(fast: unknown, schema: z.ZodMiniType, input: unknown): void {
  const parsed = schema.safeParse(input);
  expect(parsed.success, `zod refused what the fast path accepted: ${JSON.stringify(input)}`).toBe(true);
  expect(fast).toStrictEqual(parsed.data);
  expect(JSON.stringify(fast)).toBe(JSON.stringify(parsed.data));
}

/** Each field absent, valid, invalid (rarely: a whole event is valid often enough) or present as `undefined`. */
const field = <T, U>(valid: fc.Arbitrary<T>, invalid?: fc.Arbitrary<U>) =>
  fc.oneof(
    { weight: 30, arbitrary: fc.constant(absent) },
    { weight: 60, arbitrary: valid },
    { weight: invalid ? 6 : 0, arbitrary: invalid ?? fc.constant(absent) },
    { weight: 2, arbitrary: fc.constant(undefined) },
  );
const absent = Symbol('absent');
const objectOf = (fields: Record<string, unknown>): Record<string, unknown> =>
  Object.fromEntries(Object.entries(fields).filter(([, v]) => v !== absent));

const astral = '😀'; // two UTF-16 units, one code point
const strings = (min: number, max: number) =>
  fc.oneof(
    fc.string({ minLength: min, maxLength: max }),
    fc.string({ unit: 'grapheme', minLength: 0, maxLength: max }),
    fc.integer({ min: 0, max: max + 2 }).map((n) => astral.repeat(n)),
  );

const validCustomerId = fc.constantFrom('c-1', 'hp-00001', 'anna@shop', 'x'.repeat(128));
const invalidCustomerId = fc.oneof(
  fc.string(),
  fc.constantFrom('', ' c', 'x'.repeat(129), 'c/1'),
  fc.integer(),
);
/** Required: present most of the time. */
const customerId = fc.oneof(
  { weight: 90, arbitrary: validCustomerId },
  { weight: 6, arbitrary: invalidCustomerId },
  { weight: 2, arbitrary: fc.constantFrom(absent, undefined) },
);

const pushEndpoint = fc.oneof(
  fc.record(
    {
      platform: fc.constantFrom('fcm', 'apns'),
      token: fc.oneof(fc.constant(`tok-${'1'.repeat(24)}`), fc.string({ minLength: 16, maxLength: 40 })),
    },
    { noNullPrototype: true },
  ),
  fc.record(
    {
      arn: fc.constant('arn:aws:sns:eu-west-1:1:endpoint/GCM/app/1'),
      platform: fc.constantFrom('fcm', 'apns'),
    },
    { noNullPrototype: true },
  ),
);
const oddPushEndpoint = fc.oneof(
  fc.record({
    platform: fc.constantFrom('fcm', 'apns', 'gcm'),
    token: fc.oneof(strings(0, 20), fc.constant('t'.repeat(4097))),
  }),
  fc.record({ arn: fc.constantFrom('arn:aws:s3:::b', 5), platform: fc.constantFrom('fcm', 'apns') }),
  fc.record({
    platform: fc.constant('fcm'),
    token: fc.constant('t'.repeat(20)),
    arn: fc.constant('arn:aws:sns:x'),
  }),
  fc.record({ platform: fc.constant('fcm') }),
  fc.constantFrom(null, [], 'x'),
);

const validAttributes = fc.dictionary(
  fc.oneof(
    fc.constantFrom('country', 'birthDate', 'lifetimeValue', '_x', 'a'.repeat(64)),
    fc.stringMatching(/^[a-z]\w{0,5}$/),
  ),
  fc.oneof(fc.jsonValue({ maxDepth: 2 }), fc.constant(null)),
  { maxKeys: 6, noNullPrototype: true },
);
const invalidAttributes = fc.oneof(
  fc.dictionary(
    fc.oneof(fc.constantFrom('a'.repeat(65), '1st', 'a-b', '', 'ä'), fc.string()),
    fc.jsonValue(),
    {
      minKeys: 1,
      maxKeys: 3,
    },
  ),
  fc.constantFrom(null, [], 'x', 3),
);

const profile = fc
  .record({
    customerId,
    email: field(
      fc.oneof(fc.constantFrom('anna@example.nl', 'Anna.De-Vries+x@Example.COM', null), fc.emailAddress()),
      fc.oneof(fc.constantFrom('anna@', 'anna@localhost', '@x.nl', 'a b@x.nl', 5), fc.string()),
    ),
    phone: field(
      fc.constantFrom('06 1234 5678', '+31612345678', null),
      fc.oneof(strings(0, 34), fc.integer()),
    ),
    pushEndpoints: field(
      fc.array(pushEndpoint, { maxLength: 10 }),
      fc.oneof(
        fc.array(fc.oneof(pushEndpoint, oddPushEndpoint), { minLength: 1, maxLength: 12 }),
        fc.constantFrom(null, 'x', { platform: 'fcm' }),
      ),
    ),
    locale: field(
      fc.constantFrom('nl', 'nl-BE', 'en'),
      fc.constantFrom('NL', 'nl-be', 'nl_BE', 'nld', '', null, 5),
    ),
    timezone: field(
      fc.constantFrom('Europe/Amsterdam', 'UTC', 'America/New_York'),
      fc.constantFrom('Europe/Atlantis', 'europe/amsterdam', '', null),
    ),
    preferredChannel: field(
      fc.constantFrom('email', 'sms', 'push', 'webhook', null),
      fc.constantFrom('fax', 'EMAIL'),
    ),
    attributes: field(validAttributes, invalidAttributes),
    extra: fc.oneof(
      { weight: 19, arbitrary: fc.constant(absent) },
      { weight: 1, arbitrary: fc.constantFrom('consent', 'unknown', 'customerid') },
    ),
  })
  .map(({ extra, ...fields }) => ({ ...objectOf(fields), ...(typeof extra === 'string' && { [extra]: 1 }) }));

/** Required fields of consent: present most of the time. */
const required = <T, U>(valid: fc.Arbitrary<T>, invalid: fc.Arbitrary<U>) =>
  fc.oneof(
    { weight: 90, arbitrary: valid },
    { weight: 6, arbitrary: invalid },
    { weight: 2, arbitrary: fc.constantFrom(absent, undefined) },
  );

const consent = fc
  .record({
    customerId,
    purpose: required(
      fc.constantFrom('marketing', 'service', 'x-1', 'a'.repeat(32)),
      fc.constantFrom('a'.repeat(33), 'Marketing', '1x', ''),
    ),
    channel: required(
      fc.constantFrom('email', 'sms', 'push', 'webhook', 'all'),
      fc.constantFrom('fax', null),
    ),
    source: required(
      fc.oneof(fc.constantFrom('app', 'import', 'preference-page'), strings(1, 64)),
      strings(0, 66),
    ),
    textVersion: field(
      fc.oneof(fc.constant('marketing-v3'), strings(0, 64)),
      fc.oneof(fc.constant(null), strings(60, 66)),
    ),
    occurredAt: required(
      fc.oneof(
        fc.constantFrom(
          '2026-03-02T06:15:00.000Z',
          '2026-03-02T06:15:00Z',
          '2026-03-02T07:15:00+01:00',
          '2026-03-02T06:15:00.123456789Z',
        ),
        fc
          .date({ noInvalidDate: true, min: new Date(0), max: new Date('9999-12-31') })
          .map((d) => d.toISOString()),
      ),
      fc.oneof(
        fc.constantFrom('2026-03-02T06:15Z', '2026-03-02', '2026-02-30T06:15:00Z', '2026-03-02 06:15:00Z'),
        fc.string(),
      ),
    ),
  })
  .map(objectOf);

const envelopes = fc
  .record({
    id: required(
      fc.oneof(fc.constantFrom('event-1', 'x'.repeat(128)), strings(1, 128)),
      fc.oneof(strings(0, 130), fc.integer()),
    ),
    source: required(fc.constantFrom('contact.profiles', 'contact.consent', ''), fc.constant(5)),
    'detail-type': required(
      fc.constantFrom('CustomerProfileUpdated', 'ConsentGranted', ''),
      fc.constant(null),
    ),
    time: required(
      fc.constantFrom('2026-03-02T06:15:00Z', '2026-03-02T06:15:00.000Z'),
      fc.constantFrom('2026-03-02', 'soon', 0),
    ),
    detail: field(fc.oneof(fc.constant({ customerId: 'c-1' }), fc.jsonValue())),
    version: field(fc.constant('0')),
  })
  .map(objectOf);

describe.each([
  { name: 'profile updates', fast: fastProfileDetail, schema: profileDetail, inputs: profile },
  { name: 'consent details', fast: fastConsentDetail, schema: consentDetail, inputs: consent },
  { name: 'envelopes', fast: fastEnvelope, schema: envelope, inputs: envelopes },
] as const)('the fast path for $name', ({ fast, schema, inputs }) => {
  it('answers only for what zod accepts, with exactly what zod gives', () => {
    let answered = 0;
    let valid = 0;
    fc.assert(
      fc.property(inputs, (input) => {
        const quick = (fast as (v: unknown) => unknown)(input);
        if (schema.safeParse(input).success) valid++;
        if (quick === undefined) return;
        answered++;
        expectSame(quick, schema, input);
      }),
      { numRuns: 3_000 },
    );
    // Generated inputs are valid often enough, and the fast path takes most of those.
    expect(valid).toBeGreaterThan(300);
    expect(answered).toBeGreaterThan(valid * 0.6);
  });

  it.each([
    ['an array', []],
    ['null', null],
    ['a string', 'x'],
    ['an object without prototype', Object.assign(Object.create(null), { customerId: 'c-1' })],
    [
      'a class instance',
      new (class {
        customerId = 'c-1';
      })(),
    ],
  ])('asks zod about %s', (_name, input) => {
    expect((fast as (v: unknown) => unknown)(input)).toBeUndefined();
  });
});

describe('the fast paths on the edge cases JSON can carry', () => {
  it.each([
    [
      'an attribute named __proto__',
      '{"customerId":"c-1","attributes":{"__proto__":{"x":1},"country":"NL"}}',
    ],
    ['a field named __proto__', '{"customerId":"c-1","__proto__":{"email":"a@b.nl"}}'],
    ['numeric attribute names', '{"customerId":"c-1","attributes":{"1":1,"b":2}}'],
    ['attributes in an odd order', '{"attributes":{"b":1,"a":2},"customerId":"c-1","email":"A@B.NL"}'],
    ['a phone of 16 astral characters (32 units)', `{"customerId":"c-1","phone":"${astral.repeat(16)}"}`],
    [
      'a phone of 17 astral characters (34 units, 17 code points)',
      `{"customerId":"c-1","phone":"${astral.repeat(17)}"}`,
    ],
    [
      'a token of 8 astral characters',
      `{"customerId":"c-1","pushEndpoints":[{"platform":"fcm","token":"${astral.repeat(8)}"}]}`,
    ],
  ])('a profile with %s: the fast path agrees with zod or asks it', (_name, json) => {
    const input = JSON.parse(json) as unknown;
    const quick = fastProfileDetail(input);
    if (quick !== undefined) expectSame(quick, profileDetail, input);
    else expect(profileDetail.safeParse(input).success || quick === undefined).toBe(true);
  });

  it('takes the fast path for every valid profile and consent event of the sample history', () => {
    const { customers, events } = generateSampleData();
    let profiles = 0;
    let consents = 0;
    for (const e of events) {
      const schema =
        e.detailType === 'CustomerProfileUpdated'
          ? profileDetail
          : /^Consent/.test(e.detailType)
            ? consentDetail
            : undefined;
      if (!schema?.safeParse(e.detail).success) continue;
      const quick = schema === profileDetail ? fastProfileDetail(e.detail) : fastConsentDetail(e.detail);
      expect(quick, JSON.stringify(e.detail)).toBeDefined();
      expectSame(quick, schema, e.detail);
      if (schema === profileDetail) profiles++;
      else consents++;
    }
    for (const c of customers) {
      const { consent: _, ...row } = c as unknown as Record<string, unknown>;
      if (profileDetail.safeParse(row).success) expect(fastProfileDetail(row)).toBeDefined();
    }
    expect(profiles).toBeGreaterThan(500);
    expect(consents).toBeGreaterThan(300);
  });
});

describe('the length limits the fast paths read from the schemas', () => {
  const at = '2026-03-02T10:00:00Z';
  const consent = {
    customerId: 'c-1',
    purpose: 'marketing',
    channel: 'email',
    source: 'form',
    occurredAt: at,
  };
  const endpoint = { platform: 'fcm', token: 't'.repeat(20) };
  const bus = { id: 'e-1', source: 'app', 'detail-type': 'Thing', time: at, detail: {} };
  type Field = {
    readonly schema: z.ZodMiniType;
    readonly fast: (v: unknown) => unknown;
    /** The event with the limited field of `n` units of `unit` (an array of `n` endpoints for the list). */
    readonly event: (n: number, unit: string) => unknown;
  };
  const onProfile = { schema: profileDetail, fast: fastProfileDetail };
  const fields: Record<string, Field & { min?: number; max: number }> = {
    'profile phone': {
      ...onProfile,
      event: (n, u) => ({ customerId: 'c-1', phone: u.repeat(n) }),
      max: LIMITS.phoneMax,
    },
    'profile pushEndpoints': {
      ...onProfile,
      event: (n) => ({ customerId: 'c-1', pushEndpoints: Array.from({ length: n }, () => endpoint) }),
      max: LIMITS.endpointsMax,
    },
    'push token': {
      ...onProfile,
      event: (n, u) => ({ customerId: 'c-1', pushEndpoints: [{ platform: 'apns', token: u.repeat(n) }] }),
      min: LIMITS.tokenMin,
      max: LIMITS.tokenMax,
    },
    'consent source': {
      schema: consentDetail,
      fast: fastConsentDetail,
      event: (n, u) => ({ ...consent, source: u.repeat(n) }),
      min: LIMITS.sourceMin,
      max: LIMITS.sourceMax,
    },
    'consent textVersion': {
      schema: consentDetail,
      fast: fastConsentDetail,
      event: (n, u) => ({ ...consent, textVersion: u.repeat(n) }),
      max: LIMITS.textVersionMax,
    },
    'envelope id': {
      schema: envelope,
      fast: fastEnvelope,
      event: (n, u) => ({ ...bus, id: u.repeat(n) }),
      min: LIMITS.envelopeIdMin,
      max: LIMITS.envelopeIdMax,
    },
  };

  it.each(Object.entries(fields))('%s: at the limit both pass, past it both refuse', (_, f) => {
    // At the maximum in one-unit characters, and at the minimum in two-unit ones (a count the fast
    // path can vouch for without counting code points): the fast path answers, with what zod gives.
    const atLimits = [f.event(f.max, 'x'), ...(f.min === undefined ? [] : [f.event(f.min, astral)])];
    for (const input of atLimits) {
      expect(f.fast(input)).toBeDefined();
      expectSame(f.fast(input), f.schema, input);
    }
    // One past either limit: zod refuses, and the fast path leaves it to zod.
    const past = [f.event(f.max + 1, 'x'), ...(f.min === undefined ? [] : [f.event(f.min - 1, 'x')])];
    for (const input of past) {
      expect(f.schema.safeParse(input).success).toBe(false);
      expect(f.fast(input)).toBeUndefined();
    }
  });

  it('fails loudly when a schema has no such limit', () => {
    expect(() => lengthOf(z.string(), 'max_length', 'a field')).toThrow(/a field has no max_length check/);
    expect(lengthOf(z.string().check(z.maxLength(9), z.maxLength(5)), 'max_length', 'x')).toBe(5);
  });
});

describe('applyCustomerEvent with and without the fast paths', () => {
  /** Every customer event of the sample (customers, then the history, some invalid), through the use case. */
  async function replay(
    fast: boolean,
    extra: readonly unknown[],
  ): Promise<{ outcomes: string[]; stored: unknown[] }> {
    // As `contact simulate` installs them (installFastParsers), or not at all.
    if (fast) installFastParsers();
    else useFastParsers(undefined);
    try {
      const { strategy } = loadCompiledStrategy('strategy/contact-strategy.yaml');
      const { customers, events, options } = generateSampleData({ customers: 150, events: 3_000, days: 20 });
      const start = Date.parse(options.start);
      let now = start;
      const store = new MemoryCustomerStore({ sendRetentionMs: 30 * 86_400_000, now: () => now });
      const deps: CustomerDataDeps = {
        store,
        strategy,
        clock: { now: () => now },
        pushRegistry: {
          register: async (_app, token) => ({ endpointArn: `arn:push/${token}`, enabled: true }),
        },
        platformApplications: { fcm: 'arn:fcm', apns: 'arn:apns' },
      };
      const inputs: unknown[] = [
        ...customers
          .flatMap((row) => customerEvents(row, start))
          .map((e, i) => busEnvelope(e, `c-${i}`, start)),
        ...events
          .filter((e) => e.source.startsWith('contact.'))
          .map((e, i) => busEnvelope(e, `e-${i}`, Date.parse(e.time))),
        ...extra,
      ];
      const outcomes: string[] = [];
      for (const input of inputs) {
        const time = (input as { time?: unknown }).time;
        if (typeof time === 'string' && !Number.isNaN(Date.parse(time))) now = Date.parse(time);
        try {
          outcomes.push(String(await applyCustomerEvent(deps, input)));
        } catch (error) {
          outcomes.push(`${(error as Error).name}: ${(error as Error).message}`);
        }
      }
      const ids = [...new Set(customers.map((c) => c.customerId))].sort();
      const stored = await Promise.all(
        ids.map(async (id) => ({ ...(await store.exportCustomer(id)), exportedAt: 0 })),
      );
      return { outcomes, stored };
    } finally {
      useFastParsers(undefined);
    }
  }

  it('gives the same outcomes, the same error messages and the same stored customers', async () => {
    const at = '2026-03-02T10:00:00Z';
    const base = { id: 'x-1', source: 'contact.profiles', 'detail-type': 'CustomerProfileUpdated', time: at };
    const extra = [
      { ...base, detail: { customerId: 'hp-00001', email: 'nope', timezone: 'Mars/Base' } },
      { ...base, detail: { customerId: 'hp-00001', attributes: { '1st': 1 }, extra: true } },
      {
        ...base,
        detail: { customerId: 'hp-00002', email: null, preferredChannel: null, attributes: { city: null } },
      },
      { ...base, detail: { customerId: 'hp-00003', phone: '+3161234567890123' } },
      { ...base, id: '', detail: { customerId: 'hp-00003' } },
      { ...base, time: 'yesterday', detail: { customerId: 'hp-00003' } },
      {
        ...base,
        source: 'contact.consent',
        'detail-type': 'ConsentGranted',
        detail: { customerId: 'hp-00004' },
      },
      {
        ...base,
        source: 'contact.consent',
        'detail-type': 'ConsentWithdrawn',
        detail: {
          customerId: 'hp-00004',
          purpose: 'marketing',
          channel: 'all',
          source: 'app',
          occurredAt: at,
        },
      },
      {
        ...base,
        source: 'contact.customers',
        'detail-type': 'CustomerErasureRequested',
        detail: { customerId: 'hp-00005' },
      },
    ];
    const slow = await replay(false, extra);
    const fast = await replay(true, extra);
    expect(fast.outcomes).toEqual(slow.outcomes);
    expect(JSON.stringify(fast.stored)).toBe(JSON.stringify(slow.stored));
    // The comparison covers both kinds of outcome.
    expect(slow.outcomes.filter((o) => o.startsWith('InvalidInputError')).length).toBeGreaterThan(4);
    expect(slow.outcomes.filter((o) => o === 'saved').length).toBeGreaterThan(100);
  });
});
