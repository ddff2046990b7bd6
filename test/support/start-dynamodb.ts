// Started as a child process by dynamodb-watchdog.test.ts: starts DynamoDB Local, says so, waits forever.
import { startDynamoDbLocal } from '#local/servers/dynamodb.ts';

const port = Number(process.argv[2]);
await startDynamoDbLocal(port);
process.stdout.write('ready\n');
setInterval(() => {}, 60_000);
