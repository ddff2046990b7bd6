import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { type BuildOptions, build } from 'esbuild';
import { REPO_ROOT } from '#infra/constructs/platform-function.ts';

/**
 * Module init time of a bundled handler: a fresh Node process imports the bundle and reports how long
 * the import took (parse, compile and top-level code), the part of a Lambda cold start the bundle
 * decides. Divided by the same for an empty handler built the same way, so the ratio holds on a slow or
 * busy machine where absolute times do not.
 *
 * The bundles leave the AWS SDK to the runtime (ADR 0003), so they are written inside the repository
 * (`node_modules/.cache/`) where Node resolves `@aws-sdk/*` from our node_modules, as the Lambda
 * runtime resolves them from its own: the SDK's load time is counted, as it is in Lambda, with the
 * version in our lockfile rather than the runtime's.
 */
const PROBE = `const t0 = performance.now();
await import(process.env.BUNDLE);
process.stdout.write(String(performance.now() - t0));`;

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)] ?? 0;

function initMs(file: string, runs: number): number {
  const times: number[] = [];
  for (let i = 0; i < runs; i++) {
    const out = execFileSync(process.execPath, ['--input-type=module', '-e', PROBE], {
      encoding: 'utf8',
      env: {
        PATH: process.env.PATH,
        BUNDLE: file,
        AWS_REGION: 'eu-west-1',
        AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: 'true',
      },
    });
    times.push(Number(out));
  }
  return median(times);
}

export interface ColdInit {
  readonly emptyHandlerMs: number;
  readonly ratio: Record<string, number>;
}

/**
 * @param bundles entry file per function name, built with `options` (the production build settings)
 * @param runs fresh processes per bundle; the median counts
 */
export async function coldInitRatios(
  bundles: Record<string, string>,
  options: BuildOptions,
  runs = 7,
): Promise<ColdInit> {
  const cache = join(REPO_ROOT, 'node_modules', '.cache');
  mkdirSync(cache, { recursive: true });
  const dir = mkdtempSync(join(cache, 'cold-init-'));
  const emptyEntry = join(dir, 'empty.ts');
  writeFileSync(emptyEntry, 'export const handler = async () => ({});\n');
  const files: Record<string, string> = {};
  for (const [name, entry] of Object.entries({ empty: emptyEntry, ...bundles })) {
    const outfile = join(dir, `${name}.mjs`);
    await build({ ...options, entryPoints: [entry], outfile, write: true });
    files[name] = outfile;
  }
  try {
    const empty = initMs(files.empty ?? '', runs);
    const ratio: Record<string, number> = {};
    for (const name of Object.keys(bundles)) {
      ratio[name] = Math.round((initMs(files[name] ?? '', runs) / empty) * 10) / 10;
    }
    return { emptyHandlerMs: Math.round(empty * 100) / 100, ratio };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
