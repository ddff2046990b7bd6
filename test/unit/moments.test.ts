import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { decideMoment, renderMomentText } from '#shared/engine/moments.ts';
import { StrategyValidationError } from '#shared/errors.ts';
import { loadCompiledStrategy } from '#shared/strategy/load.ts';
import { formatPath, validateStrategy } from '#shared/strategy/validate.ts';
import {
  customer,
  fixtureEngine,
  fixtureStrategyDocument,
  fixtureTemplates,
  NOON,
  profile,
} from '../support/engine-fixture.ts';

// The pure side of contact moments: the `moments:` field, the engine's answer, the texts.

const problemsOf = (overrides: Record<string, Record<string, unknown>>) =>
  validateStrategy(fixtureStrategyDocument(overrides), fixtureTemplates).problems.map(
    (p) => `${formatPath(p.path)}: ${p.message}`,
  );

describe('strategy: moments', () => {
  it.each([
    [
      'an unknown moment',
      { welcome: { moments: { shop: 'x' } } },
      'campaigns[0].moments: Unrecognized key: "shop"',
    ],
    [
      'no moment at all',
      { welcome: { moments: {} } },
      'campaigns[0].moments: name at least one moment (till, call, web)',
    ],
    ['an empty text', { welcome: { moments: { till: '' } } }, 'campaigns[0].moments.till'],
    ['a bad locale', { welcome: { moments: { web: { NL: 'hoi' } } } }, 'campaigns[0].moments.web'],
  ])('refuses %s, naming the path', (_, overrides, expected) => {
    expect(problemsOf(overrides).join('\n')).toContain(expected);
  });

  it('finds Handlebars errors and a missing default-locale text at load, with file:line', () => {
    const dir = mkdtempSync(join(tmpdir(), 'moments-'));
    mkdirSync(join(dir, 'templates'));
    writeFileSync(join(dir, 'templates', 'w.yaml'), 'email:\n  nl: { subject: Hoi, text: Hallo }\n');
    writeFileSync(
      join(dir, 'strategy.yaml'),
      [
        'version: 1',
        'campaigns:',
        '  - id: welcome',
        '    trigger: { pattern: { source: [shop] } }',
        '    channels: [email]',
        '    variants: [{ id: a, weight: 100, template: w }]',
        '    moments:',
        '      till: "Hoi {{#if firstName}}open"',
        '      web: { en: "Hi {{nope firstName}}" }',
        '',
      ].join('\n'),
    );
    const attempt = () => loadCompiledStrategy(join(dir, 'strategy.yaml'));
    expect(attempt).toThrow(StrategyValidationError);
    expect(attempt).toThrow(/strategy\.yaml:8 campaigns\[0\]\.moments\.till: Parse error/);
    expect(attempt).toThrow(/campaigns\[0\]\.moments\.web: has no text in the default locale "nl"/);
    expect(attempt).toThrow(/campaigns\[0\]\.moments\.web\.en: unknown helper "nope"/);
  });
});

describe('decideMoment', () => {
  const moments = {
    till: 'Till {{firstName}}',
    web: { nl: 'Web {{firstName}}', en: 'Web EN {{firstName}}' },
  };
  const engine = fixtureEngine({
    welcome: { moments, priority: 5 },
    'order-thanks': { moments: { till: 'Dank je, {{firstName default="klant"}}' } },
    policy: { moments: { call: 'Polis klaar' } },
  });

  it('offers by priority among the campaigns marked for the moment, and only those', () => {
    const d = decideMoment(engine, { customerId: 'c1', state: customer(), moment: 'till', now: NOON });
    expect(d.winner?.campaignId).toBe('order-thanks');
    expect(d.runnersUp.map((r) => [r.campaignId, r.reason, r.eligible])).toEqual([
      ['welcome', 'outranked', true],
    ]);
  });

  it('says why a campaign lost when the shared contact rule has one slot left', () => {
    const sends = [0, 1].map((n) => ({
      at: NOON - n * 3_600_000,
      campaignId: 'cart',
      purpose: 'marketing',
      channel: 'email' as const,
    }));
    const d = decideMoment(engine, {
      customerId: 'c1',
      state: customer({ sends }),
      moment: 'till',
      now: NOON,
    });
    expect(d.winner?.campaignId).toBe('order-thanks');
    expect(d.runnersUp[0]?.why).toBe(
      'order-thanks has a higher priority (10 > 5) and takes the last slot of a contact limit',
    );
  });

  it('needs consent for the purpose: withdrawn for all channels means no offer, with the reason', () => {
    const consent = {
      'marketing:all': { granted: false, occurredAt: '2026-02-01T00:00:00Z', ledgerRef: 'L#9' },
    };
    const d = decideMoment(engine, {
      customerId: 'c1',
      state: customer({ consent }),
      moment: 'till',
      now: NOON,
    });
    expect(d.winner).toBeUndefined();
    expect(d.runnersUp.map((r) => r.reason)).toEqual(['no_consent', 'no_consent']);
  });

  it('takes service consent for a service campaign, and keeps quiet hours for calls', () => {
    const evening = Date.parse('2026-03-10T21:30:00Z');
    expect(
      decideMoment(engine, { customerId: 'c1', state: customer(), moment: 'call', now: NOON }).winner
        ?.campaignId,
    ).toBe('policy');
    const late = decideMoment(engine, { customerId: 'c1', state: customer(), moment: 'call', now: evening });
    expect(late.winner).toBeUndefined();
    expect(late.runnersUp[0]?.reason).toBe('quiet_hours');
  });

  it('answers unknown_customer for a customer without a profile', () => {
    const d = decideMoment(engine, {
      customerId: 'c1',
      state: customer({ profile: undefined }),
      moment: 'web',
      now: NOON,
    });
    expect(d.runnersUp.map((r) => r.reason)).toEqual(['unknown_customer']);
  });

  it.each([
    ['the date itself', '2026-03-10', true],
    ['30 days ahead', '2026-04-09', true],
    ['31 days ahead', '2026-04-10', false],
    ['yesterday', '2026-03-09', false],
  ])('offers a date campaign (30 days before) on %s: %s', (_, date, offered) => {
    const dated = fixtureEngine({
      welcome: {
        trigger: { date: { attribute: 'contractEndDate', daysBefore: 30 } },
        moments: { web: 'Verleng' },
      },
    });
    const state = customer({ profile: profile({ attributes: { country: 'NL', contractEndDate: date } }) });
    const d = decideMoment(dated, { customerId: 'c1', state, moment: 'web', now: NOON });
    expect(d.winner !== undefined).toBe(offered);
    if (!offered)
      expect(d.runnersUp[0]?.why).toMatch(/contractEndDate is -?\d+ days ahead, offered from 30 days before/);
  });

  it('finds the next anniversary for a yearly date (birthdays)', () => {
    const yearly = fixtureEngine({
      welcome: {
        trigger: { date: { attribute: 'birthDate', anniversary: true } },
        moments: { till: 'Gefeliciteerd' },
      },
    });
    const on = customer({ profile: profile({ attributes: { birthDate: '1990-03-10' } }) });
    const off = customer({ profile: profile({ attributes: { birthDate: '1990-03-11' } }) });
    expect(
      decideMoment(yearly, { customerId: 'c1', state: on, moment: 'till', now: NOON }).winner,
    ).toBeDefined();
    expect(
      decideMoment(yearly, { customerId: 'c1', state: off, moment: 'till', now: NOON }).winner,
    ).toBeUndefined();
  });
});

describe('renderMomentText', () => {
  const engine = fixtureEngine({
    welcome: { moments: { web: { nl: 'Hoi {{firstName}}', en: 'Hi {{firstName}} <b>' } } },
  });

  it('renders in the customer’s locale, else the default, without HTML escaping and without contact fields', () => {
    expect(renderMomentText(engine, 'welcome', 'web', profile({ locale: 'en' }))).toEqual({
      locale: 'en',
      text: 'Hi Anna <b>',
    });
    expect(renderMomentText(engine, 'welcome', 'web', profile({ locale: 'de' }))).toEqual({
      locale: 'nl',
      text: 'Hoi Anna',
    });
    const leaky = fixtureEngine({ welcome: { moments: { web: 'Mail: {{email}}{{attributes.email}}' } } });
    expect(renderMomentText(leaky, 'welcome', 'web', profile({ attributes: { email: 'x@y.nl' } })).text).toBe(
      'Mail:',
    );
  });
});
