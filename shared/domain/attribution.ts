import type { ContactRecord } from './store.ts';

/**
 * Which contact of a campaign a goal conversion is credited to: the rule both contact stores apply.
 *
 * The goal measures the campaign's experiment (message against holdout), so a conversion goes to the
 * customer's latest *triggered* contact of the campaign in the goal window: a message sent or a
 * trigger held out. Only when there is none does it go to the latest offer of the campaign shown at a
 * contact moment (till, call, web), so an offer made only at the till still shows what it did. One
 * conversion is credited to one contact per campaign, never two: a later offer at the till does not
 * take the credit away from the message before it, and a contact that already has a conversion (an
 * earlier goal event, or an offer accepted at the till) gets no second one.
 *
 * Candidates are contacts decided at or after `since` (the conversion's time minus the goal window) and
 * strictly before the conversion (the event that triggered a contact is not that contact's conversion).
 * Ties on the decision time go to the later idempotency key (the later sort key).
 */
export function attributionTarget(
  records: Iterable<ContactRecord>,
  since: string,
  at: string,
): ContactRecord | undefined {
  let triggered: ContactRecord | undefined;
  let shown: ContactRecord | undefined;
  for (const r of records) {
    if (r.outcome !== 'sent' && r.outcome !== 'holdout') continue;
    if (r.decidedAt < since || r.decidedAt >= at) continue;
    if (r.moment === undefined) triggered = later(triggered, r);
    else shown = later(shown, r);
  }
  const target = triggered ?? shown;
  return target && !target.conversion ? target : undefined;
}

const later = (a: ContactRecord | undefined, b: ContactRecord): ContactRecord =>
  !a || b.decidedAt > a.decidedAt || (b.decidedAt === a.decidedAt && b.idempotencyKey > a.idempotencyKey)
    ? b
    : a;
