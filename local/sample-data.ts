import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { parsePhoneNumberFromString } from 'libphonenumber-js/min';
import type { Channel } from '#shared/strategy/schema.ts';
import type { ConsentRow, CustomerRow } from './import.ts';

/**
 * A deterministic sample of Huis & Polis's customers and 60 days of their events, for the demo, the
 * simulator and load tests: the same seed gives the same bytes on every machine (a seeded PRNG, UTC
 * arithmetic only, no `Math.random`, no `Intl`, no clock).
 *
 * Customers are Dutch and Belgian (a few live abroad), with names, cities, national-format phone
 * numbers, example.nl/example.be addresses, mixed consent per purpose × channel, preferred channels,
 * time zones, locales nl/nl-BE/en, birthdays, contract end dates spread over the coming months,
 * lifecycle/country/contractType/lifetimeValue for the strategy's audiences, and app push tokens for
 * some. The history exercises every campaign of `strategy/contact-strategy.yaml`: newsletter sign-ups,
 * orders (with enough bursts of three in 30 days), abandoned carts above and below the 25 euro filter,
 * policy documents (with producer retries and bulk days over the service cap), inactivity, profile
 * updates, consent changes, new customers joining mid-way, unknown senders and a few
 * invalid events.
 *
 * Two properties keep the live demo and `contact simulate` in exact agreement (see `simulate.ts`):
 * - event times fall on a grid (`slotMinutes`), so the replay processes every event at its own time;
 * - no customer's birthday falls on the day their renewal reminder is due, and neither is due on the
 *   first day: two date triggers of one customer in the same hourly run would be decided concurrently
 *   by the live runtime, and their order could matter under a nearly full cap.
 */

export interface SampleOptions {
  readonly seed?: number;
  readonly customers?: number;
  /** Exactly this many events. */
  readonly events?: number;
  /** ISO start of the window (an hour boundary). */
  readonly start?: string;
  readonly days?: number;
  /** Event times are multiples of this many minutes (a divisor of 60). */
  readonly slotMinutes?: number;
}

export const SAMPLE_DEFAULTS: Required<SampleOptions> = Object.freeze({
  seed: 20_260_302,
  customers: 1000,
  events: 20_000,
  start: '2026-03-02T00:00:00Z',
  days: 60,
  slotMinutes: 15,
});

/**
 * The demo's history (`npm run demo`, `contact sample-data` and the bench's "demo history" alike): the
 * defaults on an hourly grid. The live replay stops at every simulated hour anyway (the date job), and
 * an hour's events then go out in waves large enough to keep its queue consumers busy.
 */
export const DEMO_HISTORY: SampleOptions = Object.freeze({ slotMinutes: 60 });

/** One line of `events.jsonl`: what an app puts on the bus, with the time it happened. */
export interface SampleEvent {
  readonly time: string;
  readonly source: string;
  readonly detailType: string;
  readonly detail: Record<string, unknown>;
}

export interface SampleData {
  readonly options: Required<SampleOptions>;
  readonly customers: readonly CustomerRow[];
  readonly events: readonly SampleEvent[];
}

const DAY = 86_400_000;
const HOUR = 3_600_000;

/** mulberry32: tiny, fast, good enough for test data, and the same on every platform. */
export function prng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4_294_967_296;
  };
}

class Random {
  private readonly next: () => number;
  constructor(seed: number) {
    this.next = prng(seed);
  }
  float(): number {
    return this.next();
  }
  chance(p: number): boolean {
    return this.next() < p;
  }
  int(lo: number, hi: number): number {
    return lo + Math.floor(this.next() * (hi - lo + 1));
  }
  pick<T>(items: readonly T[]): T {
    const item = items[Math.floor(this.next() * items.length)];
    if (item === undefined) throw new RangeError('pick from an empty list');
    return item;
  }
  weighted<T>(pairs: readonly (readonly [T, number])[]): T {
    const total = pairs.reduce((s, [, w]) => s + w, 0);
    let r = this.next() * total;
    for (const [item, w] of pairs) {
      r -= w;
      if (r < 0) return item;
    }
    const last = pairs[pairs.length - 1];
    if (!last) throw new RangeError('weighted pick from an empty list');
    return last[0];
  }
  /** Roughly normal (sum of uniforms), for amounts. */
  normal(): number {
    return this.next() + this.next() + this.next() + this.next() - 2;
  }
  digits(n: number): string {
    let s = '';
    for (let i = 0; i < n; i++) s += String(Math.floor(this.next() * 10));
    return s;
  }
}

// --- Names and places ------------------------------------------------------------------------------

const FIRST_NL = [
  'Anna',
  'Sophie',
  'Julia',
  'Emma',
  'Tess',
  'Fleur',
  'Lotte',
  'Sanne',
  'Anouk',
  'Lieke',
  'Noor',
  'Eva',
  'Saskia',
  'Marloes',
  'Ingrid',
  'Petra',
  'Fatima',
  'Yasmina',
  'Daan',
  'Sem',
  'Lucas',
  'Levi',
  'Bram',
  'Thijs',
  'Jesse',
  'Ruben',
  'Joost',
  'Pieter',
  'Maarten',
  'Sander',
  'Willem',
  'Henk',
  'Kees',
  'Mohamed',
  'Youssef',
  'Dirk',
  'Gijs',
  'Niels',
  'Jeroen',
  'Wouter',
] as const;
const FIRST_BE = [
  'Marie',
  'Elise',
  'Louise',
  'Fien',
  'Lien',
  'Hanne',
  'Nathalie',
  'Katrien',
  'An',
  'Griet',
  'Mila',
  'Nora',
  'Arthur',
  'Lars',
  'Wout',
  'Seppe',
  'Jonas',
  'Stijn',
  'Bart',
  'Koen',
  'Pieter-Jan',
  'Tom',
  'Jens',
  'Thibault',
  'Hélène',
  'François',
] as const;
const LAST_NL = [
  'de Jong',
  'Jansen',
  'de Vries',
  'van den Berg',
  'van Dijk',
  'Bakker',
  'Janssen',
  'Visser',
  'Smit',
  'Meijer',
  'de Boer',
  'Mulder',
  'de Groot',
  'Bos',
  'Vos',
  'Peters',
  'Hendriks',
  'van Leeuwen',
  'Dekker',
  'Brouwer',
  'de Wit',
  'Dijkstra',
  'Smits',
  'de Graaf',
  'van der Meer',
  'van der Linden',
  'Kok',
  'Jacobs',
  'de Haan',
  'Vermeulen',
  'van den Heuvel',
  'van der Veen',
  'van den Broek',
  'de Bruijn',
  'de Bruin',
  'van der Heijden',
  'Schouten',
  'van Beek',
  'Willems',
  'van Vliet',
  'Hoekstra',
  'Maas',
  'Verhoeven',
  'Koster',
  'van Wijk',
  'Prins',
  'Blom',
  'Huisman',
  'El Amrani',
  'Yılmaz',
] as const;
const LAST_BE = [
  'Peeters',
  'Janssens',
  'Maes',
  'Jacobs',
  'Mertens',
  'Willems',
  'Claes',
  'Goossens',
  'Wouters',
  'De Smet',
  'Dubois',
  'Lambert',
  'Dupont',
  'Van de Velde',
  'Vermeulen',
  'Hermans',
  'Aerts',
  'Pauwels',
  'Michiels',
  'De Clercq',
  'Desmet',
  'Van Damme',
  'Verstraete',
  'Lemmens',
  'Cools',
] as const;
const CITY_NL = [
  ['Amsterdam', 9],
  ['Rotterdam', 7],
  ['Den Haag', 6],
  ['Utrecht', 5],
  ['Eindhoven', 3],
  ['Groningen', 3],
  ['Tilburg', 2],
  ['Almere', 2],
  ['Breda', 2],
  ['Nijmegen', 2],
  ['Apeldoorn', 2],
  ['Haarlem', 2],
  ['Arnhem', 2],
  ['Enschede', 2],
  ['Amersfoort', 2],
  ['Zwolle', 2],
  ['Leiden', 2],
  ['Maastricht', 2],
  ['Dordrecht', 1],
  ['Zoetermeer', 1],
  ['Leeuwarden', 1],
  ['Delft', 1],
  ['Alkmaar', 1],
  ['Hilversum', 1],
  ['Deventer', 1],
  ['Middelburg', 1],
] as const;
const CITY_BE = [
  ['Antwerpen', 7],
  ['Gent', 5],
  ['Brussel', 5],
  ['Brugge', 3],
  ['Leuven', 3],
  ['Mechelen', 2],
  ['Aalst', 2],
  ['Hasselt', 2],
  ['Kortrijk', 2],
  ['Sint-Niklaas', 1],
  ['Oostende', 1],
  ['Genk', 1],
  ['Roeselare', 1],
  ['Turnhout', 1],
  ['Luik', 1],
] as const;
const ABROAD = [
  { country: 'ES', timezone: 'Europe/Madrid', city: 'Alicante' },
  { country: 'GB', timezone: 'Europe/London', city: 'London' },
  { country: 'DE', timezone: 'Europe/Berlin', city: 'Düsseldorf' },
  { country: 'US', timezone: 'America/New_York', city: 'New York' },
  { country: 'CW', timezone: 'America/Curacao', city: 'Willemstad' },
  { country: 'ID', timezone: 'Asia/Jakarta', city: 'Jakarta' },
] as const;

/** Event volume per UTC hour (the Netherlands is UTC+1/+2): quiet nights, an evening peak into 21:00 local. */
const HOUR_WEIGHTS = [
  0.3, 0.15, 0.1, 0.1, 0.15, 0.5, 1.5, 3, 4, 5, 5, 5, 5, 5, 5, 5, 5.5, 6, 7, 8, 6.5, 3.5, 1.5, 0.7,
] as const;

const ascii = (s: string): string =>
  s
    .normalize('NFD')
    .replace(/[\u0300-\u036f]/g, '')
    .replace(/ı/g, 'i')
    .toLowerCase()
    .replace(/[^a-z0-9]+/g, '');

const isoDate = (ms: number): string => new Date(ms).toISOString().slice(0, 10);
const money = (n: number): number => Math.round(n * 100) / 100;

/** A valid mobile number in national format: 06-12345678 / 06 1234 5678 (NL), 0470 12 34 56 (BE). */
function mobile(rnd: Random, country: 'NL' | 'BE'): string {
  for (;;) {
    const number =
      country === 'NL'
        ? rnd.chance(0.5)
          ? `06-${rnd.int(1, 5)}${rnd.digits(7)}`
          : `06 ${rnd.int(1, 5)}${rnd.digits(3)} ${rnd.digits(4)}`
        : `04${rnd.int(7, 9)}${rnd.digits(1)} ${rnd.digits(2)} ${rnd.digits(2)} ${rnd.digits(2)}`;
    if (parsePhoneNumberFromString(number, country)?.isValid()) return number;
  }
}

interface Person {
  readonly row: CustomerRow;
  readonly id: string;
  readonly country: string;
  readonly lifecycle: string;
  readonly contractType?: string;
  /** How often they shop, relative. */
  readonly buyer: number;
  readonly hasEmail: boolean;
  readonly serviceEmail: boolean;
  /** MM-DD of the birthday and of the renewal reminder, to keep them apart. */
  birthday?: string;
  renewalDay?: string;
}

// --- Generation ------------------------------------------------------------------------------------

/** Generates customers and events; pure and deterministic. */
export function generateSampleData(options: SampleOptions = {}): SampleData {
  const o: Required<SampleOptions> = { ...SAMPLE_DEFAULTS, ...options };
  if (60 % o.slotMinutes !== 0) throw new RangeError('slotMinutes must divide 60');
  const rnd = new Random(o.seed);
  const start = Date.parse(o.start);
  if (Number.isNaN(start) || start % HOUR !== 0)
    throw new RangeError('start must be an ISO hour, e.g. 2026-03-02T00:00:00Z');
  const end = start + o.days * DAY;
  const slot = o.slotMinutes * 60_000;

  const people = Array.from({ length: o.customers }, (_, i) => person(rnd, i, start, end));
  let seq = 0;
  const events: (SampleEvent & { seq: number; at: number })[] = [];
  const push = (at: number, source: string, detailType: string, detail: Record<string, unknown>) => {
    const clamped = Math.min(Math.max(at, start + slot), end - slot);
    events.push({
      time: new Date(clamped).toISOString(),
      source,
      detailType,
      detail,
      seq: seq++,
      at: clamped,
    });
  };
  const when = (fromDay = 0, toDay = o.days - 1): number => {
    const day = rnd.int(fromDay, toDay);
    const hour = rnd.weighted(HOUR_WEIGHTS.map((w, h) => [h, w] as const));
    return start + day * DAY + hour * HOUR + rnd.int(0, 60 / o.slotMinutes - 1) * slot;
  };
  // Weighted pools, built once per kind of pick (a linear scan per event would take seconds).
  const pools = new Map<string, { members: Person[]; cumulative: number[] }>();
  const pickPerson = (
    kind = 'anyone',
    filter: (p: Person) => boolean = () => true,
    weight: (p: Person) => number = () => 1,
  ): Person => {
    let pool = pools.get(kind);
    if (!pool) {
      const members = people.filter(filter);
      let total = 0;
      pool = { members: members.length > 0 ? members : people, cumulative: [] };
      for (const m of pool.members) {
        total += weight(m);
        pool.cumulative.push(total);
      }
      pools.set(kind, pool);
    }
    const r = rnd.float() * (pool.cumulative[pool.cumulative.length - 1] ?? 0);
    let lo = 0;
    let hi = pool.cumulative.length - 1;
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      if ((pool.cumulative[mid] ?? 0) > r) hi = mid;
      else lo = mid + 1;
    }
    const picked = pool.members[lo];
    if (!picked) throw new RangeError('no customers to pick from');
    return picked;
  };
  const budget = (share: number) => Math.max(1, Math.round(o.events * share));
  const ids = { order: 0, cart: 0, doc: 0, product: 0 };
  const order = (p: { id: string }, at: number, total?: number) =>
    push(at, 'shop.orders', 'OrderPlaced', {
      customerId: p.id,
      orderId: `ORD-${String(++ids.order).padStart(6, '0')}`,
      total: total ?? (rnd.chance(0.04) ? 0 : money(Math.exp(Math.log(45) + 0.6 * rnd.normal() * 1.7))),
      currency: 'EUR',
      items: rnd.int(1, 5),
      channel: rnd.chance(0.35) ? 'app' : 'web',
    });

  // Orders: bursts of 3-5 within three weeks for frequent buyers (the loyalty rule), single orders
  // for everyone else, and an order after some abandoned carts (the cart campaign's goal).
  const orderBudget = budget(0.3);
  let orders = 0;
  while (orders < orderBudget * 0.45) {
    const p = pickPerson(
      'frequent buyer',
      (x) => x.buyer >= 2,
      (x) => x.buyer,
    );
    const first = when(0, o.days - 21);
    const n = Math.min(rnd.int(3, 5), orderBudget - orders);
    for (let k = 0; k < n; k++) order(p, first + rnd.int(0, 20) * DAY + rnd.int(0, 3) * slot);
    orders += n;
  }
  const cartBudget = budget(0.18);
  for (let k = 0; k < cartBudget; k++) {
    const p = pickPerson(
      'cart',
      () => true,
      (x) => x.buyer + 0.5,
    );
    const at = when();
    const above = rnd.chance(0.55);
    // Exactly 25.00 now and then: the filter is "more than 25".
    const total = above
      ? money(25.01 + rnd.float() * 250)
      : rnd.chance(0.1)
        ? 25
        : money(4 + rnd.float() * 21);
    push(at, 'shop.carts', 'CartAbandoned', {
      customerId: p.id,
      cartId: `CART-${String(++ids.cart).padStart(6, '0')}`,
      total,
      items: rnd.int(1, 6),
    });
    if (above && rnd.chance(0.15) && orders < orderBudget) {
      order(p, at + rnd.int(2, 40) * HOUR);
      orders++;
    }
  }
  while (orders < orderBudget) {
    order(
      pickPerson(
        'buyer',
        () => true,
        (x) => x.buyer,
      ),
      when(),
    );
    orders++;
  }

  // Policy documents (service): most customers with a contract; some bulk days over the cap of 5.
  const docBudget = budget(0.07);
  const contractHolders = (p: Person) => p.contractType !== undefined;
  const doc = (p: Person, at: number, documentId = `DOC-${String(++ids.doc).padStart(6, '0')}`) =>
    push(at, 'insurance.policies', 'PolicyDocumentReady', {
      customerId: p.id,
      documentId,
      policyNumber: `HP-${p.id.slice(3)}-${p.contractType ?? 'x'}`,
      documentType: rnd.pick(['polisblad', 'groene-kaart', 'jaaroverzicht', 'wijzigingsbevestiging']),
    });
  const bulkDay = new Set<string>();
  for (let k = 0; k < 6; k++) {
    const p = pickPerson('contract', contractHolders);
    const at = when(1, o.days - 2);
    bulkDay.add(`${p.id}|${isoDate(at)}`);
    for (let d = 0; d < 6; d++) doc(p, at);
  }
  for (let k = 0; k < docBudget - 36; k++) doc(pickPerson('contract', contractHolders), when());
  // Producer retries: the same document id again a slot later, only where the first is sure to commit
  // (service consent and an email address, no bulk day): then the retry is a `duplicate`.
  for (let k = 0; k < budget(0.004); k++) {
    const p = pickPerson('contract, service email', (x) => contractHolders(x) && x.serviceEmail);
    const at = when(0, o.days - 10);
    if (bulkDay.has(`${p.id}|${isoDate(at)}`)) continue;
    const documentId = `DOC-${String(++ids.doc).padStart(6, '0')}`;
    doc(p, at, documentId);
    doc(p, at + slot, documentId);
  }
  for (let k = 0; k < budget(0.012); k++) {
    const p = pickPerson('renewal due', (x) => x.renewalDay !== undefined);
    push(when(), 'insurance.policies', 'PolicyRenewed', {
      customerId: p.id,
      policyNumber: `HP-${p.id.slice(3)}-${p.contractType ?? 'x'}`,
    });
  }

  // Newsletter sign-ups: customers (some twice: one welcome a year), and visitors we do not know yet.
  const signups = budget(0.035);
  for (let k = 0; k < signups; k++) {
    const at = when();
    const id = rnd.chance(0.08) ? `web-${rnd.digits(8)}` : pickPerson().id;
    push(at, 'shop.newsletter', 'NewsletterSubscribed', {
      customerId: id,
      list: 'wekelijks',
      via: rnd.pick(['footer', 'checkout', 'app']),
    });
  }

  // Inactivity, reported by the shop for lapsed and churned customers.
  for (let k = 0; k < budget(0.025); k++) {
    const p = pickPerson('lapsed', (x) => x.lifecycle === 'lapsed' || x.lifecycle === 'churned');
    push(when(), 'shop.customers', 'CustomerInactive', {
      customerId: p.id,
      daysSinceLastOrder: rnd.int(90, 420),
    });
  }

  // Profile updates.
  for (let k = 0; k < budget(0.05); k++) {
    const p = pickPerson();
    const at = when();
    const detail: Record<string, unknown> = { customerId: p.id };
    const kind = rnd.weighted([
      ['channel', 3],
      ['city', 2],
      ['lifecycle', 2],
      ['phone', 1],
      ['app', 1.5],
      ['contract', 1],
    ] as const);
    switch (kind) {
      case 'channel':
        detail.preferredChannel = rnd.pick(['email', 'sms', 'push'] satisfies Channel[]);
        break;
      case 'city':
        detail.attributes = { city: rnd.weighted(p.country === 'BE' ? CITY_BE : CITY_NL) };
        break;
      case 'lifecycle':
        detail.attributes = {
          lifecycle: rnd.weighted([
            ['active', 3],
            ['lapsed', 1],
          ] as const),
        };
        break;
      case 'phone':
        // A national number is read in the customer's country, so the update names it; abroad, E.164.
        if (p.country === 'NL' || p.country === 'BE') {
          detail.phone = mobile(rnd, p.country);
          detail.attributes = { country: p.country };
        } else detail.phone = `+31 6 ${rnd.int(1, 5)}${rnd.digits(3)} ${rnd.digits(4)}`;
        break;
      case 'app':
        detail.pushEndpoints = [
          { platform: rnd.pick(['fcm', 'apns'] as const), token: `tok-${rnd.digits(24)}` },
        ];
        break;
      case 'contract':
        // A renewed contract: its next end date lies beyond the window, so it brings no new reminder.
        if (p.contractType && p.renewalDay === undefined)
          detail.attributes = { contractEndDate: isoDate(end + rnd.int(60, 300) * DAY) };
        else detail.attributes = { newsletterFrequency: rnd.pick(['wekelijks', 'maandelijks']) };
        break;
    }
    push(at, 'contact.profiles', 'CustomerProfileUpdated', detail);
  }

  // Consent changes: unsubscribes (one channel, or everything), and new opt-ins per channel.
  for (let k = 0; k < budget(0.03); k++) {
    const p = pickPerson();
    const at = when();
    const kind = rnd.weighted([
      ['unsubscribe-email', 5],
      ['unsubscribe-all', 1],
      ['opt-in', 4],
    ] as const);
    const granted = kind === 'opt-in';
    const channel: Channel | 'all' =
      kind === 'unsubscribe-all'
        ? 'all'
        : kind === 'opt-in'
          ? rnd.pick(['sms', 'push', 'email'] as const)
          : 'email';
    push(at, 'contact.consent', granted ? 'ConsentGranted' : 'ConsentWithdrawn', {
      customerId: p.id,
      purpose: 'marketing',
      channel,
      source: rnd.pick(['preference-page', 'app', 'call-centre']),
      textVersion: 'marketing-v3',
      occurredAt: new Date(Math.min(Math.max(at, start + slot), end - slot)).toISOString(),
    });
  }

  // New customers joining mid-way: profile and consent, then the newsletter, then often an order.
  const joiners = Math.max(2, Math.round(o.customers * 0.04));
  for (let k = 0; k < joiners; k++) {
    const p = person(rnd, o.customers + k, start, end, true);
    const at = when(1, o.days - 3);
    const { consent, ...profile } = p.row;
    push(at, 'contact.profiles', 'CustomerProfileUpdated', profile as unknown as Record<string, unknown>);
    for (const c of consent ?? []) {
      push(at, 'contact.consent', c.granted === false ? 'ConsentWithdrawn' : 'ConsentGranted', {
        customerId: p.id,
        purpose: c.purpose,
        channel: c.channel,
        source: c.source ?? 'signup-form',
        ...(c.textVersion !== undefined && { textVersion: c.textVersion }),
        occurredAt: new Date(at).toISOString(),
      });
    }
    push(at + slot, 'shop.newsletter', 'NewsletterSubscribed', {
      customerId: p.id,
      list: 'wekelijks',
      via: 'signup',
    });
    if (rnd.chance(0.6)) order(p, at + rnd.int(1, 48) * HOUR);
  }

  // Invalid input: what a buggy producer sends. It must end in a dead-letter queue with its reason.
  const invalid: [string, string, Record<string, unknown>][] = [
    ['shop.orders', 'OrderPlaced', { orderId: 'ORD-BROKEN-1', total: 12.5 }],
    ['shop.orders', 'OrderPlaced', { customerId: 'klant 42', orderId: 'ORD-BROKEN-2', total: 30 }],
    ['shop.carts', 'CartAbandoned', { customerId: 4711, cartId: 'CART-BROKEN-1', total: 80 }],
    ['shop.newsletter', 'NewsletterSubscribed', { customerId: '' }],
    ['contact.profiles', 'CustomerProfileUpdated', { customerId: 'hp-00001', email: 'geen-emailadres' }],
    ['contact.profiles', 'CustomerProfileUpdated', { customerId: 'hp-00002', timezone: 'Europe/Atlantis' }],
    [
      'contact.consent',
      'ConsentGranted',
      { customerId: 'hp-00003', purpose: 'marketing', channel: 'fax', source: 'form', occurredAt: o.start },
    ],
    ['insurance.policies', 'PolicyDocumentReady', { customerId: 'hp-00004 ', documentId: 'DOC-BROKEN-1' }],
  ];
  for (let k = 0; k < Math.max(10, budget(0.0015)); k++) {
    const [source, detailType, detail] = invalid[k % invalid.length] ?? invalid[0] ?? ['', '', {}];
    push(when(), source, detailType, detail);
  }

  // Product views fill the rest: the activity stream no campaign listens to.
  const categories = ['wonen', 'tuin', 'keuken', 'slapen', 'verlichting', 'verzekeringen'];
  while (events.length < o.events) {
    const p = pickPerson(
      'browser',
      () => true,
      (x) => x.buyer + 1,
    );
    push(when(), 'shop.web', 'ProductViewed', {
      customerId: p.id,
      productId: `P-${rnd.int(1000, 9999)}`,
      category: rnd.pick(categories),
    });
  }

  const sorted = events
    .slice(0, o.events)
    .sort((a, b) => a.at - b.at || a.seq - b.seq)
    .map(({ time, source, detailType, detail }) => ({ time, source, detailType, detail }));
  return { options: o, customers: people.map((p) => p.row), events: sorted };
}

/** One customer, valid for `CustomerProfileUpdated` and its consent events. */
function person(rnd: Random, index: number, start: number, end: number, joiner = false): Person {
  const id = `hp-${String(index + 1).padStart(5, '0')}`;
  const where = rnd.weighted([
    ['NL', 66],
    ['BE', 30],
    ['abroad', 4],
  ] as const);
  const abroad = where === 'abroad' ? rnd.pick(ABROAD) : undefined;
  const country = abroad?.country ?? where;
  const belgian = country === 'BE';
  const firstName = rnd.pick(belgian ? FIRST_BE : FIRST_NL);
  const lastName = rnd.pick(belgian ? LAST_BE : LAST_NL);
  const city = abroad?.city ?? rnd.weighted(belgian ? CITY_BE : CITY_NL);
  const domain = belgian ? 'example.be' : 'example.nl';
  const hasEmail = rnd.chance(0.93);
  const email = hasEmail ? `${ascii(firstName)}.${ascii(lastName)}${index + 1}@${domain}` : undefined;
  const phone = rnd.chance(0.7)
    ? abroad
      ? `+31 6 ${rnd.int(1, 5)}${rnd.digits(3)} ${rnd.digits(4)}`
      : mobile(rnd, belgian ? 'BE' : 'NL')
    : undefined;
  const locale = belgian
    ? rnd.chance(0.85)
      ? 'nl-BE'
      : 'en'
    : abroad
      ? rnd.chance(0.5)
        ? 'nl'
        : 'en'
      : rnd.chance(0.93)
        ? 'nl'
        : 'en';
  const timezone =
    abroad?.timezone ?? (belgian ? 'Europe/Brussels' : rnd.chance(0.9) ? 'Europe/Amsterdam' : undefined);
  const hasApp = rnd.chance(0.35);
  const pushEndpoints = hasApp
    ? Array.from({ length: rnd.chance(0.1) ? 2 : 1 }, () => ({
        platform: rnd.pick(['fcm', 'apns'] as const),
        token: `tok-${rnd.digits(24)}`,
      }))
    : undefined;
  const preferredChannel = rnd.weighted<Channel | undefined>([
    ['email', 45],
    ['sms', 20],
    [hasApp ? 'push' : 'email', 15],
    [undefined, 20],
  ]);
  const lifecycle = joiner
    ? 'new'
    : rnd.weighted([
        ['new', 12],
        ['active', 55],
        ['lapsed', 21],
        ['churned', 12],
      ] as const);
  const buyer =
    lifecycle === 'active'
      ? rnd.chance(0.25)
        ? 4
        : 1.5
      : lifecycle === 'new'
        ? 1
        : lifecycle === 'lapsed'
          ? 0.3
          : 0.1;
  const age = rnd.int(16, 86);
  const startYear = new Date(start).getUTCFullYear();
  let birth = Date.UTC(startYear - age, 0, 1) + rnd.int(0, 364) * DAY;
  const monthDay = (ms: number) => isoDate(ms).slice(5);
  // Nobody's birthday on the first day (the start hour's date job may run while customers load).
  if (monthDay(birth) === monthDay(start)) birth += DAY;
  const contractType = rnd.weighted<string | undefined>([
    ['home', 30],
    ['car', 25],
    ['travel', 10],
    [undefined, 35],
  ]);
  let contractEnd: number | undefined;
  let renewalDay: string | undefined;
  if (contractType) {
    // Two in three end within reach of the window (reminder 30 days before), the rest later.
    contractEnd = rnd.chance(0.66)
      ? start + rnd.int(31, 30 + Math.round((end - start) / DAY) - 1) * DAY
      : end + rnd.int(40, 330) * DAY;
    if (monthDay(contractEnd - 30 * DAY) === monthDay(birth)) contractEnd += DAY;
    if (contractEnd - 30 * DAY < end) renewalDay = monthDay(contractEnd - 30 * DAY);
  }
  const ordered = lifecycle !== 'new' && rnd.chance(0.8);
  const lifetimeValue = ordered
    ? money(Math.exp(Math.log(lifecycle === 'active' ? 160 : 90) + 0.9 * rnd.normal() * 1.7))
    : 0;
  const since = start - rnd.int(joiner ? 0 : 30, joiner ? 0 : 2500) * DAY;
  const attributes: Record<string, unknown> = {
    firstName,
    lastName,
    city,
    country,
    lifecycle,
    customerSince: isoDate(since),
    ...(rnd.chance(0.95) && { birthDate: isoDate(birth) }),
    ...(contractType && { contractType }),
    ...(contractEnd !== undefined && { contractEndDate: isoDate(contractEnd) }),
    lifetimeValue,
    ...(ordered && { lastOrderDate: isoDate(start - rnd.int(5, 400) * DAY) }),
  };
  // Consent per purpose × channel, as sign-up forms and the app collect it. Marketing consent is per
  // channel, never "all": that would include the print shop's webhook (see the note in simulate.ts).
  const consentAt = new Date(since + rnd.int(0, 20) * HOUR).toISOString();
  const source = rnd.pick(['signup-form', 'checkout', 'app', 'call-centre']);
  const consent: ConsentRow[] = [];
  const grant = (purpose: string, channel: Channel | 'all', granted = true, occurredAt = consentAt) =>
    consent.push({
      purpose,
      channel,
      granted,
      source,
      textVersion: purpose === 'service' ? 'service-v2' : 'marketing-v3',
      occurredAt,
    });
  const serviceEmail = rnd.chance(0.92);
  if (serviceEmail) grant('service', 'all');
  if (rnd.chance(0.68)) {
    grant('marketing', 'email');
    // Some said yes once and unsubscribed later, before the window: the ledger keeps both.
    if (rnd.chance(0.08))
      grant('marketing', 'email', false, new Date(start - rnd.int(1, 200) * DAY).toISOString());
  }
  if (phone && rnd.chance(0.35)) grant('marketing', 'sms');
  if (hasApp && rnd.chance(0.7)) grant('marketing', 'push');
  const row: CustomerRow = {
    customerId: id,
    ...(email && { email }),
    ...(phone && { phone }),
    locale,
    ...(timezone && { timezone }),
    ...(preferredChannel && { preferredChannel }),
    ...(pushEndpoints && { pushEndpoints }),
    attributes,
    consent,
  };
  return {
    row,
    id,
    country,
    lifecycle,
    ...(contractType && { contractType }),
    buyer,
    hasEmail,
    serviceEmail: serviceEmail && hasEmail,
    birthday: monthDay(birth),
    ...(renewalDay && { renewalDay }),
  };
}

/** The two JSON-lines files' contents (one customer / one event per line). */
export function sampleDataLines(data: SampleData): { customers: string; events: string } {
  const lines = (items: readonly unknown[]) =>
    items.map((x) => JSON.stringify(x)).join('\n') + (items.length > 0 ? '\n' : '');
  return { customers: lines(data.customers), events: lines(data.events) };
}

/** Default output directory: generated at run time, gitignored. */
export const SAMPLE_DIR = '.local-data';

/**
 * Writes `customers.jsonl` and `events.jsonl` into `dir` (created if needed) and returns their paths
 * with the data.
 */
export function writeSampleData(
  dir: string = SAMPLE_DIR,
  options: SampleOptions = {},
): { customersFile: string; eventsFile: string; data: SampleData } {
  const data = generateSampleData(options);
  const { customers, events } = sampleDataLines(data);
  mkdirSync(dir, { recursive: true });
  const customersFile = join(dir, 'customers.jsonl');
  const eventsFile = join(dir, 'events.jsonl');
  writeFileSync(customersFile, customers);
  writeFileSync(eventsFile, events);
  return { customersFile, eventsFile, data };
}

/** `contact sample-data`: writes the two files and says what is in them (no personal data: counts). */
export function runSampleDataCommand(c: { dir?: string } & SampleOptions): number {
  const { dir, ...options } = c;
  const { customersFile, eventsFile, data } = writeSampleData(dir, { ...DEMO_HISTORY, ...options });
  const byType = new Map<string, number>();
  for (const e of data.events) byType.set(e.detailType, (byType.get(e.detailType) ?? 0) + 1);
  console.log(
    `wrote ${customersFile} (${data.customers.length.toLocaleString('en')} customers) and ${eventsFile} (${data.events.length.toLocaleString('en')} events, ${data.options.days} days from ${data.options.start}, seed ${data.options.seed})`,
  );
  for (const [type, n] of [...byType].sort((a, b) => b[1] - a[1]))
    console.log(`  ${type.padEnd(24)} ${n.toLocaleString('en').padStart(7)}`);
  return 0;
}
