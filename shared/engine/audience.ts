import type { Profile } from '#shared/domain/customer.ts';
import type { AttributeFilter } from '#shared/strategy/schema.ts';
import { resolveDate } from './time.ts';

/** A compiled audience filter on one attribute. */
export interface AttributeTest {
  readonly attribute: string;
  test(profile: Profile, now: number): { passed: boolean; value: unknown };
}

const PROFILE_FIELDS = new Set(['locale', 'timezone', 'preferredChannel', 'customerId']);

/** Segment attributes first, then the profile's own fields (locale, timezone, preferredChannel). */
export function attributeOf(profile: Profile, name: string): unknown {
  if (Object.hasOwn(profile.attributes, name)) return profile.attributes[name];
  return PROFILE_FIELDS.has(name) ? (profile as unknown as Record<string, unknown>)[name] : undefined;
}

const present = (v: unknown): boolean => v !== undefined && v !== null && v !== '';

function asNumber(v: unknown): number | undefined {
  if (typeof v === 'number' && Number.isFinite(v)) return v;
  if (typeof v === 'string' && v.trim() !== '' && Number.isFinite(Number(v))) return Number(v);
  return undefined;
}

function asDate(v: unknown): number | undefined {
  if (typeof v !== 'string') return undefined;
  const ms = Date.parse(v.length === 10 ? `${v}T00:00:00Z` : v);
  return Number.isNaN(ms) ? undefined : ms;
}

function predicate(filter: AttributeFilter): (value: unknown, now: number) => boolean {
  if (Array.isArray(filter)) {
    const allowed = new Set<unknown>(filter);
    return (v) => allowed.has(v);
  }
  if (typeof filter !== 'object' || filter === null) return (v) => v === filter;
  if ('exists' in filter) return (v) => present(v) === filter.exists;
  if ('after' in filter || 'before' in filter) {
    const { after, before } = filter as { after?: string; before?: string };
    return (v, now) => {
      const ms = asDate(v);
      if (ms === undefined) return false;
      if (after !== undefined && !(ms > resolveDate(after, now))) return false;
      if (before !== undefined && !(ms < resolveDate(before, now))) return false;
      return true;
    };
  }
  const range = filter as { gt?: number; gte?: number; lt?: number; lte?: number };
  return (v) => {
    const n = asNumber(v);
    if (n === undefined) return false;
    if (range.gt !== undefined && !(n > range.gt)) return false;
    if (range.gte !== undefined && !(n >= range.gte)) return false;
    if (range.lt !== undefined && !(n < range.lt)) return false;
    if (range.lte !== undefined && !(n <= range.lte)) return false;
    return true;
  };
}

/** Compiles a campaign's audience (all filters must pass) into tests run in declaration order. */
export function compileAudience(audience: Readonly<Record<string, AttributeFilter>>): AttributeTest[] {
  return Object.entries(audience).map(([attribute, filter]) => {
    const check = predicate(filter);
    return {
      attribute,
      test(profile, now) {
        const value = attributeOf(profile, attribute);
        return { passed: check(value, now), value };
      },
    };
  });
}
