import { randomUUID } from 'node:crypto';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import { TRIGGER_BUS_NAME } from '#shared/domain/events.ts';
import { compileEventPattern, InvalidEventPatternError } from '#shared/event-pattern/index.ts';
import type { Route, RouteTarget } from '#shared/routing.ts';
import { BodyTooLargeError, close, listen, readBody, sendAwsJsonError, sendJson } from './http.ts';

/**
 * A local Amazon EventBridge endpoint (AWS JSON 1.1, so `@aws-sdk/client-eventbridge` and
 * `aws events ... --endpoint-url` work unchanged) for the two calls the platform's users make:
 *
 * - `PutEvents`: validates every entry as EventBridge does (a failed entry gets its own `ErrorCode` and
 *   `ErrorMessage` and is not routed; nothing is dropped silently), builds the event envelope and routes
 *   it with the platform's rules (`platformRoutes(strategy)`, the same rules `cdk deploy` creates) into
 *   the local queues: a campaign rule delivers `{ campaignId, event }`, the others the event itself.
 * - `TestEventPattern`: `{ Result }`, or `InvalidEventPatternException` for a pattern EventBridge refuses.
 *
 * Buses: `contact-triggers` (by name or ARN) and `default`, which only SES's own events (`aws.ses`)
 * reach in AWS; locally they may be put there by hand to play SES feedback. An entry without
 * `EventBusName` goes to `contact-triggers` here (AWS would use the account's default bus, where no
 * rule of ours listens: set `EventBusName` in apps).
 */

/** EventBridge's limit on one entry (Time 14 bytes + Source + DetailType + Detail + Resources, UTF-8). */
export const MAX_ENTRY_BYTES = 256 * 1024;
export const MAX_ENTRIES = 10;
const MAX_REQUEST_BYTES = 12 * MAX_ENTRY_BYTES;
const JSON_11 = 'application/x-amz-json-1.1';

export interface PutEventsRequestEntry {
  readonly Source?: unknown;
  readonly DetailType?: unknown;
  readonly Detail?: unknown;
  readonly EventBusName?: unknown;
  readonly Resources?: unknown;
  readonly Time?: unknown;
  readonly TraceHeader?: unknown;
}

export type PutEventsResultEntry =
  | { readonly EventId: string }
  | { readonly ErrorCode: string; readonly ErrorMessage: string };

export interface PutEventsResult {
  readonly FailedEntryCount: number;
  readonly Entries: PutEventsResultEntry[];
}

/** The event as rules and targets see it. */
export interface EventEnvelope {
  readonly version: '0';
  readonly id: string;
  readonly 'detail-type': string;
  readonly source: string;
  readonly account: string;
  readonly time: string;
  readonly region: string;
  readonly resources: string[];
  readonly detail: Record<string, unknown>;
}

/** Where routed messages go: the local queues. Called synchronously, before PutEvents answers. */
export type Deliver = (target: RouteTarget, body: string, route: Route) => void;

export interface EventBridgeOptions {
  readonly routes: readonly Route[];
  readonly deliver: Deliver;
  /** @default Date.now (the runtime's simulated clock once installed) */
  readonly now?: () => number;
  /** @default 'eu-west-1' */
  readonly region?: string;
  /** @default '000000000000' */
  readonly account?: string;
}

export interface EventBridgeStats {
  /** Entries accepted (each got an EventId). */
  accepted: number;
  /** Entries refused, by ErrorCode. */
  failed: Record<string, number>;
  /** Accepted events that matched no rule (EventBridge drops those too, and so do we). */
  unmatched: number;
  /** Deliveries per rule name. */
  routed: Record<string, number>;
}

/** A request-level error (the whole call fails), in AWS JSON error shape. */
export class EventBridgeApiError extends Error {
  override readonly name = 'EventBridgeApiError';
  constructor(
    readonly type: string,
    message: string,
    readonly status = 400,
  ) {
    super(message);
  }
}

const isRecord = (v: unknown): v is Record<string, unknown> =>
  typeof v === 'object' && v !== null && !Array.isArray(v);

const bytes = (s: string): number => Buffer.byteLength(s, 'utf8');

/** `2026-03-01T09:00:00Z`: EventBridge writes event times to the second. */
const eventTime = (ms: number): string =>
  new Date(Math.floor(ms / 1000) * 1000).toISOString().replace('.000Z', 'Z');

function busOf(name: unknown): 'contact-triggers' | 'default' | undefined {
  if (name === undefined || name === null || name === '') return TRIGGER_BUS_NAME;
  if (typeof name !== 'string') return undefined;
  const short = name.startsWith('arn:') ? name.slice(name.lastIndexOf('/') + 1) : name;
  if (short === TRIGGER_BUS_NAME) return TRIGGER_BUS_NAME;
  if (short === 'default') return 'default';
  return undefined;
}

/** Time as the SDK sends it (epoch seconds) or as a person types it in JSON (ISO 8601). */
function timeOf(value: unknown): number | undefined {
  if (typeof value === 'number' && Number.isFinite(value)) return value * 1000;
  if (typeof value === 'string') {
    const ms = Date.parse(value);
    return Number.isNaN(ms) ? undefined : ms;
  }
  return undefined;
}

type Checked =
  | { readonly ok: true; readonly bus: 'contact-triggers' | 'default'; readonly event: EventEnvelope }
  | { readonly ok: false; readonly code: string; readonly message: string };

const invalidArgument = (name: string, reason: string): Checked => ({
  ok: false,
  code: 'InvalidArgument',
  message: `Parameter ${name} is not valid. Reason: ${reason}`,
});

/** Validates one entry in EventBridge's order and builds its envelope. */
function checkEntry(entry: unknown, context: { now: number; region: string; account: string }): Checked {
  if (!isRecord(entry)) return invalidArgument('Entry', 'An entry must be an object.');
  const { Source, DetailType, Detail, Resources, Time, EventBusName } = entry as PutEventsRequestEntry;
  if (typeof Source !== 'string' || Source === '')
    return invalidArgument('Source', 'Source is a required argument.');
  if (typeof DetailType !== 'string' || DetailType === '')
    return invalidArgument('DetailType', 'DetailType is a required argument.');
  if (typeof Detail !== 'string' || Detail === '')
    return invalidArgument('Detail', 'Detail is a required argument.');
  if (Resources !== undefined && !(Array.isArray(Resources) && Resources.every((r) => typeof r === 'string')))
    return invalidArgument('Resources', 'Resources must be a list of strings.');
  const resources = (Resources ?? []) as string[];
  const size =
    (Time !== undefined ? 14 : 0) +
    bytes(Source) +
    bytes(DetailType) +
    bytes(Detail) +
    resources.reduce((sum, r) => sum + bytes(r), 0);
  if (size > MAX_ENTRY_BYTES) {
    return {
      ok: false,
      code: 'InvalidArgument',
      message: `Total size of the entry (${size} bytes) is over the limit of ${MAX_ENTRY_BYTES} bytes.`,
    };
  }
  let detail: unknown;
  try {
    detail = JSON.parse(Detail);
  } catch {
    return { ok: false, code: 'MalformedDetail', message: 'Detail is malformed.' };
  }
  // EventBridge takes only a JSON object as Detail; an array, a string or null is malformed too.
  if (!isRecord(detail)) return { ok: false, code: 'MalformedDetail', message: 'Detail is malformed.' };
  const bus = busOf(EventBusName);
  if (bus === undefined)
    return invalidArgument('EventBusName', `Event bus ${String(EventBusName)} does not exist.`);
  if (Source.startsWith('aws.') && !(bus === 'default' && Source === 'aws.ses')) {
    return {
      ok: false,
      code: 'NotAuthorizedForSourceException',
      message: 'Not authorized for the source.',
    };
  }
  const time = Time === undefined ? context.now : timeOf(Time);
  if (time === undefined) return invalidArgument('Time', 'Time is not a timestamp.');
  return {
    ok: true,
    bus,
    event: {
      version: '0',
      id: randomUUID(),
      'detail-type': DetailType,
      source: Source,
      account: context.account,
      time: eventTime(time),
      region: context.region,
      resources,
      detail,
    },
  };
}

/**
 * The PutEvents logic without HTTP: validates, routes the accepted entries through `deliver`, and
 * answers like EventBridge (one result per entry, in order). Exposed for tests and tools.
 */
export function createEventBridge(options: EventBridgeOptions) {
  const rules = options.routes.map((route) => ({ route, matches: compileEventPattern(route.pattern) }));
  const now = options.now ?? (() => Date.now());
  const region = options.region ?? 'eu-west-1';
  const account = options.account ?? '000000000000';
  const stats: EventBridgeStats = { accepted: 0, failed: {}, unmatched: 0, routed: {} };

  function putEvents(input: unknown): PutEventsResult {
    const entries = isRecord(input) ? input.Entries : undefined;
    if (!Array.isArray(entries) || entries.length === 0 || entries.length > MAX_ENTRIES) {
      throw new EventBridgeApiError(
        'ValidationException',
        `1 validation error detected: Value at 'entries' failed to satisfy constraint: Member must have length between 1 and ${MAX_ENTRIES}`,
      );
    }
    const context = { now: now(), region, account };
    const results: PutEventsResultEntry[] = entries.map((entry: unknown) => {
      const checked = checkEntry(entry, context);
      if (!checked.ok) {
        stats.failed[checked.code] = (stats.failed[checked.code] ?? 0) + 1;
        return { ErrorCode: checked.code, ErrorMessage: checked.message };
      }
      stats.accepted++;
      let matched = 0;
      for (const { route, matches } of rules) {
        if (route.bus !== checked.bus || !matches(checked.event)) continue;
        matched++;
        stats.routed[route.name] = (stats.routed[route.name] ?? 0) + 1;
        const body =
          route.campaignId !== undefined
            ? { campaignId: route.campaignId, event: checked.event }
            : checked.event;
        options.deliver(route.target, JSON.stringify(body), route);
      }
      if (matched === 0) stats.unmatched++;
      return { EventId: checked.event.id };
    });
    return {
      FailedEntryCount: results.filter((r) => 'ErrorCode' in r).length,
      Entries: results,
    };
  }

  function testEventPattern(input: unknown): { Result: boolean } {
    const { EventPattern, Event } = isRecord(input) ? input : {};
    if (typeof EventPattern !== 'string' || typeof Event !== 'string') {
      throw new EventBridgeApiError('ValidationException', 'EventPattern and Event are required strings.');
    }
    let event: unknown;
    try {
      event = JSON.parse(Event);
    } catch {
      throw new EventBridgeApiError('ValidationException', 'Parameter Event is not valid. Reason: not JSON.');
    }
    if (!isRecord(event)) {
      throw new EventBridgeApiError(
        'ValidationException',
        'Parameter Event is not valid. Reason: not an object.',
      );
    }
    const missing = ['id', 'account', 'source', 'time', 'region', 'detail-type'].filter((k) => !(k in event));
    if (missing.length > 0) {
      throw new EventBridgeApiError(
        'ValidationException',
        `Parameter Event is not valid. Reason: Provided Event is missing required fields: ${missing.join(', ')}.`,
      );
    }
    try {
      return { Result: compileEventPattern(EventPattern)(event) };
    } catch (error) {
      if (error instanceof InvalidEventPatternError)
        throw new EventBridgeApiError('InvalidEventPatternException', error.message);
      if (error instanceof SyntaxError) {
        throw new EventBridgeApiError(
          'InvalidEventPatternException',
          'Event pattern is not valid. Reason: Filter is not valid JSON',
        );
      }
      throw error;
    }
  }

  return { putEvents, testEventPattern, stats: (): EventBridgeStats => structuredClone(stats) };
}

export interface LocalEventBridge {
  readonly endpoint: string;
  readonly port: number;
  stats(): EventBridgeStats;
  stop(): Promise<void>;
}

/** Starts the endpoint on `port` (0 = a free port). */
export async function startEventBridge(
  port: number,
  options: EventBridgeOptions,
  host = '127.0.0.1',
): Promise<LocalEventBridge> {
  const api = createEventBridge(options);
  const operations: Record<string, (input: unknown) => unknown> = {
    'AWSEvents.PutEvents': api.putEvents,
    'AWSEvents.TestEventPattern': api.testEventPattern,
  };
  const handle = async (req: IncomingMessage, res: ServerResponse): Promise<void> => {
    const target = req.headers['x-amz-target'];
    if (req.method !== 'POST' || typeof target !== 'string') {
      return sendAwsJsonError(
        res,
        400,
        'UnknownOperationException',
        'Expected a POST with X-Amz-Target',
        JSON_11,
      );
    }
    const operation = operations[target];
    if (!operation) {
      return sendAwsJsonError(
        res,
        400,
        'UnknownOperationException',
        `${target} is not supported by the local EventBridge endpoint (PutEvents, TestEventPattern)`,
        JSON_11,
      );
    }
    let input: unknown;
    try {
      const raw = await readBody(req, MAX_REQUEST_BYTES);
      input = raw.length === 0 ? {} : JSON.parse(raw.toString('utf8'));
    } catch (error) {
      if (error instanceof BodyTooLargeError)
        return sendAwsJsonError(res, 413, 'RequestEntityTooLarge', error.message, JSON_11);
      return sendAwsJsonError(res, 400, 'SerializationException', 'The request body is not JSON', JSON_11);
    }
    try {
      sendJson(res, 200, operation(input), JSON_11);
    } catch (error) {
      if (error instanceof EventBridgeApiError)
        return sendAwsJsonError(res, error.status, error.type, error.message, JSON_11);
      throw error;
    }
  };
  const server = createServer((req, res) => {
    handle(req, res).catch((error: unknown) => {
      if (res.headersSent) return res.destroy();
      // The message only: it names fields, never event content.
      sendAwsJsonError(res, 500, 'InternalException', (error as Error).message, JSON_11);
    });
  });
  const actual = await listen(server, port, host, 'EventBridge endpoint');
  return {
    endpoint: `http://${host}:${actual}`,
    port: actual,
    stats: api.stats,
    stop: () => close(server),
  };
}
