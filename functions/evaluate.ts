// Placeholder so the CDK app can bundle the `evaluate` function; the pipeline work replaces it.
export const handler = async (): Promise<{ batchItemFailures: { itemIdentifier: string }[] }> => ({
  batchItemFailures: [],
});
