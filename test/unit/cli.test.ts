import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { main, README_MARKERS } from '#local/cli.ts';
import { strategyDiagram } from '#shared/strategy/diagram.ts';
import { JSON_SCHEMA_FILE, strategyJsonSchema } from '#shared/strategy/json-schema.ts';
import { loadCompiledStrategy } from '#shared/strategy/load.ts';

async function run(...args: string[]): Promise<{ code: number; out: string; err: string }> {
  const out: string[] = [];
  const err: string[] = [];
  const log = vi.spyOn(console, 'log').mockImplementation((...a: unknown[]) => void out.push(a.join(' ')));
  const error = vi
    .spyOn(console, 'error')
    .mockImplementation((...a: unknown[]) => void err.push(a.join(' ')));
  const write = vi.spyOn(process.stdout, 'write').mockImplementation((chunk: string | Uint8Array) => {
    out.push(String(chunk));
    return true;
  });
  try {
    const code = await main(args);
    return { code, out: out.join('\n'), err: err.join('\n') };
  } finally {
    log.mockRestore();
    error.mockRestore();
    write.mockRestore();
  }
}

afterEach(() => vi.restoreAllMocks());

describe('contact CLI', () => {
  it('validates the sample strategy', async () => {
    const { code, out } = await run('validate', 'strategy/contact-strategy.yaml');
    expect(code).toBe(0);
    expect(out).toMatch(/valid — 7 campaigns/);
  });

  it('lists every problem of an invalid strategy and exits 1', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'cli-'));
    writeFileSync(join(dir, 's.yaml'), 'version: 2\ncampaigns: []\n');
    const { code, err } = await run('validate', join(dir, 's.yaml'));
    expect(code).toBe(1);
    expect(err).toMatch(/version: must be 1/);
    expect(err).toMatch(/campaigns: needs at least one campaign/);
  });

  it('answers test-pattern like aws events test-event-pattern, exit 2 on an invalid pattern', async () => {
    const event = JSON.stringify({ source: 'shop.orders', detail: { total: 60 } });
    expect(
      (
        await run(
          'test-pattern',
          '--pattern',
          '{"detail":{"total":[{"numeric":[">",50]}]}}',
          '--event',
          event,
        )
      ).out,
    ).toBe('{"Result":true}');
    expect((await run('test-pattern', '--pattern', '{"source":["x"]}', '--event', event)).out).toBe(
      '{"Result":false}',
    );
    const invalid = await run('test-pattern', '--pattern', '{"source":"x"}', '--event', event);
    expect(invalid.code).toBe(2);
    expect(invalid.err).toMatch(/InvalidEventPatternException/);
  });

  it('has --help on every command and refuses unknown ones', async () => {
    for (const command of ['validate', 'diagram', 'schema', 'test-pattern']) {
      expect(await run(command, '--help')).toMatchObject({
        code: 0,
        out: expect.stringMatching(/^usage: contact /),
      });
    }
    expect((await run('frobnicate')).code).toBe(2);
  });

  it('keeps the committed JSON Schema and the README diagram up to date', async () => {
    expect(readFileSync(JSON_SCHEMA_FILE, 'utf8')).toBe(strategyJsonSchema());
    const readme = readFileSync('README.md', 'utf8');
    const diagram = strategyDiagram(loadCompiledStrategy('strategy/contact-strategy.yaml').strategy);
    const [start, end] = README_MARKERS;
    expect(readme.slice(readme.indexOf(start), readme.indexOf(end))).toContain(diagram);
  });
});
