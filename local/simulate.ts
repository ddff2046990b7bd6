import type { Reason } from '#shared/domain/decision.ts';
import { TRIGGER_BUS_NAME } from '#shared/domain/events.ts';
import type {
  Channels,
  DeferredSend,
  LinkBuilder,
  PushRegistry,
  Scheduler,
  TriggerEmitter,
} from '#shared/domain/ports.ts';
import type { ContactRecord } from '#shared/domain/store.ts';
import { compileEngine, type Engine } from '#shared/engine/compile.ts';
import { shortHash } from '#shared/engine/hash.ts';
import { renderEmptyMessage, withEmptyStrings } from '#shared/engine/render.ts';
import { isoString } from '#shared/engine/time.ts';
import { InvalidInputError } from '#shared/errors.ts';
import { compileEventPattern } from '#shared/event-pattern/index.ts';
import { platformRoutes, type Route, type RouteTarget } from '#shared/routing.ts';
import type { CompiledStrategy } from '#shared/strategy/load.ts';
import type { Channel, Strategy } from '#shared/strategy/schema.ts';
import type { TemplateSet } from '#shared/strategy/templates.ts';
import { applyCustomerEvent, type CustomerDataDeps } from '#shared/use-cases/customer-data.ts';
import { runDateTriggers } from '#shared/use-cases/date-triggers.ts';
import { type EvaluateDeps, evaluateTrigger } from '#shared/use-cases/evaluate-trigger.ts';
import { type ActivityDeps, recordActivity } from '#shared/use-cases/record-activity.ts';
import { sendDeferred } from '#shared/use-cases/send-deferred.ts';
import { type BusEvent, parseJsonLines, type RowProblem, readText } from './import.ts';
import { MemoryCustomerStore } from './memory-store.ts';
import type { EventEnvelope } from './servers/eventbridge.ts';
import type { WorkerPool } from './simulate-pool.ts';

/**
 * `contact simulate`: a dry run of a contact strategy over an event history. The events go through the
 * platform's own use cases — `applyCustomerEvent`, `recordActivity`, `evaluateTrigger`, `sendDeferred`
 * and the hourly `runDateTriggers` — routed by `platformRoutes(strategy)` with the EventBridge matcher,
 * exactly as the local EventBridge endpoint and the deployed rules route them. Only the edges differ:
 * the in-memory store, a simulated clock, and channels that count what would have been sent.
 *
 * ## Time, and agreeing with the live runtime
 *
 * The replay moves time the way the local runtime's `clock.advance` does: to each distinct event time
 * in turn, stopping on the way at every run of the date-trigger job (five past each hour, as its
 * deployed schedule) and at every deferred send falling due (which then runs at its own time, to the
 * second, as EventBridge Scheduler's `at()` fires). Events of the same time are decided at that time,
 * in file order.
 *
 * The live runtime decides queue messages concurrently. Outcomes then still agree with this sequential
 * replay because whatever one decision can change for another stays inside one customer (caps,
 * counters, consent and idempotency keys are per customer), and the demo puts the events of one time
 * in *waves* — at most one event per customer per wave, the next wave after the previous drained (see
 * {@link waves}) — so one customer's events are never in flight together. Within one event, the
 * campaign decision and the activity counter may run in either order: the engine counts the triggering
 * event itself unless the counter already has it. What remains order-dependent is kept out of the demo
 * data: two date triggers of one customer in the same hourly run (see `sample-data.ts`).
 *
 * The tally is taken the way the dashboard sees it: from the contact history at the end (one record
 * per idempotency key), plus duplicates counted on records, plus triggers dead-lettered as invalid.
 */

const HOUR_MS = 3_600_000;
/** The date-trigger job runs at five past the hour (see `advanceTo`). */
const DATE_JOB_OFFSET_MS = 5 * 60_000;
const DAY_MS = 86_400_000;
const ERASED = /^erased \d+ items$/;
const REGION = 'eu-west-1';
const ACCOUNT = '000000000000';

// --- Input -----------------------------------------------------------------------------------------

/** One event of the history: what an app put on the bus, and when. */
export interface ReplayEvent {
  /** Line in the file (for messages; never the event's content). */
  readonly line: number;
  /** Epoch ms. */
  readonly time: number;
  readonly source: string;
  readonly detailType: string;
  readonly detail: unknown;
}

export const isRecord = (v: unknown): v is Record<string, unknown> =>
  typeof v === 'object' && v !== null && !Array.isArray(v);

/**
 * JSON lines of `{ time, source, detailType, detail }` (`detail-type` also accepted, so EventBridge
 * events can be replayed as they are). Sorted by time; events of the same time keep their file order.
 *
 * The lines as {@link parseJsonLines} reads them (one pass, no array of lines), each time string
 * parsed once (a history repeats its times), and no sort when the file is already in time order, as
 * `contact sample-data` writes it.
 */
export function parseEventLines(text: string): { events: ReplayEvent[]; unreadable: RowProblem[] } {
  const events: ReplayEvent[] = [];
  const { rows, problems: unreadable } = parseJsonLines(text);
  const times = new Map<string, number>();
  let sorted = true;
  let lastTime = Number.NEGATIVE_INFINITY;
  for (const { line, row: value } of rows) {
    if (!isRecord(value)) {
      unreadable.push({ line, reason: 'not an object' });
      continue;
    }
    let time = Number.NaN;
    if (typeof value.time === 'string') {
      const known = times.get(value.time);
      if (known !== undefined) time = known;
      else {
        time = Date.parse(value.time);
        if (times.size >= 100_000) times.clear();
        times.set(value.time, time);
      }
    }
    const detailType = value.detailType ?? value['detail-type'];
    if (Number.isNaN(time)) unreadable.push({ line, reason: 'time is missing or not an ISO timestamp' });
    else if (typeof value.source !== 'string' || typeof detailType !== 'string')
      unreadable.push({ line, reason: 'source or detailType is missing' });
    else {
      if (time < lastTime) sorted = false;
      lastTime = time;
      events.push({ line, time, source: value.source, detailType, detail: value.detail });
    }
  }
  if (!sorted) events.sort((a, b) => a.time - b.time || a.line - b.line);
  return { events, unreadable: unreadable.sort((a, b) => a.line - b.line) };
}

export function readEventsFile(file: string): { events: ReplayEvent[]; unreadable: RowProblem[] } {
  return parseEventLines(readText(file));
}

/**
 * The replay's window: from the UTC midnight of the first event (customers load then) to one day after
 * the UTC midnight following the last, so that deferred sends of the last evening go out. The demo and
 * the simulator both take it from here.
 */
export function replayWindow(
  events: readonly Pick<ReplayEvent, 'time'>[],
  overrides: { start?: number; until?: number } = {},
): { start: number; until: number } {
  const first = events[0]?.time ?? 0;
  const last = events[events.length - 1]?.time ?? first;
  const start = overrides.start ?? Math.floor(first / DAY_MS) * DAY_MS;
  const until = overrides.until ?? (Math.floor(last / DAY_MS) + 2) * DAY_MS;
  return { start, until: Math.max(until, start) };
}

/** The customer an event's detail names, if any. */
export const customerOf = (detail: unknown): string | undefined =>
  isRecord(detail) && typeof detail.customerId === 'string' ? detail.customerId : undefined;

/** The customer an event is about, or a key of its own when it names none (it can wait for no one). */
const customerKey = (e: { detail: unknown }, i: number): string => customerOf(e.detail) ?? `#${i}`;

/**
 * Splits events of one moment into waves with at most one event per customer each, in order: the
 * live demo drains the runtime after each wave, so no two events of one customer are decided at the
 * same time. Waves keep the relative order of every customer's events.
 */
export function waves<T extends { detail: unknown }>(events: readonly T[]): T[][] {
  const out: T[][] = [];
  const seen = new Map<string, number>();
  for (const [i, e] of events.entries()) {
    const key = customerKey(e, i);
    const wave = seen.get(key) ?? 0;
    seen.set(key, wave + 1);
    const group = out[wave];
    if (group) group.push(e);
    else out[wave] = [e];
  }
  return out;
}

/** Events grouped by identical time, in time order. */
export function byTime<T extends { time: number }>(events: readonly T[]): { time: number; events: T[] }[] {
  const out: { time: number; events: T[] }[] = [];
  for (const e of events) {
    const last = out[out.length - 1];
    if (last && last.time === e.time) last.events.push(e);
    else out.push({ time: e.time, events: [e] });
  }
  return out;
}

// --- The bus: envelope and routes, as the local EventBridge builds them ----------------------------

/** The same envelope the local EventBridge endpoint builds. */
export type Envelope = EventEnvelope;

/** EventBridge's `time`: whole seconds, no fraction. Memoised: a replay asks for the same second often. */
const eventTime = (() => {
  let lastSecond = Number.NaN;
  let last = '';
  return (ms: number): string => {
    const second = Math.floor(ms / 1000);
    if (second !== lastSecond) {
      lastSecond = second;
      last = isoString(second * 1000).replace('.000Z', 'Z');
    }
    return last;
  };
})();

/**
 * Why `PutEvents` would refuse the entry (its `ErrorCode`), or undefined: the checks the local
 * EventBridge and AWS make that an events file can fail.
 */
export function refusal(e: { source: unknown; detailType: unknown; detail: unknown }): string | undefined {
  if (typeof e.source !== 'string' || e.source === '' || e.source.length > 256) return 'InvalidArgument';
  if (e.source.startsWith('aws.')) return 'NotAuthorizedForSourceException';
  if (typeof e.detailType !== 'string' || e.detailType === '' || e.detailType.length > 128)
    return 'InvalidArgument';
  if (!isRecord(e.detail)) return 'MalformedDetail';
  // (EventBridge also refuses entries over 256 KB; measuring every detail would cost more than the
  // replay's decisions, and no history of real app events comes near.)
  return undefined;
}

export function envelope(
  e: { source: string; detailType: string; detail: Record<string, unknown> },
  id: string,
  time: number,
): Envelope {
  return {
    version: '0',
    id,
    'detail-type': e.detailType,
    source: e.source,
    account: ACCOUNT,
    time: eventTime(time),
    region: REGION,
    resources: [],
    detail: e.detail,
  };
}

interface Rule {
  readonly route: Route;
  readonly matches: (event: unknown) => boolean;
  /** The `source` and `detail-type` values the rule can match, when its pattern lists plain strings. */
  readonly sources?: ReadonlySet<string>;
  readonly detailTypes?: ReadonlySet<string>;
  /**
   * The pattern has no other field than those lists: an event the index lists the rule for matches
   * it (most campaign rules, and the customer-data rule).
   */
  readonly indexDecides: boolean;
}

/** A top-level field's values when the pattern lists plain strings only (the field must equal one). */
function plainStrings(pattern: Readonly<Record<string, unknown>>, field: string): Set<string> | undefined {
  const values = Object.hasOwn(pattern, field) ? pattern[field] : undefined;
  if (!Array.isArray(values) || values.length === 0 || !values.every((v) => typeof v === 'string'))
    return undefined;
  return new Set(values as string[]);
}

/**
 * The platform's rules on the `contact-triggers` bus, compiled once. Every rule's full pattern decides;
 * an index on the envelope's `source` and `detail-type` only skips the rules that cannot match: a
 * top-level field is part of every alternative of a pattern, and a string matches a list of plain
 * strings only by being one of them.
 */
export class Router {
  private readonly rules: readonly Rule[];
  /** The rules worth trying per source, then detail-type, in rule order; filled as events come. */
  private readonly candidates = new Map<string, Map<string, readonly Rule[]>>();

  constructor(strategy: Strategy) {
    this.rules = platformRoutes(strategy)
      .filter((r) => r.bus === TRIGGER_BUS_NAME)
      .map((route) => {
        const sources = plainStrings(route.pattern, 'source');
        const detailTypes = plainStrings(route.pattern, 'detail-type');
        const fields = Object.keys(route.pattern);
        const indexDecides =
          fields.length > 0 &&
          fields.every((f) => (f === 'source' && sources) || (f === 'detail-type' && detailTypes));
        return {
          route,
          matches: compileEventPattern(route.pattern),
          ...(sources && { sources }),
          ...(detailTypes && { detailTypes }),
          indexDecides,
        };
      });
  }

  /** The rules an event matches, in rule order (campaigns first, as `platformRoutes` lists them). */
  match(event: unknown): Route[] {
    const out: Route[] = [];
    const indexed = this.candidatesFor(event);
    for (const { route, matches, indexDecides } of indexed ?? this.rules)
      if ((indexed && indexDecides) || matches(event)) out.push(route);
    return out;
  }

  /** The rules the index lists for the event's source and detail-type; undefined when it has none. */
  private candidatesFor(event: unknown): readonly Rule[] | undefined {
    if (!isRecord(event)) return undefined;
    const { source } = event;
    const detailType = event['detail-type'];
    if (typeof source !== 'string' || typeof detailType !== 'string') return undefined;
    let bySource = this.candidates.get(source);
    if (!bySource) {
      if (this.candidates.size >= 1_000) this.candidates.clear(); // a history of many sources: stay small
      bySource = new Map();
      this.candidates.set(source, bySource);
    }
    let rules = bySource.get(detailType);
    if (!rules) {
      rules = this.rules.filter(
        (r) => (r.sources?.has(source) ?? true) && (r.detailTypes?.has(detailType) ?? true),
      );
      bySource.set(detailType, rules);
    }
    return rules;
  }
}

// --- The edges: clock, scheduler, channels ---------------------------------------------------------

/** The simulated clock: it only moves when the replay moves it. */
export class SimClock {
  constructor(public ms: number) {}
  now(): number {
    return this.ms;
  }
}

/**
 * One-time schedules, as EventBridge Scheduler keeps them: one per decision, due to the second
 * (`at(yyyy-mm-ddThh:mm:ss)` has no fraction), run oldest first.
 */
export class SimScheduler implements Scheduler {
  private readonly keys = new Set<string>();
  /** Sorted by `at`; equal times keep the order they were scheduled in. */
  private readonly queue: DeferredSend[] = [];

  async schedule(send: DeferredSend): Promise<void> {
    const key = `${send.customerId}|${send.idempotencyKey}`;
    if (this.keys.has(key)) return; // the adapter treats ConflictException as "already scheduled"
    this.keys.add(key);
    const due = { ...send, at: Math.floor(send.at / 1000) * 1000 };
    let lo = 0;
    let hi = this.queue.length;
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      if ((this.queue[mid]?.at ?? 0) <= due.at) lo = mid + 1;
      else hi = mid;
    }
    this.queue.splice(lo, 0, due);
  }

  get size(): number {
    return this.queue.length;
  }

  nextDueAfter(now: number): number | undefined {
    for (const s of this.queue) if (s.at > now) return s.at;
    return undefined;
  }

  /** Removes and returns the sends due at `now`, oldest first. */
  takeDue(now: number): DeferredSend[] {
    let n = 0;
    while (n < this.queue.length && (this.queue[n]?.at ?? Number.POSITIVE_INFINITY) <= now) n++;
    const due = this.queue.splice(0, n);
    for (const s of due) this.keys.delete(`${s.customerId}|${s.idempotencyKey}`);
    return due;
  }
}

/**
 * Numbers per customer: the n-th of a kind for one customer, whatever the other customers do. The ids a
 * replay makes up (message ids, the ids of date-trigger and customer-load events) are numbered this way,
 * so that a run split over threads by customer makes the same records as a run in one.
 */
export class PerCustomerCounter {
  private readonly counts = new Map<string, number>();
  next(customerId: string): number {
    const n = (this.counts.get(customerId) ?? 0) + 1;
    this.counts.set(customerId, n);
    return n;
  }
}

/**
 * Channels that accept every message and count it: a dry run sends nothing. The message id is the
 * customer's n-th message (`sim-<n>-<customerId>`; the number comes first, so ids never collide): the
 * replay tells which customer it is working for, since an SMS carries no customer id.
 */
export class NullChannels implements Channels {
  readonly sent: Record<Channel, number> = { email: 0, sms: 0, push: 0, webhook: 0 };
  private readonly counter = new PerCustomerCounter();
  constructor(private readonly customer: () => string) {}
  private readonly ok = (channel: Channel) => async () => {
    this.sent[channel]++;
    const customerId = this.customer();
    return { messageId: `sim-${this.counter.next(customerId)}-${customerId}` };
  };
  readonly email = { sendEmail: this.ok('email') };
  readonly sms = { sendSms: this.ok('sms'), isOptedOut: async () => false };
  readonly push = { sendPush: this.ok('push') };
  readonly webhook = { post: this.ok('webhook') };
}

const NULL_LINKS: LinkBuilder = {
  links: () => ({
    unsubscribe: 'https://preferences.invalid/unsubscribe',
    preferences: 'https://preferences.invalid/',
  }),
};

const SIM_APPS = {
  fcm: `arn:aws:sns:${REGION}:${ACCOUNT}:app/GCM/contact-simulate`,
  apns: `arn:aws:sns:${REGION}:${ACCOUNT}:app/APNS/contact-simulate`,
} as const;

/** Push tokens become endpoint ARNs as SNS would make them (stable per token), always enabled. */
const NULL_PUSH: PushRegistry = {
  register: async (application, token) => ({
    endpointArn: `${application.replace(':app/', ':endpoint/')}/${shortHash(token)}`,
    enabled: true,
  }),
};

/**
 * The template set with every text emptied and everything else kept: the same templates, channels,
 * locales, email parts and webhook payload shapes.
 *
 * A dry run sends nothing, so the rendered text is never used; what the rendering can change is the
 * decision, and only by failing: `deliver` then falls back to the next channel. A template set fails
 * structurally (unknown template, channel without a part, no locale: `pickLocale` and the engine's
 * eligibility read only the keys, which are kept) or at run time — and the strategy loader already
 * renders every string with an empty profile, the helpers never throw and a missing field renders
 * empty, so a run-time failure needs a template that only breaks on some customers' data. Nothing else
 * a rendering yields (SMS segments, the locale picked, the subject) enters a decision or its record.
 * `simulate({ render: true })` (`contact simulate --render`) renders for real, and a test checks that
 * both give the same decisions on the sample history. Without it, the messages of these templates are
 * made by `renderEmptyMessage` (the same messages and errors, without Handlebars; tested against
 * `renderMessage` in test/unit/simulate-fast-paths.test.ts).
 */
export function shapeOnly(templates: TemplateSet): TemplateSet {
  return {
    templates: withEmptyStrings(templates.templates) as TemplateSet['templates'],
    layout: { html: '', text: '' },
  };
}

// --- The tally -------------------------------------------------------------------------------------

/** Final outcomes of one campaign's triggers. `triggered` is the sum of everything else. */
export interface CampaignTally {
  triggered: number;
  sent: number;
  byChannel: Partial<Record<Channel, number>>;
  /** Of `sent`: deferred first (quiet hours or delay), sent when due. */
  afterWait: number;
  /** Still deferred (or being retried) when the replay ended. */
  pending: number;
  holdout: number;
  /** By reason; `duplicate` counts redeliveries, `invalid_event` triggers dead-lettered as invalid. */
  suppressed: Partial<Record<Reason, number>>;
}

const emptyTally = (): CampaignTally => ({
  triggered: 0,
  sent: 0,
  byChannel: {},
  afterWait: 0,
  pending: 0,
  holdout: 0,
  suppressed: {},
});

const bump = <K extends string>(map: Partial<Record<K, number>>, key: K, n = 1) => {
  map[key] = (map[key] ?? 0) + n;
};

/** What the tally reads of a decision record (the dashboard API's records have these too). */
export interface TalliedRecord {
  readonly campaignId: string;
  readonly outcome: ContactRecord['outcome'];
  readonly reason?: string;
  readonly channel?: Channel;
  readonly status?: string;
  readonly duplicates?: number;
  /** On a sent record: it was deferred first and went out when due. */
  readonly sendAt?: string;
}

/**
 * The per-campaign tally from what the contact history holds at the end — the same for the simulator
 * and the live demo (which reads the table) — plus triggers dead-lettered as invalid.
 */
export function tallyRecords(
  campaignIds: readonly string[],
  records: Iterable<TalliedRecord>,
  invalidByCampaign: Readonly<Record<string, number>> = {},
): Record<string, CampaignTally> {
  const out: Record<string, CampaignTally> = {};
  const of = (id: string) => {
    out[id] ??= emptyTally();
    return out[id];
  };
  for (const id of campaignIds) of(id);
  for (const r of records) {
    const t = of(r.campaignId);
    t.triggered++;
    if (r.status === 'sending' || r.outcome === 'deferred') t.pending++;
    else if (r.outcome === 'sent') {
      t.sent++;
      if (r.channel) bump(t.byChannel, r.channel);
      // A deferred decision keeps its `sendAt` once sent (older records kept the reason instead).
      if (r.sendAt !== undefined || r.reason === 'delay' || r.reason === 'quiet_hours') t.afterWait++;
    } else if (r.outcome === 'holdout') t.holdout++;
    else bump(t.suppressed, (r.reason ?? 'no_channel') as Reason);
    if (r.duplicates) {
      t.triggered += r.duplicates;
      bump(t.suppressed, 'duplicate', r.duplicates);
    }
  }
  for (const [id, n] of Object.entries(invalidByCampaign)) {
    const t = of(id);
    t.triggered += n;
    bump(t.suppressed, 'invalid_event', n);
  }
  return out;
}

/** Checks `triggered = sent + pending + holdout + Σ suppressed` for every campaign; returns the offenders. */
export function unbalanced(tallies: Readonly<Record<string, CampaignTally>>): string[] {
  return Object.entries(tallies)
    .filter(
      ([, t]) =>
        t.sent + t.pending + t.holdout + Object.values(t.suppressed).reduce((s, n) => s + (n ?? 0), 0) !==
        t.triggered,
    )
    .map(([id]) => id);
}

// --- The simulation --------------------------------------------------------------------------------

export interface SimulationInput {
  readonly strategy: CompiledStrategy;
  /** Customers to load at the start (the import's events: profile and consent). */
  readonly customers?: readonly BusEvent[];
  readonly events: readonly ReplayEvent[];
  readonly start?: number;
  readonly until?: number;
  /** The date-trigger job's local send hour. @default 9 (as the deployed function) */
  readonly sendHour?: number;
  /**
   * Render every message as a send would. Off, the messages are rendered from {@link shapeOnly}
   * templates: the same decisions, several times faster.
   * @default false
   */
  readonly render?: boolean;
  readonly onProgress?: (done: number, total: number) => void;
  /**
   * Called once the customers are loaded, before the replay and its clocks start: a run split over
   * threads starts every shard's replay together, so that its time and CPU time are the replay's alone.
   */
  readonly loaded?: () => Promise<void>;
}

export interface SimulationResult {
  readonly window: { readonly start: string; readonly until: string };
  readonly input: {
    readonly events: number;
    /** Refused by `PutEvents` (not routed). */
    readonly refused: number;
    readonly customerEvents: number;
  };
  /** What each queue's function did: handled, or dead-lettered as invalid input. */
  readonly handlers: Readonly<Record<RouteTarget, { handled: number; deadLettered: number }>>;
  readonly profileResults: Readonly<Record<string, number>>;
  readonly dateTriggers: number;
  readonly deferredRuns: number;
  /** Decisions made (each evaluation, duplicates included). */
  readonly decisions: number;
  /**
   * Decisions no longer in the history at the end: the same idempotency key decided again after a
   * suppression (a producer's retry), or a customer erased. 0 means the tally covers every decision.
   */
  readonly superseded: number;
  /** Errors other than invalid input (none expected: the channels never fail). */
  readonly failures: Readonly<Record<string, number>>;
  readonly sends: Readonly<Record<Channel, number>>;
  readonly campaigns: Readonly<Record<string, CampaignTally>>;
  /** The contact history at the end (for comparing decision by decision). */
  readonly records: readonly ContactRecord[];
  readonly timing: {
    readonly loadMs: number;
    readonly replayMs: number;
    /** CPU time of the replay: on a busy machine, the rate per CPU second is the one to compare. */
    readonly cpuMs: number;
    /** Events of the history replayed per second of replay (the engine-bound part). */
    readonly eventsPerSecond: number;
    readonly eventsPerCpuSecond: number;
    readonly decisionsPerSecond: number;
    /** Set by the command: reading and parsing the events and customers files. */
    readonly readMs?: number;
    /** Set by the command: reading the files, loading the customers, replaying. */
    readonly endToEndMs?: number;
    readonly endToEndEventsPerSecond?: number;
    /** Threads the replay was split over (`--workers`); absent: one, this one. */
    readonly workers?: number;
  };
}

/**
 * Replays the history through the use cases and returns the tally. Deterministic: the same input
 * gives the same result, whatever the machine. (`contact simulate --workers N` splits the same work
 * over threads by customer: see `simulate-shards.ts`.)
 */
export async function simulate(input: SimulationInput): Promise<SimulationResult> {
  return mergeReplays(input.strategy, [await replay(input)]);
}

type HandlerCounts = Record<RouteTarget, { handled: number; deadLettered: number }>;
const noneHandled = (): HandlerCounts => ({
  buffer: { handled: 0, deadLettered: 0 },
  profile: { handled: 0, deadLettered: 0 },
  activity: { handled: 0, deadLettered: 0 },
  feedback: { handled: 0, deadLettered: 0 },
});

/** What one replay (of every customer, or of one shard of them) yields, before the tally. */
export interface ReplayOutcome {
  readonly start: number;
  readonly until: number;
  /** Events of the history given, refused by `PutEvents`, and replayed (inside the window). */
  readonly events: number;
  readonly refused: number;
  readonly replayed: number;
  readonly customerEvents: number;
  readonly handlers: Readonly<Record<RouteTarget, { handled: number; deadLettered: number }>>;
  readonly profileResults: Readonly<Record<string, number>>;
  readonly invalidByCampaign: Readonly<Record<string, number>>;
  readonly failures: Readonly<Record<string, number>>;
  readonly dateTriggers: number;
  readonly deferredRuns: number;
  readonly decisions: number;
  readonly sends: Readonly<Record<Channel, number>>;
  /** The tally of this replay's customers (see {@link tallyRecords}), and the decisions their records keep. */
  readonly campaigns: Readonly<Record<string, CampaignTally>>;
  readonly kept: number;
  /** The contact history at the end; empty when the caller did not ask for it (a worker's, to save copying). */
  readonly records: readonly ContactRecord[];
  readonly timing: {
    readonly loadMs: number;
    readonly replayMs: number;
    readonly cpuMs: number;
    /** When the replay (after the customers loaded) began and ended: epoch ms, comparable between threads. */
    readonly replayFrom: number;
    readonly replayTo: number;
  };
}

/** Epoch ms with a fraction, the same clock in every thread (`performance.now()` starts per thread). */
const wallClock = () => performance.timeOrigin + performance.now();

/**
 * One replay of the history through the use cases: the customers and events given (all of them, or the
 * customers of one shard and their events), from `start` to `until`, on its own clock, store and
 * scheduler. Every id it makes up is numbered per customer ({@link PerCustomerCounter}), so what a
 * customer's events lead to does not depend on which other customers share the replay.
 */
export async function replay(input: SimulationInput): Promise<ReplayOutcome> {
  const engine: Engine = compileEngine(
    input.render ? input.strategy : { ...input.strategy, templates: shapeOnly(input.strategy.templates) },
  );
  const { start, until } = replayWindow(input.events, {
    ...(input.start !== undefined && { start: input.start }),
    ...(input.until !== undefined && { until: input.until }),
  });
  const clock = new SimClock(start);
  const store = new MemoryCustomerStore({ sendRetentionMs: engine.maxCapWindowMs, now: () => clock.ms });
  const scheduler = new SimScheduler();
  /** The customer the replay is working for (message ids are numbered per customer). */
  let current = '';
  const channels = new NullChannels(() => current);
  const numbers = new PerCustomerCounter();
  const brand = engine.strategy.brand;
  const evaluate: EvaluateDeps = {
    engine,
    store,
    clock,
    scheduler,
    channels,
    links: NULL_LINKS,
    from: `${brand?.senderName ?? brand?.name ?? 'Contact'} <noreply@contact.invalid>`,
    // The shape-only templates render empty: the same message without building a context or running
    // Handlebars (renderEmptyMessage; a test checks both give the same messages and errors).
    ...(!input.render && { render: renderEmptyMessage }),
  };
  const data: CustomerDataDeps = {
    store,
    strategy: engine.strategy,
    clock,
    pushRegistry: NULL_PUSH,
    platformApplications: SIM_APPS,
  };
  const activity: ActivityDeps = { store, engine, clock };
  const router = new Router(engine.strategy);
  const handlers = noneHandled();
  const profileResults: Record<string, number> = {};
  const invalidByCampaign: Record<string, number> = {};
  const failures: Record<string, number> = {};
  let decisions = 0;
  let refused = 0;
  let dateTriggers = 0;
  let deferredRuns = 0;

  /** What the queue's handler does with an error: dead-letter invalid input, count anything else. */
  const failed = (target: RouteTarget, error: unknown, campaignId?: string): void => {
    if (error instanceof InvalidInputError) {
      handlers[target].deadLettered++;
      if (campaignId) bump(invalidByCampaign, campaignId);
    } else bump(failures, error instanceof Error ? error.name : 'error');
  };

  /** One event through every rule it matches: customer data, activity, then each campaign. */
  const deliver = async (event: Envelope): Promise<void> => {
    const routes = router.match(event);
    for (const route of routes) {
      const target = route.target;
      if (target === 'profile') {
        try {
          const result = String(await applyCustomerEvent(data, event));
          bump(profileResults, result.startsWith('erased ') ? result.replace(ERASED, 'erased') : result);
          handlers.profile.handled++;
        } catch (error) {
          failed('profile', error);
        }
      } else if (target === 'activity') {
        try {
          await recordActivity(activity, event);
          handlers.activity.handled++;
        } catch (error) {
          failed('activity', error);
        }
      } else if (target === 'feedback') handlers.feedback.handled++;
    }
    for (const route of routes) {
      if (route.target !== 'buffer' || !route.campaignId) continue;
      const campaignId = route.campaignId;
      try {
        await evaluateTrigger(evaluate, { campaignId, event });
        decisions++;
        handlers.buffer.handled++;
      } catch (error) {
        failed('buffer', error, campaignId);
      }
    }
  };

  const put = async (
    e: { source: string; detailType: string; detail: unknown },
    time: number,
    id: string,
  ) => {
    if (refusal(e) !== undefined) {
      refused++;
      return;
    }
    current = customerOf(e.detail) ?? '';
    await deliver(
      envelope(e as { source: string; detailType: string; detail: Record<string, unknown> }, id, time),
    );
  };

  const emitter: TriggerEmitter = {
    emit: async (events) => {
      for (const e of events) {
        dateTriggers++;
        // Named by what it is for (`date-<campaign>-<date>-<n>`, n per customer), so the same
        // trigger has the same id under another strategy: `--diff` pairs decisions by event id.
        const { campaignId, date } = e.detail as { campaignId?: string; date?: string };
        const occurrence = `${campaignId}-${date}`;
        await put(e, clock.ms, `date-${occurrence}-${numbers.next(`${occurrence}|${customerOf(e.detail)}`)}`);
      }
    },
  };
  // The date-trigger job's schedule, as deployed (`cron(5 * * * ? *)`, infra/constructs/campaign-
  // routing.ts) and as the local runtime plays it: at five past every hour, working from that run's own
  // scheduled time. The first run, at the start, is the one of the hour slot the start falls in.
  const jobSlot = (ms: number) => Math.floor((ms - DATE_JOB_OFFSET_MS) / HOUR_MS);
  const jobTime = (slot: number) => slot * HOUR_MS + DATE_JOB_OFFSET_MS;
  let lastSlot = jobSlot(start) - 1;
  const sendHour = input.sendHour ?? 9;
  /** The local runtime's `clock.advance`: stop at each date-job run and each schedule due on the way. */
  const advanceTo = async (target: number): Promise<void> => {
    for (;;) {
      const nextJob = jobTime(jobSlot(clock.ms) + 1);
      clock.ms = Math.min(target, nextJob, scheduler.nextDueAfter(clock.ms) ?? Number.POSITIVE_INFINITY);
      const slot = jobSlot(clock.ms);
      if (slot !== lastSlot) {
        lastSlot = slot;
        const scheduledTime = jobTime(slot);
        await runDateTriggers({ store, engine, clock: { now: () => scheduledTime }, emitter, sendHour });
      }
      for (const send of scheduler.takeDue(clock.ms)) {
        deferredRuns++;
        current = send.customerId;
        try {
          await sendDeferred(evaluate, send);
        } catch (error) {
          bump(failures, `deferred: ${error instanceof Error ? error.name : 'error'}`);
        }
      }
      if (clock.ms >= target) return;
    }
  };

  const loadStarted = performance.now();
  // The runtime's first tick runs the start hour's date job; customers load meanwhile.
  await advanceTo(start);
  for (const e of input.customers ?? [])
    await put(e, start, `customer-${numbers.next(`customer|${customerOf(e.detail)}`)}`);
  const loadMs = performance.now() - loadStarted;
  await input.loaded?.();

  const replayStarted = performance.now();
  const replayFrom = wallClock();
  const cpuStarted = process.cpuUsage();
  let done = 0;
  for (const moment of byTime(input.events)) {
    if (moment.time > until) break;
    await advanceTo(Math.max(moment.time, clock.ms));
    for (const e of moment.events) {
      await put(e, e.time, `event-${e.line}`);
      if (++done % 512 === 0) {
        input.onProgress?.(done, input.events.length);
        // Let timers and I/O run now and then (a progress bar; a runtime starting beside the replay).
        await new Promise((resolve) => setImmediate(resolve));
      }
    }
  }
  await advanceTo(until);
  input.onProgress?.(input.events.length, input.events.length);
  const replayMs = performance.now() - replayStarted;
  const cpu = process.cpuUsage(cpuStarted);
  const cpuMs = (cpu.user + cpu.system) / 1000;

  const records = [...store.contactRecords()];
  return {
    start,
    until,
    events: input.events.length,
    refused,
    replayed: done,
    customerEvents: input.customers?.length ?? 0,
    handlers,
    profileResults,
    invalidByCampaign,
    failures,
    dateTriggers,
    deferredRuns,
    decisions,
    sends: { ...channels.sent },
    campaigns: tallyRecords(
      engine.campaigns.map((c) => c.campaign.id),
      records,
      invalidByCampaign,
    ),
    kept: records.reduce((n, r) => n + 1 + (r.duplicates ?? 0), 0),
    records,
    timing: { loadMs, replayMs, cpuMs, replayFrom, replayTo: replayFrom + replayMs },
  };
}

const addTally = (into: CampaignTally, t: CampaignTally) => {
  into.triggered += t.triggered;
  into.sent += t.sent;
  into.afterWait += t.afterWait;
  into.pending += t.pending;
  into.holdout += t.holdout;
  for (const [c, n] of Object.entries(t.byChannel)) bump(into.byChannel, c as Channel, n);
  for (const [r, n] of Object.entries(t.suppressed)) bump(into.suppressed, r as Reason, n);
};

const CHANNEL_ORDER: readonly Channel[] = ['email', 'sms', 'push', 'webhook'];

/** The tally with its channels and reasons in one order (the channel order, reasons by name). */
const canonical = (t: CampaignTally): CampaignTally => ({
  ...t,
  byChannel: Object.fromEntries(
    CHANNEL_ORDER.filter((c) => t.byChannel[c] !== undefined).map((c) => [c, t.byChannel[c]]),
  ),
  suppressed: Object.fromEntries(Object.entries(t.suppressed).sort(([a], [b]) => (a < b ? -1 : 1))),
});

const sumInto = (into: Record<string, number>, from: Readonly<Record<string, number>>) => {
  for (const [k, n] of Object.entries(from)) into[k] = (into[k] ?? 0) + n;
};

/**
 * The result of one or more replays of disjoint sets of customers over the same window: counts summed,
 * the contact history ordered by customer (each customer's records in the order they were first
 * written), so that the same history gives the same result however it was split. The timing: the
 * longest load, the replay from the first replay's start to the last one's end, and the CPU time
 * measured by the replays (`process.cpuUsage()` counts every thread of the process: a sharded run
 * overrides it with the process's CPU time over the replays, see `simulate-shards.ts`).
 */
export function mergeReplays(strategy: CompiledStrategy, parts: readonly ReplayOutcome[]): SimulationResult {
  const first = parts[0];
  if (!first) throw new Error('no replay to merge');
  const handlers = noneHandled();
  const profileResults: Record<string, number> = {};
  const failures: Record<string, number> = {};
  const sends: Record<Channel, number> = { email: 0, sms: 0, push: 0, webhook: 0 };
  let [events, refused, replayed, customerEvents, dateTriggers, deferredRuns, decisions, kept] = [
    0, 0, 0, 0, 0, 0, 0, 0,
  ];
  const tallies: Record<string, CampaignTally> = {};
  const records: ContactRecord[] = [];
  for (const p of parts) {
    for (const target of Object.keys(handlers) as RouteTarget[]) {
      handlers[target].handled += p.handlers[target].handled;
      handlers[target].deadLettered += p.handlers[target].deadLettered;
    }
    sumInto(profileResults, p.profileResults);
    sumInto(failures, p.failures);
    sumInto(sends, p.sends);
    events += p.events;
    refused += p.refused;
    replayed += p.replayed;
    customerEvents += p.customerEvents;
    dateTriggers += p.dateTriggers;
    deferredRuns += p.deferredRuns;
    decisions += p.decisions;
    kept += p.kept;
    for (const [id, t] of Object.entries(p.campaigns)) {
      tallies[id] ??= emptyTally();
      addTally(tallies[id], t);
    }
    for (const r of p.records) records.push(r);
  }
  // Stable: a customer's records keep their order; customers in code-unit order (not the locale's).
  records.sort((a, b) => (a.customerId < b.customerId ? -1 : a.customerId > b.customerId ? 1 : 0));
  // The engine's campaigns (the enabled ones) in the strategy's order, then any other, by id.
  const campaignIds = strategy.strategy.campaigns.filter((c) => c.enabled).map((c) => c.id);
  const others = Object.keys(tallies)
    .filter((id) => !campaignIds.includes(id))
    .sort();
  const campaigns: Record<string, CampaignTally> = {};
  for (const id of [...campaignIds, ...others]) campaigns[id] = canonical(tallies[id] ?? emptyTally());
  const replayFrom = Math.min(...parts.map((p) => p.timing.replayFrom));
  const replayTo = Math.max(...parts.map((p) => p.timing.replayTo));
  const replayMs = parts.length === 1 ? first.timing.replayMs : replayTo - replayFrom;
  const cpuMs = parts.reduce((n, p) => n + p.timing.cpuMs, 0);
  const seconds = Math.max(replayMs, 0.001) / 1000;
  return {
    window: { start: new Date(first.start).toISOString(), until: new Date(first.until).toISOString() },
    input: { events, refused, customerEvents },
    handlers,
    profileResults,
    dateTriggers,
    deferredRuns,
    decisions,
    superseded: decisions - kept,
    failures,
    sends,
    campaigns,
    records,
    timing: {
      loadMs: Math.max(...parts.map((p) => p.timing.loadMs)),
      replayMs,
      cpuMs,
      eventsPerSecond: Math.round(replayed / seconds),
      eventsPerCpuSecond: Math.round(replayed / (Math.max(cpuMs, 0.001) / 1000)),
      decisionsPerSecond: Math.round(decisions / seconds),
    },
  };
}

// --- Output ----------------------------------------------------------------------------------------

/** A plain text table: the first column left-aligned, the others right-aligned. */
export function formatTable(
  header: readonly string[],
  rows: readonly (readonly (string | number)[])[],
): string {
  const cells = [header, ...rows].map((r) =>
    r.map((c) => (typeof c === 'number' ? c.toLocaleString('en') : c)),
  );
  const widths = header.map((_, i) => Math.max(...cells.map((r) => (r[i] ?? '').length)));
  const line = (r: readonly string[]) =>
    r
      .map((c, i) => (i === 0 ? c.padEnd(widths[i] ?? 0) : c.padStart(widths[i] ?? 0)))
      .join('  ')
      .trimEnd();
  return [line(cells[0] ?? []), line(widths.map((w) => '-'.repeat(w))), ...cells.slice(1).map(line)].join(
    '\n',
  );
}

const totalOf = (tallies: Readonly<Record<string, CampaignTally>>): CampaignTally => {
  const total = emptyTally();
  for (const t of Object.values(tallies)) addTally(total, t);
  return total;
};

/** The outcome table per campaign and the suppression reasons, as printed by `simulate` and the demo. */
export function formatTallies(tallies: Readonly<Record<string, CampaignTally>>): string {
  const suppressedOf = (t: CampaignTally) => Object.values(t.suppressed).reduce((s, n) => s + (n ?? 0), 0);
  const rows = Object.entries(tallies).map(([id, t]) => [id, t] as const);
  const withTotal = [...rows, ['total', totalOf(tallies)] as const];
  const outcomes = formatTable(
    ['campaign', 'triggered', 'sent', ...CHANNEL_ORDER, 'after wait', 'holdout', 'suppressed', 'pending'],
    withTotal.map(([id, t]) => [
      id,
      t.triggered,
      t.sent,
      ...CHANNEL_ORDER.map((c) => t.byChannel[c] ?? 0),
      t.afterWait,
      t.holdout,
      suppressedOf(t),
      t.pending,
    ]),
  );
  const reasons = [...new Set(rows.flatMap(([, t]) => Object.keys(t.suppressed)))].sort() as Reason[];
  if (reasons.length === 0) return outcomes;
  const why = formatTable(
    ['suppressed by reason', ...reasons],
    withTotal.map(([id, t]) => [id, ...reasons.map((r) => t.suppressed[r] ?? 0)]),
  );
  return `${outcomes}\n\n${why}`;
}

/** Every number of a tally under a flat key (`sent`, `sent:email`, `suppressed:cap_reached`, ...). */
function flatten(t: CampaignTally | undefined): Record<string, number> {
  if (!t) return {};
  const out: Record<string, number> = {
    triggered: t.triggered,
    sent: t.sent,
    'after wait': t.afterWait,
    holdout: t.holdout,
    pending: t.pending,
  };
  for (const c of CHANNEL_ORDER) if (t.byChannel[c] !== undefined) out[`sent:${c}`] = t.byChannel[c] ?? 0;
  for (const [r, n] of Object.entries(t.suppressed)) out[`suppressed:${r}`] = n ?? 0;
  return out;
}

export interface DiffRow {
  readonly campaign: string;
  readonly outcome: string;
  readonly base: number;
  readonly other: number;
  readonly change: number;
}

/** Per campaign and outcome, what the other strategy changes (rows that change only). */
export function diffTallies(
  base: Readonly<Record<string, CampaignTally>>,
  other: Readonly<Record<string, CampaignTally>>,
): DiffRow[] {
  const rows: DiffRow[] = [];
  const campaigns = [...new Set([...Object.keys(base), ...Object.keys(other)])];
  for (const campaign of campaigns) {
    const a = flatten(base[campaign]);
    const b = flatten(other[campaign]);
    for (const outcome of [...new Set([...Object.keys(a), ...Object.keys(b)])]) {
      const change = (b[outcome] ?? 0) - (a[outcome] ?? 0);
      if (change !== 0)
        rows.push({ campaign, outcome, base: a[outcome] ?? 0, other: b[outcome] ?? 0, change });
    }
  }
  return rows;
}

export function formatDiff(rows: readonly DiffRow[], names: { base: string; other: string }): string {
  if (rows.length === 0) return 'no change: both strategies decide every trigger alike';
  const pct = (r: DiffRow) =>
    r.base === 0 ? 'new' : `${r.change > 0 ? '+' : ''}${((100 * r.change) / r.base).toFixed(1)}%`;
  return formatTable(
    ['campaign', 'outcome', names.base, names.other, 'change', '%'],
    rows.map((r) => [
      r.campaign,
      r.outcome,
      r.base,
      r.other,
      `${r.change > 0 ? '+' : ''}${r.change}`,
      pct(r),
    ]),
  );
}

/**
 * The result with the command's end-to-end rate: the history's events per second of reading the files,
 * loading the customers and replaying (what `contact simulate` costs per history; the strategy's
 * compilation and Node's start are not in it).
 */
function withEndToEnd(r: SimulationResult, readMs: number, totalMs: number): SimulationResult {
  return {
    ...r,
    timing: {
      ...r.timing,
      readMs,
      endToEndMs: totalMs,
      endToEndEventsPerSecond: Math.round(r.input.events / (Math.max(totalMs, 0.001) / 1000)),
    },
  };
}

/** The summary lines under the tables. */
export function formatSummary(r: SimulationResult): string {
  const n = (x: number) => x.toLocaleString('en');
  const lines = [
    `window ${r.window.start} → ${r.window.until}`,
    `events ${n(r.input.events)} (${n(r.input.refused)} refused by PutEvents), customer events ${n(r.input.customerEvents)}, date triggers ${n(r.dateTriggers)}, deferred sends run ${n(r.deferredRuns)}`,
    `customer data: ${
      Object.entries(r.profileResults)
        .map(([k, v]) => `${k} ${n(v)}`)
        .join(', ') || 'none'
    }; dead-lettered as invalid: profile ${n(r.handlers.profile.deadLettered)}, activity ${n(r.handlers.activity.deadLettered)}, campaigns ${n(r.handlers.buffer.deadLettered)}`,
    `would send: ${CHANNEL_ORDER.map((c) => `${c} ${n(r.sends[c])}`).join(', ')}`,
    `replay: ${n(r.decisions)} decisions in ${(r.timing.replayMs / 1000).toFixed(2)} s — ${n(r.timing.eventsPerSecond)} events/s (${n(r.timing.eventsPerCpuSecond)} per CPU second), ${n(r.timing.decisionsPerSecond)} decisions/s; customers loaded in ${(r.timing.loadMs / 1000).toFixed(2)} s${(r.timing.workers ?? 1) > 1 ? `; ${r.timing.workers} threads` : ''}`,
  ];
  if (r.timing.endToEndMs !== undefined && r.timing.readMs !== undefined)
    lines.push(
      `end to end: ${n(r.timing.endToEndEventsPerSecond ?? 0)} events/s (files read in ${(r.timing.readMs / 1000).toFixed(2)} s, customers loaded and history replayed in ${((r.timing.endToEndMs - r.timing.readMs) / 1000).toFixed(2)} s)`,
    );
  if (r.superseded !== 0)
    lines.push(
      `note: ${n(r.superseded)} decisions were superseded (same idempotency key decided again) and are not in the tally`,
    );
  const failures = Object.entries(r.failures);
  if (failures.length > 0) lines.push(`failures: ${failures.map(([k, v]) => `${k} ${v}`).join(', ')}`);
  return lines.join('\n');
}

// --- The command -----------------------------------------------------------------------------------

export interface SimulateCommand {
  readonly strategyFile: string;
  readonly eventsFile: string;
  readonly customersFile?: string;
  readonly diffFile?: string;
  readonly json?: boolean;
  readonly start?: number;
  readonly until?: number;
  /** Render every message (see {@link SimulationInput.render}). */
  readonly render?: boolean;
  /** Customers whose decisions to list, each with what decided it (`--customer`). */
  readonly explain?: readonly string[];
  /**
   * Threads to split the replay over, by customer (see simulate-shards.ts); 1 replays in this thread.
   * @default one for a small history, every core for a large one (`defaultWorkers`)
   */
  readonly workers?: number;
  /** Workers started already (the CLI starts them before loading the simulator); closed at the end. */
  readonly pool?: WorkerPool;
}

/**
 * `contact simulate`: reads the files, runs the simulation (twice with `--diff`), prints the tables
 * (or JSON) on stdout and a progress bar on stderr. Exit code 0, or 1 when the tally does not add up
 * or a use case failed unexpectedly.
 */
export async function runSimulateCommand(c: SimulateCommand): Promise<number> {
  const [{ defaultWorkers, WorkerPool }, { installFastParsers }] = await Promise.all([
    import('./simulate-pool.ts'),
    import('#shared/contract/fast-parse.ts'),
  ]);
  // The replay validates every profile and consent event through the fast paths (fast-parse.ts), as
  // its worker threads do.
  installFastParsers();
  const workers = Math.max(1, Math.floor(c.pool?.threads ?? c.workers ?? defaultWorkers(c.eventsFile)));
  const pool = workers > 1 ? (c.pool ?? new WorkerPool(workers - 1)) : undefined;
  try {
    return await runSimulation(c, pool);
  } finally {
    await (pool ?? c.pool)?.close();
  }
}

async function runSimulation(c: SimulateCommand, pool: WorkerPool | undefined): Promise<number> {
  const { loadCompiledStrategy } = await import('#shared/strategy/load.ts');
  const { ProgressBar, readCustomersFile } = await import('./import.ts');
  const base = loadCompiledStrategy(c.strategyFile);
  const other = c.diffFile ? loadCompiledStrategy(c.diffFile) : undefined;
  const warn = (line: string) => {
    if (!c.json) process.stderr.write(`${line}\n`);
  };
  const warnings = (unreadable: readonly RowProblem[], invalid: readonly RowProblem[]) => {
    if (unreadable.length > 0)
      warn(
        `${c.eventsFile}: ${unreadable.length} unreadable lines skipped (first: line ${unreadable[0]?.line}, ${unreadable[0]?.reason})`,
      );
    if (invalid.length > 0)
      warn(
        `${c.customersFile}: ${invalid.length} invalid customer rows skipped (contact import --customers ${c.customersFile} --dry-run lists them)`,
      );
  };
  // End to end, per history: from reading the files to the tally (the strategy's compilation aside;
  // split over threads, the workers' start-up is in it).
  const started = performance.now();
  let result: SimulationResult;
  let compared: SimulationResult | undefined;
  if (pool) {
    const { simulateSharded } = await import('./simulate-shards.ts');
    const bar = c.json ? undefined : new ProgressBar(other ? 'simulate, then --diff' : 'simulate', 0);
    const run = await simulateSharded({
      strategies: other ? [base, other] : [base],
      eventsFile: c.eventsFile,
      ...(c.customersFile !== undefined && { customersFile: c.customersFile }),
      ...(c.start !== undefined && { start: c.start }),
      ...(c.until !== undefined && { until: c.until }),
      ...(c.render && { render: true }),
      workers: pool.threads,
      pool,
      // Only the JSON output, the decision diff and the customer timelines need the contact history:
      // copying it costs time.
      records: c.json === true || other !== undefined || (c.explain?.length ?? 0) > 0,
      onProgress: (done, total) => bar?.update(done, total),
    });
    bar?.done();
    warnings(run.unreadable, run.invalidCustomers);
    const [first, second] = run.results;
    if (!first) throw new Error('simulate: no result');
    // Until the first strategy's result: the diff run is not in the end-to-end figure, as in one thread.
    result = withEndToEnd(first, run.readMs, (run.doneAt[0] ?? performance.now()) - started);
    compared = second;
  } else {
    const { events, unreadable } = readEventsFile(c.eventsFile);
    const window = replayWindow(events, {
      ...(c.start !== undefined && { start: c.start }),
      ...(c.until !== undefined && { until: c.until }),
    });
    const plan = c.customersFile ? readCustomersFile(c.customersFile, window.start) : undefined;
    const customers = plan?.valid.flatMap((r) => r.events) ?? [];
    const readMs = performance.now() - started;
    warnings(unreadable, plan?.invalid ?? []);
    const run = async (strategy: typeof base, label: string): Promise<SimulationResult> => {
      const bar = c.json ? undefined : new ProgressBar(label, events.length);
      const result: SimulationResult = await simulate({
        strategy,
        customers,
        events,
        start: window.start,
        until: window.until,
        ...(c.render && { render: true }),
        onProgress: (done, total) => bar?.update(done, total),
      });
      bar?.done();
      return result;
    };
    const one = await run(base, 'simulate');
    result = withEndToEnd(
      { ...one, timing: { ...one.timing, workers: 1 } },
      readMs,
      performance.now() - started,
    );
    compared = other ? await run(other, 'simulate --diff') : undefined;
  }
  const problems = [...unbalanced(result.campaigns), ...(compared ? unbalanced(compared.campaigns) : [])];
  const failed = Object.keys(result.failures).length + Object.keys(compared?.failures ?? {}).length;

  const { customerTimeline, diffDecisions, formatDecisionDiff, formatTimeline } = await import(
    './simulate-diff.ts'
  );
  const decisions = compared && diffDecisions(result.records, compared.records);
  const timelines = (c.explain ?? []).map((id) => ({
    customerId: id,
    decisions: customerTimeline(id, result.records, compared?.records),
  }));
  if (c.json) {
    const diff = compared ? diffTallies(result.campaigns, compared.campaigns) : undefined;
    process.stdout.write(
      `${JSON.stringify({ strategy: c.strategyFile, ...result, ...(compared && { diff: { strategy: c.diffFile, result: compared, changes: diff, decisions } }), ...(timelines.length > 0 && { customers: timelines }) }, null, 2)}\n`,
    );
  } else {
    console.log(`strategy ${c.strategyFile}\n`);
    console.log(formatTallies(result.campaigns));
    console.log(`\n${formatSummary(result)}`);
    if (compared && c.diffFile) {
      console.log(`\nstrategy ${c.diffFile}\n`);
      console.log(formatTallies(compared.campaigns));
      console.log(`\nchanges (${c.strategyFile} → ${c.diffFile}):\n`);
      console.log(
        formatDiff(diffTallies(result.campaigns, compared.campaigns), { base: 'base', other: 'other' }),
      );
      if (decisions) console.log(`\n${formatDecisionDiff(decisions)}`);
    }
    for (const t of timelines)
      console.log(`\n${formatTimeline(t.customerId, t.decisions, compared !== undefined)}`);
  }
  if (problems.length > 0) console.error(`the tally does not add up for: ${problems.join(', ')}`);
  return problems.length > 0 || failed > 0 ? 1 : 0;
}
