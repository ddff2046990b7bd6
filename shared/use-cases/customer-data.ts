import { type CountryCode, parsePhoneNumberFromString } from 'libphonenumber-js/min';
import { consentDetail, customerId, isoTime, profileDetail } from '#shared/contract/events.ts';
import type { FastParsers } from '#shared/contract/fast-parse.ts';
import type { Profile, PushEndpoint } from '#shared/domain/customer.ts';
import { CONSENT_SOURCE, CUSTOMERS_SOURCE, PROFILE_SOURCE } from '#shared/domain/events.ts';
import type { Clock, PushRegistry } from '#shared/domain/ports.ts';
import type { CustomerDataStore, CustomerExport, DateIndexEntry } from '#shared/domain/store.ts';
import { MAX_EVENT_BYTES } from '#shared/engine/event.ts';
import { InvalidInputError } from '#shared/errors.ts';
import type { Strategy } from '#shared/strategy/schema.ts';
import * as z from '#shared/validation.ts';

/**
 * The public events that change what we know about a customer (DESIGN.md "Public contracts"):
 * `contact.profiles`/`CustomerProfileUpdated`, `contact.consent`/`ConsentGranted`|`ConsentWithdrawn`,
 * `contact.customers`/`CustomerErasureRequested`. Each is validated in full before anything is written:
 * bad input gets a clear error (field names only, never values) and changes nothing.
 */

export interface CustomerDataDeps {
  readonly store: CustomerDataStore;
  /**
   * What of the strategy customer data needs: which date attributes its date-triggered campaigns read,
   * and the default time zone. Not the compiled engine: the profile function never decides.
   */
  readonly strategy: DateTriggerStrategy;
  readonly clock: Clock;
  readonly pushRegistry?: PushRegistry;
  /** SNS platform application ARNs per platform, from the deploy settings. */
  readonly platformApplications?: Partial<Record<'fcm' | 'apns', string>>;
}

// The public event details: one definition in the app contract (shared/contract/events.ts).
export { consentDetail, profileDetail } from '#shared/contract/events.ts';

/** The EventBridge envelope as the use cases read it (exported for the fast path's test). */
export const envelope = z.object({
  id: z.string().check(z.minLength(1), z.maxLength(128)),
  source: z.string(),
  'detail-type': z.string(),
  time: isoTime,
  detail: z.unknown(),
});

type Envelope = z.output<typeof envelope>;

/**
 * Checks that answer for valid events as zod would, several times faster (`fast-parse.ts`), when a
 * local tool installed them (`installFastParsers`): `contact simulate`, its worker threads and the demo
 * validate hundreds of thousands of events. The Lambda functions leave them out: the `profile` bundle is close to its size budget, and
 * next to its DynamoDB calls zod's microseconds do not count.
 */
let fast: FastParsers | undefined;

/** Installs (or, with undefined, removes) the fast paths in front of the schemas, by schema. */
export function useFastParsers(parsers: FastParsers | undefined): void {
  fast = parsers;
}

/**
 * The value as the schema parses it, or an {@link InvalidInputError} naming the fields. The schema's
 * fast path, when installed, answers for the values it knows zod passes as they are; zod decides the rest.
 */
function parse<T>(schema: z.ZodMiniType<T>, value: unknown, what: string): T {
  const known = fast?.get(schema)?.(value);
  if (known !== undefined) return known as T;
  const result = schema.safeParse(value);
  if (result.success) return result.data;
  const problems = result.error.issues.map((i) => `${i.path.join('.') || '(root)'} ${i.message}`);
  throw new InvalidInputError(`${what}: ${problems.join('; ')}`);
}

/** Valid numbers already normalised, per region and number as given. */
const normalised = new Map<string, Map<string, string>>();

/** E.164 via libphonenumber-js; national numbers are read in the customer's country (NL by default). */
export function normalisePhone(phone: string, country: unknown): string {
  const region = typeof country === 'string' ? country : 'NL';
  // Memoised (a pure function, and a slow one): an import validates a row, then loads it.
  let known = normalised.get(region);
  const hit = known?.get(phone);
  if (hit !== undefined) return hit;
  const parsed = parsePhoneNumberFromString(phone, region as CountryCode);
  if (!parsed?.isValid())
    throw new InvalidInputError('CustomerProfileUpdated: phone is not a valid phone number');
  if (!known || known.size >= 100_000) {
    if (normalised.size >= 300) normalised.clear();
    known = new Map();
    normalised.set(region, known);
  }
  known.set(phone, parsed.number);
  return parsed.number;
}

/**
 * `new Date(t).toISOString()` (and its RangeError), remembered for the last `t`: events come in bursts
 * of one time, and the clock reads the same second. One for event times, one for the clock's.
 */
export function isoMemo(): (t: string | number) => string {
  let last: string | number | undefined;
  let iso = '';
  return (t) => {
    if (t !== last) {
      iso = new Date(t).toISOString();
      last = t;
    }
    return iso;
  };
}
const eventIso = isoMemo();
const nowIso = isoMemo();

export type DateTriggerStrategy = Pick<Strategy, 'campaigns' | 'defaults'>;

/** The date attributes the daily job must find by index, from the strategy's date-triggered campaigns. */
export function dateIndexFor(strategy: DateTriggerStrategy, profile: Profile): DateIndexEntry[] {
  const entries = new Map<string, DateIndexEntry>();
  for (const campaign of strategy.campaigns) {
    const date = campaign.trigger.date;
    if (!date || !campaign.enabled) continue;
    const value = profile.attributes[date.attribute];
    if (typeof value !== 'string' || !/^\d{4}-\d{2}-\d{2}/.test(value)) continue;
    const key = date.anniversary ? value.slice(5, 10) : value.slice(0, 10);
    entries.set(`${date.attribute}#${date.anniversary}`, {
      attribute: date.attribute,
      anniversary: date.anniversary,
      key,
      timezone: profile.timezone ?? strategy.defaults.timezone,
    });
  }
  return [...entries.values()];
}

async function registerPush(
  deps: CustomerDataDeps,
  endpoints: z.infer<typeof profileDetail>['pushEndpoints'],
): Promise<PushEndpoint[] | undefined> {
  if (!endpoints) return undefined;
  const out: PushEndpoint[] = [];
  for (const e of endpoints) {
    if ('arn' in e) {
      out.push({ arn: e.arn, platform: e.platform, enabled: true });
      continue;
    }
    const application = deps.platformApplications?.[e.platform];
    if (!application || !deps.pushRegistry) {
      throw new InvalidInputError(
        `CustomerProfileUpdated: no ${e.platform} platform application is configured`,
      );
    }
    const { endpointArn, enabled } = await deps.pushRegistry.register(application, e.token);
    out.push({ arn: endpointArn, platform: e.platform, enabled });
  }
  return out;
}

/**
 * `CustomerProfileUpdated`: validates every field (email syntax, phone to E.164, IANA time zone),
 * registers push tokens as SNS endpoints, then merges the update into the stored profile: fields that
 * are absent stay, `null` removes, `attributes` merge key by key (`null` removes a key). An update older
 * than the stored profile is ignored; an erased customer is not recreated.
 */
export async function applyProfileUpdate(
  deps: CustomerDataDeps,
  event: unknown,
): Promise<'saved' | 'stale' | 'erased'> {
  return saveProfile(deps, parse(envelope, event, 'CustomerProfileUpdated'));
}

async function saveProfile(
  deps: CustomerDataDeps,
  { time, detail: raw }: Envelope,
): Promise<'saved' | 'stale' | 'erased'> {
  const detail = parse(profileDetail, raw, 'CustomerProfileUpdated');
  if (JSON.stringify(detail).length > MAX_EVENT_BYTES)
    throw new InvalidInputError('CustomerProfileUpdated: too large');
  const country = detail.attributes?.country;
  const phone = typeof detail.phone === 'string' ? normalisePhone(detail.phone, country) : detail.phone;
  const pushEndpoints = await registerPush(deps, detail.pushEndpoints);
  const updatedAt = eventIso(time);
  return deps.store.mergeProfile(
    detail.customerId,
    (current) => {
      // One object of one shape (a field set to undefined is absent to both stores: the memory store
      // normalises, DynamoDB's marshalling drops it), not a copy grown field by field.
      const changes = detail.attributes;
      const attributes: Record<string, unknown> = { ...current?.attributes, ...changes };
      for (const k in changes) if (attributes[k] === null) delete attributes[k]; // (a plain object: own keys)
      return {
        customerId: detail.customerId,
        email: detail.email === null ? undefined : (detail.email?.toLowerCase() ?? current?.email),
        phone: phone === null ? undefined : (phone ?? current?.phone),
        pushEndpoints: pushEndpoints ?? current?.pushEndpoints,
        locale: detail.locale ?? current?.locale,
        timezone: detail.timezone ?? current?.timezone,
        preferredChannel:
          detail.preferredChannel === null
            ? undefined
            : (detail.preferredChannel ?? current?.preferredChannel),
        attributes,
        updatedAt,
      } as Profile;
    },
    updatedAt,
    (profile) => dateIndexFor(deps.strategy, profile),
  );
}

/**
 * `ConsentGranted` / `ConsentWithdrawn`: appends to the ledger (who, when, source, text version,
 * purpose, channel) and updates the derived state. From the moment it is recorded, every decision sees
 * it — also deferred sends decided before it, which re-check consent when they fall due.
 */
export async function applyConsentEvent(
  deps: CustomerDataDeps,
  event: unknown,
): Promise<'recorded' | 'erased'> {
  return saveConsent(deps, parse(envelope, event, 'Consent event'));
}

async function saveConsent(
  deps: CustomerDataDeps,
  { id, 'detail-type': detailType, detail: raw }: Envelope,
): Promise<'recorded' | 'erased'> {
  if (detailType !== 'ConsentGranted' && detailType !== 'ConsentWithdrawn') {
    throw new InvalidInputError('Consent event: detail-type must be ConsentGranted or ConsentWithdrawn');
  }
  const detail = parse(consentDetail, raw, detailType);
  return deps.store.recordConsent({
    customerId: detail.customerId,
    purpose: detail.purpose,
    channel: detail.channel,
    granted: detailType === 'ConsentGranted',
    source: detail.source,
    ...(detail.textVersion !== undefined && { textVersion: detail.textVersion }),
    occurredAt: eventIso(detail.occurredAt),
    recordedAt: nowIso(deps.clock.now()),
    eventId: id,
  });
}

/** `CustomerErasureRequested`: removes everything about the customer, leaves an anonymised tombstone. */
export async function eraseCustomer(deps: CustomerDataDeps, event: unknown): Promise<number> {
  const { detail } = parse(envelope, event, 'CustomerErasureRequested');
  const { customerId: id } = parse(z.object({ customerId }), detail, 'CustomerErasureRequested');
  return deps.store.erase(id, nowIso(deps.clock.now()));
}

/** A data-subject access request: everything stored about the customer, as JSON. */
export async function exportCustomer(
  deps: Pick<CustomerDataDeps, 'store'>,
  id: string,
): Promise<CustomerExport> {
  parse(customerId, id, 'export');
  return deps.store.exportCustomer(id);
}

/** Routes a public customer-data event to its use case. Anything else is invalid input. */
export async function applyCustomerEvent(deps: CustomerDataDeps, event: unknown): Promise<string> {
  // The envelope is checked once: the event's own use case takes it as parsed here.
  const checked = parse(envelope, event, 'Customer event');
  const { source, 'detail-type': detailType } = checked;
  if (source === PROFILE_SOURCE && detailType === 'CustomerProfileUpdated') return saveProfile(deps, checked);
  if (source === CONSENT_SOURCE) return saveConsent(deps, checked);
  if (source === CUSTOMERS_SOURCE && detailType === 'CustomerErasureRequested') {
    return `erased ${await eraseCustomer(deps, event)} items`;
  }
  throw new InvalidInputError(`Customer event: unknown ${source} / ${detailType}`);
}
