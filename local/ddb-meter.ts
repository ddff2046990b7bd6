import type { DynamoDBClient } from '@aws-sdk/client-dynamodb';

/**
 * Counts DynamoDB calls at the SDK and the capacity they consume, for the tests and the benchmark that
 * hold the pipeline to its budget (1 Query + 1 conditional write before a send + 1 write after).
 * It asks every call for `ReturnConsumedCapacity: TOTAL`. DynamoDB Local reports single-item calls
 * right but under-reports transactions, so `TransactWriteItems` is billed by AWS's rule instead:
 * 2 write units per started KB per item (callers pass item sizes via `transactionUnits`). It also
 * reports 0 for a read that finds nothing, where AWS still charges the read ("even if no data
 * exists"): a `GetItem`, `Query` or `Scan` is counted at least 1 read unit when strongly consistent,
 * 0.5 when eventually consistent.
 */
export interface DdbMeter {
  calls: Record<string, number>;
  readUnits: number;
  writeUnits: number;
  reset(): void;
}

/** Single-table reads that AWS charges even when they find nothing. */
const MINIMUM_READ = /^(GetItem|Query|Scan)Command$/;

export function meterDynamoDb(client: DynamoDBClient): DdbMeter {
  const meter: DdbMeter = {
    calls: {},
    readUnits: 0,
    writeUnits: 0,
    reset() {
      meter.calls = {};
      meter.readUnits = 0;
      meter.writeUnits = 0;
    },
  };
  client.middlewareStack.add(
    (next, context) => async (args) => {
      const name = String(context.commandName ?? 'unknown');
      meter.calls[name] = (meter.calls[name] ?? 0) + 1;
      const input = args.input as Record<string, unknown>;
      if (!('ReturnConsumedCapacity' in input)) input.ReturnConsumedCapacity = 'TOTAL';
      const result = await next(args);
      const out = result.output as { ConsumedCapacity?: unknown };
      if (MINIMUM_READ.test(name)) {
        const c = out.ConsumedCapacity as { ReadCapacityUnits?: number; CapacityUnits?: number } | undefined;
        const units = c?.ReadCapacityUnits ?? c?.CapacityUnits ?? 0;
        meter.readUnits += Math.max(units, input.ConsistentRead === true ? 1 : 0.5);
        return result;
      }
      const capacities = Array.isArray(out.ConsumedCapacity) ? out.ConsumedCapacity : [out.ConsumedCapacity];
      for (const c of capacities as (
        | { ReadCapacityUnits?: number; WriteCapacityUnits?: number; CapacityUnits?: number }
        | undefined
      )[]) {
        if (!c) continue;
        const isWrite = /Put|Update|Delete|BatchWrite|TransactWrite/.test(name);
        const units = (isWrite ? c.WriteCapacityUnits : c.ReadCapacityUnits) ?? c.CapacityUnits ?? 0;
        if (isWrite) meter.writeUnits += units;
        else meter.readUnits += units;
      }
      return result;
    },
    { step: 'initialize', name: 'contactDdbMeter' },
  );
  return meter;
}
