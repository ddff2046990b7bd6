import type { SQSEvent } from 'aws-lambda';
import { describe, expect, it } from 'vitest';
import { sqsBatchHandler } from '#functions/sqs-batch.ts';
import { lambdaContext } from '#local/lambda-context.ts';
import { TransientError } from '#shared/errors.ts';

const batch = (ids: string[]): SQSEvent => ({
  Records: ids.map((id) => ({
    messageId: id,
    receiptHandle: id,
    body: JSON.stringify({ id }),
    attributes: {
      ApproximateReceiveCount: '1',
      SentTimestamp: '0',
      SenderId: 'test',
      ApproximateFirstReceiveTimestamp: '0',
    },
    messageAttributes: {},
    md5OfBody: '',
    eventSource: 'aws:sqs',
    eventSourceARN: 'arn:aws:sqs:eu-west-1:000000000000:buffer',
    awsRegion: 'eu-west-1',
  })),
});

describe('the SQS batch wrapper under concurrent invocations in one process', () => {
  // The local runtime (and this suite) runs several batches of one handler at once in one process. A
  // batch processor shared between them used to mix their results up: a failed record of one batch was
  // reported as done and deleted from the queue, i.e. lost. Found by duplicates.test.ts.
  it('reports each batch’s own failed records, however the invocations interleave', async () => {
    const { raw } = sqsBatchHandler(async (body) => {
      const { id } = body as { id: string };
      await new Promise((r) => setTimeout(r, id.startsWith('slow') ? 30 : 5));
      if (id.endsWith('-fail')) throw new TransientError('will retry');
    }, 'trigger');
    const context = lambdaContext('evaluate', { region: 'eu-west-1' });
    const [a, b, c] = await Promise.all([
      raw(batch(['slow-1', 'slow-2-fail', 'slow-3']), context),
      raw(batch(['fast-1', 'fast-2']), context),
      raw(batch(['fast-3-fail', 'fast-4']), context),
    ]);
    expect(a.batchItemFailures).toEqual([{ itemIdentifier: 'slow-2-fail' }]);
    expect(b.batchItemFailures).toEqual([]);
    expect(c.batchItemFailures).toEqual([{ itemIdentifier: 'fast-3-fail' }]);
  });
});
