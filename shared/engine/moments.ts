import type { CustomerState, Profile, SendEntry } from '#shared/domain/customer.ts';
import type { Fact, Reason } from '#shared/domain/decision.ts';
import type { Strategy } from '#shared/strategy/schema.ts';
import type { TemplateSet } from '#shared/strategy/templates.ts';
import { CHANNELS, type Channel, type Moment } from '#shared/strategy/vocabulary.ts';
import type { CompiledCampaign, Engine } from './compile.ts';
import { activityCount, consentFor, fullCap, selectChannels } from './decide.ts';
import type { TriggerEvent } from './event.ts';
import { bucketOf } from './hash.ts';
import { buildRenderContext, type RenderLinks, renderMessage, templateProblems } from './render.ts';
import { DAY_MS, localClock, localParts, quietHoursEnd } from './time.ts';

/**
 * Contact moments: the customer is already in contact — at the till, on the phone, on the website —
 * and the person serving them (or the page) asks "which one offer fits now?". The answer comes from
 * the same engine as triggered messages, under the same rules, so a moment can never offer what a
 * message could not send:
 *
 * per campaign marked for the moment, by descending priority: known customer → audience → business
 * rule (threshold from the activity counters; a date trigger's window: `daysBefore` days up to the
 * date, in the customer's time zone) → campaign caps and contact rules (an offer shown counts) →
 * consent for the campaign's purpose (on the asked channel, else on any channel) → holdout (the
 * control group sees no offer either) → quiet hours (only for `call`: the call centre may be calling
 * out; at the till and on the web the customer started the contact). The first eligible campaign wins;
 * the others are runners-up with why they lost.
 *
 * Pure, like `decide`: state and time in, an explained answer out.
 */

export interface MomentInput {
  readonly customerId: string;
  readonly state: CustomerState;
  readonly moment: Moment;
  /** A channel the offer is to go through (a receipt by email, a push in the app): checked like a message. */
  readonly channel?: Channel;
  /** Epoch milliseconds. */
  readonly now: number;
}

/** Why a campaign is not the offer: the engine's reasons, plus `holdout` (control group). */
export type MomentReason = Reason | 'holdout';

export interface MomentCandidate {
  readonly campaignId: string;
  readonly name?: string;
  readonly priority: number;
  readonly purpose: string;
  /** True when the campaign could be offered on its own (a runner-up may be eligible but outranked). */
  readonly eligible: boolean;
  readonly reason?: MomentReason;
  /** The reason in words, for the person at the till. */
  readonly why: string;
  readonly variant?: string;
  readonly channel?: Channel;
  readonly facts: readonly Fact[];
}

export interface MomentDecision {
  readonly customerId: string;
  readonly moment: Moment;
  readonly channel?: Channel;
  readonly decidedAt: string;
  /** The campaign to offer; undefined = nothing to offer (see `runnersUp` for the reasons). */
  readonly winner?: MomentCandidate;
  /** Every other campaign marked for the moment, by priority, with why it lost. */
  readonly runnersUp: readonly MomentCandidate[];
}

const pad = (n: number) => String(n).padStart(2, '0');
const isLeap = (y: number) => (y % 4 === 0 && y % 100 !== 0) || y % 400 === 0;

/**
 * Days from the customer's local today to the date attribute (its next anniversary when yearly);
 * undefined when the attribute is not a date. 29 February falls on 28 February in other years.
 */
function daysUntil(
  profile: Profile,
  attribute: string,
  anniversary: boolean,
  now: number,
  timezone: string,
): { date: string; days: number } | undefined {
  const value = profile.attributes[attribute];
  if (typeof value !== 'string' || !/^\d{4}-\d{2}-\d{2}/.test(value)) return undefined;
  const [y, m, d] = value.slice(0, 10).split('-').map(Number) as [number, number, number];
  const local = localParts(now, timezone);
  const today = Date.UTC(local.year, local.month - 1, local.day);
  const on = (year: number) => Date.UTC(year, m - 1, m === 2 && d === 29 && !isLeap(year) ? 28 : d);
  let target = anniversary ? on(local.year) : Date.UTC(y, m - 1, d);
  if (anniversary && target < today) target = on(local.year + 1);
  const date = new Date(target);
  return {
    date: `${date.getUTCFullYear()}-${pad(date.getUTCMonth() + 1)}-${pad(date.getUTCDate())}`,
    days: Math.round((target - today) / DAY_MS),
  };
}

const WHY: Record<MomentReason, string> = {
  unknown_customer: 'the customer is not known',
  not_in_audience: 'the customer is not in the audience',
  rule_not_met: 'the business rule is not met',
  cap_reached: 'a contact limit is reached',
  no_consent: 'no consent for the campaign’s purpose on any channel',
  no_channel: 'no usable channel',
  bounced_address: 'the address is suppressed',
  holdout: 'the customer is in the control group',
  quiet_hours: 'quiet hours in the customer’s time zone',
  outranked: 'a campaign with a higher priority wins',
  duplicate: 'already decided',
  expired: 'the offer has expired',
  delay: 'not yet due',
  invalid_event: 'invalid request',
};

function explain(reason: MomentReason, facts: readonly Fact[]): string {
  const base = WHY[reason];
  if (reason === 'cap_reached') {
    const cap = facts.findLast((f) => f.kind === 'cap');
    if (cap?.kind === 'cap') {
      const scope =
        cap.scope === 'campaign' ? 'campaign limit' : `contact rule${cap.purpose ? ` (${cap.purpose})` : ''}`;
      return `${scope}: ${cap.count} of ${cap.max} per ${cap.per} used`;
    }
  }
  if (reason === 'not_in_audience') {
    const failed = facts.findLast((f) => f.kind === 'audience' && !f.passed);
    if (failed?.kind === 'audience') return `${base} (${failed.attribute})`;
  }
  if (reason === 'rule_not_met') {
    const rule = facts.findLast((f) => f.kind === 'rule' || f.kind === 'date');
    if (rule?.kind === 'rule')
      return `${base}: ${rule.count} × ${rule.detailType} within ${rule.within}, needs ${rule.atLeast}`;
    if (rule?.kind === 'date')
      return rule.daysAhead === undefined
        ? `${base}: no ${rule.attribute} known`
        : `${base}: ${rule.attribute} is ${rule.daysAhead} days ahead, offered from ${rule.window} days before`;
  }
  if (reason === 'no_consent') {
    const consent = facts.findLast((f) => f.kind === 'consent');
    const channel = facts.findLast((f) => f.kind === 'channel');
    if (channel?.kind === 'channel' && consent?.kind === 'consent')
      return `no consent for ${consent.purpose} by ${channel.channel}`;
  }
  return base;
}

interface Evaluated {
  readonly candidate: MomentCandidate;
  readonly reserves?: SendEntry;
  readonly capLimited?: boolean;
}

/** A synthetic event: the moment is the trigger (nothing in it counts towards a threshold). */
const momentEvent = (customerId: string, moment: Moment, now: number): TriggerEvent => ({
  id: `moment:${moment}`,
  source: 'contact.moments',
  detailType: 'ContactMoment',
  time: now,
  customerId,
  detail: { customerId, moment },
  raw: {},
});

function evaluateMoment(
  engine: Engine,
  c: CompiledCampaign,
  input: MomentInput,
  extraSends: readonly SendEntry[],
): Evaluated {
  const { state, now, moment, customerId } = input;
  const { campaign } = c;
  const facts: Fact[] = [];
  const base = {
    campaignId: campaign.id,
    ...(campaign.name !== undefined && { name: campaign.name }),
    priority: campaign.priority,
    purpose: campaign.purpose,
    facts,
  };
  const lose = (reason: MomentReason, capLimited = false): Evaluated => ({
    candidate: { ...base, eligible: false, reason, why: explain(reason, facts) },
    capLimited,
  });
  const profile = state.profile;
  if (!profile || state.erased) return lose('unknown_customer');
  for (const test of c.audience) {
    const { passed, value } = test.test(profile, now);
    facts.push({ kind: 'audience', attribute: test.attribute, value, passed });
    if (!passed) return lose('not_in_audience');
  }
  if (c.threshold) {
    const count = activityCount(state, c.threshold, momentEvent(customerId, moment, now), now);
    facts.push({
      kind: 'rule',
      detailType: c.threshold.counter.detailType,
      count,
      atLeast: c.threshold.atLeast,
      within: c.threshold.within,
    });
    if (count < c.threshold.atLeast) return lose('rule_not_met');
  }
  const timezone = profile.timezone ?? engine.strategy.defaults.timezone;
  const date = campaign.trigger.date;
  if (date) {
    const until = daysUntil(profile, date.attribute, date.anniversary, now, timezone);
    facts.push({
      kind: 'date',
      attribute: date.attribute,
      ...(until && { date: until.date, daysAhead: until.days }),
      window: date.daysBefore,
    });
    if (!until || until.days < 0 || until.days > date.daysBefore) return lose('rule_not_met');
  }
  const sends = extraSends.length > 0 ? [...state.sends, ...extraSends] : state.sends;
  if (fullCap(c.caps, sends, campaign.id, now, facts)) return lose('cap_reached', true);

  const variantBucket = bucketOf(`${customerId}#${campaign.id}#variant`);
  const variant =
    c.variantBounds.find((v) => variantBucket < v.upTo) ?? c.variantBounds[c.variantBounds.length - 1];
  let channel: Channel | undefined;
  if (input.channel) {
    // Checked exactly like a message on that channel: template, address, consent, suppression, channel caps.
    const only: CompiledCampaign = { ...c, campaign: { ...campaign, channels: [input.channel] } };
    const { usable, reason } = selectChannels(
      engine,
      only,
      state,
      variant?.template ?? '',
      sends,
      now,
      facts,
    );
    if (usable.length === 0) return lose(reason ?? 'no_channel', reason === 'cap_reached');
    channel = input.channel;
  } else {
    // Shown in person: consent for the purpose on any channel (a withdrawal for `all` covers every one).
    const granted = CHANNELS.find((ch) => consentFor(state, campaign.purpose, ch)?.granted);
    const consent = granted && consentFor(state, campaign.purpose, granted);
    if (!granted || !consent) {
      for (const ch of CHANNELS) {
        const withdrawn = consentFor(state, campaign.purpose, ch);
        if (withdrawn)
          facts.push({
            kind: 'consent',
            purpose: campaign.purpose,
            channel: ch,
            granted: false,
            ledgerRef: withdrawn.ledgerRef,
          });
      }
      return lose('no_consent');
    }
    facts.push({
      kind: 'consent',
      purpose: campaign.purpose,
      channel: granted,
      granted: true,
      ledgerRef: consent.ledgerRef,
    });
  }
  if (c.holdoutBuckets > 0) {
    const holdoutBucket = bucketOf(`${customerId}#${campaign.id}#holdout`);
    facts.push({ kind: 'holdout', percent: campaign.holdout, bucket: holdoutBucket });
    if (holdoutBucket < c.holdoutBuckets) return lose('holdout');
  }
  if (variant) facts.push({ kind: 'variant', id: variant.id, bucket: variantBucket });
  if (moment === 'call' && c.quietHours && quietHoursEnd(now, c.quietHours, timezone) !== undefined) {
    facts.push({ kind: 'quiet_hours', ...c.quietHours, timezone, localTime: localClock(now, timezone) });
    return lose('quiet_hours');
  }
  facts.push({ kind: 'moment', moment });
  return {
    candidate: {
      ...base,
      eligible: true,
      why: `highest priority (${campaign.priority}) of the offers the customer can have now`,
      ...(variant && { variant: variant.id }),
      ...(channel && { channel }),
    },
    reserves: { at: now, campaignId: campaign.id, purpose: campaign.purpose, channel: moment },
  };
}

/**
 * The next best offer at a contact moment: the highest-priority campaign marked for the moment that
 * the customer may be offered now, and every other one with why it lost. When the winner takes the
 * last slot of a shared contact rule, a runner-up that would otherwise have fitted says so.
 */
export function decideMoment(engine: Engine, input: MomentInput): MomentDecision {
  const decidedAt = new Date(input.now).toISOString();
  const marked = engine.byPriority.filter((c) => c.campaign.moments?.[input.moment] !== undefined);
  let winner: MomentCandidate | undefined;
  const granted: SendEntry[] = [];
  const runnersUp: MomentCandidate[] = [];
  for (const c of marked) {
    const evaluated = evaluateMoment(engine, c, input, granted);
    if (!winner && evaluated.reserves) {
      winner = evaluated.candidate;
      granted.push(evaluated.reserves);
      continue;
    }
    const { candidate } = evaluated;
    if (winner && (evaluated.reserves || evaluated.capLimited)) {
      const alone = evaluated.reserves ? evaluated : evaluateMoment(engine, c, input, []);
      if (alone.reserves) {
        const lastSlot = !evaluated.reserves;
        runnersUp.push({
          ...candidate,
          eligible: true,
          reason: 'outranked',
          why: `${winner.campaignId} has a higher priority (${winner.priority} > ${candidate.priority})${lastSlot ? ' and takes the last slot of a contact limit' : ''}`,
          facts: [
            ...candidate.facts,
            { kind: 'arbitration', winner: winner.campaignId, priority: winner.priority },
          ],
        });
        continue;
      }
    }
    runnersUp.push(candidate);
  }
  return {
    customerId: input.customerId,
    moment: input.moment,
    ...(input.channel && { channel: input.channel }),
    decidedAt,
    ...(winner && { winner }),
    runnersUp,
  };
}

// ---------------------------------------------------------------------------------------------
// Moment texts: rendered with the same Handlebars instance and guarantees as message templates
// (no contact fields, no HTML escaping, missing fields render empty), by treating each text as
// a one-string webhook template.

const TEXT_TEMPLATE = 'moment';

function textSet(
  text: string | Readonly<Record<string, string>>,
  defaultLocale: string,
  layout: TemplateSet['layout'],
): TemplateSet {
  const byLocale = typeof text === 'string' ? { [defaultLocale]: text } : text;
  return {
    templates: {
      [TEXT_TEMPLATE]: {
        webhook: Object.fromEntries(Object.entries(byLocale).map(([locale, t]) => [locale, { text: t }])),
      },
    },
    layout,
  };
}

/** The template sets of every moment text of the strategy (for the build, which precompiles them). */
export function momentTextSets(strategy: Strategy, layout: TemplateSet['layout']): TemplateSet[] {
  return strategy.campaigns.flatMap((campaign) =>
    Object.values(campaign.moments ?? {}).flatMap((text) =>
      text === undefined ? [] : [textSet(text, strategy.defaults.locale, layout)],
    ),
  );
}

const textSets = new WeakMap<Engine, Map<string, TemplateSet>>();

function momentTextSet(engine: Engine, c: CompiledCampaign, moment: Moment): TemplateSet | undefined {
  let sets = textSets.get(engine);
  if (!sets) {
    sets = new Map();
    textSets.set(engine, sets);
  }
  const key = `${c.campaign.id}#${moment}`;
  let set = sets.get(key);
  const text = c.campaign.moments?.[moment];
  if (!set && text !== undefined) {
    set = textSet(text, engine.strategy.defaults.locale, engine.templates.layout);
    sets.set(key, set);
  }
  return set;
}

/**
 * The moment text of a campaign for a customer, in the customer's locale (else the default).
 * @throws InvalidInputError when the campaign has no text for the moment.
 */
export function renderMomentText(
  engine: Engine,
  campaignId: string,
  moment: Moment,
  profile: Profile,
  links: RenderLinks = { unsubscribe: '', preferences: '' },
  variant?: string,
): { locale: string; text: string } {
  const c = engine.campaigns.find((x) => x.campaign.id === campaignId);
  const set = c && momentTextSet(engine, c, moment);
  const rendered = renderMessage({
    templates: set ?? { templates: {}, layout: engine.templates.layout },
    templateId: TEXT_TEMPLATE,
    channel: 'webhook',
    locale: profile.locale,
    defaultLocale: engine.strategy.defaults.locale,
    context: buildRenderContext({
      profile,
      campaign: c?.campaign ?? { id: campaignId, purpose: 'marketing' },
      ...(variant !== undefined && { variant }),
      ...(engine.strategy.brand && { brand: engine.strategy.brand }),
      links,
    }),
  });
  const payload = rendered.channel === 'webhook' ? (rendered.payload as { text?: unknown }) : {};
  return { locale: rendered.locale, text: typeof payload.text === 'string' ? payload.text.trim() : '' };
}

/**
 * Problems in the strategy's moment texts (Handlebars syntax, unknown helpers, texts that fail with an
 * empty profile, no text in the default locale), as `[path, message]` for the strategy loader.
 */
export function momentTextProblems(
  strategy: Strategy,
  layout: TemplateSet['layout'],
): { path: (string | number)[]; message: string }[] {
  const problems: { path: (string | number)[]; message: string }[] = [];
  strategy.campaigns.forEach((campaign, i) => {
    for (const [moment, text] of Object.entries(campaign.moments ?? {})) {
      if (text === undefined) continue;
      const path = ['campaigns', i, 'moments', moment];
      if (typeof text !== 'string' && !(strategy.defaults.locale in text)) {
        problems.push({
          path,
          message: `has no text in the default locale "${strategy.defaults.locale}" (has ${Object.keys(text).join(', ')})`,
        });
      }
      for (const p of templateProblems(textSet(text, strategy.defaults.locale, layout))) {
        if (p.startsWith('templates/layout')) continue;
        const m = /^templates\/moment\.yaml webhook\.([^.]+)\.text: (.*)$/s.exec(p);
        problems.push(
          m?.[1] && m[2] !== undefined
            ? { path: typeof text === 'string' ? path : [...path, m[1]], message: m[2] }
            : { path, message: p },
        );
      }
    }
  });
  return problems;
}
