import { DecisionTally } from '#functions/decision-tally.ts';
import { logger } from '#functions/platform.ts';
import type { Decision } from '#shared/domain/decision.ts';

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
 * The log bytes `evaluate` writes per trigger, measured: the function's own logger (its formatter and
 * level) logs what the handler logs for batches of the given decisions, inside a Lambda context, and
 * every byte that reaches stdout is counted, plus Lambda's own lines per invocation.
 */
export function measureLogBytesPerTrigger(decisions: readonly Decision[], batchSize: number): number {
  const tally = new DecisionTally();
  let bytes = 0;
  let events = 0;
  const write = process.stdout.write.bind(process.stdout);
  process.stdout.write = ((chunk: string | Uint8Array) => {
    bytes += typeof chunk === 'string' ? Buffer.byteLength(chunk) : chunk.byteLength;
    events += 1;
    return true;
  }) as typeof process.stdout.write;
  let invocations = 0;
  try {
    for (let i = 0; i < decisions.length; i += batchSize) {
      invocations++;
      logger.addContext({
        awsRequestId: crypto.randomUUID(),
        functionName: 'contact-triggers-prod-evaluate',
        functionVersion: '$LATEST',
        invokedFunctionArn: 'arn:aws:lambda:us-east-1:123456789012:function:contact-triggers-prod-evaluate',
        memoryLimitInMB: '256',
        logGroupName: '/aws/lambda/contact-triggers-prod-evaluate',
        logStreamName: '2026/11/22/[$LATEST]0123456789abcdef0123456789abcdef',
        callbackWaitsForEmptyEventLoop: false,
        getRemainingTimeInMillis: () => 10_000,
        done: () => undefined,
        fail: () => undefined,
        succeed: () => undefined,
      });
      for (const d of decisions.slice(i, i + batchSize)) tally.add(d);
      tally.flush(logger);
    }
  } finally {
    process.stdout.write = write;
  }
  const platform =
    invocations *
    (PLATFORM_LOG_BYTES_PER_INVOCATION + PLATFORM_LOG_EVENTS_PER_INVOCATION * LOG_EVENT_OVERHEAD_BYTES);
  return Math.round((bytes + events * LOG_EVENT_OVERHEAD_BYTES + platform) / decisions.length);
}
