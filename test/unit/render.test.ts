import { afterEach, describe, expect, it, vi } from 'vitest';
import type { Profile } from '#shared/domain/customer.ts';
import {
  buildRenderContext,
  hasTemplateFor,
  type RenderContext,
  renderMessage,
  templateProblems,
} from '#shared/engine/render.ts';
import { smsSegments } from '#shared/engine/sms.ts';
import { InvalidInputError } from '#shared/errors.ts';
import type { Channel } from '#shared/strategy/schema.ts';
import type { TemplateFile, TemplateSet } from '#shared/strategy/templates.ts';

const links = {
  unsubscribe: 'https://prefs.example/unsubscribe?token=abc.def',
  preferences: 'https://prefs.example/preferences?token=abc.def',
};

const layout = {
  html: '<html><title>{{subject}}</title><div class="pre">{{preheader}}</div><main>{{{content}}}</main><footer>{{brand.name}} <a href="{{links.unsubscribe}}">Afmelden</a></footer></html>',
  text: '{{{content}}}\n--\nAfmelden: {{links.unsubscribe}}',
};

const setOf = (templates: Record<string, TemplateFile>): TemplateSet => ({ templates, layout });

const contextWith = (
  attributes: Record<string, unknown>,
  extra: Partial<RenderContext> = {},
): RenderContext => ({
  customerId: 'c-1',
  attributes,
  campaign: { id: 'test', purpose: 'marketing' },
  links,
  ...extra,
});

/** Renders one SMS template in text mode: the shortest way to see what a placeholder becomes. */
const sms = (source: string, context: RenderContext, locale = 'nl'): string => {
  const message = renderMessage({
    templates: setOf({ t: { sms: { nl: source, en: source } } }),
    templateId: 't',
    channel: 'sms',
    locale,
    defaultLocale: 'nl',
    context,
  });
  if (message.channel !== 'sms') throw new Error('expected an sms');
  return message.text;
};

const order = { source: 'shop.orders', detailType: 'OrderPlaced', detail: { total: 42.5, orderId: 'o-1' } };

describe('placeholders: a missing field never throws and never prints "undefined"', () => {
  it.each([
    ['the default for a missing field', '{{firstName default="klant"}}', {}, 'klant'],
    ['the default for an empty field', '{{firstName default="klant"}}', { firstName: '' }, 'klant'],
    ['the default for a null field', '{{firstName default="klant"}}', { firstName: null }, 'klant'],
    ['the value when present', '{{firstName default="klant"}}', { firstName: 'Jan' }, 'Jan'],
    ['nothing for a missing field without default', 'Hoi {{firstName}}!', {}, 'Hoi !'],
    ['nothing for a missing nested field', '[{{address.street.name}}]', {}, '[]'],
    ['zero as a value, not as missing', '{{points default="geen"}}', { points: 0 }, '0'],
    ['false as a value', '{{member}}', { member: false }, 'false'],
    ['nothing for an object, never [object Object]', '[{{address}}]', { address: { city: 'Utrecht' } }, '[]'],
    ['a list joined', '{{tags}}', { tags: ['wonen', 'tuin'] }, 'wonen, tuin'],
    ['nothing for an unknown helper', '[{{shout firstName}}]', { firstName: 'Jan' }, '[]'],
    ['a date in the words of the locale', '{{date end}}', { end: '2026-03-31' }, '31 maart 2026'],
    ['the default for a missing date', '{{date end default="binnenkort"}}', {}, 'binnenkort'],
    ['the default for a malformed date', '{{date end default="binnenkort"}}', { end: 'soon' }, 'binnenkort'],
    ['nothing for a missing amount', '[{{money spent}}]', {}, '[]'],
    ['an amount with plain spaces (GSM-7 safe)', '{{money spent}}', { spent: 42.5 }, '€ 42,50'],
    ['eq inside if', '{{#if (eq kind "car")}}auto{{else}}huis{{/if}}', { kind: 'car' }, 'auto'],
    ['a block over a missing list', '[{{#each items}}{{name}}{{/each}}]', {}, '[]'],
  ])('renders %s', (_, source, attributes, expected) => {
    const text = sms(source, contextWith(attributes));
    expect(text).toBe(expected);
    expect(text).not.toContain('undefined');
  });

  it.each([
    ['{{event.detail.total default="0"}}', order, '42.5'],
    ['{{event.detail.total default="0"}}', undefined, '0'],
    ['{{event.source}}/{{event.detailType}}', order, 'shop.orders/OrderPlaced'],
    ['{{money event.detail.total}}', order, '€ 42,50'],
    [
      '{{campaign.id}} {{customerId}} {{locale}} {{links.preferences}}',
      undefined,
      `test c-1 nl ${links.preferences}`,
    ],
  ])('renders event and platform fields: %s', (source, event, expected) => {
    expect(sms(source, contextWith({}, event ? { event } : {}))).toBe(expected);
  });

  it('lets the platform fields win over an attribute of the same name', () => {
    expect(
      sms('{{customerId}} {{links.unsubscribe}}', contextWith({ customerId: 'forged', links: 'x' })),
    ).toBe(`c-1 ${links.unsubscribe}`);
  });
});

describe('prototype access stays closed', () => {
  afterEach(() => vi.restoreAllMocks());

  it.each([
    '{{constructor.name}}',
    '{{constructor}}',
    '{{__proto__}}',
    '{{__proto__.polluted}}',
    '{{toString}}',
    '{{this.constructor.name}}',
    '{{event.detail.constructor.name}}',
    '{{#with constructor}}{{name}}{{/with}}',
    '{{lookup this "constructor"}}',
    '{{lookup (lookup this "constructor") "name"}}',
    '{{#each __proto__}}{{@key}}{{/each}}',
  ])('%s renders empty, silently', (source) => {
    const errors = vi.spyOn(console, 'error').mockImplementation(() => undefined);
    expect(sms(`[${source}]`, contextWith({ firstName: 'Jan' }, { event: order }))).toBe('[]');
    expect(errors).not.toHaveBeenCalled();
    expect(({} as Record<string, unknown>).polluted).toBeUndefined();
  });

  it('never turns an own __proto__ key from JSON into a prototype', () => {
    const json = '{"__proto__": {"polluted": "yes"}, "firstName": "Jan"}';
    const attributes: Record<string, unknown> = JSON.parse(json);
    expect(sms('{{firstName}}[{{polluted}}]', contextWith(attributes))).toBe('Jan[]');
  });
});

describe('escaping: only HTML is HTML-escaped', () => {
  const tricky = '<b>Jan & "Piet"</b>';
  const escaped = '&lt;b&gt;Jan &amp; &quot;Piet&quot;&lt;/b&gt;';
  const file: TemplateFile = {
    email: {
      nl: {
        subject: 'Hoi {{firstName}}',
        text: 'Tekst {{firstName}}',
        html: '<p>Html {{firstName}}</p>',
        preheader: 'Voor {{firstName}}',
      },
    },
    sms: { nl: 'Sms {{firstName}}' },
    push: { nl: { title: 'Titel {{firstName}}', body: 'Body {{firstName}}' } },
    webhook: { nl: { kind: 'postcard', lines: ['Kaart {{firstName}}'], copies: 1 } },
  };
  const render = (channel: Channel, template: TemplateFile = file) =>
    renderMessage({
      templates: setOf({ t: template }),
      templateId: 't',
      channel,
      locale: 'nl',
      defaultLocale: 'nl',
      context: contextWith({ firstName: tricky }),
    });

  it('escapes the html part, the subject and preheader inside the layout, but not the text part', () => {
    const message = render('email');
    if (message.channel !== 'email') throw new Error('expected an email');
    expect(message.html).toContain(`<p>Html ${escaped}</p>`);
    expect(message.html).toContain(`<title>Hoi ${escaped}</title>`);
    expect(message.html).toContain(`<div class="pre">Voor ${escaped}</div>`);
    expect(message.html).not.toContain(tricky);
    expect(message.subject).toBe(`Hoi ${tricky}`);
    expect(message.preheader).toBe(`Voor ${tricky}`);
    expect(message.text).toContain(`Tekst ${tricky}`);
  });

  it('turns the text into escaped paragraphs when the html part is absent, links clickable', () => {
    const message = render('email', {
      email: {
        nl: { subject: 's', text: 'Hoi {{firstName}},\n\nKijk op https://shop.example/nieuw.\nTot snel' },
      },
    });
    if (message.channel !== 'email') throw new Error('expected an email');
    expect(message.html).toContain(`<p style="margin:0 0 16px 0;">Hoi ${escaped},</p>`);
    expect(message.html).toContain(
      '<a href="https://shop.example/nieuw">https://shop.example/nieuw</a>.<br>',
    );
  });

  it.each([
    ['sms', { text: `Sms ${tricky}` }],
    ['push', { title: `Titel ${tricky}`, body: `Body ${tricky}` }],
    ['webhook', { payload: { kind: 'postcard', lines: [`Kaart ${tricky}`], copies: 1 } }],
  ] as const)('does not escape %s', (channel, expected) => {
    expect(render(channel)).toMatchObject(expected);
  });
});

describe('locale: the customer’s locale, then its language, then the strategy default', () => {
  const byLocale = (locales: string[]): TemplateFile => ({
    sms: Object.fromEntries(locales.map((l) => [l, `text ${l}`])),
  });
  it.each([
    ['nl-BE', ['nl', 'en', 'nl-BE'], 'nl-BE'],
    ['nl-BE', ['nl', 'en'], 'nl'],
    ['nl_be', ['nl', 'en', 'nl-BE'], 'nl-BE'],
    ['en-GB', ['nl', 'en'], 'en'],
    ['fr-BE', ['nl', 'en'], 'nl'],
    [undefined, ['en', 'nl'], 'nl'],
    ['de', ['en'], 'en'],
  ])('%s with %j renders %s', (wanted, locales, expected) => {
    const message = renderMessage({
      templates: setOf({ t: byLocale(locales) }),
      templateId: 't',
      channel: 'sms',
      locale: wanted,
      defaultLocale: 'nl',
      context: contextWith({}),
    });
    expect(message).toMatchObject({ locale: expected, text: `text ${expected}` });
  });

  it('formats dates and amounts in the chosen locale', () => {
    const source = '{{date end}} {{money spent}}';
    expect(sms(source, contextWith({ end: '2026-03-31', spent: 1234.5 }), 'en')).toBe(
      'March 31, 2026 €1,234.50',
    );
  });
});

describe('email: the brand layout wraps every message', () => {
  const templates = setOf({
    t: {
      email: {
        nl: {
          subject: 'Onderwerp',
          text: 'Platte tekst',
          html: '<p>Rijke tekst</p>',
          preheader: 'Voorproefje',
        },
      },
    },
  });
  const message = renderMessage({
    templates,
    templateId: 't',
    channel: 'email',
    locale: 'nl',
    defaultLocale: 'nl',
    context: contextWith({}, { brand: { name: 'Huis & Polis' } }),
  });

  it('puts the html part in the html layout, with the unsubscribe link', () => {
    expect(message).toMatchObject({ channel: 'email', subject: 'Onderwerp', preheader: 'Voorproefje' });
    if (message.channel !== 'email') throw new Error('expected an email');
    expect(message.html).toContain('<main><p>Rijke tekst</p></main>');
    expect(message.html).toContain('Huis &amp; Polis');
    expect(message.html).toContain(`href="${links.unsubscribe.replace('=', '&#x3D;')}"`);
  });

  it('puts the text part in the text layout, with the unsubscribe link', () => {
    if (message.channel !== 'email') throw new Error('expected an email');
    expect(message.text).toBe(`Platte tekst\n--\nAfmelden: ${links.unsubscribe}`);
  });
});

describe('SMS encoding and parts', () => {
  it.each([
    ['empty', '', 'GSM-7', 0, 0],
    ['160 GSM-7 characters', 'a'.repeat(160), 'GSM-7', 160, 1],
    ['161 GSM-7 characters', 'a'.repeat(161), 'GSM-7', 161, 2],
    ['306 GSM-7 characters', 'a'.repeat(306), 'GSM-7', 306, 2],
    ['307 GSM-7 characters', 'a'.repeat(307), 'GSM-7', 307, 3],
    ['80 euro signs (extension, 2 each)', '€'.repeat(80), 'GSM-7', 160, 1],
    ['80 euro signs and one more', `${'€'.repeat(80)}a`, 'GSM-7', 161, 2],
    ['extension characters [] {} ~ | ^ \\', '[]{}~|^\\', 'GSM-7', 16, 1],
    ['Dutch accents in GSM-7: é è à ü ö ä', 'café crème à la ü ö ä', 'GSM-7', 21, 1],
    ['70 UCS-2 units (one ë)', `ë${'a'.repeat(69)}`, 'UCS-2', 70, 1],
    ['71 UCS-2 units (one ë)', `ë${'a'.repeat(70)}`, 'UCS-2', 71, 2],
    ['a curly apostrophe', `Zo’n ${'a'.repeat(66)}`, 'UCS-2', 71, 2],
    ['134 UCS-2 units', `ë${'a'.repeat(133)}`, 'UCS-2', 134, 2],
    ['135 UCS-2 units', `ë${'a'.repeat(134)}`, 'UCS-2', 135, 3],
    ['35 emoji (2 units each)', '😀'.repeat(35), 'UCS-2', 70, 1],
    ['35 emoji and one letter', `${'😀'.repeat(35)}a`, 'UCS-2', 71, 2],
    ['an escape pair never split across parts', `${'a'.repeat(152)}€${'a'.repeat(152)}`, 'GSM-7', 306, 3],
    ['a surrogate pair never split across parts', `${'a'.repeat(66)}😀${'a'.repeat(66)}`, 'UCS-2', 134, 3],
  ])('%s', (_, text, encoding, length, segments) => {
    expect(smsSegments(text)).toEqual({ encoding, length, segments });
  });

  it('reports the encoding and parts of a rendered SMS', () => {
    const context = contextWith({ firstName: 'Zoë' });
    const message = renderMessage({
      templates: setOf({ t: { sms: { nl: 'Hoi {{firstName default="klant"}}' } } }),
      templateId: 't',
      channel: 'sms',
      locale: 'nl',
      defaultLocale: 'nl',
      context,
    });
    expect(message).toEqual({
      channel: 'sms',
      locale: 'nl',
      text: 'Hoi Zoë',
      encoding: 'UCS-2',
      segments: 1,
    });
  });
});

describe('templates that lack a channel', () => {
  const templates = setOf({ t: { sms: { nl: 'x' } } });
  it.each([
    ['t', 'sms', true],
    ['t', 'email', false],
    ['missing', 'sms', false],
  ] as const)('hasTemplateFor(%s, %s) is %s', (id, channel, expected) => {
    expect(hasTemplateFor(templates, id, channel)).toBe(expected);
  });

  it.each([
    ['t', 'email', /template t has no email part/],
    ['missing', 'sms', /unknown template missing/],
  ] as const)(
    'renderMessage(%s, %s) throws a non-retryable InvalidInputError',
    (templateId, channel, message) => {
      const attempt = () =>
        renderMessage({
          templates,
          templateId,
          channel,
          locale: 'nl',
          defaultLocale: 'nl',
          context: contextWith({}),
        });
      expect(attempt).toThrow(InvalidInputError);
      expect(attempt).toThrow(message);
    },
  );
});

describe('the render context never holds contact addresses', () => {
  it('leaves out email, phone and push endpoints, also when they slipped into attributes or the event', () => {
    const profile: Profile = {
      customerId: 'c-9',
      email: 'jan@example.com',
      phone: '+31612345678',
      attributes: { firstName: 'Jan', email: 'jan@example.com', mobile_number: '+31612345678' },
      updatedAt: '2026-01-01T00:00:00Z',
    };
    const context = buildRenderContext({
      profile,
      event: {
        source: 'shop.orders',
        'detail-type': 'OrderPlaced',
        detail: { orderId: 'o-1', emailAddress: 'jan@example.com' },
      },
      campaign: { id: 'c', purpose: 'marketing' },
      links,
    });
    const message = renderMessage({
      templates: setOf({
        t: {
          webhook: {
            nl: {
              all: '{{firstName}}|{{email}}|{{phone}}|{{mobile_number}}|{{event.detail.emailAddress}}|{{event.detail.orderId}}|{{event.detailType}}',
            },
          },
        },
      }),
      templateId: 't',
      channel: 'webhook',
      locale: 'nl',
      defaultLocale: 'nl',
      context,
    });
    expect(message).toMatchObject({ payload: { all: 'Jan|||||o-1|OrderPlaced' } });
    expect(JSON.stringify(context)).not.toMatch(/example\.com|\+316/);
  });
});

describe('templateProblems: caught at load time, named by file, channel and locale', () => {
  const clean: TemplateFile = {
    sms: { nl: 'Hoi {{firstName default="klant"}}, {{#if (eq kind "car")}}auto{{/if}} {{money total}}' },
    email: { nl: { subject: 's', text: 't', html: '<p>{{{firstName}}}</p>' } },
  };

  it('finds nothing in good templates and a good layout', () => {
    expect(templateProblems(setOf({ good: clean }))).toEqual([]);
  });

  it.each([
    [
      'a syntax error',
      { sms: { nl: 'Hoi {{firstName' } },
      'templates/bad.yaml sms.nl: Parse error on line 1:',
    ],
    [
      'an unclosed block',
      { email: { nl: { subject: '{{#if x}}s', text: 't' } } },
      'templates/bad.yaml email.nl.subject: Parse error',
    ],
    [
      'a syntax error in a webhook string',
      { webhook: { en: { lines: ['ok', '{{/if}}'] } } },
      'templates/bad.yaml webhook.en.lines[1]: Parse error',
    ],
    [
      'an unknown helper',
      { sms: { nl: '{{shout firstName}}' } },
      'templates/bad.yaml sms.nl: unknown helper "shout"',
    ],
    [
      'a misspelled default',
      { sms: { nl: '{{firstName defualt="klant"}}' } },
      'unknown option defualt= on {{firstName}}',
    ],
    ['a partial', { sms: { nl: '{{> footer}}' } }, 'templates/bad.yaml sms.nl: partials are not supported'],
    [
      'an SMS whose fixed text is over 3 parts',
      { sms: { nl: `${'Lange tekst.'.repeat(39)}{{firstName}}` } },
      'templates/bad.yaml sms.nl: the text without its placeholders already needs 4 SMS parts (GSM-7, 468 characters; at most 3)',
    ],
    [
      'an SMS over 3 parts because of UCS-2',
      { sms: { nl: `Zo’n ${'ideeën '.repeat(30)}` } },
      '(UCS-2, 214 characters; at most 3); UCS-2 because of "’" "ë"',
    ],
  ] as const)('reports %s', (_, file, expected) => {
    expect(templateProblems(setOf({ bad: file as TemplateFile })).join('\n')).toContain(expected);
  });

  it('lets an SMS of exactly 3 parts pass, and honours maxSmsParts', () => {
    const set = setOf({ long: { sms: { nl: 'a'.repeat(459) } } });
    expect(templateProblems(set)).toEqual([]);
    expect(templateProblems(set, { maxSmsParts: 2 })).toEqual([
      'templates/long.yaml sms.nl: the text without its placeholders already needs 3 SMS parts (GSM-7, 459 characters; at most 2)',
    ]);
  });

  it('counts only the longer branch of a block as fixed text', () => {
    const branch = 'x'.repeat(300);
    expect(
      templateProblems(setOf({ t: { sms: { nl: `{{#if a}}${branch}{{else}}${branch}{{/if}}` } } }), {
        maxSmsParts: 2,
      }),
    ).toEqual([]);
  });

  it('reports a layout without the unsubscribe link', () => {
    const set: TemplateSet = {
      templates: {},
      layout: { html: '<html>{{{content}}}</html>', text: '{{{content}}} {{links.unsubscribe}}' },
    };
    expect(templateProblems(set)).toEqual([
      'templates/layout.html: the layout never shows {{links.unsubscribe}} (every email needs an unsubscribe link)',
    ]);
  });
});
