import * as z from 'zod';
import { InvalidInputError } from '#shared/errors.ts';
import { evaluateTrigger } from '#shared/use-cases/evaluate-trigger.ts';
import { DecisionTally } from './decision-tally.ts';
import { evaluateDeps, logger } from './platform.ts';
import { sqsBatchHandler } from './sqs-batch.ts';

/** What a campaign's EventBridge rule puts on the buffer queue. */
const triggerMessage = z.object({ campaignId: z.string().min(1).max(63), event: z.unknown() });

/** Decides and delivers one (event, campaign) pair from the buffer queue. */
export async function processTrigger(body: unknown): Promise<void> {
  const parsed = triggerMessage.safeParse(body);
  if (!parsed.success) throw new InvalidInputError('not a trigger message ({ campaignId, event })');
  decisions.add(await evaluateTrigger(await evaluateDeps(), parsed.data));
}

/** One log line per batch, not per decision: each decision is already its own record in the table. */
const decisions = new DecisionTally();

export const { raw, handler } = sqsBatchHandler(processTrigger, {
  afterBatch: () => decisions.flush(logger),
});
