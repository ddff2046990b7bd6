import { createServer } from 'node:net';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { parseArgs } from 'node:util';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { EventBridgeClient } from '@aws-sdk/client-eventbridge';
import { withoutSdkLog } from '#shared/adapters/aws-clients/once.ts';
import { documentClient } from '#shared/adapters/dynamodb/customer-store.ts';
import { installFastParsers } from '#shared/contract/fast-parse.ts';
import type { ContactRecord } from '#shared/domain/store.ts';
import { DEFAULT_STRATEGY_FILE, loadCompiledStrategy } from '#shared/strategy/load.ts';
import { type Metrics, scanDecisions } from './dashboard/data.ts';
import { type BusEvent, customerEvents, ProgressBar, putEvents } from './import.ts';
import { DEMO_HISTORY, SAMPLE_DIR, type SampleOptions, writeSampleData } from './sample-data.ts';
import {
  byTime,
  type CampaignTally,
  diffTallies,
  formatDiff,
  formatTable,
  formatTallies,
  type ReplayEvent,
  Router,
  replayWindow,
  type SimulationResult,
  simulate,
  tallyRecords,
  unbalanced,
  waves,
} from './simulate.ts';

// The SDK's notice about Node 20 is noise here (Lambda runs Node 22); set before any client loads.
process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= 'true';

/**
 * `npm run demo`: the whole platform, locally, on 60 days of a web shop's life, in one go.
 *
 * 1. Writes the deterministic sample data (`.local-data/`) and starts the local runtime (default
 *    ports; a taken port falls back to a free one, and the demo says so).
 * 2. Loads the customers through `PutEvents` (profile and consent events), then replays the history
 *    in time order: for each moment it moves the runtime's clock there with `clock.advance` (which
 *    stops at every hour for the date-trigger job and at every deferred send due on the way), puts the
 *    moment's events in waves of at most one event per customer, and drains the runtime after each.
 * 3. Reads every decision back from the dashboard API and the dead-letter queues, checks that every
 *    trigger the bus routed ended in exactly one outcome, and prints the table per campaign.
 * 4. Runs `contact simulate` on the same files, same clock, same seed, and checks that it decides
 *    every campaign alike — the dry run is only worth something if it predicts the platform.
 * 5. Writes the static dashboard report to `.reports/demo-report.html` and stops everything.
 *
 * Why waves: the runtime decides queue messages concurrently, like Lambda. Decisions of different
 * customers never touch each other's state, but two events of one customer in flight together could
 * be decided in either order (a cap with one slot left goes to whichever commits first). One event per
 * customer per wave makes the live order the file's order, which is the order `simulate` uses.
 */

export interface DemoOptions extends SampleOptions {
  /** @default strategy/contact-strategy.yaml */
  readonly strategyFile?: string;
  /** @default .local-data */
  readonly dataDir?: string;
  /** @default .reports/demo-report.html */
  readonly reportFile?: string;
  /** Ports of the runtime: omitted ones are the defaults, or free ones when the default is taken. */
  readonly ports?: Partial<Record<'eventBridge' | 'dashboard' | 'dynamodb' | 'ses' | 'sns' | 'aux', number>>;
  /**
   * DynamoDB Local's JIT (see `DYNAMODB_JVM` in servers/dynamodb.ts). @default 'long-run' from 10,000
   * events on (the full JIT's compiling pays for itself after some 20,000 calls), else 'quick-start'
   */
  readonly dynamodbJvm?: 'quick-start' | 'long-run';
  /** Print progress and tables. @default true */
  readonly print?: boolean;
}

export interface DemoResult {
  readonly live: Record<string, CampaignTally>;
  readonly simulated: Record<string, CampaignTally>;
  /** Differences between the simulator and the live platform (campaign, outcome): empty when they agree. */
  readonly differences: readonly string[];
  /** Per campaign: routed by the bus = decided + duplicates + dead-lettered. Empty when it adds up. */
  readonly unaccounted: readonly string[];
  readonly reportPath: string;
  readonly timing: {
    readonly startSeconds: number;
    readonly loadSeconds: number;
    readonly replaySeconds: number;
    /**
     * Where the replay's wall time went: moving the clock (the hourly date job and the deferred sends
     * due on the way, each decided before the clock moves on), `PutEvents` calls, and waiting for each
     * wave to be decided.
     */
    readonly replayPhases: {
      readonly clockSeconds: number;
      readonly putSeconds: number;
      readonly decideSeconds: number;
    };
    readonly totalSeconds: number;
    /** History events put on the bus per second of replay (wall clock). */
    readonly eventsPerSecond: number;
  };
  readonly simulation: SimulationResult;
  /** The live platform's decision records. */
  readonly decisions: readonly ContactRecord[];
}

const out =
  (print: boolean) =>
  (line = '') => {
    if (print) console.log(line);
  };

/** True when nothing listens on the port (the runtime would fail to start on it). */
function portFree(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const probe = createServer();
    probe.once('error', () => resolve(false));
    probe.listen(port, '127.0.0.1', () => probe.close(() => resolve(true)));
  });
}

/** Runs the demo; see the module comment. Throws when the runtime cannot start. */
export async function runDemo(options: DemoOptions = {}): Promise<DemoResult> {
  // The fast paths in front of the customer-data schemas, as `contact simulate` has them: for the
  // replay here and the runtime in this process alike (the same results, fast-parse.ts).
  installFastParsers();
  const print = options.print ?? true;
  const say = out(print);
  const t0 = performance.now();
  const strategyFile = options.strategyFile ?? process.env.CONTACT_STRATEGY ?? DEFAULT_STRATEGY_FILE;
  const strategy = loadCompiledStrategy(strategyFile);
  const { customersFile, eventsFile, data } = writeSampleData(options.dataDir ?? SAMPLE_DIR, {
    ...DEMO_HISTORY,
    ...options,
  });
  const start = Date.parse(data.options.start);
  const events: ReplayEvent[] = data.events.map((e, i) => ({
    line: i + 1,
    time: Date.parse(e.time),
    source: e.source,
    detailType: e.detailType,
    detail: e.detail,
  }));
  const customers: BusEvent[] = data.customers.flatMap((row) => customerEvents(row, start));
  const window = replayWindow(events);
  say(
    `sample data: ${customersFile} (${data.customers.length.toLocaleString('en')} customers), ${eventsFile} (${events.length.toLocaleString('en')} events over ${data.options.days} days)`,
  );

  // The runtime's ports (`CONTACT_PORT_*`, else the defaults), unless taken (then a free one) or given.
  const { DEFAULT_PORTS, renderDashboardReport, resolvePorts, startRuntime } = await loadRuntime();
  const ports: Record<string, number> = { ...options.ports };
  for (const [name, port] of Object.entries(resolvePorts())) {
    if (ports[name] !== undefined) continue;
    if (port === 0 || (await portFree(port))) ports[name] = port;
    else {
      ports[name] = 0;
      say(`port ${port} (${name}) is in use: using a free port instead`);
    }
  }
  const starting = startRuntime({
    strategyFile,
    clock: start,
    quiet: true,
    ports,
    dynamodbJvm: options.dynamodbJvm ?? (events.length >= 10_000 ? 'long-run' : 'quick-start'),
  });
  // The dry run on the same input, while DynamoDB Local's JVM starts (it yields to I/O as it goes).
  const simulating = simulate({ strategy, customers, events, start: window.start, until: window.until });
  const [started, simulated] = await Promise.allSettled([starting, simulating]);
  if (started.status === 'rejected') throw started.reason;
  const runtime = started.value;
  if (simulated.status === 'rejected') {
    await runtime.stop();
    throw simulated.reason;
  }
  const simulation = simulated.value;
  const startSeconds = (performance.now() - t0) / 1000;
  // The runtime's clock runs on in wall time between its jumps. A decision taken a second after its
  // moment stores its send a second later (the state item keeps whole seconds), and a send exactly a
  // cap window earlier then still counts — a replay must not depend on how busy the machine is. So
  // the demo holds simulated time at the second the runtime last moved it to, while it is decided.
  const pin = setInterval(() => runtime.clock.set(Math.floor(runtime.clock.now() / 1000) * 1000), 20);
  say(
    `local runtime up, and contact simulate done meanwhile, in ${startSeconds.toFixed(1)} s (dashboard ${runtime.urls.dashboard}, EventBridge ${runtime.urls.eventBridge})`,
  );
  try {
    const client = withoutSdkLog(
      new EventBridgeClient({
        endpoint: runtime.urls.eventBridge,
        region: 'eu-west-1',
        credentials: { accessKeyId: 'local', secretAccessKey: 'local' },
      }),
    );
    const refused: string[] = [];
    const put = async (batch: readonly BusEvent[]) => {
      const result = await putEvents(client, batch, { concurrency: 4 });
      for (const f of result.failed) refused.push(f.code);
    };

    // Customers first, at the start of the window: profiles in one wave, then each consent statement
    // in a wave of its own, so no two writes to one customer's state item race (and retry).
    const loadStarted = performance.now();
    await runtime.clock.advance(0);
    for (const wave of waves(customers)) {
      await put(wave.map((e) => ({ ...e, time: start })));
      await runtime.drain();
    }
    const loadSeconds = (performance.now() - loadStarted) / 1000;
    say(
      `loaded ${customers.length.toLocaleString('en')} profile and consent events in ${loadSeconds.toFixed(1)} s`,
    );

    // The history, moment by moment.
    const replayStarted = performance.now();
    const bar = print ? new ProgressBar('replay', events.length) : undefined;
    let done = 0;
    const phaseMs = { clock: 0, put: 0, decide: 0 };
    const timed = async (phase: keyof typeof phaseMs, work: () => Promise<void>) => {
      const t = performance.now();
      await work();
      phaseMs[phase] += performance.now() - t;
    };
    for (const moment of byTime(events)) {
      await timed('clock', () => runtime.clock.advance(Math.max(0, moment.time - runtime.clock.now())));
      for (const wave of waves(moment.events)) {
        // Back to the moment itself: the clock runs on in wall time while a wave is decided.
        runtime.clock.set(moment.time);
        await timed('put', () =>
          put(
            wave.map((e) => ({
              source: e.source,
              detailType: e.detailType,
              detail: e.detail as Record<string, unknown>,
              time: e.time,
            })),
          ),
        );
        await timed('decide', () => runtime.drain());
      }
      done += moment.events.length;
      bar?.update(done);
    }
    await timed('clock', () => runtime.clock.advance(Math.max(0, window.until - runtime.clock.now())));
    bar?.done();
    const replaySeconds = (performance.now() - replayStarted) / 1000;
    const replayPhases = {
      clockSeconds: phaseMs.clock / 1000,
      putSeconds: phaseMs.put / 1000,
      decideSeconds: phaseMs.decide / 1000,
    };

    // What the platform decided: every decision record in the table (the dashboard's own scan; its
    // JSON API pages at 1,000), and what went to a dead-letter queue as invalid.
    const table = process.env.TABLE_NAME ?? 'contact-local';
    const dynamo = new DynamoDBClient({
      endpoint: runtime.urls.dynamodb,
      region: 'eu-west-1',
      credentials: { accessKeyId: 'local', secretAccessKey: 'local' },
    });
    const records = await scanDecisions(documentClient(dynamo), table);
    dynamo.destroy();
    const stats = runtime.stats();
    const invalid: Record<string, number> = {};
    for (const letter of stats.queues.buffer.deadLetters) {
      const campaignId = (JSON.parse(letter.body) as { campaignId?: unknown }).campaignId;
      if (typeof campaignId === 'string') invalid[campaignId] = (invalid[campaignId] ?? 0) + 1;
    }
    const campaignIds = strategy.strategy.campaigns.filter((c) => c.enabled).map((c) => c.id);
    const live = tallyRecords(campaignIds, records, invalid);
    // The dashboard must count the same decisions.
    const response = await fetch(`${runtime.urls.dashboard}/api/metrics`);
    const metrics = response.ok ? ((await response.json()) as Metrics) : undefined;

    // The accounting: what the bus routed to each campaign (the history's triggers and the date job's)
    // must equal what was decided, counted as a duplicate, or dead-lettered — exactly once each.
    const router = new Router(strategy.strategy);
    const routedByUs: Record<string, number> = {};
    for (const e of events) {
      for (const route of router.match({ source: e.source, 'detail-type': e.detailType, detail: e.detail })) {
        if (route.campaignId) routedByUs[route.campaignId] = (routedByUs[route.campaignId] ?? 0) + 1;
      }
    }
    const unaccounted: string[] = [];
    const check: (string | number)[][] = [];
    for (const id of campaignIds) {
      const routed = stats.events.routed[`campaign-${id}`] ?? 0;
      const t = live[id];
      const triggered = t?.triggered ?? 0;
      const dateTriggered = strategy.strategy.campaigns.find((c) => c.id === id)?.trigger.date !== undefined;
      const ours = routedByUs[id] ?? 0;
      const shown = metrics?.campaigns.find((c) => c.campaignId === id)?.decisions;
      const decided = triggered - (invalid[id] ?? 0);
      const ok = triggered === routed && (dateTriggered || ours === routed) && shown === decided;
      if (shown !== decided)
        unaccounted.push(
          `${id}: the dashboard counts ${shown ?? 'no'} decisions, the table holds ${decided}`,
        );
      if (!ok)
        unaccounted.push(
          `${id}: routed ${routed}${dateTriggered ? '' : ` (history ${ours})`}, accounted ${triggered}`,
        );
      check.push([id, dateTriggered ? 'date job' : 'history', routed, triggered, ok ? 'ok' : 'MISMATCH']);
    }
    for (const id of unbalanced(live)) unaccounted.push(`${id}: outcomes do not add up to the triggers`);

    const reportPath = await renderDashboardReport(
      runtime,
      options.reportFile ?? join('.reports', 'demo-report.html'),
      { decisions: 200 },
    );
    clearInterval(pin);
    await runtime.stop();

    const diff = diffTallies(simulation.campaigns, live);
    const differences = diff.map((d) => `${d.campaign} ${d.outcome}: simulate ${d.base}, live ${d.other}`);
    const mismatches = differences.length > 0 ? compareDecisions(simulation.records, records) : [];
    const totalSeconds = (performance.now() - t0) / 1000;
    const eventsPerSecond = Math.round(events.length / Math.max(replaySeconds, 0.001));

    say('');
    say(formatTallies(live));
    say('');
    say(
      'every trigger accounted for once: routed by the bus = sent + holdout + suppressed (duplicates and dead-lettered included) + pending',
    );
    say(formatTable(['campaign', 'trigger', 'routed', 'accounted', 'check'], check));
    if (refused.length > 0)
      say(`PutEvents refused ${refused.length} entries (${[...new Set(refused)].join(', ')})`);
    if (metrics && metrics.uplift.length > 0) {
      say('');
      say(
        'measurement (goal target: measured conversion [95% interval]; uplift over the holdout; variants):',
      );
      for (const u of metrics.uplift) {
        const lines = [u.uplift?.summary, ...u.variantComparisons.map((c) => c.summary)].filter(Boolean);
        say(`  ${u.campaignId}: ${u.headline}${lines.length ? `\n    ${lines.join('\n    ')}` : ''}`);
      }
    }
    say('');
    say(
      differences.length === 0
        ? `contact simulate agrees with the live platform on every campaign and outcome (simulate: ${simulation.timing.eventsPerSecond.toLocaleString('en')} events/s)`
        : `contact simulate differs from the live platform:\n${formatDiff(diff, { base: 'simulate', other: 'live' })}\n\nfirst decisions that differ:\n  ${mismatches.join('\n  ')}`,
    );
    say('');
    say(
      `timing: start ${startSeconds.toFixed(1)} s, customers ${loadSeconds.toFixed(1)} s, replay ${replaySeconds.toFixed(1)} s (${eventsPerSecond.toLocaleString('en')} events/s through PutEvents), total ${totalSeconds.toFixed(1)} s`,
    );
    say(
      `  replay: clock moves (date job, deferred sends) ${replayPhases.clockSeconds.toFixed(1)} s, PutEvents ${replayPhases.putSeconds.toFixed(1)} s, deciding the waves ${replayPhases.decideSeconds.toFixed(1)} s`,
    );
    say(`report: ${reportPath}`);
    say(
      `run it yourself: npm start, then the dashboard at http://127.0.0.1:${DEFAULT_PORTS.dashboard}/ and the email inbox at http://127.0.0.1:${DEFAULT_PORTS.ses}/`,
    );
    return {
      live,
      simulated: simulation.campaigns as Record<string, CampaignTally>,
      differences,
      unaccounted,
      reportPath,
      timing: { startSeconds, loadSeconds, replaySeconds, replayPhases, totalSeconds, eventsPerSecond },
      simulation,
      decisions: records,
    };
  } finally {
    clearInterval(pin);
    await runtime.stop();
  }
}

/**
 * Decision by decision, where the simulator and the live platform disagree: records are matched by
 * customer, campaign and decision time (to the second; idempotency keys made of EventBridge event ids
 * differ between the two). Ids, outcomes and cap counts only: no personal data.
 */
function compareDecisions(
  simulated: readonly ContactRecord[],
  live: readonly ContactRecord[],
  limit = 10,
): string[] {
  const key = (r: ContactRecord) =>
    r.idempotencyKey.startsWith(`${r.eventId}#`)
      ? `${r.customerId} ${r.campaignId} ${r.decidedAt.slice(0, 19)}`
      : `${r.customerId} ${r.idempotencyKey}`;
  const describe = (r: ContactRecord | undefined) => {
    if (!r) return 'no record';
    const caps = r.facts
      .filter((f) => f.kind === 'cap')
      .map((f) =>
        f.kind === 'cap'
          ? `${f.scope}${f.channel ? `:${f.channel}` : ''} ${f.count}/${f.max} per ${f.per}`
          : '',
      );
    return `${r.outcome}${r.reason ? `/${r.reason}` : ''}${r.channel ? ` via ${r.channel}` : ''}${caps.length > 0 ? ` [caps ${caps.join(', ')}]` : ''}`;
  };
  const byKey = new Map(live.map((r) => [key(r), r]));
  const out: string[] = [];
  for (const s of [...simulated].sort((a, b) => a.decidedAt.localeCompare(b.decidedAt))) {
    const l = byKey.get(key(s));
    if (l && l.outcome === s.outcome && l.reason === s.reason && l.channel === s.channel) continue;
    out.push(
      `${key(s)} at ${s.decidedAt.slice(0, 19)}: simulate ${describe(s)}; live ${describe(l)}${l ? ` at ${l.decidedAt}` : ''}`,
    );
    if (out.length >= limit) break;
  }
  return out;
}

/** The runtime module, loaded after the SDK warning is silenced. */
const loadRuntime = async () => {
  const runtime = await import('./runtime.ts');
  const report = await import('./dashboard/report.ts');
  return { ...runtime, renderDashboardReport: report.renderDashboardReport };
};

// `npm run demo [-- --customers N --events N --days N]` (tsx local/demo.ts): run, report, exit 0 when
// everything adds up and agrees with the simulator.
if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  const { values } = parseArgs({
    options: {
      customers: { type: 'string' },
      events: { type: 'string' },
      days: { type: 'string' },
      seed: { type: 'string' },
    },
  });
  const size: Record<string, number> = {};
  for (const [name, value] of Object.entries(values)) {
    const n = Number(value);
    if (!Number.isInteger(n) || n < 1) {
      console.error(
        `--${name} must be a whole number above 0\nusage: npm run demo [-- --customers 1000 --events 20000 --days 60 --seed N]`,
      );
      process.exit(2);
    }
    size[name] = n;
  }
  runDemo(size).then(
    (result) => {
      const problems = [...result.unaccounted, ...result.differences];
      if (problems.length > 0) console.error(`demo check failed:\n  ${problems.join('\n  ')}`);
      process.exit(problems.length > 0 ? 1 : 0);
    },
    (error: unknown) => {
      console.error(error instanceof Error ? error.message : error);
      process.exit(1);
    },
  );
}
