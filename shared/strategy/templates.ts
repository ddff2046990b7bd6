import * as z from 'zod';

/**
 * Message templates: one YAML file per template id in `strategy/templates/<id>.yaml`, with a section
 * per channel and, inside it, one entry per locale. Text uses Handlebars-style placeholders
 * (`{{firstName default="klant"}}`, `{{event.detail.total}}`); every email is wrapped in the one
 * brand layout `strategy/templates/layout.html` (+ `layout.txt` for the text part), so every
 * campaign speaks with one voice.
 *
 * ```yaml
 * email:
 *   nl: { subject: "Bedankt, {{firstName default=\"klant\"}}", text: "...", html: "<p>...</p>" }
 * sms:
 *   nl: "Hoi {{firstName default=\"klant\"}}, ..."
 * push:
 *   nl: { title: "...", body: "..." }
 * webhook:
 *   nl: { kind: "postcard", lines: ["..."] }
 * ```
 */

const text = z.string().min(1, { error: 'must not be empty' });

export const emailTemplate = z.strictObject({
  subject: text,
  /** Plain-text part; always sent (deliverability, accessibility). */
  text,
  /** HTML body placed inside the brand layout; when absent the text part is turned into paragraphs. */
  html: text.optional(),
  preheader: z.string().optional(),
});

export const pushTemplate = z.strictObject({ title: text, body: text });

/** For the webhook channel: any JSON whose strings are templates (print shop, call centre). */
export const webhookTemplate = z.record(z.string(), z.unknown());

const perLocale = <T extends z.ZodType>(schema: T) =>
  z.record(
    z.string().regex(/^[a-z]{2}(-[A-Z]{2})?$/, { error: 'is not a locale (use nl, en, nl-BE)' }),
    schema,
  );

export const templateFileSchema = z
  .strictObject({
    description: z.string().optional(),
    email: perLocale(emailTemplate).optional(),
    sms: perLocale(text).optional(),
    push: perLocale(pushTemplate).optional(),
    webhook: perLocale(webhookTemplate).optional(),
  })
  .refine((t) => t.email || t.sms || t.push || t.webhook, { error: 'a template needs at least one channel' });

export type TemplateFile = z.output<typeof templateFileSchema>;
export type EmailTemplate = z.output<typeof emailTemplate>;
export type PushTemplate = z.output<typeof pushTemplate>;

/** A template set: every template by id, plus the brand layout. */
export interface TemplateSet {
  readonly templates: Readonly<Record<string, TemplateFile>>;
  readonly layout: { readonly html: string; readonly text: string };
}

export { templateLocales } from './vocabulary.ts';
