import type { Clock } from '#shared/domain/ports.ts';
import type { ActivityStore, ContactRecord } from '#shared/domain/store.ts';
import { countersForEvent, type Engine } from '#shared/engine/compile.ts';
import { parseTriggerEvent } from '#shared/engine/event.ts';
import { DAY_MS, durationMs, isoString, utcDay } from '#shared/engine/time.ts';
import { InvalidInputError } from '#shared/errors.ts';

export interface ActivityDeps {
  readonly store: ActivityStore;
  readonly engine: Engine;
  readonly clock: Clock;
}

export interface ActivityResult {
  readonly counted: readonly string[];
  readonly conversions: readonly ContactRecord[];
}

/** A conversion's value: `detail.value`, else `detail.total`, when it is a finite number. */
function conversionValue(detail: Readonly<Record<string, unknown>>): number | undefined {
  for (const key of ['value', 'total'] as const) {
    const v = detail[key];
    if (typeof v === 'number' && Number.isFinite(v)) return v;
  }
  return undefined;
}

/**
 * Every customer event, whatever campaign it triggers:
 * 1. count it on each threshold rule's activity counter it matches (once per event id), so that
 *    "3rd order within 30 days" can be decided from one read; an erased customer (tombstone) gets no
 *    counter back, and the event changes nothing;
 * 2. for each campaign whose goal names this event, attribute a conversion to the customer's latest
 *    contact of that campaign within the goal window — sent *or* held out, so the control group's
 *    conversions count too and uplift can be measured.
 */
export async function recordActivity(deps: ActivityDeps, event: unknown): Promise<ActivityResult> {
  const parsed = parseTriggerEvent(event);
  if ('problem' in parsed) throw new InvalidInputError(`invalid event: ${parsed.problem}`);
  const keepDays = Math.ceil(deps.engine.maxActivityWindowMs / DAY_MS) + 1;
  const counted: string[] = [];
  for (const counter of countersForEvent(deps.engine, event)) {
    const result = await deps.store.countActivity(
      parsed.customerId,
      counter.id,
      utcDay(parsed.time),
      parsed.id,
      keepDays,
    );
    // Erased: nothing about the customer may come back, and there is no contact to credit either.
    if (result === 'erased') return { counted: [], conversions: [] };
    if (result === 'counted') counted.push(counter.id);
  }
  const value = conversionValue(parsed.detail);
  const conversion = {
    eventId: parsed.id,
    at: isoString(parsed.time),
    ...(value !== undefined && { value }),
  };
  const goals: { campaignId: string; since: string }[] = [];
  for (const { campaign } of deps.engine.campaigns) {
    const goal = campaign.goal?.conversion;
    if (
      !goal ||
      goal.detailType !== parsed.detailType ||
      (goal.source !== undefined && goal.source !== parsed.source)
    )
      continue;
    const within = durationMs(campaign.goal?.within ?? '0m');
    goals.push({ campaignId: campaign.id, since: isoString(parsed.time - within) });
  }
  // Several campaigns with this event as their goal: one read of the history where the store can.
  if (goals.length > 1 && deps.store.attributeConversions) {
    return {
      counted,
      conversions: await deps.store.attributeConversions(parsed.customerId, goals, conversion),
    };
  }
  const conversions: ContactRecord[] = [];
  for (const { campaignId, since } of goals) {
    const record = await deps.store.attributeConversion(parsed.customerId, campaignId, since, conversion);
    if (record) conversions.push(record);
  }
  return { counted, conversions };
}
