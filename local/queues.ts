import { createHash, randomUUID } from 'node:crypto';
import type { Context, SQSBatchResponse, SQSEvent, SQSRecord } from 'aws-lambda';
import type { RouteTarget } from '#shared/routing.ts';
import { LOCAL_ACCOUNT, lambdaContext } from './lambda-context.ts';

/**
 * In-memory queues with the SQS + Lambda event-source semantics the handlers rely on, for the buffer,
 * profile, activity and feedback queues:
 * - batches of at most `batchSize` (10) records, handed to the consumer as an `SQSEvent`;
 * - at most `concurrency` batches at once (the buffer's 10 is `maxConcurrency` in AWS);
 * - the partial batch response is honoured: failed records (or all, when the invocation throws) become
 *   visible again after the visibility timeout, with `ApproximateReceiveCount` counting up;
 * - a record that failed `maxReceiveCount` (5) times moves to the queue's DLQ with the reason, so
 *   nothing is lost; `redrive` moves DLQ messages back.
 *
 * Timing runs on the wall clock (`realNow`), not the simulated clock: a retry waits real time, and
 * fast-forwarding does not skip it. The visibility timeout is short locally (1 s by default; minutes
 * in AWS) so that a retry shows up while someone is watching.
 */

export type QueueName = RouteTarget;
export const QUEUE_NAMES: readonly QueueName[] = ['buffer', 'profile', 'activity', 'feedback'];

export type QueueConsumer = (event: SQSEvent, context: Context) => Promise<SQSBatchResponse | undefined>;

export interface QueueSettings {
  /** The consuming function's name, for its context and ARN. */
  readonly functionName: string;
  /** @default 10 */
  readonly batchSize?: number;
  /** Batches in flight at once. @default 5 */
  readonly concurrency?: number;
  /** @default 1000 */
  readonly visibilityTimeoutMs?: number;
  /** @default 5 */
  readonly maxReceiveCount?: number;
}

export interface DeadLetter {
  readonly messageId: string;
  readonly body: string;
  readonly reason: string;
  readonly receiveCount: number;
  /** Simulated ISO time it was dead-lettered. */
  readonly at: string;
  /** `handler`: the function sent it (input that can never succeed); `redrive-policy`: too many failures. */
  readonly by: 'handler' | 'redrive-policy';
}

export interface QueueStats {
  readonly url: string;
  readonly deadLetterUrl: string;
  /** Messages waiting (visible or waiting out their visibility timeout), not counting those in flight. */
  readonly depth: number;
  readonly inFlight: number;
  readonly sent: number;
  readonly deleted: number;
  readonly retried: number;
  readonly batches: number;
  readonly deadLetters: readonly DeadLetter[];
}

interface Message {
  readonly messageId: string;
  readonly body: string;
  readonly sentAt: number;
  receiveCount: number;
  firstReceiveAt?: number;
  /** Wall-clock ms from which it may be received. */
  visibleAt: number;
  lastError?: string;
}

interface Queue {
  readonly name: QueueName;
  readonly settings: Required<QueueSettings>;
  readonly url: string;
  readonly deadLetterUrl: string;
  readonly arn: string;
  consumer?: QueueConsumer;
  waiting: Message[];
  readonly inFlight: Map<string, Message>;
  running: number;
  timer?: NodeJS.Timeout;
  readonly deadLetters: DeadLetter[];
  sent: number;
  deleted: number;
  retried: number;
  batches: number;
}

const md5 = (text: string): string => createHash('md5').update(text, 'utf8').digest('hex');

export interface LocalQueuesOptions {
  readonly region: string;
  /** Simulated time, for timestamps in records and dead letters. */
  readonly now: () => number;
  /** Wall-clock time, for visibility timeouts. */
  readonly realNow: () => number;
  /** Called with the error of an invocation that threw (logged by the runtime without bodies). */
  readonly onInvocationError?: (queue: QueueName, error: unknown) => void;
}

export class LocalQueues {
  private readonly queues = new Map<QueueName, Queue>();
  private readonly waiters = new Set<() => void>();
  private stopped = false;
  /** Dead letters sent to the shared URL that belonged to no record in flight (e.g. sent by hand). */
  readonly unattributed: DeadLetter[] = [];
  private baseUrl = 'http://127.0.0.1';

  constructor(private readonly options: LocalQueuesOptions) {}

  /** Sets the base of the queue URLs (the local SQS endpoint, known once it listens); before {@link define}. */
  rebase(baseUrl: string): void {
    this.baseUrl = baseUrl;
  }

  /** The shared dead-letter URL the handlers get as `DEAD_LETTER_QUEUE_URL` (see {@link deadLetterFromUrl}). */
  get sharedDeadLetterUrl(): string {
    return `${this.baseUrl}/${LOCAL_ACCOUNT}/contact-local-dead-letters`;
  }

  define(name: QueueName, settings: QueueSettings): void {
    const queueName = `contact-local-${name}`;
    this.queues.set(name, {
      name,
      settings: {
        batchSize: 10,
        concurrency: 5,
        visibilityTimeoutMs: 1000,
        maxReceiveCount: 5,
        ...settings,
      },
      url: `${this.baseUrl}/${LOCAL_ACCOUNT}/${queueName}`,
      deadLetterUrl: `${this.baseUrl}/${LOCAL_ACCOUNT}/${queueName}-dlq`,
      arn: `arn:aws:sqs:${this.options.region}:${LOCAL_ACCOUNT}:${queueName}`,
      waiting: [],
      inFlight: new Map(),
      running: 0,
      deadLetters: [],
      sent: 0,
      deleted: 0,
      retried: 0,
      batches: 0,
    });
  }

  /** Attaches the consuming function; messages sent before wait for it. */
  consume(name: QueueName, consumer: QueueConsumer): void {
    this.queue(name).consumer = consumer;
    this.pump(name);
  }

  send(name: QueueName, body: string): string {
    const queue = this.queue(name);
    const message: Message = {
      messageId: randomUUID(),
      body,
      sentAt: this.options.now(),
      receiveCount: 0,
      visibleAt: 0,
    };
    queue.waiting.push(message);
    queue.sent++;
    // On the next turn, so that the entries of one PutEvents call travel in one batch.
    setImmediate(() => this.pump(name));
    return message.messageId;
  }

  /**
   * A `SendMessage` the local SQS endpoint received for a dead-letter URL. A queue's own DLQ URL is
   * taken at its word. The shared URL (the one `DEAD_LETTER_QUEUE_URL` holds for every function here,
   * because the handlers share one process and `platform.ts` reads the variable once) is resolved to the
   * queue whose record in flight carries this very body: a handler dead-letters the record it is
   * processing, and the rules route disjoint sets of events to the queues, so the body identifies it.
   */
  deadLetterFromUrl(url: string, body: string, reason: string): { queue?: QueueName } | undefined {
    const path = url.replace(/^[a-z]+:\/\/[^/]+/i, '');
    const byUrl = [...this.queues.values()].find((q) => q.deadLetterUrl.endsWith(path));
    if (byUrl) {
      byUrl.deadLetters.push(this.letter(body, reason, 0, 'handler'));
      return { queue: byUrl.name };
    }
    if (!this.sharedDeadLetterUrl.endsWith(path)) return undefined;
    for (const queue of this.queues.values()) {
      const record = [...queue.inFlight.values()].find((m) => m.body === body);
      if (record) {
        queue.deadLetters.push(this.letter(body, reason, record.receiveCount, 'handler', record.messageId));
        return { queue: queue.name };
      }
    }
    this.unattributed.push(this.letter(body, reason, 0, 'handler'));
    return {};
  }

  /** Moves a queue's dead letters back onto it (after the cause is fixed). Returns how many. */
  redrive(name: QueueName): number {
    const queue = this.queue(name);
    const letters = queue.deadLetters.splice(0);
    for (const letter of letters) this.send(name, letter.body);
    return letters.length;
  }

  /** True when every queue is empty and no batch is running. */
  get idle(): boolean {
    for (const q of this.queues.values()) if (q.waiting.length > 0 || q.inFlight.size > 0) return false;
    return true;
  }

  /** Resolves on the next change of any queue (a batch finished, a message arrived or moved). */
  changed(): Promise<void> {
    return new Promise((resolve) => this.waiters.add(resolve));
  }

  stats(): Record<QueueName, QueueStats> {
    const out: Partial<Record<QueueName, QueueStats>> = {};
    for (const q of this.queues.values()) {
      out[q.name] = {
        url: q.url,
        deadLetterUrl: q.deadLetterUrl,
        depth: q.waiting.length,
        inFlight: q.inFlight.size,
        sent: q.sent,
        deleted: q.deleted,
        retried: q.retried,
        batches: q.batches,
        deadLetters: [...q.deadLetters],
      };
    }
    return out as Record<QueueName, QueueStats>;
  }

  /** Stops handing out batches and waits for the running ones to finish. */
  async stop(): Promise<void> {
    this.stopped = true;
    for (const q of this.queues.values()) clearTimeout(q.timer);
    while ([...this.queues.values()].some((q) => q.running > 0)) await this.changed();
  }

  private queue(name: QueueName): Queue {
    const queue = this.queues.get(name);
    if (!queue) throw new Error(`no local queue ${name}`);
    return queue;
  }

  private letter(
    body: string,
    reason: string,
    receiveCount: number,
    by: DeadLetter['by'],
    messageId: string = randomUUID(),
  ): DeadLetter {
    return { messageId, body, reason, receiveCount, at: new Date(this.options.now()).toISOString(), by };
  }

  private notify(): void {
    const waiters = [...this.waiters];
    this.waiters.clear();
    for (const resolve of waiters) resolve();
  }

  private pump(name: QueueName): void {
    const queue = this.queue(name);
    if (this.stopped || !queue.consumer) return;
    const consumer = queue.consumer;
    const now = this.options.realNow();
    while (queue.running < queue.settings.concurrency) {
      const batch: Message[] = [];
      queue.waiting = queue.waiting.filter((m) => {
        if (batch.length < queue.settings.batchSize && m.visibleAt <= now) {
          batch.push(m);
          return false;
        }
        return true;
      });
      if (batch.length === 0) break;
      void this.run(queue, consumer, batch);
    }
    // Wake up for the earliest message still waiting out its visibility timeout.
    clearTimeout(queue.timer);
    const next = Math.min(...queue.waiting.map((m) => m.visibleAt));
    if (Number.isFinite(next) && queue.running < queue.settings.concurrency) {
      queue.timer = setTimeout(() => this.pump(name), Math.max(0, next - now) + 1);
      queue.timer.unref();
    }
  }

  private async run(queue: Queue, consumer: QueueConsumer, batch: Message[]): Promise<void> {
    queue.running++;
    queue.batches++;
    const simulated = this.options.now();
    for (const m of batch) {
      m.receiveCount++;
      m.firstReceiveAt ??= simulated;
      queue.inFlight.set(m.messageId, m);
    }
    let failed: Set<string>;
    let error: string | undefined;
    try {
      const result = await consumer(
        { Records: batch.map((m) => this.record(queue, m)) },
        lambdaContext(queue.settings.functionName, {
          region: this.options.region,
          realNow: this.options.realNow,
        }),
      );
      failed = new Set((result?.batchItemFailures ?? []).map((f) => f.itemIdentifier));
    } catch (e) {
      // A thrown invocation (Powertools throws when every record failed) fails the whole batch.
      failed = new Set(batch.map((m) => m.messageId));
      error = e instanceof Error ? `${e.name}: ${e.message}` : String(e);
      this.options.onInvocationError?.(queue.name, e);
    }
    const visibleAt = this.options.realNow() + queue.settings.visibilityTimeoutMs;
    for (const m of batch) {
      queue.inFlight.delete(m.messageId);
      if (!failed.has(m.messageId)) {
        queue.deleted++;
        continue;
      }
      if (error) m.lastError = error;
      if (m.receiveCount >= queue.settings.maxReceiveCount) {
        const reason = `failed ${m.receiveCount} times (maxReceiveCount ${queue.settings.maxReceiveCount})${m.lastError ? `; last error ${m.lastError}` : ''}`;
        queue.deadLetters.push(this.letter(m.body, reason, m.receiveCount, 'redrive-policy', m.messageId));
        continue;
      }
      queue.retried++;
      m.visibleAt = visibleAt;
      queue.waiting.push(m);
    }
    queue.running--;
    this.pump(queue.name);
    this.notify();
  }

  private record(queue: Queue, m: Message): SQSRecord {
    return {
      messageId: m.messageId,
      receiptHandle: `${m.messageId}#${m.receiveCount}`,
      body: m.body,
      attributes: {
        ApproximateReceiveCount: String(m.receiveCount),
        SentTimestamp: String(m.sentAt),
        SenderId: 'local-eventbridge',
        ApproximateFirstReceiveTimestamp: String(m.firstReceiveAt ?? m.sentAt),
      },
      messageAttributes: {},
      md5OfBody: md5(m.body),
      eventSource: 'aws:sqs',
      eventSourceARN: queue.arn,
      awsRegion: this.options.region,
    };
  }
}
