import { DURATION } from '#shared/strategy/vocabulary.ts';

const UNIT_MS = { m: 60_000, h: 3_600_000, d: 86_400_000, w: 604_800_000 } as const;
export const DAY_MS = UNIT_MS.d;

/** `7d` → milliseconds. The schema guarantees the format; anything else is a programming error. */
export function durationMs(duration: string): number {
  let ms = durations.get(duration);
  if (ms === undefined) {
    const match = DURATION.exec(duration);
    if (!match) throw new TypeError(`not a duration: ${duration}`);
    ms = Number(match[1]) * UNIT_MS[match[2] as keyof typeof UNIT_MS];
    if (durations.size > 1000) durations.clear();
    durations.set(duration, ms);
  }
  return ms;
}
/** A strategy names a handful of durations; the use cases convert them on every event. */
const durations = new Map<string, number>();

/** `YYYY-MM-DD` of an epoch-ms instant in UTC. */
export const utcDay = (ms: number): string => isoString(ms).slice(0, 10);

const TWO = Array.from({ length: 100 }, (_, i) => String(i).padStart(2, '0'));
const THREE = Array.from({ length: 1000 }, (_, i) => String(i).padStart(3, '0'));
/** `YYYY-MM-DDT` per UTC day number: a decision names a few days (now, a send time, an expiry). */
const dayPrefixes = new Map<number, string>();

/**
 * `new Date(ms).toISOString()`, the same text (and the same RangeError for an invalid time), faster:
 * the date part is kept per UTC day and the time of day is put together from tables.
 */
export function isoString(time: number): string {
  const ms = Math.trunc(time); // as Date does
  const day = Math.floor(ms / DAY_MS);
  let prefix = dayPrefixes.get(day);
  if (prefix === undefined) {
    const iso = new Date(ms).toISOString(); // throws the RangeError for an invalid time
    prefix = iso.slice(0, iso.indexOf('T') + 1);
    if (dayPrefixes.size > 10_000) dayPrefixes.clear();
    dayPrefixes.set(day, prefix);
  }
  let rest = ms - day * DAY_MS;
  const hour = Math.floor(rest / 3_600_000);
  rest -= hour * 3_600_000;
  const minute = Math.floor(rest / 60_000);
  rest -= minute * 60_000;
  const second = Math.floor(rest / 1000);
  return `${prefix}${TWO[hour]}:${TWO[minute]}:${TWO[second]}.${THREE[rest - second * 1000]}Z`;
}

export interface LocalParts {
  year: number;
  month: number;
  day: number;
  hour: number;
  minute: number;
}

const formatters = new Map<string, Intl.DateTimeFormat>();
function formatter(timeZone: string): Intl.DateTimeFormat {
  let f = formatters.get(timeZone);
  if (!f) {
    f = new Intl.DateTimeFormat('en-US', {
      timeZone,
      hourCycle: 'h23',
      year: 'numeric',
      month: 'numeric',
      day: 'numeric',
      hour: 'numeric',
      minute: 'numeric',
    });
    formatters.set(timeZone, f);
  }
  return f;
}

const HOUR_MS = 3_600_000;
const SLOT_MS = HOUR_MS / 4;
/** Quarter hours per block of the offset cache. */
const BLOCK_SLOTS = 24;
/** Offsets (ms) per zone and block of six UTC hours. */
const offsets = new Map<string, Map<number, number>>();
/** Offsets per zone and UTC quarter hour: block bounds, and every quarter hour of a block with a change. */
const slotOffsets = new Map<string, Map<number, number>>();

/** The zone's UTC offset at the start of a quarter hour, from `Intl` (each asked once). */
function offsetAt(slot: number, timeZone: string): number {
  const slots = cacheOf(slotOffsets, timeZone);
  let offset = slots.get(slot);
  if (offset === undefined) {
    const start = slot * SLOT_MS;
    const p = intlParts(start, timeZone);
    offset = Date.UTC(p.year, p.month - 1, p.day, p.hour, p.minute) - start;
    slots.set(slot, offset);
  }
  return offset;
}

function cacheOf(cache: Map<string, Map<number, number>>, timeZone: string): Map<number, number> {
  let map = cache.get(timeZone);
  if (!map) {
    map = new Map();
    cache.set(timeZone, map);
  }
  if (map.size > 50_000) map.clear();
  return map;
}

/**
 * The zone's offset for an instant. Zones change offset only at (quarter-)hour boundaries, and never
 * twice within six hours, so the offset is known for a whole block of six hours when its start and
 * the next block's start agree; a block with a change is looked up per quarter hour.
 */
function zoneOffset(ms: number, timeZone: string): number {
  const slot = Math.floor(ms / SLOT_MS);
  const block = Math.floor(slot / BLOCK_SLOTS);
  const blocks = cacheOf(offsets, timeZone);
  let offset = blocks.get(block);
  if (offset === undefined) {
    const begin = offsetAt(block * BLOCK_SLOTS, timeZone);
    offset = begin === offsetAt((block + 1) * BLOCK_SLOTS, timeZone) ? begin : Number.NaN;
    blocks.set(block, offset);
  }
  return Number.isNaN(offset) ? offsetAt(slot, timeZone) : offset;
}

/**
 * Wall-clock parts of an instant in an IANA time zone. `Intl` is slow (microseconds per call), and the
 * engine asks this for every deferral check, so the zone's offset is cached (see `zoneOffset`) and the
 * parts are computed from it.
 */
export function localParts(ms: number, timeZone: string): LocalParts {
  const local = new Date(ms + zoneOffset(ms, timeZone));
  return {
    year: local.getUTCFullYear(),
    month: local.getUTCMonth() + 1,
    day: local.getUTCDate(),
    hour: local.getUTCHours(),
    minute: local.getUTCMinutes(),
  };
}

function intlParts(ms: number, timeZone: string): LocalParts {
  const parts: Record<string, number> = {};
  for (const p of formatter(timeZone).formatToParts(ms)) {
    if (p.type !== 'literal') parts[p.type] = Number(p.value);
  }
  return {
    year: parts.year ?? 0,
    month: parts.month ?? 0,
    day: parts.day ?? 0,
    hour: parts.hour ?? 0,
    minute: parts.minute ?? 0,
  };
}

/**
 * The instant at which the wall clock in `timeZone` shows the given local time. When that local time
 * does not exist (the hour skipped at the start of summer time) the first instant after the gap is
 * returned; when it exists twice (the hour repeated in autumn) the earlier one.
 */
export function zonedToInstant(local: LocalParts, timeZone: string): number {
  const wanted = Date.UTC(local.year, local.month - 1, local.day, local.hour, local.minute);
  let guess = wanted;
  for (let i = 0; i < 3; i++) {
    const seen = localParts(guess, timeZone);
    const seenMs = Date.UTC(seen.year, seen.month - 1, seen.day, seen.hour, seen.minute);
    const diff = wanted - seenMs;
    if (diff === 0) break;
    guess += diff;
  }
  // Prefer the earlier of two candidates an hour apart (autumn overlap).
  const earlier = guess - 3_600_000;
  const e = localParts(earlier, timeZone);
  if (Date.UTC(e.year, e.month - 1, e.day, e.hour, e.minute) === wanted) return earlier;
  return guess;
}

const minutesOfClock = new Map<string, number>();
const minutesOf = (hhmm: string): number => {
  let minutes = minutesOfClock.get(hhmm);
  if (minutes === undefined) {
    minutes = Number(hhmm.slice(0, 2)) * 60 + Number(hhmm.slice(3, 5));
    if (minutesOfClock.size > 1000) minutesOfClock.clear();
    minutesOfClock.set(hhmm, minutes);
  }
  return minutes;
};

/**
 * If `ms` falls inside the quiet hours (`from`–`to`, possibly across midnight) of `timeZone`, returns
 * the instant the quiet hours end; otherwise undefined.
 */
export function quietHoursEnd(
  ms: number,
  quiet: { from: string; to: string },
  timeZone: string,
): number | undefined {
  const local = localParts(ms, timeZone);
  const now = local.hour * 60 + local.minute;
  const from = minutesOf(quiet.from);
  const to = minutesOf(quiet.to);
  const crossesMidnight = from > to;
  const inside = crossesMidnight ? now >= from || now < to : now >= from && now < to;
  if (!inside) return undefined;
  // The end is today at `to`, or tomorrow when we are in the evening part of a window across midnight.
  const endDay = new Date(
    Date.UTC(local.year, local.month - 1, local.day + (crossesMidnight && now >= from ? 1 : 0)),
  );
  const end = zonedToInstant(
    {
      year: endDay.getUTCFullYear(),
      month: endDay.getUTCMonth() + 1,
      day: endDay.getUTCDate(),
      hour: Math.floor(to / 60),
      minute: to % 60,
    },
    timeZone,
  );
  return end > ms ? end : undefined;
}

/** `HH:MM` wall-clock time of an instant in a zone, for explanations. */
export function localClock(ms: number, timeZone: string): string {
  const p = localParts(ms, timeZone);
  return `${String(p.hour).padStart(2, '0')}:${String(p.minute).padStart(2, '0')}`;
}

const RELATIVE = /^([+-])(\d{1,4})([dwy])$/;

/** `2024-01-31` or a date relative to `now` (`-30d`, `-18y`, `+2w`) → epoch ms (UTC midnight for ISO dates). */
export function resolveDate(value: string, now: number): number {
  const rel = RELATIVE.exec(value);
  if (!rel) return Date.parse(`${value}T00:00:00Z`);
  const sign = rel[1] === '-' ? -1 : 1;
  const n = Number(rel[2]) * sign;
  if (rel[3] === 'y') {
    const d = new Date(now);
    d.setUTCFullYear(d.getUTCFullYear() + n);
    return d.getTime();
  }
  return now + n * (rel[3] === 'w' ? 7 : 1) * DAY_MS;
}
