/** An EventBridge event as the engine needs it, after the envelope has been checked. */
export interface TriggerEvent {
  readonly id: string;
  readonly source: string;
  readonly detailType: string;
  /** Epoch ms of the event's `time`. */
  readonly time: number;
  readonly customerId: string;
  readonly detail: Readonly<Record<string, unknown>>;
  /** The event as received, for pattern matching and templates. */
  readonly raw: Readonly<Record<string, unknown>>;
}

/**
 * `Date.parse`, remembering the last answer: one event is parsed by each function it reaches and by
 * each of its campaign decisions, and a bus carries many events of the same second.
 */
const parseTime = (() => {
  let lastText = '';
  let last = Number.NaN;
  return (text: string): number => {
    if (text !== lastText) {
      lastText = text;
      last = Date.parse(text);
    }
    return last;
  };
})();

/** Customer ids are opaque, but bounded and printable: they end up in keys and logs. */
export const CUSTOMER_ID = /^[A-Za-z0-9][A-Za-z0-9._:@+-]{0,127}$/;
/** EventBridge's own limit on an entry; anything bigger was never a real event. */
export const MAX_EVENT_BYTES = 256 * 1024;

const isRecord = (v: unknown): v is Record<string, unknown> =>
  typeof v === 'object' && v !== null && !Array.isArray(v);

/**
 * Checks the envelope of an EventBridge event and the `customerId` every customer event carries.
 * Returns the problem in words (no values: they may be personal data) when it is not usable.
 */
export function parseTriggerEvent(event: unknown): TriggerEvent | { problem: string } {
  if (!isRecord(event)) return { problem: 'the event is not a JSON object' };
  const { id, source, time, detail } = event;
  const detailType = event['detail-type'];
  if (typeof id !== 'string' || id.length === 0 || id.length > 128)
    return { problem: 'id is missing or not a string' };
  if (typeof source !== 'string' || source.length === 0)
    return { problem: 'source is missing or not a string' };
  if (typeof detailType !== 'string' || detailType.length === 0)
    return { problem: 'detail-type is missing or not a string' };
  const ms = typeof time === 'string' ? parseTime(time) : Number.NaN;
  if (Number.isNaN(ms)) return { problem: 'time is missing or not an ISO timestamp' };
  if (!isRecord(detail)) return { problem: 'detail is missing or not an object' };
  const customerId = detail.customerId;
  if (typeof customerId !== 'string') return { problem: 'detail.customerId is missing or not a string' };
  if (!CUSTOMER_ID.test(customerId))
    return { problem: 'detail.customerId is not a valid customer id (1-128 of A-Z a-z 0-9 . _ : @ + -)' };
  return { id, source, detailType, time: ms, customerId, detail, raw: event };
}

/** Split paths: a strategy names a handful, and the engine asks for one on every decision. */
const pathParts = new Map<string, readonly string[]>();

/** The value at a `detail.a.b` path, when it is a usable key (string or finite number). */
export function businessKeyAt(event: TriggerEvent, path: string): string | undefined {
  let value: unknown = event.raw;
  let parts = pathParts.get(path);
  if (!parts) {
    parts = path.split('.');
    if (pathParts.size > 1000) pathParts.clear();
    pathParts.set(path, parts);
  }
  for (const part of parts) {
    if (!isRecord(value) || !Object.hasOwn(value, part)) return undefined;
    value = value[part];
  }
  if (typeof value === 'string' && value.length > 0 && value.length <= 200) return value;
  if (typeof value === 'number' && Number.isFinite(value)) return String(value);
  return undefined;
}
