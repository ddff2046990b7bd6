import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Profile } from '#shared/domain/customer.ts';
import { compileEngine } from '#shared/engine/compile.ts';
import { renderMomentText } from '#shared/engine/moments.ts';
import {
  buildRenderContext,
  type PrecompiledTemplate,
  type RenderContext,
  type RenderedMessage,
  renderMessage,
  usePrecompiledTemplates,
} from '#shared/engine/render.ts';
import { openSealedStrategy } from '#shared/strategy/bundle.ts';
import { lambdaStrategy, loadCompiledStrategy, strategyBundleJson } from '#shared/strategy/load.ts';
import type { TemplateSet } from '#shared/strategy/templates.ts';
import { CHANNELS, MOMENTS } from '#shared/strategy/vocabulary.ts';

/**
 * A Lambda bundle renders from templates precompiled at build time (Handlebars' runtime only); the
 * local runtime and the tests compile them on first use. Both must produce the same bytes: every
 * template of the shipped strategy, every channel and locale it has, the brand layout around each
 * email, the SMS encoding and parts, and every campaign's moment texts, for an empty and a full profile.
 */

const FILE = 'strategy/contact-strategy.yaml';
const compiled = loadCompiledStrategy(FILE);
const lambda = lambdaStrategy(strategyBundleJson(FILE));
/** The strategy as the bundle carries it: each template text replaced by its key. */
const keyed = openSealedStrategy(lambda.json);

const links = {
  unsubscribe: 'https://prefs.example/unsubscribe?token=abc.def',
  preferences: 'https://prefs.example/preferences?token=abc.def',
};

const profiles: Record<string, Pick<Profile, 'customerId' | 'attributes'> & { locale?: string }> = {
  empty: { customerId: 'c-1', attributes: {} },
  full: {
    customerId: 'c-2',
    locale: 'en',
    attributes: {
      firstName: 'Zoë <b>&</b>',
      lastName: "O'Brien",
      contractType: 'car',
      contractEndDate: '2026-12-31',
      birthDate: '1990-02-28',
      points: 1250,
      tier: 'gold',
      city: 'Utrecht',
    },
  },
};

const event = {
  id: 'e-1',
  source: 'shop.orders',
  'detail-type': 'OrderPlaced',
  time: '2026-05-01T10:00:00Z',
  detail: { total: 612.5, orderId: 'o-9', items: ['a', 'b'] },
};

interface Case {
  readonly name: string;
  readonly render: (templates: TemplateSet) => RenderedMessage;
}

const cases: Case[] = Object.entries(compiled.templates.templates).flatMap(([templateId, file]) =>
  CHANNELS.flatMap((channel) =>
    Object.keys(file[channel] ?? {}).flatMap((locale) =>
      Object.entries(profiles).map(([who, profile]) => ({
        name: `${templateId} ${channel}.${locale} (${who} profile)`,
        render: (templates: TemplateSet) =>
          renderMessage({
            templates,
            templateId,
            channel,
            locale,
            defaultLocale: compiled.strategy.defaults.locale,
            context: buildRenderContext({
              profile,
              event,
              campaign: { id: 'campaign', name: 'Campaign', purpose: 'marketing' },
              variant: 'a',
              ...(compiled.strategy.brand && { brand: compiled.strategy.brand }),
              links,
            }) satisfies RenderContext,
          }),
      })),
    ),
  ),
);

const momentCases = compiled.strategy.campaigns.flatMap((campaign) =>
  MOMENTS.filter((moment) => campaign.moments?.[moment] !== undefined).flatMap((moment) =>
    (['nl', 'en'] as const).map((locale) => ({
      name: `${campaign.id} moment ${moment} in ${locale}`,
      campaignId: campaign.id,
      moment,
      profile: { ...profiles.full, customerId: 'c-3', locale } as Profile,
    })),
  ),
);

/** Rendered the local way (compiled on first use), before any precompiled template is installed. */
const compiledOutput = new Map<string, unknown>();
let dir: string;
let entries: readonly PrecompiledTemplate[];

beforeAll(async () => {
  for (const c of cases) compiledOutput.set(c.name, c.render(compiled.templates));
  const engine = compileEngine(compiled);
  for (const m of momentCases)
    compiledOutput.set(m.name, renderMomentText(engine, m.campaignId, m.moment, m.profile, links));

  dir = mkdtempSync(join(tmpdir(), 'precompiled-'));
  const file = join(dir, 'templates.mjs');
  writeFileSync(file, lambda.precompiledModule);
  const module = (await import(pathToFileURL(file).href)) as {
    __contactPrecompiledTemplates: readonly PrecompiledTemplate[];
  };
  entries = module.__contactPrecompiledTemplates;
  usePrecompiledTemplates(entries);
});

afterAll(() => {
  if (dir) rmSync(dir, { recursive: true, force: true });
});

describe('templates precompiled at build time', () => {
  it('cover the whole strategy (there is something to compare)', () => {
    expect(cases.length).toBeGreaterThan(40);
    expect(momentCases.length).toBeGreaterThan(0);
    expect(cases.some((c) => c.name.includes(' sms.'))).toBe(true);
    expect(cases.some((c) => c.name.includes(' email.'))).toBe(true);
  });

  it('leave no template text in the bundled strategy, only keys to the precompiled code', () => {
    expect(JSON.stringify(keyed.templates)).not.toContain('{{');
    expect(keyed.templates.layout.html.startsWith('\u0000t')).toBe(true);
    expect(Object.keys(keyed.templates.templates)).toEqual(Object.keys(compiled.templates.templates));
  });

  it('precompile every moment text under its own text', () => {
    const keys = new Set(entries.map(([, key]) => key));
    for (const campaign of compiled.strategy.campaigns) {
      for (const text of Object.values(campaign.moments ?? {})) {
        for (const t of typeof text === 'string' ? [text] : Object.values(text ?? {}))
          expect(keys).toContain(t);
      }
    }
  });

  it.each(cases.map((c) => [c.name, c] as const))('render %s byte for byte as compiled ones', (_, c) => {
    const rendered = c.render(keyed.templates);
    expect(rendered).toEqual(compiledOutput.get(c.name));
    if (rendered.channel === 'email') expect(rendered.html).toContain('https://prefs.example/unsubscribe');
  });

  it.each(momentCases.map((m) => [m.name, m] as const))(
    'render %s byte for byte as compiled ones',
    (_, m) => {
      const engine = compileEngine(keyed);
      expect(renderMomentText(engine, m.campaignId, m.moment, m.profile, links)).toEqual(
        compiledOutput.get(m.name),
      );
    },
  );
});
