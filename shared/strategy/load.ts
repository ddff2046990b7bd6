import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { basename, dirname, join, relative } from 'node:path';
import { type Document, LineCounter, parseDocument } from 'yaml';
import { momentTextProblems, momentTextSets } from '#shared/engine/moments.ts';
import { precompiledTemplateEntries, templateProblems, templateSources } from '#shared/engine/render.ts';
import { StrategyValidationError } from '#shared/errors.ts';
import { openSealedStrategy, sealStrategy } from './bundle.ts';
import type { Strategy } from './schema.ts';
import { type TemplateFile, type TemplateSet, templateFileSchema } from './templates.ts';
import { formatPath, type Problem, validateStrategy, zodProblems } from './validate.ts';

/** The strategy file used when none is named (`--strategy`, `CONTACT_STRATEGY`, cdk.json `strategyFile`). */
export const DEFAULT_STRATEGY_FILE = 'strategy/contact-strategy.yaml';

/** A validated strategy with its templates: everything the engine needs, and nothing to read later. */
export interface CompiledStrategy {
  readonly strategy: Strategy;
  readonly templates: TemplateSet;
}

interface ParsedYaml {
  readonly value: unknown;
  /** `file:line` for a path inside the document, when the node can be found. */
  locate(path: readonly (string | number)[]): string;
  readonly errors: string[];
}

function parseYaml(text: string, file: string): ParsedYaml {
  const lineCounter = new LineCounter();
  const doc: Document = parseDocument(text, { lineCounter, uniqueKeys: true });
  const errors = doc.errors.map((e) => {
    const pos = e.linePos?.[0];
    return `${file}${pos ? `:${pos.line}:${pos.col}` : ''}: ${e.message.split('\n')[0]}`;
  });
  return {
    value: errors.length === 0 ? doc.toJS({ maxAliasCount: 50 }) : undefined,
    errors,
    locate(path) {
      for (let n = path.length; n >= 0; n--) {
        const node = doc.getIn(path.slice(0, n), true) as { range?: [number, number, number] } | undefined;
        if (node?.range) return `${file}:${lineCounter.linePos(node.range[0]).line}`;
      }
      return file;
    },
  };
}

const describe = (problem: Problem, yaml: ParsedYaml): string =>
  `${yaml.locate(problem.path)} ${formatPath(problem.path) || '(root)'}: ${problem.message}`;

/** Reads and validates every template in `dir` (`<id>.yaml`) plus the brand layout. */
export function loadTemplates(dir: string): { templates: TemplateSet; problems: string[] } {
  const problems: string[] = [];
  const templates: Record<string, TemplateFile> = {};
  const files = existsSync(dir)
    ? readdirSync(dir).filter((f) => f.endsWith('.yaml') || f.endsWith('.yml'))
    : [];
  for (const file of files.sort()) {
    const path = join(dir, file);
    const yaml = parseYaml(readFileSync(path, 'utf8'), relative(process.cwd(), path));
    if (yaml.errors.length > 0) {
      problems.push(...yaml.errors);
      continue;
    }
    const parsed = templateFileSchema.safeParse(yaml.value);
    if (!parsed.success) problems.push(...zodProblems(parsed.error).map((p) => describe(p, yaml)));
    else templates[basename(file).replace(/\.ya?ml$/, '')] = parsed.data;
  }
  const read = (name: string, fallback: string): string => {
    const path = join(dir, name);
    return existsSync(path) ? readFileSync(path, 'utf8') : fallback;
  };
  const layout = {
    html: read('layout.html', '<!doctype html><html><body>{{{content}}}</body></html>'),
    text: read('layout.txt', '{{{content}}}'),
  };
  if (!layout.html.includes('{{{content}}}'))
    problems.push(`${join(dir, 'layout.html')}: the layout has no {{{content}}} slot`);
  problems.push(...templateProblems({ templates, layout }));
  return { templates: { templates, layout }, problems };
}

/**
 * Loads the strategy YAML and its templates (`templates/` beside the file), validates everything and
 * throws one {@link StrategyValidationError} listing every problem with `file:line path: message`.
 */
export function loadCompiledStrategy(
  file: string,
  templatesDir = join(dirname(file), 'templates'),
): CompiledStrategy {
  const shown = relative(process.cwd(), file) || file;
  if (!existsSync(file)) throw new StrategyValidationError([`${shown}: file not found`], shown);
  const yaml = parseYaml(readFileSync(file, 'utf8'), shown);
  if (yaml.errors.length > 0) throw new StrategyValidationError(yaml.errors, shown);
  const { templates, problems: templateProblems } = loadTemplates(templatesDir);
  const result = validateStrategy(yaml.value, templates);
  const problems = [...templateProblems, ...result.problems.map((p) => describe(p, yaml))];
  if (result.strategy)
    problems.push(...momentTextProblems(result.strategy, templates.layout).map((p) => describe(p, yaml)));
  if (problems.length > 0 || !result.strategy) throw new StrategyValidationError(problems, shown);
  return { strategy: result.strategy, templates };
}

/** Loads and validates a strategy file; see {@link loadCompiledStrategy}. */
export function loadStrategyFile(file: string): Strategy {
  return loadCompiledStrategy(file).strategy;
}

/**
 * The strategy as the functions receive it: the validated strategy and its templates, sealed
 * (`sealStrategy`, with the YAML document for the build steps that re-read it) as one JSON string,
 * validated here (at synth) and inlined into each bundle (`CONTACT_STRATEGY_JSON`), so a function
 * never parses YAML, reads a file or re-validates, and a deployed function can only run a strategy
 * that validated.
 */
export function strategyBundleJson(file: string, templatesDir = join(dirname(file), 'templates')): string {
  const { strategy, templates } = loadCompiledStrategy(file, templatesDir);
  const document = parseDocument(readFileSync(file, 'utf8')).toJS({ maxAliasCount: 50 }) as unknown;
  return sealStrategy(document, strategy, templates);
}

/** The name the precompiled-templates module exports (see infra/constructs/function-bundling.ts). */
export const PRECOMPILED_TEMPLATES_EXPORT = '__contactPrecompiledTemplates';

/** What a Lambda bundle gets of a sealed strategy (see {@link lambdaStrategy}). */
export interface LambdaStrategy {
  /** The sealed strategy without the YAML document, each template text replaced by its key. */
  readonly json: string;
  /** An ES module exporting {@link PRECOMPILED_TEMPLATES_EXPORT}: every template, precompiled. */
  readonly precompiledModule: string;
}

/**
 * The strategy as a Lambda bundle carries it: every template a strategy can render (message
 * templates, the brand layout, the campaigns' moment texts) precompiled by Handlebars into a module
 * the build injects, so that a function ships Handlebars' runtime and no compiler; and the sealed
 * JSON with each template text replaced by a short key (`\u0000t<n>`) that finds its precompiled
 * template: the text lives once, in the code. Functions that render nothing carry the keys only.
 * Build time only.
 */
/** The compiler revision a precompiled spec starts with. */
const COMPILER_INFO = /"compiler":(\[\d+,"[^"]*"\])/;

export function lambdaStrategy(bundleJson: string): LambdaStrategy {
  const compiled = openSealedStrategy(bundleJson);
  const keys = new Map<string, string>();
  const keyOf = (source: string): string => {
    let key = keys.get(source);
    if (key === undefined) {
      key = `\u0000t${keys.size}`;
      keys.set(source, key);
    }
    return key;
  };
  const keyed = (value: unknown): unknown =>
    typeof value === 'string'
      ? keyOf(value)
      : Array.isArray(value)
        ? value.map(keyed)
        : typeof value === 'object' && value !== null
          ? Object.fromEntries(Object.entries(value).map(([k, v]) => [k, keyed(v)]))
          : value;
  const { templates } = compiled;
  const keyedTemplates = {
    templates: Object.fromEntries(
      Object.entries(templates.templates).map(([id, file]) => [
        id,
        {
          ...(file.description !== undefined && { description: file.description }),
          ...channelsKeyed(file, keyed),
        },
      ]),
    ),
    layout: { html: keyOf(templates.layout.html), text: keyOf(templates.layout.text) },
  } as TemplateSet;
  // An array rather than an object keyed by text, so that no text can become a key like `__proto__`.
  const { layout } = templates;
  const momentTexts = templateSources(momentTextSets(compiled.strategy, layout)).filter(
    ([mode, source]) => source !== (mode === 'html' ? layout.html : layout.text),
  );
  const entries = [
    ...precompiledTemplateEntries(templateSources([templates]), keyOf),
    // Moment texts stay in the strategy, looked up by their own (short) text.
    ...precompiledTemplateEntries(momentTexts),
  ];
  // Every spec names the compiler revision it needs (`"compiler":[8,">= 4.3.0"]`): said once, as a
  // constant the specs share (the runtime only reads it), instead of ~25 bytes in each of them.
  const info = entries[0]?.match(COMPILER_INFO)?.[1];
  const specs = info ? entries.map((entry) => entry.replace(COMPILER_INFO, '"compiler":C')) : entries;
  const precompiledModule = `${info ? `const C = ${info};\n` : ''}export const ${PRECOMPILED_TEMPLATES_EXPORT} = [\n${specs.join(',\n')}\n];\n`;
  return { json: sealStrategy(undefined, compiled.strategy, keyedTemplates), precompiledModule };
}

function channelsKeyed(file: TemplateFile, keyed: (value: unknown) => unknown): Partial<TemplateFile> {
  const out: Record<string, unknown> = {};
  for (const channel of ['email', 'sms', 'push', 'webhook'] as const) {
    if (file[channel] !== undefined) out[channel] = keyed(file[channel]);
  }
  return out as Partial<TemplateFile>;
}
