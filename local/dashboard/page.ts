import { OUTCOMES, type Outcome } from '#shared/domain/decision.ts';
import { explainFact } from '#shared/domain/explain.ts';
import type { ContactRecord, CustomerExport } from '#shared/domain/store.ts';
import { CHANNELS, type Channel } from '#shared/strategy/schema.ts';
import type { RuntimeStats } from '../runtime.ts';
import {
  type CampaignMetrics,
  type DecisionRecord,
  type Metrics,
  type StrategyView,
  toDecisionRecord,
} from './data.ts';
import { esc } from './html.ts';
import { MEASUREMENT_CSS, measurementSection } from './measurement.ts';
import { DASHBOARD_CSS } from './styles.ts';

/**
 * The dashboard page, rendered on the server from the same data the JSON API serves: no external
 * asset, so it works in any browser, prints, and doubles as the static report (every number
 * carries `data-metric`, the path of the same number in `GET /api/metrics`, so a test can compare).
 */

export interface DashboardView {
  /** `live`: served by the runtime (forms work); `report`: a static snapshot file. */
  readonly mode: 'live' | 'report';
  /** Simulated time of the snapshot, ISO. */
  readonly now: string;
  readonly metrics: Metrics;
  readonly decisions: readonly DecisionRecord[];
  readonly filter: { readonly customerId?: string; readonly campaignId?: string };
  readonly strategy: StrategyView;
  readonly stats?: RuntimeStats;
  readonly links: { readonly sesInbox: string; readonly snsStore: string };
  /** Live: the customer searched for, and what was found (undefined data = not found). */
  readonly customer?: { readonly query: string; readonly data?: CustomerExport };
  /** Report: customers to show in full (those of the latest decisions). */
  readonly customers?: readonly CustomerExport[];
}

/** `2026-03-02 09:00:05` (UTC): the simulated clock and the records are in UTC. */
const time = (iso: string | undefined): string =>
  iso ? `<time datetime="${esc(iso)}">${esc(iso.replace('T', ' ').replace(/\.\d+Z$|Z$/, ''))}</time>` : '';

const OUTCOME_LABEL: Record<Outcome, string> = {
  sent: 'Sent',
  deferred: 'Deferred',
  holdout: 'Held out',
  suppressed: 'Suppressed',
};

const REASON_LABEL: Record<string, string> = {
  no_consent: 'no consent',
  cap_reached: 'cap reached',
  quiet_hours: 'quiet hours',
  delay: 'delay',
  no_channel: 'no channel',
  not_in_audience: 'not in audience',
  rule_not_met: 'rule not met',
  duplicate: 'duplicate',
  expired: 'expired',
  unknown_customer: 'unknown customer',
  invalid_event: 'invalid event',
  bounced_address: 'bounced address',
  outranked: 'outranked',
};
const reasonLabel = (reason: string | undefined): string => (reason ? (REASON_LABEL[reason] ?? reason) : '');

const metric = (path: string, value: number): string =>
  `<span data-metric="${esc(path)}">${esc(value)}</span>`;

const badge = (outcome: Outcome): string => `<span class="badge ${outcome}">${OUTCOME_LABEL[outcome]}</span>`;

function outcomeBar(c: CampaignMetrics | Metrics['totals']): string {
  const total = OUTCOMES.reduce((sum, o) => sum + c.byOutcome[o], 0);
  const label = OUTCOMES.map((o) => `${OUTCOME_LABEL[o]} ${c.byOutcome[o]}`).join(', ');
  const parts =
    total === 0
      ? ''
      : OUTCOMES.filter((o) => c.byOutcome[o] > 0)
          .map(
            (o) => `<span class="${o}" style="width:${((c.byOutcome[o] / total) * 100).toFixed(2)}%"></span>`,
          )
          .join('');
  return `<div class="bar" role="img" aria-label="${esc(label)}">${parts}</div>`;
}

function campaignsSection(view: DashboardView): string {
  const channelsOf = new Map(view.strategy.campaigns.map((c) => [c.id, c.channels]));
  const rows = view.metrics.campaigns.map((c) => {
    const p = `campaigns.${c.campaignId}`;
    const reasons = Object.entries(c.byReason).sort(([, a], [, b]) => b - a);
    const reasonChips =
      reasons.length === 0
        ? '<span class="muted small">—</span>'
        : `<div class="chips">${reasons
            .map(
              ([reason, n]) =>
                `<span class="chip">${esc(reasonLabel(reason))} <b>${metric(`${p}.byReason.${reason}`, n)}</b></span>`,
            )
            .join('')}</div>`;
    // The campaign's own channels (in its order), and any other that carried a message.
    const own = (channelsOf.get(c.campaignId) ?? []).filter((ch): ch is Channel =>
      (CHANNELS as readonly string[]).includes(ch),
    );
    const shownChannels = [...new Set([...own, ...CHANNELS.filter((ch) => c.messagesByChannel[ch] > 0)])];
    const channels = shownChannels
      .map(
        (ch) =>
          `<span class="${c.messagesByChannel[ch] === 0 ? 'zero' : ''}">${esc(ch)} ${metric(`${p}.messagesByChannel.${ch}`, c.messagesByChannel[ch])}</span>`,
      )
      .join('');
    const counts = OUTCOMES.map(
      (o) =>
        `<span><span class="dot ${o}" aria-hidden="true"></span>${OUTCOME_LABEL[o]} <b>${metric(`${p}.byOutcome.${o}`, c.byOutcome[o])}</b></span>`,
    ).join('');
    const goal = c.goal
      ? `${esc(c.goal)}<br><span class="muted small">${metric(`${p}.conversions`, c.conversions)} conversions</span>`
      : `<span class="muted small">no goal</span>`;
    return `<tr${c.enabled ? '' : ' class="muted"'}>
<th scope="row"><span class="campaign-name">${esc(c.name)}</span><br><code class="muted">${esc(c.campaignId)}</code> <span class="muted small">· ${esc(c.purpose)}${c.enabled ? '' : ' · disabled'}</span></th>
<td class="num">${metric(`${p}.decisions`, c.decisions)}</td>
${
  c.decisions === 0
    ? '<td class="muted small">no decisions yet</td><td></td>'
    : `<td>${outcomeBar(c)}<div class="counts">${counts}</div></td>
<td>${reasonChips}</td>`
}
<td><div class="channels">${channels}</div></td>
<td class="small">${goal}</td>
</tr>`;
  });
  const legend = OUTCOMES.map(
    (o) => `<span><span class="dot ${o}" aria-hidden="true"></span>${OUTCOME_LABEL[o]}</span>`,
  ).join('');
  return `<section id="campaigns" aria-labelledby="h-campaigns">
<h2 id="h-campaigns">Campaigns <small>decisions by outcome and reason, messages by channel</small></h2>
<div class="card"><div class="legend">${legend}</div><div class="table-wrap"><table>
<thead><tr><th scope="col">Campaign</th><th scope="col" class="num">Decisions</th><th scope="col">Outcomes</th><th scope="col">Reasons</th><th scope="col">Messages by channel</th><th scope="col">Goal</th></tr></thead>
<tbody>${rows.join('')}</tbody></table></div></div></section>`;
}

function overviewSection(view: DashboardView): string {
  const t = view.metrics.totals;
  const messages = CHANNELS.reduce((sum, ch) => sum + t.messagesByChannel[ch], 0);
  const deadLetters = view.stats
    ? Object.values(view.stats.queues).reduce((sum, q) => sum + q.deadLetters.length, 0) +
      view.stats.schedules.deadLetters.length +
      view.stats.unattributedDeadLetters.length
    : undefined;
  const tile = (cls: string, label: string, value: string, sub = '') =>
    `<li class="tile ${cls}"><span class="label">${label}</span><span class="value">${value}</span>${sub ? `<span class="sub">${sub}</span>` : ''}</li>`;
  const byChannel = CHANNELS.filter((ch) => t.messagesByChannel[ch] > 0)
    .map((ch) => `${esc(ch)} ${metric(`totals.messagesByChannel.${ch}`, t.messagesByChannel[ch])}`)
    .join(' · ');
  const tiles = [
    view.stats
      ? tile(
          'events',
          'Events',
          `<span data-stat="events.accepted">${view.stats.events.accepted}</span>`,
          `${Object.values(view.stats.events.failed).reduce((a, b) => a + b, 0)} refused · ${view.stats.events.unmatched} unmatched`,
        )
      : '',
    tile(
      'decisions',
      'Decisions',
      metric('totals.decisions', t.decisions),
      `${metric('totals.conversions', t.conversions)} conversions`,
    ),
    ...OUTCOMES.map((o) => tile(o, OUTCOME_LABEL[o], metric(`totals.byOutcome.${o}`, t.byOutcome[o]))),
    tile('messages', 'Messages', `<span data-total="messages">${messages}</span>`, byChannel || 'none yet'),
    deadLetters === undefined
      ? ''
      : tile(
          `dlq${deadLetters > 0 ? ' alert' : ''}`,
          'Dead letters',
          `<span data-stat="deadLetters">${deadLetters}</span>`,
          'see Runtime',
        ),
  ];
  return `<section id="overview" aria-labelledby="h-overview"><h2 id="h-overview">Overview</h2>
<ul class="tiles">${tiles.join('')}</ul></section>`;
}

function factsList(facts: DecisionRecord['facts']): string {
  if (facts.length === 0) return '<span class="muted small">no facts</span>';
  const items = facts.map((f) => {
    const { text, ok } = explainFact(f);
    return `<li class="${ok === undefined ? '' : ok ? 'ok' : 'no'}">${esc(text)}</li>`;
  });
  return `<details><summary>Why? <span class="visually-hidden">(${facts.length} facts)</span></summary><ul class="facts">${items.join('')}</ul></details>`;
}

function decisionRows(
  decisions: readonly DecisionRecord[],
  names: Map<string, string>,
  withCustomer: boolean,
): string {
  return decisions
    .map((d) => {
      const extra = [
        d.variant && `variant ${esc(d.variant)}`,
        d.sendAt && d.outcome === 'deferred' && `due ${time(d.sendAt)}`,
        d.duplicates && `${d.duplicates} duplicate${d.duplicates === 1 ? '' : 's'}`,
        d.feedback?.length && `feedback: ${esc(d.feedback.map((f) => f.type).join(', '))}`,
        d.conversion && 'converted',
      ].filter(Boolean);
      return `<tr>
<td class="small time">${time(d.decidedAt)}</td>
${withCustomer ? `<td><a href="?customer=${encodeURIComponent(d.customerId)}#customer"><code>${esc(d.customerId)}</code></a></td>` : ''}
<td>${esc(names.get(d.campaignId) ?? d.campaignId)}</td>
<td>${badge(d.outcome)}</td>
<td>${esc(reasonLabel(d.reason))}</td>
<td>${esc(d.channel ?? '')}</td>
<td class="small">${extra.join('<br>')}</td>
<td>${factsList(d.facts)}</td>
</tr>`;
    })
    .join('');
}

function decisionsSection(view: DashboardView, names: Map<string, string>): string {
  const { filter } = view;
  const form =
    view.mode === 'live'
      ? `<form class="inline" method="get" action="/#decisions" role="search" aria-label="Filter decisions">
<label>Customer id<input type="search" name="customerId" value="${esc(filter.customerId ?? '')}" autocomplete="off"></label>
<label>Campaign<select name="campaignId"><option value="">All campaigns</option>${view.strategy.campaigns
          .map(
            (c) =>
              `<option value="${esc(c.id)}"${filter.campaignId === c.id ? ' selected' : ''}>${esc(c.name)}</option>`,
          )
          .join('')}</select></label>
${view.customer ? `<input type="hidden" name="customer" value="${esc(view.customer.query)}">` : ''}
<button type="submit">Filter</button>${filter.customerId || filter.campaignId ? ' <a class="button-link" href="/#decisions">Clear</a>' : ''}
</form>`
      : '';
  const body =
    view.decisions.length === 0
      ? '<p class="empty">No decisions yet. Put an event on the bus (see the README) and refresh.</p>'
      : `<div class="table-wrap"><table><thead><tr><th scope="col">Decided (UTC)</th><th scope="col">Customer</th><th scope="col">Campaign</th><th scope="col">Outcome</th><th scope="col">Reason</th><th scope="col">Channel</th><th scope="col">Details</th><th scope="col">Explanation</th></tr></thead>
<tbody>${decisionRows(view.decisions, names, true)}</tbody></table></div>`;
  return `<section id="decisions" aria-labelledby="h-decisions">
<h2 id="h-decisions">Latest decisions <small>newest first, ${view.decisions.length} shown · every (event, campaign) pair ends in one</small></h2>
<div class="card">${form}${body}</div></section>`;
}

function consentTable(data: CustomerExport): string {
  const entries = Object.entries(data.consent).sort(([a], [b]) => a.localeCompare(b));
  if (entries.length === 0) return '<p class="empty">No consent recorded.</p>';
  return `<table><thead><tr><th scope="col">Purpose</th><th scope="col">Channel</th><th scope="col">State</th><th scope="col">Since</th><th scope="col">Source</th></tr></thead><tbody>${entries
    .map(([key, state]) => {
      const [purpose = key, channel = ''] = key.split(':');
      return `<tr><td>${esc(purpose)}</td><td>${channel === 'all' ? 'all channels' : esc(channel)}</td><td>${state.granted ? '<span class="yes">given</span>' : '<span class="no">withdrawn</span>'}</td><td class="small time">${time(state.occurredAt)}</td><td class="small">${esc(state.source ?? '')}${state.textVersion ? ` · text ${esc(state.textVersion)}` : ''}</td></tr>`;
    })
    .join('')}</tbody></table>`;
}

function ledgerTable(data: CustomerExport): string {
  if (data.consentLedger.length === 0) return '<p class="empty">The ledger is empty.</p>';
  const rows = [...data.consentLedger]
    .sort((a, b) => (a.occurredAt < b.occurredAt ? 1 : -1))
    .map(
      (e) =>
        `<tr><td class="small time">${time(e.occurredAt)}</td><td>${e.granted ? '<span class="yes">granted</span>' : '<span class="no">withdrawn</span>'}</td><td>${esc(e.purpose)}</td><td>${e.channel === 'all' ? 'all channels' : esc(e.channel)}</td><td class="small">${esc(e.source)}${e.textVersion ? ` · text ${esc(e.textVersion)}` : ''}</td></tr>`,
    );
  return `<table><thead><tr><th scope="col">Occurred (UTC)</th><th scope="col">Change</th><th scope="col">Purpose</th><th scope="col">Channel</th><th scope="col">Source</th></tr></thead><tbody>${rows.join('')}</tbody></table>`;
}

function customerDetail(data: CustomerExport, names: Map<string, string>): string {
  const p = data.profile;
  const attributes = p ? Object.entries(p.attributes) : [];
  const profile = p
    ? `<dl class="profile">
<dt>Customer id</dt><dd><code>${esc(p.customerId)}</code></dd>
<dt>Email</dt><dd>${esc(p.email ?? '—')}</dd>
<dt>Phone</dt><dd>${esc(p.phone ?? '—')}</dd>
<dt>Push</dt><dd>${p.pushEndpoints?.length ? `${p.pushEndpoints.length} device${p.pushEndpoints.length === 1 ? '' : 's'} (${esc(p.pushEndpoints.map((e) => `${e.platform}${e.enabled ? '' : ', disabled'}`).join('; '))})` : '—'}</dd>
<dt>Locale / time zone</dt><dd>${esc(p.locale ?? 'default')} · ${esc(p.timezone ?? 'default')}</dd>
<dt>Preferred channel</dt><dd>${esc(p.preferredChannel ?? '—')}</dd>
${attributes.map(([k, v]) => `<dt>${esc(k)}</dt><dd>${esc(typeof v === 'string' ? v : JSON.stringify(v))}</dd>`).join('')}
<dt>Updated</dt><dd>${time(p.updatedAt)}</dd>
</dl>`
    : '<p class="empty">No profile (never received, or erased).</p>';
  const history = [...data.contactHistory].sort((a: ContactRecord, b: ContactRecord) =>
    a.decidedAt < b.decidedAt ? 1 : -1,
  );
  const historyTable =
    history.length === 0
      ? '<p class="empty">No contact history.</p>'
      : `<div class="table-wrap"><table><thead><tr><th scope="col">Decided (UTC)</th><th scope="col">Campaign</th><th scope="col">Outcome</th><th scope="col">Reason</th><th scope="col">Channel</th><th scope="col">Details</th><th scope="col">Explanation</th></tr></thead><tbody>${decisionRows(history.map(toDecisionRecord), names, false)}</tbody></table></div>`;
  return `<div class="grid2"><div class="card"><h3>Profile</h3>${profile}</div><div class="card"><h3>Consent now</h3>${consentTable(data)}<h3>Consent ledger</h3>${ledgerTable(data)}</div></div>
<div class="card" style="margin-top:1rem"><h3>Contact history</h3>${historyTable}</div>`;
}

function customerSection(view: DashboardView, names: Map<string, string>): string {
  if (view.mode === 'report') {
    const customers = view.customers ?? [];
    const list =
      customers.length === 0
        ? '<p class="empty">No customers in this snapshot.</p>'
        : customers
            .map(
              (c) =>
                `<details class="card" style="margin-bottom:.6rem"><summary><code>${esc(c.customerId)}</code> · ${c.contactHistory.length} decisions</summary><div style="margin-top:.8rem">${customerDetail(c, names)}</div></details>`,
            )
            .join('');
    return `<section id="customer" aria-labelledby="h-customer"><h2 id="h-customer">Customers <small>those in the latest decisions</small></h2>${list}</section>`;
  }
  const query = view.customer?.query ?? '';
  const result = !view.customer
    ? '<p class="muted small">Search a customer by id to see their profile, consent ledger and contact history.</p>'
    : view.customer.data
      ? customerDetail(view.customer.data, names)
      : `<p class="notice" role="status">No data about customer <code>${esc(query)}</code>.</p>`;
  return `<section id="customer" aria-labelledby="h-customer"><h2 id="h-customer">Customer</h2>
<div class="card" style="margin-bottom:1rem"><form class="inline" method="get" action="/#customer" role="search" aria-label="Find a customer">
<label>Customer id<input type="search" name="customer" value="${esc(query)}" required autocomplete="off"></label>
${view.filter.customerId ? `<input type="hidden" name="customerId" value="${esc(view.filter.customerId)}">` : ''}${view.filter.campaignId ? `<input type="hidden" name="campaignId" value="${esc(view.filter.campaignId)}">` : ''}
<button type="submit">Show customer</button></form>${view.customer ? '' : result}</div>
${view.customer ? result : ''}</section>`;
}

function strategySection(view: DashboardView): string {
  const s = view.strategy;
  const node = (cls: string, label: string, html: string) =>
    `<div class="node ${cls}"><span class="visually-hidden">${label}: </span>${html}</div>`;
  const none = (label: string, text: string) =>
    `<div class="node none"><span class="visually-hidden">${label}: </span>${text}</div>`;
  const arrow = '<span class="arrow" aria-hidden="true">→</span>';
  const flows = s.campaigns.map((c) => {
    const steps = [
      node(
        'trigger',
        'Trigger',
        `${c.triggerKind === 'date' ? '<span class="k">date</span>' : ''}${esc(c.trigger)}`,
      ),
      c.rule ? node('rule', 'Business rule', esc(c.rule)) : none('Business rule', 'every event'),
      c.audience.length > 0
        ? node('audience', 'Audience', c.audience.map(esc).join('<br>'))
        : none('Audience', 'everyone'),
      node(
        'campaign',
        'Campaign',
        `<span class="k">${esc(c.purpose)} · priority ${c.priority}${c.enabled ? '' : ' · disabled'}</span><strong>${esc(c.name)}</strong>${c.timing.length ? `<span class="muted">${c.timing.map(esc).join(' · ')}</span>` : ''}`,
      ),
      node('channel', 'Channels', c.channels.map(esc).join(' → ')),
      node(
        'limits',
        'Caps and variants',
        [c.caps.join(', '), c.variants.join(' / '), c.holdout > 0 ? `holdout ${c.holdout}%` : '']
          .filter(Boolean)
          .map(esc)
          .join('<br>'),
      ),
    ];
    return `<li${c.enabled ? '' : ' class="disabled"'} aria-label="${esc(`${c.name}${c.enabled ? '' : ' (disabled)'}`)}">${steps.join(arrow)}</li>`;
  });
  const head = [
    'Trigger',
    'Business rule',
    'Audience',
    'Campaign',
    'Channels (in order)',
    'Caps · variants · holdout',
  ]
    .map((h) => `<span>${h}</span>`)
    .join('<span></span>');
  return `<section id="strategy" aria-labelledby="h-strategy"><h2 id="h-strategy">Strategy <small>${esc(s.brand ?? '')} · <code>${esc(s.file)}</code></small></h2>
<div class="card"><h3 style="margin-top:0">Contact rules <span class="muted small">(across campaigns, per customer)</span></h3><div class="rules">${s.contactRules.length ? s.contactRules.map((r) => `<span class="chip">${esc(r)}</span>`).join('') : '<span class="muted">none</span>'}</div>
<h3>Flow per campaign</h3><div class="flow-head" aria-hidden="true">${head}</div><ol class="flows">${flows.join('')}</ol>
<details style="margin-top:1rem"><summary>Mermaid source of this diagram (as <code>contact diagram</code> writes it)</summary><pre class="mermaid-source">${esc(s.diagram)}</pre></details></div></section>`;
}

function runtimeSection(view: DashboardView): string {
  const stats = view.stats;
  if (!stats) return '';
  const queues = Object.entries(stats.queues).map(
    ([name, q]) =>
      `<tr><th scope="row">${esc(name)}</th><td class="num">${q.depth}</td><td class="num">${q.inFlight}</td><td class="num">${q.sent}</td><td class="num">${q.batches}</td><td class="num">${q.retried}</td><td class="num">${q.deadLetters.length}</td></tr>`,
  );
  const letters = [
    ...Object.entries(stats.queues).flatMap(([name, q]) =>
      q.deadLetters.map((d) => ({ where: `${name} DLQ`, at: d.at, reason: d.reason })),
    ),
    ...stats.schedules.deadLetters.map((d) => ({ where: 'scheduler DLQ', at: d.at, reason: d.reason })),
    ...stats.unattributedDeadLetters.map((d) => ({ where: 'shared DLQ', at: d.at, reason: d.reason })),
  ].sort((a, b) => (a.at < b.at ? 1 : -1));
  const lettersHtml =
    letters.length === 0
      ? '<p class="empty">No dead letters: nothing was refused.</p>'
      : `<table><thead><tr><th scope="col">Where</th><th scope="col">When (UTC)</th><th scope="col">Reason</th></tr></thead><tbody>${letters
          .slice(0, 50)
          .map(
            (l) =>
              `<tr><td class="time">${esc(l.where)}</td><td class="small time">${time(l.at)}</td><td class="small">${esc(l.reason)}</td></tr>`,
          )
          .join('')}</tbody></table>`;
  const failed = Object.entries(stats.events.failed);
  return `<section id="runtime" aria-labelledby="h-runtime"><h2 id="h-runtime">Runtime <small>local queues, dead letters and schedules</small></h2>
<div class="grid2"><div class="card"><h3 style="margin-top:0">Queues</h3><div class="table-wrap"><table><thead><tr><th scope="col">Queue</th><th scope="col" class="num">Waiting</th><th scope="col" class="num">In flight</th><th scope="col" class="num">Messages</th><th scope="col" class="num">Batches</th><th scope="col" class="num">Retried</th><th scope="col" class="num"><abbr title="dead-letter queue">DLQ</abbr></th></tr></thead><tbody>${queues.join('')}</tbody></table></div>
<p class="small muted">Deferred sends waiting: <b>${stats.schedules.pending}</b> · fired: <b>${stats.schedules.fired}</b> · date-trigger runs: <b>${stats.dateTriggerRuns}</b> · refused entries: ${failed.length ? failed.map(([k, v]) => `${esc(k)} ${v}`).join(', ') : 'none'}</p></div>
<div class="card"><h3 style="margin-top:0">Dead letters</h3>${lettersHtml}</div></div></section>`;
}

/** The whole page. */
export function renderDashboardPage(view: DashboardView): string {
  const names = new Map(view.strategy.campaigns.map((c) => [c.id, c.name]));
  const title = `Contact platform · ${view.strategy.brand ?? 'local'}`;
  const api =
    view.mode === 'live'
      ? '<a href="/api/metrics">JSON API</a>'
      : '<span class="muted">static snapshot</span>';
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<title>${esc(title)}</title><link rel="icon" href="data:,"><style>${DASHBOARD_CSS}${MEASUREMENT_CSS}</style></head>
<body><a class="skip" href="#main">Skip to content</a>
<header class="top"><div class="inner"><div class="brandmark"><div class="logo" aria-hidden="true">CT</div><div><h1>Contact platform</h1><p>${view.mode === 'live' ? 'Local runtime' : 'Snapshot'} · ${esc(view.strategy.brand ?? '')} · ${esc(view.strategy.file)}</p></div></div>
<div class="clock">Simulated time (UTC)${time(view.now)}</div></div></header>
<nav class="sections" aria-label="Sections"><div class="inner"><a href="#overview">Overview</a><a href="#campaigns">Campaigns</a><a href="#measurement">Measurement</a><a href="#decisions">Decisions</a><a href="#customer">Customer</a><a href="#strategy">Strategy</a>${view.stats ? '<a href="#runtime">Runtime</a>' : ''}
<span class="ext"><a href="${esc(view.links.sesInbox)}">Email inbox (SES)</a><a href="${esc(view.links.snsStore)}">SMS &amp; push (SNS)</a>${api}</span></div></nav>
<main id="main">
${overviewSection(view)}
${campaignsSection(view)}
${measurementSection(view.metrics, view.mode === 'live')}
${decisionsSection(view, names)}
${customerSection(view, names)}
${strategySection(view)}
${runtimeSection(view)}
</main>
<footer>Generated ${time(view.now)} (simulated) · local data only, never sent anywhere.</footer>
</body></html>`;
}
