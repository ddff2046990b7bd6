import { createHash, randomUUID } from 'node:crypto';
import type { LocalQueues } from '#local/queues.ts';
import { LocalApiError, type LocalOperation } from './aux.ts';

/**
 * Just enough of the Amazon SQS JSON protocol (awsJson1_0, `X-Amz-Target: AmazonSQS.SendMessage`) for
 * the handlers' dead-letter sends (`SqsDeadLetters`): the message lands in the local queue's DLQ with
 * its `reason` attribute, visible in the runtime's `stats()` and on the dashboard.
 */

interface MessageAttribute {
  readonly DataType?: unknown;
  readonly StringValue?: unknown;
  readonly BinaryValue?: unknown;
}

const isRecord = (v: unknown): v is Record<string, unknown> =>
  typeof v === 'object' && v !== null && !Array.isArray(v);

/** SQS's MD5 of message attributes (sorted by name; length-prefixed name, type, transport byte, value). */
export function md5OfMessageAttributes(attributes: Record<string, MessageAttribute>): string {
  const hash = createHash('md5');
  const field = (value: Buffer) => {
    const length = Buffer.alloc(4);
    length.writeUInt32BE(value.length);
    hash.update(length).update(value);
  };
  for (const name of Object.keys(attributes).sort()) {
    const attribute = attributes[name] ?? {};
    const dataType = String(attribute.DataType ?? 'String');
    field(Buffer.from(name, 'utf8'));
    field(Buffer.from(dataType, 'utf8'));
    if (dataType.startsWith('Binary')) {
      hash.update(Buffer.from([2]));
      field(Buffer.from(String(attribute.BinaryValue ?? ''), 'base64'));
    } else {
      hash.update(Buffer.from([1]));
      field(Buffer.from(String(attribute.StringValue ?? ''), 'utf8'));
    }
  }
  return hash.digest('hex');
}

/** The SQS operations, keyed by X-Amz-Target. */
export function sqsOperations(queues: LocalQueues): Record<string, LocalOperation> {
  return {
    'AmazonSQS.SendMessage': (input) => {
      const { QueueUrl, MessageBody, MessageAttributes } = isRecord(input) ? input : {};
      if (typeof QueueUrl !== 'string' || typeof MessageBody !== 'string' || MessageBody === '') {
        throw new LocalApiError('InvalidParameterValue', 'QueueUrl and MessageBody are required.');
      }
      const attributes = (isRecord(MessageAttributes) ? MessageAttributes : {}) as Record<
        string,
        MessageAttribute
      >;
      const reasonValue = attributes.reason?.StringValue;
      const reason = typeof reasonValue === 'string' ? reasonValue : 'no reason given';
      const placed = queues.deadLetterFromUrl(QueueUrl, MessageBody, reason);
      if (!placed) {
        throw new LocalApiError(
          'QueueDoesNotExist',
          'The specified queue does not exist (the local endpoint holds only the dead-letter queues).',
        );
      }
      return {
        MessageId: randomUUID(),
        MD5OfMessageBody: createHash('md5').update(MessageBody, 'utf8').digest('hex'),
        ...(Object.keys(attributes).length > 0 && {
          MD5OfMessageAttributes: md5OfMessageAttributes(attributes),
        }),
      };
    },
  };
}
