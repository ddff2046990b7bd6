import { cpSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { parse } from 'yaml';
import { type CustomerRow, customerEvents } from '#local/import.ts';
import {
  byTime,
  diffTallies,
  formatDiff,
  formatTallies,
  parseEventLines,
  type ReplayEvent,
  readEventsFile,
  replayWindow,
  runSimulateCommand,
  shapeOnly,
  simulate,
  unbalanced,
  waves,
} from '#local/simulate.ts';
import { customerTimeline, diffDecisions, formatDecisionDiff, formatTimeline } from '#local/simulate-diff.ts';
import { bucketOf } from '#shared/engine/hash.ts';
import { type CompiledStrategy, loadCompiledStrategy } from '#shared/strategy/load.ts';
import type { Channel } from '#shared/strategy/schema.ts';
import { validateStrategy } from '#shared/strategy/validate.ts';

/**
 * A small history against the sample strategy, every outcome reasoned out by hand (times in UTC;
 * Amsterdam is UTC+1 in March before the 29th):
 * - anna (NL, active, email + marketing/service consent, born 10 March 1980, valuable):
 *   welcome → sent; 3 orders → rule_not_met ×2, then sent after the 1h delay; a cart of 80 at 21:30
 *   local → deferred (delay into quiet hours) and sent at 08:00; a cart of 20 is below the filter (no
 *   trigger); a cart of 90 the next day → cap_reached (1 per 7 days); birthday on 10 March 09:00 local
 *   → sent; inactive on 20 March → win-back sent; withdraws marketing email, then a cart → no_consent.
 * - bram (same, no birthday): 3 orders → rule_not_met ×2, then holdout (his holdout bucket < 10%).
 * - cees (service consent only, home insurance ending 15 April): welcome → no_consent; a policy
 *   document → sent, its retry → duplicate; renewal reminder on 16 March → no_consent (marketing).
 * - dirk (Belgian, phone only): welcome → no_channel (email and push have no address).
 * - eva (valuable, lapsed): inactive → holdout (her win-back bucket < 20%).
 * - a visitor we do not know signs up → unknown_customer; an order without customerId → invalid_event.
 */

const strategy = loadCompiledStrategy('strategy/contact-strategy.yaml');
const at = (iso: string) => Date.parse(iso);
const START = at('2026-03-02T00:00:00Z');

const consent = (purpose: string, channel: Channel | 'all') => ({
  purpose,
  channel,
  granted: true,
  source: 'signup-form',
  occurredAt: '2025-06-01T10:00:00Z',
});
const person = (
  customerId: string,
  over: Partial<CustomerRow> = {},
  attributes: Record<string, unknown> = {},
) => ({
  customerId,
  email: `${customerId}@example.nl`,
  timezone: 'Europe/Amsterdam',
  locale: 'nl',
  attributes: { firstName: customerId, country: 'NL', lifecycle: 'active', ...attributes },
  consent: [consent('marketing', 'email'), consent('service', 'all')],
  ...over,
});
const valuable = { lifetimeValue: 250, lastOrderDate: '2025-09-01' };
const customers: CustomerRow[] = [
  person('anna', {}, { birthDate: '1980-03-10', ...valuable }),
  person('bram'),
  person(
    'cees',
    { consent: [consent('service', 'all')] },
    { contractType: 'home', contractEndDate: '2026-04-15' },
  ),
  person(
    'dirk',
    { email: undefined, phone: '0470 12 34 56', consent: [consent('marketing', 'sms')] },
    { country: 'BE' },
  ),
  person('eva', {}, { lifecycle: 'lapsed', ...valuable }),
].map((c) => JSON.parse(JSON.stringify(c)) as CustomerRow);

let line = 0;
const ev = (
  time: string,
  source: string,
  detailType: string,
  detail: Record<string, unknown>,
): ReplayEvent => ({
  line: ++line,
  time: at(time),
  source,
  detailType,
  detail,
});
const order = (time: string, customerId: string, orderId: string) =>
  ev(time, 'shop.orders', 'OrderPlaced', { customerId, orderId, total: 45 });
const cart = (time: string, customerId: string, cartId: string, total: number) =>
  ev(time, 'shop.carts', 'CartAbandoned', { customerId, cartId, total });
const signup = (time: string, customerId: string) =>
  ev(time, 'shop.newsletter', 'NewsletterSubscribed', { customerId });

const history: ReplayEvent[] = [
  signup('2026-03-02T10:00:00Z', 'anna'),
  signup('2026-03-02T10:00:00Z', 'cees'),
  signup('2026-03-02T10:15:00Z', 'dirk'),
  signup('2026-03-02T11:00:00Z', 'visitor-1'),
  ev('2026-03-03T09:00:00Z', 'insurance.policies', 'PolicyDocumentReady', {
    customerId: 'cees',
    documentId: 'D1',
  }),
  ev('2026-03-03T09:15:00Z', 'insurance.policies', 'PolicyDocumentReady', {
    customerId: 'cees',
    documentId: 'D1',
  }),
  order('2026-03-03T12:00:00Z', 'anna', 'a1'),
  order('2026-03-03T12:00:00Z', 'bram', 'b1'),
  ev('2026-03-03T13:00:00Z', 'shop.web', 'ProductViewed', { customerId: 'anna', productId: 'P-1' }),
  order('2026-03-04T12:00:00Z', 'anna', 'a2'),
  order('2026-03-04T12:00:00Z', 'bram', 'b2'),
  ev('2026-03-04T13:00:00Z', 'shop.orders', 'OrderPlaced', { orderId: 'broken', total: 10 }),
  order('2026-03-05T12:00:00Z', 'anna', 'a3'),
  order('2026-03-05T12:00:00Z', 'bram', 'b3'),
  cart('2026-03-06T20:30:00Z', 'anna', 'k1', 80),
  cart('2026-03-06T20:45:00Z', 'anna', 'k2', 20),
  cart('2026-03-07T12:00:00Z', 'anna', 'k3', 90),
  ev('2026-03-20T12:00:00Z', 'shop.customers', 'CustomerInactive', {
    customerId: 'anna',
    daysSinceLastOrder: 200,
  }),
  ev('2026-03-20T12:00:00Z', 'shop.customers', 'CustomerInactive', {
    customerId: 'eva',
    daysSinceLastOrder: 300,
  }),
  ev('2026-03-21T12:00:00Z', 'contact.consent', 'ConsentWithdrawn', {
    customerId: 'anna',
    purpose: 'marketing',
    channel: 'email',
    source: 'preference-page',
    occurredAt: '2026-03-21T12:00:00Z',
  }),
  cart('2026-03-22T12:00:00Z', 'anna', 'k4', 50),
];

const customerBus = customers.flatMap((row) => customerEvents(row, START));

afterEach(() => vi.restoreAllMocks());

describe('contact simulate: a fixed history gives exact counts', () => {
  it('the fixture’s holdout groups are what the comments say', () => {
    // Held out below 10% (loyalty) and 20% (win-back) of 10,000 buckets.
    expect(bucketOf('bram#loyalty-third-order#holdout')).toBeLessThan(1000);
    expect(bucketOf('anna#loyalty-third-order#holdout')).toBeGreaterThanOrEqual(1000);
    expect(bucketOf('eva#win-back#holdout')).toBeLessThan(2000);
    expect(bucketOf('anna#win-back#holdout')).toBeGreaterThanOrEqual(2000);
  });

  it('decides every campaign as reasoned out, and every trigger lands in exactly one outcome', async () => {
    const result = await simulate({ strategy, customers: customerBus, events: history });
    const sent = (channel: 'email' | 'sms' | 'push', n: number, afterWait = 0) => ({
      sent: n,
      byChannel: n > 0 ? { [channel]: n } : {},
      afterWait,
    });
    expect(result.campaigns).toEqual({
      welcome: {
        triggered: 4,
        ...sent('email', 1),
        pending: 0,
        holdout: 0,
        suppressed: { no_consent: 1, no_channel: 1, unknown_customer: 1 },
      },
      'loyalty-third-order': {
        triggered: 7,
        ...sent('email', 1, 1),
        pending: 0,
        holdout: 1,
        suppressed: { rule_not_met: 4, invalid_event: 1 },
      },
      'contract-renewal': {
        triggered: 1,
        ...sent('email', 0),
        pending: 0,
        holdout: 0,
        suppressed: { no_consent: 1 },
      },
      birthday: { triggered: 1, ...sent('email', 1), pending: 0, holdout: 0, suppressed: {} },
      'abandoned-cart': {
        triggered: 3,
        ...sent('email', 1, 1),
        pending: 0,
        holdout: 0,
        suppressed: { cap_reached: 1, no_consent: 1 },
      },
      'policy-document-ready': {
        triggered: 2,
        ...sent('email', 1),
        pending: 0,
        holdout: 0,
        suppressed: { duplicate: 1 },
      },
      'win-back': { triggered: 2, ...sent('email', 1), pending: 0, holdout: 1, suppressed: {} },
    });
    expect(unbalanced(result.campaigns)).toEqual([]);
    expect(result).toMatchObject({
      dateTriggers: 2,
      deferredRuns: 2,
      superseded: 0,
      failures: {},
      sends: { email: 6, sms: 0, push: 0, webhook: 0 },
      handlers: { buffer: { deadLettered: 1 }, activity: { deadLettered: 0 } },
      window: { start: '2026-03-02T00:00:00.000Z', until: '2026-03-24T00:00:00.000Z' },
    });
  });

  it('gives the same answer on every run', async () => {
    const [a, b] = await Promise.all([
      simulate({ strategy, customers: customerBus, events: history }),
      simulate({ strategy, customers: customerBus, events: history }),
    ]);
    expect(a.campaigns).toEqual(b.campaigns);
  });

  it('prints a table per campaign and a table of suppression reasons', async () => {
    const { campaigns } = await simulate({ strategy, customers: customerBus, events: history });
    const text = formatTallies(campaigns);
    expect(text).toMatch(
      /^campaign\s+triggered\s+sent\s+email\s+sms\s+push\s+webhook\s+after wait\s+holdout/,
    );
    expect(text).toMatch(/^loyalty-third-order\s+7\s+1\s+1\s+0\s+0\s+0\s+1\s+1\s+5\s+0$/m);
    expect(text).toMatch(/^total\s+20\s+/m);
    expect(text).toMatch(/^suppressed by reason\s+cap_reached\s+duplicate\s+invalid_event/m);
  });
});

describe('contact simulate --diff', () => {
  /** The sample strategy with loyalty's control group removed and the welcome campaign paused. */
  function changedStrategy(): CompiledStrategy {
    const document = parse(readStrategyText()) as {
      campaigns: { id: string; holdout?: string; enabled?: boolean }[];
    };
    for (const c of document.campaigns) {
      if (c.id === 'loyalty-third-order') c.holdout = '0%';
      if (c.id === 'welcome') c.enabled = false;
    }
    const result = validateStrategy(document, strategy.templates);
    if (!result.strategy) throw new Error(JSON.stringify(result.problems));
    return { strategy: result.strategy, templates: strategy.templates };
  }

  it('shows per campaign and outcome what the other strategy changes', async () => {
    const base = await simulate({ strategy, customers: customerBus, events: history });
    const other = await simulate({ strategy: changedStrategy(), customers: customerBus, events: history });
    const rows = diffTallies(base.campaigns, other.campaigns);
    expect(rows).toEqual([
      { campaign: 'welcome', outcome: 'triggered', base: 4, other: 0, change: -4 },
      { campaign: 'welcome', outcome: 'sent', base: 1, other: 0, change: -1 },
      { campaign: 'welcome', outcome: 'sent:email', base: 1, other: 0, change: -1 },
      { campaign: 'welcome', outcome: 'suppressed:no_channel', base: 1, other: 0, change: -1 },
      { campaign: 'welcome', outcome: 'suppressed:no_consent', base: 1, other: 0, change: -1 },
      { campaign: 'welcome', outcome: 'suppressed:unknown_customer', base: 1, other: 0, change: -1 },
      { campaign: 'loyalty-third-order', outcome: 'sent', base: 1, other: 2, change: 1 },
      { campaign: 'loyalty-third-order', outcome: 'after wait', base: 1, other: 2, change: 1 },
      { campaign: 'loyalty-third-order', outcome: 'holdout', base: 1, other: 0, change: -1 },
      { campaign: 'loyalty-third-order', outcome: 'sent:email', base: 1, other: 2, change: 1 },
    ]);
    const text = formatDiff(rows, { base: 'base', other: 'other' });
    expect(text).toMatch(/^loyalty-third-order\s+holdout\s+1\s+0\s+-1\s+-100\.0%$/m);
    expect(text).toMatch(/^loyalty-third-order\s+sent\s+1\s+2\s+\+1\s+\+100\.0%$/m);
    expect(formatDiff([], { base: 'a', other: 'b' })).toBe(
      'no change: both strategies decide every trigger alike',
    );
  });

  it('pairs the decisions of both strategies and says which change, how and why', async () => {
    const base = await simulate({ strategy, customers: customerBus, events: history });
    const other = await simulate({ strategy: changedStrategy(), customers: customerBus, events: history });
    const d = diffDecisions(base.records, other.records);
    // Pausing welcome takes its four decisions away; without loyalty's control group bram is sent to.
    expect(d).toMatchObject({ pairs: 18, changed: 5, customers: 5 });
    expect(d.transitions).toEqual([
      { from: 'holdout (variant b)', to: 'sent (email, variant b)', count: 1 },
      { from: 'sent (email, variant default)', to: '—', count: 1 },
      { from: 'suppressed (no_channel)', to: '—', count: 1 },
      { from: 'suppressed (no_consent)', to: '—', count: 1 },
      { from: 'suppressed (unknown_customer)', to: '—', count: 1 },
    ]);
    expect(d.changes.map((c) => [c.customerId, c.campaignId, c.eventId])).toEqual([
      ['anna', 'welcome', 'event-1'],
      ['bram', 'loyalty-third-order', 'event-14'],
      ['cees', 'welcome', 'event-2'],
      ['dirk', 'welcome', 'event-3'],
      ['visitor-1', 'welcome', 'event-4'],
    ]);
    const bram = d.changes[1];
    expect(bram?.base?.why).toEqual([expect.stringMatching(/^Holdout group 10% \(customer bucket \d+\)$/)]);
    expect(bram?.other?.why).toEqual(['Sent after a delay of 1h']);
    expect(d.changes[2]?.base?.why).toContain('Consent for marketing by email: not given');
    expect(d.changes[4]?.base?.why).toEqual(['No profile for the customer (never created, or erased)']);
    expect(d.changes[0]?.other).toBeUndefined();

    const text = formatDecisionDiff(d);
    expect(text).toMatch(/^decisions that change: 5 of 18 \(27\.8%\), for 5 customers$/m);
    expect(text).toMatch(/^holdout \(variant b\) → sent \(email, variant b\)\s+1$/m);
    expect(text).toMatch(/^ {2}bram · loyalty-third-order · event-14 · 2026-03-05T12:00:00\.000Z$/m);
    expect(text).toMatch(/^ {4}other: Sent after a delay of 1h$/m);
    // The same strategy twice: nothing changes.
    expect(diffDecisions(base.records, base.records)).toMatchObject({
      changed: 0,
      transitions: [],
      changes: [],
    });
    expect(formatDecisionDiff(diffDecisions(base.records, base.records))).toBe(
      'decisions that change: none of 18',
    );
  });

  it("lists one customer's decisions in time order, with what decided each, under one strategy or two", async () => {
    const base = await simulate({ strategy, customers: customerBus, events: history });
    const other = await simulate({ strategy: changedStrategy(), customers: customerBus, events: history });
    // Anna's story as reasoned out at the top of this file; the cart of 20 triggers nothing.
    const anna = customerTimeline('anna', base.records);
    expect(anna.map((e) => [e.campaignId, e.base?.label])).toEqual([
      ['welcome', 'sent (email, variant default)'],
      ['loyalty-third-order', 'suppressed (rule_not_met)'],
      ['loyalty-third-order', 'suppressed (rule_not_met)'],
      ['loyalty-third-order', 'sent (email, variant a)'],
      ['abandoned-cart', 'sent (email, variant default)'],
      ['abandoned-cart', 'suppressed (cap_reached)'],
      ['birthday', 'sent (email, variant default)'],
      ['win-back', 'sent (email, variant default)'],
      ['abandoned-cart', 'suppressed (no_consent)'],
    ]);
    expect(anna.every((e) => e.other === undefined)).toBe(true);
    const text = formatTimeline('anna', anna, false);
    expect(text).toMatch(/^customer anna: 9 decisions$/m);
    expect(text).toMatch(
      /^ {2}2026-03-06 20:30 {2}abandoned-cart · event-15: sent \(email, variant default\)$/m,
    );
    expect(text).toMatch(
      /^ {6}Sent after a delay of 1h; Quiet hours 21:00–08:00 in Europe\/Amsterdam; local time was 22:30$/m,
    );
    expect(text).toMatch(/^ {6}Business rule: 2 × OrderPlaced within 30d \(needs 3\)$/m);
    expect(text).toMatch(/^ {6}Campaign cap: 1 of 1 per 7d used$/m);
    expect(text).not.toMatch(/anna@example\.nl/);

    // Under both strategies: the paused welcome is the one change.
    const paired = formatTimeline('anna', customerTimeline('anna', base.records, other.records), true);
    expect(paired).toMatch(/^customer anna: 9 decisions, 1 decided differently \(base → other\)$/m);
    expect(paired).toMatch(
      /^ {2}2026-03-02 10:00 {2}welcome · event-1: sent \(email, variant default\) → —$/m,
    );
    expect(formatTimeline('nobody', customerTimeline('nobody', base.records), false)).toBe(
      'customer nobody: no decisions (not in the history, or none of their events triggered a campaign)',
    );
  });

  it('runs from files: the command prints both tables and the changes, and exits 0', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'simulate-'));
    const lines = (items: unknown[]) => `${items.map((x) => JSON.stringify(x)).join('\n')}\n`;
    writeFileSync(join(dir, 'customers.jsonl'), lines(customers));
    writeFileSync(
      join(dir, 'events.jsonl'),
      `${lines(history.map((e) => ({ time: new Date(e.time).toISOString(), source: e.source, detailType: e.detailType, detail: e.detail })))}not json\n`,
    );
    cpSync('strategy/templates', join(dir, 'templates'), { recursive: true });
    writeFileSync(join(dir, 'other.yaml'), readStrategyText().replace('holdout: 10%', 'holdout: 0%'));
    const out: string[] = [];
    const err: string[] = [];
    vi.spyOn(console, 'log').mockImplementation((...a: unknown[]) => void out.push(a.join(' ')));
    vi.spyOn(process.stderr, 'write').mockImplementation((chunk: string | Uint8Array) => {
      err.push(String(chunk));
      return true;
    });
    const code = await runSimulateCommand({
      strategyFile: 'strategy/contact-strategy.yaml',
      eventsFile: join(dir, 'events.jsonl'),
      customersFile: join(dir, 'customers.jsonl'),
      diffFile: join(dir, 'other.yaml'),
      explain: ['bram'],
    });
    const text = out.join('\n');
    expect(code).toBe(0);
    expect(err.join('')).toMatch(/1 unreadable lines skipped \(first: line 22, not valid JSON\)/);
    expect(text).toMatch(/changes \(strategy\/contact-strategy\.yaml → .*other\.yaml\)/);
    expect(text).toMatch(/^loyalty-third-order\s+holdout\s+1\s+0\s+-1\s+-100\.0%$/m);
    expect(text).toMatch(/^decisions that change: 1 of 18 \(5\.6%\), for 1 customer$/m);
    expect(text).toMatch(/^holdout \(variant b\) → sent \(email, variant b\) \(1\):$/m);
    expect(text).toMatch(/^customer bram: 3 decisions, 1 decided differently \(base → other\)$/m);
    expect(text).toMatch(
      /^ {2}\S+ \S+ {2}loyalty-third-order · event-14: holdout \(variant b\) → sent \(email, variant b\)$/m,
    );
    expect(text).not.toMatch(/anna@example\.nl/);
  });
});

describe('replay mechanics', () => {
  it('reads events as JSON lines, sorts them by time and reports unreadable lines by number', () => {
    const { events, unreadable } = parseEventLines(
      [
        '{"time":"2026-03-02T10:00:00Z","source":"b","detailType":"X","detail":{}}',
        '{"time":"2026-03-02T09:00:00Z","source":"a","detail-type":"X","detail":{}}',
        '',
        '{"source":"c","detailType":"X"}',
        '[1,2]',
      ].join('\n'),
    );
    expect(events.map((e) => [e.line, e.source])).toEqual([
      [2, 'a'],
      [1, 'b'],
    ]);
    expect(unreadable).toEqual([
      { line: 4, reason: 'time is missing or not an ISO timestamp' },
      { line: 5, reason: 'not an object' },
    ]);
  });

  /** `parseEventLines` as it was before its one-pass rewrite: split, parse every line, sort. */
  function referenceParse(text: string) {
    const events: ReplayEvent[] = [];
    const unreadable: { line: number; reason: string }[] = [];
    for (const [i, raw] of text.split('\n').entries()) {
      if (raw.trim() === '') continue;
      const line = i + 1;
      let value: unknown;
      try {
        value = JSON.parse(raw);
      } catch {
        unreadable.push({ line, reason: 'not valid JSON' });
        continue;
      }
      if (typeof value !== 'object' || value === null || Array.isArray(value)) {
        unreadable.push({ line, reason: 'not an object' });
        continue;
      }
      const v = value as Record<string, unknown>;
      const time = typeof v.time === 'string' ? Date.parse(v.time) : Number.NaN;
      const detailType = v.detailType ?? v['detail-type'];
      if (Number.isNaN(time)) unreadable.push({ line, reason: 'time is missing or not an ISO timestamp' });
      else if (typeof v.source !== 'string' || typeof detailType !== 'string')
        unreadable.push({ line, reason: 'source or detailType is missing' });
      else events.push({ line, time, source: v.source, detailType, detail: v.detail });
    }
    events.sort((a, b) => a.time - b.time || a.line - b.line);
    return { events, unreadable };
  }

  const ev = (time: unknown, source = 's', extra = '') =>
    `{"time":${JSON.stringify(time)},"source":"${source}","detailType":"X"${extra},"detail":{"customerId":"c-1"}}`;

  it.each([
    [
      'sorted, trailing newline',
      [ev('2026-03-02T09:00:00Z'), ev('2026-03-02T09:00:00Z', 't'), ''].join('\n'),
    ],
    [
      'unsorted, equal times keep file order',
      [
        ev('2026-03-02T10:00:00Z'),
        ev('2026-03-02T09:00:00Z'),
        ev('2026-03-02T10:00:00Z', 'u'),
        ev('2026-03-02T09:00:00Z', 'v'),
      ].join('\n'),
    ],
    [
      'CRLF line ends and blank or whitespace lines',
      [ev('2026-03-02T09:00:00Z'), '', '   ', '\t', ev('2026-03-01T09:00:00Z')].join('\r\n'),
    ],
    [
      'a line indented before its JSON',
      `  ${ev('2026-03-02T09:00:00Z')}\n${ev('2026-03-02T08:00:00+01:00')}`,
    ],
    [
      'bad lines of every kind',
      [
        '{',
        '[1]',
        '"x"',
        ev('not a time'),
        ev(5),
        '{"time":"2026-03-02T09:00:00Z","detailType":"X"}',
        '{"time":"2026-03-02T09:00:00Z","source":"s"}',
        ev('2026-03-02T09:00:00Z'),
      ].join('\n'),
    ],
    ['non-ASCII text', `${ev('2026-03-02T09:00:00Z')}\n${ev('2026-03-02T08:00:00Z', 'café')}`],
    ['empty', ''],
    ['no newline at the end', ev('2026-03-02T09:00:00Z')],
  ])('reads %s exactly as the split-parse-sort reference does', (_name, text) => {
    expect(parseEventLines(text)).toEqual(referenceParse(text));
  });

  it('skips a byte-order mark before the first line, as a customers file does', () => {
    const text = `${ev('2026-03-02T09:00:00Z')}\n${ev('2026-03-02T08:00:00Z', 'café')}`;
    expect(parseEventLines(`\uFEFF${text}`)).toEqual(referenceParse(text));
  });

  it('reads an events file, ASCII or not, as its UTF-8 text', () => {
    const dir = mkdtempSync(join(tmpdir(), 'events-'));
    for (const [name, text] of [
      ['ascii.jsonl', `${ev('2026-03-02T10:00:00Z')}\n${ev('2026-03-02T09:00:00Z')}\n`],
      ['utf8.jsonl', `${ev('2026-03-02T10:00:00Z', 'crème')}\n${ev('2026-03-02T09:00:00Z', '日本')}\n`],
    ] as const) {
      writeFileSync(join(dir, name), text);
      expect(readEventsFile(join(dir, name))).toEqual(referenceParse(text));
    }
  });

  it('splits one moment into waves of at most one event per customer, keeping each customer’s order', () => {
    const e = (customerId: unknown, n: number) => ({ n, detail: { customerId } });
    const result = waves([e('a', 1), e('b', 2), e('a', 3), e(undefined, 4), e('a', 5), e('b', 6)]);
    expect(result.map((w) => w.map((x) => x.n))).toEqual([[1, 2, 4], [3, 6], [5]]);
    expect(byTime([{ time: 1 }, { time: 1 }, { time: 2 }]).map((m) => [m.time, m.events.length])).toEqual([
      [1, 2],
      [2, 1],
    ]);
  });

  it('replays from the midnight before the first event to a day after the midnight after the last', () => {
    const w = replayWindow([{ time: at('2026-03-02T10:00:00Z') }, { time: at('2026-03-05T23:59:00Z') }]);
    expect([new Date(w.start).toISOString(), new Date(w.until).toISOString()]).toEqual([
      '2026-03-02T00:00:00.000Z',
      '2026-03-07T00:00:00.000Z',
    ]);
  });
});

function readStrategyText(): string {
  return readFileSync('strategy/contact-strategy.yaml', 'utf8');
}

describe('shapeOnly: the templates a dry run renders', () => {
  it('keeps every template, channel, locale, email part and payload shape, with every text empty', () => {
    const shaped = shapeOnly({
      templates: {
        welcome: {
          email: { nl: { subject: 'Hoi {{firstName}}', text: 'Welkom', preheader: 'x' } },
          sms: { nl: 'Welkom {{firstName}}', en: 'Welcome' },
          webhook: { nl: { kind: 'welcome', score: 3, tags: ['{{firstName}}'], nested: { ok: true } } },
        },
      },
      layout: { html: '<p>{{{content}}}</p>{{links.unsubscribe}}', text: '{{content}}' },
    } as unknown as Parameters<typeof shapeOnly>[0]);
    expect(shaped).toEqual({
      templates: {
        welcome: {
          email: { nl: { subject: '', text: '', preheader: '' } },
          sms: { nl: '', en: '' },
          webhook: { nl: { kind: '', score: 3, tags: [''], nested: { ok: true } } },
        },
      },
      layout: { html: '', text: '' },
    });
  });
});
