import { CONSENT_SOURCE, CUSTOMERS_SOURCE, PROFILE_SOURCE } from '#shared/domain/events.ts';
import { CUSTOMER_ID } from '#shared/engine/event.ts';
import { CHANNELS, isTimeZone } from '#shared/strategy/vocabulary.ts';
import * as z from '#shared/validation.ts';

/**
 * The public events apps put on the `contact-triggers` bus (DESIGN.md "Public contracts"), as zod
 * schemas: one definition for the platform's intake (`customer-data` validates with these), for the
 * typed emitter apps use (`emitCustomerEvent`), and for the EventBridge schema registry that `cdk
 * deploy` creates (JSON Schema draft 4, from which producers in other languages download bindings).
 * The names are the contract: change them only with a migration note.
 *
 * Written with `zod/mini` (`#shared/validation.ts`): the same checks and messages as `zod`, a
 * fraction of the code in the `profile` function that runs them on every profile and consent event.
 */

/** A schema with its JSON Schema annotations (title, description), for the registry. */
function described<T extends z.ZodMiniType>(schema: T, meta: z.core.GlobalMeta): T {
  z.globalRegistry.add(schema, meta);
  return schema;
}

export const customerId = described(
  z
    .string({ error: 'is required (a string)' })
    .check(z.regex(CUSTOMER_ID, { error: 'is not a valid customer id' })),
  { description: 'The customer’s id in the producing systems (opaque, 1-128 printable characters).' },
);

export const isoTime = z.iso.datetime({ offset: true, error: 'is not an ISO timestamp' });

/** `contact.profiles` / `CustomerProfileUpdated`: any of the fields; `null` clears one. */
export const profileDetail = described(
  z.strictObject({
    customerId,
    email: z.optional(z.union([z.email({ error: 'is not a valid email address' }), z.null()])),
    phone: described(z.optional(z.union([z.string().check(z.maxLength(32)), z.null()])), {
      description: 'E.164 (+31612345678), or national in the customer’s country.',
    }),
    pushEndpoints: z.optional(
      z
        .array(
          z.union([
            z.strictObject({
              platform: z.enum(['fcm', 'apns']),
              token: z.string().check(z.minLength(8), z.maxLength(4096)),
            }),
            z.strictObject({
              arn: z.string().check(z.startsWith('arn:aws:sns:')),
              platform: z.enum(['fcm', 'apns']),
            }),
          ]),
        )
        .check(z.maxLength(10)),
    ),
    locale: z.optional(
      z.string().check(z.regex(/^[a-z]{2}(-[A-Z]{2})?$/, { error: 'is not a locale like nl or nl-BE' })),
    ),
    timezone: described(
      z.optional(
        z.string().check(
          z.refine(isTimeZone, {
            error: (issue) =>
              `${JSON.stringify(issue.input)} is not an IANA time zone (use Europe/Amsterdam)`,
          }),
        ),
      ),
      { description: 'IANA time zone, e.g. Europe/Amsterdam.' },
    ),
    preferredChannel: z.optional(z.union([z.enum(CHANNELS), z.null()])),
    attributes: described(
      z.optional(z.record(z.string().check(z.regex(/^[A-Za-z_][A-Za-z0-9_]{0,63}$/)), z.unknown())),
      { description: 'Segment fields and dates (country, lifecycle, birthDate, contractEndDate, ...).' },
    ),
  }),
  { title: 'CustomerProfileUpdated' },
);

/** `contact.consent` / `ConsentGranted` | `ConsentWithdrawn`. */
export const consentDetail = described(
  z.strictObject({
    customerId,
    purpose: z
      .string({ error: 'is required (marketing, service, ...)' })
      .check(z.regex(/^[a-z][a-z0-9-]{0,31}$/, { error: 'is not a purpose' })),
    channel: z.enum([...CHANNELS, 'all'], { error: `is not a channel (${[...CHANNELS, 'all'].join(', ')})` }),
    source: z
      .string({ error: 'is required (form, app, call centre)' })
      .check(z.minLength(1), z.maxLength(64)),
    textVersion: z.optional(z.string().check(z.maxLength(64))),
    occurredAt: isoTime,
  }),
  { title: 'Consent' },
);

/** `contact.customers` / `CustomerErasureRequested`. */
export const erasureDetail = described(z.strictObject({ customerId }), { title: 'CustomerErasureRequested' });

/** Any app event a campaign may trigger on: `customerId` plus the event's own fields. */
export const appEventDetail = described(z.looseObject({ customerId }), {
  title: 'CustomerEvent',
  description: '`customerId` plus the event’s own fields.',
});

/** The platform's own event namespaces: an app may not impersonate them. */
const RESERVED_SOURCE = /^(aws\.|contact\.)/;

/** The public event types, by source and detail-type. */
export const PUBLIC_EVENTS = [
  { source: PROFILE_SOURCE, detailType: 'CustomerProfileUpdated', detail: profileDetail },
  { source: CONSENT_SOURCE, detailType: 'ConsentGranted', detail: consentDetail },
  { source: CONSENT_SOURCE, detailType: 'ConsentWithdrawn', detail: consentDetail },
  { source: CUSTOMERS_SOURCE, detailType: 'CustomerErasureRequested', detail: erasureDetail },
] as const;

export type ProfileDetail = z.input<typeof profileDetail>;
export type ConsentDetail = z.input<typeof consentDetail>;

/** An event as an app emits it; `time` defaults to now, `resources` to none. */
interface Base {
  readonly time?: Date | string;
  readonly resources?: readonly string[];
}
export type CustomerEvent =
  | (Base & { source: 'contact.profiles'; detailType: 'CustomerProfileUpdated'; detail: ProfileDetail })
  | (Base & {
      source: 'contact.consent';
      detailType: 'ConsentGranted' | 'ConsentWithdrawn';
      detail: ConsentDetail;
    })
  | (Base & {
      source: 'contact.customers';
      detailType: 'CustomerErasureRequested';
      detail: { customerId: string };
    })
  | (Base & { source: string; detailType: string; detail: { customerId: string; [field: string]: unknown } });

/** Every problem of one event, each naming its field (`detail.email: is not a valid email address`). */
export function customerEventProblems(event: unknown): string[] {
  if (typeof event !== 'object' || event === null) return ['(event): is not an object'];
  const e = event as Record<string, unknown>;
  const problems: string[] = [];
  const { source, detailType } = e;
  if (typeof source !== 'string' || !/^[A-Za-z0-9._-]{1,256}$/.test(source))
    problems.push('source: is required (1-256 of letters, digits, . _ -)');
  if (typeof detailType !== 'string' || detailType.length === 0 || detailType.length > 256)
    problems.push('detailType: is required (1-256 characters)');
  if (
    e.time !== undefined &&
    !(e.time instanceof Date ? !Number.isNaN(e.time.getTime()) : isoTime.safeParse(e.time).success)
  )
    problems.push('time: is not a date or ISO timestamp');
  if (
    e.resources !== undefined &&
    !(Array.isArray(e.resources) && e.resources.every((r) => typeof r === 'string'))
  )
    problems.push('resources: is not a list of ARNs');
  if (problems.length > 0 && (typeof source !== 'string' || typeof detailType !== 'string')) return problems;
  const known = PUBLIC_EVENTS.find((p) => p.source === source && p.detailType === detailType);
  let schema: z.ZodMiniType = appEventDetail;
  if (known) schema = known.detail;
  else if (typeof source === 'string' && RESERVED_SOURCE.test(source)) {
    const types = PUBLIC_EVENTS.filter((p) => p.source === source).map((p) => p.detailType);
    problems.push(
      types.length > 0
        ? `detailType: ${JSON.stringify(detailType)} is not an event of ${source} (${types.join(', ')})`
        : `source: ${source} is reserved for the platform (aws.*, contact.*)`,
    );
    return problems;
  }
  const parsed = schema.safeParse(e.detail);
  if (!parsed.success) {
    for (const issue of parsed.error.issues) {
      const path = ['detail', ...issue.path.map(String)].join('.');
      problems.push(`${path}: ${issue.message}`);
    }
  }
  return problems;
}

/**
 * The events as JSON Schema draft 4 documents of the whole EventBridge envelope (what the schema
 * registry holds), one per public event type plus the generic customer event.
 */
export function eventJsonSchemas(): { name: string; source: string; detailType: string; content: string }[] {
  const envelope = (source: string | undefined, detailType: string | undefined, detail: z.ZodMiniType) => {
    const detailSchema = z.toJSONSchema(detail, { target: 'draft-04', io: 'input', unrepresentable: 'any' });
    const { $schema: _, ...detailBody } = detailSchema as Record<string, unknown>;
    return {
      $schema: 'http://json-schema.org/draft-04/schema#',
      title: (detailBody.title as string | undefined) ?? detailType ?? 'CustomerEvent',
      type: 'object',
      required: ['detail-type', 'source', 'detail'],
      properties: {
        version: { type: 'string' },
        id: { type: 'string' },
        'detail-type': detailType ? { type: 'string', enum: [detailType] } : { type: 'string' },
        source: source ? { type: 'string', enum: [source] } : { type: 'string' },
        account: { type: 'string' },
        time: { type: 'string', format: 'date-time' },
        region: { type: 'string' },
        resources: { type: 'array', items: { type: 'string' } },
        detail: detailBody,
      },
    };
  };
  return [
    ...PUBLIC_EVENTS.map((p) => ({
      name: `${p.source}@${p.detailType}`,
      source: p.source,
      detailType: p.detailType,
      content: JSON.stringify(envelope(p.source, p.detailType, p.detail)),
    })),
    {
      name: 'contact.apps@CustomerEvent',
      source: '*',
      detailType: '*',
      content: JSON.stringify(envelope(undefined, undefined, appEventDetail)),
    },
  ];
}
