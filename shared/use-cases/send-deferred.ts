import type { Clock, DeferredSend } from '#shared/domain/ports.ts';
import type { ContactRecord } from '#shared/domain/store.ts';
import { recheckDeferred } from '#shared/engine/decide.ts';
import { type DeliverDeps, deliver } from './deliver.ts';

/**
 * Sends a deferred message when it falls due (quiet hours over, delay passed):
 * 1. read its contact record — if it is no longer `deferred`, an earlier run finished it: done;
 * 2. read the customer (consistent) and re-check consent, suppressions and expiry, so a withdrawal
 *    recorded after the decision stops the send;
 * 3. send through the first channel still usable (fallback in order) and write the record, or record
 *    why it was not sent.
 */
export async function sendDeferred(
  deps: DeliverDeps & { readonly clock: Clock },
  send: DeferredSend,
): Promise<ContactRecord | undefined> {
  const record = await deps.store.getContact(send.customerId, send.campaignId, send.idempotencyKey);
  // No record: the customer was erased in between (erasure removes the history) — nothing to send.
  if (!record) return undefined;
  if (record.outcome !== 'deferred' && record.status !== 'sending') return record;
  const state = await deps.store.load(send.customerId, true);
  const { usable, reason, facts } = recheckDeferred(deps.engine, record, state, deps.clock.now());
  const decision = { ...record, facts: [...record.facts, ...facts] };
  if (usable.length === 0) {
    const { channel, sendAt, fallbackChannels, status, ...rest } = decision;
    const suppressed: ContactRecord = { ...rest, outcome: 'suppressed', reason: reason ?? 'no_channel' };
    await deps.store.putContact(suppressed);
    return suppressed;
  }
  return deliver(deps, decision, usable, state, send.event);
}
