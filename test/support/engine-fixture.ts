import type { CustomerState, Profile } from '#shared/domain/customer.ts';
import { compileEngine, type Engine } from '#shared/engine/compile.ts';
import type { TemplateSet } from '#shared/strategy/templates.ts';
import { validateStrategy } from '#shared/strategy/validate.ts';

/** Templates with every channel in nl and en, enough for the engine (it never renders). */
const template = (name: string) => ({
  email: {
    nl: { subject: `${name} nl`, text: `Hallo {{firstName default="klant"}}` },
    en: { subject: name, text: 'Hi' },
  },
  sms: { nl: `${name} sms` },
  push: { nl: { title: name, body: 'body' } },
});

export const fixtureTemplates: TemplateSet = {
  templates: {
    welcome: template('welcome'),
    'loyalty-a': template('loyalty-a'),
    'loyalty-b': template('loyalty-b'),
    thanks: template('thanks'),
    cart: template('cart'),
    policy: template('policy'),
    'email-only': { email: { nl: { subject: 'e', text: 'e' } } },
  },
  layout: { html: '{{{content}}}', text: '{{{content}}}' },
};

const pattern = (source: string, detailType: string) => ({ source: [source], 'detail-type': [detailType] });

/** A strategy exercising every engine path; campaigns can be overridden per test. */
export function fixtureStrategyDocument(overrides: Record<string, Record<string, unknown>> = {}) {
  const campaigns: Record<string, unknown>[] = [
    {
      id: 'welcome',
      trigger: { pattern: pattern('shop.newsletter', 'NewsletterSubscribed') },
      channels: ['email', 'push'],
      variants: [{ id: 'a', weight: 100, template: 'welcome' }],
    },
    {
      id: 'loyalty',
      trigger: {
        pattern: pattern('shop.orders', 'OrderPlaced'),
        when: { count: { source: 'shop.orders', detailType: 'OrderPlaced', atLeast: 3, within: '30d' } },
        idempotencyKey: 'detail.orderId',
      },
      audience: { country: ['NL', 'BE'] },
      channels: ['preferred', 'email', 'sms'],
      caps: [{ max: 1, per: '90d' }],
      priority: 50,
      expires: '48h',
      holdout: '10%',
      variants: [
        { id: 'a', weight: 50, template: 'loyalty-a' },
        { id: 'b', weight: 50, template: 'loyalty-b' },
      ],
    },
    {
      id: 'order-thanks',
      trigger: { pattern: pattern('shop.orders', 'OrderPlaced'), idempotencyKey: 'detail.orderId' },
      channels: ['email', 'sms'],
      priority: 10,
      variants: [{ id: 'a', weight: 100, template: 'thanks' }],
    },
    {
      id: 'cart',
      trigger: { pattern: pattern('shop.carts', 'CartAbandoned') },
      channels: ['email'],
      delay: '1h',
      expires: '24h',
      variants: [{ id: 'a', weight: 100, template: 'cart' }],
    },
    {
      id: 'policy',
      purpose: 'service',
      trigger: { pattern: pattern('insurance.policies', 'PolicyDocumentReady') },
      channels: ['email', 'sms'],
      priority: 100,
      variants: [{ id: 'a', weight: 100, template: 'policy' }],
    },
  ].map((c) => ({ ...c, ...(overrides[c.id as string] ?? {}) }));
  return {
    version: 1,
    defaults: { timezone: 'Europe/Amsterdam', locale: 'nl', quietHours: { from: '21:00', to: '08:00' } },
    contactRules: {
      caps: [
        { purpose: 'marketing', max: 3, per: '7d' },
        { channel: 'sms', max: 1, per: '1d' },
      ],
    },
    campaigns,
  };
}

export function fixtureEngine(overrides: Record<string, Record<string, unknown>> = {}): Engine {
  const result = validateStrategy(fixtureStrategyDocument(overrides), fixtureTemplates);
  if (!result.strategy) throw new Error(`fixture strategy invalid: ${JSON.stringify(result.problems)}`);
  return compileEngine({ strategy: result.strategy, templates: fixtureTemplates });
}

/** 2026-03-10 12:00 UTC = 13:00 in Amsterdam (CET), outside quiet hours. */
export const NOON = Date.parse('2026-03-10T12:00:00Z');

export function profile(overrides: Partial<Profile> = {}): Profile {
  return {
    customerId: 'c1',
    email: 'anna@example.nl',
    phone: '+31612345678',
    attributes: { country: 'NL', firstName: 'Anna' },
    updatedAt: '2026-01-01T00:00:00Z',
    ...overrides,
  };
}

const granted = (ledgerRef: string) => ({
  granted: true,
  occurredAt: '2026-01-01T00:00:00Z',
  recordedAt: '2026-01-01T00:00:00Z',
  ledgerRef,
});

export function customer(overrides: Partial<CustomerState> = {}): CustomerState {
  return {
    customerId: 'c1',
    profile: profile(),
    consent: { 'marketing:all': granted('L#1'), 'service:all': granted('L#2') },
    sends: [],
    decided: {},
    activity: {},
    suppressions: {},
    version: 1,
    ...overrides,
  };
}

let seq = 0;
export function event(source: string, detailType: string, detail: Record<string, unknown> = {}, at = NOON) {
  seq++;
  return {
    version: '0',
    id: `evt-${seq}`,
    source,
    'detail-type': detailType,
    account: '000000000000',
    region: 'eu-west-1',
    time: new Date(at).toISOString(),
    resources: [],
    detail: { customerId: 'c1', ...detail },
  };
}
