import { injectLambdaContext } from '@aws-lambda-powertools/logger/middleware';
import middy from '@middy/core';
import type { APIGatewayProxyStructuredResultV2, LambdaFunctionURLEvent } from 'aws-lambda';
import { systemClock } from '#shared/domain/ports.ts';
import { InvalidInputError } from '#shared/errors.ts';
import { escapeHtml } from '#shared/html.ts';
import { CHANNELS, type Channel, PURPOSES, type Purpose } from '#shared/strategy/vocabulary.ts';
import {
  InvalidLinkError,
  oneClickUnsubscribe,
  PREFERENCE_KEYS,
  type PreferencesDeps,
  type PreferencesView,
  preferencesView,
  readLink,
  updatePreferences,
  type VerifiedLink,
} from '#shared/use-cases/preferences.ts';
import { engine, store } from './platform/engine.ts';
import { logger } from './platform/observability.ts';
import { linkKey } from './platform/secrets.ts';

/**
 * The `preferences` Lambda function URL: the links in every message.
 * - `POST /unsubscribe?token=` with `List-Unsubscribe=One-Click` (RFC 8058; form-urlencoded or
 *   multipart): mail providers POST it without cookies, login or redirects; we answer 200 and a tiny page.
 * - `GET /unsubscribe?token=`: a confirmation page whose button POSTs that form. A GET changes nothing,
 *   because mail scanners prefetch every link in a message.
 * - `GET|POST /preferences?token=`: consent per purpose × channel, as checkboxes; POST applies them.
 * A refused token is a 403 with one generic page (the reason goes to the log only). Pages are Dutch
 * unless `Accept-Language` prefers English, carry no script and no external asset, and every response
 * has the security headers below. The page texts live here, beside the one function that serves them.
 */

/** The handler's dependencies: the use cases' plus what the pages show. */
export interface PreferencesHandlerDeps extends PreferencesDeps {
  /** The strategy's `brand`: its name titles every page. */
  readonly brand?: { readonly name: string };
}

export type PreferencesResult = APIGatewayProxyStructuredResultV2;
type Lang = 'nl' | 'en';

/**
 * On every response. The token is in the URL, so no referrer may carry it away; no page is cached;
 * `form-action 'self'` keeps the forms on this origin; `x-frame-options` stops clickjacking of the
 * unsubscribe button (CSP `frame-ancestors` is not covered by `default-src`).
 */
export const SECURITY_HEADERS = Object.freeze({
  'content-security-policy': "default-src 'none'; style-src 'unsafe-inline'; form-action 'self'",
  'x-content-type-options': 'nosniff',
  'referrer-policy': 'no-referrer',
  'cache-control': 'no-store',
  'x-frame-options': 'DENY',
});

/** A request body larger than this is not a form of ours. */
const MAX_BODY_BYTES = 8192;
/** The preference form's marker: an empty POST (all boxes unchecked looks alike) must not withdraw all. */
const FORM_MARKER = ['form', 'preferences'] as const;

/** The labels a page needs for every purpose and channel: a new one fails to compile until it has text. */
interface Labels {
  readonly purposes: Readonly<Record<Purpose, string>>;
  readonly channels: Readonly<Record<Channel, string>>;
  readonly by: Readonly<Record<Channel, string>>;
}

const NL = {
  purposes: {
    marketing: 'aanbiedingen en nieuws',
    service: 'serviceberichten',
    research: 'onderzoek en enquêtes',
    partners: 'aanbiedingen van partners',
  },
  channels: { email: 'e-mail', sms: 'sms', push: 'pushberichten in de app', webhook: 'post en telefoon' },
  by: { email: 'per e-mail', sms: 'per sms', push: 'via pushberichten', webhook: 'per post en telefoon' },
  unsubscribeTitle: 'Afmelden',
  unsubscribeQuestion: (what: string, by: string) => `Wil je geen ${what} meer ${by} ontvangen?`,
  unsubscribeButton: 'Afmelden',
  unsubscribed: (what: string, by: string) => `Je bent afgemeld voor ${what} ${by}.`,
  manage: 'Al je voorkeuren beheren',
  preferencesTitle: 'Je voorkeuren',
  preferencesIntro: 'Kies waarover en hoe we contact met je opnemen.',
  save: 'Opslaan',
  saved: 'Je voorkeuren zijn opgeslagen.',
  erased: 'We bewaren geen gegevens meer over jou.',
  refusedTitle: 'Link niet geldig',
  badRequestTitle: 'Verzoek niet verwerkt',
  refused: 'Deze link is niet (meer) geldig. Gebruik de link in een recent bericht van ons.',
  badRequest: 'Dit verzoek kunnen we niet verwerken.',
  notFound: 'Deze pagina bestaat niet.',
  failed: 'Er ging iets mis. Probeer het later opnieuw.',
} satisfies Labels & Record<string, unknown>;

const EN: typeof NL = {
  purposes: {
    marketing: 'offers and news',
    service: 'service messages',
    research: 'research and surveys',
    partners: 'offers from partners',
  },
  channels: { email: 'email', sms: 'text message', push: 'app notifications', webhook: 'post and phone' },
  by: {
    email: 'by email',
    sms: 'by text message',
    push: 'as app notifications',
    webhook: 'by post and phone',
  },
  unsubscribeTitle: 'Unsubscribe',
  unsubscribeQuestion: (what: string, by: string) => `Stop receiving ${what} ${by}?`,
  unsubscribeButton: 'Unsubscribe',
  unsubscribed: (what: string, by: string) => `You have been unsubscribed from ${what} ${by}.`,
  manage: 'Manage all your preferences',
  preferencesTitle: 'Your preferences',
  preferencesIntro: 'Choose what we contact you about, and how.',
  save: 'Save',
  saved: 'Your preferences have been saved.',
  erased: 'We no longer hold any data about you.',
  refusedTitle: 'Link not valid',
  badRequestTitle: 'Request not processed',
  refused: 'This link is not valid (any more). Please use the link in a recent message from us.',
  badRequest: 'We cannot process this request.',
  notFound: 'This page does not exist.',
  failed: 'Something went wrong. Please try again later.',
};

const TEXTS: Record<Lang, typeof NL> = { nl: NL, en: EN };

const STYLE = `body{margin:0;font:1rem/1.5 system-ui,sans-serif;color:#1a1a1a;background:#fff}
main{max-width:36rem;margin:0 auto;padding:1.5rem}
fieldset{border:1px solid #bbb;border-radius:.5rem;margin:0 0 1rem;padding:.5rem 1rem}
legend{font-weight:600;padding:0 .25rem}
label{display:block;padding:.4rem 0}
input[type=checkbox]{width:1.25rem;height:1.25rem;margin:0 .5rem 0 0;vertical-align:middle}
button{font:inherit;padding:.6rem 1.2rem;border:0;border-radius:.4rem;background:#1f5faa;color:#fff;cursor:pointer}
button:focus-visible,a:focus-visible,input:focus-visible{outline:3px solid #f5a623;outline-offset:2px}
a{color:#1f5faa}
.status{background:#e8f5e9;border-left:4px solid #2e7d32;padding:.5rem 1rem}`;

const capitalise = (text: string): string => text.charAt(0).toUpperCase() + text.slice(1);

/** English when `Accept-Language` weighs it above Dutch (the first listed wins a tie); else Dutch. */
export function languageOf(header: string | undefined): Lang {
  let best: { lang: Lang; q: number } = { lang: 'nl', q: 0 };
  for (const range of (header ?? '').split(',')) {
    const [tag = '', ...params] = range.trim().toLowerCase().split(';');
    const lang = tag.split('-')[0];
    if (lang !== 'nl' && lang !== 'en') continue;
    const weight = params.map((p) => p.trim()).find((p) => p.startsWith('q='));
    const q = weight === undefined ? 1 : Number(weight.slice(2));
    if (Number.isFinite(q) && q > best.q) best = { lang, q };
  }
  return best.lang;
}

/** RFC 7578 parts without files; enough for RFC 8058's one field and our own forms. */
function multipart(body: string, boundary: string): URLSearchParams {
  const form = new URLSearchParams();
  for (const part of body.split(`--${boundary}`).slice(1)) {
    const split = part.indexOf('\r\n\r\n');
    if (split < 0) continue;
    const head = part.slice(0, split);
    const name = /^content-disposition:\s*form-data;[^\r\n]*?\bname="([^"]*)"/im.exec(head)?.[1];
    if (name === undefined || /\bfilename\*?=/i.test(head)) continue;
    form.append(name, part.slice(split + 4).replace(/\r\n$/, ''));
  }
  return form;
}

/** The form in a POST body (base64 when the function URL says so), or undefined when it is none. */
function formOf(event: LambdaFunctionURLEvent): URLSearchParams | undefined {
  const raw = event.body ?? '';
  const body = event.isBase64Encoded ? Buffer.from(raw, 'base64').toString('utf8') : raw;
  if (Buffer.byteLength(body) > MAX_BODY_BYTES) return undefined;
  const type = event.headers['content-type'] ?? '';
  const boundary = /^multipart\/form-data\s*;.*?\bboundary=(?:"([^"]+)"|([^;\s]+))/i.exec(type);
  if (boundary) return multipart(body, boundary[1] ?? boundary[2] ?? '');
  if (type === '' || /^application\/x-www-form-urlencoded\s*(;|$)/i.test(type))
    return new URLSearchParams(body);
  return undefined;
}

/** Every offered checkbox is a choice (unchecked ones are not sent); other names go on to be refused. */
function choicesOf(form: URLSearchParams): Record<string, unknown> {
  const entries: [string, unknown][] = PREFERENCE_KEYS.map((key) => [key, false]);
  for (const [name, value] of form) if (name !== FORM_MARKER[0]) entries.push([name, value === '1' || value]);
  return Object.fromEntries(entries);
}

/** The pages, in one language, titled with the brand. */
function pages(lang: Lang, brand: string | undefined) {
  const t = TEXTS[lang];
  const query = (token: string) => `?token=${encodeURIComponent(token)}`;
  const what = (link: VerifiedLink): [string, string] => [t.purposes[link.purpose], t.by[link.channel]];
  const reply = (statusCode: number, title: string, content: string): PreferencesResult => ({
    statusCode,
    headers: { ...SECURITY_HEADERS, 'content-type': 'text/html; charset=utf-8', 'content-language': lang },
    isBase64Encoded: false,
    body: `<!doctype html><html lang="${lang}"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1"><meta name="robots" content="noindex"><title>${escapeHtml(brand ? `${title} – ${brand}` : title)}</title><style>${STYLE}</style></head><body><main>${brand ? `<p>${escapeHtml(brand)}</p>` : ''}<h1>${escapeHtml(title)}</h1>${content}</main></body></html>`,
  });
  const notice = (statusCode: number, text: string, title = t.refusedTitle) =>
    reply(statusCode, title, `<p>${escapeHtml(text)}</p>`);
  const manage = (token: string) =>
    `<p><a href="${escapeHtml(`preferences${query(token)}`)}">${escapeHtml(t.manage)}</a></p>`;
  return {
    confirm: (link: VerifiedLink, token: string) =>
      reply(
        200,
        t.unsubscribeTitle,
        `<form method="post" action="${escapeHtml(`unsubscribe${query(token)}`)}"><p>${escapeHtml(t.unsubscribeQuestion(...what(link)))}</p><input type="hidden" name="List-Unsubscribe" value="One-Click"><button type="submit">${escapeHtml(t.unsubscribeButton)}</button></form>${manage(token)}`,
      ),
    unsubscribed: (link: VerifiedLink, token: string) =>
      reply(
        200,
        t.unsubscribeTitle,
        `<p role="status" class="status">${escapeHtml(t.unsubscribed(...what(link)))}</p>${manage(token)}`,
      ),
    preferences: (view: PreferencesView, token: string, saved: boolean) => {
      if (view.erased) return notice(200, t.erased, t.preferencesTitle);
      const groups = PURPOSES.map((purpose) => {
        const boxes = CHANNELS.map((channel) => {
          const key = `${purpose}:${channel}` as const;
          const checked = view.consent[key] ? ' checked' : '';
          return `<label><input type="checkbox" name="${escapeHtml(key)}" value="1"${checked}>${escapeHtml(capitalise(t.channels[channel]))}</label>`;
        });
        return `<fieldset><legend>${escapeHtml(capitalise(t.purposes[purpose]))}</legend>${boxes.join('')}</fieldset>`;
      });
      const status = saved ? `<p role="status" class="status">${escapeHtml(t.saved)}</p>` : '';
      return reply(
        200,
        t.preferencesTitle,
        `${status}<p>${escapeHtml(t.preferencesIntro)}</p><form method="post" action="${escapeHtml(`preferences${query(token)}`)}"><input type="hidden" name="${FORM_MARKER[0]}" value="${FORM_MARKER[1]}">${groups.join('')}<button type="submit">${escapeHtml(t.save)}</button></form>`,
      );
    },
    refused: () => notice(403, t.refused),
    badRequest: () => notice(400, t.badRequest, t.badRequestTitle),
    notFound: () => notice(404, t.notFound, t.notFound),
    notAllowed: (): PreferencesResult => {
      const result = notice(405, t.badRequest, t.badRequestTitle);
      return { ...result, headers: { ...result.headers, allow: 'GET, POST' } };
    },
    failed: () => notice(500, t.failed, t.failed),
  };
}

/**
 * The raw handler over injected dependencies (or a lazy provider of them): tests and the local runtime
 * call it directly; the module's `handler` wraps the production one.
 */
export function createPreferencesHandler(
  deps: PreferencesHandlerDeps | (() => Promise<PreferencesHandlerDeps>),
): (event: LambdaFunctionURLEvent) => Promise<PreferencesResult> {
  const resolve = typeof deps === 'function' ? deps : async () => deps;
  return async (event) => {
    const path = event.rawPath.replace(/\/+$/, '');
    const route = `${event.requestContext.http.method} ${path}`;
    const token = event.queryStringParameters?.token ?? '';
    const lang = languageOf(event.headers['accept-language']);
    let page = pages(lang, undefined);
    try {
      const d = await resolve();
      page = pages(lang, d.brand?.name);
      switch (route) {
        case 'GET /unsubscribe':
          return page.confirm(readLink(d, token), token);
        case 'POST /unsubscribe': {
          if (formOf(event)?.get('List-Unsubscribe') !== 'One-Click') {
            logger.warn('request refused', { route, reason: 'not a List-Unsubscribe=One-Click form' });
            return page.badRequest();
          }
          const result = await oneClickUnsubscribe(d, token);
          const { customerId, purpose, channel, outcome } = result;
          logger.info('one-click unsubscribe', { customerId, purpose, channel, outcome });
          return page.unsubscribed(result, token);
        }
        case 'GET /preferences':
          return page.preferences(await preferencesView(d, token), token, false);
        case 'POST /preferences': {
          const form = formOf(event);
          if (form?.get(FORM_MARKER[0]) !== FORM_MARKER[1]) {
            logger.warn('request refused', { route, reason: 'not the preference form' });
            return page.badRequest();
          }
          const { view, changed } = await updatePreferences(d, token, choicesOf(form));
          logger.info('preferences saved', { customerId: view.customerId, changed });
          return page.preferences(view, token, true);
        }
        default:
          return path === '/unsubscribe' || path === '/preferences' ? page.notAllowed() : page.notFound();
      }
    } catch (error) {
      // Ids and reasons only: never the token, never the body.
      if (error instanceof InvalidLinkError) {
        logger.warn('link refused', { route, reason: error.reason });
        return page.refused();
      }
      if (error instanceof InvalidInputError) {
        logger.warn('request refused', { route, reason: error.message });
        return page.badRequest();
      }
      logger.error('preferences request failed', {
        route,
        error: (error as Error).name,
        reason: (error as Error).message,
      });
      return page.failed();
    }
  };
}

/** Built per container from the platform's store, the strategy's brand and the link-signing key. */
async function platformDeps(): Promise<PreferencesHandlerDeps> {
  const brand = engine().strategy.brand;
  return { store: store(), clock: systemClock, linkKey: await linkKey(), ...(brand && { brand }) };
}

export const raw = createPreferencesHandler(platformDeps);
export const handler = middy(raw).use(injectLambdaContext(logger));
