import { injectLambdaContext } from '@aws-lambda-powertools/logger/middleware';
import middy from '@middy/core';
import type { APIGatewayProxyStructuredResultV2, LambdaFunctionURLEvent } from 'aws-lambda';
import { systemClock } from '#shared/domain/ports.ts';
import { MOMENT_RESPONSES } from '#shared/domain/store.ts';
import { InvalidInputError } from '#shared/errors.ts';
import { CHANNELS, MOMENTS } from '#shared/strategy/vocabulary.ts';
import {
  IdempotencyConflictError,
  type NextBestOfferDeps,
  nextBestOffer,
  recordContact,
  UnknownCustomerError,
} from '#shared/use-cases/next-best-offer.ts';
import * as z from '#shared/validation.ts';
import { store } from './platform/engine.ts';
import { logger } from './platform/observability.ts';
import { renderingEngine } from './platform/rendering.ts';

/**
 * The contact-moment API, behind a Lambda function URL with `AWS_IAM` auth (SigV4-signed callers only):
 * - `GET /customers/{id}/next-best-offer?moment=till|call|web[&channel=email|sms|push|webhook]`
 * - `POST /customers/{id}/contacts` with `{ idempotencyKey, campaignId, moment, response?, variant?, channel? }`
 *   (or the key in an `Idempotency-Key` header): 201 recorded, 200 duplicate or response added.
 * Errors: 400 (the field named), 404 unknown customer, 409 key reused differently; never a stack.
 */
const query = z.strictObject({ moment: z.enum(MOMENTS), channel: z.optional(z.enum(CHANNELS)) });
const contact = z.strictObject({
  idempotencyKey: z
    .string()
    .check(z.regex(/^[\x21-\x7e]{1,128}$/, { error: 'must be 1-128 printable characters' })),
  campaignId: z.string().check(z.minLength(1), z.maxLength(63)),
  moment: z.enum(MOMENTS),
  response: z.optional(z.enum(MOMENT_RESPONSES)),
  variant: z.optional(z.string().check(z.maxLength(31))),
  channel: z.optional(z.enum(CHANNELS)),
});
const ROUTE = /^\/customers\/([^/]+)\/(next-best-offer|contacts)\/?$/;

const json = (statusCode: number, body: unknown): APIGatewayProxyStructuredResultV2 => ({
  statusCode,
  headers: { 'content-type': 'application/json', 'cache-control': 'no-store' },
  body: JSON.stringify(body),
});

function parse<T>(schema: z.ZodMiniType<T>, value: unknown): T {
  const result = schema.safeParse(value);
  if (result.success) return result.data;
  throw new InvalidInputError(
    result.error.issues.map((i) => `${i.path.join('.') || '(body)'}: ${i.message}`).join('; '),
  );
}

export async function raw(
  event: LambdaFunctionURLEvent,
  deps?: NextBestOfferDeps,
): Promise<APIGatewayProxyStructuredResultV2> {
  const d = deps ?? { store: store(), engine: renderingEngine(), clock: systemClock };
  const method = event.requestContext.http.method;
  const route = ROUTE.exec(event.rawPath);
  try {
    if (!route) return json(404, { message: 'not found' });
    let customerId: string;
    try {
      customerId = decodeURIComponent(route[1] ?? '');
    } catch {
      return json(400, { message: 'the customer id in the path is not URL-encoded correctly' });
    }
    if (route[2] === 'next-best-offer') {
      if (method !== 'GET') return json(405, { message: 'use GET' });
      const answer = await nextBestOffer(d, {
        customerId,
        ...parse(query, event.queryStringParameters ?? {}),
      });
      logger.info('next best offer', { moment: answer.moment, campaignId: answer.offer?.campaignId ?? null });
      return json(200, answer);
    }
    if (method !== 'POST') return json(405, { message: 'use POST' });
    let body: unknown;
    try {
      const text = event.isBase64Encoded
        ? Buffer.from(event.body ?? '', 'base64').toString('utf8')
        : (event.body ?? '');
      body = JSON.parse(text || '{}');
    } catch {
      throw new InvalidInputError('the body is not JSON');
    }
    const key = event.headers?.['idempotency-key'];
    const input = parse(contact, { ...(key !== undefined && { idempotencyKey: key }), ...(body as object) });
    const result = await recordContact(d, { customerId, ...input });
    logger.info('contact recorded', {
      status: result.status,
      campaignId: input.campaignId,
      moment: input.moment,
    });
    return json(result.status === 'recorded' ? 201 : 200, result);
  } catch (error) {
    if (error instanceof UnknownCustomerError) return json(404, { message: error.message });
    if (error instanceof IdempotencyConflictError) return json(409, { message: error.message });
    if (error instanceof InvalidInputError) return json(400, { message: error.message });
    throw error;
  }
}

export const handler = middy((event: LambdaFunctionURLEvent) => raw(event)).use(injectLambdaContext(logger));
