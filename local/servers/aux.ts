import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import { BodyTooLargeError, close, listen, readBody, sendJson } from './http.ts';

/**
 * One HTTP server for the small local AWS endpoints the handlers call besides EventBridge, DynamoDB,
 * SES and SNS: SQS `SendMessage` (dead letters), Secrets Manager `GetSecretValue`, and EventBridge
 * Scheduler `CreateSchedule`. The JSON protocols are told apart by `X-Amz-Target`, the REST one by path,
 * so the SDK clients reach it through their `AWS_ENDPOINT_URL_<SERVICE>` variables, all set to this URL.
 */

/** An error the SDK maps to the exception class `type` (e.g. `ConflictException`). */
export class LocalApiError extends Error {
  override readonly name = 'LocalApiError';
  constructor(
    readonly type: string,
    message: string,
    readonly status = 400,
  ) {
    super(message);
  }
}

/** A JSON-protocol operation: input object in, output object out (or a LocalApiError). */
export type LocalOperation = (input: unknown) => unknown;

/** A REST-JSON route (EventBridge Scheduler): matched on method and path. */
export interface RestRoute {
  readonly method: string;
  readonly path: RegExp;
  handle(match: RegExpExecArray, input: unknown): unknown;
}

export interface AuxServerOptions {
  /** Operations by `X-Amz-Target` (e.g. `AmazonSQS.SendMessage`, `secretsmanager.GetSecretValue`). */
  readonly targets: Readonly<Record<string, LocalOperation>>;
  readonly rest: readonly RestRoute[];
}

export interface AuxServer {
  readonly endpoint: string;
  readonly port: number;
  stop(): Promise<void>;
}

const MAX_BODY_BYTES = 1024 * 1024;

export async function startAuxServer(
  port: number,
  options: AuxServerOptions,
  host = '127.0.0.1',
): Promise<AuxServer> {
  const handle = async (req: IncomingMessage, res: ServerResponse): Promise<void> => {
    const target = req.headers['x-amz-target'];
    const contentType =
      typeof req.headers['content-type'] === 'string' ? req.headers['content-type'] : 'application/json';
    const url = new URL(req.url ?? '/', 'http://localhost');
    const fail = (error: LocalApiError) => {
      // Both error conventions: `__type` (JSON protocols) and `x-amzn-errortype` + `Message` (REST-JSON).
      sendJson(
        res,
        error.status,
        { __type: error.type, message: error.message, Message: error.message },
        contentType,
        {
          'x-amzn-errortype': error.type,
        },
      );
    };
    try {
      const raw = await readBody(req, MAX_BODY_BYTES);
      let input: unknown = {};
      try {
        if (raw.length > 0) input = JSON.parse(raw.toString('utf8'));
      } catch {
        return fail(new LocalApiError('SerializationException', 'The request body is not JSON'));
      }
      if (typeof target === 'string') {
        const operation = options.targets[target];
        if (!operation)
          return fail(new LocalApiError('UnknownOperationException', `${target} is not supported locally`));
        return sendJson(res, 200, operation(input), contentType);
      }
      for (const route of options.rest) {
        const match = req.method === route.method ? route.path.exec(url.pathname) : null;
        if (match) return sendJson(res, 200, route.handle(match, input), 'application/json');
      }
      return fail(
        new LocalApiError('UnknownOperationException', `${req.method} ${url.pathname} is not supported`, 404),
      );
    } catch (error) {
      if (error instanceof LocalApiError) return fail(error);
      if (error instanceof BodyTooLargeError)
        return fail(new LocalApiError('RequestEntityTooLarge', error.message, 413));
      throw error;
    }
  };
  const server = createServer((req, res) => {
    handle(req, res).catch((error: unknown) => {
      if (res.headersSent) return res.destroy();
      sendJson(res, 500, { __type: 'InternalFailure', message: (error as Error).message });
    });
  });
  const actual = await listen(server, port, host, 'local AWS endpoint (SQS, Scheduler, Secrets Manager)');
  return { endpoint: `http://${host}:${actual}`, port: actual, stop: () => close(server) };
}
