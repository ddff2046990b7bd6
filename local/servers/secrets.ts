import { randomBytes, randomUUID } from 'node:crypto';
import { LOCAL_ACCOUNT } from '#local/lambda-context.ts';
import { LocalApiError, type LocalOperation } from './aux.ts';

/**
 * Secrets Manager's `GetSecretValue` (awsJson1_1, `X-Amz-Target: secretsmanager.GetSecretValue`) over a
 * fixed set of local secrets: the link-signing key and the webhook signing secret, generated per run
 * (or restored with the runtime's persisted state, so links in old local emails keep working).
 */

export interface LocalSecret {
  readonly name: string;
  readonly value: string;
}

/** A fresh random secret value (256 bits, base64url). */
export const generateSecret = (): string => randomBytes(32).toString('base64url');

export function secretsOperations(
  secrets: readonly LocalSecret[],
  region: string,
): Record<string, LocalOperation> {
  const created = Math.floor(Date.now() / 1000);
  const byName = new Map(
    secrets.map((s) => [
      s.name,
      {
        ...s,
        arn: `arn:aws:secretsmanager:${region}:${LOCAL_ACCOUNT}:secret:${s.name}-local`,
        versionId: randomUUID(),
      },
    ]),
  );
  return {
    'secretsmanager.GetSecretValue': (input) => {
      const id =
        typeof input === 'object' && input !== null && 'SecretId' in input ? input.SecretId : undefined;
      const secret =
        typeof id === 'string'
          ? (byName.get(id) ?? [...byName.values()].find((s) => s.arn === id))
          : undefined;
      if (!secret) {
        throw new LocalApiError(
          'ResourceNotFoundException',
          "Secrets Manager can't find the specified secret.",
        );
      }
      return {
        ARN: secret.arn,
        Name: secret.name,
        VersionId: secret.versionId,
        SecretString: secret.value,
        VersionStages: ['AWSCURRENT'],
        CreatedDate: created,
      };
    },
  };
}
