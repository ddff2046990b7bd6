import { type EventBridgeClient, PutEventsCommand } from '@aws-sdk/client-eventbridge';
import type { TriggerEmitter } from '#shared/domain/ports.ts';
import { TransientError } from '#shared/errors.ts';

/** PutEvents onto the `contact-triggers` bus, 10 entries per call; failed entries are retried, then raised. */
export class EventBridgeEmitter implements TriggerEmitter {
  constructor(
    private readonly client: EventBridgeClient,
    private readonly busName: string,
  ) {}

  async emit(
    events: readonly { source: string; detailType: string; detail: Record<string, unknown> }[],
  ): Promise<void> {
    for (let i = 0; i < events.length; i += 10) {
      let entries = events.slice(i, i + 10).map((e) => ({
        EventBusName: this.busName,
        Source: e.source,
        DetailType: e.detailType,
        Detail: JSON.stringify(e.detail),
      }));
      for (let attempt = 0; entries.length > 0; attempt++) {
        const out = await this.client.send(new PutEventsCommand({ Entries: entries }));
        if (!out.FailedEntryCount) break;
        if (attempt >= 3) {
          const codes = [...new Set((out.Entries ?? []).map((e) => e.ErrorCode).filter(Boolean))].join(', ');
          throw new TransientError(`PutEvents kept failing for ${out.FailedEntryCount} entries (${codes})`);
        }
        entries = entries.filter((_, k) => out.Entries?.[k]?.ErrorCode);
        await new Promise((r) => setTimeout(r, 100 * 2 ** attempt));
      }
    }
  }
}
