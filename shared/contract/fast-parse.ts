import { isTimeZone } from '#shared/strategy/vocabulary.ts';
import { envelope, useFastParsers } from '#shared/use-cases/customer-data.ts';
import type * as z from '#shared/validation.ts';
import { consentDetail, isoTime, profileDetail } from './events.ts';

/**
 * Fast paths in front of the zod schemas of the customer-data events, for the events that are valid:
 * each answers either `undefined` ("ask zod") or exactly what zod's `safeParse` would give as `data`
 * — the same fields in the same order, the same values. zod stays the source of truth: anything
 * unusual (an unknown or `undefined` field, a length zod counts in code points, an object that is not
 * a plain one) goes to zod, and so does every invalid event, for its message. The checks are zod's
 * own: the regular expressions, length limits, enums and prefix are read from the schemas themselves
 * (at module load, which throws if one is missing or the fields changed, so the two cannot drift
 * apart), `isTimeZone` is the one the schema refines with. test/unit/fast-parse.test.ts feeds
 * generated valid and invalid events to both and compares.
 *
 * Why: zod/mini walks a schema with a payload per node; these checks cost a tenth of that, on every
 * profile and consent event `contact simulate` replays. It installs them ({@link installFastParsers}),
 * as do its worker threads and the demo; nothing else does. The Lambda functions never import this
 * module: the `profile` bundle stays as small as it was.
 */

type Fields = Record<string, unknown>;

/** A plain object (`{...}`, as JSON.parse makes it): not an array, no own prototype. */
const isPlain = (v: unknown): v is Fields =>
  typeof v === 'object' && v !== null && Object.getPrototypeOf(v) === Object.prototype;

/** A schema's (or a check's) definition: the kind, its checks, what it wraps, its limits. */
type Def = Record<string, unknown> & { checks?: unknown[]; options?: unknown[] };
const defOf = (node: unknown): Def | undefined => (node as { _zod?: { def?: Def } } | undefined)?._zod?.def;

/**
 * Every definition a schema's values are checked against: its own, its checks', and through optional,
 * union and record keys theirs (not array elements or object fields: those are checks of another value).
 */
function defsOf(schema: z.ZodMiniType): Def[] {
  const found: Def[] = [];
  const visit = (node: unknown, depth: number): void => {
    const def = defOf(node);
    if (!def || depth > 6) return;
    found.push(def);
    for (const child of [def.innerType, def.keyType, ...(def.options ?? []), ...(def.checks ?? [])])
      visit(child, depth + 1);
  };
  visit(schema, 0);
  return found;
}

/**
 * The one regular expression a schema checks its strings with (a format's or a `z.regex` check's
 * `pattern`), or one that matches nothing — every value then goes to zod — when there is not exactly one.
 */
function patternOf(schema: z.ZodMiniType): RegExp {
  const found = new Set<RegExp>();
  for (const def of defsOf(schema)) if (def.pattern instanceof RegExp) found.add(def.pattern);
  const [pattern] = found;
  return found.size === 1 && pattern && !pattern.global && !pattern.sticky ? pattern : /$^/;
}

/**
 * The length limit a schema sets (`z.minLength` / `z.maxLength`; the tightest when there are several, so
 * the fast path never passes what zod refuses). Throws, at module load, when the schema has none: every
 * limit comes from the schemas, so a schema change cannot leave a stale copy of it here. Exported for
 * its test.
 */
export function lengthOf(schema: z.ZodMiniType, limit: 'min_length' | 'max_length', what: string): number {
  const found: number[] = [];
  for (const def of defsOf(schema))
    if (def.check === limit) found.push(Number(limit === 'min_length' ? def.minimum : def.maximum));
  if (found.length === 0 || found.some((n) => !Number.isSafeInteger(n) || n < 0))
    throw new Error(`fast-parse: the schema of ${what} has no ${limit} check`);
  return limit === 'min_length' ? Math.max(...found) : Math.min(...found);
}

/** The one `z.startsWith` prefix a schema checks; throws at module load when there is not exactly one. */
function prefixOf(schema: z.ZodMiniType, what: string): string {
  const found = defsOf(schema).flatMap((def) => (def.format === 'starts_with' ? [def.prefix] : []));
  const [prefix] = found;
  if (found.length !== 1 || typeof prefix !== 'string')
    throw new Error(`fast-parse: the schema of ${what} has no single startsWith check`);
  return prefix;
}

/** The values a schema's enum (or enums, through optional and union) allows; throws when it has none. */
function enumOf(schema: z.ZodMiniType, what: string): ReadonlySet<unknown> {
  const values = defsOf(schema).flatMap((def) =>
    def.type === 'enum' ? Object.values(def.entries as Record<string, unknown>) : [],
  );
  if (values.length === 0) throw new Error(`fast-parse: the schema of ${what} has no enum`);
  return new Set(values);
}

/** The fields the fast path knows, checked at module load against the schema's: the same, in its order. */
function fieldsOf(
  shape: Record<string, unknown>,
  known: readonly string[],
  what: string,
): ReadonlySet<string> {
  if (Object.keys(shape).join() !== known.join())
    throw new Error(`fast-parse: the fields of ${what} changed (${Object.keys(shape).join(', ')})`);
  return new Set(known);
}

const CUSTOMER_ID = patternOf(profileDetail.shape.customerId);
if (patternOf(consentDetail.shape.customerId) !== CUSTOMER_ID)
  throw new Error('fast-parse: profile and consent events check customer ids differently');
const EMAIL = patternOf(profileDetail.shape.email);
const LOCALE = patternOf(profileDetail.shape.locale);
const ATTRIBUTE_NAME = patternOf(profileDetail.shape.attributes);
const PURPOSE = patternOf(consentDetail.shape.purpose);
const ISO_TIME = patternOf(isoTime);

const endpointList = profileDetail.shape.pushEndpoints.def.innerType;
const [tokenEndpoint, arnEndpoint] = endpointList.def.element.def.options;
/** The limits the fast paths check, each read from its schema (test/unit/fast-parse.test.ts compares them). */
export const LIMITS = {
  phoneMax: lengthOf(profileDetail.shape.phone, 'max_length', 'profile phone'),
  endpointsMax: lengthOf(endpointList, 'max_length', 'profile pushEndpoints'),
  tokenMin: lengthOf(tokenEndpoint.shape.token, 'min_length', 'push token'),
  tokenMax: lengthOf(tokenEndpoint.shape.token, 'max_length', 'push token'),
  sourceMin: lengthOf(consentDetail.shape.source, 'min_length', 'consent source'),
  sourceMax: lengthOf(consentDetail.shape.source, 'max_length', 'consent source'),
  textVersionMax: lengthOf(consentDetail.shape.textVersion, 'max_length', 'consent textVersion'),
  envelopeIdMin: lengthOf(envelope.shape.id, 'min_length', 'envelope id'),
  envelopeIdMax: lengthOf(envelope.shape.id, 'max_length', 'envelope id'),
} as const;
const ARN_PREFIX = prefixOf(arnEndpoint.shape.arn, 'push endpoint arn');
const PLATFORMS = enumOf(tokenEndpoint.shape.platform, 'push platform');
if ([...enumOf(arnEndpoint.shape.platform, 'push platform')].join() !== [...PLATFORMS].join())
  throw new Error('fast-parse: the two push endpoint forms allow different platforms');
const CHANNEL_SET = enumOf(profileDetail.shape.preferredChannel, 'profile preferredChannel');
const CONSENT_CHANNELS = enumOf(consentDetail.shape.channel, 'consent channel');

const PROFILE_FIELDS = fieldsOf(
  profileDetail.shape,
  ['customerId', 'email', 'phone', 'pushEndpoints', 'locale', 'timezone', 'preferredChannel', 'attributes'],
  'CustomerProfileUpdated',
);
const CONSENT_FIELDS = fieldsOf(
  consentDetail.shape,
  ['customerId', 'purpose', 'channel', 'source', 'textVersion', 'occurredAt'],
  'Consent',
);
fieldsOf(envelope.shape, ['id', 'source', 'detail-type', 'time', 'detail'], 'the envelope');
fieldsOf(tokenEndpoint.shape, ['platform', 'token'], 'a push endpoint (token)');
fieldsOf(arnEndpoint.shape, ['arn', 'platform'], 'a push endpoint (arn)');

/** Every field known and none `undefined` (zod keeps a present `undefined`; leave that to it). */
function onlyKnown(v: Fields, known: ReadonlySet<string>): boolean {
  for (const k in v) if (!known.has(k) || v[k] === undefined) return false;
  return true;
}

/**
 * A string of at most `max` UTF-16 units and, when `min` is given, at least `2 * min - 1`: zod counts
 * code points, of which a string has at most as many as units and at least half as many (rounded up).
 * Strings in between go to zod, which counts.
 */
const sized = (v: unknown, max: number, min = 0): v is string =>
  typeof v === 'string' && v.length <= max && v.length >= 2 * min - 1;

const isCustomerId = (v: unknown): v is string => typeof v === 'string' && CUSTOMER_ID.test(v);

type PushEndpoints = NonNullable<z.output<typeof profileDetail>['pushEndpoints']>;

function pushEndpoints(v: unknown): PushEndpoints | undefined {
  if (!Array.isArray(v) || v.length > LIMITS.endpointsMax) return undefined;
  const out: PushEndpoints = [];
  for (const e of v) {
    if (!isPlain(e) || !PLATFORMS.has(e.platform)) return undefined;
    let keys = 0;
    for (const _ in e) keys++;
    const { platform, token, arn } = e as { platform: 'fcm' | 'apns'; token: unknown; arn: unknown };
    if (keys === 2 && sized(token, LIMITS.tokenMax, LIMITS.tokenMin)) out.push({ platform, token });
    else if (keys === 2 && typeof arn === 'string' && arn.startsWith(ARN_PREFIX)) out.push({ arn, platform });
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
    if (phone !== null && !sized(phone, LIMITS.phoneMax)) return undefined;
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
    !sized(source, LIMITS.sourceMax, LIMITS.sourceMin) ||
    !(textVersion === undefined || sized(textVersion, LIMITS.textVersionMax)) ||
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
 * The envelope zod checks in `customer-data.ts` (an `id` within its limits, `source`, `detail-type`, an
 * ISO `time`, any `detail`), when every check passes; else undefined.
 */
export function fastEnvelope(v: unknown): EnvelopeFields | undefined {
  if (!isPlain(v)) return undefined;
  const { id, source, time, detail } = v;
  const detailType = v['detail-type'];
  if (
    !sized(id, LIMITS.envelopeIdMax, LIMITS.envelopeIdMin) ||
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

/**
 * Puts these fast paths in front of the customer-data schemas in this thread (`useFastParsers`), for
 * the tools that replay many events: `contact simulate` (local/cli.ts), each of its worker threads
 * (local/simulate-worker.ts) and the demo (local/demo.ts). An explicit call, not a side effect of an
 * import, so that no other process (the local runtime, a Lambda function) runs them unawares.
 */
export function installFastParsers(): void {
  useFastParsers(
    new Map<z.ZodMiniType, (v: unknown) => unknown>([
      [envelope, fastEnvelope],
      [profileDetail, fastProfileDetail],
      [consentDetail, fastConsentDetail],
    ]),
  );
}
