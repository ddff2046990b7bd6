import { EventBridgeClient } from '@aws-sdk/client-eventbridge';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type Runtime, startRuntime } from '#local/runtime.ts';
import { type CustomerEvent, emitCustomerEvents } from '#shared/contract/index.ts';

// Contact moments on the local runtime as a user meets them: events put with the typed emitter, the
// API on the dashboard port behind its bearer token, the shop-till page, the reachability view.

const START = Date.parse('2026-03-02T09:00:00Z'); // Monday 10:00 in Amsterdam
const FREE = { eventBridge: 0, dashboard: 0, dynamodb: 0, ses: 0, sns: 0, aux: 0 };
const ID = 'till-0001';

let runtime: Runtime;
let events: EventBridgeClient;

/** `token` null: no Authorization header at all. */
const api = (path: string, init: RequestInit = {}, token: string | null = runtime.apiToken) =>
  fetch(`${runtime.urls.dashboard}${path}`, {
    ...init,
    headers: {
      ...(token !== null && { authorization: `Bearer ${token}` }),
      'content-type': 'application/json',
    },
  });

beforeAll(async () => {
  runtime = await startRuntime({ ports: FREE, clock: START, quiet: true });
  events = new EventBridgeClient({ endpoint: runtime.urls.eventBridge, region: 'eu-west-1' });
  const orders: CustomerEvent[] = [1, 2, 3].map((n) => ({
    source: 'shop.orders',
    detailType: 'OrderPlaced',
    detail: { customerId: ID, orderId: `o-${n}`, total: 30 + n },
  }));
  const result = await emitCustomerEvents(events, [
    {
      source: 'contact.profiles',
      detailType: 'CustomerProfileUpdated',
      detail: {
        customerId: ID,
        email: 'joris@example.nl',
        locale: 'nl',
        attributes: { firstName: 'Joris', country: 'NL', lifecycle: 'active' },
      },
    },
    {
      source: 'contact.consent',
      detailType: 'ConsentGranted',
      detail: {
        customerId: ID,
        purpose: 'marketing',
        channel: 'all',
        source: 'till',
        occurredAt: new Date(START - 60_000).toISOString(),
      },
    },
  ]);
  expect(result.failed).toBe(0);
  await runtime.drain();
  await emitCustomerEvents(events, orders);
  await runtime.drain();
}, 60_000);
afterAll(async () => {
  events?.destroy();
  await runtime?.stop();
});

describe('the contact-moment API on the dashboard port', () => {
  it('refuses calls without the bearer token, or with a wrong one', async () => {
    const none = await api(`/customers/${ID}/next-best-offer?moment=till`, {}, null);
    expect(none.status).toBe(401);
    expect(none.headers.get('www-authenticate')).toMatch(/^Bearer/);
    expect((await api(`/customers/${ID}/next-best-offer?moment=till`, {}, 'wrong')).status).toBe(401);
    const post = await api(`/customers/${ID}/contacts`, { method: 'POST', body: '{}' }, null);
    expect(post.status).toBe(401);
  });

  it('answers the next best offer, records the shown offer once, and then counts it against the cap', async () => {
    const first = await api(`/customers/${ID}/next-best-offer?moment=till`);
    expect(first.status).toBe(200);
    const offer = (await first.json()) as { offer: { campaignId: string; text: string; variant?: string } };
    expect(offer.offer.campaignId).toBe('loyalty-third-order');
    expect(offer.offer.text).toContain('Bedank Joris');

    const body = JSON.stringify({ campaignId: 'loyalty-third-order', moment: 'till', response: 'declined' });
    const init = { method: 'POST', body, headers: {} };
    const recorded = await fetch(`${runtime.urls.dashboard}/customers/${ID}/contacts`, {
      ...init,
      headers: { authorization: `Bearer ${runtime.apiToken}`, 'idempotency-key': 'receipt-9' },
    });
    expect(recorded.status).toBe(201);
    const again = await fetch(`${runtime.urls.dashboard}/customers/${ID}/contacts`, {
      ...init,
      headers: { authorization: `Bearer ${runtime.apiToken}`, 'idempotency-key': 'receipt-9' },
    });
    expect(again.status).toBe(200);
    expect(((await again.json()) as { status: string }).status).toBe('duplicate');

    const next = (await (await api(`/customers/${ID}/next-best-offer?moment=till`)).json()) as {
      offer: null;
      runnersUp: { campaignId: string; reason: string }[];
    };
    expect(next.offer).toBeNull();
    expect(next.runnersUp).toContainEqual(
      expect.objectContaining({ campaignId: 'loyalty-third-order', reason: 'cap_reached' }),
    );

    const decisions = (await (
      await fetch(`${runtime.urls.dashboard}/api/decisions?customerId=${ID}`)
    ).json()) as {
      decisions: { eventId: string; campaignId: string; outcome: string }[];
    };
    expect(decisions.decisions.filter((d) => d.eventId === 'receipt-9')).toEqual([
      expect.objectContaining({ campaignId: 'loyalty-third-order', outcome: 'sent' }),
    ]);
  });

  it('names the bad field with a 400 and an unknown customer with a 404', async () => {
    const bad = await api(`/customers/${ID}/next-best-offer?moment=shop`);
    expect(bad.status).toBe(400);
    expect(((await bad.json()) as { message: string }).message).toMatch(/^moment: /);
    expect((await api('/customers/nobody-here/next-best-offer?moment=web')).status).toBe(404);
    expect((await api('/customers/%E0%A4%A/next-best-offer?moment=web')).status).toBe(400);
  });
});

describe('the till and reach pages', () => {
  it('the till shows the answer for a scanned card and records a response through the same API', async () => {
    const page = await (await fetch(`${runtime.urls.dashboard}/till?customerId=${ID}&moment=web`)).text();
    expect(page).toContain('Runners-up and why they lost');
    const post = await fetch(`${runtime.urls.dashboard}/till/contacts`, {
      method: 'POST',
      redirect: 'manual',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams({
        customerId: ID,
        campaignId: 'loyalty-third-order',
        moment: 'web',
        receipt: 'till-abc',
        response: 'accepted',
      }).toString(),
    });
    expect(post.status).toBe(303);
    expect(new URLSearchParams(post.headers.get('location')?.split('?')[1]).get('flash')).toBe(
      'Recorded: accepted (recorded).',
    );
  });

  it('refuses the till form posted from another site (cross-site request forgery), and records nothing', async () => {
    const form = new URLSearchParams({
      customerId: ID,
      campaignId: 'loyalty-third-order',
      moment: 'web',
      receipt: 'till-forged',
      response: 'declined',
    }).toString();
    const headers = { 'content-type': 'application/x-www-form-urlencoded' };
    const forged: Record<string, string>[] = [
      { 'sec-fetch-site': 'cross-site' },
      { origin: 'https://evil.example' },
    ];
    for (const extra of forged) {
      const post = await fetch(`${runtime.urls.dashboard}/till/contacts`, {
        method: 'POST',
        redirect: 'manual',
        headers: { ...headers, ...extra },
        body: form,
      });
      expect(post.status).toBe(403);
    }
    const decisions = (await (
      await fetch(`${runtime.urls.dashboard}/api/decisions?customerId=${ID}`)
    ).json()) as {
      decisions: { eventId?: string; idempotencyKey?: string }[];
    };
    expect(JSON.stringify(decisions)).not.toContain('till-forged');
  });

  it('the reach view counts the customer as reachable by email for the loyalty campaign', async () => {
    const report = (await (await fetch(`${runtime.urls.dashboard}/api/reach`)).json()) as {
      customers: number;
      rows: { campaignId: string; channel: string; audience: number; reachable: number }[];
    };
    expect(report.customers).toBe(1);
    expect(report.rows).toContainEqual(
      expect.objectContaining({
        campaignId: 'loyalty-third-order',
        channel: 'email',
        audience: 1,
        reachable: 1,
      }),
    );
    expect(report.rows).toContainEqual(
      expect.objectContaining({
        campaignId: 'loyalty-third-order',
        channel: 'sms',
        audience: 1,
        reachable: 0,
      }),
    );
    const html = await (await fetch(`${runtime.urls.dashboard}/reach`)).text();
    expect(html).toContain('Who can be reached');
  });
});
