import { Worker } from 'node:worker_threads';
import type { Invocation, PooledFunction, Reply } from './handler-worker.ts';

/**
 * Worker threads that run the runtime's handler invocations (queue batches, deferred sends, the date
 * job) off the main thread. In one process the main thread also serves the local endpoints
 * (EventBridge, SES, SNS, SQS/Scheduler, the dashboard) and the handlers' AWS SDK calls cost most of
 * the CPU of a replay, so on one thread the two queue behind each other; in threads of their own they
 * run side by side on a second core, as Lambda runs functions beside the AWS services.
 *
 * Each thread imports the handler modules once (a warm Lambda container) and takes invocations from
 * any function; an invocation goes to the thread with the fewest in flight. The runtime's queues,
 * schedules and accounting stay on the main thread: the SQS semantics (batches, partial batch
 * responses, visibility, retries, DLQ) are unchanged, only the consumer runs elsewhere.
 */

interface Thread {
  readonly worker: Worker;
  readonly pending: Map<number, { resolve: (v: unknown) => void; reject: (e: Error) => void }>;
  alive: boolean;
}

/** An error of a pooled invocation, as the thread reported it (name and message). */
export class PooledInvocationError extends Error {
  constructor(name: string, message: string) {
    super(message);
    this.name = name;
  }
}

export interface HandlerPoolOptions {
  /** Threads. */
  readonly size: number;
  /** The runtime clock's shared offset ({@link SimulatedClock.shared}). */
  readonly clock: SharedArrayBuffer;
  readonly region: string;
}

export class HandlerPool {
  private nextId = 1;

  private constructor(private readonly threads: Thread[]) {}

  /**
   * Starts the threads and resolves when each has imported the handlers. Call it after the handler
   * environment is set: a thread copies `process.env` when it starts.
   */
  static async start(options: HandlerPoolOptions): Promise<HandlerPool> {
    const entry = new URL('./handler-worker.ts', import.meta.url).href;
    // The thread loads TypeScript through tsx's loader, registered in the thread itself (loader hooks
    // of the main thread, if any, do not reach worker threads on Node 20).
    const bootstrap = `import('tsx/esm/api').then((tsx) => { tsx.register(); return import(${JSON.stringify(entry)}); }).catch((error) => { process.stderr.write(String(error && error.stack || error) + '\\n'); process.exit(1); });`;
    const threads = Array.from({ length: options.size }, () => {
      const worker = new Worker(bootstrap, {
        eval: true,
        workerData: { clock: options.clock, region: options.region },
        stdout: true,
        stderr: true,
      });
      // Through this process's streams (and whatever wraps them, e.g. the test suite's log capture).
      worker.stdout.on('data', (chunk: Buffer) => process.stdout.write(chunk));
      worker.stderr.on('data', (chunk: Buffer) => process.stderr.write(chunk));
      return { worker, pending: new Map(), alive: true } satisfies Thread;
    });
    const pool = new HandlerPool(threads);
    try {
      await Promise.all(threads.map((t) => pool.ready(t)));
    } catch (error) {
      await pool.stop();
      throw error;
    }
    return pool;
  }

  private ready(thread: Thread): Promise<void> {
    return new Promise((resolve, reject) => {
      const onExit = (code: number) =>
        reject(new Error(`a handler thread exited with code ${code} while starting`));
      thread.worker.once('exit', onExit);
      thread.worker.once('error', reject);
      thread.worker.once('message', () => {
        thread.worker.off('exit', onExit);
        thread.worker.off('error', reject);
        this.attach(thread);
        resolve();
      });
    });
  }

  private attach(thread: Thread): void {
    thread.worker.on('message', (reply: Reply) => {
      const call = thread.pending.get(reply.id);
      if (!call) return;
      thread.pending.delete(reply.id);
      if (reply.ok) call.resolve(reply.result);
      else call.reject(new PooledInvocationError(reply.name, reply.message));
    });
    const fail = (why: string) => {
      thread.alive = false;
      for (const call of thread.pending.values()) call.reject(new Error(why));
      thread.pending.clear();
    };
    thread.worker.on('error', (error) => fail(`handler thread failed: ${error.name}`));
    thread.worker.on('exit', (code) => fail(`handler thread exited with code ${code}`));
  }

  /** Runs one invocation on the least busy thread; rejects with the handler's error. */
  invoke(fn: PooledFunction, payload: unknown, functionName?: string): Promise<unknown> {
    let thread: Thread | undefined;
    for (const t of this.threads) {
      if (t.alive && (!thread || t.pending.size < thread.pending.size)) thread = t;
    }
    if (!thread) return Promise.reject(new Error('no handler thread is running'));
    const id = this.nextId++;
    const call: Invocation = { id, fn, payload, ...(functionName !== undefined && { functionName }) };
    const target = thread;
    return new Promise((resolve, reject) => {
      target.pending.set(id, { resolve, reject });
      target.worker.postMessage(call);
    });
  }

  /** Stops the threads (call after the queues have stopped handing out work). */
  async stop(): Promise<void> {
    await Promise.all(
      this.threads.map(async (t) => {
        t.alive = false;
        await t.worker.terminate();
      }),
    );
  }
}
