import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { REPO_ROOT } from '#infra/constructs/platform-function.ts';
import { cdkJsonContext } from './helpers.ts';

/** Runs the CDK entry point the way the CLI does: context in CDK_CONTEXT_JSON, output in CDK_OUTDIR. */
function runApp(context: Record<string, unknown>) {
  const outdir = mkdtempSync(join(tmpdir(), 'contact-app-'));
  try {
    const result = spawnSync(process.execPath, ['--import', 'tsx', 'infra/app.ts'], {
      cwd: REPO_ROOT,
      encoding: 'utf8',
      timeout: 60_000,
      env: {
        ...process.env,
        CDK_CONTEXT_JSON: JSON.stringify({ ...cdkJsonContext(), ...context }),
        CDK_OUTDIR: outdir,
      },
    });
    return { status: result.status, stderr: result.stderr };
  } finally {
    rmSync(outdir, { recursive: true, force: true });
  }
}

describe('infra/app.ts (the cdk.json entry point)', () => {
  it('stops with every settings problem, naming the keys, and no stack trace', () => {
    const { status, stderr } = runApp({ smsSenderId: 'Contact Centre', stage: 'Prod' });
    expect(status).toBe(1);
    expect(stderr).toContain('invalid deploy settings (2 problems)');
    expect(stderr).toContain('cdk.json context "smsSenderId": "Contact Centre" must be 1-11 letters/digits');
    expect(stderr).toContain('cdk.json context "stage": "Prod"');
    expect(stderr).not.toMatch(/^\s+at /m);
  });

  it('stops with the strategy loader’s list of problems for an invalid strategy file', () => {
    const { status, stderr } = runApp({
      strategyFile: 'test/infra/fixtures/invalid-strategy/contact-strategy.yaml',
    });
    expect(status).toBe(1);
    expect(stderr).toContain('invalid contact strategy');
    expect(stderr).toMatch(/version: must be 1/);
    expect(stderr).not.toMatch(/^\s+at /m);
  });
});
