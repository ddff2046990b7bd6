import Handlebars from 'handlebars';
import type { Profile } from '#shared/domain/customer.ts';
import { InvalidInputError } from '#shared/errors.ts';
import type { Campaign, Channel, Strategy } from '#shared/strategy/schema.ts';
import type { EmailTemplate, PushTemplate, TemplateSet } from '#shared/strategy/templates.ts';
import { nonGsm7Characters, type SmsEncoding, smsSegments } from './sms.ts';

/**
 * Message rendering: a template set, a template id, a channel and a customer's context in, one
 * ready-to-send message out. Pure (no I/O) and cheap on the hot path: every template string is
 * parsed and compiled once per process and cached.
 *
 * Templates are Handlebars with three guarantees the senders rely on:
 * - a missing field never throws and never prints "undefined" or "[object Object]":
 *   `{{firstName default="klant"}}` shows the default, `{{firstName}}` shows nothing;
 * - only HTML parts are HTML-escaped; text, SMS, push and webhook parts are not (`noEscape`);
 * - Handlebars' prototype-access protections stay on (`{{constructor.name}}` renders empty), and
 *   helpers live on an isolated instance, never the global one.
 *
 * Helpers besides Handlebars' own (`if`, `unless`, `each`, `with`, `lookup`; `log` is removed so a
 * template cannot write personal data to the logs): `eq` (`{{#if (eq contractType "car")}}`),
 * `date` (`{{date contractEndDate}}` → "31 maart 2026") and `money` (`{{money event.detail.total}}`
 * → "€ 42,50"), both in the rendering locale and both accepting `default="..."`.
 */

export type RenderedMessage =
  | { channel: 'email'; locale: string; subject: string; html: string; text: string; preheader?: string }
  | { channel: 'sms'; locale: string; text: string; encoding: SmsEncoding; segments: number }
  | { channel: 'push'; locale: string; title: string; body: string }
  | { channel: 'webhook'; locale: string; payload: unknown };

/** The links every message may show; built by the caller (signed, per customer and campaign). */
export interface RenderLinks {
  readonly unsubscribe: string;
  readonly preferences: string;
}

/** The triggering event as templates see it: `{{event.detail.total}}`, `{{event.source}}`, `{{event.detailType}}`. */
export interface RenderEvent {
  readonly id?: string;
  readonly source: string;
  readonly detailType: string;
  readonly time?: string;
  readonly detail: Readonly<Record<string, unknown>>;
}

/**
 * What a template may use. Deliberately without the email address, phone number or push endpoints:
 * a template can then never leak them (into a webhook payload, say). Attributes appear at the top
 * level (`{{firstName}}`); the other fields win over an attribute of the same name.
 */
export interface RenderContext {
  readonly customerId: string;
  readonly attributes: Readonly<Record<string, unknown>>;
  readonly event?: RenderEvent;
  readonly campaign: { readonly id: string; readonly name?: string; readonly purpose?: string };
  readonly variant?: string;
  readonly brand?: Strategy['brand'];
  readonly links: RenderLinks;
}

export interface RenderInput {
  templates: TemplateSet;
  templateId: string;
  channel: Channel;
  /** The customer's locale (`nl-BE`); undefined when unknown. */
  locale: string | undefined;
  /** The strategy's `defaults.locale`. */
  defaultLocale: string;
  context: RenderContext;
}

/** An EventBridge event as it comes off the bus (only the fields a template may see). */
export interface TriggerEventLike {
  readonly id?: string;
  readonly source: string;
  readonly 'detail-type': string;
  readonly time?: string;
  readonly detail?: unknown;
}

/**
 * Builds the render context from the profile, the triggering event and the campaign. Only the
 * profile's id and attributes are read, so the email address and phone number never reach a
 * template; contact fields that slipped into attributes or the event detail are dropped as well.
 */
export function buildRenderContext(input: {
  readonly profile: Pick<Profile, 'customerId' | 'attributes'>;
  readonly event?: TriggerEventLike;
  readonly campaign: Pick<Campaign, 'id' | 'name' | 'purpose'>;
  readonly variant?: string;
  readonly brand?: Strategy['brand'];
  readonly links: RenderLinks;
}): RenderContext {
  const { profile, event, campaign } = input;
  return {
    customerId: profile.customerId,
    attributes: withoutContactFields(profile.attributes),
    ...(event && {
      event: {
        ...(event.id !== undefined && { id: event.id }),
        source: event.source,
        detailType: event['detail-type'],
        ...(event.time !== undefined && { time: event.time }),
        detail: isRecord(event.detail) ? withoutContactFields(event.detail) : {},
      },
    }),
    campaign: {
      id: campaign.id,
      ...(campaign.name !== undefined && { name: campaign.name }),
      purpose: campaign.purpose,
    },
    ...(input.variant !== undefined && { variant: input.variant }),
    ...(input.brand && { brand: input.brand }),
    links: input.links,
  };
}

/** True when the template exists and has at least one locale for the channel. */
export function hasTemplateFor(templates: TemplateSet, templateId: string, channel: Channel): boolean {
  return Object.keys(templates.templates[templateId]?.[channel] ?? {}).length > 0;
}

/**
 * The locale to render in: the customer's locale exactly, then its language (`nl-BE` → `nl`), then
 * the strategy default (and its language). When the template offers none of those, its first locale
 * (as written in the file): a message in another language beats no message for a service notice.
 * Undefined only when nothing is available.
 */
export function pickLocale(
  available: readonly string[],
  wanted: string | undefined,
  defaultLocale: string,
): string | undefined {
  const candidates: string[] = [];
  if (wanted) {
    const normal = normalizeLocale(wanted);
    candidates.push(normal, languageOf(normal));
  }
  candidates.push(defaultLocale, languageOf(defaultLocale));
  return candidates.find((c) => available.includes(c)) ?? available[0];
}

/**
 * Renders one message for one channel in the best locale (see {@link pickLocale}).
 * @throws InvalidInputError when the template does not exist or lacks the channel (not retryable;
 *   strategy validation normally catches this at load time), or when a template fails at runtime.
 */
export function renderMessage(input: RenderInput): RenderedMessage {
  const { templates, templateId, channel } = input;
  const file = templates.templates[templateId];
  const localized = <T>(byLocale: Readonly<Record<string, T>> | undefined) =>
    localizedPart(input, file !== undefined, byLocale);
  switch (channel) {
    case 'email': {
      const { locale, template } = localized(file?.email);
      return renderEmail(templates, template, locale, input.context, `${templateId}.yaml email.${locale}`);
    }
    case 'sms': {
      const { locale, template } = localized(file?.sms);
      const text = run(
        template,
        'text',
        view(input.context, locale),
        `${templateId}.yaml sms.${locale}`,
      ).trim();
      const { encoding, segments } = smsSegments(text);
      return { channel, locale, text, encoding, segments };
    }
    case 'push': {
      const { locale, template } = localized<PushTemplate>(file?.push);
      const data = view(input.context, locale);
      const where = `${templateId}.yaml push.${locale}`;
      return {
        channel,
        locale,
        title: oneLine(run(template.title, 'text', data, `${where}.title`)),
        body: run(template.body, 'text', data, `${where}.body`).trim(),
      };
    }
    case 'webhook': {
      const { locale, template } = localized(file?.webhook);
      const data = view(input.context, locale);
      return { channel, locale, payload: renderJson(template, data, `${templateId}.yaml webhook.${locale}`) };
    }
  }
}

/**
 * The part of a template file to render for the channel, in the best locale (see {@link pickLocale}).
 * @throws InvalidInputError when the template does not exist or lacks the channel.
 */
function localizedPart<T>(
  input: Pick<RenderInput, 'templateId' | 'channel' | 'locale' | 'defaultLocale'>,
  known: boolean,
  byLocale: Readonly<Record<string, T>> | undefined,
): { locale: string; template: T } {
  const locale = pickLocale(Object.keys(byLocale ?? {}), input.locale, input.defaultLocale);
  const template = locale === undefined ? undefined : byLocale?.[locale];
  if (locale === undefined || template === undefined) {
    const { templateId, channel } = input;
    throw new InvalidInputError(
      known ? `template ${templateId} has no ${channel} part` : `unknown template ${templateId}`,
      undefined,
      { templateId, channel },
    );
  }
  return { locale, template };
}

/**
 * The message {@link renderMessage} renders from a template set whose every string is empty (a dry
 * run's: `contact simulate` renders nothing it would not send): the same errors (unknown template, no
 * part for the channel), the same locale and parts, every text empty — without a render context or
 * Handlebars. With empty strings nothing else can fail: an empty template renders empty.
 * @throws InvalidInputError as {@link renderMessage} does.
 */
export function renderEmptyMessage(input: Omit<RenderInput, 'context'>): RenderedMessage {
  const { templates, templateId, channel } = input;
  const file = templates.templates[templateId];
  const known = file !== undefined;
  switch (channel) {
    case 'email': {
      const { locale, template } = localizedPart(input, known, file?.email);
      const empty = { channel, locale, subject: '', html: '', text: '' } as const;
      return template.preheader === undefined ? empty : { ...empty, preheader: '' };
    }
    case 'sms': {
      const { locale } = localizedPart(input, known, file?.sms);
      return { channel, locale, text: '', ...EMPTY_SMS };
    }
    case 'push':
      return { channel, locale: localizedPart(input, known, file?.push).locale, title: '', body: '' };
    case 'webhook': {
      const { locale, template } = localizedPart(input, known, file?.webhook);
      return { channel, locale, payload: withEmptyStrings(template) };
    }
  }
}

const EMPTY_SMS = (() => {
  const { encoding, segments } = smsSegments('');
  return { encoding, segments };
})();

/**
 * The value with every string in it emptied, everything else kept: a template set's shape, and a
 * webhook payload as {@link renderJson} renders it from such a template.
 */
export function withEmptyStrings(value: unknown): unknown {
  if (typeof value === 'string') return '';
  if (Array.isArray(value)) return value.map(withEmptyStrings);
  if (isRecord(value))
    return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, withEmptyStrings(v)]));
  return value;
}

function renderEmail(
  templates: TemplateSet,
  template: EmailTemplate,
  locale: string,
  context: RenderContext,
  where: string,
): RenderedMessage {
  const data = view(context, locale);
  const subject = oneLine(run(template.subject, 'text', data, `${where}.subject`));
  const preheader =
    template.preheader === undefined
      ? undefined
      : oneLine(run(template.preheader, 'text', data, `${where}.preheader`));
  const text = run(template.text, 'text', data, `${where}.text`).trim();
  const body =
    template.html === undefined ? paragraphs(text) : run(template.html, 'html', data, `${where}.html`);
  return {
    channel: 'email',
    locale,
    subject,
    html: run(
      templates.layout.html,
      'html',
      merged(data, { subject, preheader, content: body }),
      'layout.html',
    ),
    text: run(
      templates.layout.text,
      'text',
      merged(data, { subject, preheader, content: text }),
      'layout.txt',
    ).trim(),
    ...(preheader !== undefined && { preheader }),
  };
}

/**
 * Every problem in a template set, as `templates/<id>.yaml sms.nl: ...` lines for the strategy
 * loader: Handlebars syntax errors, unknown helpers or options, partials and decorators (not
 * supported), strings that fail to render with an empty profile, SMS texts whose fixed text alone
 * needs more than `maxSmsParts` parts, and a layout without `{{links.unsubscribe}}` (the
 * `{{{content}}}` slot is checked by the loader).
 * @default maxSmsParts 3
 */
export function templateProblems(set: TemplateSet, options: { maxSmsParts?: number } = {}): string[] {
  const maxSmsParts = options.maxSmsParts ?? 3;
  const problems: string[] = [];
  const check = (source: string, mode: Mode, where: string): Program | undefined => {
    let program: Program;
    try {
      program = handlebars.parse(source);
    } catch (error) {
      problems.push(`${where}: ${describeError(error)}`);
      return undefined;
    }
    const found = inspect(program);
    problems.push(...found.problems.map((p) => `${where}: ${p}`));
    if (found.problems.length > 0) return program;
    try {
      compile(source, mode)(view(SAMPLE_CONTEXT, 'nl'), RUNTIME_OPTIONS);
    } catch (error) {
      problems.push(`${where}: fails to render with an empty profile: ${describeError(error)}`);
    }
    return program;
  };

  for (const id of Object.keys(set.templates).sort()) {
    const file = set.templates[id];
    if (!file) continue;
    const at = `templates/${id}.yaml`;
    for (const [locale, t] of Object.entries(file.email ?? {})) {
      check(t.subject, 'text', `${at} email.${locale}.subject`);
      check(t.text, 'text', `${at} email.${locale}.text`);
      if (t.html !== undefined) check(t.html, 'html', `${at} email.${locale}.html`);
      if (t.preheader !== undefined) check(t.preheader, 'text', `${at} email.${locale}.preheader`);
    }
    for (const [locale, text] of Object.entries(file.sms ?? {})) {
      const where = `${at} sms.${locale}`;
      const program = check(text, 'text', where);
      if (program) {
        const fixed = staticText(program);
        const sms = smsSegments(fixed.trim());
        if (sms.segments > maxSmsParts) {
          const chars = nonGsm7Characters(fixed);
          const why =
            chars.length > 0
              ? `; UCS-2 because of ${chars
                  .slice(0, 5)
                  .map((c) => JSON.stringify(c))
                  .join(' ')} (GSM-7 fits 153 characters a part, UCS-2 only 67)`
              : '';
          problems.push(
            `${where}: the text without its placeholders already needs ${sms.segments} SMS parts (${sms.encoding}, ${sms.length} characters; at most ${maxSmsParts})${why}`,
          );
        }
      }
    }
    for (const [locale, t] of Object.entries(file.push ?? {})) {
      check(t.title, 'text', `${at} push.${locale}.title`);
      check(t.body, 'text', `${at} push.${locale}.body`);
    }
    for (const [locale, payload] of Object.entries(file.webhook ?? {})) {
      forEachString(payload, `${at} webhook.${locale}`, (source, where) => void check(source, 'text', where));
    }
  }

  for (const [name, source, mode] of [
    ['layout.html', set.layout.html, 'html'],
    ['layout.txt', set.layout.text, 'text'],
  ] as const) {
    const program = check(source, mode, `templates/${name}`);
    if (program && !inspect(program).paths.has('links.unsubscribe')) {
      problems.push(
        `templates/${name}: the layout never shows {{links.unsubscribe}} (every email needs an unsubscribe link)`,
      );
    }
  }
  return problems;
}

// ---------------------------------------------------------------------------------------------
// Handlebars: one isolated instance, compiled templates cached by (mode, source).

type Program = hbs.AST.Program;
export type Mode = 'html' | 'text';
type TemplateSpecification = Parameters<typeof Handlebars.template>[0];
type CompileOptions = NonNullable<Parameters<typeof Handlebars.precompile>[1]>;
type HelperOptions = Handlebars.HelperOptions;

const handlebars = Handlebars.create();

/** The internal helper every plain `{{path}}` is routed through (see {@link routeFields}). */
const FIELD = '_f'; // short: precompiled templates name it in every field they print

/** Explicit `false` keeps the protections on and also silences Handlebars' console warning per denied name. */
const RUNTIME_OPTIONS: Handlebars.RuntimeOptions = {
  allowProtoPropertiesByDefault: false,
  allowProtoMethodsByDefault: false,
};

/** Templates come from the strategy, so the cache stays small; the bound only guards against misuse. */
const CACHE_LIMIT = 5_000;
/** Keyed by the source string itself (one Map per mode), so a lookup never builds a new key string. */
const caches: Record<Mode, Map<string, Handlebars.TemplateDelegate>> = { html: new Map(), text: new Map() };

/**
 * Templates compiled at build time ({@link precompiledTemplatesModule}), by mode and source; never
 * evicted. A Lambda bundle has only Handlebars' runtime (the build aliases `handlebars` to
 * `handlebars/runtime`, see infra/constructs/function-bundling.ts) and renders from these alone.
 */
const precompiled: Record<Mode, Map<string, Handlebars.TemplateDelegate>> = {
  html: new Map(),
  text: new Map(),
};

/** One precompiled template: its mode, the string it is looked up by, and Handlebars' template spec. */
export type PrecompiledTemplate = readonly [mode: Mode, key: string, spec: TemplateSpecification];

/**
 * Installs templates that the build precompiled ({@link precompiledTemplateEntries}); the composition
 * root calls this once at cold start. They run on this module's Handlebars instance, so with the same
 * helpers and protections as templates compiled here. A template is then looked up by its key, which
 * the build may have put in the template set in place of the source (the code carries the text).
 */
export function usePrecompiledTemplates(templates: readonly PrecompiledTemplate[]): void {
  for (const [mode, key, spec] of templates) precompiled[mode].set(key, handlebars.template(spec));
}

/**
 * Every template string a strategy can render, with its mode, once each: each part of each template,
 * the brand layout, and the given extra sets (the campaigns' moment texts). The same parts as
 * {@link templateProblems} checks, so what validated is what gets precompiled.
 */
export function templateSources(sets: readonly TemplateSet[]): [Mode, string][] {
  const found: Record<Mode, Set<string>> = { html: new Set(), text: new Set() };
  for (const set of sets) {
    for (const file of Object.values(set.templates)) {
      for (const t of Object.values(file.email ?? {})) {
        found.text.add(t.subject).add(t.text);
        if (t.html !== undefined) found.html.add(t.html);
        if (t.preheader !== undefined) found.text.add(t.preheader);
      }
      for (const text of Object.values(file.sms ?? {})) found.text.add(text);
      for (const t of Object.values(file.push ?? {})) found.text.add(t.title).add(t.body);
      for (const payload of Object.values(file.webhook ?? {})) {
        forEachString(payload, '', (source) => void found.text.add(source));
      }
    }
    found.html.add(set.layout.html);
    found.text.add(set.layout.text);
  }
  return [
    ...[...found.html].map((s): [Mode, string] => ['html', s]),
    ...[...found.text].map((s): [Mode, string] => ['text', s]),
  ];
}

/**
 * Every template of `sources` ({@link templateSources}) precompiled by Handlebars exactly as {@link compile} compiles it, each as
 * the JavaScript source of a `[mode, key, spec]` entry (see {@link PrecompiledTemplate}), the key
 * being `keyOf(source)`. Build time only: it needs the Handlebars compiler, which a Lambda bundle does
 * not carry.
 */
export function precompiledTemplateEntries(
  sources: readonly (readonly [Mode, string])[],
  keyOf: (source: string) => string = (source) => source,
): string[] {
  return sources.map(([mode, source]) => {
    // Handlebars 4.6+ always gives templates `container.lookupProperty`; the fallback it still emits
    // into every function is dead code (about 100 bytes a function). (Typed as a spec, precompile
    // returns the spec's JavaScript source.)
    const spec = String(handlebars.precompile(prepared(source), compileOptions(mode))).replaceAll(
      LOOKUP_PROPERTY_FALLBACK,
      'container.lookupProperty',
    );
    return `[${JSON.stringify(mode)},${JSON.stringify(keyOf(source))},${spec}]`;
  });
}

const LOOKUP_PROPERTY_FALLBACK = `container.lookupProperty || function(parent, propertyName) {
        if (Object.prototype.hasOwnProperty.call(parent, propertyName)) {
          return parent[propertyName];
        }
        return undefined
    }`;

/**
 * The options both ways of compiling use: HTML escaping in html mode only, and the platform's own
 * helpers declared known, so a call goes straight to the registered helper instead of trying the
 * data first (same result, since they are always registered; shorter precompiled code).
 */
const compileOptions = (mode: Mode): CompileOptions => ({
  noEscape: mode === 'text',
  knownHelpers: { [FIELD]: true, eq: true, date: true, money: true },
});

/**
 * The AST both ways of compiling use: fields routed through FIELD, and source locations dropped (the
 * compiler would put each mustache's line and column into every helper call, a third of the
 * precompiled code; nothing reads them at run time).
 */
function prepared(source: string): Program {
  const program = routeFields(handlebars.parse(source));
  withoutLocations(program);
  return program;
}

function withoutLocations(node: unknown): void {
  if (Array.isArray(node)) for (const item of node) withoutLocations(item);
  else if (typeof node === 'object' && node !== null) {
    const record = node as Record<string, unknown>;
    delete record.loc;
    for (const value of Object.values(record)) withoutLocations(value);
  }
}

function compile(source: string, mode: Mode): Handlebars.TemplateDelegate {
  const built = precompiled[mode].get(source);
  if (built) return built;
  const cache = caches[mode];
  let template = cache.get(source);
  if (!template) {
    if (typeof handlebars.compile !== 'function') {
      // A Lambda bundle has only the runtime: every template must have come precompiled.
      throw new Error('this template was not precompiled at build time and this build has no compiler');
    }
    if (cache.size >= CACHE_LIMIT) cache.clear();
    // Compiling our own rewritten AST is safe: it only moves parsed paths into a call of FIELD.
    template = handlebars.compile(prepared(source), compileOptions(mode));
    cache.set(source, template);
  }
  return template;
}

function run(source: string, mode: Mode, data: Record<string, unknown>, where: string): string {
  try {
    return compile(source, mode)(data, RUNTIME_OPTIONS);
  } catch (error) {
    throw new InvalidInputError(
      `template ${where} failed to render: ${describeError(error)}`,
      { cause: error },
      { template: where },
    );
  }
}

/** Wraps a helper so that it receives its positional arguments and the options separately. */
function helper(fn: (args: unknown[], options: HelperOptions) => unknown): Handlebars.HelperDelegate {
  return (...all: unknown[]) => fn(all.slice(0, -1), all.at(-1) as HelperOptions);
}

const fallback = (options: HelperOptions): string => display(options.hash?.default);

handlebars.registerHelper(
  FIELD,
  helper(([value], options) => display(value) || fallback(options)),
);
// A call of an unknown helper renders empty instead of throwing; templateProblems reports it at load.
handlebars.registerHelper(
  'helperMissing',
  helper(() => ''),
);
// `{{log firstName}}` would write personal data to the function's logs.
handlebars.unregisterHelper('log');
handlebars.registerHelper(
  'eq',
  helper((args) => args.length === 2 && args[0] === args[1]),
);
handlebars.registerHelper(
  'date',
  helper(
    ([value], options) => formatDate(value, localeOf(options), options.hash?.style) || fallback(options),
  ),
);
handlebars.registerHelper(
  'money',
  helper(
    ([value], options) => formatMoney(value, localeOf(options), options.hash?.currency) || fallback(options),
  ),
);

const isMustache = (node: hbs.AST.Node): node is hbs.AST.MustacheStatement =>
  node.type === 'MustacheStatement';
const isBlock = (node: hbs.AST.Node): node is hbs.AST.BlockStatement =>
  node.type === 'BlockStatement' || node.type === 'DecoratorBlock';
const isPartialBlock = (node: hbs.AST.Node): node is hbs.AST.PartialBlockStatement =>
  node.type === 'PartialBlockStatement';
const isPath = (node: hbs.AST.Node | undefined): node is hbs.AST.PathExpression =>
  node?.type === 'PathExpression';
const isSubExpression = (node: hbs.AST.Node): node is hbs.AST.SubExpression => node.type === 'SubExpression';
const isContent = (node: hbs.AST.Node): node is hbs.AST.ContentStatement => node.type === 'ContentStatement';

/** A bare name like `if` or `money` that names a registered helper. */
function helperName(path: hbs.AST.PathExpression): string | undefined {
  const [name] = path.parts;
  const simple =
    !path.data && path.depth === 0 && path.parts.length === 1 && !/^\.|this\b/.test(path.original);
  return simple && name !== undefined && Object.hasOwn(handlebars.helpers, name) ? name : undefined;
}

/**
 * Rewrites every `{{path ...hash}}` that is not a helper call into `{{_f path ...hash}}`. Plain
 * Handlebars treats `{{firstName default="klant"}}` as a helper call and throws when firstName is a
 * string; routed through FIELD, a value is shown when present, else the default, else nothing, and
 * objects never print "[object Object]". The path is still resolved by Handlebars itself, with its
 * prototype-access checks.
 */
function routeFields(program: Program): Program {
  program.body = program.body.map((statement) => {
    if (isMustache(statement)) {
      const { path } = statement;
      if (!isPath(path) || statement.params.length > 0 || helperName(path) !== undefined) return statement;
      const field: hbs.AST.PathExpression = {
        type: 'PathExpression',
        data: false,
        depth: 0,
        parts: [FIELD],
        original: FIELD,
        loc: path.loc,
      };
      return { ...statement, path: field, params: [path] } satisfies hbs.AST.MustacheStatement;
    }
    if (isBlock(statement)) {
      routeFields(statement.program);
      if (statement.inverse) routeFields(statement.inverse);
    } else if (isPartialBlock(statement)) routeFields(statement.program);
    return statement;
  });
  return program;
}

/** What a parsed template uses: the problems a loader should report, and every path it reads. */
function inspect(program: Program): { problems: string[]; paths: Set<string> } {
  const problems: string[] = [];
  const paths = new Set<string>();
  const expression = (node: hbs.AST.Node): void => {
    if (isPath(node)) paths.add(node.original);
    else if (isSubExpression(node)) call(node.path, node.params, node.hash, true);
  };
  const call = (
    path: hbs.AST.Node,
    params: readonly hbs.AST.Node[],
    hash: hbs.AST.Hash | undefined,
    isCall: boolean,
  ): void => {
    if (isPath(path)) {
      const name = helperName(path);
      if (name === undefined && isCall) problems.push(`unknown helper "${path.original}"`);
      if (name === undefined && !isCall) {
        paths.add(path.original);
        for (const pair of hash?.pairs ?? []) {
          if (pair.key !== 'default') {
            problems.push(
              `unknown option ${pair.key}= on {{${path.original}}} (a field only takes default="...")`,
            );
          }
        }
      }
    }
    params.forEach(expression);
    for (const pair of hash?.pairs ?? []) expression(pair.value);
  };
  const walk = (body: readonly hbs.AST.Statement[]): void => {
    for (const node of body) {
      if (node.type === 'Decorator' || node.type === 'DecoratorBlock')
        problems.push('decorators are not supported');
      else if (node.type === 'PartialStatement' || isPartialBlock(node))
        problems.push('partials are not supported');
      else if (isMustache(node)) call(node.path, node.params, node.hash, node.params.length > 0);
      else if (isBlock(node)) {
        call(node.path, node.params, node.hash, node.params.length > 0);
        walk(node.program.body);
        if (node.inverse) walk(node.inverse.body);
      }
    }
  };
  walk(program.body);
  return { problems, paths };
}

/** The fixed text of a template: its content without placeholders; of a block, the longer branch. */
function staticText(program: Program): string {
  let text = '';
  for (const node of program.body) {
    if (isContent(node)) text += node.value;
    else if (isBlock(node)) {
      const yes = staticText(node.program);
      const no = node.inverse ? staticText(node.inverse) : '';
      text += yes.length >= no.length ? yes : no;
    }
  }
  return text;
}

// ---------------------------------------------------------------------------------------------
// Context and values.

const SAMPLE_CONTEXT: RenderContext = {
  customerId: 'sample',
  attributes: {},
  campaign: { id: 'sample' },
  links: {
    unsubscribe: 'https://example.invalid/unsubscribe',
    preferences: 'https://example.invalid/preferences',
  },
};

/** Keys of contact addresses, compared lower-case without `-` and `_`. */
const CONTACT_FIELDS = new Set([
  'email',
  'emailaddress',
  'phone',
  'phonenumber',
  'mobile',
  'mobilenumber',
  'mobilephone',
  'msisdn',
  'telephone',
  'telephonenumber',
  'pushendpoints',
  'pushtoken',
  'devicetoken',
]);

/**
 * A shallow copy without contact fields. Built with a loop rather than object spread: rendering is on
 * the hot path and Node 20 runs `{ ...record, more }` on a slow path (~100x a plain copy here).
 * `__proto__` is skipped so that an own `__proto__` key from JSON can never become a prototype.
 */
function withoutContactFields(record: Readonly<Record<string, unknown>>): Record<string, unknown> {
  const kept: Record<string, unknown> = {};
  for (const key of Object.keys(record)) {
    if (key !== '__proto__' && !CONTACT_FIELDS.has(key.toLowerCase().replace(/[-_]/g, '')))
      kept[key] = record[key];
  }
  return kept;
}

/** `{ ...base, ...extra }` by plain assignment (see {@link withoutContactFields} for why). */
function merged(
  base: Readonly<Record<string, unknown>>,
  extra: Readonly<Record<string, unknown>>,
): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const key of Object.keys(base)) if (key !== '__proto__') out[key] = base[key];
  for (const key of Object.keys(extra)) out[key] = extra[key];
  return out;
}

/** The object templates see: attributes at the top level, the platform's fields on top of them. */
function view(context: RenderContext, locale: string): Record<string, unknown> {
  const data = withoutContactFields(context.attributes);
  const { event } = context;
  data.customerId = context.customerId;
  data.locale = locale;
  data.language = languageOf(locale);
  data.event = event && {
    id: event.id,
    source: event.source,
    detailType: event.detailType,
    time: event.time,
    detail: withoutContactFields(event.detail),
  };
  data.campaign = context.campaign;
  data.variant = context.variant;
  data.brand = context.brand;
  data.links = context.links;
  return data;
}

const isRecord = (value: unknown): value is Record<string, unknown> =>
  typeof value === 'object' && value !== null && !Array.isArray(value);

/** How a value shows in a message: scalars as text, lists joined, objects and nothing as empty. */
function display(value: unknown): string {
  if (typeof value === 'string') return value;
  if (typeof value === 'number') return Number.isFinite(value) ? String(value) : '';
  if (typeof value === 'boolean' || typeof value === 'bigint') return String(value);
  if (Array.isArray(value)) {
    return value
      .map(display)
      .filter((s) => s !== '')
      .join(', ');
  }
  return '';
}

/** `nl_be` → `nl-BE`. */
function normalizeLocale(locale: string): string {
  const [language = '', region] = locale.trim().split(/[-_]/);
  return region === undefined ? language.toLowerCase() : `${language.toLowerCase()}-${region.toUpperCase()}`;
}

const languageOf = (locale: string): string => {
  const dash = locale.indexOf('-');
  return dash < 0 ? locale : locale.slice(0, dash);
};

function localeOf(options: HelperOptions): string {
  const root: unknown = options.data?.root;
  return isRecord(root) && typeof root.locale === 'string' ? root.locale : 'nl';
}

const formatters = new Map<string, Intl.DateTimeFormat | Intl.NumberFormat>();

function formatter<T extends Intl.DateTimeFormat | Intl.NumberFormat>(
  key: string,
  make: () => T,
): T | undefined {
  const cached = formatters.get(key);
  if (cached) return cached as T;
  try {
    const made = make();
    formatters.set(key, made);
    return made;
  } catch {
    return undefined; // an unknown currency or style: the caller shows the default
  }
}

/** Intl puts no-break spaces in "€ 42,50"; those are not GSM-7 and would make an SMS UCS-2. */
const plainSpaces = (text: string): string => text.replace(/[\u00a0\u202f]/g, ' ');

/** A calendar date (`2026-03-31`, or the date part of an ISO timestamp) in words of the locale. */
function formatDate(value: unknown, locale: string, style: unknown): string {
  if (typeof value !== 'string') return '';
  const match = /^(\d{4})-(\d{2})-(\d{2})/.exec(value);
  if (!match) return '';
  const date = new Date(Date.UTC(Number(match[1]), Number(match[2]) - 1, Number(match[3])));
  if (Number.isNaN(date.getTime())) return '';
  const dateStyle = style === 'short' || style === 'medium' || style === 'full' ? style : 'long';
  const format = formatter(
    `date|${locale}|${dateStyle}`,
    () => new Intl.DateTimeFormat(locale, { dateStyle, timeZone: 'UTC' }),
  );
  return format ? plainSpaces(format.format(date)) : '';
}

/** An amount (a number or a numeric string) as currency of the locale, EUR unless `currency="..."`. */
function formatMoney(value: unknown, locale: string, currency: unknown): string {
  const amount =
    typeof value === 'number'
      ? value
      : typeof value === 'string' && value.trim() !== ''
        ? Number(value)
        : Number.NaN;
  if (!Number.isFinite(amount)) return '';
  const code = typeof currency === 'string' ? currency : 'EUR';
  const format = formatter(
    `money|${locale}|${code}`,
    () => new Intl.NumberFormat(locale, { style: 'currency', currency: code }),
  );
  return format ? plainSpaces(format.format(amount)) : '';
}

const oneLine = (text: string): string => text.replace(/\s+/g, ' ').trim();

/** Text turned into HTML paragraphs for an email without an html part: escaped, links clickable. */
function paragraphs(text: string): string {
  return text
    .split(/\n\s*\n/)
    .map((p) => p.trim())
    .filter((p) => p !== '')
    .map((p) => {
      const html = handlebars
        .escapeExpression(p)
        .replace(/https?:\/\/[^\s<]+[^\s<.,;:!?)]/g, (url) => `<a href="${url}">${url}</a>`);
      return `<p style="margin:0 0 16px 0;">${html.replace(/\n/g, '<br>\n')}</p>`;
    })
    .join('\n');
}

function forEachString(value: unknown, where: string, visit: (source: string, where: string) => void): void {
  if (typeof value === 'string') visit(value, where);
  else if (Array.isArray(value)) {
    for (const [i, item] of value.entries()) forEachString(item, `${where}[${i}]`, visit);
  } else if (isRecord(value))
    for (const [key, item] of Object.entries(value)) forEachString(item, `${where}.${key}`, visit);
}

/** A webhook template: every string in it is a text template; keys, numbers and booleans stay as they are. */
function renderJson(value: unknown, data: Record<string, unknown>, where: string): unknown {
  if (typeof value === 'string') return run(value, 'text', data, where);
  if (Array.isArray(value)) return value.map((item, i) => renderJson(item, data, `${where}[${i}]`));
  if (isRecord(value)) {
    return Object.fromEntries(
      Object.entries(value).map(([key, item]) => [key, renderJson(item, data, `${where}.${key}`)]),
    );
  }
  return value;
}

/** A Handlebars error as one line: "Parse error on line 1: Expecting 'ID', got 'EOF' (near "Hoi {{")". */
function describeError(error: unknown): string {
  const message = error instanceof Error ? error.message : String(error);
  const lines = message.split('\n').filter((line) => line.trim() !== '' && !/^-*\^$/.test(line.trim()));
  const [head = '', excerpt, ...rest] = lines;
  if (head.startsWith('Parse error') && excerpt !== undefined && rest.length > 0) {
    return `${head} ${rest.join(' ')} (near ${JSON.stringify(excerpt.trim())})`;
  }
  return lines.join(' ');
}
