import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import JSON5 from 'json5';
import { afterAll, describe, expect, it } from 'vitest';
import { compileEventPattern, InvalidEventPatternError } from '#shared/event-pattern/index.ts';

/**
 * Runs the EventBridge conformance corpus (cases checked against the real TestEventPattern API,
 * see shared/conformance/README.md) when it is present next to the repository. Each `.json5` file
 * holds `{ Event, EventPattern }`; a case may instead be split in two plain JSON files, `X.json`
 * (the event) and `X_pattern.json` (the pattern text), to keep duplicate keys. The name says the
 * expected answer: `_NEG` no match, `_EXC` invalid pattern, otherwise a match.
 */
const CORPUS = fileURLToPath(new URL('../../../shared/conformance/eventbridge-patterns', import.meta.url));
const present = existsSync(CORPUS);
const files = present
  ? readdirSync(CORPUS)
      .filter((f) => /\.json5?$/.test(f))
      .sort()
  : [];

type Expected = 'match' | 'no match' | 'invalid';
interface Case {
  readonly file: string;
  readonly expected: Expected;
  readonly load: () => { pattern: unknown; event: unknown };
}

function toCase(file: string): Case {
  const read = (name: string): string => readFileSync(join(CORPUS, name), 'utf8');
  const split = file.endsWith('.json') ? /^(.*?)(_pattern)?\.json$/.exec(file) : null;
  const stem = split?.[1] ?? file.replace(/\.json5$/, '');
  const expected: Expected = stem.endsWith('_EXC') ? 'invalid' : stem.endsWith('_NEG') ? 'no match' : 'match';
  const load = split
    ? () => ({ pattern: read(`${stem}_pattern.json`), event: JSON.parse(read(`${stem}.json`)) as unknown })
    : () => {
        const parsed = JSON5.parse<{ Event: unknown; EventPattern: unknown }>(read(file));
        return { pattern: parsed.EventPattern, event: parsed.Event };
      };
  return { file, expected, load };
}

function outcome({ pattern, event }: { pattern: unknown; event: unknown }): Expected {
  try {
    return compileEventPattern(pattern)(event) ? 'match' : 'no match';
  } catch (error) {
    if (error instanceof InvalidEventPatternError) return 'invalid';
    throw error;
  }
}

const tally = { passed: 0, failed: 0 };

describe.skipIf(!present)(
  present
    ? `EventBridge conformance corpus (${files.length} files in ${CORPUS})`
    : `EventBridge conformance corpus: not found at ${CORPUS}, skipped`,
  () => {
    afterAll(() => {
      console.log(
        `eventbridge conformance: ${tally.passed} passed, ${tally.failed} failed of ${files.length}`,
      );
    });

    it.each(files.length > 0 ? files : ['(no corpus)'])('%s', (file) => {
      const { expected, load } = toCase(file);
      let actual: Expected | string;
      try {
        actual = outcome(load());
      } catch (error) {
        actual = `error: ${String(error)}`;
      }
      if (actual === expected) tally.passed++;
      else tally.failed++;
      expect(actual).toBe(expected);
    });
  },
);
