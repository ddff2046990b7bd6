import { describe, expect, it } from 'vitest';
import { env, loadConfig } from '#shared/config.ts';
import { ConfigError } from '#shared/errors.ts';

describe('loadConfig', () => {
  const shape = { TABLE_NAME: env.name(), MAX_CONCURRENCY: env.integer(1) };

  it('parses and freezes the variables a function declares', () => {
    const config = loadConfig(shape, { TABLE_NAME: 'contacts', MAX_CONCURRENCY: '5', OTHER: 'x' });
    expect(config).toEqual({ TABLE_NAME: 'contacts', MAX_CONCURRENCY: 5 });
    expect(Object.isFrozen(config)).toBe(true);
  });

  it('fails fast naming every missing or malformed variable, never its value', () => {
    const attempt = () => loadConfig(shape, { MAX_CONCURRENCY: 'secret-value' });
    expect(attempt).toThrow(ConfigError);
    expect(attempt).toThrow(/TABLE_NAME is not set; MAX_CONCURRENCY is invalid/);
    expect(attempt).not.toThrow(/secret-value/);
  });
});
