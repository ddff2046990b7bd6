import { existsSync, mkdirSync, readFileSync } from 'node:fs';
import { EventBridgeClient, PutEventsCommand, type PutEventsRequestEntry } from '@aws-sdk/client-eventbridge';
import { type Browser, chromium, type Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Metrics } from '#local/dashboard/data.ts';
import { renderDashboardReport } from '#local/dashboard/report.ts';
import { type Runtime, startRuntime } from '#local/runtime.ts';

// The dashboard in a real browser (headless Chromium through playwright-core) after some traffic:
// the numbers on the page are those of GET /api/metrics, the customer view and the unsubscribe link
// (the preferences function mounted under /p/) work, and nothing logs an error.

const CHROMIUM = '/usr/bin/chromium';
const hasChromium = existsSync(CHROMIUM);
if (!hasChromium) {
  console.warn(
    `dashboard.test.ts SKIPPED: ${CHROMIUM} is missing. Install it with: apt-get install -y --no-install-recommends chromium (.ci/run does).`,
  );
}

const START = Date.parse('2026-03-02T09:00:00Z');
const FREE = { eventBridge: 0, dashboard: 0, dynamodb: 0, ses: 0, sns: 0, aux: 0 };

const entry = (
  source: string,
  detailType: string,
  detail: Record<string, unknown>,
): PutEventsRequestEntry => ({
  EventBusName: 'contact-triggers',
  Source: source,
  DetailType: detailType,
  Detail: JSON.stringify(detail),
});
const consent = (customerId: string, purpose: string, channel = 'all') =>
  entry('contact.consent', 'ConsentGranted', {
    customerId,
    purpose,
    channel,
    source: 'signup-form',
    textVersion: 'v2',
    occurredAt: new Date(START - 3_600_000).toISOString(),
  });

/** Reads `campaigns.<id>.a.b`, `uplift.<index>.a.b` or `totals.a.b` out of the metrics. */
function metricAt(metrics: Metrics, path: string): unknown {
  const [head, ...rest] = path.split('.');
  const id = head === 'campaigns' ? rest.shift() : undefined;
  let value: unknown =
    head === 'uplift'
      ? metrics.uplift
      : id
        ? metrics.campaigns.find((c) => c.campaignId === id)
        : metrics.totals;
  for (const key of rest) value = (value as Record<string, unknown> | undefined)?.[key];
  return value;
}

describe.skipIf(!hasChromium)('the dashboard in a browser', () => {
  let runtime: Runtime;
  let browser: Browser;
  let page: Page;
  const problems: string[] = [];

  beforeAll(async () => {
    runtime = await startRuntime({ ports: FREE, clock: START, quiet: true });
    const events = new EventBridgeClient({ endpoint: runtime.urls.eventBridge });
    const put = async (...entries: PutEventsRequestEntry[]) => {
      const out = await events.send(new PutEventsCommand({ Entries: entries }));
      expect(out.FailedEntryCount).toBe(0);
      await runtime.drain();
    };
    const shopper = { country: 'NL', lifecycle: 'active' };
    await put(
      entry('contact.profiles', 'CustomerProfileUpdated', {
        customerId: 'c-anna',
        email: 'anna@example.com',
        locale: 'nl',
        attributes: { firstName: 'Anna', ...shopper },
      }),
      consent('c-anna', 'marketing'),
      entry('contact.profiles', 'CustomerProfileUpdated', {
        customerId: 'c-bram',
        email: 'bram@example.com',
        attributes: { firstName: 'Bram', ...shopper },
      }),
      entry('contact.profiles', 'CustomerProfileUpdated', { customerId: 'c-piet', phone: '+31612345678' }),
      consent('c-piet', 'service', 'sms'),
    );
    await put(
      entry('shop.newsletter', 'NewsletterSubscribed', { customerId: 'c-anna' }),
      entry('shop.newsletter', 'NewsletterSubscribed', { customerId: 'c-bram' }),
      entry('shop.newsletter', 'NewsletterSubscribed', { customerId: 'c-nobody' }),
      entry('insurance.policies', 'PolicyDocumentReady', { customerId: 'c-piet', documentId: 'd-1' }),
      entry('shop.carts', 'CartAbandoned', { customerId: 'c-anna', cartId: 'cart-9', total: 80 }),
    );
    for (const orderId of ['o-1', 'o-2', 'o-3']) {
      await put(entry('shop.orders', 'OrderPlaced', { customerId: 'c-anna', orderId, total: 55 }));
    }
    await put(entry('shop.newsletter', 'NewsletterSubscribed', { customerId: 'c-anna' }));
    await put(entry('shop.newsletter', 'NewsletterSubscribed', { note: 'no customer id' }));
    events.destroy();

    browser = await chromium.launch({
      executablePath: CHROMIUM,
      args: [
        '--no-sandbox',
        '--disable-gpu',
        '--disable-quic',
        '--no-first-run',
        '--disable-background-networking',
        '--disable-component-update',
        '--disable-sync',
      ],
    });
    page = await browser.newPage({ viewport: { width: 1280, height: 800 } });
    page.on('console', (m) => {
      if (m.type() === 'error') problems.push(`console: ${m.text()}`);
    });
    page.on('pageerror', (e) => problems.push(`page error: ${e.message}`));
    page.on('requestfailed', (r) => problems.push(`request failed: ${r.url()}`));
  });

  afterAll(async () => {
    await browser?.close();
    await runtime?.stop();
  });

  it('shows the numbers of /api/metrics', async () => {
    const response = await page.goto(`${runtime.urls.dashboard}/`);
    expect(response?.status()).toBe(200);
    const metrics = (await (await fetch(`${runtime.urls.dashboard}/api/metrics`)).json()) as Metrics;

    const shown = await page.$$eval('[data-metric]', (nodes) =>
      nodes.map((n) => ({ path: n.getAttribute('data-metric') ?? '', text: n.textContent ?? '' })),
    );
    expect(shown.length).toBeGreaterThan(40);
    for (const { path, text } of shown)
      expect({ path, value: Number(text) }).toEqual({ path, value: metricAt(metrics, path) });

    // The traffic above, as a reader checks it: welcome sent once, refused twice, and one SMS.
    expect(metrics.totals.decisions).toBeGreaterThanOrEqual(9);
    expect(await page.textContent('[data-metric="campaigns.welcome.byOutcome.sent"]')).toBe('1');
    expect(await page.textContent('[data-metric="campaigns.welcome.byReason.no_consent"]')).toBe('1');
    expect(await page.textContent('[data-metric="campaigns.welcome.byReason.unknown_customer"]')).toBe('1');
    expect(await page.textContent('[data-metric="totals.messagesByChannel.sms"]')).toBe('1');
    expect(await page.textContent('[data-stat="deadLetters"]')).toBe('1');
    await expect(page.getByRole('heading', { name: 'Strategy' }).isVisible()).resolves.toBe(true);

    // Measurement: rates, differences, verdicts and the goal headline are those of the uplift use case.
    const measured = await page.$$eval('[data-measure]', (nodes) =>
      nodes.map((n) => ({
        path: n.getAttribute('data-measure') ?? '',
        raw: n.getAttribute('data-value') ?? '',
      })),
    );
    expect(measured.length).toBeGreaterThan(10);
    for (const { path, raw } of measured)
      expect({ path, value: raw }).toEqual({ path, value: String(metricAt(metrics, path)) });
    const loyalty = metrics.uplift.findIndex((u) => u.campaignId === 'loyalty-third-order');
    expect(await page.textContent(`[data-measure="uplift.${loyalty}.headline"]`)).toMatch(
      /^5% within 14d: \d+(\.\d)?%/,
    );
    const card = page.locator('article.measure[data-campaign="loyalty-third-order"]');
    await expect(card.getByText('We want to learn:').isVisible()).resolves.toBe(true);
    expect(await card.locator('.comparisons li').count()).toBe(2); // treated vs holdout, b vs a
    // The charts: Chart.js from node_modules drew on every canvas of the section.
    await page.waitForFunction("typeof window.Chart === 'function'");
    const canvases = page.locator('#measurement canvas');
    expect(await canvases.count()).toBe(metrics.uplift.length * 2);
    const drawn = await page.evaluate(
      "Array.from(document.querySelectorAll('#measurement canvas')).every((c) => window.Chart.getChart(c) !== undefined)",
    );
    expect(drawn).toBe(true);
    expect(await page.locator('ol.flows > li').count()).toBe(metrics.campaigns.length);
  });

  it('finds a customer: profile, consent ledger and contact history', async () => {
    await page.goto(`${runtime.urls.dashboard}/`);
    await page.getByRole('search', { name: 'Find a customer' }).getByLabel('Customer id').fill('c-anna');
    await page.getByRole('button', { name: 'Show customer' }).click();
    await page.waitForURL(/customer=c-anna/);

    const section = page.locator('#customer');
    await expect(section.getByText('anna@example.com').isVisible()).resolves.toBe(true);
    expect(await section.locator('table').nth(1).textContent()).toContain('granted');
    const history = await section.locator('table').last().textContent();
    expect(history).toContain('Welkom nieuwsbriefabonnee');
    expect(history).toContain('Verlaten winkelmandje');

    mkdirSync('.reports', { recursive: true });
    await page.evaluate('window.scrollTo(0, 0)'); // so the sticky section bar sits at the top
    await page.screenshot({ path: '.reports/dashboard.png', fullPage: true });
    expect(readFileSync('.reports/dashboard.png').length).toBeGreaterThan(10_000);
  });

  it('serves the unsubscribe link of a sent email under /p/ and records the withdrawal', async () => {
    const { emails } = (await (await fetch(`${runtime.urls.ses}/store`)).json()) as {
      emails: { destination: { to: string[] }; headers?: { name: string; value: string }[] }[];
    };
    const header = emails
      .find((e) => e.destination.to.includes('anna@example.com'))
      ?.headers?.find((h) => h.name === 'List-Unsubscribe')?.value;
    const link = /<(http[^>]+)>/.exec(header ?? '')?.[1] ?? '';
    expect(link.startsWith(`${runtime.urls.preferences}/unsubscribe?token=`)).toBe(true);

    await page.goto(link); // the browser asks for English (Accept-Language), so the page is English
    await page.getByRole('button', { name: 'Unsubscribe' }).click();
    await expect(page.getByRole('status').textContent()).resolves.toMatch(
      /unsubscribed from offers and news by email/,
    );

    const customer = (await (await fetch(`${runtime.urls.dashboard}/api/customers/c-anna`)).json()) as {
      consent: Record<string, { granted: boolean }>;
    };
    expect(customer.consent['marketing:email']?.granted).toBe(false);
  });

  it('writes a static report with the same numbers', async () => {
    const file = await renderDashboardReport(runtime, '.reports/dashboard-report.html');
    const html = readFileSync(file, 'utf8');
    const metrics = (await (await fetch(`${runtime.urls.dashboard}/api/metrics`)).json()) as Metrics;
    expect(html).toContain(`<span data-metric="totals.decisions">${metrics.totals.decisions}</span>`);
    expect(html).toContain('c-anna');
    expect(html).not.toMatch(/<script|https?:\/\/(?!127\.0\.0\.1)[^"]*\.(js|css)/);
    // Funnel, uplift with its interval, and the variants, per campaign.
    expect(html).toContain('id="measurement"');
    expect(html).toMatch(/data-metric="campaigns\.loyalty-third-order\.funnel\.sent"/);
    expect(html).toMatch(/treated vs holdout<\/b>/);
    expect(html).toContain('Variant b');
  });

  it('logged no console error, page error or failed request', () => {
    expect(problems).toEqual([]);
  });
});
