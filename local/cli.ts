import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { type ParseArgsConfig, parseArgs } from 'node:util';
import { StrategyValidationError } from '#shared/errors.ts';
import { compileEventPattern, InvalidEventPatternError } from '#shared/event-pattern/index.ts';
import { strategyDiagram } from '#shared/strategy/diagram.ts';
import { JSON_SCHEMA_FILE, strategyJsonSchema } from '#shared/strategy/json-schema.ts';
import { DEFAULT_STRATEGY_FILE, loadCompiledStrategy } from '#shared/strategy/load.ts';

/** One sub-command: its help text and what it does. Exit codes: 0 ok, 1 invalid input, 2 usage. */
interface Command {
  readonly summary: string;
  readonly usage: string;
  readonly options?: ParseArgsConfig['options'];
  run(values: Record<string, unknown>, positionals: string[]): number | Promise<number>;
}

/** A string option, or undefined; `--name` without a value is a usage error (parseArgs catches that). */
const text = (values: Record<string, unknown>, name: string): string | undefined =>
  typeof values[name] === 'string' ? values[name] : undefined;

const required = (values: Record<string, unknown>, name: string): string => {
  const value = text(values, name);
  if (value === undefined) throw new UsageError(`--${name} is required`);
  return value;
};

/** An ISO time option as epoch ms. */
const time = (values: Record<string, unknown>, name: string): number | undefined => {
  const value = text(values, name);
  if (value === undefined) return undefined;
  const ms = Date.parse(value);
  if (Number.isNaN(ms)) throw new UsageError(`--${name} is not an ISO time like 2026-03-02T00:00:00Z`);
  return ms;
};

const count = (values: Record<string, unknown>, name: string): number | undefined => {
  const value = text(values, name);
  if (value === undefined) return undefined;
  const n = Number(value);
  if (!Number.isInteger(n) || n < 1) throw new UsageError(`--${name} must be a whole number above 0`);
  return n;
};

const strategyFile = (positionals: string[]): string =>
  positionals[0] ?? process.env.CONTACT_STRATEGY ?? DEFAULT_STRATEGY_FILE;

export const README_MARKERS = ['<!-- strategy-diagram:start -->', '<!-- strategy-diagram:end -->'] as const;

const commands: Record<string, Command> = {
  validate: {
    summary: 'check a strategy file and its templates; list every problem with file:line',
    usage: 'contact validate [file]   (default: $CONTACT_STRATEGY or strategy/contact-strategy.yaml)',
    run(_, positionals) {
      const file = strategyFile(positionals);
      const { strategy, templates } = loadCompiledStrategy(file);
      const active = strategy.campaigns.filter((c) => c.enabled).length;
      console.log(
        `${file}: valid — ${strategy.campaigns.length} campaigns (${active} enabled), ${Object.keys(templates.templates).length} templates`,
      );
      return 0;
    },
  },
  diagram: {
    summary: 'write the strategy as a Mermaid flowchart (to stdout, a file, or the README)',
    usage: 'contact diagram [file] [--out FILE] [--readme]',
    options: { out: { type: 'string' }, readme: { type: 'boolean' } },
    run(values, positionals) {
      const diagram = strategyDiagram(loadCompiledStrategy(strategyFile(positionals)).strategy);
      if (typeof values.out === 'string') writeFileSync(values.out, diagram);
      if (values.readme) {
        const readme = readFileSync('README.md', 'utf8');
        const [start, end] = README_MARKERS;
        const from = readme.indexOf(start);
        const to = readme.indexOf(end);
        if (from < 0 || to < from) throw new UsageError(`README.md has no ${start} ... ${end} block`);
        const block = `${start}\n\`\`\`mermaid\n${diagram}\`\`\`\n`;
        writeFileSync('README.md', readme.slice(0, from) + block + readme.slice(to));
      }
      if (!values.out && !values.readme) process.stdout.write(diagram);
      return 0;
    },
  },
  schema: {
    summary: `write the JSON Schema for editors to ${JSON_SCHEMA_FILE} (--check: fail if it is stale)`,
    usage: 'contact schema [--check]',
    options: { check: { type: 'boolean' } },
    run(values) {
      const fresh = strategyJsonSchema();
      if (values.check) {
        const current = existsSync(JSON_SCHEMA_FILE) ? readFileSync(JSON_SCHEMA_FILE, 'utf8') : '';
        if (current !== fresh) {
          console.error(`${JSON_SCHEMA_FILE} is stale: run npx contact schema`);
          return 1;
        }
        console.log(`${JSON_SCHEMA_FILE} is up to date`);
        return 0;
      }
      writeFileSync(JSON_SCHEMA_FILE, fresh);
      console.log(`wrote ${JSON_SCHEMA_FILE}`);
      return 0;
    },
  },
  'test-pattern': {
    summary: 'test an EventBridge pattern against an event, like aws events test-event-pattern',
    usage: 'contact test-pattern --pattern \'{"source":["shop"]}\' --event \'{...}\'   (or @file.json)',
    options: { pattern: { type: 'string' }, event: { type: 'string' } },
    run(values) {
      const read = (name: string): string => {
        const v = values[name];
        if (typeof v !== 'string') throw new UsageError(`--${name} is required`);
        return v.startsWith('@') ? readFileSync(v.slice(1), 'utf8') : v;
      };
      let event: unknown;
      try {
        event = JSON.parse(read('event'));
      } catch (error) {
        if (error instanceof UsageError) throw error;
        throw new UsageError('--event is not valid JSON');
      }
      try {
        const matches = compileEventPattern(read('pattern'));
        console.log(JSON.stringify({ Result: matches(event) }));
        return 0;
      } catch (error) {
        if (!(error instanceof InvalidEventPatternError)) throw error;
        console.error(`InvalidEventPatternException: ${error.message}`);
        return 2;
      }
    },
  },
  // simulate, import and sample-data: the work lives in their modules, loaded on use so that
  // `contact validate` stays quick.
  simulate: {
    summary:
      'dry-run a strategy over an event history: per campaign what would be sent, deferred, held out, suppressed',
    usage: [
      'contact simulate --events FILE.jsonl [--customers FILE] [--strategy FILE] [--diff OTHER_STRATEGY] [--json]',
      '                 [--customer ID ...] [--start ISO] [--until ISO] [--render] [--workers N]',
      '',
      '  --events     JSON lines of { time, source, detailType, detail } (contact sample-data writes one)',
      '  --customers  customers to load first (CSV or JSON lines, as contact import reads them)',
      '  --strategy   default: $CONTACT_STRATEGY or strategy/contact-strategy.yaml',
      '  --diff       a second strategy: both run on the same input, then the change per campaign and outcome,',
      '               and decision by decision: which (event, campaign) pairs change, how, and why',
      '  --json       the full result as JSON on stdout',
      '  --customer   list every decision about this customer, in time order, with what decided it (under both',
      '               strategies with --diff; with --json under "customers"); repeat for more customers',
      '  --start/--until  the replay window (default: midnight before the first event → a day after the last)',
      '  --render     render every message as a send would (slower; the decisions are the same)',
      '  --workers    threads to split the replay over, by customer (same result as one; 1 = this thread only).',
      '               Default: 1 for an events file under 16 MB (a worker takes ~1 s of CPU to start), else one per',
      '               idle core (the cores less the load average)',
    ].join('\n'),
    options: {
      strategy: { type: 'string' },
      events: { type: 'string' },
      customers: { type: 'string' },
      diff: { type: 'string' },
      json: { type: 'boolean' },
      start: { type: 'string' },
      until: { type: 'string' },
      render: { type: 'boolean' },
      workers: { type: 'string' },
      customer: { type: 'string', multiple: true },
    },
    async run(values) {
      const eventsFile = required(values, 'events');
      const explain = values.customer;
      const customersFile = text(values, 'customers');
      const diffFile = text(values, 'diff');
      const start = time(values, 'start');
      const until = time(values, 'until');
      const workers = count(values, 'workers');
      // Workers start before the simulator loads: each loads the modules while this thread does too.
      const { defaultWorkers, WorkerPool } = await import('./simulate-pool.ts');
      const threads = workers ?? defaultWorkers(eventsFile);
      const pool = threads > 1 ? new WorkerPool(threads - 1) : undefined;
      const { runSimulateCommand } = await import('./simulate.ts').catch(async (error: unknown) => {
        await pool?.close();
        throw error;
      });
      return runSimulateCommand({
        strategyFile: text(values, 'strategy') ?? strategyFile([]),
        eventsFile,
        ...(customersFile !== undefined && { customersFile }),
        ...(diffFile !== undefined && { diffFile }),
        ...(values.json === true && { json: true }),
        ...(start !== undefined && { start }),
        ...(until !== undefined && { until }),
        ...(values.render === true && { render: true }),
        ...(Array.isArray(explain) && explain.length > 0 && { explain: explain.map(String) }),
        workers: threads,
        ...(pool && { pool }),
      });
    },
  },
  import: {
    summary:
      'bulk-load profiles and consent (CSV, JSON lines, or an Amazon Pinpoint endpoint export) as public events',
    usage: [
      'contact import --customers FILE.csv|FILE.jsonl [--dry-run] [--endpoint URL]',
      'contact import --pinpoint EXPORT.jsonl[.gz] [--grant marketing[,service]] [--dry-run] [--endpoint URL]',
      '',
      '  Every row is validated first (line and reason for each bad one; no values shown); valid rows load.',
      '  Events go to --endpoint, else $AWS_ENDPOINT_URL_EVENTBRIDGE, else the deployed bus when AWS',
      '  credentials are set up, else the local runtime on http://127.0.0.1:4010.',
      '  CSV columns: customerId, email, phone, locale, timezone, preferredChannel, pushPlatform, pushToken,',
      '  consent.<purpose>.<channel> (granted|withdrawn), consentSource, consentTextVersion, consentDate;',
      '  any other column is an attribute (name:number / name:boolean for typed values). ; or , separated.',
      '  Pinpoint: endpoints merge per User.UserId; OptOut ALL withdraws marketing consent on that channel;',
      '  INACTIVE endpoints are skipped; --grant names purposes an opted-in endpoint grants (default none).',
      '  Exit code 1 when some rows were invalid (the valid ones still loaded).',
    ].join('\n'),
    options: {
      customers: { type: 'string' },
      pinpoint: { type: 'string' },
      'dry-run': { type: 'boolean' },
      endpoint: { type: 'string' },
      grant: { type: 'string' },
    },
    async run(values) {
      const customersFile = text(values, 'customers');
      const pinpointFile = text(values, 'pinpoint');
      if ((customersFile === undefined) === (pinpointFile === undefined))
        throw new UsageError('give exactly one of --customers and --pinpoint');
      const { runImportCommand } = await import('./import.ts');
      const endpoint = text(values, 'endpoint');
      const grant = text(values, 'grant');
      return runImportCommand({
        ...(customersFile !== undefined && { customersFile }),
        ...(pinpointFile !== undefined && { pinpointFile }),
        ...(values['dry-run'] === true && { dryRun: true }),
        ...(endpoint !== undefined && { endpoint }),
        ...(grant !== undefined && {
          grant: grant
            .split(',')
            .map((g) => g.trim())
            .filter(Boolean),
        }),
      });
    },
  },
  reach: {
    summary: 'who can be reached, per campaign and channel: audience, address, consent, suppressed',
    usage: [
      'contact reach [--strategy FILE] [--table NAME] [--endpoint URL] [--segments N] [--json]',
      '',
      '  Scans the contact table (paginated, N parallel segments, default 4; a progress bar on a terminal)',
      '  and counts per campaign and channel: in the audience → with a validated address → with consent',
      '  for the purpose → suppressed / reachable. "any" is the campaign as sent (its channel order).',
      '  Without --table: the local runtime (table contact-local on $CONTACT_PORT_DYNAMODB, default 8000).',
      '  With --table: the deployed table (AWS credentials and region from the environment), or --endpoint.',
    ].join('\n'),
    options: {
      strategy: { type: 'string' },
      table: { type: 'string' },
      endpoint: { type: 'string' },
      segments: { type: 'string' },
      json: { type: 'boolean' },
    },
    async run(values) {
      const { runReachCommand } = await import('./reach.ts');
      const file = text(values, 'strategy');
      const table = text(values, 'table');
      const endpoint = text(values, 'endpoint');
      const segments = count(values, 'segments');
      return runReachCommand({
        strategyFile: file ?? process.env.CONTACT_STRATEGY ?? DEFAULT_STRATEGY_FILE,
        ...(table !== undefined && { table }),
        ...(endpoint !== undefined && { endpoint }),
        ...(segments !== undefined && { segments }),
        json: values.json === true,
      });
    },
  },
  'sample-data': {
    summary:
      "write the demo's deterministic sample customers and 60 days of events (JSON lines) to .local-data/",
    usage: 'contact sample-data [--out DIR] [--seed N] [--customers N] [--events N] [--days N]',
    options: {
      out: { type: 'string' },
      seed: { type: 'string' },
      customers: { type: 'string' },
      events: { type: 'string' },
      days: { type: 'string' },
    },
    async run(values) {
      const { runSampleDataCommand } = await import('./sample-data.ts');
      const dir = text(values, 'out');
      const seed = count(values, 'seed');
      const customers = count(values, 'customers');
      const events = count(values, 'events');
      const days = count(values, 'days');
      return runSampleDataCommand({
        ...(dir !== undefined && { dir }),
        ...(seed !== undefined && { seed }),
        ...(customers !== undefined && { customers }),
        ...(events !== undefined && { events }),
        ...(days !== undefined && { days }),
      });
    },
  },
};

class UsageError extends Error {}

function help(): string {
  const width = Math.max(...Object.keys(commands).map((k) => k.length));
  const lines = Object.entries(commands).map(([name, c]) => `  ${name.padEnd(width)}  ${c.summary}`);
  return `usage: contact <command> [options]\n\ncommands:\n${lines.join('\n')}\n\nRun contact <command> --help for a command's options.`;
}

export async function main(argv: string[]): Promise<number> {
  const [name, ...rest] = argv;
  if (!name || name === '--help' || name === '-h' || name === 'help') {
    console.log(help());
    return name ? 0 : 2;
  }
  const command = commands[name];
  if (!command) {
    console.error(`contact: unknown command "${name}"\n\n${help()}`);
    return 2;
  }
  try {
    const { values, positionals } = parseArgs({
      args: rest,
      options: { ...command.options, help: { type: 'boolean', short: 'h' } },
      allowPositionals: true,
      strict: true,
    });
    if ((values as Record<string, unknown>).help) {
      console.log(`usage: ${command.usage}\n\n${command.summary}`);
      return 0;
    }
    return await command.run(values as Record<string, unknown>, positionals);
  } catch (error) {
    if (error instanceof StrategyValidationError) {
      console.error(error.message);
      return 1;
    }
    if (error instanceof UsageError || (error as { code?: string }).code?.startsWith('ERR_PARSE_ARGS')) {
      console.error(`contact ${name}: ${(error as Error).message}\nusage: ${command.usage}`);
      return 2;
    }
    throw error;
  }
}
