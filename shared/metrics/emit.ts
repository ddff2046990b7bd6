import { Metrics } from '@aws-lambda-powertools/metrics';
import { isThrottling } from '#shared/adapters/throttling.ts';
import type { ContactRecord } from '#shared/domain/store.ts';
import { TransientError } from '#shared/errors.ts';
import type { Channel } from '#shared/strategy/schema.ts';
import type { Observation } from './batch.ts';
import { DIM, FEEDBACK_METRIC, METRIC, NAMESPACE, type QueueName } from './catalogue.ts';

const { campaign: C, outcome: O, reason: R, channel: CH, variant: V, queue: Q } = DIM;

/** Powertools' `Metrics`, saying whether it is switched off (`POWERTOOLS_METRICS_DISABLED`, `POWERTOOLS_DEV`). */
export class PlatformMetrics extends Metrics {
  get off(): boolean {
    return this.isDisabled();
  }
}

/**
 * The Powertools metrics instance of a function: the platform's namespace and no `service` default
 * dimension (every metric would otherwise carry the function's name and not add up across
 * functions). Powertools 2.35 warns whenever two dimension sets of one document share a key; that is
 * how EMF publishes one value under several sets, so that warning is dropped and the others kept.
 */
export function createMetrics(logger: { warn: (message: string) => void }): PlatformMetrics {
  const metrics = new PlatformMetrics({
    namespace: NAMESPACE,
    logger: {
      debug: () => undefined,
      info: () => undefined,
      error: (m: string) => logger.warn(m),
      warn: (m: string) => {
        if (!m.startsWith('EMF key "') || !m.includes('dimension set')) logger.warn(m);
      },
    } as unknown as Console,
  });
  metrics.clearDefaultDimensions();
  return metrics;
}

/**
 * A decision: `Decisions` per campaign by outcome (their sum is the triggers the campaign received) and
 * by reason, and across campaigns by outcome and by reason (the overview); plus the send when a message
 * went out (sends carry the variant). Only the sets a dashboard or alarm reads: every set costs bytes
 * in every document.
 */
export function decisionObservations(record: ContactRecord): Observation[] {
  const dimensions: Record<string, string> = { [C]: record.campaignId, [O]: record.outcome };
  const sets: string[][] = [[C, O], [O]];
  if (record.reason) {
    dimensions[R] = record.reason;
    sets.push([C, O, R], [O, R]);
  }
  const out: Observation[] = [{ metric: METRIC.decisions, value: 1, dimensions, sets }];
  const send = sendObservation(record, false);
  if (send) out.push(send);
  return out;
}

/**
 * A message handed to the provider: `Sends` by channel, by campaign and channel, by campaign and variant
 * (`DeferredSends` beside it when it waited first). Undefined unless the record says it went out.
 */
export function sendObservation(record: ContactRecord, deferred: boolean): Observation | undefined {
  if (record.outcome !== 'sent' || !record.channel || record.status === 'sending') return undefined;
  return {
    metric: deferred ? METRIC.deferredSends : METRIC.sends,
    value: 1,
    dimensions: { [C]: record.campaignId, [CH]: record.channel, [V]: record.variant ?? 'default' },
    sets: [[CH], [C, CH], [C, V]],
  };
}

/** A deferral that fell due and went out: counted as a send and as a deferred send. */
export function deferredSendObservations(record: ContactRecord | undefined): Observation[] {
  if (!record) return [];
  return [sendObservation(record, false), sendObservation(record, true)].filter(
    (o): o is Observation => o !== undefined,
  );
}

/** Provider feedback of a known message: delivered, bounced, complained, opened, clicked. */
export function feedbackObservation(feedback: {
  readonly campaignId: string;
  readonly channel: Channel;
  readonly type: string;
}): Observation | undefined {
  const metric = FEEDBACK_METRIC[feedback.type];
  if (!metric) return undefined;
  return {
    metric,
    value: 1,
    dimensions: { [C]: feedback.campaignId, [CH]: feedback.channel },
    sets: [[CH], [C, CH]],
  };
}

/**
 * A conversion attributed to a contact: count and value, by campaign and group, and variant. The group
 * is `sent` or `holdout` for the campaign's experiment, and `shown` for an offer shown at a contact
 * moment (it has no control group, and counting it as `sent` would lift the treated rate).
 */
export function conversionObservations(record: ContactRecord): Observation[] {
  if (!record.conversion) return [];
  const group = record.moment !== undefined ? 'shown' : record.outcome;
  const dimensions: Record<string, string> = { [C]: record.campaignId, [O]: group };
  const sets: string[][] = [[C, O], [O]];
  if (record.variant) {
    dimensions[V] = record.variant;
    sets.push([C, O, V]);
  }
  const out: Observation[] = [{ metric: METRIC.conversions, value: 1, dimensions, sets }];
  const value = record.conversion.value;
  if (value !== undefined && value > 0) {
    out.push({ metric: METRIC.conversionValue, value, unit: 'None', dimensions, sets });
  }
  return out;
}

/** A message the function moved to its dead-letter queue itself (input that can never succeed). */
export function deadLetterObservation(queue: QueueName): Observation {
  return { metric: METRIC.deadLetters, value: 1, dimensions: { [Q]: queue }, sets: [[Q]] };
}

/**
 * True when a transient send failure was the provider's rate limit: the same classification the
 * adapters use to retry (`isThrottling`, including SNS's unmodelled `Throttling`), or a code they
 * attached to the error.
 */
export function isThrottle(error: unknown): boolean {
  if (!(error instanceof TransientError)) return false;
  const slowDown = (name: string) => QUOTAS.has(name) || isThrottling({ name });
  const cause = error.cause;
  const code = error.context.code;
  return (
    (typeof code === 'string' && slowDown(code)) ||
    (cause instanceof Error && (isThrottling(cause) || QUOTAS.has(cause.name)))
  );
}

/** Rate and quota limits the providers model as their own errors (not in the SDK's throttling codes). */
const QUOTAS = new Set(['KMSThrottlingException', 'LimitExceededException', 'SendingQuotaExceededException']);

/** A send the provider throttled (retried later), by campaign and in total. */
export function throttleObservation(campaignId: string): Observation {
  return { metric: METRIC.providerThrottles, value: 1, dimensions: { [C]: campaignId }, sets: [[C], []] };
}
