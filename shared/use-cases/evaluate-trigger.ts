import { type CustomerState, decidedKey } from '#shared/domain/customer.ts';
import type { Decision } from '#shared/domain/decision.ts';
import type { Clock, Scheduler } from '#shared/domain/ports.ts';
import type { ContactRecord } from '#shared/domain/store.ts';
import { decide, reservedChannel } from '#shared/engine/decide.ts';
import { parseTriggerEvent } from '#shared/engine/event.ts';
import { InvalidInputError, TransientError } from '#shared/errors.ts';
import { CONFLICT, retryOnConflict } from '#shared/optimistic-retry.ts';
import type { Channel } from '#shared/strategy/schema.ts';
import { type DeliverDeps, deliver } from './deliver.ts';

export interface EvaluateDeps extends DeliverDeps {
  readonly scheduler: Scheduler;
  readonly clock: Clock;
  /**
   * A decision committed longer ago than this without a contact record is taken as a crashed attempt
   * and completed; a younger one is still in flight and the message is retried later.
   * @default 5 minutes (well above a send's duration, below the queue's retry delay)
   */
  readonly leaseMs?: number;
  /** Optimistic-concurrency retries before the message goes back to the queue. @default 8 */
  readonly maxAttempts?: number;
}

/** What the buffer queue carries: the EventBridge rule of one campaign put it there. */
export interface TriggerMessage {
  readonly campaignId: string;
  readonly event: unknown;
}

const channelsOf = (d: Pick<Decision, 'channel' | 'fallbackChannels'>): Channel[] =>
  d.channel ? [d.channel, ...(d.fallbackChannels ?? [])] : [];

/**
 * Decides one (event, campaign) pair and carries the decision out, exactly once:
 * 1. load the customer (one Query) and run the engine;
 * 2. a suppression is written as its contact record, and that is all;
 * 3. a send, deferral or holdout is first committed by one conditional write of the state item
 *    (idempotency key + cap reservation: a held-out customer takes the slot a send would have taken,
 *    so control and treated groups stay comparable); a version conflict re-reads and decides again;
 *    a holdout is then recorded, and that is all;
 * 4. a deferral is recorded and scheduled; a send goes out and its record is written (one write);
 * 5. a duplicate is counted on the original record — unless that record is missing or `sending`:
 *    then an earlier attempt died or failed transiently, and this one completes it.
 * Invalid events throw {@link InvalidInputError}: the handler moves them to the DLQ with the reason.
 */
export async function evaluateTrigger(deps: EvaluateDeps, message: TriggerMessage): Promise<ContactRecord> {
  const parsed = parseTriggerEvent(message.event);
  if ('problem' in parsed)
    throw new InvalidInputError(`invalid event: ${parsed.problem}`, undefined, {
      campaignId: message.campaignId,
    });
  const retry = { maxAttempts: deps.maxAttempts ?? 8 };
  return retryOnConflict(
    retry,
    async (attempt) => {
      const state = await deps.store.load(parsed.customerId, attempt > 0);
      const now = deps.clock.now();
      const [decision] = decide(deps.engine, {
        event: message.event,
        state,
        now,
        campaignIds: [message.campaignId],
      });
      if (!decision)
        throw new InvalidInputError('no decision for the campaign', undefined, {
          campaignId: message.campaignId,
        });

      if (decision.reason === 'duplicate') return completeOrCount(deps, decision, state, message.event, now);
      const channel = reservedChannel(decision);
      if (channel === undefined) {
        await deps.store.putContact(decision);
        return decision;
      }
      const reserve = {
        at: now,
        campaignId: decision.campaignId,
        purpose: purposeOf(deps, decision),
        channel,
      };
      const result = await deps.store.commitDecision(state, {
        idempotencyKey: decision.idempotencyKey,
        decidedAt: now,
        reserve,
      });
      if (result === 'conflict') return CONFLICT;
      if (decision.outcome === 'holdout') {
        await deps.store.putContact(decision);
        return decision;
      }
      if (decision.outcome === 'deferred') return defer(deps, decision, message.event);
      return deliver(deps, decision, channelsOf(decision), state, message.event);
    },
    () =>
      new TransientError('too many concurrent updates of one customer; will retry', undefined, {
        campaignId: message.campaignId,
      }),
  );
}

const purposeOf = (deps: EvaluateDeps, d: Decision): string =>
  deps.engine.campaigns.find((c) => c.campaign.id === d.campaignId)?.campaign.purpose ?? 'marketing';

async function defer(deps: EvaluateDeps, decision: Decision, event: unknown): Promise<ContactRecord> {
  await deps.store.putContact(decision);
  await deps.scheduler.schedule({
    at: Date.parse(decision.sendAt ?? decision.decidedAt),
    customerId: decision.customerId,
    campaignId: decision.campaignId,
    idempotencyKey: decision.idempotencyKey,
    event,
  });
  return decision;
}

async function completeOrCount(
  deps: EvaluateDeps,
  duplicate: Decision,
  state: CustomerState,
  event: unknown,
  now: number,
): Promise<ContactRecord> {
  const { customerId, campaignId, idempotencyKey } = duplicate;
  const original = await deps.store.getContact(customerId, campaignId, idempotencyKey);
  if (original?.status === 'sending') {
    // An earlier attempt committed and then failed transiently: send now, reservation kept.
    return deliver(deps, original, channelsOf(original), state, event);
  }
  if (original) {
    await deps.store.addDuplicate(customerId, campaignId, idempotencyKey);
    return duplicate;
  }
  const committedAt = state.decided[decidedKey(idempotencyKey)] ?? now;
  if (now - committedAt < (deps.leaseMs ?? 300_000)) {
    throw new TransientError('the first delivery of this event is still in flight; will retry', undefined, {
      campaignId,
    });
  }
  // The first attempt committed and died before its record: decide again as it would have (same
  // variant and channels, its own key and reservation set aside) and complete it.
  const { [decidedKey(idempotencyKey)]: _, ...decided } = state.decided;
  const redo = decide(deps.engine, {
    event,
    state: {
      ...state,
      decided,
      sends: state.sends.filter((s) => !(s.campaignId === campaignId && Math.abs(s.at - committedAt) < 1000)),
    },
    now,
    campaignIds: [campaignId],
  })[0];
  if (!redo || (redo.outcome !== 'sent' && redo.outcome !== 'deferred')) {
    const record: ContactRecord = { ...(redo ?? duplicate), facts: redo?.facts ?? duplicate.facts };
    await deps.store.putContact(record);
    return record;
  }
  if (redo.outcome === 'deferred') return defer(deps, redo, event);
  return deliver(deps, redo, channelsOf(redo), state, event);
}
