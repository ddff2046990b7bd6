import { randomUUID } from 'node:crypto';
import type { ContactRecord } from '#shared/domain/store.ts';
import { onboard, type Pipeline, sesStore, snsStore } from '../../support/pipeline.ts';

/** Runs `work` over `items` with at most `limit` at once. */
export async function pool<T, R>(
  items: readonly T[],
  limit: number,
  work: (item: T) => Promise<R>,
): Promise<R[]> {
  const out: R[] = new Array(items.length);
  let next = 0;
  const lane = async () => {
    while (next < items.length) {
      const i = next++;
      out[i] = await work(items[i] as T);
    }
  };
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, lane));
  return out;
}

/** A run's own customer ids, so its counts never mix with other test files' on the shared servers. */
export const customerIds = (prefix: string, n: number): string[] => {
  const run = randomUUID().slice(0, 8);
  return Array.from({ length: n }, (_, i) => `${prefix}-${run}-${i}`);
};

export const emailOf = (id: string) => `${id}@example.nl`;

/** Dutch mobile numbers, unique per index within a run. */
export const phoneOf = (i: number, run: number) =>
  `+316${String(run % 100).padStart(2, '0')}${String(i).padStart(6, '0')}`;

let lastPhoneRun = Math.floor(Math.random() * 100);
/**
 * A run number for `phoneOf` that no earlier run in this process has had (up to 100 runs), so two tests
 * sharing local SNS never count each other's messages. Two independent random picks collided 1 time
 * in 100 and failed a CI run with 4 SMS to one number.
 */
export const nextPhoneRun = () => (lastPhoneRun = (lastPhoneRun + 1) % 100);

/** Creates the customers through the public events, 16 at a time. */
export async function onboardAll(
  p: Pipeline,
  ids: readonly string[],
  profile: (id: string, i: number) => Record<string, unknown> = (id) => ({ email: emailOf(id) }),
): Promise<void> {
  await pool(
    ids.map((id, i) => [id, i] as const),
    16,
    ([id, i]) => onboard(p, id, profile(id, i), [{ purpose: 'marketing' }]),
  );
}

/** How many emails the SES emulator holds per recipient, for the given recipients. */
export async function emailsPerRecipient(addresses: readonly string[]): Promise<Map<string, number>> {
  const wanted = new Set(addresses);
  const counts = new Map<string, number>(addresses.map((a) => [a, 0]));
  for (const mail of (await sesStore()).emails)
    for (const to of mail.destination.to) if (wanted.has(to)) counts.set(to, (counts.get(to) ?? 0) + 1);
  return counts;
}

/** How many SMS local SNS holds per phone number, for the given numbers. */
export async function smsPerPhone(phones: readonly string[]): Promise<Map<string, number>> {
  const wanted = new Set(phones);
  const counts = new Map<string, number>(phones.map((n) => [n, 0]));
  for (const m of (await snsStore()).messages)
    if (m.phoneNumber && wanted.has(m.phoneNumber))
      counts.set(m.phoneNumber, (counts.get(m.phoneNumber) ?? 0) + 1);
  return counts;
}

/** Every contact record of the customers (one Query each). */
export async function contactHistory(p: Pipeline, ids: readonly string[]): Promise<ContactRecord[]> {
  const histories = await pool(ids, 16, async (id) => (await p.store.exportCustomer(id)).contactHistory);
  return histories.flat();
}

/** Counts values. */
export function tally<T>(values: readonly T[]): Record<string, number> {
  const out: Record<string, number> = {};
  for (const v of values) out[String(v)] = (out[String(v)] ?? 0) + 1;
  return out;
}
