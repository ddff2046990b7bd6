import { GetSecretValueCommand } from '@aws-sdk/client-secrets-manager';
import { secretsClient } from '#shared/adapters/aws-clients/secrets-manager.ts';
import { env, loadConfig } from '#shared/config.ts';
import { onceAsync } from './lazy.ts';

async function secretString(secretId: string, what: string): Promise<string> {
  const { SecretString } = await secretsClient().send(new GetSecretValueCommand({ SecretId: secretId }));
  if (!SecretString) throw new Error(`the ${what} secret is empty`);
  return SecretString;
}

/** The link-signing key, read once per container from Secrets Manager. */
export const linkKey = /* @__PURE__ */ onceAsync(async (): Promise<string> => {
  const { LINK_KEY_SECRET_ID } = loadConfig({ LINK_KEY_SECRET_ID: env.name() });
  return secretString(LINK_KEY_SECRET_ID, 'link-signing');
});

/** The webhook signing secret, read once per container from Secrets Manager. */
export const webhookSecret = /* @__PURE__ */ onceAsync(async (): Promise<string> => {
  const { WEBHOOK_SECRET_ID } = loadConfig({ WEBHOOK_SECRET_ID: env.name() });
  return secretString(WEBHOOK_SECRET_ID, 'webhook signing');
});
