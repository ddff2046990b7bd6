/** Retries are the SDK's standard mode; a failed call after them is left to SQS redelivery. */
export const common = { maxAttempts: 3 } as const;

/** A client created once per process on first use, and reused across invocations. */
export function once<T>(create: () => T): () => T {
  let client: T | undefined;
  return () => {
    client ??= create();
    return client;
  };
}

/**
 * Drops the SDK's logger middleware from a client. Our clients log nothing (the SDK's logger is a
 * no-op), yet that middleware runs every input and output through the sensitive-data filter to build
 * the log entry it then discards: measured at roughly a tenth of the SDK's CPU per DynamoDB call.
 */
export function withoutSdkLog<T extends { middlewareStack: { remove(toRemove: string): boolean } }>(
  client: T,
): T {
  client.middlewareStack.remove('loggerMiddleware');
  return client;
}
