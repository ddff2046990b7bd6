import * as z from 'zod';
import { CHANNELS, DURATION, isTimeZone, MOMENTS, PURPOSES } from './vocabulary.ts';

export {
  CHANNELS,
  type Channel,
  DURATION,
  MOMENTS,
  type Moment,
  PURPOSES,
  type Purpose,
} from './vocabulary.ts';

/**
 * The contact-strategy file's schema. One zod schema is the single source of truth: it validates the
 * YAML, gives the TypeScript types, and exports the JSON Schema that editors use for autocompletion
 * (`npx contact schema` rewrites `strategy/contact-strategy.schema.json`).
 *
 * Checks that need the whole file (unknown templates, duplicate ids, weights summing to 100, valid
 * EventBridge patterns) live in `validate.ts`.
 */

const fail = (what: string) => (issue: { input?: unknown }) => `${JSON.stringify(issue.input)} ${what}`;

export const duration = z
  .string({ error: fail('is not a duration (use 7d, 12h, 30m)') })
  .regex(DURATION, { error: fail('is not a duration (use 7d, 12h, 30m)') })
  .meta({
    description: 'A duration: a whole number and a unit m (minutes), h (hours), d (days) or w (weeks).',
  });

/** `5%` or `12.5%`; also a plain number of percent. */
export const percent = z
  .union([z.number(), z.string().regex(/^\d+(\.\d+)?%$/)], { error: fail('is not a percentage (use 10%)') })
  .transform((v) => (typeof v === 'number' ? v : Number.parseFloat(v)))
  .pipe(z.number().min(0, { error: 'must be at least 0%' }).max(100, { error: 'must be at most 100%' }));

const clockTime = z
  .string()
  .regex(/^([01]\d|2[0-3]):[0-5]\d$/, { error: fail('is not a time of day (use 21:00)') });

/**
 * How long a campaign that normally fires may stay silent before its "no triggers" alarm goes off:
 * whole hours from 1h to 7d (CloudWatch evaluates an alarm over at most 7 days), or false for never.
 */
export const silentAfter = z
  .union([duration, z.literal(false)], { error: fail('is not a duration (use 24h) or false') })
  // (Only for a duration: anything else has its error from the union already.)
  .refine((v) => typeof v !== 'string' || !DURATION.test(v) || silentAfterHours(v) !== undefined, {
    error: fail('must be whole hours from 1h to 7d (e.g. 24h, 3d), or false'),
  })
  .meta({
    description:
      'Alarm when no trigger arrived for this long (a campaign that normally fires): whole hours from 1h to 7d, or false for no alarm.',
  });

/** `silentAfter` in whole hours (1–168); undefined when it is not whole hours in that range. */
export function silentAfterHours(value: string): number | undefined {
  const m = DURATION.exec(value);
  if (!m) return undefined;
  const n = Number(m[1]);
  const hours = m[2] === 'm' ? n / 60 : m[2] === 'h' ? n : m[2] === 'd' ? n * 24 : n * 168;
  return Number.isInteger(hours) && hours >= 1 && hours <= 168 ? hours : undefined;
}

/** Zones `Intl` accepted: building a formatter costs tens of microseconds, and every profile names one. */
export const timeZone = z
  .string()
  .refine(isTimeZone, { error: fail('is not an IANA time zone (use Europe/Amsterdam)') });

const identifier = z.string().regex(/^[a-z][a-z0-9-]{0,62}$/, {
  error: fail('is not an id (lower-case letters, digits and -, max 63)'),
});

export const purpose = z.enum(PURPOSES, {
  error: fail(`is not a consent purpose (use ${PURPOSES.join(', ')})`),
});

export const channel = z.enum(CHANNELS, { error: fail(`is not a channel (use ${CHANNELS.join(', ')})`) });

/** Contact moments: the customer is already in contact (at the till, on the phone, on the website). */

const momentText = z
  .union([
    z.string().min(1, { error: 'must not be empty' }),
    z
      .record(
        z.string().regex(/^[a-z]{2}(-[A-Z]{2})?$/, { error: 'is not a locale (use nl, en, nl-BE)' }),
        z.string().min(1, { error: 'must not be empty' }),
      )
      .refine((r) => Object.keys(r).length > 0, { error: 'needs a text in at least one locale' }),
  ])
  .meta({
    description:
      'What the person serving the customer (or the website) shows: a Handlebars text ({{firstName default="klant"}}), one string in the default locale or one per locale.',
  });

/** The contact moments a campaign may be offered at, each with its text (next-best-offer API). */
export const moments = z
  .strictObject({
    till: momentText.optional().meta({ description: 'At the shop till, shown to the cashier.' }),
    call: momentText.optional().meta({ description: 'On the phone, shown to the call-centre agent.' }),
    web: momentText.optional().meta({ description: 'On the website or in the app, shown to the customer.' }),
  })
  .refine((m) => Object.values(m).some((v) => v !== undefined), {
    error: `name at least one moment (${MOMENTS.join(', ')})`,
  })
  .meta({
    description:
      'Contact moments at which this campaign may be offered (GET /customers/{id}/next-best-offer?moment=...), under the same audience, rule, consent, caps and priority as its messages.',
  });

export const quietHours = z.strictObject({ from: clockTime, to: clockTime }).meta({
  description: 'No sends between from and to in the customer’s own time zone (may cross midnight).',
});

const cap = z.strictObject({
  max: z.int().min(1, { error: 'must be at least 1' }),
  per: duration,
});

export const globalCap = cap
  .extend({
    purpose: purpose.optional(),
    channel: channel.optional(),
  })
  .meta({
    description:
      'A cap across campaigns, per customer, over a rolling window. Without a purpose it applies to every purpose except service.',
  });

const eventRef = z.strictObject({
  source: z.string().min(1).optional(),
  detailType: z.string().min(1),
});

/** A filter on one profile attribute. */
export const attributeFilter = z.union([
  z.union([z.string(), z.number(), z.boolean()]).meta({ description: 'equals' }),
  z
    .array(z.union([z.string(), z.number(), z.boolean()]))
    .min(1)
    .meta({ description: 'one of' }),
  z.strictObject({ exists: z.boolean() }),
  z
    .strictObject({
      gt: z.number().optional(),
      gte: z.number().optional(),
      lt: z.number().optional(),
      lte: z.number().optional(),
    })
    .refine((r) => Object.keys(r).length > 0, { error: 'a numeric range needs gt, gte, lt or lte' })
    .meta({ description: 'numeric range' }),
  z
    .strictObject({
      after: z.string().optional(),
      before: z.string().optional(),
    })
    .refine((r) => r.after !== undefined || r.before !== undefined, {
      error: 'a date range needs after or before',
    })
    .meta({
      description:
        'date range: an ISO date (2024-01-31) or a date relative to now (-30d, -18y, +2w); e.g. { before: "-18y" } = adults',
    }),
]);

export const trigger = z
  .strictObject({
    pattern: z
      .record(z.string(), z.unknown())
      .optional()
      .meta({ description: 'An Amazon EventBridge event pattern, as in an EventBridge rule.' }),
    when: z
      .strictObject({
        count: eventRef.extend({
          atLeast: z.int().min(1),
          within: duration,
          filter: z.record(z.string(), z.unknown()).optional().meta({
            description:
              'An EventBridge pattern on the counted events’ detail, e.g. { total: [{ numeric: [">", 50] }] }',
          }),
        }),
      })
      .optional()
      .meta({
        description:
          'A business rule: the customer’s count of an event within a rolling window, this one included.',
      }),
    date: z
      .strictObject({
        attribute: z.string(),
        daysBefore: z.int().min(0).max(366).default(0),
        anniversary: z.boolean().default(false),
      })
      .optional()
      .meta({
        description:
          'Fires daily for customers whose date attribute is daysBefore days ahead (yearly if anniversary).',
      }),
    idempotencyKey: z
      .string()
      .regex(/^detail(\.[A-Za-z_][A-Za-z0-9_]*)+$/, {
        error: fail('is not a path into the event detail (use detail.orderId)'),
      })
      .optional()
      .meta({ description: 'The producer’s business key; without it the EventBridge event id is used.' }),
  })
  .refine((t) => (t.pattern === undefined) !== (t.date === undefined), {
    error: 'a trigger needs exactly one of pattern or date',
  });

export const variant = z.strictObject({
  id: z.string().regex(/^[a-z0-9][a-z0-9-]{0,30}$/, { error: fail('is not a variant id') }),
  weight: z.number().min(0).max(100),
  template: identifier,
});

export const campaign = z.strictObject({
  id: identifier,
  name: z.string().optional(),
  description: z.string().optional(),
  enabled: z.boolean().default(true),
  purpose: purpose.default('marketing'),
  goal: z
    .strictObject({
      conversion: eventRef,
      within: duration,
      target: percent.optional(),
    })
    .optional(),
  learn: z.string().optional().meta({
    description:
      'What this campaign is meant to learn, e.g. “does b beat a?”. The dashboards answer it: every variant against the first, and the treated group against the holdout, each with its 95% interval and whether it is significant yet.',
  }),
  silentAfter: silentAfter
    .optional()
    .meta({ description: 'Overrides defaults.silentAfter for this campaign (false = no silence alarm).' }),
  trigger,
  audience: z.record(z.string(), attributeFilter).default({}),
  channels: z
    .array(
      z.enum(['preferred', ...CHANNELS], {
        error: fail(`is not a channel (use preferred, ${CHANNELS.join(', ')})`),
      }),
    )
    .min(1, { error: 'needs at least one channel' })
    .meta({ description: 'In order of preference; preferred = the customer’s own preferred channel.' }),
  webhook: identifier
    .optional()
    .meta({ description: 'The webhook target (from `webhooks`) for the webhook channel.' }),
  caps: z.array(cap).default([]),
  priority: z.int().min(0).max(1000).default(0),
  delay: duration.optional(),
  expires: duration.optional(),
  quietHours: z.union([quietHours, z.literal(false)]).optional(),
  holdout: percent.default(0),
  variants: z.array(variant).min(1, { error: 'needs at least one variant' }),
  moments: moments.optional(),
});

export const strategySchema = z.strictObject({
  $schema: z.string().optional(),
  version: z.literal(1, { error: 'must be 1 (the only version so far)' }),
  defaults: z
    .strictObject({
      timezone: timeZone.default('Europe/Amsterdam'),
      locale: z.string().min(2).default('nl'),
      quietHours: quietHours.optional(),
      silentAfter: silentAfter.default('24h'),
    })
    .prefault({}),
  brand: z
    .strictObject({
      name: z.string().min(1),
      senderName: z.string().min(1).optional(),
      website: z.url().optional(),
    })
    .optional(),
  webhooks: z
    .record(
      identifier,
      z.strictObject({
        url: z.url({ protocol: /^https?$/, error: fail('is not an http(s) URL') }),
        description: z.string().optional(),
      }),
    )
    .default({}),
  contactRules: z.strictObject({ caps: z.array(globalCap).default([]) }).prefault({}),
  campaigns: z.array(campaign).min(1, { error: 'needs at least one campaign' }),
});

export type Strategy = z.output<typeof strategySchema>;
export type Campaign = Strategy['campaigns'][number];
export type GlobalCap = Strategy['contactRules']['caps'][number];
export type CampaignCap = Campaign['caps'][number];
export type AttributeFilter = z.output<typeof attributeFilter>;
export type Variant = Campaign['variants'][number];
export type QuietHours = z.output<typeof quietHours>;
export type CampaignMoments = z.output<typeof moments>;
export type CampaignChannel = Campaign['channels'][number];
