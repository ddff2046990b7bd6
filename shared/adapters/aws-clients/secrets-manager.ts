import { SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { common, once, withoutSdkLog } from './once.ts';

export const secretsClient = /* @__PURE__ */ once(() => withoutSdkLog(new SecretsManagerClient(common)));
