import { LOCAL_ACCOUNT } from '#local/lambda-context.ts';
import { LocalApiError, type RestRoute } from './aux.ts';

/**
 * EventBridge Scheduler's `CreateSchedule` (REST-JSON, `POST /schedules/{Name}`) for one-time `at(...)`
 * schedules, as the `EventBridgeScheduler` adapter creates them for deferred sends. Names are unique per
 * group (a second create is a `ConflictException`, which the adapter treats as "already scheduled").
 * The runtime fires due schedules by invoking the target (the `deferred` handler) with `Target.Input`,
 * retries a failing one up to `RetryPolicy.MaximumRetryAttempts` times, then dead-letters it with the
 * reason (under `Target.DeadLetterConfig.Arn`, as AWS does), and deletes a finished one (`ActionAfterCompletion: DELETE`, the adapter's choice).
 */

export interface Schedule {
  readonly name: string;
  readonly groupName: string;
  readonly arn: string;
  readonly expression: string;
  /** Epoch ms it is due. */
  readonly at: number;
  readonly targetArn: string;
  readonly input: string;
  readonly maxAttempts: number;
  /** `Target.DeadLetterConfig.Arn`: where AWS would put the input after the last attempt. */
  readonly deadLetterArn?: string;
  readonly deleteAfterCompletion: boolean;
  attempts: number;
  lastError?: string;
}

export interface ScheduleDeadLetter {
  readonly name: string;
  /** The schedule's dead-letter queue (ARN), if it named one. */
  readonly queueArn?: string;
  readonly input: string;
  readonly reason: string;
  readonly at: string;
}

const isRecord = (v: unknown): v is Record<string, unknown> =>
  typeof v === 'object' && v !== null && !Array.isArray(v);

/** The customer a schedule's input names (a deferred send's `customerId`), if any. */
function customerOf(schedule: Schedule): string | undefined {
  try {
    const input: unknown = JSON.parse(schedule.input);
    return isRecord(input) && typeof input.customerId === 'string' ? input.customerId : undefined;
  } catch {
    return undefined;
  }
}

/** The UTC instant at which the wall clock in `timeZone` shows the given local date-time. */
export function zonedTimeToUtc(local: string, timeZone: string): number {
  const guess = Date.parse(`${local}Z`);
  if (timeZone === 'UTC' || timeZone === 'Etc/UTC') return guess;
  const offsetAt = (ms: number): number => {
    const parts = new Intl.DateTimeFormat('en-US', {
      timeZone,
      hourCycle: 'h23',
      year: 'numeric',
      month: '2-digit',
      day: '2-digit',
      hour: '2-digit',
      minute: '2-digit',
      second: '2-digit',
    }).formatToParts(ms);
    const get = (type: string) => Number(parts.find((p) => p.type === type)?.value);
    return (
      Date.UTC(get('year'), get('month') - 1, get('day'), get('hour'), get('minute'), get('second')) - ms
    );
  };
  // Two rounds settle the offset, also next to a daylight-saving change.
  const first = guess - offsetAt(guess);
  return guess - offsetAt(first);
}

export class LocalSchedules {
  private readonly schedules = new Map<string, Schedule>();
  readonly deadLetters: ScheduleDeadLetter[] = [];
  fired = 0;

  constructor(private readonly options: { region: string; groups: readonly string[]; now: () => number }) {}

  /** Validates and stores a schedule, like CreateSchedule. Returns its ARN. */
  create(name: string, input: unknown): string {
    if (!/^[0-9a-zA-Z-_.]{1,64}$/.test(name))
      throw new LocalApiError('ValidationException', 'Name must be 1-64 of [0-9a-zA-Z-_.].');
    if (!isRecord(input))
      throw new LocalApiError('ValidationException', 'The request body must be an object.');
    const groupName = typeof input.GroupName === 'string' ? input.GroupName : 'default';
    if (!this.options.groups.includes(groupName))
      throw new LocalApiError(
        'ResourceNotFoundException',
        `Schedule group ${groupName} does not exist.`,
        404,
      );
    const expression = input.ScheduleExpression;
    const at =
      typeof expression === 'string'
        ? /^at\((\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2})\)$/.exec(expression)
        : null;
    if (!at?.[1]) {
      throw new LocalApiError(
        'ValidationException',
        'The local scheduler supports one-time schedules only: ScheduleExpression at(yyyy-mm-ddThh:mm:ss).',
      );
    }
    const timeZone =
      typeof input.ScheduleExpressionTimezone === 'string' ? input.ScheduleExpressionTimezone : 'UTC';
    let due: number;
    try {
      due = zonedTimeToUtc(at[1], timeZone);
    } catch {
      throw new LocalApiError('ValidationException', `Invalid ScheduleExpressionTimezone ${timeZone}.`);
    }
    if (Number.isNaN(due))
      throw new LocalApiError('ValidationException', 'Invalid date in ScheduleExpression.');
    const window = isRecord(input.FlexibleTimeWindow) ? input.FlexibleTimeWindow.Mode : undefined;
    if (window !== 'OFF' && window !== 'FLEXIBLE')
      throw new LocalApiError('ValidationException', 'FlexibleTimeWindow.Mode must be OFF or FLEXIBLE.');
    const target = isRecord(input.Target) ? input.Target : undefined;
    if (typeof target?.Arn !== 'string' || typeof target.RoleArn !== 'string')
      throw new LocalApiError('ValidationException', 'Target.Arn and Target.RoleArn are required.');
    const key = `${groupName}/${name}`;
    if (this.schedules.has(key))
      throw new LocalApiError('ConflictException', `Schedule ${name} already exists.`, 409);
    const retry = isRecord(target.RetryPolicy) ? target.RetryPolicy.MaximumRetryAttempts : undefined;
    const deadLetterArn = isRecord(target.DeadLetterConfig) ? target.DeadLetterConfig.Arn : undefined;
    const arn = `arn:aws:scheduler:${this.options.region}:${LOCAL_ACCOUNT}:schedule/${groupName}/${name}`;
    this.schedules.set(key, {
      name,
      groupName,
      arn,
      expression: expression as string,
      at: due,
      targetArn: target.Arn,
      input: typeof target.Input === 'string' ? target.Input : '{}',
      maxAttempts: 1 + (typeof retry === 'number' ? retry : 185),
      ...(typeof deadLetterArn === 'string' && { deadLetterArn }),
      deleteAfterCompletion: input.ActionAfterCompletion === 'DELETE',
      attempts: 0,
    });
    return arn;
  }

  get pending(): number {
    return this.schedules.size;
  }

  /** The earliest due time after `now`, if any (for stepping the clock). */
  nextDueAfter(now: number): number | undefined {
    let next: number | undefined;
    for (const s of this.schedules.values())
      if (s.at > now && (next === undefined || s.at < next)) next = s.at;
    return next;
  }

  /**
   * Runs every schedule due at `now` through `invoke`; a failure is retried on the next run until its
   * attempts are used up, then dead-lettered with the reason.
   *
   * Like EventBridge Scheduler, which fires due schedules independently, schedules of different
   * customers run concurrently (at most `concurrency` at once); one customer's run one after the
   * other, oldest first, so a replay decides them in the order the simulator does (a customer's sends
   * share caps and state; different customers' never touch each other).
   */
  async runDue(invoke: (schedule: Schedule) => Promise<unknown>, concurrency = 8): Promise<number> {
    const now = this.options.now();
    const due = [...this.schedules.entries()]
      .filter(([, s]) => s.at <= now)
      .sort(([, a], [, b]) => a.at - b.at);
    const lanes = new Map<string, [string, Schedule][]>();
    for (const entry of due) {
      const lane = customerOf(entry[1]) ?? `#${entry[0]}`;
      const list = lanes.get(lane);
      if (list) list.push(entry);
      else lanes.set(lane, [entry]);
    }
    const queue = [...lanes.values()];
    const worker = async (): Promise<void> => {
      for (let lane = queue.shift(); lane; lane = queue.shift())
        for (const [key, schedule] of lane) await this.fire(key, schedule, invoke, now);
    };
    await Promise.all(Array.from({ length: Math.max(1, Math.min(concurrency, queue.length)) }, worker));
    return due.length;
  }

  private async fire(
    key: string,
    schedule: Schedule,
    invoke: (schedule: Schedule) => Promise<unknown>,
    now: number,
  ): Promise<void> {
    schedule.attempts++;
    try {
      await invoke(schedule);
      this.fired++;
      // One-time schedules without DELETE stay in AWS (state completed) but never fire again.
      this.schedules.delete(key);
    } catch (error) {
      schedule.lastError = error instanceof Error ? `${error.name}: ${error.message}` : String(error);
      if (schedule.attempts >= schedule.maxAttempts) {
        this.schedules.delete(key);
        this.deadLetters.push({
          name: schedule.name,
          ...(schedule.deadLetterArn && { queueArn: schedule.deadLetterArn }),
          input: schedule.input,
          reason: `failed ${schedule.attempts} times; last error ${schedule.lastError}`,
          at: new Date(now).toISOString(),
        });
      }
    }
  }

  /** For persistence: every pending schedule. */
  list(): Schedule[] {
    return [...this.schedules.values()].map((s) => ({ ...s }));
  }

  restore(schedules: readonly Schedule[]): void {
    for (const s of schedules) this.schedules.set(`${s.groupName}/${s.name}`, { ...s });
  }
}

/** The REST route: `POST /schedules/{Name}` → `{ ScheduleArn }`. */
export function schedulerRoutes(schedules: LocalSchedules): RestRoute[] {
  return [
    {
      method: 'POST',
      path: /^\/schedules\/([^/]+)$/,
      handle: (match, input) => ({
        ScheduleArn: schedules.create(decodeURIComponent(match[1] ?? ''), input),
      }),
    },
  ];
}
