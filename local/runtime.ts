import { randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { join, resolve } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import {
  type AttributeValue,
  BatchWriteItemCommand,
  DynamoDBClient,
  ScanCommand,
} from '@aws-sdk/client-dynamodb';
import { DynamoCustomerStore, documentClient } from '#shared/adapters/dynamodb/customer-store.ts';
import { TRIGGER_BUS_NAME } from '#shared/domain/events.ts';
import { compileEngine } from '#shared/engine/compile.ts';
import { ConfigError } from '#shared/errors.ts';
import { platformRoutes } from '#shared/routing.ts';
import {
  type CompiledStrategy,
  DEFAULT_STRATEGY_FILE,
  loadCompiledStrategy,
  strategyBundleJson,
} from '#shared/strategy/load.ts';
import { SimulatedClock } from './clock.ts';
import { type DashboardServer, startDashboard } from './dashboard/server.ts';
import { LOCAL_ACCOUNT } from './lambda-context.ts';
import { type DeadLetter, LocalQueues, QUEUE_NAMES, type QueueName, type QueueStats } from './queues.ts';
import { startAuxServer } from './servers/aux.ts';
import { type DynamoDbJvm, type RunningServer, startDynamoDbLocal } from './servers/dynamodb.ts';
import { type EventBridgeStats, startEventBridge } from './servers/eventbridge.ts';
import { freePort } from './servers/free-port.ts';
import {
  LocalSchedules,
  type Schedule,
  type ScheduleDeadLetter,
  schedulerRoutes,
} from './servers/scheduler.ts';
import { generateSecret, secretsOperations } from './servers/secrets.ts';
import { startSesEmulator } from './servers/ses.ts';
import { localPlatformApplicationArn, startLocalSns } from './servers/sns.ts';
import { sqsOperations } from './servers/sqs.ts';
import { localCredentials } from './servers/util.ts';
import { createContactTable } from './table.ts';

/**
 * The local runtime: the whole platform on one machine, with no AWS account (DESIGN.md "Local runtime").
 *
 * The handlers are the very modules Lambda runs (`functions/*.ts`), wired only through environment
 * variables: the runtime starts the local endpoints, sets `process.env` (endpoints, table, strategy,
 * secrets' ids, ...) and only then imports the handler modules, whose composition root
 * (`functions/platform.ts`) reads its configuration once, as in a Lambda container.
 *
 * What stands in for AWS: DynamoDB Local, the SES v2 emulator, the local SNS endpoint, a local
 * EventBridge endpoint that routes with `platformRoutes(strategy)` into in-memory SQS-like queues
 * (consumed by `evaluate`, `profile`, `activity`, `feedback`), one small endpoint for SQS
 * (dead letters), Secrets Manager and EventBridge Scheduler (deferred sends, fired here by invoking
 * `deferred`), the hourly date-trigger job (`date-triggers`), and the dashboard with the `preferences`
 * function URL mounted under `/p/`.
 *
 * One runtime per process: the handler modules keep their configuration and AWS clients for the life
 * of the process (as a Lambda container does), so a second runtime must use the same settings.
 */

export interface RuntimePorts {
  readonly eventBridge: number;
  readonly dashboard: number;
  readonly dynamodb: number;
  readonly ses: number;
  readonly sns: number;
  /** SQS (dead letters), Secrets Manager and EventBridge Scheduler share this one. */
  readonly aux: number;
}

/** The fixed local contract (DESIGN.md "Public contracts"); `aux` is ours. */
export const DEFAULT_PORTS: RuntimePorts = Object.freeze({
  eventBridge: 4010,
  dashboard: 4000,
  dynamodb: 8000,
  ses: 8005,
  sns: 4020,
  aux: 4011,
});

/** The environment variables that override each port (options override them in turn). */
export const PORT_ENV: Readonly<Record<keyof RuntimePorts, string>> = Object.freeze({
  eventBridge: 'CONTACT_PORT_EVENTBRIDGE',
  dashboard: 'CONTACT_PORT_DASHBOARD',
  dynamodb: 'CONTACT_PORT_DYNAMODB',
  ses: 'CONTACT_PORT_SES',
  sns: 'CONTACT_PORT_SNS',
  aux: 'CONTACT_PORT_AUX',
});

export interface RuntimeOptions {
  /** @default $CONTACT_STRATEGY, else strategy/contact-strategy.yaml */
  readonly strategyFile?: string;
  /** Per port: a number (0 = a free port, for tests). @default $CONTACT_PORT_*, else DEFAULT_PORTS */
  readonly ports?: Partial<RuntimePorts>;
  /** Simulated start time (epoch ms). @default now */
  readonly clock?: number;
  /** Handlers log warnings and errors only (Powertools `ERROR` level), the runtime nothing. @default false */
  readonly quiet?: boolean;
  /**
   * Keep the table, pending schedules and the local secrets between runs, in `dataDir/state.json`
   * (written on stop, read on start). DynamoDB Local itself still runs in memory.
   * @default false
   */
  readonly persist?: boolean;
  /** @default $CONTACT_DATA_DIR, else `.contact-local` */
  readonly dataDir?: string;
  /**
   * DynamoDB Local's JIT: `long-run` for a session of minutes (the demo, `npm start`), `quick-start`
   * for short test runs. See `DYNAMODB_JVM` in servers/dynamodb.ts. @default 'quick-start'
   */
  readonly dynamodbJvm?: DynamoDbJvm;
  /** Wall-clock visibility timeout of the local queues (AWS: minutes). @default 1000 */
  readonly visibilityTimeoutMs?: number;
}

export interface RuntimeUrls {
  readonly eventBridge: string;
  readonly dashboard: string;
  /** The `preferences` function URL (unsubscribe, preference page), mounted on the dashboard. */
  readonly preferences: string;
  readonly dynamodb: string;
  readonly ses: string;
  /** The SES emulator's web inbox. */
  readonly sesInbox: string;
  /** The contact-moment API (next-best-offer, contacts), mounted on the dashboard; bearer {@link Runtime.apiToken}. */
  readonly moments: string;
  readonly sns: string;
  /** The local SNS store (JSON): SMS and push messages sent. */
  readonly snsStore: string;
  readonly aux: string;
}

export interface RuntimeClock {
  /** Simulated epoch ms (what `Date.now()` answers in this process while the runtime runs). */
  now(): number;
  /** Jumps to `ms`; due schedules and the date job then run on the next tick (about 250 ms). */
  set(ms: number): void;
  /**
   * Moves time forward by `ms`, stopping at every schedule due and every run of the hourly date job
   * (five past the hour) on the way: there it fires the due schedules (deferred sends) or the job, and
   * drains the queues, so a day of traffic plays out in order. Resolves when all is done.
   */
  advance(ms: number): Promise<void>;
}

export interface RuntimeStats {
  /** Simulated time, ISO. */
  readonly clock: string;
  readonly events: EventBridgeStats;
  readonly queues: Readonly<Record<QueueName, QueueStats>>;
  /** Dead letters sent to the shared DLQ URL that matched no record in flight (sent by hand). */
  readonly unattributedDeadLetters: readonly DeadLetter[];
  readonly schedules: {
    readonly pending: number;
    readonly fired: number;
    readonly deadLetters: readonly ScheduleDeadLetter[];
  };
  readonly dateTriggerRuns: number;
}

export interface Runtime {
  readonly urls: RuntimeUrls;
  readonly ports: RuntimePorts;
  readonly strategyFile: string;
  readonly clock: RuntimeClock;
  /**
   * The bearer token of the contact-moment API on the dashboard port (the local stand-in for AWS_IAM):
   * `$CONTACT_API_TOKEN`, else a new random one per start.
   */
  readonly apiToken: string;
  /** Resolves when every queue is empty and nothing is in flight (nor a schedule or date job running). */
  drain(options?: { timeoutMs?: number }): Promise<void>;
  stats(): RuntimeStats;
  /** Moves a queue's dead letters back onto the queue; returns how many. */
  redrive(queue: QueueName): number;
  /** Runs the date-trigger job now (the runtime also runs it at five past every simulated hour). */
  runDateTriggers(): Promise<{ emitted: number }>;
  stop(): Promise<void>;
}

/** Thrown when the runtime cannot start; the message says what to do. */
export class RuntimeStartError extends Error {
  override readonly name = 'RuntimeStartError';
}

const REGION = 'eu-west-1';
/** The local runtime's table (DynamoDB Local, in memory). */
export const TABLE_NAME = 'contact-local';
const SCHEDULE_GROUP = 'contact-local';
const LINK_KEY_SECRET_ID = 'contact-local/link-signing-key';
const WEBHOOK_SECRET_ID = 'contact-local/webhook-signing-secret';
const HOUR_MS = 3_600_000;
/** The date-trigger job runs at five past every hour, as its deployed schedule `cron(5 * * * ? *)`. */
const DATE_JOB_OFFSET_MS = 5 * 60_000;
/** The hourly slot a time falls in; slot n's run is due at n h + 5 min. */
const dateJobSlot = (ms: number): number => Math.floor((ms - DATE_JOB_OFFSET_MS) / HOUR_MS);
const dateJobTime = (slot: number): number => slot * HOUR_MS + DATE_JOB_OFFSET_MS;
const TICK_MS = 250;

/** Per-queue settings of the consuming functions; the buffer's concurrency is evaluate's maxConcurrency. */
const QUEUE_SETTINGS: Readonly<Record<QueueName, { functionName: string; concurrency: number }>> = {
  buffer: { functionName: 'contact-local-evaluate', concurrency: 10 },
  profile: { functionName: 'contact-local-profile', concurrency: 5 },
  activity: { functionName: 'contact-local-activity', concurrency: 5 },
  feedback: { functionName: 'contact-local-feedback', concurrency: 5 },
};

function portFromEnv(name: string): number | undefined {
  const raw = process.env[name];
  if (raw === undefined || raw.trim() === '') return undefined;
  const port = Number(raw);
  if (!Number.isInteger(port) || port < 0 || port > 65_535)
    throw new RuntimeStartError(`${name} must be a port number (0-65535), not ${JSON.stringify(raw)}`);
  return port;
}

/** Builds the ports object key by key (typed, no casts). */
function mapPorts(pick: (key: keyof RuntimePorts) => number): RuntimePorts {
  return {
    eventBridge: pick('eventBridge'),
    dashboard: pick('dashboard'),
    dynamodb: pick('dynamodb'),
    ses: pick('ses'),
    sns: pick('sns'),
    aux: pick('aux'),
  };
}

/** Options first, then `CONTACT_PORT_*`, then the defaults. */
export function resolvePorts(overrides: Partial<RuntimePorts> = {}): RuntimePorts {
  return mapPorts((key) => overrides[key] ?? portFromEnv(PORT_ENV[key]) ?? DEFAULT_PORTS[key]);
}

/** Fails fast, with the variable to change, when a fixed port is taken (DynamoDB Local would only time out). */
function assertPortFree(port: number, what: keyof RuntimePorts): Promise<void> {
  if (port === 0) return Promise.resolve();
  return new Promise((resolvePort, reject) => {
    const probe = createServer();
    probe.once('error', () =>
      reject(
        new RuntimeStartError(
          `port ${port} (${what}) is already in use: stop what uses it, or set ${PORT_ENV[what]} to another port`,
        ),
      ),
    );
    probe.listen(port, '127.0.0.1', () => probe.close(() => resolvePort()));
  });
}

/** The local secrets: one pair per process, because the handlers cache what they read once. */
let processSecrets: { linkKey: string; webhookSecret: string } | undefined;
/** The handler environment of the first runtime in this process (see "One runtime per process"). */
let processEnvironment: Readonly<Record<string, string>> | undefined;
/** The ports the first runtime in this process listened on. */
let processPorts: RuntimePorts | undefined;

interface Handlers {
  readonly evaluate: typeof import('#functions/evaluate.ts').raw;
  readonly profile: typeof import('#functions/profile.ts').raw;
  readonly activity: typeof import('#functions/activity.ts').raw;
  readonly feedback: typeof import('#functions/feedback.ts').raw;
  readonly deferred: typeof import('#functions/deferred.ts').raw;
  readonly dateTriggers: typeof import('#functions/date-triggers.ts').raw;
  readonly preferences: typeof import('#functions/preferences.ts').raw;
  readonly nextBestOffer: typeof import('#functions/next-best-offer.ts').raw;
}

/** Imports the handler modules, after the environment is set: their configuration is read at first use. */
async function loadHandlers(): Promise<Handlers> {
  const [evaluate, profile, activity, feedback, deferred, dateTriggers, preferences, nextBestOffer] =
    await Promise.all([
      import('#functions/evaluate.ts'),
      import('#functions/profile.ts'),
      import('#functions/activity.ts'),
      import('#functions/feedback.ts'),
      import('#functions/deferred.ts'),
      import('#functions/date-triggers.ts'),
      import('#functions/preferences.ts'),
      import('#functions/next-best-offer.ts'),
    ]);
  return {
    evaluate: evaluate.raw,
    profile: profile.raw,
    activity: activity.raw,
    feedback: feedback.raw,
    deferred: deferred.raw,
    dateTriggers: dateTriggers.raw,
    preferences: preferences.raw,
    nextBestOffer: (event) => nextBestOffer.raw(event),
  };
}

/**
 * Builds everything the composition root (`functions/platform.ts`) builds lazily, once, at start-up: a
 * variable the handlers read and this runtime does not set then fails here, with its name, instead of
 * sending every message to a DLQ after five tries.
 */
async function checkHandlerConfiguration(): Promise<void> {
  const platform = await import('#functions/platform.ts');
  try {
    platform.engine();
    platform.store();
    platform.customerDataDeps();
    platform.deadLetters();
    platform.emitter();
    await platform.evaluateDeps();
  } catch (error) {
    if (error instanceof ConfigError) {
      throw new RuntimeStartError(
        `the handlers need configuration the local runtime does not provide (${error.message}): add it to handlerEnvironment() in local/runtime.ts`,
        { cause: error },
      );
    }
    throw error;
  }
}

interface Snapshot {
  readonly version: 1;
  readonly savedAt: string;
  readonly secrets: { linkKey: string; webhookSecret: string };
  readonly items: Record<string, AttributeValue>[];
  readonly schedules: Schedule[];
}

function readSnapshot(file: string): Snapshot | undefined {
  if (!existsSync(file)) return undefined;
  const snapshot = JSON.parse(readFileSync(file, 'utf8')) as Snapshot;
  if (snapshot.version !== 1) throw new RuntimeStartError(`${file}: unknown snapshot version`);
  return snapshot;
}

async function scanAll(client: DynamoDBClient): Promise<Record<string, AttributeValue>[]> {
  const items: Record<string, AttributeValue>[] = [];
  let startKey: Record<string, AttributeValue> | undefined;
  do {
    const page = await client.send(new ScanCommand({ TableName: TABLE_NAME, ExclusiveStartKey: startKey }));
    items.push(...(page.Items ?? []));
    startKey = page.LastEvaluatedKey;
  } while (startKey);
  return items;
}

async function restoreItems(
  client: DynamoDBClient,
  items: readonly Record<string, AttributeValue>[],
): Promise<void> {
  for (let i = 0; i < items.length; i += 25) {
    let requests = items.slice(i, i + 25).map((Item) => ({ PutRequest: { Item } }));
    for (let attempt = 0; requests.length > 0 && attempt < 8; attempt++) {
      const out = await client.send(new BatchWriteItemCommand({ RequestItems: { [TABLE_NAME]: requests } }));
      requests = (out.UnprocessedItems?.[TABLE_NAME] ?? []) as typeof requests;
    }
  }
}

/**
 * Starts everything and resolves when the platform accepts events. An invalid strategy rejects with its
 * `StrategyValidationError` before anything starts; a taken port with a {@link RuntimeStartError}.
 */
export async function startRuntime(options: RuntimeOptions = {}): Promise<Runtime> {
  const strategyFile = resolve(options.strategyFile ?? process.env.CONTACT_STRATEGY ?? DEFAULT_STRATEGY_FILE);
  const resolved = resolvePorts(options.ports);
  // A restart in this process reuses the ports the first runtime got for "any free port" (0): the
  // handler modules keep the endpoints they read once.
  const previous = processPorts;
  const requested = previous ? mapPorts((k) => (resolved[k] === 0 ? previous[k] : resolved[k])) : resolved;
  await Promise.all(
    (Object.keys(requested) as (keyof RuntimePorts)[]).map((k) => assertPortFree(requested[k], k)),
  );

  const dataFile = join(
    resolve(options.dataDir ?? process.env.CONTACT_DATA_DIR ?? '.contact-local'),
    'state.json',
  );
  const snapshot = options.persist ? readSnapshot(dataFile) : undefined;
  processSecrets ??= snapshot?.secrets ?? { linkKey: generateSecret(), webhookSecret: generateSecret() };
  const secrets = processSecrets;

  const clock = new SimulatedClock(options.clock);
  const log = (line: string): void => {
    if (!options.quiet) console.log(`[local] ${line}`);
  };
  const stoppers: (() => Promise<void>)[] = [];
  const stopAll = async (): Promise<void> => {
    for (const stop of stoppers.splice(0).reverse()) await stop().catch(() => undefined);
  };

  let dynamodbStarting: Promise<RunningServer> | undefined;
  try {
    // An invalid strategy stops start-up with its validation message before anything starts.
    const strategyJson = strategyBundleJson(strategyFile);
    const dynamodbPort = requested.dynamodb === 0 ? await freePort() : requested.dynamodb;
    // DynamoDB Local takes seconds (a JVM): start it now and do everything else meanwhile.
    dynamodbStarting = startDynamoDbLocal(dynamodbPort, '127.0.0.1', {
      jvm: options.dynamodbJvm ?? 'quick-start',
    });
    // Stopped last, after the snapshot (stoppers run from the end; this one sits at the front).
    dynamodbStarting.then((server) => stoppers.unshift(() => server.stop())).catch(() => undefined);
    const compiled: CompiledStrategy = loadCompiledStrategy(strategyFile);

    const queues = new LocalQueues({
      region: REGION,
      now: () => clock.now(),
      realNow: clock.realNow,
      onInvocationError: (queue, error) =>
        log(`${queue}: invocation failed (${error instanceof Error ? error.name : 'error'}); records retry`),
    });
    const schedules = new LocalSchedules({
      region: REGION,
      groups: [SCHEDULE_GROUP, 'default'],
      now: () => clock.now(),
    });
    const aux = await startAuxServer(requested.aux, {
      targets: {
        ...sqsOperations(queues),
        ...secretsOperations(
          [
            { name: LINK_KEY_SECRET_ID, value: secrets.linkKey },
            { name: WEBHOOK_SECRET_ID, value: secrets.webhookSecret },
          ],
          REGION,
        ),
      },
      rest: schedulerRoutes(schedules),
    });
    stoppers.push(() => aux.stop());
    queues.rebase(aux.endpoint);
    for (const name of QUEUE_NAMES) {
      queues.define(name, {
        ...QUEUE_SETTINGS[name],
        ...(options.visibilityTimeoutMs !== undefined && {
          visibilityTimeoutMs: options.visibilityTimeoutMs,
        }),
      });
    }

    const routes = platformRoutes(compiled.strategy);
    const eventBridge = await startEventBridge(requested.eventBridge, {
      routes,
      deliver: (target, body) => queues.send(target, body),
      now: () => clock.now(),
      region: REGION,
      account: LOCAL_ACCOUNT,
    });
    stoppers.push(() => eventBridge.stop());
    const [ses, sns] = await Promise.all([startSesEmulator(requested.ses), startLocalSns(requested.sns)]);
    stoppers.push(
      () => ses.stop(),
      () => sns.stop(),
    );

    let handlers: Handlers | undefined;
    let dateTriggerRuns = 0;
    const statsOf = (): RuntimeStats => ({
      clock: new Date(clock.now()).toISOString(),
      events: eventBridge.stats(),
      queues: queues.stats(),
      unattributedDeadLetters: [...queues.unattributed],
      schedules: {
        pending: schedules.pending,
        fired: schedules.fired,
        deadLetters: [...schedules.deadLetters],
      },
      dateTriggerRuns,
    });

    // The runtime's own client and store, for the table set-up and the dashboard's reads.
    const dynamodbEndpoint = `http://127.0.0.1:${dynamodbPort}`;
    const client = new DynamoDBClient({
      endpoint: dynamodbEndpoint,
      region: REGION,
      credentials: localCredentials,
      maxAttempts: 3,
    });
    stoppers.push(async () => client.destroy());
    const engine = compileEngine(compiled);
    const apiToken = process.env.CONTACT_API_TOKEN || randomBytes(18).toString('base64url');
    const store = new DynamoCustomerStore(client, {
      tableName: TABLE_NAME,
      sendRetentionMs: engine.maxCapWindowMs,
      now: () => clock.now(),
    });

    const dashboardHolder: { urls?: RuntimeUrls } = {};
    const dashboard: DashboardServer = await startDashboard(requested.dashboard, {
      doc: documentClient(client),
      store,
      table: TABLE_NAME,
      strategy: compiled.strategy,
      strategyFile,
      now: () => clock.now(),
      stats: statsOf,
      urls: () => dashboardHolder.urls,
      preferences: () => handlers?.preferences,
      engine,
      apiToken,
      moments: () => handlers?.nextBestOffer,
    });
    stoppers.push(() => dashboard.stop());

    const urls: RuntimeUrls = {
      eventBridge: eventBridge.endpoint,
      dashboard: dashboard.endpoint,
      preferences: `${dashboard.endpoint}/p`,
      moments: `${dashboard.endpoint}/customers`,
      dynamodb: dynamodbEndpoint,
      ses: ses.endpoint,
      sesInbox: `${ses.endpoint}/`,
      sns: sns.endpoint,
      snsStore: `${sns.endpoint}/_store`,
      aux: aux.endpoint,
    };
    dashboardHolder.urls = urls;

    const environment = handlerEnvironment({
      urls,
      strategyJson,
      quiet: options.quiet ?? false,
      deadLetterUrl: queues.sharedDeadLetterUrl,
    });
    if (processEnvironment) {
      const changed = Object.keys(environment).filter((k) => processEnvironment?.[k] !== environment[k]);
      if (changed.length > 0) {
        throw new RuntimeStartError(
          `one local runtime per process: the handler modules keep the configuration of the first (${changed.join(', ')} would change). Use fixed ports and the same strategy, or a new process.`,
        );
      }
    }
    processEnvironment = environment;
    const previousEnvironment = Object.fromEntries(Object.keys(environment).map((k) => [k, process.env[k]]));
    Object.assign(process.env, environment);
    delete process.env.AWS_SESSION_TOKEN;
    delete process.env.AWS_PROFILE;
    stoppers.unshift(async () => {
      for (const [k, v] of Object.entries(previousEnvironment)) {
        if (v === undefined) delete process.env[k];
        else process.env[k] = v;
      }
    });
    clock.install();
    stoppers.unshift(async () => clock.uninstall());

    const [loaded, dynamodb] = await Promise.all([loadHandlers(), dynamodbStarting]);
    handlers = loaded;
    log(`DynamoDB Local on ${dynamodb.endpoint}`);
    await createContactTable(client, TABLE_NAME);
    await checkHandlerConfiguration();
    if (snapshot) {
      await restoreItems(client, snapshot.items);
      schedules.restore(snapshot.schedules);
      log(
        `restored ${snapshot.items.length} items and ${snapshot.schedules.length} schedules from ${dataFile}`,
      );
    }
    if (options.persist) {
      // Runs before DynamoDB Local and the endpoints stop (stoppers run in reverse order).
      stoppers.push(async () => {
        const state: Snapshot = {
          version: 1,
          savedAt: new Date(clock.now()).toISOString(),
          secrets,
          items: await scanAll(client),
          schedules: schedules.list(),
        };
        mkdirSync(join(dataFile, '..'), { recursive: true });
        writeFileSync(dataFile, JSON.stringify(state));
        log(`saved ${state.items.length} items to ${dataFile}`);
      });
    }

    const consumers: Record<QueueName, Handlers['evaluate']> = {
      buffer: loaded.evaluate,
      profile: loaded.profile,
      activity: loaded.activity,
      feedback: loaded.feedback,
    };
    for (const name of QUEUE_NAMES) queues.consume(name, consumers[name]);
    stoppers.push(() => queues.stop());

    // Background work: schedules due and the hourly date job, on the simulated clock.
    let busy = 0;
    let stopped = false;
    let stepping = false;
    // The slot before now: the first tick runs the current hour's job, as its last scheduled run did.
    let lastSlot = dateJobSlot(clock.now()) - 1;
    const deferredArn = environment.DEFERRED_FUNCTION_ARN;
    const guarded = async <T>(work: () => Promise<T>): Promise<T> => {
      busy++;
      try {
        return await work();
      } finally {
        busy--;
      }
    };
    let schedulesRunning: Promise<number> | undefined;
    const runSchedules = (): Promise<number> => {
      schedulesRunning ??= guarded(() =>
        schedules.runDue(async (schedule) => {
          if (schedule.targetArn !== deferredArn) throw new Error(`no local function ${schedule.targetArn}`);
          await loaded.deferred(JSON.parse(schedule.input));
        }),
      ).finally(() => {
        schedulesRunning = undefined;
      });
      return schedulesRunning;
    };
    let dateJob: Promise<{ emitted: number }> | undefined;
    /** Runs the job as its schedule does: with the run's own time as `scheduledTime`. */
    const runDateTriggers = (scheduledTime = clock.now()): Promise<{ emitted: number }> => {
      dateJob ??= guarded(async () => {
        dateTriggerRuns++;
        return loaded.dateTriggers({ scheduledTime: new Date(scheduledTime).toISOString() });
      }).finally(() => {
        dateJob = undefined;
      });
      return dateJob;
    };
    const hourly = async (): Promise<void> => {
      const slot = dateJobSlot(clock.now());
      if (slot === lastSlot) return;
      lastSlot = slot;
      await runDateTriggers(dateJobTime(slot));
    };
    const report = (what: string) => (error: unknown) =>
      log(`${what} failed: ${error instanceof Error ? `${error.name}: ${error.message}` : 'error'}`);
    const ticker = setInterval(() => {
      if (stopped || stepping) return;
      void hourly().catch(report('date-trigger job'));
      void runSchedules().catch(report('schedules'));
    }, TICK_MS);
    ticker.unref();
    stoppers.push(async () => {
      stopped = true;
      clearInterval(ticker);
      while (busy > 0) await sleep(20);
    });

    const drain = async ({ timeoutMs = 120_000 }: { timeoutMs?: number } = {}): Promise<void> => {
      const deadline = clock.realNow() + timeoutMs;
      for (;;) {
        if (queues.idle && busy === 0) {
          // One more turn: a send scheduled with setImmediate (a PutEvents just answered) shows up now.
          await new Promise((r) => setImmediate(r));
          if (queues.idle && busy === 0) return;
        }
        if (clock.realNow() > deadline) {
          const pending = Object.entries(queues.stats())
            .map(([name, q]) => `${name} ${q.depth} waiting/${q.inFlight} in flight`)
            .join(', ');
          throw new Error(`drain: still busy after ${timeoutMs} ms (${pending}; ${busy} jobs)`);
        }
        await Promise.race([queues.changed(), sleep(20)]);
      }
    };

    // Stopping finishes the work in hand first (bounded), so a Ctrl-C right after PutEvents loses nothing
    // that was already accepted; this stopper runs first.
    stoppers.push(async () => {
      await drain({ timeoutMs: 5_000 }).catch(() => log('stopped with messages still queued or in flight'));
    });

    const runtimeClock: RuntimeClock = {
      now: () => clock.now(),
      set: (ms) => clock.set(ms),
      advance: async (ms) => {
        if (!(ms >= 0)) throw new RangeError('advance: ms must be 0 or more');
        const target = clock.now() + ms;
        stepping = true;
        try {
          await drain();
          for (;;) {
            const now = clock.now();
            const nextJob = dateJobTime(dateJobSlot(now) + 1);
            const step = Math.min(target, nextJob, schedules.nextDueAfter(now) ?? Number.POSITIVE_INFINITY);
            clock.set(step);
            await hourly();
            await runSchedules();
            await drain();
            if (step >= target) break;
          }
        } finally {
          stepping = false;
        }
      },
    };

    log(`strategy ${strategyFile}: ${routes.length} rules`);
    const ports: RuntimePorts = {
      eventBridge: eventBridge.port,
      dashboard: dashboard.port,
      dynamodb: dynamodbPort,
      ses: Number(new URL(ses.endpoint).port),
      sns: sns.port,
      aux: aux.port,
    };
    processPorts ??= ports;
    return {
      urls,
      ports,
      strategyFile,
      clock: runtimeClock,
      apiToken,
      drain,
      stats: statsOf,
      redrive: (queue) => queues.redrive(queue),
      runDateTriggers: () => runDateTriggers(),
      stop: stopAll,
    };
  } catch (error) {
    await stopAll();
    // Still starting when something else failed: never leave its JVM behind.
    await dynamodbStarting?.then((server) => server.stop()).catch(() => undefined);
    throw error;
  }
}

/**
 * Everything the handler modules read, as `functions/platform.ts` and the handlers declare it. In Lambda
 * the CDK stack sets these per function; here one process hosts them all, so they are set once:
 * - `DEAD_LETTER_QUEUE_URL` is one per queue function in AWS; `platform.ts` reads it once per process,
 *   so here every function gets the same local URL and the local SQS endpoint files each dead letter
 *   under the queue whose record in flight it carries (see `LocalQueues.deadLetterFromUrl`).
 * - `AWS_ENDPOINT_URL_<SERVICE>`: the SDK's own variables; no client is built differently.
 */
export function handlerEnvironment(input: {
  urls: RuntimeUrls;
  strategyJson: string;
  quiet: boolean;
  deadLetterUrl: string;
}): Record<string, string> {
  const { urls } = input;
  const arn = (service: string, resource: string) =>
    `arn:aws:${service}:${REGION}:${LOCAL_ACCOUNT}:${resource}`;
  return {
    AWS_REGION: REGION,
    AWS_ACCESS_KEY_ID: localCredentials.accessKeyId,
    AWS_SECRET_ACCESS_KEY: localCredentials.secretAccessKey,
    AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: 'true',
    AWS_ENDPOINT_URL_DYNAMODB: urls.dynamodb,
    AWS_ENDPOINT_URL_SESV2: urls.ses,
    AWS_ENDPOINT_URL_SNS: urls.sns,
    AWS_ENDPOINT_URL_EVENTBRIDGE: urls.eventBridge,
    AWS_ENDPOINT_URL_SQS: urls.aux,
    AWS_ENDPOINT_URL_SCHEDULER: urls.aux,
    AWS_ENDPOINT_URL_SECRETS_MANAGER: urls.aux,
    CONTACT_STRATEGY_JSON: input.strategyJson,
    TABLE_NAME,
    SENDER_EMAIL: process.env.CONTACT_SENDER_EMAIL ?? 'hello@contact.local',
    CONFIGURATION_SET: 'contact-local',
    PREFERENCES_URL: urls.preferences,
    LINK_KEY_SECRET_ID,
    WEBHOOK_SECRET_ID,
    SCHEDULE_GROUP,
    DEFERRED_FUNCTION_ARN: arn('lambda', 'function:contact-local-deferred'),
    SCHEDULER_ROLE_ARN: `arn:aws:iam::${LOCAL_ACCOUNT}:role/contact-local-scheduler`,
    SCHEDULER_DLQ_ARN: arn('sqs', 'contact-local-scheduler-dlq'),
    DEAD_LETTER_QUEUE_URL: input.deadLetterUrl,
    EVENT_BUS_NAME: TRIGGER_BUS_NAME,
    PUSH_APP_FCM_ARN: localPlatformApplicationArn('GCM', 'contact-local'),
    PUSH_APP_APNS_ARN: localPlatformApplicationArn('APNS', 'contact-local'),
    POWERTOOLS_SERVICE_NAME: 'contact-local',
    POWERTOOLS_LOG_LEVEL: input.quiet ? 'ERROR' : 'INFO',
    // No CloudWatch Logs here to turn EMF into metrics; the dashboard reads the contact table instead.
    POWERTOOLS_METRICS_DISABLED: 'true',
  };
}
