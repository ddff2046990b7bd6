import { appendFileSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { format } from 'node:util';
import { LOG_DIR } from './pii-scan.ts';

/** Per process, not per module: vitest re-imports this module for every test file in a worker. */
const INSTALLED = Symbol.for('contact-triggers.log-capture');

/** The file this process's output is captured to. */
export const captureFile = (): string => join(LOG_DIR, `worker-${process.pid}.log`);

/**
 * Tees stdout, stderr and the console of this process into {@link captureFile}. Vitest forwards a
 * test's console to the main process without touching the worker's stdout, so both are wrapped.
 */
export function captureLogs(): void {
  const marks = globalThis as { [INSTALLED]?: boolean };
  if (marks[INSTALLED]) return;
  marks[INSTALLED] = true;
  mkdirSync(LOG_DIR, { recursive: true });
  const file = captureFile();
  const keep = (text: string) => {
    try {
      appendFileSync(file, text.endsWith('\n') ? text : `${text}\n`);
    } catch {
      // The capture must never break a test; a missing directory is recreated next time.
      mkdirSync(LOG_DIR, { recursive: true });
    }
  };
  for (const stream of [process.stdout, process.stderr]) {
    const write = stream.write.bind(stream) as (...args: unknown[]) => boolean;
    stream.write = ((chunk: unknown, ...rest: unknown[]) => {
      keep(typeof chunk === 'string' ? chunk : Buffer.from(chunk as Uint8Array).toString('utf8'));
      return write(chunk, ...rest);
    }) as typeof stream.write;
  }
  for (const method of ['log', 'info', 'warn', 'error', 'debug', 'trace'] as const) {
    const original = console[method].bind(console);
    console[method] = (...args: unknown[]) => {
      keep(format(...args));
      original(...args);
    };
  }
}
