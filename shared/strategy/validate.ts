import type { z } from 'zod';
import { validateEventPattern } from '#shared/event-pattern/index.ts';
import { type Campaign, CHANNELS, type Strategy, strategySchema } from './schema.ts';
import { type TemplateSet, templateLocales } from './templates.ts';

/** `['campaigns', 2, 'caps', 0, 'per']` → `campaigns[2].caps[0].per`. */
export function formatPath(path: readonly PropertyKey[]): string {
  return path
    .map((key, i) => (typeof key === 'number' ? `[${key}]` : `${i === 0 ? '' : '.'}${String(key)}`))
    .join('');
}

export interface Problem {
  readonly path: readonly (string | number)[];
  readonly message: string;
}

export function zodProblems(error: z.ZodError): Problem[] {
  return error.issues.map((issue) => ({
    path: issue.path.filter((k): k is string | number => typeof k !== 'symbol'),
    message: issue.message,
  }));
}

const ISO_DATE = /^\d{4}-\d{2}-\d{2}$/;
const RELATIVE_DATE = /^[+-]\d{1,4}[dwy]$/;
const ATTRIBUTE = /^[A-Za-z_][A-Za-z0-9_]{0,63}$/;

function checkPattern(pattern: unknown, path: (string | number)[], problems: Problem[]): void {
  try {
    validateEventPattern(pattern);
  } catch (error) {
    problems.push({ path, message: `is not a valid EventBridge pattern: ${(error as Error).message}` });
  }
}

function checkCampaign(
  campaign: Campaign,
  i: number,
  strategy: Strategy,
  templates: TemplateSet,
  problems: Problem[],
): void {
  const at = (...rest: (string | number)[]) => ['campaigns', i, ...rest];
  const { trigger } = campaign;
  if (trigger.pattern) checkPattern(trigger.pattern, at('trigger', 'pattern'), problems);
  if (trigger.when?.count.filter)
    checkPattern(trigger.when.count.filter, at('trigger', 'when', 'count', 'filter'), problems);
  if (trigger.when && !trigger.pattern) {
    problems.push({
      path: at('trigger', 'when'),
      message: 'a threshold rule needs an event pattern to trigger on',
    });
  }
  if (trigger.date && !ATTRIBUTE.test(trigger.date.attribute)) {
    problems.push({
      path: at('trigger', 'date', 'attribute'),
      message: `${JSON.stringify(trigger.date.attribute)} is not an attribute name (letters, digits, _; e.g. contractEndDate)`,
    });
  }
  if (campaign.holdout > 50) {
    problems.push({
      path: at('holdout'),
      message: `${campaign.holdout}% is outside 0–50% (a control group above half wastes reach)`,
    });
  }
  const weights = campaign.variants.reduce((sum, v) => sum + v.weight, 0);
  if (Math.abs(weights - 100) > 1e-9) {
    problems.push({ path: at('variants'), message: `variant weights add up to ${weights}, not 100` });
  }
  const variantIds = new Set<string>();
  campaign.variants.forEach((v, j) => {
    if (variantIds.has(v.id))
      problems.push({ path: at('variants', j, 'id'), message: `duplicate variant id "${v.id}"` });
    variantIds.add(v.id);
    const template = templates.templates[v.template];
    if (!template) {
      const known = Object.keys(templates.templates).sort().join(', ');
      problems.push({
        path: at('variants', j, 'template'),
        message: `unknown template "${v.template}" (known: ${known || 'none'})`,
      });
      return;
    }
    for (const [k, ch] of campaign.channels.entries()) {
      if (ch === 'preferred') continue;
      const locales = templateLocales(template, ch);
      if (locales.length === 0) {
        problems.push({
          path: at('channels', k),
          message: `channel ${ch} has no template: add "${ch}:" to template ${v.template}`,
        });
      } else if (!locales.includes(strategy.defaults.locale)) {
        problems.push({
          path: at('variants', j, 'template'),
          message: `template ${v.template} has no ${ch} text in the default locale "${strategy.defaults.locale}" (has ${locales.join(', ')})`,
        });
      }
    }
    if (
      campaign.channels.includes('preferred') &&
      !CHANNELS.some((ch) => templateLocales(template, ch).length > 0)
    ) {
      problems.push({
        path: at('variants', j, 'template'),
        message: `template ${v.template} has no channel at all`,
      });
    }
  });
  if (campaign.channels.includes('webhook')) {
    if (!campaign.webhook)
      problems.push({ path: at('webhook'), message: 'the webhook channel needs a webhook target' });
    else if (!strategy.webhooks[campaign.webhook]) {
      problems.push({
        path: at('webhook'),
        message: `unknown webhook "${campaign.webhook}" (define it under webhooks)`,
      });
    }
  }
  const seen = new Set<string>();
  campaign.channels.forEach((ch, k) => {
    if (seen.has(ch)) problems.push({ path: at('channels', k), message: `channel ${ch} is listed twice` });
    seen.add(ch);
  });
  for (const [name, filter] of Object.entries(campaign.audience)) {
    if (!ATTRIBUTE.test(name)) {
      problems.push({
        path: at('audience', name),
        message: `${JSON.stringify(name)} is not an attribute name`,
      });
    }
    if (
      typeof filter === 'object' &&
      filter !== null &&
      !Array.isArray(filter) &&
      ('after' in filter || 'before' in filter)
    ) {
      for (const key of ['after', 'before'] as const) {
        const value = (filter as Record<string, unknown>)[key];
        if (typeof value === 'string' && !ISO_DATE.test(value) && !RELATIVE_DATE.test(value)) {
          problems.push({
            path: at('audience', name, key),
            message: `${JSON.stringify(value)} is not a date (use 2024-01-31, or -30d / -18y relative to today)`,
          });
        }
      }
    }
  }
  const quiet = campaign.quietHours === undefined ? strategy.defaults.quietHours : campaign.quietHours;
  if (quiet && quiet.from === quiet.to) {
    problems.push({
      path: at('quietHours'),
      message: `quiet hours from ${quiet.from} to ${quiet.to} are empty`,
    });
  }
}

/**
 * Validates a parsed strategy document (already YAML-decoded) against the schema and the checks that
 * need the whole file. Returns every problem at once, never just the first.
 */
export function validateStrategy(
  document: unknown,
  templates: TemplateSet,
): { strategy: Strategy; problems: [] } | { strategy?: undefined; problems: Problem[] } {
  const parsed = strategySchema.safeParse(document);
  if (!parsed.success) return { problems: zodProblems(parsed.error) };
  const strategy = parsed.data;
  const problems: Problem[] = [];
  const ids = new Map<string, number>();
  strategy.campaigns.forEach((campaign, i) => {
    const first = ids.get(campaign.id);
    if (first !== undefined) {
      problems.push({
        path: ['campaigns', i, 'id'],
        message: `duplicate campaign id "${campaign.id}" (also campaigns[${first}])`,
      });
    } else ids.set(campaign.id, i);
    checkCampaign(campaign, i, strategy, templates, problems);
  });
  if (strategy.defaults.quietHours && strategy.defaults.quietHours.from === strategy.defaults.quietHours.to) {
    problems.push({
      path: ['defaults', 'quietHours'],
      message: 'quiet hours with equal from and to are empty',
    });
  }
  return problems.length > 0 ? { problems } : { strategy, problems: [] };
}
