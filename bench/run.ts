import { execFileSync } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { mkdtempSync, readdirSync, writeFileSync } from 'node:fs';
import { availableParallelism, tmpdir } from 'node:os';
import { join } from 'node:path';
import { DynamoDBClient, PutItemCommand, QueryCommand, UpdateItemCommand } from '@aws-sdk/client-dynamodb';
import { SESv2Client, SendEmailCommand } from '@aws-sdk/client-sesv2';
import { SNSClient } from '@aws-sdk/client-sns';
import { type BuildOptions, build } from 'esbuild';
import { esbuildOptions, strategyBuild } from '#infra/constructs/function-bundling.ts';
import { meterDynamoDb } from '#local/ddb-meter.ts';
import { LocalScheduler } from '#local/scheduler.ts';
import { startDynamoDbLocal } from '#local/servers/dynamodb.ts';
import { freePort } from '#local/servers/free-port.ts';
import { startSesEmulator } from '#local/servers/ses.ts';
import { startLocalSns } from '#local/servers/sns.ts';
import { createContactTable } from '#local/table.ts';
import { DynamoCustomerStore } from '#shared/adapters/dynamodb/customer-store.ts';
import { SesEmailSender } from '#shared/adapters/ses-email.ts';
import { SignedLinkBuilder } from '#shared/adapters/signed-links.ts';
import { SnsPushSender } from '#shared/adapters/sns-push.ts';
import { SnsSmsSender } from '#shared/adapters/sns-sms.ts';
import { HttpWebhookSender } from '#shared/adapters/webhook.ts';
import type { ContactRecord } from '#shared/domain/store.ts';
import { compileEngine } from '#shared/engine/compile.ts';
import { testEventPattern } from '#shared/event-pattern/index.ts';
import { activityPattern } from '#shared/routing.ts';
import { loadCompiledStrategy, strategyBundleJson } from '#shared/strategy/load.ts';
import { applyConsentEvent, applyProfileUpdate } from '#shared/use-cases/customer-data.ts';
import { evaluateTrigger } from '#shared/use-cases/evaluate-trigger.ts';
import { recordActivity } from '#shared/use-cases/record-activity.ts';
import { coldInitRatios } from './cold-init.ts';
import { measureCommitStrategies } from './commit.ts';
import { costPerMillion } from './cost-model.ts';
import { measureLogBytesPerTrigger } from './log-bytes.ts';
import { measureThroughput, type ThroughputResult } from './throughput.ts';

/**
 * `npm run bench`: measures the platform against its targets on the local servers and writes
 * `bench/results.json`. Ratios are measured within one run (the same servers, the same moment);
 * absolute times on a shared 2-core machine are noisy and only reported.
 */

const median = (xs: number[]) => {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)] ?? 0;
};
const time = async <T>(f: () => Promise<T>): Promise<[T, number]> => {
  const t0 = performance.now();
  const out = await f();
  return [out, performance.now() - t0];
};
const log = (s: string) => process.stderr.write(`${s}\n`);

/** The engine runs as production runs it: an esbuild bundle, in a fresh Node process, one core. */
async function engineBench(): Promise<{
  eventsPerSecond: number;
  eventsPerCpuSecond: number;
  campaigns: number;
}> {
  const dir = mkdtempSync(join(tmpdir(), 'engine-bench-'));
  await build({
    entryPoints: ['bench/engine-main.ts'],
    bundle: true,
    platform: 'node',
    format: 'esm',
    outfile: join(dir, 'engine.mjs'),
    banner: {
      js: "import { createRequire } from 'node:module'; const require = createRequire(import.meta.url);",
    },
    logLevel: 'warning',
  });
  return JSON.parse(execFileSync('node', [join(dir, 'engine.mjs')], { encoding: 'utf8' })) as {
    eventsPerSecond: number;
    eventsPerCpuSecond: number;
    campaigns: number;
  };
}

/**
 * The pipeline's clock in the bench: real time, but counted from a weekday noon in Amsterdam. The
 * bench's triggers are the welcome campaign's, which waits out quiet hours (21:00-08:00): on the real
 * clock, a run in the evening deferred every send and measured nothing.
 */
const benchClock = (() => {
  const start = Date.parse('2026-06-10T10:00:00Z');
  const wallStart = Date.now();
  return { now: () => start + (Date.now() - wallStart) };
})();

/** The production build, minus source maps: the very options `cdk synth` uses (function-bundling.ts). */
function functionBuild(): BuildOptions {
  return esbuildOptions(strategyBuild(strategyBundleJson('strategy/contact-strategy.yaml')));
}

/** Every deployed function's entry file (`functions/<name>.ts`; the two shared modules are not functions). */
function functionEntries(): Record<string, string> {
  return Object.fromEntries(
    readdirSync('functions')
      .filter((f) => f.endsWith('.ts') && !['platform.ts', 'sqs-batch.ts', 'decision-tally.ts'].includes(f))
      .map((f) => [f.replace(/\.ts$/, ''), join('functions', f)]),
  );
}

async function bundleSizes(entries: Record<string, string>): Promise<Record<string, number>> {
  const sizes: Record<string, number> = {};
  for (const [name, entry] of Object.entries(entries)) {
    const out = await build({ ...functionBuild(), entryPoints: [entry], write: false });
    sizes[name] = out.outputFiles?.[0]?.contents.byteLength ?? 0;
  }
  return sizes;
}

async function main(): Promise<void> {
  // `BENCH_ONLY=throughput` (with `BENCH_THROUGHPUT_RUNS=N`): only the throughput part, printed, for
  // repeated measurements; bench/results.json is left as it is.
  const throughputOnly = process.env.BENCH_ONLY === 'throughput';
  // `BENCH_ONLY=simulate` (with `BENCH_SIMULATE_RUNS=N`): only `contact simulate`, on both histories,
  // with the default thread count and with 1 and 2 threads, printed; bench/results.json is left as it is.
  if (process.env.BENCH_ONLY === 'simulate') {
    const { simulateThroughput, LARGE_HISTORY } = await import('./simulate.ts');
    const { DEMO_HISTORY } = await import('#local/sample-data.ts');
    const runs = Number(process.env.BENCH_SIMULATE_RUNS ?? 3);
    const out: Record<string, unknown> = {};
    for (const [name, history] of [
      ['demo', DEMO_HISTORY],
      ['large', LARGE_HISTORY],
    ] as const)
      for (const workers of [undefined, 1, 2]) {
        const key = `${name}:${workers ?? 'default'}`;
        log(`contact simulate: ${key} ...`);
        out[key] = simulateThroughput(runs, { history, ...(workers !== undefined && { workers }) });
      }
    console.log(JSON.stringify(out, null, 2));
    return;
  }
  if (!throughputOnly) log('engine: pure replay, one core, 10 campaigns ...');
  const engine = throughputOnly
    ? { eventsPerSecond: 0, eventsPerCpuSecond: 0, campaigns: 0 }
    : await engineBench();
  if (!throughputOnly) log('contact simulate: the demo history, end to end, fresh processes ...');
  const simulateBench = await import('./simulate.ts');
  const simulation = throughputOnly ? undefined : simulateBench.simulateThroughput();
  // The large history on one thread and on every core, named rather than left to the default (which
  // counts idle cores: on a busy machine, runs would differ in their thread count).
  if (!throughputOnly) log('contact simulate: a 200,000-event history, 1 thread and every core ...');
  const cores = availableParallelism();
  const simulationLarge = throughputOnly
    ? undefined
    : simulateBench.simulateThroughput(3, { history: simulateBench.LARGE_HISTORY, workers: cores });
  const simulationLargeOneThread =
    throughputOnly || cores === 1
      ? simulationLarge
      : simulateBench.simulateThroughput(3, { history: simulateBench.LARGE_HISTORY, workers: 1 });

  const entries = functionEntries();
  if (!throughputOnly) log('bundles ...');
  const bundles = throughputOnly ? {} : await bundleSizes(entries);
  if (!throughputOnly) log('cold init: each bundle imported in fresh Node processes ...');
  const coldInit = throughputOnly
    ? { ratio: {}, emptyHandlerMs: 0 }
    : await coldInitRatios(entries, functionBuild());
  // The same bundles with the SDK bundled (ADR 0003's switch), measured in the same run: what the
  // runtime-provided SDK costs or saves at module init, not just in bytes.
  if (!throughputOnly) log('cold init with the SDK bundled instead (ADR 0003) ...');
  const coldInitBundledSdk = throughputOnly
    ? { ratio: {}, emptyHandlerMs: 0 }
    : await coldInitRatios(entries, { ...functionBuild(), external: [] });

  log('local servers ...');
  const [ddb, ses, sns] = await Promise.all([
    freePort().then((p) => startDynamoDbLocal(p)),
    freePort().then((p) => startSesEmulator(p)),
    startLocalSns(0),
  ]);
  try {
    Object.assign(process.env, {
      AWS_ENDPOINT_URL_DYNAMODB: ddb.endpoint,
      AWS_ENDPOINT_URL_SESV2: ses.endpoint,
      AWS_ENDPOINT_URL_SNS: sns.endpoint,
      AWS_REGION: 'eu-west-1',
      AWS_ACCESS_KEY_ID: 'local',
      AWS_SECRET_ACCESS_KEY: 'local',
    });
    const client = new DynamoDBClient({});
    const table = `bench-${randomUUID().slice(0, 8)}`;
    await createContactTable(client, table);

    if (!throughputOnly) log('commit strategies ...');
    const commit = throughputOnly ? [] : await measureCommitStrategies(client, table);

    const compiled = loadCompiledStrategy('strategy/contact-strategy.yaml');
    const eng = compileEngine(compiled);
    const store = new DynamoCustomerStore(client, {
      tableName: table,
      sendRetentionMs: eng.maxCapWindowMs,
      now: benchClock.now,
    });
    const meter = meterDynamoDb(client);
    const sesClient = new SESv2Client({});
    const snsClient = new SNSClient({});
    const deps = {
      engine: eng,
      store,
      clock: benchClock,
      scheduler: new LocalScheduler(),
      from: 'Huis & Polis <hallo@example.nl>',
      links: new SignedLinkBuilder('https://voorkeuren.example.nl', 'bench-key', benchClock),
      channels: {
        email: new SesEmailSender(sesClient, { configurationSetName: 'bench' }),
        sms: new SnsSmsSender(snsClient),
        push: new SnsPushSender(snsClient),
        webhook: new HttpWebhookSender({ secret: 'bench' }),
      },
    };
    const data = { store, strategy: eng.strategy, clock: deps.clock };
    /** `n` customers with a profile and marketing consent, set up 8 at a time. */
    const setUpCustomers = async (prefix: string, n: number): Promise<string[]> => {
      const ids = Array.from({ length: n }, (_, i) => `${prefix}${i}`);
      const at = new Date(benchClock.now() - 60_000).toISOString();
      let next = 0;
      const one = async (id: string) => {
        const envelope = {
          version: '0',
          id: randomUUID(),
          account: '0',
          region: 'eu-west-1',
          time: at,
          resources: [],
        };
        await applyProfileUpdate(data, {
          ...envelope,
          source: 'contact.profiles',
          'detail-type': 'CustomerProfileUpdated',
          detail: { customerId: id, email: `${id}@example.nl`, attributes: { firstName: 'Anna' } },
        });
        await applyConsentEvent(data, {
          ...envelope,
          id: randomUUID(),
          source: 'contact.consent',
          'detail-type': 'ConsentGranted',
          detail: { customerId: id, purpose: 'marketing', channel: 'all', source: 'bench', occurredAt: at },
        });
      };
      await Promise.all(
        Array.from({ length: 8 }, async () => {
          for (let i = next++; i < n; i = next++) await one(ids[i] ?? '');
        }),
      );
      return ids;
    };
    const customers = await setUpCustomers('bench-c', 200);
    const trigger = (id: string) => ({
      version: '0',
      id: randomUUID(),
      source: 'shop.newsletter',
      'detail-type': 'NewsletterSubscribed',
      account: '0',
      region: 'eu-west-1',
      time: new Date(benchClock.now()).toISOString(),
      resources: [],
      detail: { customerId: id },
    });

    const order = (id: string) => ({
      ...trigger(id),
      source: 'shop.orders',
      'detail-type': 'OrderPlaced',
      detail: { customerId: id, orderId: randomUUID(), total: 42.5 },
    });
    const routedToActivity = activityPattern(compiled.strategy);
    const activityShare = routedToActivity && testEventPattern(routedToActivity, trigger('x')) ? 1 : 0;

    log('per trigger: pipeline vs bare calls ...');
    const pipelineMs: number[] = [];
    const bareMs: number[] = [];
    const activityMs: number[] = [];
    let calls = 0;
    let wru = 0;
    let rru = 0;
    let sends = 0;
    let activityWru = 0;
    let activityRru = 0;
    const decided: ContactRecord[] = [];
    for (const [i, id] of customers.slice(0, 200).entries()) {
      meter.reset();
      const [record, ms] = await time(() =>
        evaluateTrigger(deps, { campaignId: 'welcome', event: trigger(id) }),
      );
      decided.push(record);
      if (record.outcome === 'sent' && i >= 20) {
        pipelineMs.push(ms);
        sends++;
        calls += Object.values(meter.calls).reduce((a, b) => a + b, 0);
        wru += meter.writeUnits;
        rru += meter.readUnits;
      }
      meter.reset();
      // What `activity` does with an event it is routed: an order counted for the loyalty rule.
      const [, actMs] = await time(() =>
        recordActivity({ store, engine: eng, clock: deps.clock }, order(id)),
      );
      activityMs.push(actMs);
      activityWru += meter.writeUnits;
      activityRru += meter.readUnits;
      // The same calls, issued directly: Query, conditional UpdateItem, SES send, PutItem.
      const [, bare] = await time(async () => {
        await client.send(
          new QueryCommand({
            TableName: table,
            KeyConditionExpression: 'pk = :pk AND begins_with(sk, :a)',
            ExpressionAttributeValues: { ':pk': { S: `CUSTOMER#${id}` }, ':a': { S: 'A#' } },
          }),
        );
        await client.send(
          new UpdateItemCommand({
            TableName: table,
            Key: { pk: { S: `BARE#${id}` }, sk: { S: 'A#STATE' } },
            UpdateExpression: 'SET s = :s, v = :v',
            ExpressionAttributeValues: { ':s': { S: '[]' }, ':v': { N: String(i) } },
          }),
        );
        await sesClient.send(
          new SendEmailCommand({
            FromEmailAddress: 'hallo@example.nl',
            Destination: { ToAddresses: [`${id}@example.nl`] },
            Content: {
              Simple: { Subject: { Data: 'x' }, Body: { Text: { Data: 'x' }, Html: { Data: '<p>x</p>' } } },
            },
          }),
        );
        await client.send(
          new PutItemCommand({
            TableName: table,
            Item: { pk: { S: `BARE#${id}` }, sk: { S: `H#${i}` }, x: { S: 'x'.repeat(600) } },
          }),
        );
      });
      if (i >= 20) bareMs.push(bare);
    }

    log('throughput: 16 concurrent callers, pipeline and its own calls bare, alternating rounds ...');
    const throughputRuns = Math.max(1, Number(process.env.BENCH_THROUGHPUT_RUNS ?? 1));
    const throughputs: ThroughputResult[] = [];
    for (let run = 0; run < throughputRuns; run++) {
      // Fresh customers each run: the welcome campaign sends once per customer a year.
      const pool = await setUpCustomers(`bench-t${run}-`, 801);
      throughputs.push(
        await measureThroughput({
          client,
          ses: sesClient,
          customers: pool,
          trigger: (id) => evaluateTrigger(deps, { campaignId: 'welcome', event: trigger(id) }),
        }),
      );
      const t = throughputs.at(-1);
      if (throughputRuns > 1 && t)
        log(
          `  run ${run + 1}: ${t.pipeline} of ${t.bareCallCeiling}/s → ratio ${t.ratio} (median round ${t.medianRoundRatio}), CPU ms ${t.cpuMsPerTrigger.pipeline} vs ${t.cpuMsPerTrigger.bare}`,
        );
    }
    // The run with the median ratio.
    const throughput = [...throughputs].sort((a, b) => a.ratio - b.ratio)[Math.floor(throughputs.length / 2)];
    if (!throughput) throw new Error('no throughput run');
    if (throughputOnly) {
      console.log(JSON.stringify({ throughputTriggersPerSecond: throughput, runs: throughputs }, null, 2));
      return;
    }
    if (!simulation || !simulationLarge || !simulationLargeOneThread) throw new Error('no simulate run');

    const batchSize = 10;
    const logBytesPerTrigger = measureLogBytesPerTrigger(decided, batchSize);
    const perSend = { calls: calls / sends, wru: wru / sends, rru: rru / sends };
    const costInputs = {
      writeUnitsPerSend: perSend.wru,
      readUnitsPerSend: perSend.rru,
      evaluateMsPerTrigger: median(pipelineMs),
      activityShare,
      activityMsPerEvent: median(activityMs),
      activityWriteUnits: activityWru / activityMs.length,
      activityReadUnits: activityRru / activityMs.length,
      logBytesPerTrigger,
      memoryMb: 256,
      batchSize,
    };
    const cost = costPerMillion(costInputs);
    // A trigger that a threshold rule also counts (an order) costs the activity queue and function too.
    const countedCost = costPerMillion({ ...costInputs, activityShare: 1 });
    const results = {
      measuredAt: new Date().toISOString(),
      machine: `${process.platform} ${process.arch}, node ${process.version}`,
      ddbCallsPerSend: perSend.calls,
      writeUnitsPerSend: perSend.wru,
      readUnitsPerSend: perSend.rru,
      commitStrategies: commit,
      perTriggerOverBareIo: Math.round((median(pipelineMs) / median(bareMs)) * 100) / 100,
      medianMs: {
        pipeline: Math.round(median(pipelineMs) * 100) / 100,
        bare: Math.round(median(bareMs) * 100) / 100,
      },
      engineEventsPerSecond: engine.eventsPerSecond,
      engineEventsPerCpuSecond: engine.eventsPerCpuSecond,
      simulateEventsPerSecond: simulation.eventsPerSecond,
      simulate: simulation,
      simulateLargeEventsPerSecond: simulationLarge.eventsPerSecond,
      simulateLarge: simulationLarge,
      simulateLargeOneThread: simulationLargeOneThread,
      throughputTriggersPerSecond: {
        ...throughput,
        ...(throughputs.length > 1 && { runs: throughputs.map((t) => t.ratio) }),
      },
      bundleBytes: bundles,
      coldInitRatio: coldInit.ratio,
      emptyHandlerInitMs: coldInit.emptyHandlerMs,
      coldInitRatioBundledSdk: coldInitBundledSdk.ratio,
      emptyHandlerInitMsBundledSdk: coldInitBundledSdk.emptyHandlerMs,
      costPerMillionTriggersUsd: cost.total,
      costBreakdownUsd: cost,
      costInputs: {
        ...costInputs,
        evaluateMsPerTrigger: Math.round(costInputs.evaluateMsPerTrigger * 100) / 100,
      },
      costPerMillionCountedTriggersUsd: countedCost.total,
    };
    log('contact moments: next-best-offer latency ...');
    const nextBestOffer = await (await import('./next-best-offer.ts')).measureNextBestOffer(table);
    Object.assign(results, { nextBestOffer });
    console.log(
      `next-best-offer GET p99 ${nextBestOffer.getMs.p99} ms (target ≤ ${nextBestOffer.p99TargetMs}), POST p99 ${nextBestOffer.postMs.p99} ms, per GET ${JSON.stringify(nextBestOffer.ddbPerGet.calls)}`,
    );
    writeFileSync('bench/results.json', `${JSON.stringify(results, null, 2)}\n`);
    const kb = (n: number) => `${Math.round(n / 1024)} KB`;
    const tp = results.throughputTriggersPerSecond;
    const rows: [string, string, string][] = [
      ['ddbCallsPerSend', String(results.ddbCallsPerSend), '≤ 3'],
      ['writeUnitsPerSend', String(results.writeUnitsPerSend), '≤ 3'],
      ['readUnitsPerSend', String(results.readUnitsPerSend), '≤ 1'],
      ...commit.map((c): [string, string, string] => [
        `  commit: ${c.strategy}`,
        `${c.writeUnitsPerSend} WRU (busy customer)`,
        'report',
      ]),
      [
        'perTriggerOverBareIo',
        `${results.perTriggerOverBareIo} (${results.medianMs.pipeline} / ${results.medianMs.bare} ms)`,
        '≤ 1.5',
      ],
      [
        'engineEventsPerSecond',
        `${results.engineEventsPerSecond} (${results.engineEventsPerCpuSecond} per CPU second)`,
        '≥ 50,000',
      ],
      [
        'simulateEventsPerSecond',
        `${simulation.eventsPerSecond} (replay ${simulation.replayEventsPerSecond}; process ${simulation.processSeconds} s; ${simulation.workers} thread${simulation.workers === 1 ? '' : 's'})`,
        '≥ 50,000',
      ],
      [
        'simulateLargeEventsPerSecond',
        `${simulationLarge.eventsPerSecond} (replay ${simulationLarge.replayEventsPerSecond}, ${simulationLarge.replayEventsPerCpuSecond} per CPU s; process ${simulationLarge.processSeconds} s; ${simulationLarge.workers} threads); 1 thread: ${simulationLargeOneThread.eventsPerSecond} (replay ${simulationLargeOneThread.replayEventsPerSecond})`,
        'report',
      ],
      [
        'throughputTriggersPerSecond',
        `${tp.pipeline} of ${tp.bareCallCeiling} → ratio ${tp.ratio}`,
        'ratio ≥ 0.8',
      ],
      [
        '  CPU ms per trigger (this process)',
        `${tp.cpuMsPerTrigger.pipeline} pipeline, ${tp.cpuMsPerTrigger.bare} bare`,
        'report',
      ],
      ['bundleBytes', '', '≤ 250 KB each'],
      ...Object.entries(bundles).map(([k, v]): [string, string, string] => [
        `  ${k}`,
        kb(v),
        v <= 250 * 1024 ? 'ok' : 'over',
      ]),
      ['coldInitRatio', `÷ empty handler (${coldInit.emptyHandlerMs} ms)`, 'report'],
      ...Object.entries(coldInit.ratio).map(([k, v]): [string, string, string] => [
        `  ${k}`,
        `${v}× (SDK bundled: ${coldInitBundledSdk.ratio[k]}×)`,
        '',
      ]),
      ['costPerMillionTriggersUsd', `$${cost.total}`, '≤ $3.00'],
      ...(['eventBridge', 'sqs', 'lambda', 'dynamodb', 'logs'] as const).map(
        (k): [string, string, string] => [`  ${k}`, `$${cost[k]}`, ''],
      ),
      ['  log bytes per trigger', String(logBytesPerTrigger), ''],
      ['  a counted trigger (+ activity)', `$${countedCost.total}`, 'report'],
    ];
    const width = Math.max(...rows.map((r) => r[0].length));
    const valueWidth = Math.max(...rows.map((r) => r[1].length));
    console.log(`${'key'.padEnd(width)}  ${'measured'.padEnd(valueWidth)}  target`);
    console.log(`${'-'.repeat(width)}  ${'-'.repeat(valueWidth)}  ------`);
    console.log(rows.map(([k, v, t]) => `${k.padEnd(width)}  ${v.padEnd(valueWidth)}  ${t}`).join('\n'));
    console.log('\nwritten to bench/results.json');
  } finally {
    await Promise.allSettled([ddb.stop(), ses.stop(), sns.stop()]);
  }
}

await main();
