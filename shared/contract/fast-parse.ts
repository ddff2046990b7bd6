import { CUSTOMER_ID } from '#shared/engine/event.ts';
import { CHANNELS, isTimeZone } from '#shared/strategy/vocabulary.ts';
import type * as z from '#shared/validation.ts';
import { consentDetail, isoTime, profileDetail } from './events.ts';

/**
 * Fast paths in front of the zod schemas of the customer-data events, for the events that are valid:
 * each answers either `undefined` ("ask zod") or exactly what zod's `safeParse` would give as `data`
 * — the same fields in the same order, the same values. zod stays the source of truth: anything
 * unusual (an unknown or `undefined` field, a length zod counts in code points, an object that is not
 * a plain one) goes to zod, and so does every invalid event, for its message. The string checks are
 * zod's own: the regular expressions are taken from the schemas themselves, `isTimeZone` is the one
 * the schema refines with. test/unit/fast-parse.test.ts feeds generated valid and invalid events to
 * both and compares.
 *
 * Why: zod/mini walks a schema with a payload per node; these checks cost a tenth of that, on every
 * profile and consent event of `contact import` and `contact simulate`, which install them
 * (`useFastParsers`). The Lambda functions do not: the `profile` bundle stays as small as it was.
 */

type Fields = Record<string, unknown>;

/** A plain object (`{...}`, as JSON.parse makes it): not an array, no own prototype. */
const isPlain = (v: unknown): v is Fields =>
  typeof v === 'object' && v !== null && Object.getPrototypeOf(v) === Object.prototype;

/**
 * The one regular expression a schema checks its strings with (a format's or a `z.regex` check's
 * `pattern`, looking through optional, union, record key and checks), or one that matches nothing —
 * every value then goes to zod — when there is not exactly one.
 */
function patternOf(schema: z.ZodMiniType): RegExp {
  const found = new Set<RegExp>();
  const visit = (node: unknown, depth: number): void => {
    const def = (node as { _zod?: { def?: Record<string, unknown> } } | undefined)?._zod?.def;
    if (!def || depth > 6) return;
    if (def.pattern instanceof RegExp) found.add(def.pattern);
    for (const child of [
      def.innerType,
      def.keyType,
      ...((def.options ?? []) as unknown[]),
      ...((def.checks ?? []) as unknown[]),
    ])
      visit(child, depth + 1);
  };
  visit(schema, 0);
  const [pattern] = found;
  return found.size === 1 && pattern && !pattern.global && !pattern.sticky ? pattern : /$^/;
}

const EMAIL = patternOf(profileDetail.shape.email);
const LOCALE = patternOf(profileDetail.shape.locale);
const ATTRIBUTE_NAME = patternOf(profileDetail.shape.attributes);
const PURPOSE = patternOf(consentDetail.shape.purpose);
const ISO_TIME = patternOf(isoTime);
const PROFILE_FIELDS = new Set([
  'customerId',
  'email',
  'phone',
  'pushEndpoints',
  'locale',
  'timezone',
  'preferredChannel',
  'attributes',
]);
const CONSENT_FIELDS = new Set(['customerId', 'purpose', 'channel', 'source', 'textVersion', 'occurredAt']);
const CHANNEL_SET: ReadonlySet<unknown> = new Set(CHANNELS);
const CONSENT_CHANNELS: ReadonlySet<unknown> = new Set([...CHANNELS, 'all']);
const PLATFORMS: ReadonlySet<unknown> = new Set(['fcm', 'apns']);

/** Every field known and none `undefined` (zod keeps a present `undefined`; leave that to it). */
function onlyKnown(v: Fields, known: ReadonlySet<string>): boolean {
  for (const k in v) if (!known.has(k) || v[k] === undefined) return false;
  return true;
}

/**
 * A string of at most `max` UTF-16 units: zod counts code points, which are never more. Longer
 * strings go to zod, which counts.
 */
const shortString = (v: unknown, max: number): v is string => typeof v === 'string' && v.length <= max;

const isCustomerId = (v: unknown): v is string => typeof v === 'string' && CUSTOMER_ID.test(v);

type PushEndpoints = NonNullable<z.output<typeof profileDetail>['pushEndpoints']>;

function pushEndpoints(v: unknown): PushEndpoints | undefined {
  if (!Array.isArray(v) || v.length > 10) return undefined;
  const out: PushEndpoints = [];
  for (const e of v) {
    if (!isPlain(e) || !PLATFORMS.has(e.platform)) return undefined;
    let keys = 0;
    for (const _ in e) keys++;
    const { platform, token, arn } = e as { platform: 'fcm' | 'apns'; token: unknown; arn: unknown };
    // (min 8 code points: 16 units are always 8 or more; shorter ones go to zod, which counts.)
    if (keys === 2 && typeof token === 'string' && token.length >= 16 && token.length <= 4096)
      out.push({ platform, token });
    else if (keys === 2 && typeof arn === 'string' && arn.startsWith('arn:aws:sns:'))
      out.push({ arn, platform });
    else return undefined;
  }
  return out;
}

function attributes(v: unknown): Record<string, unknown> | undefined {
  if (!isPlain(v) || Object.getOwnPropertySymbols(v).length > 0) return undefined;
  const out: Record<string, unknown> = {};
  for (const k in v) {
    if (k === '__proto__' || !ATTRIBUTE_NAME.test(k)) return undefined;
    out[k] = v[k];
  }
  return out;
}

/** `profileDetail.safeParse(v).data` when `v` is a valid profile update zod would pass as it is, else undefined. */
export function fastProfileDetail(v: unknown): z.output<typeof profileDetail> | undefined {
  if (!isPlain(v) || !onlyKnown(v, PROFILE_FIELDS) || !isCustomerId(v.customerId)) return undefined;
  // The fields in the schema's order, as zod's output has them.
  const out: Fields = { customerId: v.customerId };
  const { email, phone, locale, timezone, preferredChannel } = v;
  if (email !== undefined) {
    if (email !== null && !(typeof email === 'string' && EMAIL.test(email))) return undefined;
    out.email = email;
  }
  if (phone !== undefined) {
    if (phone !== null && !shortString(phone, 32)) return undefined;
    out.phone = phone;
  }
  if (v.pushEndpoints !== undefined) {
    const endpoints = pushEndpoints(v.pushEndpoints);
    if (!endpoints) return undefined;
    out.pushEndpoints = endpoints;
  }
  if (locale !== undefined) {
    if (!(typeof locale === 'string' && LOCALE.test(locale))) return undefined;
    out.locale = locale;
  }
  if (timezone !== undefined) {
    if (!(typeof timezone === 'string' && isTimeZone(timezone))) return undefined;
    out.timezone = timezone;
  }
  if (preferredChannel !== undefined) {
    if (preferredChannel !== null && !CHANNEL_SET.has(preferredChannel)) return undefined;
    out.preferredChannel = preferredChannel;
  }
  if (v.attributes !== undefined) {
    const attrs = attributes(v.attributes);
    if (!attrs) return undefined;
    out.attributes = attrs;
  }
  return out as z.output<typeof profileDetail>;
}

/** `consentDetail.safeParse(v).data` when `v` is a valid consent detail zod would pass as it is, else undefined. */
export function fastConsentDetail(v: unknown): z.output<typeof consentDetail> | undefined {
  if (!isPlain(v) || !onlyKnown(v, CONSENT_FIELDS)) return undefined;
  const { customerId, purpose, channel, source, textVersion, occurredAt } = v;
  if (
    !isCustomerId(customerId) ||
    !(typeof purpose === 'string' && PURPOSE.test(purpose)) ||
    !CONSENT_CHANNELS.has(channel) ||
    !(shortString(source, 64) && source.length >= 1) ||
    !(textVersion === undefined || shortString(textVersion, 64)) ||
    !(typeof occurredAt === 'string' && ISO_TIME.test(occurredAt))
  )
    return undefined;
  return {
    customerId,
    purpose,
    channel: channel as z.output<typeof consentDetail>['channel'],
    source,
    ...(textVersion !== undefined && { textVersion }),
    occurredAt,
  };
}

/** What the customer-data use cases read of an EventBridge envelope. */
export interface EnvelopeFields {
  id: string;
  source: string;
  'detail-type': string;
  time: string;
  detail: unknown;
}

/**
 * The envelope zod checks in `customer-data.ts` (`id` 1-128 characters, `source`, `detail-type`, an
 * ISO `time`, any `detail`), when every check passes; else undefined.
 */
export function fastEnvelope(v: unknown): EnvelopeFields | undefined {
  if (!isPlain(v)) return undefined;
  const { id, source, time, detail } = v;
  const detailType = v['detail-type'];
  if (
    !(shortString(id, 128) && id.length >= 1) ||
    typeof source !== 'string' ||
    typeof detailType !== 'string' ||
    !(typeof time === 'string' && ISO_TIME.test(time)) ||
    !('detail' in v)
  )
    return undefined;
  return { id, source, 'detail-type': detailType, time, detail };
}

/** Fast paths by the schema they stand in front of, as `useFastParsers` (customer-data.ts) takes them. */
export type FastParsers = ReadonlyMap<z.ZodMiniType, (v: unknown) => unknown>;
