import type { Logger } from '@aws-lambda-powertools/logger';
import type { Decision } from '#shared/domain/decision.ts';

/**
 * Counts a batch's decisions by campaign, outcome, reason and channel, and logs them as one line:
 * `{"message":"decided","decisions":{"welcome sent email":9,"welcome suppressed no_consent":1}}`.
 * Ids and reasons, once: the decision records themselves are in the table (the dashboard and the
 * export read them), so a line per decision would pay CloudWatch Logs for the same facts twice.
 */
export class DecisionTally {
  private counts = new Map<string, number>();

  add(decision: Pick<Decision, 'campaignId' | 'outcome' | 'reason' | 'channel'>): void {
    const key = [decision.campaignId, decision.outcome, decision.reason, decision.channel]
      .filter((part) => part !== undefined)
      .join(' ');
    this.counts.set(key, (this.counts.get(key) ?? 0) + 1);
  }

  /** Logs the counts (nothing when the batch decided nothing) and starts over. */
  flush(logger: Pick<Logger, 'info'>): void {
    if (this.counts.size === 0) return;
    logger.info('decided', { decisions: Object.fromEntries(this.counts) });
    this.counts = new Map();
  }
}
