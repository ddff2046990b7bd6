import { describe, expect, it } from 'vitest';
import { MemoryCustomerStore } from '#local/memory-store.ts';
import type { Profile } from '#shared/domain/customer.ts';
import type { TriggerEmitter } from '#shared/domain/ports.ts';
import { compileEngine } from '#shared/engine/compile.ts';
import { DAY_MS, localParts } from '#shared/engine/time.ts';
import { DEFAULT_STRATEGY_FILE, loadCompiledStrategy } from '#shared/strategy/load.ts';
import { dateIndexFor } from '#shared/use-cases/customer-data.ts';
import { runDateTriggers } from '#shared/use-cases/date-triggers.ts';

/**
 * The hourly date job reads only the index keys of local dates on which some time zone's clock can
 * show the send hour. This checks, hour by hour, that it still finds exactly the customers due — in
 * the zones at the edges of the world (−12:00, +14:00, +13:45, +5:45) and around 29 February — and
 * that it reads fewer keys than the three local dates' worth.
 */

const engine = compileEngine(loadCompiledStrategy(DEFAULT_STRATEGY_FILE));
const ZONES = [
  'Etc/GMT+12',
  'Pacific/Pago_Pago',
  'America/Los_Angeles',
  'America/New_York',
  'America/St_Johns',
  'Atlantic/Azores',
  'UTC',
  'Europe/Amsterdam',
  'Asia/Kolkata',
  'Asia/Kathmandu',
  'Asia/Tokyo',
  'Australia/Adelaide',
  'Pacific/Chatham',
  'Pacific/Tongatapu',
  'Pacific/Kiritimati',
];

const pad = (n: number) => String(n).padStart(2, '0');
const isoDate = (ms: number) => new Date(ms).toISOString().slice(0, 10);

describe('date triggers: the keys read', () => {
  it('finds every customer due at the send hour, hour by hour, reading only dates some zone can be at', async () => {
    const start = Date.parse('2027-02-26T00:00:00Z');
    const store = new MemoryCustomerStore({ sendRetentionMs: 30 * DAY_MS, now: () => start });
    const customers: { id: string; timezone: string; birthDate: string; contractEndDate: string }[] = [];
    for (const timezone of ZONES) {
      for (let d = -1; d <= 5; d++) {
        const day = start + d * DAY_MS;
        // Born on this month-day (29 February included: 2027 is no leap year), contract ending 30 days on.
        const born = d === 3 ? '1988-02-29' : `1980-${isoDate(day).slice(5)}`;
        const id = `c-${timezone.replace(/\W/g, '')}-${d}`;
        customers.push({ id, timezone, birthDate: born, contractEndDate: isoDate(day + 30 * DAY_MS) });
      }
    }
    for (const c of customers) {
      const profile: Profile = {
        customerId: c.id,
        timezone: c.timezone,
        attributes: { birthDate: c.birthDate, contractEndDate: c.contractEndDate },
        updatedAt: new Date(start).toISOString(),
      };
      await store.mergeProfile(
        c.id,
        () => profile,
        profile.updatedAt,
        (p) => dateIndexFor(engine.strategy, p),
      );
    }
    const keysRead: string[] = [];
    const counting = {
      customersByDate: (attribute: string, anniversary: boolean, key: string) => {
        keysRead.push(`${attribute}#${key}`);
        return store.customersByDate(attribute, anniversary, key);
      },
    };
    const emitted: string[] = [];
    const emitter: TriggerEmitter = {
      async emit(events) {
        for (const e of events) emitted.push(`${e.detail.campaignId} ${e.detail.customerId}`);
      },
    };
    const dateCampaigns = engine.campaigns.filter((c) => c.campaign.trigger.date).length;
    expect(dateCampaigns).toBe(2);
    let hours = 0;
    for (let at = start + 5 * 60_000; at < start + 5 * DAY_MS; at += 3_600_000) {
      emitted.length = 0;
      keysRead.length = 0;
      await runDateTriggers({ store: counting, engine, clock: { now: () => at }, emitter });
      // Who is due, from first principles: local hour 9, and the local date (+ 30 days) is the date.
      const expected: string[] = [];
      for (const c of customers) {
        const local = localParts(at, c.timezone);
        if (local.hour !== 9) continue;
        const today = Date.UTC(local.year, local.month - 1, local.day);
        const monthDay = `${pad(local.month)}-${pad(local.day)}`;
        const leap = local.year % 4 === 0;
        const born = c.birthDate.slice(5);
        if (born === monthDay || (born === '02-29' && !leap && monthDay === '02-28'))
          expected.push(`birthday ${c.id}`);
        if (isoDate(today + 30 * DAY_MS) === c.contractEndDate) expected.push(`contract-renewal ${c.id}`);
      }
      expect(emitted.sort(), new Date(at).toISOString()).toEqual(expected.sort());
      // Three local dates per campaign would be 6 keys (7 with 29 February); most hours need one date.
      expect(keysRead.length).toBeLessThanOrEqual(2 * dateCampaigns + 1);
      hours++;
      if (new Date(at).getUTCHours() < 19) expect(keysRead.length).toBeLessThanOrEqual(dateCampaigns + 1);
    }
    expect(hours).toBe(120);
  });
});
