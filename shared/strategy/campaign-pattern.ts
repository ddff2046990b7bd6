import type { EventPattern } from '#shared/event-pattern/index.ts';
import type { Campaign } from './schema.ts';

/** Date-triggered campaigns are fired by the platform's date-trigger job with this event. */
export const DATE_TRIGGER_SOURCE = 'contact.schedule';
export const DATE_TRIGGER_DETAIL_TYPE = 'DateTriggerReached';

/**
 * The EventBridge pattern that routes events to a campaign: its own pattern, or for a date trigger
 * the date-trigger job's event for that campaign. `cdk synth` and the local runtime both use this.
 */
export function campaignPattern(campaign: Campaign): EventPattern {
  return (
    campaign.trigger.pattern ?? {
      source: [DATE_TRIGGER_SOURCE],
      'detail-type': [DATE_TRIGGER_DETAIL_TYPE],
      detail: { campaignId: [campaign.id] },
    }
  );
}
