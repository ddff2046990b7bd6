import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { readCustomersFile } from '#local/import.ts';
import { writeSampleData } from '#local/sample-data.ts';
import { readEventsFile, replayWindow, type SimulationResult, simulate } from '#local/simulate.ts';
import { type DecisionDiff, decisionLabel, diffDecisions } from '#local/simulate-diff.ts';
import type { ContactRecord } from '#shared/domain/store.ts';
import { type CompiledStrategy, loadCompiledStrategy } from '#shared/strategy/load.ts';
import { validateStrategy } from '#shared/strategy/validate.ts';

/**
 * `contact simulate --diff`, decision by decision, on a generated history (300 customers, 6,000 events
 * over 30 days): the changed pairs account exactly for how the two contact histories differ, and a
 * change to one campaign pairs every other campaign's decisions as before (the replay's made-up ids
 * do not shift). The hand-reasoned cases are in simulate.test.ts.
 */

const base = loadCompiledStrategy('strategy/contact-strategy.yaml');
let dir: string;
let input: Omit<Parameters<typeof simulate>[0], 'strategy'>;
let baseRun: SimulationResult;

/** The sample strategy, changed in place. */
function changed(
  edit: (document: { contactRules: Record<string, unknown>; campaigns: Record<string, unknown>[] }) => void,
) {
  const document = parse(readFileSync('strategy/contact-strategy.yaml', 'utf8'));
  edit(document);
  const result = validateStrategy(document, base.templates);
  if (!result.strategy) throw new Error(JSON.stringify(result.problems));
  return { strategy: result.strategy, templates: base.templates } satisfies CompiledStrategy;
}

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'simulate-diff-'));
  const files = writeSampleData(dir, { customers: 300, events: 6_000, days: 30 });
  const { events } = readEventsFile(files.eventsFile);
  const window = replayWindow(events);
  const customers = readCustomersFile(files.customersFile, window.start).valid.flatMap((r) => r.events);
  input = { customers, events, start: window.start, until: window.until };
  baseRun = await simulate({ strategy: base, ...input });
}, 120_000);

afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** Per campaign and label, how many records. */
function labels(records: readonly ContactRecord[]): Map<string, number> {
  const out = new Map<string, number>();
  for (const r of records) {
    const key = `${r.campaignId} ${decisionLabel(r)}`;
    out.set(key, (out.get(key) ?? 0) + 1);
  }
  return out;
}

/** The base history's labels with every change applied: must give the other history's. */
function applied(records: readonly ContactRecord[], d: DecisionDiff): Map<string, number> {
  const out = labels(records);
  const add = (key: string, n: number) => {
    const next = (out.get(key) ?? 0) + n;
    if (next === 0) out.delete(key);
    else out.set(key, next);
  };
  for (const c of d.changes) {
    if (c.base) add(`${c.campaignId} ${c.base.label}`, -1);
    if (c.other) add(`${c.campaignId} ${c.other.label}`, 1);
  }
  return out;
}

describe('contact simulate --diff, decision by decision', () => {
  it('a tighter marketing cap: the changed pairs turn the one history into the other, label by label', async () => {
    const other = await simulate({
      strategy: changed((s) => {
        const caps = s.contactRules.caps as { purpose?: string; max: number }[];
        for (const cap of caps) if (cap.purpose === 'marketing') cap.max = 2;
      }),
      ...input,
    });
    const d = diffDecisions(baseRun.records, other.records);
    expect(d.changed).toBeGreaterThan(10);
    expect(applied(baseRun.records, d)).toEqual(labels(other.records));
    expect(d.transitions.reduce((n, t) => n + t.count, 0)).toBe(d.changed);
    expect(d.customers).toBe(new Set(d.changes.map((c) => c.customerId)).size);
    // A cap decides nothing away: the same pairs are decided under both, only differently.
    expect(d.changes.every((c) => c.base && c.other)).toBe(true);
    expect(d.pairs).toBe(baseRun.records.length);
    // And the new suppressions say which cap, with its count.
    const capped = d.changes.filter((c) => c.other?.label === 'suppressed (cap_reached)');
    expect(capped.length).toBeGreaterThan(0);
    for (const c of capped)
      expect(c.other?.why.join('; ')).toMatch(/(cap|rule).*: \d+ of \d+ per \d+d used/i);
  });

  it('a paused date campaign takes only its own decisions away: the other date triggers pair as before', async () => {
    const other = await simulate({
      strategy: changed((s) => {
        const birthday = s.campaigns.find((c) => c.id === 'birthday');
        if (birthday) birthday.enabled = false;
      }),
      ...input,
    });
    const d = diffDecisions(baseRun.records, other.records);
    expect(applied(baseRun.records, d)).toEqual(labels(other.records));
    const birthdays = baseRun.records.filter((r) => r.campaignId === 'birthday').length;
    expect(birthdays).toBeGreaterThan(0);
    const gone = d.changes.filter((c) => c.campaignId === 'birthday');
    expect(gone).toHaveLength(birthdays);
    expect(gone.every((c) => c.base && !c.other)).toBe(true);
    // Every other campaign's pair exists under both (a freed cap slot may change how it is decided).
    expect(d.changes.filter((c) => c.campaignId !== 'birthday').every((c) => c.base && c.other)).toBe(true);
  });
});
