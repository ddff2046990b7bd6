import { parentPort, workerData } from 'node:worker_threads';
import { followClock } from './clock.ts';
import { lambdaContext } from './lambda-context.ts';

/**
 * One worker thread of the local runtime's handler pool (see `handler-pool.ts`): it imports the same
 * handler modules Lambda runs, in a thread of its own (so a second core decides while the first runs
 * the local endpoints), and invokes them on request. Its `Date.now()` follows the runtime's simulated
 * clock through shared memory; its environment is the runtime's handler environment, copied when the
 * thread started. Errors go back by name and message only (never a body: no personal data).
 */

export interface WorkerInput {
  readonly clock: SharedArrayBuffer;
  readonly region: string;
}

export type PooledFunction = 'evaluate' | 'profile' | 'activity' | 'feedback' | 'deferred' | 'dateTriggers';

export interface Invocation {
  readonly id: number;
  readonly fn: PooledFunction;
  readonly payload: unknown;
  /** The Lambda function name, for the context of queue consumers. */
  readonly functionName?: string;
}

export type Reply =
  | { readonly id: number; readonly ok: true; readonly result: unknown }
  | { readonly id: number; readonly ok: false; readonly name: string; readonly message: string };

const input = workerData as WorkerInput;
followClock(input.clock);

const [evaluate, profile, activity, feedback, deferred, dateTriggers] = await Promise.all([
  import('#functions/evaluate.ts'),
  import('#functions/profile.ts'),
  import('#functions/activity.ts'),
  import('#functions/feedback.ts'),
  import('#functions/deferred.ts'),
  import('#functions/date-triggers.ts'),
]);
const queueConsumers = {
  evaluate: evaluate.raw,
  profile: profile.raw,
  activity: activity.raw,
  feedback: feedback.raw,
} as const;

async function invoke(call: Invocation): Promise<unknown> {
  switch (call.fn) {
    case 'deferred':
      return deferred.raw(call.payload as Parameters<typeof deferred.raw>[0]);
    case 'dateTriggers':
      return dateTriggers.raw(call.payload);
    default:
      return queueConsumers[call.fn](
        call.payload as Parameters<typeof evaluate.raw>[0],
        lambdaContext(call.functionName ?? call.fn, { region: input.region }),
      );
  }
}

const port = parentPort;
if (!port) throw new Error('handler-worker.ts runs as a worker thread of the local runtime');
port.on('message', (call: Invocation) => {
  invoke(call).then(
    (result) => port.postMessage({ id: call.id, ok: true, result } satisfies Reply),
    (error: unknown) =>
      port.postMessage({
        id: call.id,
        ok: false,
        name: error instanceof Error ? error.name : 'Error',
        message: error instanceof Error ? error.message : String(error),
      } satisfies Reply),
  );
});
port.postMessage({ ready: true });
