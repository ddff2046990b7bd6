import { beforeAll, describe, expect, it } from 'vitest';
import { customerEvents } from '#local/import.ts';
import { generateSampleData } from '#local/sample-data.ts';
import { simulate } from '#local/simulate.ts';
import type { ContactRecord } from '#shared/domain/store.ts';
import { TransientError } from '#shared/errors.ts';
import { MetricBatch } from '#shared/metrics/batch.ts';
import { NAMESPACE } from '#shared/metrics/catalogue.ts';
import {
  conversionObservations,
  createMetrics,
  decisionObservations,
  deferredSendObservations,
  feedbackObservation,
  isThrottle,
  throttleObservation,
} from '#shared/metrics/emit.ts';
import { loadCompiledStrategy } from '#shared/strategy/load.ts';

interface Emf {
  _aws: { CloudWatchMetrics: { Namespace: string; Dimensions: string[][]; Metrics: { Name: string }[] }[] };
  [key: string]: unknown;
}

const warnings: string[] = [];
const metrics = createMetrics({ warn: (m) => warnings.push(m) });

function flush(batch: MetricBatch): { docs: Emf[]; bytes: number } {
  const lines: string[] = [];
  const bytes = batch.flush(metrics, (line) => lines.push(line));
  return { docs: lines.map((l) => JSON.parse(l) as Emf), bytes };
}

const record = (over: Partial<ContactRecord>): ContactRecord => ({
  eventId: 'e1',
  campaignId: 'loyalty',
  customerId: 'cust-secret-42',
  outcome: 'sent',
  channel: 'email',
  variant: 'a',
  messageId: 'm1',
  decidedAt: '2026-03-10T12:00:00.000Z',
  idempotencyKey: 'o1#loyalty',
  facts: [],
  ...over,
});

describe('metric batch: one EMF document per group, published once per invocation', () => {
  it('adds up a batch and publishes each metric under its dimension sets, without customer data', () => {
    const batch = new MetricBatch();
    for (let i = 0; i < 7; i++) for (const o of decisionObservations(record({}))) batch.add(o);
    for (let i = 0; i < 3; i++)
      for (const o of decisionObservations(record({ outcome: 'suppressed', reason: 'cap_reached' })))
        batch.add(o);
    const { docs } = flush(batch);
    expect(docs).toHaveLength(3);
    const sent = docs.find((d) => d.Decisions === 7);
    expect(sent?._aws.CloudWatchMetrics).toEqual([
      {
        Namespace: NAMESPACE,
        Dimensions: [['campaign', 'outcome'], ['outcome']],
        Metrics: [{ Name: 'Decisions', Unit: 'Count' }],
      },
    ]);
    expect(sent).toMatchObject({ campaign: 'loyalty', outcome: 'sent' });
    const sends = docs.find((d) => d.Sends === 7);
    expect(sends?._aws.CloudWatchMetrics[0]?.Dimensions).toEqual([
      ['channel'],
      ['campaign', 'channel'],
      ['campaign', 'variant'],
    ]);
    const capped = docs.find((d) => d.Decisions === 3);
    expect(capped?._aws.CloudWatchMetrics[0]?.Dimensions).toContainEqual(['outcome', 'reason']);
    expect(JSON.stringify(docs)).not.toContain('cust-secret-42');
    expect(JSON.stringify(docs)).not.toContain('service');
    expect(warnings).toEqual([]);
    expect(flush(batch).docs).toEqual([]);
  });

  it('counts conversions and their value by group (sent, holdout, or shown at a moment) and variant', () => {
    const batch = new MetricBatch();
    const conversion = { eventId: 'o9', at: '2026-03-12T10:00:00.000Z', value: 40 };
    for (const r of [
      record({ conversion }),
      record({ conversion }),
      record({ outcome: 'holdout', conversion }),
      record({ conversion, moment: 'till' }),
    ])
      for (const o of conversionObservations(r)) batch.add(o);
    const { docs } = flush(batch);
    expect(docs.map((d) => [d.outcome, d.Conversions, d.ConversionValue])).toEqual([
      ['sent', 2, 80],
      ['holdout', 1, 40],
      ['shown', 1, 40],
    ]);
  });

  it('counts feedback, deferred sends and throttles; ignores feedback it has no metric for', () => {
    const batch = new MetricBatch();
    batch.add(feedbackObservation({ campaignId: 'loyalty', channel: 'email', type: 'bounced' }) ?? fail());
    expect(feedbackObservation({ campaignId: 'loyalty', channel: 'email', type: 'delayed' })).toBeUndefined();
    for (const o of deferredSendObservations(record({ sendAt: '2026-03-11T08:00:00.000Z' }))) batch.add(o);
    batch.add(throttleObservation('loyalty'));
    const { docs } = flush(batch);
    expect(docs.map((d) => d._aws.CloudWatchMetrics[0]?.Metrics.map((m) => m.Name))).toEqual([
      ['Bounced'],
      ['Sends', 'DeferredSends'],
      ['ProviderThrottles'],
    ]);
    expect(docs[2]?._aws.CloudWatchMetrics[0]?.Dimensions).toEqual([['campaign'], []]);
  });

  it('knows a provider throttle from other transient failures', () => {
    const throttled = Object.assign(new Error('slow down'), { name: 'TooManyRequestsException' });
    expect(isThrottle(new TransientError('SES failed temporarily', { cause: throttled }))).toBe(true);
    expect(isThrottle(new TransientError('x', undefined, { code: 'ThrottledException' }))).toBe(true);
    expect(
      isThrottle(new TransientError('SES could not be reached', { cause: new Error('ECONNRESET') })),
    ).toBe(false);
    expect(isThrottle(throttled)).toBe(false);
    // SNS answers a rate limit with the common, unmodelled `Throttling` (HTTP 400); SES's daily quota.
    const sns = Object.assign(new Error('Rate exceeded'), { name: 'Throttling' });
    expect(isThrottle(new TransientError('SNS failed temporarily', { cause: sns }))).toBe(true);
    const quota = Object.assign(new Error('quota'), { name: 'LimitExceededException' });
    expect(isThrottle(new TransientError('SES failed temporarily', { cause: quota }))).toBe(true);
  });
});

function fail(): never {
  throw new Error('expected an observation');
}

/**
 * The cost of metrics in CloudWatch Logs (billed per byte: $0.50 per GB): the sample population's
 * decisions, in the order they were made, published per SQS batch of 10 as the evaluate function does,
 * against one document per event.
 */
describe('EMF bytes per trigger (sample population)', () => {
  let records: ContactRecord[];
  beforeAll(async () => {
    const data = generateSampleData({ customers: 400, events: 4000 });
    const start = Date.parse(data.options.start);
    const result = await simulate({
      strategy: loadCompiledStrategy('strategy/contact-strategy.yaml'),
      customers: data.customers.flatMap((row) => customerEvents(row, start)),
      events: data.events.map((e, i) => ({ ...e, line: i + 1, time: Date.parse(e.time) })),
    });
    records = [...result.records].sort((a, b) => a.decidedAt.localeCompare(b.decidedAt));
  }, 120_000);

  it('stays within a few hundred bytes per trigger when flushed once per batch of 10', () => {
    const measure = (size: number) => {
      let bytes = 0;
      for (let i = 0; i < records.length; i += size) {
        const batch = new MetricBatch();
        for (const r of records.slice(i, i + size)) for (const o of decisionObservations(r)) batch.add(o);
        bytes += batch.flush(metrics, () => undefined);
      }
      return bytes / records.length;
    };
    const perEvent = measure(1);
    const perBatch = measure(10);
    const usdPerMillion = (perBatch * 1e6 * 0.5) / 1024 ** 3;
    console.log(
      `EMF per trigger: ${perBatch.toFixed(0)} bytes flushed per batch of 10 (${perEvent.toFixed(0)} bytes one event at a time), ${records.length} decisions, $${usdPerMillion.toFixed(3)} per million triggers`,
    );
    expect(records.length).toBeGreaterThan(1000);
    expect(perBatch).toBeLessThan(perEvent * 0.75);
    expect(perBatch).toBeLessThanOrEqual(300);
  });
});
