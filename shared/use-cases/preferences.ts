import { createHash } from 'node:crypto';
import * as z from 'zod';
import type { CustomerState } from '#shared/domain/customer.ts';
import { type LinkClaims, signLinkToken, verifyLinkToken } from '#shared/domain/link-token.ts';
import type { Clock } from '#shared/domain/ports.ts';
import type { ConsentLedgerEntry, CustomerDataStore, CustomerStore } from '#shared/domain/store.ts';
import { consentFor } from '#shared/engine/decide.ts';
import { CUSTOMER_ID } from '#shared/engine/event.ts';
import { InvalidInputError } from '#shared/errors.ts';
import { CHANNELS, type Channel, PURPOSES, type Purpose } from '#shared/strategy/vocabulary.ts';

/**
 * What a customer can do through the signed links in every message (DESIGN.md: Lambda function URL
 * "preferences"): withdraw consent in one click (RFC 8058), see their consent per purpose × channel,
 * and change it. The link token is the only credential: it names the customer, so nothing here needs
 * a login, a cookie or a session; and a refused token writes nothing.
 */

export interface PreferencesDeps {
  /**
   * `recordConsent` to write; `load` to read the current consent. `load` is the decision's one Query on
   * the `A#` key range (≤ 4 KB however long the customer's history grows), where `exportCustomer` would
   * read the whole partition — every contact record and ledger entry, and the profile with its
   * addresses — to show sixteen checkboxes. The DynamoDB store implements both ports.
   */
  readonly store: CustomerDataStore & Pick<CustomerStore, 'load'>;
  readonly clock: Clock;
  /** The link-signing key (Secrets Manager), the same one the messages were signed with. */
  readonly linkKey: string | Buffer;
  /**
   * The version of the preference page's text, recorded with every choice made on it: the ledger must
   * show what the customer was told when they gave consent. @default 'preference-page-1'
   */
  readonly textVersion?: string;
}

/** Why a link token was refused. Logged, never shown: a client learns only that the link is not valid. */
export type LinkRefusal = 'malformed' | 'signature' | 'expired';

/** A link token that is malformed, not ours, altered or expired. Nothing was written. */
export class InvalidLinkError extends InvalidInputError {
  override name = 'InvalidLinkError';
  constructor(readonly reason: LinkRefusal) {
    super(`link token refused: ${reason}`, undefined, { reason });
  }
}

/** `<purpose>:<channel>`, the same key as the consent map's (see `consentKey`). */
export type PreferenceKey = `${Purpose}:${Channel}`;

const ITEMS = PURPOSES.flatMap((purpose) =>
  CHANNELS.map((channel) => ({ key: `${purpose}:${channel}` as PreferenceKey, purpose, channel })),
);

/** Every purpose × channel the page offers, in page order. */
export const PREFERENCE_KEYS: readonly PreferenceKey[] = ITEMS.map((i) => i.key);

/** The claims of a verified token, narrowed to the purposes and channels the platform knows. */
export interface VerifiedLink {
  readonly customerId: string;
  readonly purpose: Purpose;
  readonly channel: Channel;
  /** Epoch seconds. */
  readonly expiresAt: number;
}

export interface UnsubscribeResult extends VerifiedLink {
  /** `already_withdrawn`: a previous click (or any other withdrawal) already governs; nothing written. */
  readonly outcome: 'recorded' | 'already_withdrawn' | 'erased';
}

export interface PreferencesView extends VerifiedLink {
  /** The customer was erased: there is nothing to show and nothing may be written. */
  readonly erased: boolean;
  /** Current consent per purpose × channel: the newer of the channel's own record and the `all` one. */
  readonly consent: Readonly<Record<PreferenceKey, boolean>>;
}

export interface PreferencesUpdate {
  readonly view: PreferencesView;
  /** The ledger entries written, one per changed purpose × channel. */
  readonly changed: readonly {
    readonly purpose: Purpose;
    readonly channel: Channel;
    readonly granted: boolean;
  }[];
}

const isPurpose = (value: string): value is Purpose => (PURPOSES as readonly string[]).includes(value);
const isChannel = (value: string): value is Channel => (CHANNELS as readonly string[]).includes(value);
const sha256 = (text: string): string => createHash('sha256').update(text).digest('hex');
const isoNow = (clock: Clock): string => new Date(clock.now()).toISOString();

/**
 * Verifies a link token (HMAC in constant time, then expiry) and narrows its claims. A token we signed
 * for a purpose or channel the platform no longer knows is refused as malformed: it can change nothing.
 * Reads and writes nothing, so a GET may call it.
 *
 * @throws InvalidLinkError with the reason, for the log only.
 */
export function readLink(deps: Pick<PreferencesDeps, 'clock' | 'linkKey'>, token: unknown): VerifiedLink {
  if (typeof token !== 'string' || token.length === 0) throw new InvalidLinkError('malformed');
  const check = verifyLinkToken(deps.linkKey, token, Math.floor(deps.clock.now() / 1000));
  if (!check.ok) throw new InvalidLinkError(check.reason);
  const { customerId, purpose, channel, expiresAt } = check.claims;
  if (!CUSTOMER_ID.test(customerId) || !isPurpose(purpose) || !isChannel(channel)) {
    throw new InvalidLinkError('malformed');
  }
  return { customerId, purpose, channel, expiresAt };
}

/**
 * The event id of a one-click withdrawal: the same for every POST of the same link, so a mail
 * provider's retries name one event. Derived from the re-signed claims rather than from the token as
 * received, because a base64url decoder accepts several spellings of one signature.
 */
function oneClickEventId(key: string | Buffer, claims: LinkClaims): string {
  return `one-click-${sha256(signLinkToken(key, claims))}`;
}

/**
 * RFC 8058 one-click unsubscribe:
 * 1. verify the token (nothing is read or written for a refused one);
 * 2. read the customer's consent (strongly consistent, so a retry right after the first POST sees it);
 * 3. if a withdrawal already governs this purpose on this channel, stop: repeated POSTs write one
 *    ledger entry (the ledger's sort key carries `occurredAt`, so the event id alone would not
 *    deduplicate a retry a second later);
 * 4. append a withdrawal for the token's purpose and channel (`source: one-click-unsubscribe`).
 * Two POSTs racing between steps 2 and 4 may both append; both say the same thing.
 *
 * @throws InvalidLinkError when the token is refused.
 */
export async function oneClickUnsubscribe(deps: PreferencesDeps, token: unknown): Promise<UnsubscribeResult> {
  const link = readLink(deps, token);
  const state = await deps.store.load(link.customerId, true);
  if (state.erased) return { ...link, outcome: 'erased' };
  if (consentFor(state, link.purpose, link.channel)?.granted === false) {
    return { ...link, outcome: 'already_withdrawn' };
  }
  const now = isoNow(deps.clock);
  const result = await deps.store.recordConsent({
    customerId: link.customerId,
    purpose: link.purpose,
    channel: link.channel,
    granted: false,
    source: 'one-click-unsubscribe',
    occurredAt: now,
    recordedAt: now,
    eventId: oneClickEventId(deps.linkKey, link),
  });
  return { ...link, outcome: result };
}

function viewOf(link: VerifiedLink, state: CustomerState): PreferencesView {
  const consent = Object.fromEntries(
    ITEMS.map(({ key, purpose, channel }) => [key, consentFor(state, purpose, channel)?.granted === true]),
  ) as Record<PreferenceKey, boolean>;
  return { ...link, erased: state.erased === true, consent };
}

/**
 * The preference page's data: the customer's current consent per purpose × channel (no consent
 * recorded reads as not granted). One strongly consistent Query; nothing written.
 *
 * @throws InvalidLinkError when the token is refused.
 */
export async function preferencesView(deps: PreferencesDeps, token: unknown): Promise<PreferencesView> {
  const link = readLink(deps, token);
  return viewOf(link, await deps.store.load(link.customerId, true));
}

const choicesSchema = z.partialRecord(
  z.enum(PREFERENCE_KEYS as [PreferenceKey, ...PreferenceKey[]]),
  z.boolean(),
);

/** Purposes × channels → granted. Keys the page did not offer are refused, not ignored. */
export type PreferenceChoices = Partial<Record<PreferenceKey, boolean>>;

function parseChoices(choices: unknown): PreferenceChoices {
  const result = choicesSchema.safeParse(choices);
  if (result.success) return result.data;
  // Unknown keys come from the client: count them, never echo them (they may be anything).
  const problems = result.error.issues.map((i) =>
    i.code === 'unrecognized_keys'
      ? `${i.keys.length} unknown field${i.keys.length === 1 ? '' : 's'}`
      : `${i.path.join('.') || '(root)'} must be true or false`,
  );
  throw new InvalidInputError(`preferences: ${problems.join('; ')}`);
}

/**
 * The preference page's form:
 * 1. verify the token, then validate every choice (only `PURPOSES` × `CHANNELS`, booleans only) —
 *    before anything is written;
 * 2. read the current consent; an erased customer gets the erased view and no write;
 * 3. append one ledger entry (`source: preference-page`) per purpose × channel whose choice differs
 *    from the current state, granted or withdrawn; a choice equal to the state writes nothing, so
 *    re-submitting the same form is harmless;
 * 4. read again (strongly consistent) and return what the page should now show.
 *
 * @throws InvalidLinkError when the token is refused; InvalidInputError for invalid choices.
 */
export async function updatePreferences(
  deps: PreferencesDeps,
  token: unknown,
  choices: unknown,
): Promise<PreferencesUpdate> {
  const link = readLink(deps, token);
  const wanted = parseChoices(choices);
  const before = viewOf(link, await deps.store.load(link.customerId, true));
  if (before.erased) return { view: before, changed: [] };
  const now = isoNow(deps.clock);
  const changed: PreferencesUpdate['changed'][number][] = [];
  for (const { key, purpose, channel } of ITEMS) {
    const granted = wanted[key];
    if (granted === undefined || granted === before.consent[key]) continue;
    const entry: ConsentLedgerEntry = {
      customerId: link.customerId,
      purpose,
      channel,
      granted,
      source: 'preference-page',
      textVersion: deps.textVersion ?? 'preference-page-1',
      occurredAt: now,
      recordedAt: now,
      eventId: `preference-page-${sha256(`${link.customerId}\n${key}\n${granted}\n${now}`)}`,
    };
    // One at a time: each append bumps the state item's version, and parallel ones would only conflict.
    if ((await deps.store.recordConsent(entry)) === 'erased') break;
    changed.push({ purpose, channel, granted });
  }
  const view = viewOf(link, await deps.store.load(link.customerId, true));
  return { view, changed };
}
