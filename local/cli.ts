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
  run(values: Record<string, unknown>, positionals: string[]): number;
}

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
};

class UsageError extends Error {}

function help(): string {
  const width = Math.max(...Object.keys(commands).map((k) => k.length));
  const lines = Object.entries(commands).map(([name, c]) => `  ${name.padEnd(width)}  ${c.summary}`);
  return `usage: contact <command> [options]\n\ncommands:\n${lines.join('\n')}\n\nRun contact <command> --help for a command's options.`;
}

export function main(argv: string[]): number {
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
    return command.run(values as Record<string, unknown>, positionals);
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
