import { isAscii } from 'node:buffer';
import { existsSync, readFileSync } from 'node:fs';
import { homedir } from 'node:os';
import { join } from 'node:path';
import { gunzipSync } from 'node:zlib';
import type { EventBridgeClient, PutEventsRequestEntry } from '@aws-sdk/client-eventbridge';
import { fastConsentDetail, fastProfileDetail } from '#shared/contract/fast-parse.ts';
import { CONSENT_SOURCE, PROFILE_SOURCE, TRIGGER_BUS_NAME } from '#shared/domain/events.ts';
import { InvalidInputError } from '#shared/errors.ts';
import type { Channel } from '#shared/strategy/schema.ts';
import { consentDetail, isoMemo, normalisePhone, profileDetail } from '#shared/use-cases/customer-data.ts';
import type * as z from '#shared/validation.ts';

/**
 * Bulk-loading customers: profiles and consent become the platform's own public events
 * (`contact.profiles`/`CustomerProfileUpdated`, `contact.consent`/`ConsentGranted`|`ConsentWithdrawn`)
 * and go through `PutEvents`, so an import takes exactly the path an app's update takes — same routing,
 * same handler, same ledger — and there is no second write path to keep in step. Every row is first
 * validated with the schemas the profile handler uses; a bad row is reported by its line number and
 * reason (field names, never values) and skipped, and the good rows still load.
 *
 * Three inputs: CSV, JSON lines (one {@link CustomerRow} per line; `contact sample-data` writes this),
 * and an Amazon Pinpoint endpoint export (JSON lines of endpoint definitions, several per user).
 */

/** One customer as the JSON-lines import (and the sample data) describes it. */
export interface CustomerRow {
  readonly customerId: string;
  readonly email?: string;
  readonly phone?: string;
  readonly locale?: string;
  readonly timezone?: string;
  readonly preferredChannel?: Channel;
  readonly pushEndpoints?: readonly { readonly platform: 'fcm' | 'apns'; readonly token: string }[];
  readonly attributes?: Readonly<Record<string, unknown>>;
  readonly consent?: readonly ConsentRow[];
}

export interface ConsentRow {
  readonly purpose: string;
  readonly channel: Channel | 'all';
  /** @default true */
  readonly granted?: boolean;
  /** Where the customer said it (form, app, call centre). @default 'import' */
  readonly source?: string;
  readonly textVersion?: string;
  /** When the customer said it. @default the import's time */
  readonly occurredAt?: string;
}

/** An event to put on the bus, as `PutEvents` takes it (`time` optional: EventBridge stamps now). */
export interface BusEvent {
  readonly source: string;
  readonly detailType: string;
  readonly detail: Record<string, unknown>;
  readonly time?: number;
}

/** A row that was not loaded. `line` is the line in the file (CSV: the header is line 1). */
export interface RowProblem {
  readonly line: number;
  readonly reason: string;
}

export interface ImportPlan {
  /** Rows (customers) read. */
  readonly rows: number;
  /** Valid rows, each with the events it becomes (profile first, then consent). */
  readonly valid: readonly {
    readonly line: number;
    readonly customerId: string;
    readonly events: BusEvent[];
  }[];
  readonly invalid: readonly RowProblem[];
  /** Not errors, but not loaded either (inactive Pinpoint endpoints, unsupported channels). */
  readonly skipped: readonly RowProblem[];
}

const isRecord = (v: unknown): v is Record<string, unknown> =>
  typeof v === 'object' && v !== null && !Array.isArray(v);

/**
 * zod's issues as `path message`, with any echo of the row's own value removed: the strategy schema's
 * messages quote the input (`"Mars/Base" is not an IANA time zone`), and a reason must never carry
 * personal data into a terminal or a log.
 */
function describeIssues(error: z.core.$ZodError, value: unknown): string {
  return error.issues
    .map((issue) => {
      let at: unknown = value;
      for (const key of issue.path)
        at =
          isRecord(at) || Array.isArray(at)
            ? (at as Record<PropertyKey, unknown>)[key as PropertyKey]
            : undefined;
      let message = issue.message;
      if (typeof at === 'string' && at !== '') message = message.split(JSON.stringify(at)).join('the value');
      return `${issue.path.join('.') || '(row)'} ${message}`.trim();
    })
    .join('; ');
}

const PROFILE_KEYS = [
  'email',
  'phone',
  'locale',
  'timezone',
  'preferredChannel',
  'pushEndpoints',
  'attributes',
] as const;

/** `new Date(now).toISOString()` for the import's time, worked out once per import rather than per consent. */
const importIso = isoMemo();

/**
 * Validates one customer row and turns it into its public events: a `CustomerProfileUpdated` (when the
 * row says anything besides the id) and one consent event per consent entry. Throws
 * {@link InvalidInputError} with the reason when anything in the row is invalid: the row is all or
 * nothing, so a customer is never half loaded.
 */
export function customerEvents(raw: unknown, now: number): BusEvent[] {
  if (!isRecord(raw)) throw new InvalidInputError('the row is not an object');
  const { consent, ...profile } = raw;
  let detail = fastProfileDetail(profile);
  if (!detail) {
    const parsed = profileDetail.safeParse(profile);
    if (!parsed.success) throw new InvalidInputError(describeIssues(parsed.error, profile));
    detail = parsed.data;
  }
  // The profile handler normalises the phone after the schema: check it here, or the row would only
  // fail later, in the handler, and land in a dead-letter queue instead of in this report.
  if (typeof detail.phone === 'string') {
    try {
      normalisePhone(detail.phone, detail.attributes?.country);
    } catch {
      throw new InvalidInputError('phone is not a valid phone number');
    }
  }
  const events: BusEvent[] = [];
  if (PROFILE_KEYS.some((k) => detail[k] !== undefined)) {
    events.push({ source: PROFILE_SOURCE, detailType: 'CustomerProfileUpdated', detail });
  }
  if (consent !== undefined && !Array.isArray(consent)) throw new InvalidInputError('consent is not a list');
  for (const [i, entry] of (consent ?? []).entries()) {
    if (!isRecord(entry)) throw new InvalidInputError(`consent.${i} is not an object`);
    const { granted = true, ...rest } = entry;
    if (typeof granted !== 'boolean')
      throw new InvalidInputError(`consent.${i}.granted is not true or false`);
    const candidate = {
      customerId: detail.customerId,
      source: 'import',
      occurredAt: importIso(now),
      ...rest,
    };
    let parsed = fastConsentDetail(candidate);
    if (!parsed) {
      const c = consentDetail.safeParse(candidate);
      if (!c.success) throw new InvalidInputError(`consent.${i}: ${describeIssues(c.error, candidate)}`);
      parsed = c.data;
    }
    events.push({
      source: CONSENT_SOURCE,
      detailType: granted ? 'ConsentGranted' : 'ConsentWithdrawn',
      detail: parsed,
    });
  }
  if (events.length === 0) throw new InvalidInputError('the row has neither profile fields nor consent');
  return events;
}

/** Validates every row; collects the problems instead of stopping at the first. */
export function planRows(
  rows: readonly { line: number; row: unknown }[],
  now: number,
  skipped: RowProblem[] = [],
): ImportPlan {
  const valid: { line: number; customerId: string; events: BusEvent[] }[] = [];
  const invalid: RowProblem[] = [];
  for (const { line, row } of rows) {
    try {
      const events = customerEvents(row, now);
      valid.push({ line, customerId: String((row as { customerId: unknown }).customerId), events });
    } catch (error) {
      if (!(error instanceof InvalidInputError)) throw error;
      invalid.push({ line, reason: error.message });
    }
  }
  return { rows: rows.length, valid, invalid, skipped };
}

// --- JSON lines ------------------------------------------------------------------------------------

/** JSON lines: one object per line; blank lines are skipped; a line that is not JSON is a problem. */
export function parseJsonLines(text: string): {
  rows: { line: number; row: unknown }[];
  problems: RowProblem[];
} {
  const rows: { line: number; row: unknown }[] = [];
  const problems: RowProblem[] = [];
  // One pass over the text, no array of lines; a line that is one object needs no trimming.
  let n = 0;
  for (let from = 0; from <= text.length; ) {
    let to = text.indexOf('\n', from);
    if (to === -1) to = text.length;
    n++;
    const raw = text.slice(from, to);
    from = to + 1;
    const line = raw.charCodeAt(0) === 0x7b && raw.charCodeAt(raw.length - 1) === 0x7d ? raw : raw.trim();
    if (line === '') continue;
    try {
      rows.push({ line: n, row: JSON.parse(line) });
    } catch {
      problems.push({ line: n, reason: 'not valid JSON' });
    }
  }
  return { rows, problems };
}

// --- CSV -------------------------------------------------------------------------------------------

/**
 * RFC 4180 CSV: quoted fields (with commas, doubled quotes and line breaks inside), CRLF or LF, a
 * UTF-8 byte-order mark. The delimiter is read from the header: `;` (what Excel writes with Dutch and
 * Belgian regional settings), tab, or `,`.
 */
export function parseCsv(text: string): { header: string[]; records: { line: number; cells: string[] }[] } {
  const body = text.charCodeAt(0) === 0xfeff ? text.slice(1) : text;
  const firstLine = body.slice(0, body.search(/\r?\n|$/));
  const count = (ch: string) => firstLine.split(ch).length - 1;
  const delimiter = [';', '\t', ','].reduce((best, ch) => (count(ch) > count(best) ? ch : best), ',');
  const records: { line: number; cells: string[] }[] = [];
  let cells: string[] = [];
  let cell = '';
  let quoted = false;
  let line = 1;
  let recordLine = 1;
  const endRecord = () => {
    cells.push(cell);
    if (cells.length > 1 || cells[0] !== '') records.push({ line: recordLine, cells });
    cells = [];
    cell = '';
  };
  for (let i = 0; i < body.length; i++) {
    const ch = body[i];
    if (quoted) {
      if (ch === '"' && body[i + 1] === '"') {
        cell += '"';
        i++;
      } else if (ch === '"') quoted = false;
      else {
        if (ch === '\n') line++;
        cell += ch;
      }
    } else if (ch === '"' && cell === '') quoted = true;
    else if (ch === delimiter) {
      cells.push(cell);
      cell = '';
    } else if (ch === '\n' || ch === '\r') {
      if (ch === '\r' && body[i + 1] === '\n') i++;
      endRecord();
      line++;
      recordLine = line;
    } else cell += ch;
  }
  if (cell !== '' || cells.length > 0) endRecord();
  const [header, ...rest] = records;
  return { header: (header?.cells ?? []).map((h) => h.trim()), records: rest };
}

const YES = new Set(['granted', 'yes', 'ja', 'true', '1', 'y', 'j']);
const NO = new Set(['withdrawn', 'no', 'nee', 'false', '0', 'n']);

/**
 * A CSV record as a {@link CustomerRow}. Columns: `customerId` (required), `email`, `phone`, `locale`,
 * `timezone`, `preferredChannel`, `pushPlatform` + `pushToken`; consent as `consent.<purpose>.<channel>`
 * (`granted`/`withdrawn`, also yes/no, ja/nee, 1/0; empty = no statement) with `consentSource`,
 * `consentTextVersion` and `consentDate` for the row; every other column is a segment attribute
 * (`attributes.` prefix optional), a string unless the header says `name:number` or `name:boolean`.
 * Empty cells are left out.
 */
export function csvRow(header: readonly string[], cells: readonly string[]): Record<string, unknown> {
  const row: Record<string, unknown> = {};
  const attributes: Record<string, unknown> = {};
  const consent: Record<string, unknown>[] = [];
  const meta: Record<string, string> = {};
  let push: { platform?: string; token?: string } | undefined;
  for (const [i, name] of header.entries()) {
    const value = (cells[i] ?? '').trim();
    if (value === '') continue;
    const consentColumn = /^consent[.:]([^.:]+)[.:]([^.:]+)$/i.exec(name);
    if (consentColumn) {
      const answer = value.toLowerCase();
      const granted = YES.has(answer) ? true : NO.has(answer) ? false : undefined;
      if (granted === undefined) throw new InvalidInputError(`${name} is not granted or withdrawn`);
      consent.push({ purpose: consentColumn[1], channel: consentColumn[2], granted });
    } else if (['consentSource', 'consentTextVersion', 'consentDate'].includes(name)) meta[name] = value;
    else if (name === 'pushPlatform') push = { ...push, platform: value };
    else if (name === 'pushToken') push = { ...push, token: value };
    else if (['customerId', 'email', 'phone', 'locale', 'timezone', 'preferredChannel'].includes(name))
      row[name] = value;
    else {
      const [attribute = name, type] = name.replace(/^attributes\./, '').split(':');
      if (type === 'number') {
        const n = Number(value.replace(',', '.'));
        if (!Number.isFinite(n)) throw new InvalidInputError(`${attribute} is not a number`);
        attributes[attribute] = n;
      } else if (type === 'boolean') {
        const b = value.toLowerCase();
        if (!YES.has(b) && !NO.has(b)) throw new InvalidInputError(`${attribute} is not true or false`);
        attributes[attribute] = YES.has(b);
      } else attributes[attribute] = value;
    }
  }
  if (push) row.pushEndpoints = [push];
  if (Object.keys(attributes).length > 0) row.attributes = attributes;
  if (consent.length > 0) {
    const occurredAt =
      meta.consentDate && /^\d{4}-\d{2}-\d{2}$/.test(meta.consentDate)
        ? `${meta.consentDate}T00:00:00Z`
        : meta.consentDate;
    row.consent = consent.map((c) => ({
      ...c,
      ...(meta.consentSource && { source: meta.consentSource }),
      ...(meta.consentTextVersion && { textVersion: meta.consentTextVersion }),
      ...(occurredAt && { occurredAt }),
    }));
  }
  return row;
}

/** Reads a customers file (CSV or JSON lines, by extension or, failing that, by its first character). */
/**
 * A UTF-8 text file. Plain ASCII (most exports, and what JSON writers emit by default) is decoded as
 * Latin-1, which gives the same text without the UTF-8 decoder's work.
 */
export function readText(file: string): string {
  const bytes = readFileSync(file);
  return isAscii(bytes) ? bytes.toString('latin1') : bytes.toString('utf8');
}

/** A customers file is JSON lines when it is named so, or is not named `.csv` and starts with `{`. */
export const isJsonLines = (file: string, text: string): boolean =>
  /\.jsonl?$/i.test(file) || (!/\.csv$/i.test(file) && text.trimStart().startsWith('{'));

export function readCustomersFile(file: string, now: number): ImportPlan {
  const text = readText(file);
  if (isJsonLines(file, text)) {
    const { rows, problems } = parseJsonLines(text);
    const plan = planRows(rows, now);
    return {
      ...plan,
      rows: plan.rows + problems.length,
      invalid: [...problems, ...plan.invalid].sort((a, b) => a.line - b.line),
    };
  }
  const { header, records } = parseCsv(text);
  if (!header.includes('customerId')) {
    return {
      rows: records.length,
      valid: [],
      invalid: [{ line: 1, reason: 'the header has no customerId column' }],
      skipped: [],
    };
  }
  const rows: { line: number; row: unknown }[] = [];
  const invalid: RowProblem[] = [];
  for (const { line, cells } of records) {
    try {
      rows.push({ line, row: csvRow(header, cells) });
    } catch (error) {
      if (!(error instanceof InvalidInputError)) throw error;
      invalid.push({ line, reason: error.message });
    }
  }
  const plan = planRows(rows, now);
  return {
    ...plan,
    rows: records.length,
    invalid: [...invalid, ...plan.invalid].sort((a, b) => a.line - b.line),
  };
}

// --- Amazon Pinpoint endpoint export ---------------------------------------------------------------

/** The fields of a Pinpoint endpoint definition (`EndpointResponse`) that the import reads. */
interface PinpointEndpoint {
  readonly ChannelType?: unknown;
  readonly Address?: unknown;
  readonly EndpointStatus?: unknown;
  readonly OptOut?: unknown;
  readonly EffectiveDate?: unknown;
  readonly Attributes?: unknown;
  readonly Demographic?: { readonly Timezone?: unknown; readonly Locale?: unknown };
  readonly Location?: { readonly Country?: unknown; readonly City?: unknown };
  readonly User?: { readonly UserId?: unknown; readonly UserAttributes?: unknown };
}

const PUSH_PLATFORM: Readonly<Record<string, 'fcm' | 'apns'>> = {
  GCM: 'fcm',
  APNS: 'apns',
  APNS_SANDBOX: 'apns',
};
const CHANNEL_OF: Readonly<Record<string, Channel>> = {
  EMAIL: 'email',
  SMS: 'sms',
  GCM: 'push',
  APNS: 'push',
  APNS_SANDBOX: 'push',
};

export interface PinpointOptions {
  /**
   * Purposes whose consent an active endpoint that has not opted out grants on its channel. Empty by
   * default: Pinpoint's "not opted out" is not consent under the GDPR unless your sign-up asked for it.
   */
  readonly grant?: readonly string[];
  /** Purposes an `OptOut: ALL` endpoint withdraws on its channel. @default ['marketing'] */
  readonly optOutPurposes?: readonly string[];
}

/** `nl_NL` → `nl-NL`; anything that is not `ll` or `ll_CC` is left out. */
function pinpointLocale(value: unknown): string | undefined {
  if (typeof value !== 'string') return undefined;
  const m = /^([a-z]{2})(?:[_-]([A-Za-z]{2}))?$/.exec(value.trim());
  if (!m) return undefined;
  return m[2] ? `${m[1]}-${m[2].toUpperCase()}` : m[1];
}

/** Pinpoint attribute values are lists; one value becomes a scalar. Names are made identifier-safe. */
function pinpointAttributes(value: unknown, into: Record<string, unknown>): void {
  if (!isRecord(value)) return;
  for (const [name, values] of Object.entries(value)) {
    const key = name
      .replace(/[^A-Za-z0-9_]/g, '_')
      .replace(/^(?=\d)/, '_')
      .slice(0, 64);
    if (key === '') continue;
    into[key] = Array.isArray(values) && values.length === 1 ? values[0] : values;
  }
}

const isoOf = (value: unknown): string | undefined => {
  if (typeof value !== 'string') return undefined;
  const ms = Date.parse(value);
  return Number.isNaN(ms) ? undefined : new Date(ms).toISOString();
};

/**
 * An Amazon Pinpoint endpoint export (newline-delimited JSON, gzip or not) as customer rows: the
 * endpoints of one `User.UserId` merge into one profile — the newest active EMAIL and SMS address,
 * every active GCM/APNS token (as push tokens for SNS), time zone and locale (`nl_NL` → `nl-NL`) and
 * country from the newest endpoint that has them, endpoint and user attributes (user attributes win).
 * `OptOut: ALL` on an active endpoint withdraws consent on that channel (conservatively: one opted-out
 * endpoint is enough); `INACTIVE` endpoints, endpoints without a user id and unsupported channels are
 * skipped with their reason.
 */
export function parsePinpointExport(text: string, now: number, options: PinpointOptions = {}): ImportPlan {
  const { rows: lines, problems } = parseJsonLines(text);
  const skipped: RowProblem[] = [];
  const users = new Map<string, { line: number; endpoints: { line: number; e: PinpointEndpoint }[] }>();
  for (const { line, row } of lines) {
    if (!isRecord(row)) {
      problems.push({ line, reason: 'not an endpoint object' });
      continue;
    }
    const e = row as PinpointEndpoint;
    const userId = e.User?.UserId;
    const channelType = typeof e.ChannelType === 'string' ? e.ChannelType : '';
    if (typeof userId !== 'string' || userId === '')
      skipped.push({ line, reason: 'endpoint without User.UserId' });
    else if (!CHANNEL_OF[channelType])
      skipped.push({ line, reason: `channel ${channelType || '(none)'} is not supported` });
    else if (e.EndpointStatus === 'INACTIVE') skipped.push({ line, reason: 'endpoint is INACTIVE' });
    else if (typeof e.Address !== 'string' || e.Address === '')
      problems.push({ line, reason: 'Address is missing' });
    else {
      const user = users.get(userId) ?? { line, endpoints: [] };
      user.endpoints.push({ line, e });
      users.set(userId, user);
    }
  }
  const grant = options.grant ?? [];
  const optOutPurposes = options.optOutPurposes ?? ['marketing'];
  const rows: { line: number; row: unknown }[] = [];
  for (const [customerId, { line, endpoints }] of users) {
    // Oldest first, so the newest endpoint's values are the ones that stay.
    const sorted = [...endpoints].sort((a, b) =>
      (isoOf(a.e.EffectiveDate) ?? '').localeCompare(isoOf(b.e.EffectiveDate) ?? ''),
    );
    const attributes: Record<string, unknown> = {};
    const row: Record<string, unknown> = { customerId };
    const push: { platform: 'fcm' | 'apns'; token: string }[] = [];
    const optedOut = new Map<Channel, string | undefined>();
    const optedIn = new Map<Channel, string | undefined>();
    for (const { e } of sorted) pinpointAttributes(e.Attributes, attributes);
    for (const { e } of sorted) {
      const channelType = String(e.ChannelType);
      const address = String(e.Address);
      const channel = CHANNEL_OF[channelType] ?? 'email';
      if (channelType === 'EMAIL') row.email = address;
      else if (channelType === 'SMS') row.phone = address;
      else {
        const platform = PUSH_PLATFORM[channelType];
        if (platform && !push.some((p) => p.token === address)) push.push({ platform, token: address });
      }
      if (typeof e.Demographic?.Timezone === 'string' && e.Demographic.Timezone !== '')
        row.timezone = e.Demographic.Timezone;
      const locale = pinpointLocale(e.Demographic?.Locale);
      if (locale) row.locale = locale;
      if (typeof e.Location?.Country === 'string' && /^[A-Za-z]{2}$/.test(e.Location.Country))
        attributes.country = e.Location.Country.toUpperCase();
      if (typeof e.Location?.City === 'string' && e.Location.City !== '') attributes.city = e.Location.City;
      (e.OptOut === 'ALL' ? optedOut : optedIn).set(channel, isoOf(e.EffectiveDate));
    }
    for (const { e } of sorted) pinpointAttributes(e.User?.UserAttributes, attributes);
    if (push.length > 0) row.pushEndpoints = push.slice(-10);
    if (Object.keys(attributes).length > 0) row.attributes = attributes;
    const consent: ConsentRow[] = [];
    const at = (iso: string | undefined) => iso ?? new Date(now).toISOString();
    for (const [channel, when] of optedOut) {
      for (const purpose of optOutPurposes)
        consent.push({ purpose, channel, granted: false, source: 'pinpoint-import', occurredAt: at(when) });
    }
    for (const [channel, when] of optedIn) {
      if (optedOut.has(channel)) continue;
      for (const purpose of grant)
        consent.push({ purpose, channel, granted: true, source: 'pinpoint-import', occurredAt: at(when) });
    }
    if (consent.length > 0) row.consent = consent;
    rows.push({ line, row });
  }
  const plan = planRows(rows, now, skipped);
  return {
    ...plan,
    invalid: [...problems, ...plan.invalid].sort((a, b) => a.line - b.line),
    skipped: [...skipped].sort((a, b) => a.line - b.line),
  };
}

/** Reads a Pinpoint export file; `.gz` files (as the export job writes them to S3) are gunzipped. */
export function readPinpointFile(file: string, now: number, options: PinpointOptions = {}): ImportPlan {
  const bytes = readFileSync(file);
  const text = /\.gz$/i.test(file) ? gunzipSync(bytes).toString('utf8') : bytes.toString('utf8');
  return parsePinpointExport(text, now, options);
}

// --- PutEvents -------------------------------------------------------------------------------------

/** Where events go: an endpoint override, the deployed bus (AWS credentials), or the local runtime. */
export interface BusTarget {
  readonly client: EventBridgeClient;
  /** For the summary: the endpoint, or `the deployed bus`. */
  readonly where: string;
  readonly local: boolean;
}

export const LOCAL_EVENTBRIDGE = 'http://127.0.0.1:4010';

function hasAwsCredentials(env: NodeJS.ProcessEnv): boolean {
  if (env.AWS_ACCESS_KEY_ID || env.AWS_PROFILE || env.AWS_WEB_IDENTITY_TOKEN_FILE) return true;
  if (env.AWS_CONTAINER_CREDENTIALS_RELATIVE_URI || env.AWS_CONTAINER_CREDENTIALS_FULL_URI) return true;
  const dir = join(homedir(), '.aws');
  return existsSync(join(dir, 'credentials')) || existsSync(join(dir, 'config'));
}

/**
 * The EventBridge client package, loaded when an import first sends: `contact simulate` and its worker
 * threads read customers files with this module and never send, and loading the SDK costs each of them
 * ~0.1 s of start-up.
 */
const eventBridgeSdk = () => import('@aws-sdk/client-eventbridge');

/**
 * The bus to import into: `--endpoint`, else `AWS_ENDPOINT_URL_EVENTBRIDGE` (the SDK's own variable),
 * else the deployed `contact-triggers` bus when AWS credentials are configured, else the local
 * runtime on {@link LOCAL_EVENTBRIDGE} (with dummy credentials: it accepts any signature).
 */
export async function busTarget(endpoint?: string, env: NodeJS.ProcessEnv = process.env): Promise<BusTarget> {
  const { EventBridgeClient } = await eventBridgeSdk();
  const region = env.AWS_REGION ?? env.AWS_DEFAULT_REGION ?? 'eu-west-1';
  const override = endpoint ?? env.AWS_ENDPOINT_URL_EVENTBRIDGE;
  if (override) {
    return {
      client: new EventBridgeClient({
        endpoint: override,
        region,
        ...(!hasAwsCredentials(env) && { credentials: { accessKeyId: 'local', secretAccessKey: 'local' } }),
      }),
      where: override,
      local: /^https?:\/\/(127\.0\.0\.1|localhost)[:/]/.test(override),
    };
  }
  if (hasAwsCredentials(env))
    return { client: new EventBridgeClient({}), where: `the deployed ${TRIGGER_BUS_NAME} bus`, local: false };
  return {
    client: new EventBridgeClient({
      endpoint: LOCAL_EVENTBRIDGE,
      region,
      credentials: { accessKeyId: 'local', secretAccessKey: 'local' },
    }),
    where: `${LOCAL_EVENTBRIDGE} (local runtime)`,
    local: true,
  };
}

export interface PutResult {
  readonly sent: number;
  /** Entries EventBridge kept refusing, by index into the input, with the error code (no payload). */
  readonly failed: readonly { readonly index: number; readonly code: string }[];
}

const entryOf = (e: BusEvent, bus: string): PutEventsRequestEntry => ({
  EventBusName: bus,
  Source: e.source,
  DetailType: e.detailType,
  Detail: JSON.stringify(e.detail),
  ...(e.time !== undefined && { Time: new Date(e.time) }),
});

/**
 * `PutEvents` in calls of at most 10 entries (EventBridge's limit), `concurrency` calls at a time.
 * Entries EventBridge refuses with a retryable code are retried up to 3 times with backoff; what still
 * fails is returned, never dropped silently.
 */
export async function putEvents(
  client: EventBridgeClient,
  events: readonly BusEvent[],
  options: { bus?: string; concurrency?: number; onProgress?: (done: number) => void } = {},
): Promise<PutResult> {
  const { PutEventsCommand } = await eventBridgeSdk();
  const bus = options.bus ?? TRIGGER_BUS_NAME;
  const failed: { index: number; code: string }[] = [];
  let sent = 0;
  let next = 0;
  const worker = async () => {
    for (;;) {
      const start = next;
      if (start >= events.length) return;
      next = Math.min(events.length, start + 10);
      let indexes = Array.from({ length: next - start }, (_, k) => start + k);
      for (let attempt = 0; indexes.length > 0; attempt++) {
        const out = await client.send(
          new PutEventsCommand({ Entries: indexes.map((i) => entryOf(events[i] as BusEvent, bus)) }),
        );
        const retry: number[] = [];
        for (const [k, index] of indexes.entries()) {
          const code = out.Entries?.[k]?.ErrorCode;
          if (!code) sent++;
          else if (attempt < 3 && /Throttl|InternalFailure|ServiceUnavailable/i.test(code)) retry.push(index);
          else failed.push({ index, code });
        }
        indexes = retry;
        if (retry.length > 0) await new Promise((r) => setTimeout(r, 100 * 2 ** attempt));
      }
      options.onProgress?.(sent + failed.length);
    }
  };
  await Promise.all(Array.from({ length: Math.max(1, options.concurrency ?? 4) }, worker));
  return { sent, failed: failed.sort((a, b) => a.index - b.index) };
}

// --- Progress and reporting ------------------------------------------------------------------------

/**
 * A one-line progress bar on stderr, redrawn at most 10 times a second, and only on a terminal (in CI
 * or a pipe it stays silent; the summary says what happened). stdout stays clean for the results.
 */
export class ProgressBar {
  private lastDraw = 0;
  private readonly started = performance.now();
  private readonly tty: boolean;

  constructor(
    private readonly label: string,
    private total: number,
    private readonly out: NodeJS.WriteStream = process.stderr,
  ) {
    this.tty = out.isTTY === true && process.env.CI === undefined;
  }

  update(done: number, total = this.total): void {
    this.total = total;
    if (!this.tty) return;
    const now = performance.now();
    if (now - this.lastDraw < 100 && done < total) return;
    this.lastDraw = now;
    const width = 28;
    const share = total > 0 ? Math.min(1, done / total) : 1;
    const filled = Math.round(share * width);
    const rate = done / Math.max(0.001, (now - this.started) / 1000);
    this.out.write(
      `\r${this.label} [${'#'.repeat(filled)}${'.'.repeat(width - filled)}] ${done.toLocaleString('en')}/${total.toLocaleString('en')} ${Math.round(rate).toLocaleString('en')}/s `,
    );
  }

  done(): void {
    if (this.tty) this.out.write('\r\x1b[2K');
  }
}

const plural = (n: number, what: string) => `${n.toLocaleString('en')} ${what}${n === 1 ? '' : 's'}`;

/** The validation part of the summary; problems are listed by line, at most `limit` of them. */
export function describePlan(plan: ImportPlan, limit = 25): string[] {
  const events = plan.valid.reduce((n, r) => n + r.events.length, 0);
  const profiles = plan.valid.reduce(
    (n, r) => n + r.events.filter((e) => e.source === PROFILE_SOURCE).length,
    0,
  );
  const lines = [
    `  ${plural(plan.valid.length, 'valid customer')} → ${plural(events, 'event')} (${plural(profiles, 'profile update')}, ${plural(events - profiles, 'consent event')})`,
  ];
  const list = (title: string, problems: readonly RowProblem[]) => {
    if (problems.length === 0) return;
    lines.push(`  ${title}`);
    for (const p of problems.slice(0, limit)) lines.push(`    line ${p.line}: ${p.reason}`);
    if (problems.length > limit) lines.push(`    … and ${problems.length - limit} more`);
  };
  list(`${plural(plan.invalid.length, 'invalid row')}, not loaded:`, plan.invalid);
  list(`${plural(plan.skipped.length, 'endpoint')} skipped:`, plan.skipped);
  return lines;
}

export interface ImportRun {
  readonly plan: ImportPlan;
  readonly put?: PutResult & { readonly where: string; readonly seconds: number };
}

/**
 * Validates, then (unless `dryRun`) puts every valid row's events on the bus. Returns what happened;
 * prints nothing (the CLI does).
 */
export async function runImport(
  plan: ImportPlan,
  options: { dryRun?: boolean; target?: BusTarget; concurrency?: number; progress?: boolean } = {},
): Promise<ImportRun> {
  if (options.dryRun) return { plan };
  const target = options.target ?? (await busTarget());
  const events = plan.valid.flatMap((r) => r.events);
  const bar = options.progress === false ? undefined : new ProgressBar('import', events.length);
  const started = performance.now();
  const put = await putEvents(target.client, events, {
    ...(options.concurrency !== undefined && { concurrency: options.concurrency }),
    onProgress: (done) => bar?.update(done),
  });
  bar?.done();
  return { plan, put: { ...put, where: target.where, seconds: (performance.now() - started) / 1000 } };
}

/** The CLI's summary of an import run. */
export function importSummary(file: string, run: ImportRun): string[] {
  const lines = [`import ${file}: ${plural(run.plan.rows, 'row')}`, ...describePlan(run.plan)];
  if (!run.put) lines.push('  dry run: nothing was sent');
  else {
    const { sent, failed, where, seconds } = run.put;
    lines.push(`  sent ${plural(sent, 'event')} to ${where} in ${seconds.toFixed(1)} s`);
    if (failed.length > 0) {
      const events = run.plan.valid.flatMap((r) => r.events.map(() => r.line));
      lines.push(`  ${plural(failed.length, 'event')} refused by EventBridge:`);
      for (const f of failed.slice(0, 25)) lines.push(`    line ${events[f.index] ?? '?'}: ${f.code}`);
    }
  }
  return lines;
}

// --- The command -----------------------------------------------------------------------------------

export interface ImportCommand {
  readonly customersFile?: string;
  readonly pinpointFile?: string;
  readonly dryRun?: boolean;
  readonly endpoint?: string;
  readonly grant?: readonly string[];
}

/**
 * `contact import`: validates the file, prints the problems, loads the valid rows (unless
 * `--dry-run`) and prints the summary. Exit code 0 when every row loaded, 1 when some were invalid or
 * refused (the valid ones still loaded).
 */
export async function runImportCommand(c: ImportCommand): Promise<number> {
  const now = Date.now();
  const file = c.pinpointFile ?? c.customersFile ?? '';
  const plan = c.pinpointFile
    ? readPinpointFile(c.pinpointFile, now, { ...(c.grant && { grant: c.grant }) })
    : readCustomersFile(file, now);
  const run = await runImport(plan, {
    ...(c.dryRun !== undefined && { dryRun: c.dryRun }),
    ...(!c.dryRun && { target: await busTarget(c.endpoint) }),
  });
  for (const line of importSummary(file, run)) console.log(line);
  return plan.invalid.length > 0 || (run.put?.failed.length ?? 0) > 0 ? 1 : 0;
}
