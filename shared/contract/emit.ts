import {
  type EventBridgeClient,
  PutEventsCommand,
  type PutEventsRequestEntry,
} from '@aws-sdk/client-eventbridge';
import { TRIGGER_BUS_NAME } from '#shared/domain/events.ts';
import { InvalidInputError } from '#shared/errors.ts';
import { type CustomerEvent, customerEventProblems } from './events.ts';

/**
 * The typed emitter apps use to put customer events on the bus. It validates every event against the
 * public contract before anything is sent (an invalid batch sends nothing and names every bad field),
 * packs the events into PutEvents calls of at most 10 entries and 256 KB, retries entries EventBridge
 * failed for a transient reason, and reports each entry's outcome.
 */

/** EventBridge's limits on one PutEvents call. */
export const MAX_ENTRIES_PER_CALL = 10;
export const MAX_CALL_BYTES = 256 * 1024;

/** One or more events failed validation; nothing was sent. `problems` are `events[i].field: message`. */
export class CustomerEventValidationError extends InvalidInputError {
  override name = 'CustomerEventValidationError';
  constructor(readonly problems: readonly string[]) {
    super(`invalid customer event${problems.length === 1 ? '' : 's'}: ${problems.join('; ')}`, undefined, {
      problems,
    });
  }
}

export interface EmitOptions {
  /** @default contact-triggers */
  readonly busName?: string;
  /** Attempts for entries that failed transiently (throttling, internal failure). @default 3 */
  readonly maxAttempts?: number;
}

export type EntryResult =
  | { readonly index: number; readonly ok: true; readonly eventId: string }
  | { readonly index: number; readonly ok: false; readonly errorCode: string; readonly errorMessage: string };

export interface EmitResult {
  readonly sent: number;
  readonly failed: number;
  /** One per event, in the order given. */
  readonly entries: readonly EntryResult[];
}

/**
 * The size EventBridge counts for an entry: UTF-8 bytes of Source, DetailType, Detail and each
 * Resource, plus 14 bytes for Time (EventBridge "Calculating PutEvents event entry size").
 */
export function entrySize(entry: PutEventsRequestEntry): number {
  let size = entry.Time ? 14 : 0;
  size += Buffer.byteLength(entry.Source ?? '');
  size += Buffer.byteLength(entry.DetailType ?? '');
  size += Buffer.byteLength(entry.Detail ?? '');
  for (const r of entry.Resources ?? []) size += Buffer.byteLength(r);
  return size;
}

const RETRYABLE = new Set([
  'ThrottlingException',
  'InternalFailure',
  'InternalException',
  'ServiceUnavailable',
]);

function toEntry(event: CustomerEvent, busName: string): PutEventsRequestEntry {
  return {
    EventBusName: busName,
    Source: event.source,
    DetailType: event.detailType,
    Detail: JSON.stringify(event.detail),
    ...(event.time !== undefined && { Time: new Date(event.time) }),
    ...(event.resources && event.resources.length > 0 && { Resources: [...event.resources] }),
  };
}

/** Splits entries into calls of at most 10 entries and 256 KB, keeping their order. */
export function packEntries(entries: readonly PutEventsRequestEntry[]): number[][] {
  const calls: number[][] = [];
  let current: number[] = [];
  let bytes = 0;
  entries.forEach((entry, i) => {
    const size = entrySize(entry);
    if (current.length === MAX_ENTRIES_PER_CALL || (current.length > 0 && bytes + size > MAX_CALL_BYTES)) {
      calls.push(current);
      current = [];
      bytes = 0;
    }
    current.push(i);
    bytes += size;
  });
  if (current.length > 0) calls.push(current);
  return calls;
}

/**
 * Validates and puts a batch of customer events.
 * @throws CustomerEventValidationError when any event is invalid (nothing is sent)
 * @returns each entry's event id or error (entries that failed transiently were retried first)
 */
export async function emitCustomerEvents(
  client: EventBridgeClient,
  events: readonly CustomerEvent[],
  options: EmitOptions = {},
): Promise<EmitResult> {
  const busName = options.busName ?? TRIGGER_BUS_NAME;
  const problems: string[] = [];
  const entries = events.map((event, i) => {
    const found = customerEventProblems(event);
    const prefix = events.length === 1 ? '' : `events[${i}].`;
    problems.push(...found.map((p) => `${prefix}${p}`));
    return found.length === 0 ? toEntry(event, busName) : undefined;
  });
  entries.forEach((entry, i) => {
    if (entry && entrySize(entry) > MAX_CALL_BYTES) {
      const prefix = events.length === 1 ? '' : `events[${i}].`;
      problems.push(`${prefix}detail: the event is ${entrySize(entry)} bytes, above EventBridge's 256 KB`);
    }
  });
  if (problems.length > 0) throw new CustomerEventValidationError(problems);
  const ready = entries as PutEventsRequestEntry[];
  const results: EntryResult[] = new Array(ready.length);
  const maxAttempts = options.maxAttempts ?? 3;
  for (const call of packEntries(ready)) {
    let pending = call;
    for (let attempt = 1; pending.length > 0; attempt++) {
      const out = await client.send(
        new PutEventsCommand({ Entries: pending.map((i) => ready[i] as PutEventsRequestEntry) }),
      );
      const retry: number[] = [];
      pending.forEach((index, k) => {
        const answer = out.Entries?.[k];
        if (answer?.EventId && !answer.ErrorCode) {
          results[index] = { index, ok: true, eventId: answer.EventId };
          return;
        }
        const errorCode = answer?.ErrorCode ?? 'Unknown';
        if (RETRYABLE.has(errorCode) && attempt < maxAttempts) retry.push(index);
        else results[index] = { index, ok: false, errorCode, errorMessage: answer?.ErrorMessage ?? '' };
      });
      pending = retry;
      if (pending.length > 0) await new Promise((r) => setTimeout(r, 50 * 2 ** attempt));
    }
  }
  const failed = results.filter((r) => !r.ok).length;
  return { sent: results.length - failed, failed, entries: results };
}

/** A PutEvents entry failed for good (`errorCode` is EventBridge's). */
export class CustomerEventRejectedError extends Error {
  override name = 'CustomerEventRejectedError';
  constructor(
    readonly errorCode: string,
    message: string,
  ) {
    super(`EventBridge rejected the event: ${errorCode}${message ? ` (${message})` : ''}`);
  }
}

/**
 * Validates and puts one customer event; returns its event id.
 * @throws CustomerEventValidationError (nothing sent) or CustomerEventRejectedError
 */
export async function emitCustomerEvent(
  client: EventBridgeClient,
  event: CustomerEvent,
  options: EmitOptions = {},
): Promise<string> {
  const { entries } = await emitCustomerEvents(client, [event], options);
  const [entry] = entries;
  if (!entry) throw new CustomerEventRejectedError('Unknown', 'no answer');
  if (!entry.ok) throw new CustomerEventRejectedError(entry.errorCode, entry.errorMessage);
  return entry.eventId;
}
