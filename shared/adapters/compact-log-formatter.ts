import { LogFormatter, LogItem } from '@aws-lambda-powertools/logger';
import type { LogAttributes, UnformattedAttributes } from '@aws-lambda-powertools/logger/types';

/**
 * Powertools' log format without what every line would repeat: the function's name, ARN, memory and
 * version (the log group already says which function wrote it), the service name, the sampling rate
 * and the X-Ray trace id (the trace has the request id). CloudWatch Logs bills every byte ingested,
 * and these fields were two thirds of a decision line (docs/adr/0002-cost-per-triggered-send.md).
 * Kept: level, message, timestamp, the request id (to find the invocation and its REPORT line), the
 * cold start when it is one, and the line's own attributes.
 */
export class CompactLogFormatter extends LogFormatter {
  override formatAttributes(attributes: UnformattedAttributes, additional: LogAttributes): LogItem {
    const context = attributes.lambdaContext;
    return new LogItem({
      attributes: {
        level: attributes.logLevel,
        message: attributes.message,
        timestamp: this.formatTimestamp(attributes.timestamp),
        ...(context?.awsRequestId && { requestId: context.awsRequestId }),
        ...(context?.coldStart && { coldStart: true }),
      },
    }).addAttributes(additional);
  }
}
