import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { CfnElement, Stack } from 'aws-cdk-lib';
import type { Template } from 'aws-cdk-lib/assertions';
import type { IConstruct } from 'constructs';
import type { CampaignRoute } from '#infra/constructs/campaign-routing.ts';
import { type PlatformFunction, REPO_ROOT } from '#infra/constructs/platform-function.ts';
import { type ContactApp, createContactApp } from '#infra/contact-app.ts';
import { activityPattern } from '#shared/routing.ts';
import { DATE_TRIGGER_DETAIL_TYPE, DATE_TRIGGER_SOURCE } from '#shared/strategy/campaign-pattern.ts';
import { loadStrategyFile, strategyBundleJson } from '#shared/strategy/load.ts';

/** The push platform applications the infra tests deploy with. */
export const FCM_APP = 'arn:aws:sns:eu-west-1:123456789012:app/GCM/shop';
export const APNS_APP = 'arn:aws:sns:eu-west-1:123456789012:app/APNS/shop';

/** The platform's functions, by their `functions/<name>.ts` entry (date-triggers only with date campaigns). */
export const FUNCTION_NAMES = [
  'evaluate',
  'deferred',
  'profile',
  'activity',
  'feedback',
  'date-triggers',
  'preferences',
  'export',
  'next-best-offer',
] as const;
export type FunctionName = (typeof FUNCTION_NAMES)[number];

/**
 * A small valid strategy (with templates): its JSON is what the test apps inline into the functions;
 * the tests pass their campaigns inline.
 */
export const FIXTURE_STRATEGY_FILE = 'test/infra/fixtures/strategy/contact-strategy.yaml';

let fixtureJson: string | undefined;
/** The fixture strategy as the functions get it (`strategyBundleJson`), read once per test file. */
export function fixtureStrategyJson(): string {
  fixtureJson ??= strategyBundleJson(join(REPO_ROOT, FIXTURE_STRATEGY_FILE));
  return fixtureJson;
}

/** The activity rule's pattern of the fixture strategy (`activityPattern`). */
export function fixtureActivityPattern() {
  return activityPattern(loadStrategyFile(join(REPO_ROOT, FIXTURE_STRATEGY_FILE)));
}

/** The route of a date-triggered campaign, as `routesFromStrategy` makes it (`campaignPattern`). */
export function dateRoute(id: string): CampaignRoute {
  return {
    id,
    pattern: {
      source: [DATE_TRIGGER_SOURCE],
      'detail-type': [DATE_TRIGGER_DETAIL_TYPE],
      detail: { campaignId: [id] },
    },
    dateTrigger: true,
  };
}

/** The context in cdk.json: the same feature flags and default settings `cdk synth` uses. */
export function cdkJsonContext(): Record<string, unknown> {
  const cdkJson = JSON.parse(readFileSync(join(REPO_ROOT, 'cdk.json'), 'utf8')) as {
    context: Record<string, unknown>;
  };
  return cdkJson.context;
}

/**
 * Builds the whole app as `infra/app.ts` does, with inline campaigns and the fixture strategy's JSON
 * instead of a strategy file. Without bundling unless asked (`bundles.test.ts` builds the real ones):
 * the templates are the same, minus eight esbuild runs.
 */
export function buildApp(
  campaigns: readonly CampaignRoute[],
  context: Record<string, unknown> = {},
  options: { bundle?: boolean } = {},
): ContactApp {
  return createContactApp({
    context: { ...cdkJsonContext(), strategyFile: FIXTURE_STRATEGY_FILE, ...context },
    loadStrategy: () => {
      const activity = fixtureActivityPattern();
      return { campaigns, ...(activity && { activityPattern: activity }), bundleJson: fixtureStrategyJson() };
    },
    bundle: options.bundle ?? false,
  });
}

/** The logical id of the L1 resource behind a construct. */
export function logicalId(stack: Stack, construct: IConstruct): string {
  const element = construct.node.defaultChild ?? construct;
  return stack.getLogicalId(element as CfnElement);
}

/**
 * A CloudFormation value as readable text: `<Logical.Arn>`, `<Ref>`, `<AWS::Region>`, joins
 * concatenated and cross-stack outputs as `<producer-stack:OutputName>`, so assertions compare strings.
 */
export function render(value: unknown): string {
  if (typeof value === 'string') return value;
  if (Array.isArray(value)) return value.map(render).join(',');
  if (value !== null && typeof value === 'object') {
    const [key, arg] = Object.entries(value)[0] ?? [];
    switch (key) {
      case 'Ref':
        return `<${String(arg)}>`;
      case 'Fn::GetAtt':
        return `<${(arg as string[]).join('.')}>`;
      case 'Fn::Join': {
        const [separator, parts] = arg as [string, unknown[]];
        return parts.map(render).join(separator);
      }
      case 'Fn::GetStackOutput': {
        const output = arg as { StackName: string; OutputName: string };
        return `<${output.StackName}:${output.OutputName}>`;
      }
      case 'Fn::ImportValue':
        return `<import:${render(arg)}>`;
    }
  }
  return JSON.stringify(value);
}

/** One IAM statement, with actions and resources as sorted lists of rendered strings. */
export interface FlatStatement {
  readonly effect: string;
  readonly actions: string[];
  readonly resources: string[];
  readonly condition?: unknown;
  readonly policy: string;
}

const list = (value: unknown): unknown[] =>
  Array.isArray(value) ? value : value === undefined ? [] : [value];

/** Every statement of every AWS::IAM::Policy attached to the role, and of its inline policies. */
export function statementsOfRole(template: Template, roleLogicalId: string): FlatStatement[] {
  const out: FlatStatement[] = [];
  const add = (policy: string, document: { Statement?: unknown }) => {
    for (const raw of list(document.Statement)) {
      const s = raw as { Effect: string; Action: unknown; Resource: unknown; Condition?: unknown };
      out.push({
        policy,
        effect: s.Effect,
        actions: list(s.Action).map(render).sort(),
        resources: list(s.Resource).map(render).sort(),
        ...(s.Condition ? { condition: s.Condition } : {}),
      });
    }
  };
  for (const [id, resource] of Object.entries(template.findResources('AWS::IAM::Policy'))) {
    const props = resource.Properties as { Roles?: unknown[]; PolicyDocument: { Statement?: unknown } };
    if (list(props.Roles).some((r) => render(r) === `<${roleLogicalId}>`)) add(id, props.PolicyDocument);
  }
  const role = template.findResources('AWS::IAM::Role')[roleLogicalId];
  for (const inline of list((role?.Properties as { Policies?: unknown[] } | undefined)?.Policies)) {
    const p = inline as { PolicyName: string; PolicyDocument: { Statement?: unknown } };
    add(p.PolicyName, p.PolicyDocument);
  }
  return out;
}

/** action → sorted resources, over all Allow statements: what the role may do, where. */
export function permissionsOf(statements: readonly FlatStatement[]): Record<string, string[]> {
  const map: Record<string, Set<string>> = {};
  for (const s of statements.filter((x) => x.effect === 'Allow')) {
    for (const action of s.actions) {
      const set = map[action] ?? new Set<string>();
      for (const resource of s.resources) set.add(resource);
      map[action] = set;
    }
  }
  return Object.fromEntries(
    Object.entries(map)
      .sort(([a], [b]) => a.localeCompare(b))
      .map(([action, set]) => [action, [...set].sort()]),
  );
}

/** The app's functions, by name (the app must have a date-triggered campaign). */
export function functionsOf(app: ContactApp): Record<FunctionName, PlatformFunction> {
  const s = app.stateless;
  if (!s.dateTriggers) throw new Error('expected the date-triggers function');
  return {
    evaluate: s.evaluate.fn,
    deferred: s.deferred.fn,
    profile: s.profile.fn,
    activity: s.activity.fn,
    feedback: s.feedback.fn,
    'date-triggers': s.dateTriggers.fn,
    preferences: s.preferences.fn,
    export: s.exportFunction,
    'next-best-offer': s.moments.fn,
  };
}
