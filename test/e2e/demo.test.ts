import { existsSync, mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { type DemoResult, runDemo } from '#local/demo.ts';

/**
 * The demo at a reduced size (60 customers, 800 events over 10 days instead of 1,000 / 20,000 / 60):
 * the live platform — local EventBridge, queues, the real handlers, DynamoDB Local, the SES emulator,
 * local SNS — must account for every trigger exactly once, and `contact simulate` on the same input
 * must decide every campaign exactly as the live platform did.
 */
describe('npm run demo, reduced', () => {
  let result: DemoResult;

  it('runs end to end and writes the report', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'demo-'));
    result = await runDemo({
      customers: 60,
      events: 800,
      days: 10,
      dataDir: dir,
      reportFile: join(dir, 'demo-report.html'),
      ports: { eventBridge: 0, dashboard: 0, dynamodb: 0, ses: 0, sns: 0, aux: 0 },
      print: false,
    });
    expect(existsSync(result.reportPath)).toBe(true);
    expect(readFileSync(result.reportPath, 'utf8')).toMatch(/^<!doctype html>/i);
  }, 600_000);

  it('accounts for every trigger the bus routed in exactly one outcome', () => {
    expect(result.unaccounted).toEqual([]);
    const total = Object.values(result.live).reduce((n, t) => n + t.triggered, 0);
    expect(total).toBeGreaterThan(150);
    expect(Object.values(result.live).reduce((n, t) => n + t.sent, 0)).toBeGreaterThan(20);
  });

  it('agrees with contact simulate on every campaign and outcome', () => {
    expect(result.differences).toEqual([]);
    expect(result.simulated).toEqual(result.live);
  });
});
