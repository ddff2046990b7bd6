import { parseArgs } from 'node:util';
import { StrategyValidationError } from '#shared/errors.ts';
import type { Runtime } from './runtime.ts';

// Lambda runs Node 22; the SDK's notice about Node 20 is noise here. Set before the SDK loads, hence
// the dynamic import of the runtime below.
process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= 'true';
const { PORT_ENV, RuntimeStartError, startRuntime } = await import('./runtime.ts');

/**
 * `npm start [-- --strategy FILE] [--clock ISO] [--persist] [--quiet]`: runs the whole platform locally
 * (see local/README.md) until Ctrl-C or SIGTERM, then stops every server, DynamoDB Local's JVM included.
 * Exit codes: 0 after a clean stop, 1 when it cannot start (invalid strategy, port in use), 2 on usage.
 */

const USAGE = `usage: npm start [-- --strategy FILE] [--clock 2026-03-01T09:00:00Z] [--persist] [--quiet]
  --strategy FILE  the contact strategy (default: $CONTACT_STRATEGY or strategy/contact-strategy.yaml)
  --clock ISO      start the simulated clock at this time (UTC unless the time says otherwise)
  --persist        keep the data between runs (in $CONTACT_DATA_DIR, default .contact-local/)
  --quiet          handlers log warnings and errors only
ports: ${Object.values(PORT_ENV).join(', ')}`;

class UsageError extends Error {}

function parse(): { strategy?: string; clock?: number; persist: boolean; quiet: boolean } {
  const { values } = parseArgs({
    options: {
      strategy: { type: 'string' },
      clock: { type: 'string' },
      persist: { type: 'boolean', default: false },
      quiet: { type: 'boolean', default: false },
      help: { type: 'boolean', short: 'h', default: false },
    },
    allowPositionals: false,
  });
  if (values.help) {
    console.log(USAGE);
    process.exit(0);
  }
  let clock: number | undefined;
  if (values.clock !== undefined) {
    clock = Date.parse(values.clock);
    if (Number.isNaN(clock))
      throw new UsageError(`--clock ${values.clock} is not an ISO time like 2026-03-01T09:00:00Z`);
  }
  return {
    ...(values.strategy !== undefined && { strategy: values.strategy }),
    ...(clock !== undefined && { clock }),
    persist: values.persist,
    quiet: values.quiet,
  };
}

function table(runtime: Runtime, seconds: string): string {
  const rows: [string, string, string][] = [
    ['EventBridge API', runtime.urls.eventBridge, 'PutEvents, TestEventPattern (bus contact-triggers)'],
    ['Dashboard', `${runtime.urls.dashboard}/`, 'decisions, metrics, customers, strategy'],
    ['Preferences', `${runtime.urls.preferences}/`, 'unsubscribe and preference links in messages'],
    [
      'Contact moments',
      `${runtime.urls.dashboard}/till`,
      'shop-till demo; API /customers/{id}/next-best-offer',
    ],
    ['SES inbox', runtime.urls.sesInbox, 'every email sent (JSON at /store)'],
    ['SNS store', runtime.urls.snsStore, 'every SMS and push message sent'],
    ['DynamoDB Local', runtime.urls.dynamodb, 'table contact-local (in memory)'],
    ['SQS/Scheduler/Secrets', runtime.urls.aux, 'dead letters, deferred sends, local secrets'],
  ];
  const w0 = Math.max(...rows.map((r) => r[0].length));
  const w1 = Math.max(...rows.map((r) => r[1].length));
  const line = (r: [string, string, string]) => `  ${r[0].padEnd(w0)}  ${r[1].padEnd(w1)}  ${r[2]}`;
  return [
    `Contact platform running locally (started in ${seconds} s), strategy ${runtime.strategyFile}`,
    `Simulated clock: ${new Date(runtime.clock.now()).toISOString()}`,
    '',
    ...rows.map(line),
    '',
    `Try: aws events put-events --endpoint-url ${runtime.urls.eventBridge} --region eu-west-1 --entries '[{"EventBusName":"contact-triggers","Source":"shop.newsletter","DetailType":"NewsletterSubscribed","Detail":"{\\"customerId\\":\\"c-1\\"}"}]'`,
    `Contact-moment API token (the local stand-in for AWS_IAM): ${runtime.apiToken}`,
    `  curl -H 'authorization: Bearer ${runtime.apiToken}' '${runtime.urls.moments}/c-1/next-best-offer?moment=till'`,
    'Press Ctrl-C to stop.',
  ].join('\n');
}

async function main(): Promise<number> {
  const args = parse();
  const started = performance.now();
  const runtime = await startRuntime({
    ...(args.strategy !== undefined && { strategyFile: args.strategy }),
    ...(args.clock !== undefined && { clock: args.clock }),
    persist: args.persist,
    quiet: args.quiet,
    // A session of minutes to hours: worth DynamoDB Local's full JIT.
    dynamodbJvm: 'long-run',
  });
  console.log(table(runtime, ((performance.now() - started) / 1000).toFixed(1)));
  await new Promise<void>((resolve) => {
    let stoppingSince: number | undefined;
    const stop = (signal: string) => {
      if (stoppingSince !== undefined) {
        // One Ctrl-C reaches npm, tsx and this process, and tsx relays it once more: repeats within a
        // few seconds are the same request. A later one means "now": leave; DynamoDB Local's watchdog
        // ends the JVM within a second of this process.
        if (performance.now() - stoppingSince > 3000) process.exit(130);
        return;
      }
      stoppingSince = performance.now();
      console.log(`\n${signal}: stopping…`);
      runtime
        .stop()
        .then(() => console.log('stopped: all servers down, DynamoDB Local ended'))
        .finally(resolve);
    };
    process.on('SIGINT', () => stop('SIGINT'));
    process.on('SIGTERM', () => stop('SIGTERM'));
  });
  return 0;
}

main().then(
  (code) => process.exit(code),
  (error: unknown) => {
    if (error instanceof StrategyValidationError || error instanceof RuntimeStartError) {
      console.error(error.message);
      process.exit(1);
    }
    if (
      error instanceof UsageError ||
      (error instanceof TypeError && 'code' in error && String(error.code).startsWith('ERR_PARSE_ARGS'))
    ) {
      console.error(`${error.message}\n${USAGE}`);
      process.exit(2);
    }
    console.error(error);
    process.exit(1);
  },
);
