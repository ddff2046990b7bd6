import type { Strategy } from '#shared/strategy/schema.ts';
import { durationMs } from './time.ts';

/**
 * How far back a customer's send times matter: the longest window of any cap that can apply — the
 * strategy's global caps and the enabled campaigns' own. The store keeps send times that long and
 * drops older ones. (Its own module, so that a function that keeps send times but never decides —
 * `profile` — need not carry the engine.)
 */
export function sendRetentionMs(strategy: Pick<Strategy, 'contactRules' | 'campaigns'>): number {
  let ms = 0;
  for (const cap of strategy.contactRules.caps) ms = Math.max(ms, durationMs(cap.per));
  for (const campaign of strategy.campaigns)
    if (campaign.enabled) for (const cap of campaign.caps) ms = Math.max(ms, durationMs(cap.per));
  return ms;
}
