import type { Clock, TriggerEmitter } from '#shared/domain/ports.ts';
import type { CustomerDataStore } from '#shared/domain/store.ts';
import type { Engine } from '#shared/engine/compile.ts';
import { DAY_MS, localParts } from '#shared/engine/time.ts';
import { DATE_TRIGGER_DETAIL_TYPE, DATE_TRIGGER_SOURCE } from '#shared/strategy/campaign-pattern.ts';

export interface DateTriggerDeps {
  readonly store: Pick<CustomerDataStore, 'customersByDate'>;
  readonly engine: Engine;
  readonly clock: Clock;
  readonly emitter: TriggerEmitter;
  /** The local hour at which date-triggered messages go out. @default 9 */
  readonly sendHour?: number;
}

const pad = (n: number) => String(n).padStart(2, '0');
const isoDate = (y: number, m: number, d: number) => `${y}-${pad(m)}-${pad(d)}`;
const isLeap = (y: number) => (y % 4 === 0 && y % 100 !== 0) || y % 400 === 0;
const HOUR_MS = 3_600_000;
/** The widest UTC offsets any time zone uses: −12:00 (Etc/GMT+12) and +14:00 (Pacific/Kiritimati). */
const MIN_OFFSET_MS = -12 * HOUR_MS;
const MAX_OFFSET_MS = 14 * HOUR_MS;

/**
 * Whether any time zone's clock can show the send hour on UTC today + `offset` days at `now`: a
 * customer's local time is `now` plus their zone's offset, which lies within [−12 h, +14 h]. Most hours
 * only one of the three local dates (UTC yesterday, today, tomorrow) can: its index keys alone are read.
 */
function sendHourPossible(now: number, offset: number, sendHour: number): boolean {
  const from = Math.floor(now / DAY_MS) * DAY_MS + offset * DAY_MS + sendHour * HOUR_MS;
  return now + MAX_OFFSET_MS >= from && now + MIN_OFFSET_MS < from + HOUR_MS;
}

/**
 * Runs hourly (EventBridge Scheduler). For every date-triggered campaign it finds, through the date
 * index (never a table scan), the customers whose date is `daysBefore` days ahead of *their own*
 * local today and whose local clock shows the send hour, and emits one `DateTriggerReached` event per
 * customer and campaign. The event carries `occurrence` = `<campaign>#<date>`, the idempotency key,
 * so a re-run of the same hour cannot send twice. Customers born on 29 February are congratulated on
 * 28 February in other years.
 *
 * Every time zone's local date is one of UTC yesterday, today or tomorrow, so three index keys per
 * campaign cover the world; a date on which no time zone's clock shows the send hour now is skipped
 * (most hours, two of the three), since none of its customers could be due.
 */
export async function runDateTriggers(deps: DateTriggerDeps): Promise<{ emitted: number }> {
  const now = deps.clock.now();
  const sendHour = deps.sendHour ?? 9;
  const batch: { source: string; detailType: string; detail: Record<string, unknown> }[] = [];
  let emitted = 0;
  const flush = async () => {
    if (batch.length === 0) return;
    await deps.emitter.emit(batch.splice(0));
  };
  for (const { campaign } of deps.engine.campaigns) {
    const date = campaign.trigger.date;
    if (!date) continue;
    const seen = new Set<string>();
    for (const offset of [-1, 0, 1]) {
      if (!sendHourPossible(now, offset, sendHour)) continue;
      const target = new Date(now + offset * DAY_MS + date.daysBefore * DAY_MS);
      const [y, m, d] = [target.getUTCFullYear(), target.getUTCMonth() + 1, target.getUTCDate()];
      const keys = date.anniversary ? [`${pad(m)}-${pad(d)}`] : [isoDate(y, m, d)];
      if (date.anniversary && m === 2 && d === 28 && !isLeap(y)) keys.push('02-29');
      for (const key of keys) {
        for await (const { customerId, timezone } of deps.store.customersByDate(
          date.attribute,
          date.anniversary,
          key,
        )) {
          const local = localParts(now, timezone);
          if (local.hour !== sendHour) continue;
          // The customer's local today + daysBefore must be the date this key stands for.
          const due = new Date(Date.UTC(local.year, local.month - 1, local.day) + date.daysBefore * DAY_MS);
          const [dy, dm, dd] = [due.getUTCFullYear(), due.getUTCMonth() + 1, due.getUTCDate()];
          const dueKeys = date.anniversary ? [`${pad(dm)}-${pad(dd)}`] : [isoDate(dy, dm, dd)];
          if (date.anniversary && dm === 2 && dd === 28 && !isLeap(dy)) dueKeys.push('02-29');
          if (!dueKeys.includes(key) || seen.has(customerId)) continue;
          seen.add(customerId);
          batch.push({
            source: DATE_TRIGGER_SOURCE,
            detailType: DATE_TRIGGER_DETAIL_TYPE,
            detail: {
              customerId,
              campaignId: campaign.id,
              attribute: date.attribute,
              date: isoDate(dy, dm, dd),
              occurrence: `${campaign.id}#${isoDate(dy, dm, dd)}`,
            },
          });
          emitted++;
          if (batch.length >= 10) await flush();
        }
      }
    }
  }
  await flush();
  return { emitted };
}
