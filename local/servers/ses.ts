import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import sesModule from 'aws-ses-v2-local';
import type { RunningServer } from './dynamodb.ts';

type StartSes = (config: { port: number; host: string }) => Promise<Server>;
// The package is CommonJS with an `exports.default`; under ESM the function can sit one level down.
const startSes: StartSes =
  (sesModule as unknown as { default?: StartSes }).default ?? (sesModule as unknown as StartSes);

/** Starts the SES v2 emulator (`aws-ses-v2-local`) in this process. Web inbox at `/`, JSON at `/store`. */
export async function startSesEmulator(port: number, host = '127.0.0.1'): Promise<RunningServer> {
  const server = await startSes({ port, host });
  const actual = (server.address() as AddressInfo).port;
  return {
    endpoint: `http://${host}:${actual}`,
    stop: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
