import { execFile } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, describe, expect, it } from 'vitest';
import { writeSampleData } from '#local/sample-data.ts';

/**
 * `contact simulate` never sends, so it must not load the AWS SDK's EventBridge client (~0.1 s of
 * start-up in the main thread and again in every worker thread): local/import.ts, which simulate
 * reads customers files with, loads it only when `contact import` sends. Pinned by running the real
 * command under a module loader hook that refuses to resolve the package: any import of it, static
 * or dynamic, in any thread, then fails the command. `contact import` under the same hook shows the
 * hook bites.
 */

const run = promisify(execFile);
const dir = mkdtempSync(join(tmpdir(), 'simulate-startup-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const REFUSED = 'refused by the test: @aws-sdk/client-eventbridge';
const loader = join(dir, 'refuse-eventbridge.mjs');
writeFileSync(
  loader,
  `export async function resolve(specifier, context, next) {
  if (/^@aws-sdk\\/client-eventbridge(\\/|$)/.test(specifier)) throw new Error(${JSON.stringify(REFUSED)});
  return next(specifier, context);
}\n`,
);
const hook = join(dir, 'hook.mjs');
writeFileSync(
  hook,
  `import { register } from 'node:module';\nregister(${JSON.stringify(`file://${loader}`)});\n`,
);

/** bin/contact.js with the hook (worker threads inherit `--import`); exit code and output. */
async function contact(args: string[]): Promise<{ code: number; out: string }> {
  try {
    const { stdout, stderr } = await run(process.execPath, ['--import', hook, 'bin/contact.js', ...args], {
      env: { ...process.env, CI: 'true' },
      timeout: 120_000,
    });
    return { code: 0, out: stdout + stderr };
  } catch (error) {
    const e = error as { code?: number; stdout?: string; stderr?: string };
    return { code: e.code ?? -1, out: `${e.stdout ?? ''}${e.stderr ?? ''}` };
  }
}

describe('contact simulate without the AWS SDK', () => {
  const { customersFile, eventsFile } = writeSampleData(join(dir, 'data'), {
    customers: 60,
    events: 600,
    days: 7,
  });

  it('replays on two threads without ever resolving @aws-sdk/client-eventbridge', async () => {
    const { code, out } = await contact([
      'simulate',
      '--events',
      eventsFile,
      '--customers',
      customersFile,
      '--workers',
      '2',
    ]);
    expect(out).not.toContain(REFUSED);
    expect(out).toMatch(/^replay: .*; 2 threads$/m);
    expect(code).toBe(0);
  }, 120_000);

  it('while contact import, which sends, does resolve it (the hook bites)', async () => {
    const { code, out } = await contact([
      'import',
      '--customers',
      customersFile,
      '--endpoint',
      'http://127.0.0.1:9',
    ]);
    expect(out).toContain(REFUSED);
    expect(code).not.toBe(0);
  }, 120_000);
});
