import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { MemoryCustomerStore } from '#local/memory-store.ts';
import { generateSampleData } from '#local/sample-data.ts';
import { envelope, Router, shapeOnly } from '#local/simulate.ts';
import { attributionTarget } from '#shared/domain/attribution.ts';
import type { ContactRecord } from '#shared/domain/store.ts';
import {
  buildRenderContext,
  type RenderedMessage,
  renderEmptyMessage,
  renderMessage,
} from '#shared/engine/render.ts';
import { compileEventPattern } from '#shared/event-pattern/index.ts';
import { platformRoutes } from '#shared/routing.ts';
import { DATE_TRIGGER_DETAIL_TYPE, DATE_TRIGGER_SOURCE } from '#shared/strategy/campaign-pattern.ts';
import { loadCompiledStrategy } from '#shared/strategy/load.ts';
import { CHANNELS } from '#shared/strategy/schema.ts';

/**
 * `contact simulate` takes three shortcuts the live platform does not; each must give exactly what the
 * plain way gives, so that the dry run decides every trigger as the deployed functions would:
 * - messages from the shape-only templates are made without Handlebars (`renderEmptyMessage`);
 * - the router tries only the rules whose `source` and `detail-type` can match, and takes the index's
 *   word for the rules whose pattern names nothing else;
 * - the memory store credits a conversion from an index of the campaign's sent and held-out contacts.
 * (test/unit/sample-data.test.ts compares the whole sample history's decisions with every message
 * rendered for real; test/e2e/demo.test.ts compares the simulator with the live local platform.)
 */

const { strategy, templates } = loadCompiledStrategy('strategy/contact-strategy.yaml');

type Outcome = { message: RenderedMessage } | { error: string; name: string };
const outcome = (render: () => RenderedMessage): Outcome => {
  try {
    return { message: render() };
  } catch (error) {
    return { error: (error as Error).message, name: (error as Error).name };
  }
};

describe('renderEmptyMessage: what renderMessage renders from shape-only templates', () => {
  const shaped = shapeOnly(templates);
  const context = buildRenderContext({
    profile: { customerId: 'anna', attributes: { firstName: 'Anna', contractEndDate: '2026-04-15' } },
    event: { id: 'e1', source: 'shop.carts', 'detail-type': 'CartAbandoned', detail: { total: 80 } },
    campaign: { id: 'abandoned-cart', purpose: 'marketing' },
    links: { unsubscribe: 'https://x.invalid/u', preferences: 'https://x.invalid/p' },
  });
  const ids = [...Object.keys(shaped.templates), 'no-such-template'];
  const locales = [undefined, 'nl', 'nl-BE', 'en', 'en-GB', 'fr', 'de-AT'];
  const cases = ids.flatMap((templateId) =>
    CHANNELS.flatMap((channel) => locales.map((locale) => ({ templateId, channel, locale }))),
  );

  it.each(['nl', 'en', 'fr'])(
    'gives the same message or the same error for every template, channel and locale (default %s)',
    (defaultLocale) => {
      let messages = 0;
      let errors = 0;
      for (const c of cases) {
        const input = { templates: shaped, defaultLocale, ...c };
        const plain = outcome(() => renderMessage({ ...input, context }));
        const fast = outcome(() => renderEmptyMessage(input));
        expect(fast, JSON.stringify(c)).toEqual(plain);
        if ('message' in plain) messages++;
        else errors++;
      }
      // Both kinds occur: every channel of the sample templates renders somewhere, and some do not exist.
      expect(messages).toBeGreaterThan(20);
      expect(errors).toBeGreaterThan(20);
    },
  );
});

describe('Router: the source/detail-type index changes no answer', () => {
  /** Every rule's pattern tried on every event, in rule order: what the index must reproduce. */
  const rules = platformRoutes(strategy)
    .filter((r) => r.bus === 'contact-triggers')
    .map((route) => ({ route, matches: compileEventPattern(route.pattern) }));
  const plainMatch = (event: unknown) => rules.filter((r) => r.matches(event)).map((r) => r.route);

  it('routes every event of a sample history, date triggers and odd envelopes as trying every rule does', () => {
    const data = generateSampleData({ customers: 200, events: 4000 });
    const events: unknown[] = data.events.map((e, i) =>
      envelope({ ...e, detail: e.detail as Record<string, unknown> }, `e-${i}`, Date.parse(e.time)),
    );
    events.push(
      envelope(
        {
          source: DATE_TRIGGER_SOURCE,
          detailType: DATE_TRIGGER_DETAIL_TYPE,
          detail: { customerId: 'c1', campaignId: 'birthday', occurrence: 'birthday#2026-03-10' },
        },
        'd-1',
        0,
      ),
      { source: 'shop.orders', detail: { customerId: 'c1' } }, // no detail-type
      { source: 42, 'detail-type': 'OrderPlaced', detail: { customerId: 'c1' } },
      { source: 'unknown.app', 'detail-type': 'Whatever', detail: { customerId: 'c1' } },
      { source: 'contact.feedback', 'detail-type': 'SmsDelivered', detail: { customerId: 'c1' } },
      'not an event',
      null,
    );
    const router = new Router(strategy);
    let routed = 0;
    for (const event of events) {
      const expected = plainMatch(event);
      // Twice: the second answer comes from the index's cache.
      expect(router.match(event)).toEqual(expected);
      expect(router.match(event)).toEqual(expected);
      routed += expected.length;
    }
    expect(routed).toBeGreaterThan(3000);
    // Every kind of rule was hit: campaigns, customer data and activity.
    const targets = new Set(events.flatMap((e) => plainMatch(e).map((r) => r.target)));
    expect(targets).toEqual(new Set(['buffer', 'profile', 'activity', 'feedback']));
  });
});

describe('MemoryCustomerStore: conversions from the index of creditable contacts', () => {
  const T0 = Date.parse('2026-03-10T12:00:00Z');
  const outcomes = ['sent', 'holdout', 'suppressed', 'deferred'] as const;
  const write = fc.record({
    key: fc.integer({ min: 0, max: 5 }),
    campaign: fc.constantFrom('a', 'b'),
    outcome: fc.constantFrom(...outcomes),
    minutes: fc.integer({ min: 0, max: 600 }),
    moment: fc.boolean(),
  });

  it('credits the contact the attribution rule picks from all the campaign’s records, whatever was written', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.array(write, { maxLength: 25 }),
        fc.integer({ min: 0, max: 700 }),
        async (writes, at) => {
          const clock = { ms: T0 + 700 * 60_000 };
          const store = new MemoryCustomerStore({ sendRetentionMs: 86_400_000, now: () => clock.ms });
          const latest = new Map<string, ContactRecord>();
          for (const w of writes) {
            const record: ContactRecord = {
              eventId: `e${w.key}`,
              campaignId: w.campaign,
              customerId: 'c1',
              outcome: w.outcome,
              decidedAt: new Date(T0 + w.minutes * 60_000).toISOString(),
              idempotencyKey: `k${w.key}`,
              facts: [],
              ...(w.moment && { moment: 'till' as const }),
            };
            await store.putContact(record);
            latest.set(`${w.campaign}|${w.key}`, record);
          }
          const since = new Date(T0).toISOString();
          const conversionAt = new Date(T0 + at * 60_000).toISOString();
          for (const campaign of ['a', 'b']) {
            const all = [...latest.values()].filter((r) => r.campaignId === campaign);
            const expected = attributionTarget(all, since, conversionAt);
            const got = await store.attributeConversion('c1', campaign, since, {
              eventId: 'o1',
              at: conversionAt,
            });
            expect(got?.idempotencyKey).toBe(expected?.idempotencyKey);
            if (expected) {
              const stored = await store.getContact('c1', campaign, expected.idempotencyKey);
              expect(stored?.conversion).toEqual({ eventId: 'o1', at: conversionAt });
            }
          }
        },
      ),
      { numRuns: 300 },
    );
  });
});
