import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { StrategyValidationError } from '#shared/errors.ts';
import { loadCompiledStrategy } from '#shared/strategy/load.ts';
import { formatPath, validateStrategy } from '#shared/strategy/validate.ts';
import { fixtureStrategyDocument, fixtureTemplates } from '../support/engine-fixture.ts';

function problemsOf(
  overrides: Record<string, Record<string, unknown>>,
  mutate?: (doc: Record<string, unknown>) => void,
): string[] {
  const doc = fixtureStrategyDocument(overrides) as Record<string, unknown>;
  mutate?.(doc);
  return validateStrategy(doc, fixtureTemplates).problems.map((p) => `${formatPath(p.path)}: ${p.message}`);
}

describe('strategy validation: every problem named by its path, with the fix', () => {
  it('accepts the fixture strategy', () => {
    expect(problemsOf({})).toEqual([]);
  });

  it.each([
    [
      'a duration that is not one',
      { loyalty: { caps: [{ max: 1, per: '7 days' }] } },
      'campaigns[1].caps[0].per: "7 days" is not a duration (use 7d, 12h, 30m)',
    ],
    [
      'variant weights not adding up to 100',
      {
        loyalty: {
          variants: [
            { id: 'a', weight: 50, template: 'loyalty-a' },
            { id: 'b', weight: 40, template: 'loyalty-b' },
          ],
        },
      },
      'campaigns[1].variants: variant weights add up to 90, not 100',
    ],
    ['a holdout above 50%', { loyalty: { holdout: '60%' } }, 'campaigns[1].holdout: 60% is outside 0–50%'],
    [
      'an unknown template',
      { welcome: { variants: [{ id: 'a', weight: 100, template: 'welkom' }] } },
      'campaigns[0].variants[0].template: unknown template "welkom"',
    ],
    [
      'a channel without a template',
      { cart: { channels: ['email', 'sms'], variants: [{ id: 'a', weight: 100, template: 'email-only' }] } },
      'campaigns[3].channels[1]: channel sms has no template: add "sms:" to template email-only',
    ],
    [
      'a date attribute that is not an identifier',
      { cart: { trigger: { date: { attribute: 'contract end' } } } },
      'campaigns[3].trigger.date.attribute: "contract end" is not an attribute name',
    ],
    [
      'an invalid EventBridge pattern',
      { welcome: { trigger: { pattern: { source: 'shop.newsletter' } } } },
      'campaigns[0].trigger.pattern: is not a valid EventBridge pattern',
    ],
    [
      'both a pattern and a date',
      { welcome: { trigger: { pattern: { source: ['x'] }, date: { attribute: 'birthDate' } } } },
      'campaigns[0].trigger: a trigger needs exactly one of pattern or date',
    ],
    [
      'an unknown channel',
      { welcome: { channels: ['email', 'fax'] } },
      'campaigns[0].channels[1]: "fax" is not a channel (use preferred, email, sms, push, webhook)',
    ],
    [
      'an unknown purpose',
      { welcome: { purpose: 'sales' } },
      'campaigns[0].purpose: "sales" is not a consent purpose',
    ],
    [
      'a webhook channel without a target',
      {
        welcome: {
          channels: ['email', 'webhook'],
          variants: [{ id: 'a', weight: 100, template: 'welcome' }],
        },
      },
      'campaigns[0].channels[1]: channel webhook has no template',
    ],
    [
      'an audience date that is not a date',
      { welcome: { audience: { birthDate: { before: 'eighteen years ago' } } } },
      'campaigns[0].audience.birthDate.before: "eighteen years ago" is not a date',
    ],
    [
      'an unknown field (typo)',
      { welcome: { channel: ['email'] } },
      'campaigns[0]: Unrecognized key: "channel"',
    ],
  ])('%s', (_, overrides, expected) => {
    expect(problemsOf(overrides).join('\n')).toContain(expected);
  });

  it('reports a duplicate campaign id', () => {
    const problems = problemsOf({}, (doc) => {
      const campaigns = doc.campaigns as Record<string, unknown>[];
      campaigns.push({ ...campaigns[0] });
    });
    expect(problems).toContain('campaigns[5].id: duplicate campaign id "welcome" (also campaigns[0])');
  });

  it('reports every problem at once, not just the first', () => {
    const problems = problemsOf({
      welcome: { variants: [{ id: 'a', weight: 100, template: 'nope' }] },
      loyalty: { holdout: '70%' },
    });
    expect(problems.length).toBeGreaterThanOrEqual(2);
  });

  it('names the file and line of each problem when loading from disk', () => {
    const dir = mkdtempSync(join(tmpdir(), 'strategy-'));
    writeFileSync(
      join(dir, 'strategy.yaml'),
      [
        'version: 1',
        'campaigns:',
        '  - id: Welcome',
        '    trigger: { pattern: { source: [a] } }',
        '    channels: [email]',
        '    variants: [{ id: a, weight: 100, template: t }]',
        '',
      ].join('\n'),
    );
    const attempt = () => loadCompiledStrategy(join(dir, 'strategy.yaml'), join(dir, 'templates'));
    expect(attempt).toThrow(StrategyValidationError);
    expect(attempt).toThrow(/strategy\.yaml:3 campaigns\[0\]\.id: "Welcome" is not an id/);
  });

  it('reports YAML syntax errors with their position and changes nothing', () => {
    const dir = mkdtempSync(join(tmpdir(), 'strategy-'));
    writeFileSync(join(dir, 'strategy.yaml'), 'version: 1\ncampaigns: [\n');
    expect(() => loadCompiledStrategy(join(dir, 'strategy.yaml'))).toThrow(/strategy\.yaml:\d+:\d+/);
  });
});
