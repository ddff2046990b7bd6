import {
  type ConsentState,
  type CustomerState,
  consentKey,
  decidedKey,
  type Profile,
  type SendEntry,
} from '#shared/domain/customer.ts';
import type { Decision, Fact, Outcome, Reason } from '#shared/domain/decision.ts';
import type { Channel } from '#shared/strategy/schema.ts';
import type { TemplateFile } from '#shared/strategy/templates.ts';
import type { CapRule, CompiledCampaign, Engine } from './compile.ts';
import { businessKeyAt, parseTriggerEvent, type TriggerEvent } from './event.ts';
import { bucketOf3 } from './hash.ts';
import { DAY_MS, isoString, localClock, quietHoursEnd, utcDay } from './time.ts';

export interface DecideInput {
  /** The EventBridge event, as received (unchecked). */
  readonly event: unknown;
  readonly state: CustomerState;
  /** Epoch milliseconds. */
  readonly now: number;
  /**
   * Only return decisions for these campaigns (the buffer queue carries one campaign per message).
   * Arbitration still weighs every campaign the event triggers, so the outcome does not depend on the
   * order in which the messages of one event are processed.
   */
  readonly campaignIds?: readonly string[];
}

const EMAIL = /^[^\s@]+@[^\s@]+\.[^\s@]+$/;
const E164 = /^\+[1-9]\d{6,14}$/;

/** The idempotency key of an (event, campaign) pair: the producer's business key or the event id. */
export function idempotencyKeyOf(campaign: CompiledCampaign, event: TriggerEvent): string {
  // Date triggers carry their occurrence (`<campaign>#<date>`): one send per customer per occurrence,
  // however often the daily job runs.
  const path =
    campaign.campaign.trigger.idempotencyKey ??
    (campaign.campaign.trigger.date ? 'detail.occurrence' : undefined);
  const business = path ? businessKeyAt(event, path) : undefined;
  return `${business ?? event.id}#${campaign.campaign.id}`;
}

/** Current consent for a purpose on a channel: the newer of the channel's own record and the `all` record. */
export function consentFor(
  state: CustomerState,
  purpose: string,
  channel: Channel,
): ConsentState | undefined {
  const keys = consentKeysOf(purpose);
  const own = state.consent[keys[channel]];
  const all = state.consent[keys.all];
  if (!own) return all;
  if (!all) return own;
  return own.occurredAt >= all.occurredAt ? own : all;
}

/** `consentKey(purpose, channel)` for every channel and `all`, built once per purpose. */
const consentKeys = new Map<string, Readonly<Record<Channel | 'all', string>>>();
function consentKeysOf(purpose: string): Readonly<Record<Channel | 'all', string>> {
  let keys = consentKeys.get(purpose);
  if (!keys) {
    keys = {
      email: consentKey(purpose, 'email'),
      sms: consentKey(purpose, 'sms'),
      push: consentKey(purpose, 'push'),
      webhook: consentKey(purpose, 'webhook'),
      all: consentKey(purpose, 'all'),
    };
    consentKeys.set(purpose, keys);
  }
  return keys;
}

function addressable(profile: Profile, channel: Channel): boolean {
  switch (channel) {
    case 'email':
      return typeof profile.email === 'string' && EMAIL.test(profile.email);
    case 'sms':
      return typeof profile.phone === 'string' && E164.test(profile.phone);
    case 'push':
      return profile.pushEndpoints?.some((e) => e.enabled) ?? false;
    case 'webhook':
      return true;
  }
}

function countSends(sends: readonly SendEntry[], cap: CapRule, campaignId: string, now: number): number {
  const since = now - cap.perMs;
  let n = 0;
  for (const s of sends) {
    if (s.at <= since) continue;
    if (cap.scope === 'campaign' ? s.campaignId !== campaignId : !matchesGlobal(cap, s)) continue;
    if (cap.channel !== undefined && s.channel !== cap.channel) continue;
    n++;
  }
  return n;
}

const matchesGlobal = (cap: CapRule, s: SendEntry): boolean =>
  cap.purpose === undefined ? s.purpose !== 'service' : s.purpose === cap.purpose;

/** The first cap without room (exported for contact moments), with its fact; undefined when every cap has room. */
export function fullCap(
  caps: readonly CapRule[],
  sends: readonly SendEntry[],
  campaignId: string,
  now: number,
  facts: Fact[],
): CapRule | undefined {
  for (const cap of caps) {
    const count = countSends(sends, cap, campaignId, now);
    facts.push(capFact(cap, count));
    if (count >= cap.max) return cap;
  }
  return undefined;
}

/** The cap fact, keys in the record's order, built without object spread (a hot path). */
function capFact(cap: CapRule, count: number): Fact {
  const { scope, purpose, channel, max, per } = cap;
  if (purpose !== undefined && channel !== undefined)
    return { kind: 'cap', scope, purpose, channel, count, max, per };
  if (purpose !== undefined) return { kind: 'cap', scope, purpose, count, max, per };
  if (channel !== undefined) return { kind: 'cap', scope, channel, count, max, per };
  return { kind: 'cap', scope, count, max, per };
}

export function activityCount(
  state: CustomerState,
  c: NonNullable<CompiledCampaign['threshold']>,
  event: TriggerEvent,
  now: number,
): number {
  const counter = state.activity[c.counter.id];
  const firstDay = utcDay(now - c.withinMs + DAY_MS);
  let count = 0;
  if (counter) {
    const { days } = counter;
    for (const day in days) if (day >= firstDay) count += days[day] ?? 0;
  }
  // The triggering event counts too, unless the activity function has already counted it.
  const counted = counter?.eventIds.includes(event.id) ?? false;
  if (!counted && c.counter.matches(event.raw)) count++;
  return count;
}

/** The campaign's channels in order, `preferred` replaced by the customer's preference (once). */
function channelOrder(campaign: CompiledCampaign, profile: Profile): Channel[] {
  const out: Channel[] = [];
  for (const ch of campaign.campaign.channels) {
    const resolved = ch === 'preferred' ? profile.preferredChannel : ch;
    if (resolved && !out.includes(resolved)) out.push(resolved);
  }
  return out;
}

type ChannelFailure = 'no_template' | 'no_address' | 'no_consent' | 'suppressed' | 'cap';

/**
 * The channels a message may use now, in order: a template for the channel, a valid address, consent
 * for the purpose on the channel, no suppression, room under the channel's caps. When none is usable,
 * the most telling reason: a cap, then a bounced address, then missing consent, else no channel.
 */
export function selectChannels(
  engine: Engine,
  c: CompiledCampaign,
  state: CustomerState,
  templateId: string,
  sends: readonly SendEntry[],
  now: number,
  facts: Fact[],
): { usable: Channel[]; reason?: Reason } {
  const { campaign } = c;
  const profile = state.profile;
  const template = engine.templates.templates[templateId];
  const usable: Channel[] = [];
  if (!profile) return { usable, reason: 'unknown_customer' };
  let capFailed = false;
  let suppressedFailed = false;
  let consentFailed = false;
  for (const channel of channelOrder(c, profile)) {
    let failure: ChannelFailure | undefined;
    const consent = consentFor(state, campaign.purpose, channel);
    if (!template || !hasLocales(template, channel)) failure = 'no_template';
    else if (!addressable(profile, channel)) failure = 'no_address';
    else if (!consent?.granted) {
      failure = 'no_consent';
      facts.push({
        kind: 'consent',
        purpose: campaign.purpose,
        channel,
        granted: false,
        ...(consent && { ledgerRef: consent.ledgerRef }),
      });
    } else if (state.suppressions[channel]) failure = 'suppressed';
    else {
      facts.push({
        kind: 'consent',
        purpose: campaign.purpose,
        channel,
        granted: true,
        ledgerRef: consent.ledgerRef,
      });
      if (c.channelCaps.length > 0) {
        const caps = c.channelCaps.filter((cap) => cap.channel === channel);
        if (caps.length > 0 && fullCap(caps, sends, campaign.id, now, facts)) failure = 'cap';
      }
    }
    // Usable channels are evident from the decision (channel, fallbackChannels); record why the others were not.
    if (failure) {
      facts.push({ kind: 'channel', channel, usable: false, why: failure });
      if (failure === 'cap') capFailed = true;
      else if (failure === 'suppressed') suppressedFailed = true;
      else if (failure === 'no_consent') consentFailed = true;
    } else usable.push(channel);
  }
  if (usable.length > 0) return { usable };
  if (capFailed) return { usable, reason: 'cap_reached' };
  if (suppressedFailed) return { usable, reason: 'bounced_address' };
  if (consentFailed) return { usable, reason: 'no_consent' };
  return { usable, reason: 'no_channel' };
}

/** `templateLocales(template, channel).length > 0`, without building the list. */
function hasLocales(template: TemplateFile, channel: Channel): boolean {
  const locales = template[channel];
  if (locales === undefined || locales === null) return false;
  for (const locale in locales) if (Object.hasOwn(locales, locale)) return true;
  return false;
}

interface Context {
  readonly engine: Engine;
  readonly event: TriggerEvent;
  readonly state: CustomerState;
  readonly now: number;
  readonly decidedAt: string;
}

type Mutable<T> = { -readonly [K in keyof T]: T[K] };

const capLimited = (candidate: Candidate): Candidate => {
  candidate.capLimited = true;
  return candidate;
};

interface Candidate {
  decision: Decision;
  /** Set when the decision would send or is held out: the cap entry it reserves. */
  reserves?: SendEntry;
  /** True when the decision failed only because of caps (used by arbitration). */
  capLimited?: boolean;
}

/** A decision's common part, keys in the record's order (built without spread: a hot path). */
function decisionOf(
  ctx: Context,
  c: CompiledCampaign,
  key: string,
  facts: Fact[],
  outcome: Outcome,
  reason: Reason | undefined,
): Mutable<Decision> {
  const decision: Mutable<Decision> = {
    eventId: ctx.event.id,
    campaignId: c.campaign.id,
    customerId: ctx.event.customerId,
    outcome,
    decidedAt: ctx.decidedAt,
    idempotencyKey: key,
    facts,
  };
  if (reason) decision.reason = reason;
  return decision;
}

/**
 * The record key of a suppression: the event's own (`<eventId>#<campaign>`), not the business key. A
 * suppression commits nothing, so a later event with the same business key is decided afresh, and its
 * record must not overwrite this one: every (event, campaign) pair keeps its own record. A duplicate
 * keeps the business key: it is counted on the record that key names.
 */
const eventKey = (ctx: Context, c: CompiledCampaign): string => `${ctx.event.id}#${c.campaign.id}`;

const suppressed = (ctx: Context, c: CompiledCampaign, key: string, facts: Fact[], reason: Reason) => ({
  decision: decisionOf(ctx, c, reason === 'duplicate' ? key : eventKey(ctx, c), facts, 'suppressed', reason),
});

function evaluate(ctx: Context, c: CompiledCampaign, extraSends: readonly SendEntry[]): Candidate {
  const { event, state, now } = ctx;
  const { campaign } = c;
  const facts: Fact[] = [];
  const key = idempotencyKeyOf(c, event);

  const profile = state.profile;
  if (!profile || state.erased) return suppressed(ctx, c, key, facts, 'unknown_customer');
  const first = state.decided[decidedKey(key)];
  if (first !== undefined) {
    facts.push({ kind: 'duplicate', idempotencyKey: key, firstDecidedAt: isoString(first) });
    return suppressed(ctx, c, key, facts, 'duplicate');
  }
  for (const test of c.audience) {
    const { passed, value } = test.test(profile, now);
    facts.push({ kind: 'audience', attribute: test.attribute, value, passed });
    if (!passed) return suppressed(ctx, c, key, facts, 'not_in_audience');
  }
  if (c.threshold) {
    const count = activityCount(state, c.threshold, event, now);
    facts.push({
      kind: 'rule',
      detailType: c.threshold.counter.detailType,
      count,
      atLeast: c.threshold.atLeast,
      within: c.threshold.within,
    });
    if (count < c.threshold.atLeast) return suppressed(ctx, c, key, facts, 'rule_not_met');
  }
  const expiresAt = c.expiresMs === undefined ? undefined : event.time + c.expiresMs;
  if (expiresAt !== undefined && now > expiresAt) {
    // (An offer still valid shows its expiry in the decision's expiresAt instead.)
    facts.push({ kind: 'expiry', expiresAt: isoString(expiresAt) });
    return suppressed(ctx, c, key, facts, 'expired');
  }
  const sends = extraSends.length > 0 ? [...state.sends, ...extraSends] : state.sends;
  if (fullCap(c.caps, sends, campaign.id, now, facts)) {
    return capLimited(suppressed(ctx, c, key, facts, 'cap_reached'));
  }

  // Variant first: which channels a message can use depends on the variant's template.
  const variantBucket = bucketOf3(event.customerId, campaign.id, 'variant');
  const variant =
    c.variantBounds.find((v) => variantBucket < v.upTo) ?? c.variantBounds[c.variantBounds.length - 1];
  if (!variant) return suppressed(ctx, c, key, facts, 'no_channel');
  const { usable, reason: noChannel } = selectChannels(
    ctx.engine,
    c,
    state,
    variant.template,
    sends,
    now,
    facts,
  );
  const channel = usable[0];
  if (!channel) {
    const r = noChannel ?? 'no_channel';
    const out = suppressed(ctx, c, key, facts, r);
    return r === 'cap_reached' ? capLimited(out) : out;
  }

  const reserves: SendEntry = { at: now, campaignId: campaign.id, purpose: campaign.purpose, channel };
  const holdoutBucket = bucketOf3(event.customerId, campaign.id, 'holdout');
  if (c.holdoutBuckets > 0) {
    if (holdoutBucket < c.holdoutBuckets) {
      // A held-out customer takes the cap slot a send would have taken (campaign, contact-rule and
      // channel caps alike), so that the control group is re-triggered and crowded out exactly as
      // often as the treated group: otherwise holdouts pile up and the two are not comparable.
      facts.push({ kind: 'holdout', percent: campaign.holdout, bucket: holdoutBucket, channel });
      const decision = decisionOf(ctx, c, key, facts, 'holdout', undefined);
      decision.variant = variant.id;
      return { decision, reserves };
    }
    facts.push({ kind: 'holdout', percent: campaign.holdout, bucket: holdoutBucket });
  }
  facts.push({ kind: 'variant', id: variant.id, bucket: variantBucket });

  let sendAt = Math.max(now, event.time + c.delayMs);
  let reason: Reason | undefined = sendAt > now ? 'delay' : undefined;
  if (c.delayMs > 0) facts.push({ kind: 'delay', delay: campaign.delay ?? '' });
  if (c.quietHours && channel !== 'webhook') {
    const timezone = profile.timezone ?? ctx.engine.strategy.defaults.timezone;
    const end = quietHoursEnd(sendAt, c.quietHours, timezone);
    if (end !== undefined) {
      facts.push({ kind: 'quiet_hours', ...c.quietHours, timezone, localTime: localClock(sendAt, timezone) });
      sendAt = end;
      reason = 'quiet_hours';
    }
  }
  if (expiresAt !== undefined && sendAt > expiresAt) return suppressed(ctx, c, key, facts, 'expired');
  const decision = decisionOf(ctx, c, key, facts, reason ? 'deferred' : 'sent', reason);
  decision.channel = channel;
  decision.variant = variant.id;
  decision.fallbackChannels = usable.slice(1);
  if (expiresAt !== undefined) decision.expiresAt = isoString(expiresAt);
  if (reason) decision.sendAt = isoString(sendAt);
  return { decision, reserves };
}

function invalid(
  engine: Engine,
  event: unknown,
  problem: string,
  campaignIds: readonly string[] | undefined,
  now: number,
): Decision[] {
  const record = (typeof event === 'object' && event !== null ? event : {}) as Record<string, unknown>;
  const detail = (typeof record.detail === 'object' && record.detail !== null ? record.detail : {}) as Record<
    string,
    unknown
  >;
  const eventId = typeof record.id === 'string' ? record.id.slice(0, 128) : 'unknown';
  const customerId = typeof detail.customerId === 'string' ? detail.customerId.slice(0, 128) : 'unknown';
  const targets =
    campaignIds ?? engine.campaigns.filter((c) => safeMatch(c, event)).map((c) => c.campaign.id);
  return targets.map((campaignId) => ({
    eventId,
    campaignId,
    customerId,
    outcome: 'suppressed',
    reason: 'invalid_event',
    decidedAt: isoString(now),
    idempotencyKey: `${eventId}#${campaignId}`,
    facts: [{ kind: 'invalid', problem }],
  }));
}

function safeMatch(c: CompiledCampaign, event: unknown): boolean {
  try {
    return c.matches(event);
  } catch {
    return false;
  }
}

/**
 * The decision engine: a pure function of (event, customer state, strategy, now) that returns one
 * decision per campaign the event triggers. No I/O; the same input always gives the same output.
 *
 * Steps per campaign: envelope → known customer → duplicate → audience → threshold rule → expiry →
 * campaign caps → variant → channel (template, address, consent, suppression, channel caps) →
 * holdout → delay and quiet hours. Then arbitration: campaigns that would send (or hold out) are granted cap room
 * by descending priority (ties by id); one that loses its room to a higher one is `outranked`.
 */
export function decide(engine: Engine, { event, state, now, campaignIds }: DecideInput): Decision[] {
  const parsed = parseTriggerEvent(event);
  if ('problem' in parsed) return invalid(engine, event, parsed.problem, campaignIds, now);
  const ctx: Context = { engine, event: parsed, state, now, decidedAt: isoString(now) };
  const wanted = campaignIds && new Set(campaignIds);
  const decisions: Decision[] = [];
  // Each campaign's pattern is tried once per decision.
  const triggered = engine.byPriority.filter((c) => c.matches(event));

  // Campaigns routed here whose pattern no longer matches (strategy changed in flight).
  if (wanted) {
    for (const id of wanted) {
      const c = engine.campaigns.find((x) => x.campaign.id === id);
      if (!c || !triggered.includes(c)) {
        decisions.push({
          eventId: parsed.id,
          campaignId: id,
          customerId: parsed.customerId,
          outcome: 'suppressed',
          reason: 'rule_not_met',
          decidedAt: isoString(now),
          idempotencyKey: `${parsed.id}#${id}`,
          facts: [{ kind: 'pattern', matched: false }],
        });
      }
    }
  }

  const granted: SendEntry[] = [];
  let winner: CompiledCampaign | undefined;
  for (const c of triggered) {
    let candidate = evaluate(ctx, c, granted);
    if (candidate.capLimited && granted.length > 0 && winner) {
      // Would it have had room without the higher-priority campaigns of this same event?
      const alone = evaluate(ctx, c, []);
      if (alone.reserves) {
        const { channel, variant, sendAt, fallbackChannels, expiresAt, ...rest } = alone.decision;
        const arbitration: Fact = {
          kind: 'arbitration',
          winner: winner.campaign.id,
          priority: winner.campaign.priority,
        };
        candidate = {
          decision: {
            ...rest,
            idempotencyKey: eventKey(ctx, c),
            outcome: 'suppressed',
            reason: 'outranked',
            facts: [...candidate.decision.facts, arbitration],
          },
        };
      }
    }
    if (candidate.reserves) {
      granted.push(candidate.reserves);
      winner ??= c;
    }
    if (!wanted || wanted.has(c.campaign.id)) decisions.push(candidate.decision);
  }
  return decisions;
}

/**
 * The channel whose cap slot a decision reserves when it is committed: its own channel for a send or
 * deferral, the channel it would have used for a holdout; undefined for anything else.
 */
export function reservedChannel(decision: Decision): Channel | undefined {
  if (decision.outcome === 'sent' || decision.outcome === 'deferred') return decision.channel;
  if (decision.outcome !== 'holdout') return undefined;
  for (const f of decision.facts) if (f.kind === 'holdout') return f.channel;
  return undefined;
}

/**
 * Re-checks a deferred decision when it falls due: the customer must still exist, the offer must not
 * have expired, and a channel must still be usable — consent withdrawn or an address bounced since
 * the decision stops the send. Its own cap reservation is not counted against it.
 */
export function recheckDeferred(
  engine: Engine,
  decision: Decision,
  state: CustomerState,
  now: number,
): { usable: Channel[]; reason?: Reason; facts: Fact[] } {
  const facts: Fact[] = [];
  const c = engine.campaigns.find((x) => x.campaign.id === decision.campaignId);
  const variant = c?.variantBounds.find((v) => v.id === decision.variant);
  if (!c || !variant)
    return { usable: [], reason: 'rule_not_met', facts: [{ kind: 'pattern', matched: false }] };
  if (!state.profile || state.erased) return { usable: [], reason: 'unknown_customer', facts };
  if (decision.expiresAt && now > Date.parse(decision.expiresAt)) {
    facts.push({ kind: 'expiry', expiresAt: decision.expiresAt });
    return { usable: [], reason: 'expired', facts };
  }
  const decidedAt = Date.parse(decision.decidedAt);
  const others = state.sends.filter(
    (s) => !(s.campaignId === decision.campaignId && Math.abs(s.at - decidedAt) < 1000),
  );
  return { ...selectChannels(engine, c, state, variant.template, others, now, facts), facts };
}
