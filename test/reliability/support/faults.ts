import type { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import type { SESv2Client } from '@aws-sdk/client-sesv2';
import type { SNSClient } from '@aws-sdk/client-sns';
import { prng } from '#local/sample-data.ts';

/**
 * Fault injection at the AWS SDK layer, for the reliability suite only.
 *
 * The local servers (DynamoDB Local, the SES v2 emulator, local SNS) never throttle, never fail with a
 * 5xx and never time out, so these faults cannot come from them: a middleware on the real clients
 * produces them instead. It sits inside the SDK's retry loop and in front of its deserialiser, so a fault
 * is a raw HTTP answer (or a socket timeout) that the SDK itself turns into the service's own exception
 * (`ThrottlingException`, `TooManyRequestsException`, `Throttling`, `InternalServerError`, a
 * `TimeoutError`) and retries by its standard rules, exactly as it would against AWS.
 *
 * - `throttle`, `5xx`, `timeout`: the request never reaches the server (nothing happened there).
 * - `timeout-after`: the server did the work (the email went out, the write was applied), then the
 *   answer was lost. Used only by the test that documents that window.
 */
export type FaultKind = 'throttle' | '5xx' | 'timeout' | 'timeout-after';

export type Protocol = 'awsJson' | 'restJson' | 'awsQuery';

export interface FaultStats {
  calls: number;
  injected: Record<FaultKind, number>;
}

export interface FaultPlan {
  /** Share of calls that fail, 0..1. */
  rate: number;
  kinds: readonly FaultKind[];
  /** Deterministic source of randomness (seeded), so a failing run can be replayed. */
  random: () => number;
  /** Only these commands (by name, e.g. `SendEmailCommand`); all when absent. */
  commands?: readonly string[];
}

/** A small seeded PRNG (the sample data's), so every run injects the same faults for the same seed. */
export const seeded = prng;

const throttleCode: Record<Protocol, { status: number; code: string }> = {
  awsJson: { status: 400, code: 'ThrottlingException' },
  restJson: { status: 429, code: 'TooManyRequestsException' },
  awsQuery: { status: 400, code: 'Throttling' },
};

function errorResponse(protocol: Protocol, status: number, code: string) {
  const message = `${code} (injected by the reliability suite)`;
  if (protocol === 'awsQuery') {
    const xml = `<ErrorResponse><Error><Type>${status >= 500 ? 'Receiver' : 'Sender'}</Type><Code>${code}</Code><Message>${message}</Message></Error><RequestId>injected</RequestId></ErrorResponse>`;
    return { statusCode: status, headers: { 'content-type': 'text/xml' }, body: Buffer.from(xml) };
  }
  const headers = {
    'content-type': protocol === 'awsJson' ? 'application/x-amz-json-1.0' : 'application/json',
    'x-amzn-errortype': code,
    'x-amzn-requestid': 'injected',
  };
  const body = protocol === 'awsJson' ? { __type: `com.amazonaws#${code}`, message } : { message };
  return { statusCode: status, headers, body: Buffer.from(JSON.stringify(body)) };
}

const timeout = () =>
  Object.assign(new Error('socket timed out (injected by the reliability suite)'), { name: 'TimeoutError' });

/** Adds the fault middleware to a real client; returns live counts of what it injected. */
export function injectFaults(
  client: DynamoDBClient | SESv2Client | SNSClient,
  protocol: Protocol,
  plan: FaultPlan,
): FaultStats {
  const stats: FaultStats = {
    calls: 0,
    injected: { throttle: 0, '5xx': 0, timeout: 0, 'timeout-after': 0 },
  };
  (client.middlewareStack as DynamoDBClient['middlewareStack']).add(
    (next, context) => async (args) => {
      const command = String(context.commandName ?? '');
      if (plan.commands && !plan.commands.includes(command)) return next(args);
      stats.calls++;
      if (plan.random() >= plan.rate) return next(args);
      const kind = plan.kinds[Math.floor(plan.random() * plan.kinds.length)] ?? 'throttle';
      stats.injected[kind]++;
      switch (kind) {
        case 'throttle': {
          const { status, code } = throttleCode[protocol];
          return { response: errorResponse(protocol, status, code) };
        }
        case '5xx': {
          const status = plan.random() < 0.5 ? 500 : 503;
          const code = status === 500 ? 'InternalServerError' : 'ServiceUnavailable';
          return { response: errorResponse(protocol, status, code) };
        }
        case 'timeout':
          throw timeout();
        case 'timeout-after':
          await next(args);
          throw timeout();
      }
    },
    // Inside the retry loop (finalizeRequest) and in front of the deserialiser: a raw answer.
    { step: 'deserialize', priority: 'low', name: 'reliabilityFaults' },
  );
  return stats;
}
