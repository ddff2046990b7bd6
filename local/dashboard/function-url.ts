import { randomUUID } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { APIGatewayProxyStructuredResultV2, LambdaFunctionURLEvent } from 'aws-lambda';

/**
 * Serves a Lambda function URL handler on a local HTTP path, converting like the function URL service
 * does (payload format 2.0): headers lower-cased and repeated ones joined with commas, query parameters
 * likewise, the body as text for textual content types and base64 otherwise (forms arrive base64, as
 * in AWS), and the structured result back into status, headers, cookies and body.
 */

const TEXT_TYPES = /^(text\/|application\/(json|xml|javascript)|.*\+(json|xml))/i;

/** Builds the event for a request whose path below the mount point is `rawPath`. */
export function functionUrlEvent(
  req: IncomingMessage,
  rawPath: string,
  body: Buffer,
): LambdaFunctionURLEvent {
  const url = new URL(req.url ?? '/', 'http://localhost');
  const headers: Record<string, string> = {};
  for (const [name, value] of Object.entries(req.headers)) {
    if (value === undefined || name === 'cookie') continue;
    headers[name] = Array.isArray(value) ? value.join(',') : value;
  }
  const query: Record<string, string> = {};
  for (const [name, value] of url.searchParams)
    query[name] = name in query ? `${query[name]},${value}` : value;
  const contentType = headers['content-type'] ?? '';
  const text = body.length === 0 || TEXT_TYPES.test(contentType);
  const now = new Date();
  const cookies = req.headers.cookie?.split(/;\s*/).filter(Boolean);
  return {
    version: '2.0',
    routeKey: '$default',
    rawPath: rawPath || '/',
    rawQueryString: url.search.replace(/^\?/, ''),
    ...(cookies && cookies.length > 0 && { cookies }),
    headers,
    ...(Object.keys(query).length > 0 && { queryStringParameters: query }),
    requestContext: {
      accountId: 'anonymous',
      apiId: 'local',
      domainName: headers.host ?? 'localhost',
      domainPrefix: 'local',
      http: {
        method: req.method ?? 'GET',
        path: rawPath || '/',
        protocol: `HTTP/${req.httpVersion}`,
        sourceIp: req.socket.remoteAddress ?? '127.0.0.1',
        userAgent: headers['user-agent'] ?? '',
      },
      requestId: randomUUID(),
      routeKey: '$default',
      stage: '$default',
      time: now.toUTCString(),
      timeEpoch: now.getTime(),
    },
    ...(body.length > 0 && { body: text ? body.toString('utf8') : body.toString('base64') }),
    isBase64Encoded: !text,
  };
}

/** Writes a function URL handler's structured result as the HTTP response. */
export function writeFunctionUrlResult(res: ServerResponse, result: APIGatewayProxyStructuredResultV2): void {
  const body = result.body ?? '';
  const buffer = result.isBase64Encoded ? Buffer.from(body, 'base64') : Buffer.from(body, 'utf8');
  const headers: Record<string, string | number | string[]> = {};
  for (const [name, value] of Object.entries(result.headers ?? {})) headers[name] = String(value);
  if (result.cookies?.length) headers['set-cookie'] = result.cookies;
  headers['content-length'] = buffer.length;
  res.writeHead(result.statusCode ?? 200, headers);
  res.end(buffer);
}

/**
 * A JSON request as the function URL service would hand it over, for callers inside this process (the
 * shop-till page, the benchmark) that have no HTTP request to convert.
 */
export function jsonFunctionUrlEvent(
  method: string,
  rawPath: string,
  rawQueryString = '',
  body?: unknown,
): LambdaFunctionURLEvent {
  return {
    version: '2.0',
    rawPath,
    rawQueryString,
    headers: { 'content-type': 'application/json' },
    queryStringParameters: Object.fromEntries(new URLSearchParams(rawQueryString)),
    requestContext: { http: { method, path: rawPath } },
    ...(body !== undefined && { body: JSON.stringify(body) }),
    isBase64Encoded: false,
  } as unknown as LambdaFunctionURLEvent;
}
