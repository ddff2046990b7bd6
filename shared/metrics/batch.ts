import { type Metrics, MetricUnit } from '@aws-lambda-powertools/metrics';

import type { MetricName } from './catalogue.ts';

/** One observation: a metric, its dimension values and the dimension sets it is published under. */
export interface Observation {
  readonly metric: MetricName;
  readonly value: number;
  readonly unit?: 'Count' | 'None';
  /** Dimension values (each a low-cardinality string; never about a customer). */
  readonly dimensions: Readonly<Record<string, string>>;
  /** The dimension sets to publish under, each a list of keys of `dimensions` (`[]` = no dimension). */
  readonly sets: readonly (readonly string[])[];
}

interface Group {
  readonly dimensions: Readonly<Record<string, string>>;
  readonly sets: readonly (readonly string[])[];
  readonly values: Map<MetricName, { value: number; unit: 'Count' | 'None' }>;
}

/**
 * Adds up a Lambda invocation's observations and publishes them once, at the end: one EMF document per
 * distinct (dimension values, dimension sets), whatever the batch size. CloudWatch Logs bills every
 * byte, and one EMF blob per event would cost ~300 bytes per metric per trigger; aggregated, a batch of
 * ten triggers of one campaign costs a handful of documents in all.
 *
 * Not safe to share between invocations that run at the same time; Lambda runs one at a time per
 * container (the local runtime too, per function: it only loses the per-batch grouping if not).
 */
export class MetricBatch {
  readonly #groups = new Map<string, Group>();

  /** Counts one observation (values of the same metric and dimensions add up). */
  add(o: Observation): void {
    const key = JSON.stringify([o.dimensions, o.sets]);
    let group = this.#groups.get(key);
    if (!group) {
      group = { dimensions: o.dimensions, sets: o.sets, values: new Map() };
      this.#groups.set(key, group);
    }
    const current = group.values.get(o.metric);
    if (current) current.value += o.value;
    else group.values.set(o.metric, { value: o.value, unit: o.unit ?? 'Count' });
  }

  /**
   * Publishes everything added since the last flush through Powertools (which builds and validates
   * each EMF document) and empties the batch.
   *
   * @param write where each EMF document goes, one JSON line each @default standard output (Lambda
   *   sends it to CloudWatch Logs, which extracts the metrics)
   * @returns the bytes written, for the cost budget (logs are billed per byte)
   */
  flush(metrics: Metrics & { readonly off: boolean }, write: (line: string) => void = writeStdout): number {
    let bytes = 0;
    const groups = [...this.#groups.values()];
    this.#groups.clear();
    if (metrics.off) return 0;
    for (const group of groups) {
      try {
        for (const set of group.sets) {
          metrics.addDimensions(Object.fromEntries(set.map((k) => [k, group.dimensions[k] ?? ''])));
        }
        for (const [name, { value, unit }] of group.values) {
          metrics.addMetric(name, unit === 'None' ? MetricUnit.NoUnit : MetricUnit.Count, value);
        }
        const line = `${JSON.stringify(metrics.serializeMetrics())}\n`;
        bytes += Buffer.byteLength(line);
        write(line);
      } finally {
        metrics.clearMetrics();
        metrics.clearDimensions();
      }
    }
    return bytes;
  }
}

const writeStdout = (line: string): void => {
  process.stdout.write(line);
};
