import { execFileSync, spawn } from 'node:child_process';
import { setTimeout as sleep } from 'node:timers/promises';
import { describe, expect, it } from 'vitest';
import { freePort } from '#local/servers/free-port.ts';

const javaOn = (port: number): number => {
  try {
    return execFileSync('pgrep', ['-f', `DynamoDBLocal.jar -inMemory -disableTelemetry -port ${port}$`], {
      encoding: 'utf8',
    })
      .trim()
      .split('\n').length;
  } catch {
    return 0;
  }
};

describe('DynamoDB Local never outlives the Node process that started it', () => {
  it('is gone within seconds after a kill -9 of its parent (no orphaned JVM)', async () => {
    const port = await freePort();
    const child = spawn('npx', ['tsx', 'test/support/start-dynamodb.ts', String(port)], {
      stdio: ['ignore', 'pipe', 'ignore'],
    });
    await new Promise<void>((resolve, reject) => {
      child.stdout.on('data', (chunk: Buffer) => chunk.toString().includes('ready') && resolve());
      child.once('exit', (code) => reject(new Error(`child exited with ${code}`)));
    });
    expect(javaOn(port)).toBe(1);
    // Kill the Node process itself (npx is its parent), as a crash or CI timeout would.
    const node = execFileSync('pgrep', ['-f', `start-dynamodb.ts ${port}`], { encoding: 'utf8' })
      .trim()
      .split('\n');
    for (const pid of node) process.kill(Number(pid), 'SIGKILL');
    for (let i = 0; i < 20 && javaOn(port) > 0; i++) await sleep(250);
    expect(javaOn(port)).toBe(0);
  }, 60_000);
});
