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
