import { metrics } from '#functions/platform.ts';
import type { ContactRecord } from '#shared/domain/store.ts';
import { MetricBatch } from '#shared/metrics/batch.ts';
import { decisionObservations } from '#shared/metrics/emit.ts';

/**
 * What Lambda itself writes per invocation in the text log format: `START RequestId: <id> Version:
 * $LATEST`, `END RequestId: <id>` and the `REPORT` line (durations, memory, and with active tracing the
 * X-Ray trace and segment ids), about 60 + 52 + 240 bytes.
 */
export const PLATFORM_LOG_BYTES_PER_INVOCATION = 352;
export const PLATFORM_LOG_EVENTS_PER_INVOCATION = 3;
/** CloudWatch Logs bills each event's message plus 26 bytes. */
export const LOG_EVENT_OVERHEAD_BYTES = 26;

/**
 * The log bytes `evaluate` writes per trigger, measured: what the handler writes for batches of the given
 * decisions -- since it logs no line per decision, that is the batch's metrics (one EMF document per
 * campaign/outcome group, through the function's own Powertools instance) -- every byte counted, plus
 * CloudWatch's per-event overhead and Lambda's own lines per invocation.
 */
export function measureLogBytesPerTrigger(decisions: readonly ContactRecord[], batchSize: number): number {
  if (metrics.off)
    throw new Error('bench: metrics are switched off (POWERTOOLS_METRICS_DISABLED / POWERTOOLS_DEV)');
  let bytes = 0;
  let events = 0;
  const count = (line: string): void => {
    bytes += Buffer.byteLength(line);
    events += 1;
  };
  let invocations = 0;
  for (let i = 0; i < decisions.length; i += batchSize) {
    invocations++;
    const batch = new MetricBatch();
    for (const d of decisions.slice(i, i + batchSize)) {
      for (const o of decisionObservations(d)) batch.add(o);
    }
    batch.flush(metrics, count);
  }
  const platform =
    invocations *
    (PLATFORM_LOG_BYTES_PER_INVOCATION + PLATFORM_LOG_EVENTS_PER_INVOCATION * LOG_EVENT_OVERHEAD_BYTES);
  return Math.round((bytes + events * LOG_EVENT_OVERHEAD_BYTES + platform) / decisions.length);
}
