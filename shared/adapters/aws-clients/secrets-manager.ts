import { SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { common, once } from './once.ts';

export const secretsClient = /* @__PURE__ */ once(() => new SecretsManagerClient(common));
