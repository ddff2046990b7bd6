import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { buildRenderContext, renderMessage, templateProblems } from '#shared/engine/render.ts';
import { loadCompiledStrategy } from '#shared/strategy/load.ts';
import { CHANNELS, type Channel, campaign as campaignSchema } from '#shared/strategy/schema.ts';
import { templateLocales } from '#shared/strategy/templates.ts';

const FILE = 'strategy/contact-strategy.yaml';
const { strategy, templates } = loadCompiledStrategy(FILE);

/** As long as the signed links the preferences function hands out (function URL + signed token). */
const links = {
  unsubscribe: `https://${'a'.repeat(32)}.lambda-url.eu-west-1.on.aws/unsubscribe?token=${'x'.repeat(83)}.${'y'.repeat(43)}`,
  preferences: `https://${'a'.repeat(32)}.lambda-url.eu-west-1.on.aws/preferences?token=${'x'.repeat(83)}.${'y'.repeat(43)}`,
};

/** Every (campaign, variant template, channel, locale) the platform may render; `preferred` = any channel the template has. */
const cases = strategy.campaigns.flatMap((campaign) =>
  campaign.variants.flatMap((variant) => {
    const template = templates.templates[variant.template];
    const channels = new Set<Channel>(
      campaign.channels.flatMap((ch) =>
        ch === 'preferred'
          ? CHANNELS.filter((c) => template && templateLocales(template, c).length > 0)
          : [ch],
      ),
    );
    return [...channels].flatMap((channel) =>
      ['nl', 'en'].map((locale) => ({ campaign, variant, channel, locale })),
    );
  }),
);

describe('the sample strategy', () => {
  it('loads with zero problems, templates included', () => {
    expect(strategy.campaigns.map((c) => c.id)).toEqual([
      'welcome',
      'loyalty-third-order',
      'contract-renewal',
      'birthday',
      'abandoned-cart',
      'policy-document-ready',
      'win-back',
    ]);
    expect(templateProblems(templates)).toEqual([]);
  });

  it('shows every campaign and trigger field of the schema, so it documents them all', () => {
    const raw = parse(readFileSync(FILE, 'utf8')) as { campaigns: Record<string, unknown>[] };
    const used = new Set(raw.campaigns.flatMap((c) => Object.keys(c)));
    const usedInTrigger = new Set(raw.campaigns.flatMap((c) => Object.keys(c.trigger as object)));
    expect(Object.keys(campaignSchema.shape).filter((key) => !used.has(key))).toEqual([]);
    expect(Object.keys(campaignSchema.shape.trigger.shape).filter((key) => !usedInTrigger.has(key))).toEqual(
      [],
    );
  });

  it.each(cases.map((c) => [c.campaign.id, c.variant.id, c.channel, c.locale, c] as const))(
    '%s (variant %s) renders %s in %s for an empty profile',
    (_id, _variant, channel, locale, { campaign, variant }) => {
      const message = renderMessage({
        templates,
        templateId: variant.template,
        channel,
        locale,
        defaultLocale: strategy.defaults.locale,
        context: buildRenderContext({
          profile: { customerId: 'c-empty', attributes: {} },
          ...(campaign.trigger.date
            ? { event: { source: 'contact.schedule', 'detail-type': 'DateTriggerReached', detail: {} } }
            : {}),
          campaign,
          variant: variant.id,
          ...(strategy.brand && { brand: strategy.brand }),
          links,
        }),
      });
      expect(message.locale).toBe(locale);
      const shown = JSON.stringify(message);
      // `{{` never occurs in JSON syntax, so it can only be a placeholder left unrendered.
      expect(shown).not.toMatch(/undefined|\[object Object\]|\{\{/);
      if (message.channel === 'sms') expect(message.segments).toBeLessThanOrEqual(2);
      if (message.channel === 'email') {
        // Handlebars escapes `=` in attributes as &#x3D;, which every mail client decodes.
        expect(message.html).toContain(`href="${links.unsubscribe.replaceAll('=', '&#x3D;')}"`);
        expect(message.text).toContain(links.unsubscribe);
        expect(message.subject.length).toBeGreaterThan(5);
      }
    },
  );

  it('personalises with a full profile and event, in one brand voice per language', () => {
    const campaign = strategy.campaigns.find((c) => c.id === 'contract-renewal');
    if (!campaign) throw new Error('contract-renewal missing');
    const render = (channel: Channel, locale: string) =>
      renderMessage({
        templates,
        templateId: 'contract-renewal',
        channel,
        locale,
        defaultLocale: 'nl',
        context: buildRenderContext({
          profile: {
            customerId: 'c-1',
            attributes: {
              firstName: 'Sanne',
              lastName: 'de Vries',
              street: 'Lindelaan',
              houseNumber: '12',
              postalCode: '3511 AB',
              city: 'Utrecht',
              contractType: 'car',
              contractEndDate: '2026-07-01',
            },
          },
          campaign,
          ...(strategy.brand && { brand: strategy.brand }),
          links,
        }),
      });
    expect(render('email', 'nl-NL')).toMatchObject({
      locale: 'nl',
      subject: 'Je autoverzekering loopt over 30 dagen af',
    });
    expect(render('email', 'nl')).toMatchObject({ text: expect.stringContaining('Hoi Sanne,') });
    expect(render('email', 'nl')).toMatchObject({ text: expect.stringContaining('op 1 juli 2026') });
    expect(render('email', 'en')).toMatchObject({ subject: 'Your car insurance ends in 30 days' });
    expect(render('webhook', 'nl')).toMatchObject({
      payload: {
        kind: 'postcard',
        recipient: {
          name: 'Sanne de Vries',
          street: 'Lindelaan 12',
          postalCode: '3511 AB',
          city: 'Utrecht',
          country: 'NL',
        },
      },
    });
  });
});
