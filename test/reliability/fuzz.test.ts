import fc from 'fast-check';
import { beforeAll, describe, expect, it } from 'vitest';
import { InvalidInputError } from '#shared/errors.ts';
import { applyCustomerEvent } from '#shared/use-cases/customer-data.ts';
import { evaluateTrigger } from '#shared/use-cases/evaluate-trigger.ts';
import { busEvent, createPipeline, onboard, type Pipeline, pipelineEngine } from '../support/pipeline.ts';
import { customerIds, emailOf } from './support/customers.ts';
import { SIZES, TIMEOUT } from './support/scale.ts';

// Property-based: events as a careless or hostile producer might send them — wrong types, missing
// fields, huge strings, any unicode, deep nesting, prototype-pollution keys — through the real use
// cases against DynamoDB Local. Each either is decided (a valid event) or is refused with an
// InvalidInputError that says what is wrong; a refused one writes nothing. fast-check prints the seed
// and the shrunk counterexample of any failure (`FUZZ_SEED` replays a run).

const SEED = process.env.FUZZ_SEED ? Number(process.env.FUZZ_SEED) : undefined;
const WRITES = /Put|Update|Delete|BatchWrite|TransactWrite/;

let p: Pipeline;
let known = '';
beforeAll(async () => {
  p = await createPipeline(pipelineEngine('http://127.0.0.1:9/unused'));
  [known = ''] = customerIds('fuzz', 1);
  await onboard(p, known, { email: emailOf(known), attributes: { firstName: 'Fuzz' } });
});

const POLLUTING = ['__proto__', 'constructor', 'prototype', 'toString', 'hasOwnProperty', 'valueOf'];
const key = fc.oneof({ weight: 4, arbitrary: fc.string({ maxLength: 12 }) }, fc.constantFrom(...POLLUTING));
/** Any JSON-ish value, with hostile keys and any unicode (lone surrogates included). */
const junk = fc.oneof(
  fc.anything({ key, maxDepth: 3, withBigInt: false, withObjectString: true, withNullPrototype: true }),
  fc.string({ unit: 'binary', maxLength: 40 }),
  fc.integer({ min: 1, max: 300_000 }).map((n) => '𝕏'.repeat(n)),
  fc.integer({ min: 50, max: 3000 }).map((depth) => {
    let v: unknown = { customerId: 'x' };
    for (let i = 0; i < depth; i++) v = i % 2 ? { a: v } : [v];
    return v;
  }),
  fc.constantFrom(null, undefined, '', 0, -1, Number.NaN, Number.POSITIVE_INFINITY, true, [], {}),
);
/** A field that is right, wrong, or missing. */
const field = <T>(good: fc.Arbitrary<T>) =>
  fc.oneof({ weight: 3, arbitrary: good }, { weight: 2, arbitrary: junk }, fc.constant(undefined));

const customerId = fc.oneof(
  fc.constant(() => known),
  fc.stringMatching(/^[A-Za-z0-9][A-Za-z0-9._:@+-]{0,20}$/).map((id) => () => id),
  junk.map((v) => () => v),
);

/** Event envelopes, each field right or wrong; sometimes re-parsed from JSON with a `__proto__` key. */
const event = fc
  .record({
    id: field(fc.uuid()),
    source: field(fc.constantFrom('test.welcome', 'test.order', 'test.capped', 'contact.consent')),
    detailType: field(fc.constantFrom('Test', 'OrderPlaced', 'ConsentWithdrawn', 'CustomerProfileUpdated')),
    time: field(fc.date({ noInvalidDate: true }).map((d) => d.toISOString())),
    customerId,
    detail: fc.dictionary(key, junk, { maxKeys: 4 }),
    extra: fc.option(fc.dictionary(key, junk, { maxKeys: 3 })),
    viaJson: fc.boolean(),
    shape: fc.constantFrom('object', 'object', 'object', 'array', 'string', 'null'),
  })
  .map(({ id, source, detailType, time, customerId: cid, detail, extra, viaJson, shape }) => {
    if (shape === 'array') return [id, source];
    if (shape === 'string') return typeof source === 'string' ? source : 'not an event';
    if (shape === 'null') return null;
    const base: Record<string, unknown> = {
      ...busEvent('test.welcome', 'x'),
      ...(extra ?? {}),
      id,
      source,
      'detail-type': detailType,
      time,
      detail: { ...detail, customerId: cid() },
    };
    if (!viaJson) return base;
    // As an SQS body arrives: JSON, where `__proto__` is an own key, not the prototype.
    try {
      const text = JSON.stringify(base);
      return JSON.parse(
        text.replace(/^\{/, '{"__proto__":{"polluted":true},"constructor":{"prototype":{"polluted":true}},'),
      );
    } catch {
      return base;
    }
  });

const campaign = fc.constantFrom(
  'welcome',
  'third-order',
  'capped',
  'service',
  'no-such-campaign',
  '__proto__',
);

const writesDuring = async (work: () => Promise<unknown>) => {
  p.meter.reset();
  const outcome = await work().then(
    (value) => ({ ok: true as const, value }),
    (error: unknown) => ({ ok: false as const, error }),
  );
  const writes = Object.entries(p.meter.calls)
    .filter(([name]) => WRITES.test(name))
    .reduce((a, [, n]) => a + n, 0);
  return { ...outcome, writes };
};

describe(`${SIZES.fuzzEvents} fuzzed events`, () => {
  it(
    'through evaluateTrigger: no crash; each refused one has a clear reason and changed nothing',
    async () => {
      const reasons = new Map<string, number>();
      await fc.assert(
        fc.asyncProperty(event, campaign, async (e, campaignId) => {
          const result = await writesDuring(() => evaluateTrigger(p.deps, { campaignId, event: e }));
          if (result.ok) return;
          expect(result.error).toBeInstanceOf(InvalidInputError);
          const message = (result.error as Error).message;
          expect(message).toMatch(/^(invalid event: .{10,}|no decision for the campaign)$/);
          expect(result.writes).toBe(0);
          const reason = message.replace(/^invalid event: /, '');
          reasons.set(reason, (reasons.get(reason) ?? 0) + 1);
        }),
        { numRuns: SIZES.fuzzEvents, ...(SEED !== undefined && { seed: SEED }) },
      );
      // The fuzzer did reach every check of the envelope, not just the first one.
      expect(reasons.size).toBeGreaterThanOrEqual(6);
      expect(({} as Record<string, unknown>).polluted).toBeUndefined();
      expect(Object.keys(Object.prototype)).toEqual([]);
    },
    TIMEOUT,
  );

  it(
    'through the customer-data events (profile, consent, erasure): the same',
    async () => {
      const sources = fc.constantFrom('contact.profiles', 'contact.consent', 'contact.customers', 'x');
      await fc.assert(
        fc.asyncProperty(event, sources, async (e, source) => {
          const input = e && typeof e === 'object' && !Array.isArray(e) ? { ...e, source } : e;
          const before = await p.store.exportCustomer(known);
          const result = await writesDuring(() => applyCustomerEvent(p.data, input));
          if (result.ok) return;
          expect(result.error).toBeInstanceOf(InvalidInputError);
          expect((result.error as Error).message.length).toBeGreaterThan(10);
          expect(result.writes).toBe(0);
          expect({ ...(await p.store.exportCustomer(known)), exportedAt: before.exportedAt }).toEqual(before);
        }),
        { numRuns: Math.ceil(SIZES.fuzzEvents / 10), ...(SEED !== undefined && { seed: SEED }) },
      );
      expect(({} as Record<string, unknown>).polluted).toBeUndefined();
    },
    TIMEOUT,
  );
});
