/**
 * The SDK's own notion of throttling (as its retry strategy classifies it): a modelled retryable
 * throttle, HTTP 429, or one of AWS's generic throttling codes. These codes are not in every service
 * model — SNS answers a request-rate limit with the common `Throttling` (HTTP 400), which the SNS model
 * does not declare — so an adapter that mapped "unmodelled 400" to a permanent refusal would drop a
 * message for good because AWS was busy.
 */
const THROTTLING_CODES = new Set([
  'Throttling',
  'ThrottlingException',
  'ThrottledException',
  'RequestThrottled',
  'RequestThrottledException',
  'TooManyRequestsException',
  'RequestLimitExceeded',
  'SlowDown',
]);

export function isThrottling(error: {
  name: string;
  $metadata?: { httpStatusCode?: number };
  $retryable?: { throttling?: boolean };
}): boolean {
  return (
    error.$retryable?.throttling === true ||
    error.$metadata?.httpStatusCode === 429 ||
    THROTTLING_CODES.has(error.name) ||
    THROTTLING_CODES.has(String((error as { Code?: unknown }).Code))
  );
}
