import type { TemplateFile } from './templates.ts';

/**
 * The strategy's fixed words (channels, purposes, moments, the duration syntax), without the zod
 * schema around them: run-time code (the engine, the handlers) imports them from here, so a Lambda
 * bundle does not carry the strategy schema it never uses (`schema.ts` re-exports them).
 */

/** `30m`, `12h`, `7d`, `2w` — minutes, hours, days, weeks. */
export const DURATION = /^([1-9]\d{0,5})(m|h|d|w)$/;

export const PURPOSES = ['marketing', 'service', 'research', 'partners'] as const;
export type Purpose = (typeof PURPOSES)[number];

export const CHANNELS = ['email', 'sms', 'push', 'webhook'] as const;
export type Channel = (typeof CHANNELS)[number];

export const MOMENTS = ['till', 'call', 'web'] as const;
export type Moment = (typeof MOMENTS)[number];

const knownTimeZones = new Set<string>();
const unknownTimeZones = new Set<string>();

/** Whether `tz` is an IANA time zone this runtime knows (answers cached: `Intl` is slow). */
export function isTimeZone(tz: string): boolean {
  if (knownTimeZones.has(tz)) return true;
  if (unknownTimeZones.has(tz)) return false;
  try {
    new Intl.DateTimeFormat('en', { timeZone: tz });
  } catch {
    if (unknownTimeZones.size < 1_000) unknownTimeZones.add(tz);
    return false;
  }
  if (knownTimeZones.size < 1_000) knownTimeZones.add(tz);
  return true;
}

/** The locales a template offers for a channel (empty when it lacks the channel). */
export function templateLocales(template: TemplateFile, channel: Channel): string[] {
  return Object.keys(template[channel] ?? {});
}
