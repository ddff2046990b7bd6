import type { ContactRef } from './store.ts';

/** The SES message tag that carries {@link encodeContactRef}: SES repeats every tag in its events. */
export const CONTACT_REF_TAG = 'record';

/** SES tag values: `[A-Za-z0-9_\-.@]`, at most 256 characters (base64url fits the alphabet). */
const MAX_TAG_VALUE = 256;

/**
 * The keys of a contact record as one SES tag value, so that the email's feedback events lead straight
 * to its record: no index entry per message (docs/adr/0002-cost-per-triggered-send.md). `undefined`
 * when the keys are too long for a tag; the record is then indexed by message id instead.
 */
export function encodeContactRef(ref: ContactRef): string | undefined {
  const value = Buffer.from(JSON.stringify([ref.customerId, ref.campaignId, ref.idempotencyKey])).toString(
    'base64url',
  );
  return value.length <= MAX_TAG_VALUE ? value : undefined;
}

/** The inverse of {@link encodeContactRef}; `undefined` for anything that is not one. */
export function decodeContactRef(value: unknown): ContactRef | undefined {
  if (typeof value !== 'string' || value.length > MAX_TAG_VALUE || !/^[A-Za-z0-9_-]+$/.test(value))
    return undefined;
  try {
    const parsed: unknown = JSON.parse(Buffer.from(value, 'base64url').toString('utf8'));
    if (
      Array.isArray(parsed) &&
      parsed.length === 3 &&
      parsed.every((p) => typeof p === 'string' && p !== '')
    ) {
      const [customerId, campaignId, idempotencyKey] = parsed as [string, string, string];
      return { customerId, campaignId, idempotencyKey };
    }
  } catch {
    // not JSON: not ours
  }
  return undefined;
}

/**
 * Whether a contact record needs the message-id index (GSI `gsi1`) for its feedback: SMS delivery
 * status names only the provider's message id; an email's events carry {@link CONTACT_REF_TAG} unless
 * the keys were too long for it; push and webhook feedback never looks a message up.
 */
export function needsMessageIndex(record: ContactRef & { readonly channel?: string }): boolean {
  if (record.channel === 'sms') return true;
  if (record.channel === 'email') return encodeContactRef(record) === undefined;
  return false;
}
