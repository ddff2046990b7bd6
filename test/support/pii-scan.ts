import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';

/**
 * The scan of the test suite's logs for personal data: every line any test process wrote (stdout,
 * stderr, console, the Powertools logger) is captured by test/setup-env.ts into `.reports/logs/`, and
 * test/pii-scan-teardown.ts fails the run on any hit. The patterns are those of the data the tests
 * and the sample data use: email addresses, phone numbers, push tokens, and the customers' names.
 */
export const LOG_DIR = '.reports/logs';
export const SCAN_REPORT = '.reports/pii-scan.json';

export interface PiiHit {
  readonly file: string;
  readonly line: number;
  readonly kind: string;
  /** The line with the match masked: the report itself must not leak it. */
  readonly excerpt: string;
}

const namesIn = (source: string, list: string): string[] => {
  const body = new RegExp(`const ${list} = \\[([^\\]]*)\\]`).exec(source)?.[1] ?? '';
  return [...body.matchAll(/'([^']+)'/g)].map((m) => m[1] ?? '').filter((n) => n.length >= 4);
};

/** The names of the test customers: those the tests give, and the sample data's (4+ letters). */
export function customerNames(root = process.cwd()): string[] {
  const source = readFileSync(join(root, 'local/sample-data.ts'), 'utf8');
  const sample = ['FIRST_NL', 'FIRST_BE', 'LAST_NL', 'LAST_BE'].flatMap((l) => namesIn(source, l));
  return [...new Set(['Anna', 'Bram', 'Sanne', 'Ilse', 'Fuzz', ...sample])];
}

const escapeRegExp = (s: string) => s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');

export function piiPatterns(names: readonly string[] = customerNames()): [string, RegExp][] {
  return [
    ['email address', /[A-Za-z0-9._%+-]+@[A-Za-z0-9-]+(?:\.[A-Za-z0-9-]+)*\.[A-Za-z]{2,}/g],
    // E.164, and Dutch / Belgian national mobile numbers as customers type them.
    [
      'phone number',
      // (Not inside an id: a UUID such as 06123456-7890-... has digits that look like a mobile number.)
      /(?<![\w.:-])\+[1-9]\d{7,14}(?![\w-])|(?<![\w.:-])0[46][\s-]?\d{2}[\s-]?\d{2}[\s-]?\d{2}[\s-]?\d{2}(?![\w-])/g,
    ],
    // APNs device tokens (64 hex), FCM registration tokens, and the tests' `token-<id>` push tokens.
    ['push token', /(?<![0-9a-f])[0-9a-f]{64}(?![0-9a-f])|[\w-]{11,}:APA91[\w-]{20,}|\btoken-c-[\w-]+/gi],
    [
      'customer name',
      new RegExp(`(?<![\\p{L}\\d_-])(?:${names.map(escapeRegExp).join('|')})(?![\\p{L}\\d_-])`, 'gu'),
    ],
  ];
}

export function scanText(text: string, file = '<text>', patterns = piiPatterns()): PiiHit[] {
  const hits: PiiHit[] = [];
  for (const [i, line] of text.split('\n').entries()) {
    for (const [kind, pattern] of patterns) {
      pattern.lastIndex = 0;
      if (!pattern.test(line)) continue;
      pattern.lastIndex = 0;
      hits.push({ file, line: i + 1, kind, excerpt: line.replace(pattern, '<redacted>').slice(0, 300) });
    }
  }
  return hits;
}

export function scanLogDir(dir = LOG_DIR): PiiHit[] {
  const patterns = piiPatterns();
  let files: string[];
  try {
    files = readdirSync(dir).filter((f) => f.endsWith('.log'));
  } catch {
    return [];
  }
  return files.flatMap((f) => scanText(readFileSync(join(dir, f), 'utf8'), f, patterns));
}
