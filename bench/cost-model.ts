/**
 * The all-in platform cost of one triggered send, at us-east-1 list prices (late 2026), excluding the
 * providers' per-message fees (SES, SNS SMS). Every input is either a list price below or a number the
 * benchmark measured in the same run; nothing else is assumed except what the comments say.
 */
export const PRICES_USD = {
  eventBridgePerMillionEvents: 1.0,
  sqsPerMillionRequests: 0.4,
  lambdaArmPerGbSecond: 0.0000133334,
  lambdaPerMillionRequests: 0.2,
  dynamoPerMillionWriteUnits: 0.625,
  dynamoPerMillionReadUnits: 0.125,
  logsPerGbIngested: 0.5,
} as const;

export interface CostInputs {
  /** Measured: write and read units per sent message. */
  readonly writeUnitsPerSend: number;
  readonly readUnitsPerSend: number;
  /** Measured: `evaluate`'s time per trigger (ms), which Lambda bills as duration. */
  readonly evaluateMsPerTrigger: number;
  /**
   * Measured: the share of triggers that the activity rule also routes to the `activity` queue
   * (events a threshold rule counts or a goal attributes; shared/routing.ts `activityPattern`).
   */
  readonly activityShare: number;
  /** Measured: `activity`'s time per event it receives (ms). */
  readonly activityMsPerEvent: number;
  /** Measured: DynamoDB units `activity` spends per event (write and read). */
  readonly activityWriteUnits: number;
  readonly activityReadUnits: number;
  /**
   * Measured: log bytes billed per trigger (our lines and Lambda's START/END/REPORT per batch, each
   * event with CloudWatch's 26 bytes; bench/log-bytes.ts).
   */
  readonly logBytesPerTrigger: number;
  /** Configured memory of the functions (MB). */
  readonly memoryMb: number;
  /** SQS/Lambda batch size (records per invocation and per receive/delete call). */
  readonly batchSize: number;
}

export interface CostBreakdown {
  readonly eventBridge: number;
  readonly sqs: number;
  readonly lambda: number;
  readonly dynamodb: number;
  readonly logs: number;
  readonly total: number;
}

/** Cost per million triggered sends, by service. */
export function costPerMillion(inputs: CostInputs): CostBreakdown {
  const M = 1_000_000;
  const p = PRICES_USD;
  // One custom event per trigger (the app's PutEvents); rule deliveries to SQS are not billed as events.
  const eventBridge = p.eventBridgePerMillionEvents;
  // The campaign's queue sees each trigger; the activity queue only the share it routes. Per queue and
  // message: EventBridge's SendMessage, plus a ReceiveMessage and a DeleteMessageBatch per batch.
  const queues = 1 + inputs.activityShare;
  const sqs = queues * (1 + 2 / inputs.batchSize) * p.sqsPerMillionRequests;
  const gb = inputs.memoryMb / 1024;
  const lambdaSeconds =
    (inputs.evaluateMsPerTrigger + inputs.activityShare * inputs.activityMsPerEvent) / 1000;
  const lambda =
    M * lambdaSeconds * gb * p.lambdaArmPerGbSecond +
    (queues / inputs.batchSize) * p.lambdaPerMillionRequests;
  const dynamodb =
    (inputs.writeUnitsPerSend + inputs.activityShare * inputs.activityWriteUnits) *
      p.dynamoPerMillionWriteUnits +
    (inputs.readUnitsPerSend + inputs.activityShare * inputs.activityReadUnits) * p.dynamoPerMillionReadUnits;
  const logs = ((M * inputs.logBytesPerTrigger) / 1024 ** 3) * p.logsPerGbIngested;
  const round = (n: number) => Math.round(n * 1000) / 1000;
  return {
    eventBridge: round(eventBridge),
    sqs: round(sqs),
    lambda: round(lambda),
    dynamodb: round(dynamodb),
    logs: round(logs),
    total: round(eventBridge + sqs + lambda + dynamodb + logs),
  };
}
