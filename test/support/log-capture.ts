import { appendFileSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { format } from 'node:util';
import { LOG_DIR } from './pii-scan.ts';

/**
 * Marks a wrapped stream or console: vitest re-imports this module for every test file in a worker,
 * and may give each file a console of its own, so each object is wrapped once, whoever asks.
 */
const WRAPPED = Symbol.for('contact-triggers.log-capture');
type Markable = { [WRAPPED]?: boolean };

/** The file this process's output is captured to. */
export const captureFile = (): string => join(LOG_DIR, `worker-${process.pid}.log`);

/**
 * Tees stdout, stderr and the console of this process into {@link captureFile}. Vitest forwards a
 * test's console to the main process without touching the worker's stdout, so both are wrapped.
 */
export function captureLogs(): void {
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
    if ((stream as Markable)[WRAPPED]) continue;
    (stream as Markable)[WRAPPED] = true;
    const write = stream.write.bind(stream) as (...args: unknown[]) => boolean;
    stream.write = ((chunk: unknown, ...rest: unknown[]) => {
      keep(typeof chunk === 'string' ? chunk : Buffer.from(chunk as Uint8Array).toString('utf8'));
      return write(chunk, ...rest);
    }) as typeof stream.write;
  }
  if ((console as Markable)[WRAPPED]) return;
  (console as Markable)[WRAPPED] = true;
  for (const method of ['log', 'info', 'warn', 'error', 'debug', 'trace'] as const) {
    const original = console[method].bind(console);
    console[method] = (...args: unknown[]) => {
      keep(format(...args));
      original(...args);
    };
  }
}
