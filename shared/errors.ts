/**
 * The platform's error hierarchy. Map by `instanceof`; messages never carry personal data (ids and
 * field names only), so they are safe to log.
 */
export class PlatformError extends Error {
  override name = 'PlatformError';
  constructor(
    message: string,
    options?: { cause?: unknown },
    /** Extra facts for a reader: ids, field names, limits. Never addresses, phones or names. */
    readonly context: Record<string, unknown> = {},
  ) {
    super(message, options);
  }
}

/** A required environment variable is missing or malformed. Thrown once, at start-up. */
export class ConfigError extends PlatformError {
  override name = 'ConfigError';
}

/** The contact-strategy file is invalid; `issues` lists every problem with its path. */
export class StrategyValidationError extends PlatformError {
  override name = 'StrategyValidationError';
  constructor(
    readonly issues: readonly string[],
    readonly file?: string,
  ) {
    super(
      `${file ? `${file}: ` : ''}invalid contact strategy (${issues.length} problem${issues.length === 1 ? '' : 's'}):\n  ${issues.join('\n  ')}`,
    );
  }
}

/** Input that can never succeed however often it is retried (bad event, unknown field types). */
export class InvalidInputError extends PlatformError {
  override name = 'InvalidInputError';
}

/** A dependency failed in a way that a retry may fix (throttling, timeouts, 5xx). */
export class TransientError extends PlatformError {
  override name = 'TransientError';
}
