import { decidedKey } from '#shared/domain/customer.ts';
import type { Clock } from '#shared/domain/ports.ts';
import type { ContactRecord, CustomerStore, MomentResponse } from '#shared/domain/store.ts';
import type { Engine } from '#shared/engine/compile.ts';
import { CUSTOMER_ID } from '#shared/engine/event.ts';
import { decideMoment, type MomentCandidate, renderMomentText } from '#shared/engine/moments.ts';
import { InvalidInputError, PlatformError, TransientError } from '#shared/errors.ts';
import { CONFLICT, retryOnConflict } from '#shared/optimistic-retry.ts';
import type { Channel, Moment } from '#shared/strategy/schema.ts';

/**
 * Contact moments (issue 8): "which one offer fits this customer now?" at the till, on the phone or
 * on the website, and "the customer saw it and said ...".
 *
 * GET (nextBestOffer): one Query (`load`), the pure {@link decideMoment}, the winner's text rendered
 * for the moment. No writes: asking is not a contact.
 *
 * POST (recordContact): showing is a contact. One conditional update of the state item reserves the
 * cap slot under the client's idempotency key (so a recorded "shown" counts against the campaign's
 * caps and the contact rules, and a retried POST counts once), then the contact record joins the
 * history (with the response; `accepted` is a conversion), where the dashboards and goal attribution
 * read it.
 */

export interface NextBestOfferDeps {
  readonly store: Pick<CustomerStore, 'load' | 'commitDecision' | 'putContact' | 'getContact'>;
  readonly engine: Engine;
  readonly clock: Clock;
  /** Optimistic-concurrency retries of a POST. @default 8 */
  readonly maxAttempts?: number;
}

/** The customer is not known (or was erased): 404. */
export class UnknownCustomerError extends PlatformError {
  override name = 'UnknownCustomerError';
}

/** The same idempotency key was used before with a different request: 409. */
export class IdempotencyConflictError extends PlatformError {
  override name = 'IdempotencyConflictError';
}

export interface OfferRequest {
  readonly customerId: string;
  readonly moment: Moment;
  readonly channel?: Channel;
}

export interface Offer extends Omit<MomentCandidate, 'eligible' | 'reason'> {
  readonly locale: string;
  /** The campaign's text for the moment, rendered for the customer. */
  readonly text: string;
}

export interface NextBestOffer {
  readonly customerId: string;
  readonly moment: Moment;
  readonly channel?: Channel;
  readonly decidedAt: string;
  /** Null when there is nothing to offer; `nothingToOffer` then says why. */
  readonly offer: Offer | null;
  readonly nothingToOffer?: {
    readonly message: string;
    readonly reasons: readonly { campaignId: string; reason?: string; why: string }[];
  };
  /** Every other campaign marked for the moment, by priority, with why it lost. */
  readonly runnersUp: readonly MomentCandidate[];
}

const checkCustomerId = (customerId: string): void => {
  if (!CUSTOMER_ID.test(customerId))
    throw new InvalidInputError('customerId is not a valid customer id (1-128 of A-Z a-z 0-9 . _ : @ + -)');
};

/**
 * The next best offer for a customer at a moment (see {@link decideMoment} for the rules).
 * Steps: load the customer (one Query, no write) → decide → render the winner's text.
 * @throws UnknownCustomerError when the customer is not known.
 */
export async function nextBestOffer(deps: NextBestOfferDeps, request: OfferRequest): Promise<NextBestOffer> {
  checkCustomerId(request.customerId);
  const state = await deps.store.load(request.customerId);
  if (!state.profile || state.erased) throw new UnknownCustomerError('unknown customer');
  const decision = decideMoment(deps.engine, { ...request, state, now: deps.clock.now() });
  const base = {
    customerId: request.customerId,
    moment: request.moment,
    ...(request.channel && { channel: request.channel }),
    decidedAt: decision.decidedAt,
    runnersUp: decision.runnersUp,
  };
  const winner = decision.winner;
  if (!winner) {
    const marked = decision.runnersUp.length > 0;
    return {
      ...base,
      offer: null,
      nothingToOffer: {
        message: marked
          ? 'nothing to offer: no campaign for this moment fits the customer now'
          : `nothing to offer: no campaign is offered at the ${request.moment}`,
        reasons: decision.runnersUp.map((c) => ({
          campaignId: c.campaignId,
          ...(c.reason && { reason: c.reason }),
          why: c.why,
        })),
      },
    };
  }
  const { eligible: _, reason: __, ...offer } = winner;
  const { locale, text } = renderMomentText(
    deps.engine,
    winner.campaignId,
    request.moment,
    state.profile,
    undefined,
    winner.variant,
  );
  return { ...base, offer: { ...offer, locale, text } };
}

export interface ContactRequest {
  readonly customerId: string;
  /** The client's key for this showing (a till receipt id, a call id): a retried POST counts once. */
  readonly idempotencyKey: string;
  readonly campaignId: string;
  readonly moment: Moment;
  readonly response?: MomentResponse;
  readonly variant?: string;
  /** The channel the offer went through, when it was sent on as well (a receipt by email). */
  readonly channel?: Channel;
}

export interface ContactResult {
  /** `recorded` the first time; `updated` when a later POST added the response; `duplicate` otherwise. */
  readonly status: 'recorded' | 'updated' | 'duplicate';
  readonly record: ContactRecord;
}

/**
 * Records that an offer was shown at a moment, and the customer's response.
 * Steps: check the campaign offers at the moment → load (consistent) → if the key is known, return or
 * complete the record (a later POST may add the response once) → else reserve the cap slot with one
 * conditional update (retry on a version conflict) → write the contact record.
 * @throws InvalidInputError for an unknown campaign or one not offered at the moment (400)
 * @throws UnknownCustomerError (404), IdempotencyConflictError (409)
 */
export async function recordContact(
  deps: NextBestOfferDeps,
  request: ContactRequest,
): Promise<ContactResult> {
  checkCustomerId(request.customerId);
  const compiled = deps.engine.campaigns.find((c) => c.campaign.id === request.campaignId);
  if (!compiled) throw new InvalidInputError(`unknown campaign ${request.campaignId}`);
  if (compiled.campaign.moments?.[request.moment] === undefined)
    throw new InvalidInputError(`campaign ${request.campaignId} is not offered at the ${request.moment}`);
  if (request.variant !== undefined && !compiled.variantBounds.some((v) => v.id === request.variant))
    throw new InvalidInputError(`campaign ${request.campaignId} has no variant ${request.variant}`);
  const idempotencyKey = `${request.idempotencyKey}#${request.campaignId}`;
  return retryOnConflict(
    { maxAttempts: deps.maxAttempts ?? 8 },
    async () => {
      const state = await deps.store.load(request.customerId, true);
      if (!state.profile || state.erased) throw new UnknownCustomerError('unknown customer');
      const now = deps.clock.now();
      const record = contactRecord(request, idempotencyKey, now);
      if (state.decided[decidedKey(idempotencyKey)] !== undefined) {
        const existing = await deps.store.getContact(request.customerId, request.campaignId, idempotencyKey);
        // Committed, but the record was never written (the process died in between): complete it.
        if (!existing) {
          await deps.store.putContact(record);
          return { status: 'recorded', record };
        }
        const sameContact =
          existing.moment === request.moment &&
          (request.variant === undefined || existing.variant === request.variant) &&
          (request.channel === undefined || existing.channel === request.channel);
        if (!sameContact)
          throw new IdempotencyConflictError('the idempotency key was used for another contact');
        if (request.response === undefined || request.response === existing.response)
          return { status: 'duplicate', record: existing };
        if (existing.response !== undefined)
          throw new IdempotencyConflictError(
            `the response to this contact was already recorded as ${existing.response}`,
          );
        const updated = withResponse(existing, request.response, now);
        await deps.store.putContact(updated);
        return { status: 'updated', record: updated };
      }
      const committed = await deps.store.commitDecision(state, {
        idempotencyKey,
        decidedAt: now,
        reserve: {
          at: now,
          campaignId: request.campaignId,
          purpose: compiled.campaign.purpose,
          channel: request.moment,
        },
      });
      if (committed === 'conflict') return CONFLICT;
      await deps.store.putContact(record);
      return { status: 'recorded', record };
    },
    () =>
      new TransientError('too many concurrent updates of one customer; try again', undefined, {
        campaignId: request.campaignId,
      }),
  );
}

function withResponse(record: ContactRecord, response: MomentResponse, now: number): ContactRecord {
  const at = new Date(now).toISOString();
  return {
    ...record,
    response,
    facts: record.facts.map((f) => (f.kind === 'moment' ? { ...f, response } : f)),
    ...(response === 'accepted' &&
      !record.conversion && { conversion: { eventId: `accepted:${record.eventId}`, at } }),
  };
}

function contactRecord(request: ContactRequest, idempotencyKey: string, now: number): ContactRecord {
  const decidedAt = new Date(now).toISOString();
  const record: ContactRecord = {
    eventId: request.idempotencyKey,
    campaignId: request.campaignId,
    customerId: request.customerId,
    outcome: 'sent',
    decidedAt,
    idempotencyKey,
    moment: request.moment,
    ...(request.channel && { channel: request.channel }),
    ...(request.variant !== undefined && { variant: request.variant }),
    facts: [{ kind: 'moment', moment: request.moment }],
  };
  return request.response === undefined ? record : withResponse(record, request.response, now);
}
