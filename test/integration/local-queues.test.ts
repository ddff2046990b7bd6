import type { SQSBatchResponse, SQSEvent } from 'aws-lambda';
import { describe, expect, it } from 'vitest';
import { LocalQueues, type QueueConsumer, type QueueSettings } from '#local/queues.ts';

// The local queues' SQS + Lambda event-source semantics, with a fake consumer: batching, the
// concurrency limit, partial batch failures, maxReceiveCount → DLQ with the reason, dead letters sent
// by a handler, and idle detection (what the runtime's drain() waits for).

function queues(settings: Partial<QueueSettings> = {}, consumer?: QueueConsumer) {
  const q = new LocalQueues({ region: 'eu-west-1', now: () => Date.now(), realNow: () => Date.now() });
  q.rebase('http://127.0.0.1:4011');
  q.define('buffer', { functionName: 'evaluate', visibilityTimeoutMs: 5, ...settings });
  if (consumer) q.consume('buffer', consumer);
  return q;
}

async function idle(q: LocalQueues): Promise<void> {
  await new Promise((r) => setImmediate(r));
  while (!q.idle) await Promise.race([q.changed(), new Promise((r) => setTimeout(r, 20))]);
}

const ok = async (): Promise<SQSBatchResponse> => ({ batchItemFailures: [] });

describe('LocalQueues', () => {
  it('hands out batches of at most 10 records as an SQSEvent', async () => {
    const sizes: number[] = [];
    const q = queues({ concurrency: 1 }, async (event) => {
      sizes.push(event.Records.length);
      expect(event.Records[0]).toMatchObject({
        eventSource: 'aws:sqs',
        attributes: { ApproximateReceiveCount: '1' },
      });
      return ok();
    });
    for (let i = 0; i < 25; i++) q.send('buffer', JSON.stringify({ i }));
    await idle(q);

    expect(sizes).toEqual([10, 10, 5]);
    expect(q.stats().buffer).toMatchObject({ sent: 25, deleted: 25, depth: 0, inFlight: 0 });
  });

  it('never runs more batches at once than the concurrency limit', async () => {
    let running = 0;
    let most = 0;
    const q = queues({ concurrency: 3, batchSize: 1 }, async () => {
      most = Math.max(most, ++running);
      await new Promise((r) => setTimeout(r, 5));
      running--;
      return ok();
    });
    for (let i = 0; i < 30; i++) q.send('buffer', `${i}`);
    await idle(q);

    expect(most).toBe(3);
    expect(q.stats().buffer.deleted).toBe(30);
  });

  it('redelivers only the failed records of a partial batch failure, counting receives', async () => {
    const seen: string[] = [];
    const q = queues({}, async (event: SQSEvent) => {
      const failures = event.Records.filter((r) => {
        seen.push(`${r.body}#${r.attributes.ApproximateReceiveCount}`);
        return r.body === '"flaky"' && r.attributes.ApproximateReceiveCount !== '3';
      }).map((r) => ({ itemIdentifier: r.messageId }));
      return { batchItemFailures: failures };
    });
    q.send('buffer', '"fine"');
    q.send('buffer', '"flaky"');
    await idle(q);

    expect(seen.sort()).toEqual(['"fine"#1', '"flaky"#1', '"flaky"#2', '"flaky"#3']);
    expect(q.stats().buffer).toMatchObject({ deleted: 2, retried: 2, deadLetters: [] });
  });

  it('moves a record to the DLQ with the reason after maxReceiveCount failed receives', async () => {
    let calls = 0;
    const q = queues({}, async () => {
      calls++;
      throw new TypeError('boom');
    });
    q.send('buffer', '"poison"');
    await idle(q);

    expect(calls).toBe(5);
    expect(q.stats().buffer.deadLetters).toEqual([
      expect.objectContaining({
        body: '"poison"',
        receiveCount: 5,
        by: 'redrive-policy',
        reason: 'failed 5 times (maxReceiveCount 5); last error TypeError: boom',
      }),
    ]);
    expect(q.redrive('buffer')).toBe(1);
  });

  it('files a dead letter sent to the shared URL under the queue whose record is in flight', async () => {
    const q = queues();
    q.define('profile', { functionName: 'profile' });
    q.consume('profile', async (event) => {
      for (const r of event.Records) q.deadLetterFromUrl(q.sharedDeadLetterUrl, r.body, 'invalid profile');
      return ok();
    });
    q.send('profile', '{"id":"e-1"}');
    await idle(q);

    expect(q.stats().profile.deadLetters).toEqual([
      expect.objectContaining({ body: '{"id":"e-1"}', reason: 'invalid profile', by: 'handler' }),
    ]);
    expect(q.stats().buffer.deadLetters).toEqual([]);
    expect(q.deadLetterFromUrl(q.sharedDeadLetterUrl, '"stray"', 'by hand')).toEqual({});
    expect(q.unattributed).toHaveLength(1);
    expect(
      q.deadLetterFromUrl('http://127.0.0.1:4011/000000000000/contact-local-buffer-dlq', '"x"', 'direct'),
    ).toEqual({ queue: 'buffer' });
    expect(
      q.deadLetterFromUrl('http://127.0.0.1:4011/000000000000/unknown', '"x"', 'nowhere'),
    ).toBeUndefined();
  });

  it('keeps messages until a consumer is attached', async () => {
    const q = queues();
    q.send('buffer', '"early"');
    await new Promise((r) => setTimeout(r, 10));
    expect(q.idle).toBe(false);

    const bodies: string[] = [];
    q.consume('buffer', async (event) => {
      bodies.push(...event.Records.map((r) => r.body));
      return ok();
    });
    await idle(q);
    expect(bodies).toEqual(['"early"']);
  });
});
