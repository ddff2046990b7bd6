import { randomUUID } from 'node:crypto';
import { beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { compileEngine } from '#shared/engine/compile.ts';
import { bucketOf } from '#shared/engine/hash.ts';
import { InvalidInputError } from '#shared/errors.ts';
import { loadCompiledStrategy } from '#shared/strategy/load.ts';
import { applyConsentEvent } from '#shared/use-cases/customer-data.ts';
import {
  IdempotencyConflictError,
  type NextBestOfferDeps,
  nextBestOffer,
  recordContact,
  UnknownCustomerError,
} from '#shared/use-cases/next-best-offer.ts';
import { recordActivity } from '#shared/use-cases/record-activity.ts';
import { busEvent, createPipeline, onboard, type Pipeline } from '../support/pipeline.ts';

// The sample strategy itself: loyalty-third-order (priority 50; till, call, web; holdout 10%),
// contract-renewal (70; call, web), birthday (40; till, web), win-back (20; call; holdout 20%),
// and the contact rule "3 marketing contacts per 7 days".
const engine = compileEngine(loadCompiledStrategy('strategy/contact-strategy.yaml'));
const NOON = Date.parse('2026-03-10T11:00:00Z'); // 12:00 in Amsterdam

let p: Pipeline;
let deps: NextBestOfferDeps;
beforeAll(async () => {
  p = await createPipeline(engine, NOON);
  deps = { store: p.store, engine, clock: p.clock };
});
beforeEach(() => {
  p.clock.ms = NOON;
});

/** A customer id outside the holdout groups of loyalty and win-back (the control group sees no offer). */
function newCustomer(): string {
  for (;;) {
    const id = `m-${randomUUID().slice(0, 10)}`;
    if (bucketOf(`${id}#loyalty-third-order#holdout`) >= 1000 && bucketOf(`${id}#win-back#holdout`) >= 2000)
      return id;
  }
}

const inDays = (days: number) => new Date(NOON + days * 86_400_000).toISOString().slice(0, 10);

/** A loyal Dutch customer: three orders this month, contract ending in 10 days, birthday not today. */
async function loyalCustomer(extra: Record<string, unknown> = {}): Promise<string> {
  const id = newCustomer();
  await onboard(p, id, {
    email: `${id}@example.nl`,
    phone: '+31612345678',
    locale: 'nl',
    attributes: {
      firstName: 'Sanne',
      country: 'NL',
      lifecycle: 'active',
      contractType: 'home',
      contractEndDate: inDays(10),
      birthDate: '1980-07-01',
      ...extra,
    },
  });
  for (const n of [1, 2, 3]) {
    await recordActivity(
      { store: p.store, engine, clock: p.clock },
      busEvent(
        'shop.orders',
        id,
        { detailType: 'OrderPlaced', orderId: `${id}-o${n}`, total: 40 },
        NOON - n * 86_400_000,
      ),
    );
  }
  return id;
}

describe('GET next-best-offer', () => {
  it('offers the highest-priority eligible campaign with its rendered text, and explains the runners-up', async () => {
    const id = await loyalCustomer();
    const answer = await nextBestOffer(deps, { customerId: id, moment: 'web' });
    expect(answer.offer).toMatchObject({
      campaignId: 'contract-renewal',
      priority: 70,
      locale: 'nl',
      why: expect.stringContaining('highest priority'),
    });
    expect(answer.offer?.text).toMatch(/^Je verzekering loopt af op \d+ \w+ 2026\. Verleng nu/);
    expect(answer.runnersUp.map((r) => [r.campaignId, r.reason])).toEqual([
      ['loyalty-third-order', 'outranked'],
      ['birthday', 'rule_not_met'],
    ]);
    expect(answer.runnersUp[0]?.why).toBe('contract-renewal has a higher priority (70 > 50)');
    expect(answer.runnersUp[1]?.why).toMatch(/birthDate is \d+ days ahead, offered from 0 days before/);
  });

  it('offers only campaigns marked for the moment: at the till the loyalty thank-you wins', async () => {
    const id = await loyalCustomer();
    const answer = await nextBestOffer(deps, { customerId: id, moment: 'till' });
    expect(answer.offer?.campaignId).toBe('loyalty-third-order');
    expect(answer.offer?.text).toContain('Bedank Sanne voor de derde bestelling');
    expect(answer.runnersUp.map((r) => r.campaignId)).toEqual(['birthday']);
  });

  it('reads with one Query and writes nothing', async () => {
    const id = await loyalCustomer();
    p.meter.reset();
    await nextBestOffer(deps, { customerId: id, moment: 'till' });
    expect(p.meter.calls).toEqual({ QueryCommand: 1 });
  });

  it('respects consent: without marketing consent there is nothing to offer, with the reasons', async () => {
    const id = await loyalCustomer();
    await applyConsentEvent(p.data, {
      ...busEvent('contact.consent', id, {}, NOON - 1000),
      'detail-type': 'ConsentWithdrawn',
      detail: {
        customerId: id,
        purpose: 'marketing',
        channel: 'all',
        source: 'till',
        textVersion: 'v3',
        occurredAt: new Date(NOON - 1000).toISOString(),
      },
    });
    const answer = await nextBestOffer(deps, { customerId: id, moment: 'web' });
    expect(answer.offer).toBeNull();
    expect(answer.nothingToOffer?.message).toMatch(/nothing to offer/);
    expect(answer.nothingToOffer?.reasons).toEqual([
      { campaignId: 'contract-renewal', reason: 'no_consent', why: expect.stringContaining('no consent') },
      { campaignId: 'loyalty-third-order', reason: 'no_consent', why: expect.stringContaining('no consent') },
      { campaignId: 'birthday', reason: 'rule_not_met', why: expect.any(String) },
    ]);
  });

  it('checks an asked channel like a message: no phone number, no offer by sms', async () => {
    const id = newCustomer();
    await onboard(p, id, {
      email: `${id}@example.nl`,
      attributes: { country: 'NL', lifecycle: 'active', contractType: 'car', contractEndDate: inDays(5) },
    });
    const bySms = await nextBestOffer(deps, { customerId: id, moment: 'web', channel: 'sms' });
    expect(bySms.offer).toBeNull();
    expect(bySms.runnersUp[0]).toMatchObject({ campaignId: 'contract-renewal', reason: 'no_channel' });
    const byEmail = await nextBestOffer(deps, { customerId: id, moment: 'web', channel: 'email' });
    expect(byEmail.offer).toMatchObject({ campaignId: 'contract-renewal', channel: 'email' });
  });

  it('keeps quiet hours for calls (the call centre may be calling out) but not at the till', async () => {
    const id = await loyalCustomer();
    p.clock.ms = Date.parse('2026-03-10T21:30:00Z'); // 22:30 in Amsterdam
    const call = await nextBestOffer(deps, { customerId: id, moment: 'call' });
    expect(call.offer).toBeNull();
    expect(call.runnersUp.find((r) => r.campaignId === 'contract-renewal')).toMatchObject({
      reason: 'quiet_hours',
    });
    const till = await nextBestOffer(deps, { customerId: id, moment: 'till' });
    expect(till.offer?.campaignId).toBe('loyalty-third-order');
  });

  it('says 404 for an unknown customer and 400 for a malformed id', async () => {
    await expect(nextBestOffer(deps, { customerId: newCustomer(), moment: 'till' })).rejects.toBeInstanceOf(
      UnknownCustomerError,
    );
    await expect(nextBestOffer(deps, { customerId: 'no spaces', moment: 'till' })).rejects.toBeInstanceOf(
      InvalidInputError,
    );
  });
});

describe('POST contacts', () => {
  it('a recorded "shown" counts against the campaign cap: the next ask offers the runner-up', async () => {
    const id = await loyalCustomer();
    const first = await nextBestOffer(deps, { customerId: id, moment: 'till' });
    expect(first.offer?.campaignId).toBe('loyalty-third-order');
    const shown = await recordContact(deps, {
      customerId: id,
      idempotencyKey: 'receipt-1',
      campaignId: 'loyalty-third-order',
      moment: 'till',
      variant: first.offer?.variant,
    });
    expect(shown.status).toBe('recorded');
    p.clock.ms += 60_000;
    const again = await nextBestOffer(deps, { customerId: id, moment: 'web' });
    expect(again.offer?.campaignId).toBe('contract-renewal');
    const loyalty = again.runnersUp.find((r) => r.campaignId === 'loyalty-third-order');
    expect(loyalty).toMatchObject({ reason: 'cap_reached', why: 'campaign limit: 1 of 1 per 90d used' });
  });

  it('shown offers count against the contact rules across campaigns (3 marketing per 7 days)', async () => {
    const id = await loyalCustomer();
    for (const [key, campaignId] of [
      ['k1', 'contract-renewal'],
      ['k2', 'loyalty-third-order'],
      ['k3', 'win-back'],
    ] as const) {
      const moment = campaignId === 'win-back' ? 'call' : 'web';
      await recordContact(deps, { customerId: id, idempotencyKey: key, campaignId, moment });
    }
    const answer = await nextBestOffer(deps, { customerId: id, moment: 'till' });
    expect(answer.offer).toBeNull();
    expect(answer.nothingToOffer?.reasons.find((r) => r.campaignId === 'loyalty-third-order')).toMatchObject({
      reason: 'cap_reached',
    });
    const state = await p.store.load(id, true);
    expect(state.sends.map((s) => s.channel).sort()).toEqual(['call', 'web', 'web']);
  });

  it('is idempotent on the client key: a retry counts once, a later POST may add the response once', async () => {
    const id = await loyalCustomer();
    const request = {
      customerId: id,
      idempotencyKey: 'call-77',
      campaignId: 'contract-renewal',
      moment: 'call' as const,
    };
    expect((await recordContact(deps, request)).status).toBe('recorded');
    expect((await recordContact(deps, request)).status).toBe('duplicate');
    const updated = await recordContact(deps, { ...request, response: 'accepted' });
    expect(updated.status).toBe('updated');
    expect(updated.record).toMatchObject({
      response: 'accepted',
      conversion: { eventId: 'accepted:call-77' },
    });
    expect((await recordContact(deps, { ...request, response: 'accepted' })).status).toBe('duplicate');
    await expect(recordContact(deps, { ...request, response: 'declined' })).rejects.toBeInstanceOf(
      IdempotencyConflictError,
    );
    const state = await p.store.load(id, true);
    expect(state.sends.filter((s) => s.campaignId === 'contract-renewal')).toHaveLength(1);
    const record = await p.store.getContact(id, 'contract-renewal', 'call-77#contract-renewal');
    expect(record).toMatchObject({
      outcome: 'sent',
      moment: 'call',
      response: 'accepted',
      facts: [{ kind: 'moment', moment: 'call', response: 'accepted' }],
    });
  });

  it('refuses a campaign that is not offered at the moment, and changes nothing', async () => {
    const id = await loyalCustomer();
    await expect(
      recordContact(deps, {
        customerId: id,
        idempotencyKey: 'x',
        campaignId: 'contract-renewal',
        moment: 'till',
      }),
    ).rejects.toThrow('campaign contract-renewal is not offered at the till');
    await expect(
      recordContact(deps, { customerId: id, idempotencyKey: 'x', campaignId: 'nope', moment: 'till' }),
    ).rejects.toThrow('unknown campaign nope');
    expect((await p.store.load(id, true)).sends).toEqual([]);
  });
});
