import { randomUUID } from 'node:crypto';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { RunningServer } from './dynamodb.ts';

/**
 * A local Amazon SNS endpoint speaking the awsQuery wire protocol that `@aws-sdk/client-sns` uses
 * (form-encoded POST, XML answers, `<ErrorResponse>` with SNS's own error codes), for the actions the
 * platform needs: Publish (PhoneNumber, TargetArn, TopicArn), CreatePlatformEndpoint,
 * Get/SetEndpointAttributes, DeleteEndpoint, CheckIfPhoneNumberIsOptedOut and OptInPhoneNumber.
 *
 * Test hooks (not part of SNS): `GET /_store` lists what was published, `POST /_clear` empties it,
 * `POST /_opt-out?phone=+316...` marks a number as opted out, as a recipient replying STOP would.
 */

const NS = 'http://sns.amazonaws.com/doc/2010-03-31/';
const E164 = /^\+[1-9]\d{6,14}$/;
const ACCOUNT = '000000000000';
const REGION = 'eu-west-1';
const MAX_MESSAGE_BYTES = 256 * 1024;

export interface PublishedMessage {
  messageId: string;
  /** Exactly one of these three is set. */
  phoneNumber?: string;
  targetArn?: string;
  topicArn?: string;
  message: string;
  subject?: string;
  messageStructure?: string;
  messageAttributes: Record<string, { dataType: string; value: string }>;
  publishedAt: string;
}

interface PlatformEndpoint {
  arn: string;
  attributes: Record<string, string>;
}

export interface SnsStore {
  messages: PublishedMessage[];
  endpoints: Map<string, PlatformEndpoint>;
  optedOut: Set<string>;
}

class SnsError extends Error {
  constructor(
    readonly code: 'InvalidParameter' | 'EndpointDisabled' | 'NotFound' | 'InvalidAction',
    message: string,
    readonly status = code === 'NotFound' ? 404 : 400,
  ) {
    super(message);
  }
}

const escapeXml = (s: string): string =>
  s.replace(
    /[<>&'"]/g,
    (c) => ({ '<': '&lt;', '>': '&gt;', '&': '&amp;', "'": '&apos;', '"': '&quot;' })[c] ?? c,
  );

function respond(action: string, resultXml: string): string {
  return `<${action}Response xmlns="${NS}"><${action}Result>${resultXml}</${action}Result><ResponseMetadata><RequestId>${randomUUID()}</RequestId></ResponseMetadata></${action}Response>`;
}

/** Reads `Prefix.entry.N.key/value` (attributes) into a plain object. */
function readEntries(form: URLSearchParams, prefix: string): Record<string, string> {
  const out: Record<string, string> = {};
  for (let i = 1; form.has(`${prefix}.entry.${i}.key`); i++) {
    out[form.get(`${prefix}.entry.${i}.key`) ?? ''] = form.get(`${prefix}.entry.${i}.value`) ?? '';
  }
  return out;
}

function readMessageAttributes(form: URLSearchParams): PublishedMessage['messageAttributes'] {
  const out: PublishedMessage['messageAttributes'] = {};
  for (let i = 1; form.has(`MessageAttributes.entry.${i}.Name`); i++) {
    const p = `MessageAttributes.entry.${i}`;
    const dataType = form.get(`${p}.Value.DataType`);
    if (!dataType) throw new SnsError('InvalidParameter', `Message attribute ${i} has no DataType`);
    out[form.get(`${p}.Name`) ?? ''] = {
      dataType,
      value: form.get(`${p}.Value.StringValue`) ?? form.get(`${p}.Value.BinaryValue`) ?? '',
    };
  }
  return out;
}

function required(form: URLSearchParams, name: string): string {
  const value = form.get(name);
  if (value === null || value === '') {
    throw new SnsError('InvalidParameter', `Invalid parameter: ${name} Reason: must not be empty`);
  }
  return value;
}

function endpointOf(store: SnsStore, arn: string): PlatformEndpoint {
  const endpoint = store.endpoints.get(arn);
  if (!endpoint) throw new SnsError('NotFound', 'Endpoint does not exist');
  return endpoint;
}

function handle(store: SnsStore, form: URLSearchParams): string {
  const action = form.get('Action') ?? '';
  switch (action) {
    case 'Publish': {
      const message = required(form, 'Message');
      if (Buffer.byteLength(message) > MAX_MESSAGE_BYTES) {
        throw new SnsError('InvalidParameter', 'Invalid parameter: Message too long');
      }
      const phoneNumber = form.get('PhoneNumber') ?? undefined;
      const targetArn = form.get('TargetArn') ?? undefined;
      const topicArn = form.get('TopicArn') ?? undefined;
      const targets = [phoneNumber, targetArn, topicArn].filter((t) => t !== undefined);
      if (targets.length !== 1) {
        throw new SnsError(
          'InvalidParameter',
          'Invalid parameter: exactly one of TopicArn, TargetArn or PhoneNumber must be specified',
        );
      }
      if (phoneNumber !== undefined && !E164.test(phoneNumber)) {
        throw new SnsError('InvalidParameter', 'Invalid parameter: PhoneNumber Reason: not in E.164 format');
      }
      if (targetArn !== undefined) {
        const endpoint = endpointOf(store, targetArn);
        if (endpoint.attributes.Enabled !== 'true') {
          throw new SnsError('EndpointDisabled', 'Endpoint is disabled');
        }
      }
      const published: PublishedMessage = {
        messageId: randomUUID(),
        ...(phoneNumber !== undefined && { phoneNumber }),
        ...(targetArn !== undefined && { targetArn }),
        ...(topicArn !== undefined && { topicArn }),
        message,
        ...(form.get('Subject') !== null && { subject: form.get('Subject') ?? '' }),
        ...(form.get('MessageStructure') !== null && {
          messageStructure: form.get('MessageStructure') ?? '',
        }),
        messageAttributes: readMessageAttributes(form),
        publishedAt: new Date().toISOString(),
      };
      store.messages.push(published);
      return respond(action, `<MessageId>${published.messageId}</MessageId>`);
    }
    case 'CreatePlatformEndpoint': {
      const application = required(form, 'PlatformApplicationArn');
      const token = required(form, 'Token');
      const attributes = readEntries(form, 'Attributes');
      const customUserData = form.get('CustomUserData');
      if (customUserData !== null) attributes.CustomUserData = customUserData;
      // SNS is idempotent on the token: the same token with the same attributes returns the same
      // endpoint; with different attributes it refuses.
      for (const endpoint of store.endpoints.values()) {
        if (
          endpoint.arn.startsWith(application.replace(':app/', ':endpoint/')) &&
          endpoint.attributes.Token === token
        ) {
          const differs = Object.entries(attributes).some(([k, v]) => endpoint.attributes[k] !== v);
          if (differs) {
            throw new SnsError(
              'InvalidParameter',
              `Invalid parameter: Token Reason: Endpoint ${endpoint.arn} already exists with the same Token, but different attributes.`,
            );
          }
          return respond(action, `<EndpointArn>${endpoint.arn}</EndpointArn>`);
        }
      }
      if (!application.startsWith('arn:aws:sns:') || !application.includes(':app/')) {
        throw new SnsError('InvalidParameter', 'Invalid parameter: PlatformApplicationArn');
      }
      const arn = `${application.replace(':app/', ':endpoint/')}/${randomUUID()}`;
      store.endpoints.set(arn, { arn, attributes: { Enabled: 'true', ...attributes, Token: token } });
      return respond(action, `<EndpointArn>${arn}</EndpointArn>`);
    }
    case 'GetEndpointAttributes': {
      const endpoint = endpointOf(store, required(form, 'EndpointArn'));
      const entries = Object.entries(endpoint.attributes)
        .map(([k, v]) => `<entry><key>${escapeXml(k)}</key><value>${escapeXml(v)}</value></entry>`)
        .join('');
      return respond(action, `<Attributes>${entries}</Attributes>`);
    }
    case 'SetEndpointAttributes': {
      const endpoint = endpointOf(store, required(form, 'EndpointArn'));
      const attributes = readEntries(form, 'Attributes');
      if (attributes.Enabled !== undefined && !['true', 'false'].includes(attributes.Enabled)) {
        throw new SnsError(
          'InvalidParameter',
          'Invalid parameter: Attributes Reason: Enabled must be true or false',
        );
      }
      Object.assign(endpoint.attributes, attributes);
      return respond(action, '');
    }
    case 'DeleteEndpoint': {
      store.endpoints.delete(required(form, 'EndpointArn'));
      return respond(action, '');
    }
    case 'CheckIfPhoneNumberIsOptedOut': {
      const phone = required(form, 'phoneNumber');
      if (!E164.test(phone)) throw new SnsError('InvalidParameter', 'Invalid parameter: PhoneNumber');
      return respond(action, `<isOptedOut>${store.optedOut.has(phone)}</isOptedOut>`);
    }
    case 'OptInPhoneNumber': {
      store.optedOut.delete(required(form, 'phoneNumber'));
      return respond(action, '');
    }
    default:
      throw new SnsError('InvalidAction', `The action ${escapeXml(action)} is not valid for this endpoint.`);
  }
}

async function readBody(req: IncomingMessage): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const chunk of req) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks).toString('utf8');
}

function send(res: ServerResponse, status: number, type: string, body: string): void {
  res.writeHead(status, { 'content-type': type, 'content-length': Buffer.byteLength(body) });
  res.end(body);
}

export interface LocalSns extends RunningServer {
  readonly store: SnsStore;
  readonly port: number;
}

/** Starts the local SNS endpoint. Port 0 picks a free port; the chosen one is in `port`/`endpoint`. */
export async function startLocalSns(port: number, host = '127.0.0.1'): Promise<LocalSns> {
  const store: SnsStore = { messages: [], endpoints: new Map(), optedOut: new Set() };
  const server = createServer(async (req, res) => {
    try {
      const url = new URL(req.url ?? '/', 'http://localhost');
      if (req.method === 'GET' && url.pathname === '/_store') {
        const endpoints = [...store.endpoints.values()];
        return send(res, 200, 'application/json', JSON.stringify({ messages: store.messages, endpoints }));
      }
      if (req.method === 'POST' && url.pathname === '/_clear') {
        store.messages.length = 0;
        store.endpoints.clear();
        store.optedOut.clear();
        return send(res, 204, 'text/plain', '');
      }
      if (req.method === 'POST' && url.pathname === '/_opt-out') {
        store.optedOut.add(url.searchParams.get('phone') ?? '');
        return send(res, 204, 'text/plain', '');
      }
      if (req.method !== 'POST' || url.pathname !== '/') return send(res, 404, 'text/plain', 'Not Found');
      const xml = handle(store, new URLSearchParams(await readBody(req)));
      send(res, 200, 'text/xml', xml);
    } catch (error) {
      const e =
        error instanceof SnsError
          ? error
          : new SnsError('InvalidParameter', 'Internal error in local SNS', 500);
      const body = `<ErrorResponse xmlns="${NS}"><Error><Type>Sender</Type><Code>${e.code}</Code><Message>${escapeXml(e.message)}</Message></Error><RequestId>${randomUUID()}</RequestId></ErrorResponse>`;
      send(res, e.status, 'text/xml', body);
    }
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, resolve);
  });
  const actual = (server.address() as AddressInfo).port;
  return {
    store,
    port: actual,
    endpoint: `http://${host}:${actual}`,
    stop: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

/** The ARN prefix local platform applications use, e.g. for the push tests and the demo. */
export const localPlatformApplicationArn = (platform: 'GCM' | 'APNS', name: string): string =>
  `arn:aws:sns:${REGION}:${ACCOUNT}:app/${platform}/${name}`;
