import { mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { LOG_DIR, SCAN_REPORT, scanLogDir } from './support/pii-scan.ts';

/** Scans the captured logs, writes the report, and throws when personal data was found. */
export function scanOrThrow(dir = LOG_DIR, report = SCAN_REPORT): void {
  const hits = scanLogDir(dir);
  writeFileSync(report, `${JSON.stringify({ hits: hits.length, details: hits.slice(0, 200) }, null, 2)}\n`);
  if (hits.length > 0) {
    const lines = hits.slice(0, 20).map((h) => `  ${h.file}:${h.line} ${h.kind}: ${h.excerpt}`);
    throw new Error(
      `personal data in the test logs (${hits.length} hits, see ${report}):\n${lines.join('\n')}`,
    );
  }
}

/**
 * A global setup whose teardown scans the logs of the whole run (captured by test/setup-env.ts) for
 * personal data. A hit fails the run: vitest exits non-zero, and `.reports/pii-scan.json` says where
 * (the matches masked), for CI and for a reader.
 */
export default function setup(): () => void {
  rmSync(LOG_DIR, { recursive: true, force: true });
  mkdirSync(LOG_DIR, { recursive: true });
  return () => scanOrThrow();
}
