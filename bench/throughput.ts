import {
  type DynamoDBClient,
  PutItemCommand,
  type PutItemCommandInput,
  QueryCommand,
  type QueryCommandInput,
  UpdateItemCommand,
  type UpdateItemCommandInput,
} from '@aws-sdk/client-dynamodb';
import { type SESv2Client, SendEmailCommand, type SendEmailCommandInput } from '@aws-sdk/client-sesv2';

/**
 * `throughputTriggersPerSecond`: sustained throughput of the pipeline (`evaluateTrigger`, a send per
 * trigger) against the ceiling of the same servers for the bare calls it makes, and their ratio.
 *
 * Fair by construction:
 * - the bare mix is the pipeline's own requests: the inputs of a pipeline trigger are captured at the
 *   SDK (Query, conditional UpdateItem, SendEmail, PutItem) and replayed as they were — same
 *   expressions, same item and email sizes — only re-keyed to a fresh partition and recipient, so the
 *   difference between the two is the pipeline's own work and nothing else;
 * - both run with the same concurrency (16 callers), on the same clients and servers, in alternating
 *   rounds (other processes on a shared machine come and go), after a warm-up round each that is not
 *   counted;
 * - CPU is this process's (our code, the SDK, the in-process SES emulator) per trigger.
 */

export interface ThroughputResult {
  readonly pipeline: number;
  readonly bareCallCeiling: number;
  readonly ratio: number;
  readonly cpuMsPerTrigger: { readonly pipeline: number; readonly bare: number };
  /** Triggers counted per side (after the warm-up round). */
  readonly triggers: number;
  /** The median of the rounds' own ratios: close to `ratio` when the machine was steady. */
  readonly medianRoundRatio: number;
}

export interface ThroughputOptions {
  readonly client: DynamoDBClient;
  readonly ses: SESv2Client;
  /** One trigger through the pipeline for this customer (a customer who gets a send). */
  readonly trigger: (customerId: string) => Promise<unknown>;
  /** Customers who can each take one send; the first `roundSize` warm up both sides. */
  readonly customers: readonly string[];
  /** @default 16 */
  readonly concurrency?: number;
  /** @default 50 */
  readonly roundSize?: number;
}

interface Captured {
  query?: QueryCommandInput;
  update?: UpdateItemCommandInput;
  email?: SendEmailCommandInput;
  put?: PutItemCommandInput;
}

/** Records the inputs of the calls made while `on` (the first of each kind). */
function capture(client: DynamoDBClient, ses: SESv2Client) {
  const state = { on: false, got: {} as Captured };
  const keep = (name: string, input: unknown) => {
    if (!state.on) return;
    const copy = structuredClone(input);
    if (name === 'QueryCommand') state.got.query ??= copy as QueryCommandInput;
    else if (name === 'UpdateItemCommand') state.got.update ??= copy as UpdateItemCommandInput;
    else if (name === 'PutItemCommand') state.got.put ??= copy as PutItemCommandInput;
    else if (name === 'SendEmailCommand') state.got.email ??= copy as SendEmailCommandInput;
  };
  for (const c of [client, ses] as const) {
    c.middlewareStack.add(
      (next, context) => async (args) => {
        keep(String(context.commandName), args.input);
        return next(args);
      },
      { step: 'initialize', name: 'benchCapture' },
    );
  }
  return state;
}

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)] ?? 0;

export async function measureThroughput(options: ThroughputOptions): Promise<ThroughputResult> {
  const { client, ses } = options;
  const concurrency = options.concurrency ?? 16;
  const roundSize = options.roundSize ?? 50;
  const recorder = capture(client, ses);
  const [first, ...pool] = options.customers;
  if (!first || pool.length < 2 * roundSize) throw new Error('measureThroughput: too few customers');
  recorder.on = true;
  await options.trigger(first);
  recorder.on = false;
  for (const c of [client, ses]) c.middlewareStack.remove('benchCapture');
  const { query, update, email, put } = recorder.got;
  if (!query || !update || !email || !put) {
    throw new Error(
      `measureThroughput: the trigger made no send (captured ${Object.keys(recorder.got).join(', ') || 'nothing'})`,
    );
  }

  // The commit is conditional on the state item's version; on a fresh item the same write is
  // conditional on its absence (the pipeline's own first commit for a customer), so it succeeds.
  const { ':v': _version, ...values } = update.ExpressionAttributeValues ?? {};
  const conditionalUpdate: UpdateItemCommandInput = {
    ...update,
    ConditionExpression: 'attribute_not_exists(v)',
    ExpressionAttributeValues: values,
  };

  /** The pipeline's four requests, re-keyed: its customer's partition read, a fresh state item, etc. */
  const bare = async (id: string, customerId: string) => {
    const pk = { S: `BARE#${id}` };
    const customerPk = { S: `CUSTOMER#${customerId}` };
    await client.send(
      new QueryCommand({
        ...query,
        ExpressionAttributeValues: { ...query.ExpressionAttributeValues, ':pk': customerPk },
      }),
    );
    await client.send(new UpdateItemCommand({ ...conditionalUpdate, Key: { ...update.Key, pk } }));
    await ses.send(
      new SendEmailCommand({ ...email, Destination: { ToAddresses: [`bare-${id}@example.nl`] } }),
    );
    await client.send(new PutItemCommand({ ...put, Item: { ...put.Item, pk } }));
  };

  const concurrent = async (n: number, work: (i: number) => Promise<unknown>) => {
    let next = 0;
    const t0 = performance.now();
    await Promise.all(
      Array.from({ length: concurrency }, async () => {
        while (next < n) await work(next++);
      }),
    );
    return performance.now() - t0;
  };
  const cpu = () => {
    const u = process.cpuUsage();
    return u.user + u.system;
  };

  const totals = { pipelineMs: 0, bareMs: 0, pipelineCpuUs: 0, bareCpuUs: 0, done: 0 };
  const ratios: number[] = [];
  for (let r = 0; r * roundSize < pool.length; r++) {
    const round = pool.slice(r * roundSize, (r + 1) * roundSize);
    let c0 = cpu();
    const p = await concurrent(round.length, (i) => options.trigger(round[i] ?? ''));
    const pCpu = cpu() - c0;
    c0 = cpu();
    const b = await concurrent(round.length, (i) => bare(`${first}-${r}-${i}`, round[i] ?? ''));
    const bCpu = cpu() - c0;
    if (r === 0) continue; // warm-up
    totals.pipelineMs += p;
    totals.bareMs += b;
    totals.pipelineCpuUs += pCpu;
    totals.bareCpuUs += bCpu;
    totals.done += round.length;
    ratios.push(b / p);
  }
  const pipeline = (totals.done / totals.pipelineMs) * 1000;
  const bareCeiling = (totals.done / totals.bareMs) * 1000;
  const round2 = (n: number) => Math.round(n * 100) / 100;
  return {
    pipeline: Math.round(pipeline),
    bareCallCeiling: Math.round(bareCeiling),
    // Total over total; the median of the per-round ratios is reported next to it by the caller.
    ratio: round2(pipeline / bareCeiling),
    cpuMsPerTrigger: {
      pipeline: round2(totals.pipelineCpuUs / totals.done / 1000),
      bare: round2(totals.bareCpuUs / totals.done / 1000),
    },
    triggers: totals.done,
    medianRoundRatio: round2(median(ratios)),
  };
}
