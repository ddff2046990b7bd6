import type { TestProject } from 'vitest/node';
import { type RunningServer, startDynamoDbLocal } from '#local/servers/dynamodb.ts';
import { freePort } from '#local/servers/free-port.ts';
import { startSesEmulator } from '#local/servers/ses.ts';
import { startLocalSns } from '#local/servers/sns.ts';

declare module 'vitest' {
  export interface ProvidedContext {
    dynamodbEndpoint: string;
    sesEndpoint: string;
    snsEndpoint: string;
  }
}

/**
 * Starts one DynamoDB Local, one SES v2 emulator and one local SNS endpoint for the whole run, on
 * free ports, and stops them afterwards. Test files share them and keep apart by table name.
 * The servers are also stopped when the process exits for any other reason (DynamoDB Local's
 * watchdog covers even a SIGKILL).
 */
export default async function setup(project: TestProject): Promise<() => Promise<void>> {
  const servers: RunningServer[] = [];
  const stopAll = async (): Promise<void> => {
    await Promise.allSettled(servers.splice(0).map((s) => s.stop()));
  };
  process.once('SIGINT', () => void stopAll().finally(() => process.exit(130)));
  process.once('SIGTERM', () => void stopAll().finally(() => process.exit(143)));
  try {
    const [dynamodb, ses, sns] = await Promise.all([
      freePort().then((port) => startDynamoDbLocal(port)),
      freePort().then((port) => startSesEmulator(port)),
      startLocalSns(0),
    ]);
    servers.push(dynamodb, ses, sns);
    project.provide('dynamodbEndpoint', dynamodb.endpoint);
    project.provide('sesEndpoint', ses.endpoint);
    project.provide('snsEndpoint', sns.endpoint);
  } catch (error) {
    await stopAll();
    throw error;
  }
  return stopAll;
}
