import type { Fact } from './decision.ts';

/** One fact of a decision in plain words, for the "why (not)?" a marketer asks. */
export function explainFact(fact: Fact): { text: string; ok?: boolean } {
  switch (fact.kind) {
    case 'pattern':
      return {
        text: fact.matched ? 'The event matched the trigger' : 'The event did not match the trigger',
        ok: fact.matched,
      };
    case 'rule':
      return {
        text: `Business rule: ${fact.count} × ${fact.detailType} within ${fact.within} (needs ${fact.atLeast})`,
        ok: fact.count >= fact.atLeast,
      };
    case 'audience':
      return {
        text: `Audience: ${fact.attribute} = ${JSON.stringify(fact.value) ?? 'unknown'}`,
        ok: fact.passed,
      };
    case 'consent':
      return {
        text: `Consent for ${fact.purpose} by ${fact.channel}: ${fact.granted ? 'given' : 'not given'}`,
        ok: fact.granted,
      };
    case 'cap': {
      const scope =
        fact.scope === 'campaign'
          ? 'Campaign cap'
          : `Contact rule${fact.purpose ? ` (${fact.purpose}${fact.channel ? `, ${fact.channel}` : ''})` : fact.channel ? ` (${fact.channel})` : ''}`;
      return {
        text: `${scope}: ${fact.count} of ${fact.max} per ${fact.per} used`,
        ok: fact.count < fact.max,
      };
    }
    case 'channel':
      return {
        text: `Channel ${fact.channel}: ${fact.usable ? 'usable' : `not usable${fact.why ? ` (${fact.why})` : ''}`}`,
        ok: fact.usable,
      };
    case 'quiet_hours':
      return {
        text: `Quiet hours ${fact.from}–${fact.to} in ${fact.timezone}; local time was ${fact.localTime}`,
      };
    case 'delay':
      return { text: `Sent after a delay of ${fact.delay}` };
    case 'expiry':
      return { text: `Offer expires at ${fact.expiresAt}` };
    case 'holdout':
      return { text: `Holdout group ${fact.percent}% (customer bucket ${fact.bucket})` };
    case 'variant':
      return { text: `Variant ${fact.id} (bucket ${fact.bucket})` };
    case 'arbitration':
      return { text: `Campaign ${fact.winner} won the slot (priority ${fact.priority})` };
    case 'duplicate':
      return { text: `Already decided at ${fact.firstDecidedAt} (same key)` };
    case 'invalid':
      return { text: `Invalid event: ${fact.problem}`, ok: false };
    case 'date':
      return {
        text:
          fact.daysAhead === undefined
            ? `Date ${fact.attribute}: unknown`
            : `Date ${fact.attribute} ${fact.date} is ${fact.daysAhead} day${fact.daysAhead === 1 ? '' : 's'} ahead (window ${fact.window})`,
        ok: fact.daysAhead !== undefined && fact.daysAhead >= 0 && fact.daysAhead <= fact.window,
      };
    case 'moment':
      return { text: `Offer shown at the ${fact.moment}${fact.response ? `: ${fact.response}` : ''}` };
  }
}
