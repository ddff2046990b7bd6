import { randomUUID } from 'node:crypto';
import type { Context } from 'aws-lambda';

/** The account id every local ARN and event carries. */
export const LOCAL_ACCOUNT = '000000000000';

/**
 * A Lambda `Context` for one local invocation: what Powertools and the handlers read from it (request
 * id, function name and ARN, remaining time). The timeout is not enforced locally; it only feeds
 * `getRemainingTimeInMillis`, which runs on the wall clock, not the simulated one.
 */
export function lambdaContext(
  functionName: string,
  options: { region: string; timeoutMs?: number; realNow?: () => number },
): Context {
  const realNow = options.realNow ?? (() => Date.now());
  const started = realNow();
  const timeoutMs = options.timeoutMs ?? 30_000;
  const noop = (): void => {};
  return {
    callbackWaitsForEmptyEventLoop: false,
    functionName,
    functionVersion: '$LATEST',
    invokedFunctionArn: `arn:aws:lambda:${options.region}:${LOCAL_ACCOUNT}:function:${functionName}`,
    memoryLimitInMB: '1024',
    awsRequestId: randomUUID(),
    logGroupName: `/aws/lambda/${functionName}`,
    logStreamName: 'local',
    getRemainingTimeInMillis: () => Math.max(0, timeoutMs - (realNow() - started)),
    done: noop,
    fail: noop,
    succeed: noop,
  };
}
