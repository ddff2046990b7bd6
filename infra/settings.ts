import type { Construct } from 'constructs';
import * as z from 'zod';

/**
 * Deploy-time settings, read from the CDK context (`cdk.json` "context", or `-c key=value` on the
 * command line) and validated once at synth. A bad value stops the synth with a message that names
 * the context key and the fix; nothing is deployed with a silent fallback for the two sender values.
 *
 * | key | meaning | default |
 * | --- | --- | --- |
 * | `stage` | environment name, part of stack names and tags | `dev` |
 * | `senderEmail` | From address of marketing mail; must be at `senderDomain` | required (cdk.json ships `marketing@example.com`) |
 * | `senderDomain` | SES domain identity that is verified with DKIM | required (cdk.json ships `example.com`) |
 * | `alarmEmails` | addresses subscribed to operational alarms | `[]` |
 * | `smsSenderId` | alphanumeric SMS sender id, 1-11 letters/digits | `Contact` |
 * | `pushPlatformApplicationArns` | `{ fcm?: arn, apns?: arn }` SNS platform applications | `{}` |
 * | `strategyFile` | contact-strategy YAML, relative to the repository root | `strategy/contact-strategy.yaml` |
 * | `dateTriggerSendHour` | local hour (0-23, the customer's time zone) at which date triggers fire | `9` |
 */
export interface Settings {
  readonly stage: string;
  readonly senderEmail: string;
  readonly senderDomain: string;
  readonly alarmEmails: readonly string[];
  readonly smsSenderId: string;
  readonly pushPlatformApplicationArns: PushPlatformApplicationArns;
  readonly strategyFile: string;
  readonly dateTriggerSendHour: number;
}

/** SNS platform application ARNs for mobile push, one per push service. */
export interface PushPlatformApplicationArns {
  /** Firebase Cloud Messaging: `arn:aws:sns:<region>:<account>:app/GCM/<name>`. */
  readonly fcm?: string;
  /** Apple Push Notification service: `arn:aws:sns:<region>:<account>:app/APNS[_SANDBOX]/<name>`. */
  readonly apns?: string;
}

/** The settings are invalid; `problems` lists every one, each naming its context key. */
export class SettingsError extends Error {
  override name = 'SettingsError';
  constructor(readonly problems: readonly string[]) {
    super(
      `invalid deploy settings (${problems.length} problem${problems.length === 1 ? '' : 's'}); fix them in cdk.json "context" or pass -c key=value:\n  ${problems.join('\n  ')}`,
    );
  }
}

/** The context keys this app reads, in the order problems are reported. */
export const SETTING_KEYS = [
  'stage',
  'senderEmail',
  'senderDomain',
  'alarmEmails',
  'smsSenderId',
  'pushPlatformApplicationArns',
  'strategyFile',
  'dateTriggerSendHour',
] as const satisfies readonly (keyof Settings)[];

const DOMAIN = /^(?=.{1,253}$)(?:[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?\.)+[a-z]{2,63}$/i;
const SNS_APP_ARN = (platforms: string): RegExp =>
  new RegExp(`^arn:aws(?:-[a-z]+)*:sns:[a-z0-9-]+:\\d{12}:app/(?:${platforms})/[A-Za-z0-9_.-]{1,256}$`);

/** A string schema whose every failure (wrong type included) reports `message`. */
const text = (pattern: RegExp, message: string) =>
  z.string({ error: message }).regex(pattern, { error: message });

const HOUR = 'must be a whole hour from 0 to 23 (the customer’s local time), e.g. 9';

const email = (example: string) => z.email({ error: `must be an email address such as "${example}"` });

/**
 * Context given with `-c key=value` arrives as a string; accept JSON there (and a comma-separated
 * list for `alarmEmails`) so the command line can say what cdk.json says.
 */
const fromCliString = (value: unknown, list: boolean): unknown => {
  if (typeof value !== 'string') return value;
  const trimmed = value.trim();
  if (trimmed.startsWith('[') || trimmed.startsWith('{')) {
    try {
      return JSON.parse(trimmed) as unknown;
    } catch {
      return value;
    }
  }
  if (!list) return value;
  return trimmed === ''
    ? []
    : trimmed
        .split(',')
        .map((s) => s.trim())
        .filter(Boolean);
};

const settingsSchema = z
  .object({
    stage: text(
      /^[a-z][a-z0-9-]{0,19}$/,
      'must be 1-20 lower-case letters, digits or -, starting with a letter (it becomes part of stack names), e.g. "dev"',
    ).default('dev'),
    senderEmail: email('marketing@example.com'),
    senderDomain: text(DOMAIN, 'must be a domain name such as "example.com"').transform((d) =>
      d.toLowerCase(),
    ),
    alarmEmails: z.preprocess(
      (v) => fromCliString(v, true),
      z
        .array(email('ops@example.com'), {
          error: 'must be a list of email addresses, e.g. ["ops@example.com"]',
        })
        .default([]),
    ),
    smsSenderId: text(
      /^(?=.*[A-Za-z])[A-Za-z0-9]{1,11}$/,
      'must be 1-11 letters/digits (at least one letter, no spaces), e.g. "Contact"',
    ).default('Contact'),
    pushPlatformApplicationArns: z.preprocess(
      (v) => fromCliString(v, false),
      z
        .strictObject(
          {
            fcm: text(
              SNS_APP_ARN('GCM'),
              'must be an SNS platform application ARN for FCM, e.g. "arn:aws:sns:eu-west-1:123456789012:app/GCM/my-app"',
            ).optional(),
            apns: text(
              SNS_APP_ARN('APNS|APNS_SANDBOX'),
              'must be an SNS platform application ARN for APNs, e.g. "arn:aws:sns:eu-west-1:123456789012:app/APNS/my-app"',
            ).optional(),
          },
          { error: 'must be an object with only "fcm" and/or "apns" platform application ARNs, e.g. {}' },
        )
        .default({}),
    ),
    strategyFile: text(
      /^(?!\/)(?!.*(?:^|\/)\.\.(?:\/|$))[\w./-]+\.ya?ml$/,
      'must be a relative path to a .yaml file inside the repository, e.g. "strategy/contact-strategy.yaml"',
    ).default('strategy/contact-strategy.yaml'),
    dateTriggerSendHour: z.preprocess(
      // `-c dateTriggerSendHour=8` arrives as the string "8".
      (v) => (typeof v === 'string' && /^\s*\d+\s*$/.test(v) ? Number(v) : v),
      z.int({ error: HOUR }).min(0, { error: HOUR }).max(23, { error: HOUR }).default(9),
    ),
  })
  .superRefine((s, ctx) => {
    // zod runs this even when a field failed; report the mismatch only between two valid values.
    if (typeof s.senderEmail !== 'string' || typeof s.senderDomain !== 'string') return;
    if (!s.senderEmail.includes('@') || !DOMAIN.test(s.senderDomain)) return;
    const domain = s.senderEmail.slice(s.senderEmail.lastIndexOf('@') + 1).toLowerCase();
    if (domain !== s.senderDomain) {
      ctx.addIssue({
        code: 'custom',
        path: ['senderEmail'],
        message: `must be an address at senderDomain "${s.senderDomain}" (SES sends it through that domain identity)`,
      });
    }
  });

const formatPath = (path: readonly PropertyKey[]): string =>
  path.map((p, i) => (typeof p === 'number' ? `[${p}]` : i === 0 ? String(p) : `.${String(p)}`)).join('');

const valueAt = (root: Record<string, unknown>, path: readonly PropertyKey[]): unknown => {
  let value: unknown = root;
  for (const key of path) {
    if (value === null || typeof value !== 'object') return undefined;
    value = (value as Record<PropertyKey, unknown>)[key];
  }
  return value;
};

/**
 * Validates the raw context values and returns the typed, frozen settings.
 *
 * @throws {SettingsError} listing every problem as `cdk.json context "<key>": <value> <what is wrong>`.
 */
export function parseSettings(context: Record<string, unknown>): Settings {
  const raw = Object.fromEntries(SETTING_KEYS.map((key) => [key, context[key]]));
  const result = settingsSchema.safeParse(raw);
  if (!result.success) {
    const problems = result.error.issues.map((issue) => {
      const key = formatPath(issue.path);
      const value = valueAt(raw, issue.path);
      return value === undefined
        ? `cdk.json context "${key}" is not set: it ${issue.message}`
        : `cdk.json context "${key}": ${JSON.stringify(value)} ${issue.message}`;
    });
    throw new SettingsError(problems);
  }
  return Object.freeze(result.data);
}

/** Reads the settings from the context of `scope` (normally the App); see {@link parseSettings}. */
export function settingsFromContext(scope: Construct): Settings {
  return parseSettings(Object.fromEntries(SETTING_KEYS.map((key) => [key, scope.node.tryGetContext(key)])));
}
