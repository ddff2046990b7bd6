import * as z from 'zod';
import { CONTACT_REF_TAG, decodeContactRef } from '#shared/domain/contact-ref.ts';
import { addressFingerprint, type Suppression } from '#shared/domain/customer.ts';
import { FEEDBACK_SOURCE, SES_SOURCE } from '#shared/domain/events.ts';
import type { Clock } from '#shared/domain/ports.ts';
import type { ContactRecord, ContactRef, CustomerDataStore, CustomerStore } from '#shared/domain/store.ts';
import { CUSTOMER_ID } from '#shared/engine/event.ts';
import { InvalidInputError, TransientError } from '#shared/errors.ts';

/**
 * Delivery feedback: what the providers tell us after a send, appended to the contact record and
 * turned into suppressions where the address is dead (DESIGN.md "Shape": SES configuration-set
 * events / SNS delivery status → Lambda "feedback" → contact history, suppression).
 *
 * Accepted events (each an EventBridge event; anything else is {@link InvalidInputError}):
 *
 * - **SES configuration-set events** (`source: aws.ses`). SES can publish them to the account's
 *   *default* event bus only; a rule there forwards them to the feedback queue. The `detail` is the SES
 *   event record: `eventType`, `mail` (`messageId`, `timestamp`, `tags`, ...) and one object named
 *   after the event type (`bounce`, `complaint`, `delivery`, `send`, `reject`, `open`, `click`,
 *   `failure`, `deliveryDelay`). See {@link SES_FEEDBACK} for the mapping. SES service events that are
 *   not about one message (`Email Subscribed`, advisor and sending-status events) are `ignored`.
 * - **`contact.feedback` / `SmsDeliveryFailed`**, `detail: { customerId, messageId, reason }` with
 *   `reason` `opted_out` | `invalid_number` | `carrier`: normalised from SNS SMS delivery-status logs.
 * - **`contact.feedback` / `PushEndpointDisabled`**, `detail: { customerId, endpointArn }`.
 *
 * How SNS mobile-push status becomes `PushEndpointDisabled`: the platform application's
 * `EventEndpointUpdated` and `EventDeliveryFailure` attributes name an SNS topic; SNS publishes a
 * notification whose `Message` is JSON with `EndpointArn`, `EventType` (`EndpointUpdated`,
 * `DeliveryFailure`), `FailureType` (e.g. `EndpointDisabled`, `InvalidPlatformToken`), `Resource`
 * (the application ARN) and `Time` — but no customer. A small subscriber of that topic (a Lambda, or
 * EventBridge Pipes with an enrichment step) reads the endpoint's attributes (`GetEndpointAttributes`:
 * `Enabled`, and `CustomUserData` if the registry stored the opaque customer id there) or looks the ARN
 * up in the table, and when `Enabled` is `false` puts `{ source: "contact.feedback", detail-type:
 * "PushEndpointDisabled", detail: { customerId, endpointArn: EndpointArn } }` on the bus. The raw SNS
 * notification is not accepted here because it cannot name the customer.
 */

export const FEEDBACK_TYPES = [
  'sent',
  'delivered',
  'bounced',
  'soft_bounced',
  'complained',
  'opened',
  'clicked',
  'rejected',
  'delayed',
  'rendering_failed',
] as const;
export type FeedbackType = (typeof FEEDBACK_TYPES)[number];

export type FeedbackResult = 'recorded' | 'unknown_message' | 'ignored';

/**
 * The two ports feedback needs: the data port (lookup by message id, append, suppress, disable) and
 * `getContact`, to see the feedback already on the record so that a replayed event appends nothing.
 */
export interface FeedbackDeps {
  readonly store: CustomerDataStore & Pick<CustomerStore, 'getContact'>;
  /** Refuses events dated in the future: their time orders the feedback and dates suppressions. */
  readonly clock: Clock;
  /**
   * How long after its send a message's feedback waits for the message's contact record: the record is
   * written just after the provider accepted the message, so a fast event (SES `Send`, an immediate
   * bounce) can arrive first. Within this time a missing record is retried (the queue redelivers);
   * after it, the message is `unknown_message` (not ours, or its customer was erased). Keep it below
   * the feedback queue's redelivery window (5 receives × 65 s), so that nothing lands in the DLQ for it.
   * @default 3 minutes
   */
  readonly recordGraceMs?: number;
}

/** One feedback entry as stored on the contact record. */
export interface Feedback {
  readonly type: FeedbackType;
  /** ISO time the provider reports for the event; with `type` it identifies the entry (idempotency). */
  readonly at: string;
}

/** What one feedback event asks for; {@link interpretFeedback} computes it without any I/O. */
export type FeedbackAction =
  | {
      readonly kind: 'message';
      readonly channel: 'email' | 'sms';
      readonly messageId: string;
      /** Set when the event names the customer (SMS): it must be the owner of the message. */
      readonly customerId?: string;
      /** The record's keys, when the message carried them (an email's `record` tag). */
      readonly ref?: ContactRef;
      /** When the provider accepted the message (SES `mail.timestamp`), else the event's time. */
      readonly sentAt: string;
      readonly feedback: Feedback;
      readonly suppression?: Suppression;
    }
  | {
      readonly kind: 'push_disabled';
      readonly customerId: string;
      readonly endpointArn: string;
      readonly at: string;
    }
  | { readonly kind: 'ignored' };

/**
 * SES event detail-types (EventBridge) with the `eventType` of their detail, the name of the object
 * that carries the event's own data (and `timestamp`, when SES sets one) and the feedback they record.
 * `Email Bounced` records `bounced` only for a `Permanent` bounce; `Transient` and `Undetermined` are
 * `soft_bounced` (SES retried and gave up, or could not tell) and suppress nothing.
 */
export const SES_FEEDBACK = {
  'Email Sent': { eventType: 'Send', object: 'send', type: 'sent' },
  'Email Delivered': { eventType: 'Delivery', object: 'delivery', type: 'delivered' },
  'Email Bounced': { eventType: 'Bounce', object: 'bounce', type: 'bounced' },
  'Email Complaint Received': { eventType: 'Complaint', object: 'complaint', type: 'complained' },
  'Email Opened': { eventType: 'Open', object: 'open', type: 'opened' },
  'Email Clicked': { eventType: 'Click', object: 'click', type: 'clicked' },
  'Email Rejected': { eventType: 'Reject', object: 'reject', type: 'rejected' },
  'Email Delivery Delayed': { eventType: 'DeliveryDelay', object: 'deliveryDelay', type: 'delayed' },
  'Email Rendering Failed': { eventType: 'Rendering Failure', object: 'failure', type: 'rendering_failed' },
} as const satisfies Record<string, { eventType: string; object: string; type: FeedbackType }>;
type SesDetailType = keyof typeof SES_FEEDBACK;

/** SES service events that reach the default bus but are not feedback on one of our messages. */
const SES_IGNORED: ReadonlySet<string> = new Set([
  'Email Subscribed',
  'Advisor Recommendation Status Open',
  'Advisor Recommendation Status Resolved',
  'Sending Status Enabled',
  'Sending Status Disabled',
]);

/** How far ahead of our clock a provider's timestamp may be (clock skew) before it is refused. */
const MAX_CLOCK_SKEW_MS = 5 * 60_000;

const isoTime = z.iso.datetime({ offset: true, error: 'is not an ISO timestamp' });
const customerId = z.string().regex(CUSTOMER_ID, { error: 'is not a valid customer id' });
/** Provider message ids: SES `0101019...-000000`, SNS UUIDs. Printable ASCII without spaces. */
const messageId = z.string().regex(/^[\x21-\x7e]{1,256}$/, { error: 'is not a provider message id' });

const envelope = z.object({
  source: z.string().max(256),
  'detail-type': z.string().max(256),
  time: isoTime,
  detail: z.unknown(),
});

/** The parts of an SES event record we read; every other field (addresses included) is ignored. */
const sesRecord = z.object({
  eventType: z.string().max(64),
  mail: z.object({
    messageId,
    timestamp: isoTime.optional(),
    // The message's tags, as SES repeats them; anything unexpected here is ignored, not refused.
    tags: z.record(z.string(), z.array(z.string())).optional().catch(undefined),
  }),
});
const objectError = (issue: { input?: unknown }) =>
  issue.input === undefined ? 'is missing' : 'is not an object';
/**
 * The recipients a bounce or complaint names: only the first address is read (we send to one), and
 * only to fingerprint it; anything unexpected here means "address not named", never a refusal.
 */
const recipients = z
  .array(z.object({ emailAddress: z.string().max(320) }))
  .optional()
  .catch(undefined);
const sesEventObject = z.object(
  { timestamp: isoTime.optional(), complainedRecipients: recipients },
  { error: objectError },
);
const bounceObject = z.object(
  {
    timestamp: isoTime.optional(),
    bounceType: z.enum(['Permanent', 'Transient', 'Undetermined'], {
      error: 'is not Permanent, Transient or Undetermined',
    }),
    bouncedRecipients: recipients,
  },
  { error: objectError },
);

const smsDetail = z.object({
  customerId,
  messageId,
  reason: z.enum(['opted_out', 'invalid_number', 'carrier'], {
    error: 'is not opted_out, invalid_number or carrier',
  }),
});
const pushDetail = z.object({
  customerId,
  endpointArn: z
    .string()
    .max(1024)
    .regex(/^arn:aws[a-z-]*:sns:[a-z0-9-]+:\d{12}:endpoint\/.+$/, { error: 'is not an SNS endpoint ARN' }),
});

/** Parses or throws with the field paths and zod's messages, which never repeat the input's values. */
function parse<T>(schema: z.ZodType<T>, value: unknown, what: string, prefix = ''): T {
  const result = schema.safeParse(value);
  if (result.success) return result.data;
  const problems = result.error.issues.map(
    (i) => `${[prefix, ...i.path].filter(Boolean).join('.') || '(root)'} ${i.message}`,
  );
  throw new InvalidInputError(`${what}: ${problems.join('; ')}`);
}

const iso = (time: string): string => new Date(time).toISOString();

function sesAction(detailType: SesDetailType, raw: unknown, time: string): FeedbackAction {
  const spec = SES_FEEDBACK[detailType];
  const what = `SES ${detailType}`;
  const record = parse(sesRecord, raw, what, 'detail');
  if (record.eventType !== spec.eventType) {
    throw new InvalidInputError(`${what}: detail.eventType is not ${spec.eventType}`);
  }
  const objectSchema = detailType === 'Email Bounced' ? bounceObject : sesEventObject;
  const { [spec.object]: object } = parse(z.object({ [spec.object]: objectSchema }), raw, what, 'detail');
  // Send, Reject and Rendering Failure carry no time of their own: the bus event's time is SES's.
  const at = iso(object?.timestamp ?? time);
  const ref = decodeContactRef(record.mail.tags?.[CONTACT_REF_TAG]?.[0]);
  const base = {
    kind: 'message',
    channel: 'email',
    messageId: record.mail.messageId,
    ...(ref && { ref }),
    sentAt: iso(record.mail.timestamp ?? time),
  } as const;
  // The suppression is about the address that bounced or complained, kept as a fingerprint only.
  const named =
    object && 'bounceType' in object
      ? object.bouncedRecipients?.[0]?.emailAddress
      : object?.complainedRecipients?.[0]?.emailAddress;
  const address = named !== undefined ? { address: addressFingerprint(named) } : {};
  if (object && 'bounceType' in object) {
    return object.bounceType === 'Permanent'
      ? { ...base, feedback: { type: 'bounced', at }, suppression: { reason: 'bounced', at, ...address } }
      : { ...base, feedback: { type: 'soft_bounced', at } };
  }
  if (spec.type === 'complained') {
    return {
      ...base,
      feedback: { type: 'complained', at },
      suppression: { reason: 'complained', at, ...address },
    };
  }
  return { ...base, feedback: { type: spec.type, at } };
}

/**
 * Validates a feedback event and says what it asks for, without any I/O: the mapping of every
 * provider event to a feedback type and suppression lives here, so it can be tested as a table.
 * Throws {@link InvalidInputError} naming the field (never its value) for anything malformed or unknown.
 */
export function interpretFeedback(event: unknown): FeedbackAction {
  const { source, 'detail-type': detailType, time, detail } = parse(envelope, event, 'Feedback event');
  if (source === SES_SOURCE) {
    if (Object.hasOwn(SES_FEEDBACK, detailType)) return sesAction(detailType as SesDetailType, detail, time);
    if (SES_IGNORED.has(detailType)) return { kind: 'ignored' };
  }
  if (source === FEEDBACK_SOURCE && detailType === 'SmsDeliveryFailed') {
    const d = parse(smsDetail, detail, detailType, 'detail');
    const at = iso(time);
    // A number that opted out or does not exist will not work next time either; a carrier fault may.
    const reason =
      d.reason === 'opted_out' ? 'opted_out' : d.reason === 'invalid_number' ? 'bounced' : undefined;
    return {
      kind: 'message',
      channel: 'sms',
      messageId: d.messageId,
      customerId: d.customerId,
      sentAt: at,
      feedback: { type: 'bounced', at },
      ...(reason && { suppression: { reason, at } }),
    };
  }
  if (source === FEEDBACK_SOURCE && detailType === 'PushEndpointDisabled') {
    const d = parse(pushDetail, detail, detailType, 'detail');
    return { kind: 'push_disabled', customerId: d.customerId, endpointArn: d.endpointArn, at: iso(time) };
  }
  throw new InvalidInputError(
    'Feedback event: source and detail-type are not a known feedback event',
    undefined,
    {
      source: source.slice(0, 64),
      detailType: detailType.slice(0, 64),
    },
  );
}

/**
 * The record a message's feedback belongs to. An email names its record in a tag; that counts only if
 * the record sent this very message. Otherwise (SMS, or a record from before the tag) the message-id
 * index leads to it.
 */
async function locate(
  deps: FeedbackDeps,
  action: Extract<FeedbackAction, { kind: 'message' }>,
): Promise<{ ref: ContactRef; record: ContactRecord } | undefined> {
  if (action.ref) {
    const { customerId, campaignId, idempotencyKey } = action.ref;
    const record = await deps.store.getContact(customerId, campaignId, idempotencyKey);
    if (record?.messageId === action.messageId) return { ref: action.ref, record };
  }
  const ref = await deps.store.findContactByMessageId(action.messageId);
  if (!ref) return undefined;
  if (action.customerId !== undefined && action.customerId !== ref.customerId) {
    throw new InvalidInputError('Feedback event: detail.messageId belongs to another customer');
  }
  const record = await deps.store.getContact(ref.customerId, ref.campaignId, ref.idempotencyKey);
  return record && { ref, record };
}

/**
 * Applies one provider feedback event:
 * 1. validate it and map it to a feedback type and, for dead addresses, a suppression
 *    ({@link interpretFeedback}); a time more than a few minutes ahead of the clock is refused;
 * 2. push: mark the customer's SNS endpoint disabled, so the next decision falls back to another channel;
 * 3. otherwise find the contact record ({@link locate}: an email's tags name it, else the provider's
 *    message id via `gsi1`); none within `recordGraceMs` of the send is a {@link TransientError} (the
 *    record may still be being written: the queue delivers the event again, and a hard bounce that
 *    raced its record still suppresses the address); none after it means the message was not ours or
 *    the customer was erased: `unknown_message`, nothing written;
 * 4. check that the message belongs to the customer and channel the event names;
 * 5. suppress the channel (hard bounce, complaint, opted-out or invalid number) — first, as it is the
 *    effect that matters, and a plain overwrite, so a retry after a crash repeats it harmlessly; an
 *    email suppression names the address's fingerprint, so it ends when the customer changes address
 *    (and a late bounce of an old address does not suppress the new one);
 * 6. append the feedback to the record unless an entry with the same type and time is there already
 *    (a replayed or redelivered event), so the same event gives the same answer and one entry.
 * Malformed or unknown input throws {@link InvalidInputError} before anything is written.
 */
export async function applyFeedback(deps: FeedbackDeps, event: unknown): Promise<FeedbackResult> {
  return (await applyFeedbackToContact(deps, event)).result;
}

/** What {@link applyFeedbackToContact} appended: the contact's campaign and channel and the feedback type. */
export interface AppliedFeedback {
  readonly campaignId: string;
  readonly channel: 'email' | 'sms';
  readonly type: FeedbackType;
}

/**
 * {@link applyFeedback}, also saying which campaign's message the new feedback was about (for the
 * delivered/bounced/opened metrics); `applied` is absent when nothing new was appended.
 */
export async function applyFeedbackToContact(
  deps: FeedbackDeps,
  event: unknown,
): Promise<{ result: FeedbackResult; applied?: AppliedFeedback }> {
  const result = (r: FeedbackResult) => ({ result: r });
  const action = interpretFeedback(event);
  if (action.kind === 'ignored') return result('ignored');
  const at = action.kind === 'push_disabled' ? action.at : action.feedback.at;
  if (Date.parse(at) > deps.clock.now() + MAX_CLOCK_SKEW_MS) {
    throw new InvalidInputError('Feedback event: its time is in the future');
  }
  if (action.kind === 'push_disabled') {
    await deps.store.disablePushEndpoint(action.customerId, action.endpointArn);
    return result('recorded');
  }

  const found = await locate(deps, action);
  if (!found) {
    if (deps.clock.now() - Date.parse(action.sentAt) < (deps.recordGraceMs ?? 180_000))
      throw new TransientError(
        'Feedback event: the message has no contact record yet; will retry',
        undefined,
        {
          channel: action.channel,
        },
      );
    return result('unknown_message');
  }
  const { ref, record } = found;
  if (record.channel !== undefined && record.channel !== action.channel) {
    throw new InvalidInputError(
      `Feedback event: the message was sent by ${record.channel}, the event is about ${action.channel}`,
    );
  }

  if (action.suppression) await deps.store.suppress(ref.customerId, action.channel, action.suppression);
  const { type, at: when } = action.feedback;
  const known = record.feedback?.some((f) => f.type === type && f.at === when) ?? false;
  if (known) return result('recorded');
  await deps.store.addFeedback(ref, action.feedback);
  return { result: 'recorded', applied: { campaignId: ref.campaignId, channel: action.channel, type } };
}
