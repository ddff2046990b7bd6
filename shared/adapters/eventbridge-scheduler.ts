import { createHash } from 'node:crypto';
import { ConflictException, CreateScheduleCommand, type SchedulerClient } from '@aws-sdk/client-scheduler';
import type { DeferredSend, Scheduler } from '#shared/domain/ports.ts';

export interface EventBridgeSchedulerOptions {
  readonly groupName: string;
  /** The `deferred` function. */
  readonly targetArn: string;
  /** The role EventBridge Scheduler assumes to invoke it. */
  readonly roleArn: string;
  /** Where a schedule goes when it cannot invoke the function after its retries (never lost). */
  readonly deadLetterArn: string;
}

/** EventBridge Scheduler accepts target input up to 256 KB; we keep well under it. */
const MAX_INPUT_CHARS = 200_000;

/**
 * Deferred sends as one-time EventBridge Scheduler schedules (`at(...)`, deleted after they run).
 * The schedule name is derived from the decision, so a retried deferral is idempotent.
 */
export class EventBridgeScheduler implements Scheduler {
  constructor(
    private readonly client: SchedulerClient,
    private readonly options: EventBridgeSchedulerOptions,
  ) {}

  async schedule(send: DeferredSend): Promise<void> {
    const name = `d-${createHash('sha256').update(`${send.customerId}|${send.idempotencyKey}`).digest('hex').slice(0, 56)}`;
    let input = JSON.stringify(send);
    // Without the event a template renders its defaults instead of event fields; never lose the send.
    if (input.length > MAX_INPUT_CHARS) input = JSON.stringify({ ...send, event: undefined });
    try {
      await this.client.send(
        new CreateScheduleCommand({
          Name: name,
          GroupName: this.options.groupName,
          ScheduleExpression: `at(${new Date(send.at).toISOString().slice(0, 19)})`,
          ScheduleExpressionTimezone: 'UTC',
          FlexibleTimeWindow: { Mode: 'OFF' },
          ActionAfterCompletion: 'DELETE',
          Target: {
            Arn: this.options.targetArn,
            RoleArn: this.options.roleArn,
            Input: input,
            RetryPolicy: { MaximumRetryAttempts: 10, MaximumEventAgeInSeconds: 86_400 },
            DeadLetterConfig: { Arn: this.options.deadLetterArn },
          },
        }),
      );
    } catch (error) {
      if (!(error instanceof ConflictException)) throw error;
    }
  }
}
