import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { strategyDiagram } from '#shared/strategy/diagram.ts';
import { JSON_SCHEMA_FILE, strategyJsonSchema } from '#shared/strategy/json-schema.ts';
import { loadCompiledStrategy } from '#shared/strategy/load.ts';
import { main, README_MARKERS } from '#local/cli.ts';

function run(...args: string[]): { code: number; out: string; err: string } {
  const out: string[] = [];
  const err: string[] = [];
  const log = vi.spyOn(console, 'log').mockImplementation((...a: unknown[]) => void out.push(a.join(' ')));
  const error = vi.spyOn(console, 'error').mockImplementation((...a: unknown[]) => void err.push(a.join(' ')));
  const write = vi.spyOn(process.stdout, 'write').mockImplementation((chunk: string | Uint8Array) => {
    out.push(String(chunk));
    return true;
  });
  try {
    return { code: main(args), out: out.join('\n'), err: err.join('\n') };
  } finally {
    log.mockRestore();
    error.mockRestore();
    write.mockRestore();
  }
}

afterEach(() => vi.restoreAllMocks());

describe('contact CLI', () => {
  it('validates the sample strategy', () => {
    const { code, out } = run('validate', 'strategy/contact-strategy.yaml');
    expect(code).toBe(0);
    expect(out).toMatch(/valid — 7 campaigns/);
  });

  it('lists every problem of an invalid strategy and exits 1', () => {
    const dir = mkdtempSync(join(tmpdir(), 'cli-'));
    writeFileSync(join(dir, 's.yaml'), 'version: 2\ncampaigns: []\n');
    const { code, err } = run('validate', join(dir, 's.yaml'));
    expect(code).toBe(1);
    expect(err).toMatch(/version: must be 1/);
    expect(err).toMatch(/campaigns: needs at least one campaign/);
  });

  it('answers test-pattern like aws events test-event-pattern, exit 2 on an invalid pattern', () => {
    const event = JSON.stringify({ source: 'shop.orders', detail: { total: 60 } });
    expect(run('test-pattern', '--pattern', '{"detail":{"total":[{"numeric":[">",50]}]}}', '--event', event).out).toBe('{"Result":true}');
    expect(run('test-pattern', '--pattern', '{"source":["x"]}', '--event', event).out).toBe('{"Result":false}');
    const invalid = run('test-pattern', '--pattern', '{"source":"x"}', '--event', event);
    expect(invalid.code).toBe(2);
    expect(invalid.err).toMatch(/InvalidEventPatternException/);
  });

  it('has --help on every command and refuses unknown ones', () => {
    for (const command of ['validate', 'diagram', 'schema', 'test-pattern']) {
      expect(run(command, '--help')).toMatchObject({ code: 0, out: expect.stringMatching(/^usage: contact /) });
    }
    expect(run('frobnicate').code).toBe(2);
  });

  it('keeps the committed JSON Schema and the README diagram up to date', () => {
    expect(readFileSync(JSON_SCHEMA_FILE, 'utf8')).toBe(strategyJsonSchema());
    const readme = readFileSync('README.md', 'utf8');
    const diagram = strategyDiagram(loadCompiledStrategy('strategy/contact-strategy.yaml').strategy);
    const [start, end] = README_MARKERS;
    expect(readme.slice(readme.indexOf(start), readme.indexOf(end))).toContain(diagram);
  });
});
