import {
  CreatePlatformEndpointCommand,
  EndpointDisabledException,
  GetEndpointAttributesCommand,
  InvalidParameterException,
  NotFoundException,
  PublishCommand,
  SetEndpointAttributesCommand,
  type SNSClient,
} from '@aws-sdk/client-sns';
import { snsSendError } from '#shared/adapters/sns-sms.ts';
import type { PushMessage, PushRegistry, PushSender, SendResult } from '#shared/domain/ports.ts';
import { InvalidInputError, PlatformError, TransientError } from '#shared/errors.ts';

/**
 * The `Message` of a `MessageStructure: 'json'` publish: one payload per platform, each a JSON
 * *string*, so one call reaches an endpoint whatever app it belongs to.
 *
 * - `GCM`: the FCM HTTP v1 shape (top-level `fcmV1Message`), which SNS requires for FCM applications
 *   created with v1 credentials and accepts for the others. FCM `data` values must be strings.
 * - `APNS` / `APNS_SANDBOX`: `aps.alert` for the banner; our data as top-level custom keys (set before
 *   `aps`, so that a data key named `aps` cannot replace the alert).
 * - `default`: the body, for any other platform.
 */
export function pushPayload(message: Pick<PushMessage, 'title' | 'body' | 'data'>): string {
  const { title, body, data } = message;
  const hasData = Object.keys(data).length > 0;
  const fcm = { fcmV1Message: { message: { notification: { title, body }, ...(hasData && { data }) } } };
  const apns = { ...data, aps: { alert: { title, body } } };
  return JSON.stringify({
    default: body,
    GCM: JSON.stringify(fcm),
    APNS: JSON.stringify(apns),
    APNS_SANDBOX: JSON.stringify(apns),
  });
}

/**
 * Mobile push through Amazon SNS `Publish` to a platform endpoint.
 * `EndpointDisabled` (the platform told SNS the token is dead) and `NotFound` (endpoint deleted) are
 * permanent: the device must register again before it can be reached.
 */
export class SnsPushSender implements PushSender {
  constructor(private readonly client: SNSClient) {}

  async sendPush(message: PushMessage): Promise<SendResult> {
    let messageId: string | undefined;
    try {
      ({ MessageId: messageId } = await this.client.send(
        new PublishCommand({
          TargetArn: message.endpointArn,
          MessageStructure: 'json',
          Message: pushPayload(message),
        }),
      ));
    } catch (error) {
      throw snsSendError(error, 'push', [EndpointDisabledException, NotFoundException]);
    }
    // Not transient: SNS may have accepted the message, and a retry would send it twice.
    if (!messageId) throw new PlatformError('SNS accepted the push but returned no MessageId');
    return { messageId };
  }
}

/** SNS's answer when a token already has an endpoint with other attributes; the ARN is in the text. */
const ALREADY_EXISTS = /Endpoint (arn:\S+) already exists with the same [Tt]oken/;

/**
 * Registers device tokens as SNS platform endpoints with the create-or-update flow AWS recommends
 * ("Best practices for managing mobile tokens"):
 *
 * 1. `CreatePlatformEndpoint` (idempotent per token). If SNS answers that an endpoint with this token
 *    already exists "with the same Token, but different attributes" (typically a disabled one, or one
 *    with other user data), take its ARN from the message.
 * 2. `GetEndpointAttributes`. `NotFound` means the endpoint was deleted in between: create it again.
 * 3. If the stored token differs or `Enabled` is not `true`, `SetEndpointAttributes` with the current
 *    token and `Enabled=true`: the app has just proved the token is live.
 *
 * Endpoints are created with `Enabled=true`, so that registering a token whose endpoint was disabled
 * takes the "already exists" branch and repairs it instead of handing back a dead endpoint.
 */
export class SnsPushRegistry implements PushRegistry {
  constructor(private readonly client: SNSClient) {}

  /**
   * @param knownEndpointArn the ARN stored for this device before, if any. Only with it can a
   *   *rotated* token update the device's existing endpoint (step 3); without it a new token gets a new
   *   endpoint and the old one is left for SNS to disable on its next failed delivery. Not in the
   *   `PushRegistry` port yet: callers through the port always take the create path.
   */
  async register(
    platformApplicationArn: string,
    token: string,
    knownEndpointArn?: string,
  ): Promise<{ endpointArn: string; enabled: boolean }> {
    try {
      let endpointArn = knownEndpointArn ?? (await this.create(platformApplicationArn, token));
      let attributes = await this.attributes(endpointArn);
      if (attributes === undefined) {
        endpointArn = await this.create(platformApplicationArn, token);
        attributes = await this.attributes(endpointArn);
        if (attributes === undefined) {
          throw new TransientError('SNS endpoint vanished right after it was created', undefined, {
            endpointArn,
          });
        }
      }
      if (attributes.Token !== token || attributes.Enabled !== 'true') {
        await this.client.send(
          new SetEndpointAttributesCommand({
            EndpointArn: endpointArn,
            Attributes: { Token: token, Enabled: 'true' },
          }),
        );
      }
      return { endpointArn, enabled: true };
    } catch (error) {
      throw registryError(error, token);
    }
  }

  private async create(platformApplicationArn: string, token: string): Promise<string> {
    try {
      const { EndpointArn } = await this.client.send(
        new CreatePlatformEndpointCommand({
          PlatformApplicationArn: platformApplicationArn,
          Token: token,
          Attributes: { Enabled: 'true' },
        }),
      );
      if (!EndpointArn) throw new PlatformError('SNS created a platform endpoint but returned no ARN');
      return EndpointArn;
    } catch (error) {
      const existing = error instanceof InvalidParameterException ? ALREADY_EXISTS.exec(error.message) : null;
      if (existing?.[1]) return existing[1];
      throw error;
    }
  }

  /** The endpoint's attributes, or `undefined` when it no longer exists. */
  private async attributes(endpointArn: string): Promise<Record<string, string> | undefined> {
    try {
      const { Attributes } = await this.client.send(
        new GetEndpointAttributesCommand({ EndpointArn: endpointArn }),
      );
      return Attributes ?? {};
    } catch (error) {
      if (error instanceof NotFoundException) return undefined;
      throw error;
    }
  }
}

/**
 * Registration is not a send: a bad token or application ARN is bad input (no retry helps, and no
 * channel fallback applies); throttling, outages and systemic faults map as for sends. SNS may echo the
 * token in a message, so it is masked in the cause.
 */
function registryError(error: unknown, token: string): PlatformError {
  if (error instanceof PlatformError) return error;
  if (error instanceof Error && token !== '') error.message = error.message.replaceAll(token, '<token>');
  if (error instanceof InvalidParameterException || error instanceof NotFoundException) {
    return new InvalidInputError(`SNS refused the device registration (${error.name})`, { cause: error });
  }
  return snsSendError(error, 'push');
}
