import { ConfigError } from './errors.ts';
import * as z from './validation.ts';

/**
 * Parses the environment once into a typed, frozen object. Every function declares just the
 * variables it reads; a missing or malformed one fails start-up with the variable's name (and never
 * its value, which may be a secret).
 *
 * @example const config = loadConfig({ TABLE_NAME: env.name() });
 */
export function loadConfig<Shape extends Record<string, z.core.$ZodType>>(
  shape: Shape,
  env: Record<string, string | undefined> = process.env,
): Readonly<z.output<z.ZodMiniObject<Shape>>> {
  const result = z.object(shape).safeParse(env);
  if (!result.success) {
    const problems = result.error.issues.map((issue) => {
      const name = issue.path.join('.');
      return env[name] === undefined || env[name] === ''
        ? `${name} is not set`
        : `${name} is invalid: ${issue.message}`;
    });
    throw new ConfigError(`configuration: ${problems.join('; ')}`, undefined, {
      variables: result.error.issues.map((i) => i.path.join('.')),
    });
  }
  return Object.freeze(result.data);
}

/** Reusable variable parsers. */
export const env = {
  name: () => z.string().check(z.trim(), z.minLength(1)),
  integer: (min = 0) => z.pipe(z.coerce.number(), z.int().check(z.gte(min))),
  url: () => z.url(),
  list: () =>
    z.pipe(
      z.string(),
      z.transform((s) =>
        s
          .split(',')
          .map((x) => x.trim())
          .filter(Boolean),
      ),
    ),
} as const;
