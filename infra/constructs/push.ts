import { Arn, ArnFormat } from 'aws-cdk-lib';
import * as iam from 'aws-cdk-lib/aws-iam';
import type { PushPlatformApplicationArns } from '../settings.ts';
import { acknowledge, wildcardResourceFinding } from './nag.ts';
import type { PlatformFunction } from './platform-function.ts';

/** The configured SNS platform applications' ARNs (FCM, then APNs). */
export function applicationArnsOf(applications: PushPlatformApplicationArns): string[] {
  return [applications.fcm, applications.apns].filter((arn): arn is string => arn !== undefined);
}

/** ARN patterns of the endpoints under the configured applications: `endpoint/<platform>/<app>/*`. */
export function endpointArnsOf(applications: PushPlatformApplicationArns): string[] {
  return applicationArnsOf(applications).map((arn) => {
    const parts = Arn.split(arn, ArnFormat.SLASH_RESOURCE_NAME);
    // app/<platform>/<name> → endpoint/<platform>/<name>/<endpoint id>
    return Arn.format({ ...parts, resource: 'endpoint', resourceName: `${parts.resourceName}/*` });
  });
}

/** `PUSH_APP_FCM_ARN` / `PUSH_APP_APNS_ARN` for the configured applications (`customerDataDeps`). */
export function pushEnvironment(applications: PushPlatformApplicationArns): Record<string, string> {
  return {
    ...(applications.fcm && { PUSH_APP_FCM_ARN: applications.fcm }),
    ...(applications.apns && { PUSH_APP_APNS_ARN: applications.apns }),
  };
}

const ENDPOINT_WILDCARD_REASON =
  'Push endpoints are created per device at run time under the configured platform application; the wildcard is the endpoint id below it.';

/** Push sends (`evaluate`, `deferred`): `sns:Publish` to the endpoints of the configured applications only. */
export function grantPushPublish(fn: PlatformFunction, applications: PushPlatformApplicationArns): void {
  const endpointArns = endpointArnsOf(applications);
  if (endpointArns.length === 0) return;
  iam.Grant.addToPrincipal({ grantee: fn, actions: ['sns:Publish'], resourceArns: endpointArns });
  acknowledgeEndpointWildcards(fn, endpointArns);
}

/**
 * Device registration (`profile`, `SnsPushRegistry`): `sns:CreatePlatformEndpoint` on the configured
 * applications, `sns:GetEndpointAttributes` and `sns:SetEndpointAttributes` on their endpoints.
 */
export function grantPushRegistration(fn: PlatformFunction, applications: PushPlatformApplicationArns): void {
  const applicationArns = applicationArnsOf(applications);
  if (applicationArns.length === 0) return;
  iam.Grant.addToPrincipal({
    grantee: fn,
    actions: ['sns:CreatePlatformEndpoint'],
    resourceArns: applicationArns,
  });
  const endpointArns = endpointArnsOf(applications);
  iam.Grant.addToPrincipal({
    grantee: fn,
    actions: ['sns:GetEndpointAttributes', 'sns:SetEndpointAttributes'],
    resourceArns: endpointArns,
  });
  acknowledgeEndpointWildcards(fn, endpointArns);
}

function acknowledgeEndpointWildcards(fn: PlatformFunction, endpointArns: readonly string[]): void {
  const defaultPolicy = fn.role.node.tryFindChild('DefaultPolicy');
  if (!defaultPolicy) return;
  acknowledge(
    defaultPolicy,
    ...endpointArns.map((arn) => ({
      id: wildcardResourceFinding(fn, arn),
      reason: ENDPOINT_WILDCARD_REASON,
    })),
  );
}
