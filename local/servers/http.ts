import type { IncomingMessage, Server, ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

/** Small HTTP helpers shared by the local AWS endpoints and the dashboard. */

/** The request body was larger than the endpoint accepts. */
export class BodyTooLargeError extends Error {
  override readonly name = 'BodyTooLargeError';
}

/** Reads the whole body, refusing more than `maxBytes` (so a runaway client cannot exhaust memory). */
export async function readBody(req: IncomingMessage, maxBytes: number): Promise<Buffer> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req) {
    const buffer = chunk as Buffer;
    size += buffer.length;
    if (size > maxBytes) throw new BodyTooLargeError(`request body over ${maxBytes} bytes`);
    chunks.push(buffer);
  }
  return Buffer.concat(chunks);
}

export function send(
  res: ServerResponse,
  status: number,
  contentType: string,
  body: string | Buffer,
  headers: Record<string, string> = {},
): void {
  res.writeHead(status, {
    'content-type': contentType,
    'content-length': Buffer.byteLength(body),
    ...headers,
  });
  res.end(body);
}

export function sendJson(
  res: ServerResponse,
  status: number,
  body: unknown,
  contentType = 'application/json',
  headers: Record<string, string> = {},
): void {
  send(res, status, contentType, JSON.stringify(body), headers);
}

/**
 * An error in the AWS JSON protocols' shape (`{ "__type": "...", "message": "..." }`): the SDK turns
 * `__type` into the exception class of that name (e.g. `InvalidEventPatternException`).
 */
export function sendAwsJsonError(
  res: ServerResponse,
  status: number,
  type: string,
  message: string,
  contentType: string,
): void {
  sendJson(res, status, { __type: type, message }, contentType, { 'x-amzn-errortype': type });
}

/** Listens on `port` (0 = a free one) and resolves with the port actually bound. */
export function listen(server: Server, port: number, host: string, what: string): Promise<number> {
  return new Promise((resolve, reject) => {
    const onError = (error: NodeJS.ErrnoException) => {
      reject(
        error.code === 'EADDRINUSE'
          ? new Error(`${what}: port ${port} on ${host} is already in use`, { cause: error })
          : error,
      );
    };
    server.once('error', onError);
    server.listen(port, host, () => {
      server.off('error', onError);
      resolve((server.address() as AddressInfo).port);
    });
  });
}

/** Closes the server and every open connection (keep-alive sockets included). */
export function close(server: Server): Promise<void> {
  return new Promise((resolve) => {
    server.closeAllConnections();
    server.close(() => resolve());
  });
}
