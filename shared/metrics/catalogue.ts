/**
 * The platform's CloudWatch metrics: one namespace, names and dimensions shared by the functions that
 * emit them (`emit.ts`) and the CDK dashboard and alarms that read them (`infra/constructs/`), so the
 * two cannot drift apart. Dimensions are low-cardinality by construction: campaign ids, channels,
 * outcomes, reasons, variant ids and queue names come from the strategy and the code, never from a
 * customer.
 */

/** The CloudWatch namespace of every platform metric. */
export const NAMESPACE = 'ContactTriggers';

export const METRIC = {
  /** One per (event, campaign) decided: the triggers a campaign received, by outcome and reason. */
  decisions: 'Decisions',
  /** A message handed to the provider (immediately or when a deferral fell due). */
  sends: 'Sends',
  /** Of the sends: those that waited for a delay or quiet hours first. */
  deferredSends: 'DeferredSends',
  delivered: 'Delivered',
  bounced: 'Bounced',
  complained: 'Complained',
  opened: 'Opened',
  clicked: 'Clicked',
  /** A goal conversion attributed to a contact: group `sent`, `holdout`, or `shown` (an offer at a contact moment). */
  conversions: 'Conversions',
  /** The attributed conversions' value (order totals), unit None. */
  conversionValue: 'ConversionValue',
  /** Input moved to a dead-letter queue by the function itself (invalid, never retried). */
  deadLetters: 'DeadLetters',
  /** A provider (SES, SNS) refused a send for its rate limit; the message is retried. */
  providerThrottles: 'ProviderThrottles',
} as const;
export type MetricName = (typeof METRIC)[keyof typeof METRIC];

/** Dimension names. */
export const DIM = {
  campaign: 'campaign',
  outcome: 'outcome',
  reason: 'reason',
  channel: 'channel',
  variant: 'variant',
  queue: 'queue',
} as const;
export type DimensionName = (typeof DIM)[keyof typeof DIM];

/** Provider feedback counted as a metric, by the feedback type stored on the contact record. */
export const FEEDBACK_METRIC: Readonly<Record<string, MetricName>> = {
  delivered: METRIC.delivered,
  bounced: METRIC.bounced,
  complained: METRIC.complained,
  opened: METRIC.opened,
  clicked: METRIC.clicked,
};

/** The queue-fed functions, as the `queue` dimension of {@link METRIC.deadLetters}. */
export const QUEUES = ['trigger', 'profile', 'activity', 'feedback'] as const;
export type QueueName = (typeof QUEUES)[number];
