import { Logger } from '@aws-lambda-powertools/logger';
import { CompactLogFormatter } from '#shared/adapters/compact-log-formatter.ts';
import { MetricBatch, type Observation } from '#shared/metrics/batch.ts';
import { createMetrics } from '#shared/metrics/emit.ts';

/** Module singleton: ids and reasons only, never addresses, phones, names or tokens. */
export const logger = new Logger({ logFormatter: new CompactLogFormatter() });

/** Module singleton: Powertools metrics in the platform's namespace (CloudWatch EMF). */
export const metrics = /* @__PURE__ */ createMetrics(logger);

/**
 * The observations of the invocation in progress, published once when it ends ({@link flushMetrics}):
 * one EMF document per campaign/outcome group rather than one per event (logs are billed per byte).
 */
const batch = new MetricBatch();

/** Records observations for this invocation's metrics. */
export function observe(...observations: readonly (Observation | undefined)[]): void {
  for (const o of observations) if (o) batch.add(o);
}

/** Publishes this invocation's metrics (call once, at the end, also after a failure). */
export function flushMetrics(): void {
  try {
    batch.flush(metrics);
  } catch (error) {
    // Metrics must never fail a batch that did its work.
    logger.warn('metrics not published', { error: (error as Error).message });
  }
}
