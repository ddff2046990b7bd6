/**
 * The app contract of contact-triggers: the public customer events as zod schemas and the typed
 * emitter that validates them before PutEvents. Apps import it as `contact-triggers/contract`.
 *
 * ```ts
 * import { EventBridgeClient } from '@aws-sdk/client-eventbridge';
 * import { emitCustomerEvent } from 'contact-triggers/contract';
 * await emitCustomerEvent(new EventBridgeClient({}), {
 *   source: 'shop.orders', detailType: 'OrderPlaced', detail: { customerId: 'c-42', orderId: 'o-1', total: 59.5 },
 * });
 * ```
 */
export {
  CustomerEventRejectedError,
  CustomerEventValidationError,
  type EmitOptions,
  type EmitResult,
  type EntryResult,
  emitCustomerEvent,
  emitCustomerEvents,
  entrySize,
  MAX_CALL_BYTES,
  MAX_ENTRIES_PER_CALL,
} from './emit.ts';
export {
  appEventDetail,
  type ConsentDetail,
  type CustomerEvent,
  consentDetail,
  customerEventProblems,
  customerId,
  erasureDetail,
  eventJsonSchemas,
  type ProfileDetail,
  PUBLIC_EVENTS,
  profileDetail,
} from './events.ts';
