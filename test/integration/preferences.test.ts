import { randomUUID } from 'node:crypto';
import type { LambdaFunctionURLEvent } from 'aws-lambda';
import { afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import { logger } from '#functions/platform.ts';
import {
  createPreferencesHandler,
  type PreferencesResult,
  SECURITY_HEADERS,
} from '#functions/preferences.ts';
import { signLinkToken } from '#shared/domain/link-token.ts';
import { evaluateTrigger } from '#shared/use-cases/evaluate-trigger.ts';
import {
  busEvent,
  createPipeline,
  LINK_KEY,
  onboard,
  type Pipeline,
  pipelineEngine,
  sesStore,
} from '../support/pipeline.ts';

let p: Pipeline;
let handle: ReturnType<typeof createPreferencesHandler>;

beforeAll(async () => {
  // Quiet output; the spies below still see every call (the level filter runs inside the method).
  logger.setLogLevel('SILENT');
  // No test here posts a webhook; the strategy only needs a URL for its print-shop target.
  p = await createPipeline(pipelineEngine('http://127.0.0.1:9/print'));
  handle = createPreferencesHandler({
    store: p.store,
    clock: p.clock,
    linkKey: LINK_KEY,
    brand: { name: 'Huis & <Polis>' },
  });
});
afterEach(() => {
  vi.restoreAllMocks();
});

const newCustomer = () => `c-${randomUUID().slice(0, 12)}`;
const nowSeconds = () => Math.floor(p.clock.now() / 1000);
const tokenFor = (
  customerId: string,
  over: Partial<{ purpose: string; channel: string; expiresAt: number }> = {},
) =>
  signLinkToken(LINK_KEY, {
    customerId,
    purpose: 'marketing',
    channel: 'email',
    expiresAt: nowSeconds() + 90 * 86_400,
    ...over,
  });
const ONE_CLICK = 'List-Unsubscribe=One-Click';
const FORM = 'application/x-www-form-urlencoded';

interface Request {
  readonly token?: string;
  readonly body?: string;
  readonly contentType?: string;
  readonly base64?: boolean;
  readonly acceptLanguage?: string;
}

/** A function URL event as Lambda delivers it (payload format 2.0, lower-case header names). */
function request(method: string, path: string, r: Request = {}): LambdaFunctionURLEvent {
  const headers: Record<string, string> = { host: 'abc.lambda-url.eu-west-1.on.aws' };
  if (r.contentType) headers['content-type'] = r.contentType;
  if (r.acceptLanguage) headers['accept-language'] = r.acceptLanguage;
  const rawQueryString = r.token === undefined ? '' : `token=${encodeURIComponent(r.token)}`;
  return {
    version: '2.0',
    routeKey: '$default',
    rawPath: path,
    rawQueryString,
    headers,
    ...(r.token !== undefined && { queryStringParameters: { token: r.token } }),
    requestContext: {
      accountId: 'anonymous',
      apiId: 'abc',
      domainName: 'abc.lambda-url.eu-west-1.on.aws',
      domainPrefix: 'abc',
      http: { method, path, protocol: 'HTTP/1.1', sourceIp: '192.0.2.1', userAgent: 'test' },
      requestId: randomUUID(),
      routeKey: '$default',
      stage: '$default',
      time: '10/Mar/2026:12:00:00 +0000',
      timeEpoch: p.clock.now(),
    },
    isBase64Encoded: r.base64 === true,
    ...(r.body !== undefined && {
      body: r.base64 ? Buffer.from(r.body).toString('base64') : r.body,
    }),
  };
}

const unsubscribe = (token: string, body = ONE_CLICK, more: Request = {}) =>
  handle(request('POST', '/unsubscribe', { token, body, contentType: FORM, ...more }));
/** The export without its timestamp: what "nothing changed" compares. */
const snapshot = async (customerId: string) => {
  const { exportedAt: _, ...rest } = await p.store.exportCustomer(customerId);
  return rest;
};
const ledgerOf = async (customerId: string) => (await p.store.exportCustomer(customerId)).consentLedger;
const checked = (html: string | undefined) =>
  [...(html ?? '').matchAll(/<input type="checkbox" name="([a-z]+:[a-z]+)" value="1"( checked)?>/g)]
    .filter((m) => m[2])
    .map((m) => m[1]);
const preferencesForm = (boxes: readonly string[]) =>
  new URLSearchParams([['form', 'preferences'], ...boxes.map((b): [string, string] => [b, '1'])]).toString();

describe('the preferences function URL against DynamoDB Local', () => {
  it('unsubscribes in one click from the link in a sent email; the next trigger is no_consent', async () => {
    const id = newCustomer();
    const email = `${id}@example.nl`;
    await onboard(p, id, { email });
    const sent = await evaluateTrigger(p.deps, {
      campaignId: 'welcome',
      event: busEvent('test.welcome', id),
    });
    expect(sent).toMatchObject({ outcome: 'sent', channel: 'email' });
    const mail = (await sesStore()).emails.find((e) => e.destination.to.includes(email));
    const token = /\/unsubscribe\?token=([A-Za-z0-9_-]+\.[A-Za-z0-9_-]+)/.exec(JSON.stringify(mail))?.[1];
    expect(token).toBeDefined();

    const response = await unsubscribe(token ?? '');

    expect(response.statusCode).toBe(200);
    expect(response.body).toContain('Je bent afgemeld voor aanbiedingen en nieuws per e-mail.');
    const withdrawals = (await ledgerOf(id)).filter((e) => e.source === 'one-click-unsubscribe');
    expect(withdrawals).toEqual([
      expect.objectContaining({ purpose: 'marketing', channel: 'email', granted: false, customerId: id }),
    ]);
    const next = await evaluateTrigger(p.deps, {
      campaignId: 'welcome',
      event: busEvent('test.welcome', id),
    });
    expect(next).toMatchObject({ outcome: 'suppressed', reason: 'no_consent' });
  });

  it('is idempotent: a second POST, a minute later, writes no second ledger entry', async () => {
    const id = newCustomer();
    await onboard(p, id, { email: `${id}@example.nl` });
    const token = tokenFor(id);
    const first = await unsubscribe(token);
    const afterFirst = await snapshot(id);
    p.clock.ms += 60_000;
    const second = await unsubscribe(token);
    p.clock.ms -= 60_000;

    expect([first.statusCode, second.statusCode]).toEqual([200, 200]);
    expect(await snapshot(id)).toEqual(afterFirst);
    const ledger = await ledgerOf(id);
    expect(ledger.filter((e) => e.source === 'one-click-unsubscribe')).toHaveLength(1);
  });

  it('accepts the RFC 8058 body as multipart/form-data, base64-encoded by the function URL', async () => {
    const id = newCustomer();
    await onboard(p, id, { email: `${id}@example.nl` });
    const boundary = '----b0undary';
    const body = `--${boundary}\r\nContent-Disposition: form-data; name="List-Unsubscribe"\r\n\r\nOne-Click\r\n--${boundary}--\r\n`;

    const response = await handle(
      request('POST', '/unsubscribe', {
        token: tokenFor(id, { channel: 'sms' }),
        body,
        base64: true,
        contentType: `multipart/form-data; boundary=${boundary}`,
      }),
    );

    expect(response.statusCode).toBe(200);
    const exported = await p.store.exportCustomer(id);
    expect(exported.consent['marketing:sms']).toMatchObject({ granted: false });
    expect(exported.consentLedger.find((e) => e.channel === 'sms' && !e.granted)).toMatchObject({
      source: 'one-click-unsubscribe',
    });
  });

  describe('refuses, with 403 and a generic page, and writes nothing', () => {
    const A = newCustomer();
    const B = newCustomer();
    const swapSegment = (token: string, segment: 0 | 1, edit: (s: string) => string) => {
      const parts = token.split('.');
      parts[segment] = edit(parts[segment] ?? '');
      return parts.join('.');
    };
    const payloadOf = (customerId: string, expiresAt: number) =>
      Buffer.from(JSON.stringify([customerId, 'marketing', 'email', expiresAt])).toString('base64url');
    const flip = (s: string, i: number) => `${s.slice(0, i)}${s[i] === 'A' ? 'B' : 'A'}${s.slice(i + 1)}`;

    const cases: [string, () => string, 'malformed' | 'signature' | 'expired'][] = [
      [
        'an altered payload (a later expiry)',
        () => swapSegment(tokenFor(A), 0, () => payloadOf(A, nowSeconds() + 1e8)),
        'signature',
      ],
      ['an altered signature', () => swapSegment(tokenFor(A), 1, (s) => flip(s, 5)), 'signature'],
      ['a truncated token', () => tokenFor(A).slice(0, -8), 'signature'],
      ['a token cut at the dot', () => tokenFor(A).split('.')[0] ?? '', 'malformed'],
      ['an expired token', () => tokenFor(A, { expiresAt: nowSeconds() - 1 }), 'expired'],
      [
        'a token signed with another key',
        () =>
          signLinkToken('not-our-key', {
            customerId: A,
            purpose: 'marketing',
            channel: 'email',
            expiresAt: nowSeconds() + 3600,
          }),
        'signature',
      ],
      [
        'a token of customer A edited to say customer B',
        () => swapSegment(tokenFor(A), 0, () => payloadOf(B, nowSeconds() + 90 * 86_400)),
        'signature',
      ],
      [
        'a validly signed token for a purpose the platform does not know',
        () => tokenFor(A, { purpose: 'lottery' }),
        'malformed',
      ],
      ['no token at all', () => '', 'malformed'],
    ];

    beforeAll(async () => {
      await onboard(p, A, { email: `${A}@example.nl` });
      await onboard(p, B, { email: `${B}@example.nl` });
    });

    it.each(cases)('%s', async (_what, make, reason) => {
      const before = [await snapshot(A), await snapshot(B)];
      const warn = vi.spyOn(logger, 'warn');
      const token = make();

      const responses = [
        await unsubscribe(token),
        await handle(request('GET', '/unsubscribe', { token })),
        await handle(request('GET', '/preferences', { token })),
        await handle(
          request('POST', '/preferences', { token, body: preferencesForm([]), contentType: FORM }),
        ),
      ];

      expect(responses.map((r) => r.statusCode)).toEqual([403, 403, 403, 403]);
      for (const r of responses) {
        expect(r.body).toContain('Deze link is niet (meer) geldig.');
        expect(r.body).not.toMatch(/expired|signature|malformed|verlopen|handtekening/i);
        expect(r.body).not.toContain(A);
      }
      expect([await snapshot(A), await snapshot(B)]).toEqual(before);
      // The reason is logged for us, once per request, without the token.
      expect(warn).toHaveBeenCalledTimes(4);
      for (const [message, extra] of warn.mock.calls) {
        expect(message).toBe('link refused');
        expect(extra).toMatchObject({ reason });
        if (token) expect(JSON.stringify(extra)).not.toContain(token);
      }
    });
  });

  it.each([
    ['a wrong value', ONE_CLICK.replace('One-Click', 'Yes'), FORM],
    ['an empty body', '', FORM],
    ['another content type', ONE_CLICK, 'application/json'],
  ])('answers 400 to a one-click POST with %s, and writes nothing', async (_what, body, contentType) => {
    const id = newCustomer();
    await onboard(p, id, { email: `${id}@example.nl` });
    const before = await snapshot(id);

    const response = await handle(
      request('POST', '/unsubscribe', { token: tokenFor(id), body, contentType }),
    );

    expect(response.statusCode).toBe(400);
    expect(await snapshot(id)).toEqual(before);
  });

  it('GET /unsubscribe shows a confirmation form and changes nothing (mail scanners prefetch links)', async () => {
    const id = newCustomer();
    await onboard(p, id, { email: `${id}@example.nl` });
    const before = await snapshot(id);
    const token = tokenFor(id);

    const response = await handle(request('GET', '/unsubscribe', { token }));

    expect(response.statusCode).toBe(200);
    expect(response.body).toContain(`<form method="post" action="unsubscribe?token=${token}">`);
    expect(response.body).toContain('<input type="hidden" name="List-Unsubscribe" value="One-Click">');
    expect(await snapshot(id)).toEqual(before);
  });

  it('shows the current consent per purpose × channel and applies a change, one ledger entry per change', async () => {
    const id = newCustomer();
    await onboard(p, id, { email: `${id}@example.nl` }, [
      { purpose: 'marketing' },
      { purpose: 'service', channel: 'email' },
    ]);
    const token = tokenFor(id);
    const before = await snapshot(id);

    const page = await handle(request('GET', '/preferences', { token }));

    expect(page.statusCode).toBe(200);
    expect(checked(page.body)).toEqual([
      'marketing:email',
      'marketing:sms',
      'marketing:push',
      'marketing:webhook',
      'service:email',
    ]);
    expect(await snapshot(id)).toEqual(before);

    // Untick marketing by sms, tick research by email; leave the rest as it is.
    const wanted = [
      'marketing:email',
      'marketing:push',
      'marketing:webhook',
      'service:email',
      'research:email',
    ];
    const saved = await handle(
      request('POST', '/preferences', { token, body: preferencesForm(wanted), contentType: FORM }),
    );

    expect(saved.statusCode).toBe(200);
    expect(saved.body).toContain('<p role="status" class="status">Je voorkeuren zijn opgeslagen.</p>');
    expect(checked(saved.body)).toEqual(wanted);
    const written = (await ledgerOf(id)).filter((e) => e.source === 'preference-page');
    expect(written).toHaveLength(2);
    expect(written).toEqual(
      expect.arrayContaining([
        expect.objectContaining({ purpose: 'marketing', channel: 'sms', granted: false }),
        expect.objectContaining({ purpose: 'research', channel: 'email', granted: true }),
      ]),
    );
    const again = await handle(
      request('POST', '/preferences', { token, body: preferencesForm(wanted), contentType: FORM }),
    );
    expect(again.statusCode).toBe(200);
    expect((await ledgerOf(id)).filter((e) => e.source === 'preference-page')).toHaveLength(2);
  });

  it.each([
    ['an unknown field', `${preferencesForm(['marketing:email'])}&lottery%3Aemail=1`],
    ['an unknown channel', `${preferencesForm(['marketing:fax'])}`],
    ['a value other than 1', `${preferencesForm([])}&marketing%3Aemail=yes`],
    ['no form marker (an empty POST must not withdraw everything)', ''],
  ])('refuses a preference form with %s (400) and writes nothing', async (_what, body) => {
    const id = newCustomer();
    await onboard(p, id, { email: `${id}@example.nl` });
    const before = await snapshot(id);

    const response = await handle(
      request('POST', '/preferences', { token: tokenFor(id), body, contentType: FORM }),
    );

    expect(response.statusCode).toBe(400);
    expect(await snapshot(id)).toEqual(before);
  });

  it('speaks Dutch by default and English when Accept-Language prefers it', async () => {
    const id = newCustomer();
    await onboard(p, id, { email: `${id}@example.nl` });
    const token = tokenFor(id);
    const page = (acceptLanguage?: string) =>
      handle(request('GET', '/preferences', { token, ...(acceptLanguage && { acceptLanguage }) }));

    const [none, german, english, dutchFirst, englishFirst] = await Promise.all([
      page(),
      page('de-DE,de;q=0.9'),
      page('en-GB,en;q=0.9'),
      page('nl-NL,en;q=0.8'),
      page('nl;q=0.5,en-US;q=0.9'),
    ]);

    expect([none, german, dutchFirst].map((r) => r.headers?.['content-language'])).toEqual([
      'nl',
      'nl',
      'nl',
    ]);
    expect([english, englishFirst].map((r) => r.headers?.['content-language'])).toEqual(['en', 'en']);
    expect(none.body).toContain('<html lang="nl">');
    expect(none.body).toContain('<legend>Aanbiedingen en nieuws</legend>');
    expect(english.body).toContain('<html lang="en">');
    expect(english.body).toContain('<legend>Offers and news</legend>');
  });

  it('escapes what it shows: the brand name is text, not markup', async () => {
    const id = newCustomer();
    const response = await handle(request('GET', '/preferences', { token: tokenFor(id) }));

    expect(response.body).toContain('Huis &amp; &lt;Polis&gt;');
    expect(response.body).not.toContain('<Polis>');
  });

  it('sends the security headers on every response, whatever its status', async () => {
    const id = newCustomer();
    await onboard(p, id, { email: `${id}@example.nl` });
    const token = tokenFor(id);
    const responses: PreferencesResult[] = [
      await handle(request('GET', '/unsubscribe', { token })),
      await handle(request('GET', '/preferences', { token })),
      await unsubscribe(token),
      await handle(request('POST', '/preferences', { token, body: preferencesForm([]), contentType: FORM })),
      await unsubscribe('x.y'),
      await unsubscribe(token, 'nothing'),
      await handle(request('GET', '/elsewhere')),
      await handle(request('PUT', '/preferences', { token })),
    ];

    expect(responses.map((r) => r.statusCode)).toEqual([200, 200, 200, 200, 403, 400, 404, 405]);
    for (const r of responses) {
      expect(r.headers).toMatchObject({
        ...SECURITY_HEADERS,
        'content-security-policy': "default-src 'none'; style-src 'unsafe-inline'; form-action 'self'",
        'x-content-type-options': 'nosniff',
        'referrer-policy': 'no-referrer',
        'cache-control': 'no-store',
        'content-type': 'text/html; charset=utf-8',
      });
      expect(r.body).not.toMatch(/<script|https?:\/\//i);
    }
  });
});
