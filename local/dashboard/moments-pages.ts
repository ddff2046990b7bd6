import type { MomentCandidate } from '#shared/engine/moments.ts';
import type { Moment } from '#shared/strategy/schema.ts';
import type { NextBestOffer } from '#shared/use-cases/next-best-offer.ts';
import type { ReachReport } from '../reach.ts';
import { esc } from './html.ts';
import { DASHBOARD_CSS } from './styles.ts';

/**
 * Two server-rendered pages of the local dashboard (no script, like the rest of it):
 * - `/till`: a shop till that asks the contact-moment API for the next best offer when a loyalty card
 *   is scanned, and records what the customer said — the same handler module as the deployed API;
 * - `/reach`: the reachability report (`npx contact reach`) of the local table.
 */

const TILL_CSS = `
.till{display:grid;grid-template-columns:minmax(260px,340px) 1fr;gap:1rem}
@media (max-width:800px){.till{grid-template-columns:1fr}}
.till form.scan label{display:block;font-size:.8rem;color:var(--muted);margin:.4rem 0 .15rem}
.till input,.till select{width:100%;padding:.5rem;border:1px solid var(--line);border-radius:8px;font:inherit}
.till button{font:inherit;padding:.55rem 1rem;border-radius:8px;border:1px solid var(--accent);background:var(--accent);color:#fff;cursor:pointer;margin-top:.6rem}
.till button.secondary{background:#fff;color:var(--accent)}
.offer{border-left:6px solid var(--sent)}
.offer .text{font-size:1.25rem;line-height:1.45;margin:.3rem 0 .8rem}
.nothing{border-left:6px solid var(--suppressed)}
.answers{display:flex;gap:.5rem;flex-wrap:wrap}
.flash{background:#eef8f1;border:1px solid #bfe3cb;border-radius:8px;padding:.5rem .8rem;margin-bottom:.8rem}
`;

function shell(title: string, body: string, extraCss = ''): string {
  return `<!doctype html><html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width,initial-scale=1">
<title>${esc(title)}</title><link rel="icon" href="data:,"><style>${DASHBOARD_CSS}${extraCss}</style></head>
<body><header class="top"><div class="inner"><div class="brandmark"><div class="logo" aria-hidden="true">CT</div><div><h1>${esc(title)}</h1><p>Local runtime · <a style="color:#fff" href="/">dashboard</a> · <a style="color:#fff" href="/till">till</a> · <a style="color:#fff" href="/reach">reach</a></p></div></div></div></header>
<main id="main">${body}</main></body></html>`;
}

const runnerRow = (r: MomentCandidate) =>
  `<tr><td>${esc(r.name ?? r.campaignId)}<div class="muted small">${esc(r.campaignId)}</div></td><td class="num">${r.priority}</td><td><code>${esc(r.reason ?? '')}</code></td><td>${esc(r.why)}</td></tr>`;

export interface TillView {
  readonly customerId?: string;
  readonly moment: Moment;
  readonly answer?: NextBestOffer;
  /** An error the API answered (400/404), shown instead of an offer. */
  readonly error?: string;
  /** After a recorded response. */
  readonly flash?: string;
  /** A fresh receipt id: the idempotency key of this showing. */
  readonly receipt: string;
}

/** The shop till: scan a card, see the one offer with its text and why, record the answer. */
export function renderTillPage(view: TillView): string {
  const moments = (['till', 'call', 'web'] as const)
    .map((m) => `<option value="${m}"${m === view.moment ? ' selected' : ''}>${m}</option>`)
    .join('');
  const scan = `<form class="scan card" method="get" action="/till"><h2>Scan loyalty card</h2>
<label for="customerId">Customer id</label><input id="customerId" name="customerId" value="${esc(view.customerId ?? '')}" required autocomplete="off" placeholder="e.g. nl-0001">
<label for="moment">Contact moment</label><select id="moment" name="moment">${moments}</select>
<button type="submit">Next best offer</button></form>`;
  let result = '<div class="card muted">Scan a card to see the next best offer.</div>';
  const a = view.answer;
  if (view.error) result = `<div class="card nothing"><h2>No answer</h2><p>${esc(view.error)}</p></div>`;
  else if (a?.offer) {
    const o = a.offer;
    const hidden = `<input type="hidden" name="customerId" value="${esc(a.customerId)}"><input type="hidden" name="campaignId" value="${esc(o.campaignId)}"><input type="hidden" name="moment" value="${esc(a.moment)}"><input type="hidden" name="receipt" value="${esc(view.receipt)}">${o.variant ? `<input type="hidden" name="variant" value="${esc(o.variant)}">` : ''}`;
    result = `<div class="card offer"><h2>${esc(o.name ?? o.campaignId)} <small>priority ${o.priority} · ${esc(o.purpose)} · ${esc(o.locale)}</small></h2>
<p class="text">${esc(o.text)}</p><p class="muted small">Why: ${esc(o.why)}</p>
<form method="post" action="/till/contacts">${hidden}<div class="answers">
<button name="response" value="accepted">Accepted</button><button class="secondary" name="response" value="declined">Declined</button><button class="secondary" name="response" value="later">Later</button></div></form></div>`;
  } else if (a) {
    result = `<div class="card nothing"><h2>Nothing to offer</h2><p>${esc(a.nothingToOffer?.message ?? '')}</p></div>`;
  }
  const runners =
    a && a.runnersUp.length > 0
      ? `<section class="card"><h3>Runners-up and why they lost</h3><div class="table-wrap"><table><thead><tr><th>campaign</th><th class="num">priority</th><th>reason</th><th>why</th></tr></thead><tbody>${a.runnersUp.map(runnerRow).join('')}</tbody></table></div></section>`
      : '';
  const flash = view.flash ? `<p class="flash" role="status">${esc(view.flash)}</p>` : '';
  return shell(
    'Shop till',
    `${flash}<div class="till">${scan}<div>${result}${runners}</div></div>
<p class="muted small">The till asks <code>GET /customers/{id}/next-best-offer?moment=…</code> and records the answer with <code>POST /customers/{id}/contacts</code> (the receipt id is the idempotency key): the same handler as the deployed API, where callers sign with AWS IAM. A shown offer counts against the campaign's caps and the contact rules.</p>`,
    TILL_CSS,
  );
}

/** The reachability report as a page. */
export function renderReachPage(report: ReachReport): string {
  let last = '';
  const rows = report.rows
    .map((r) => {
      const first = r.campaignId !== last;
      last = r.campaignId;
      const pct = r.audience > 0 ? `${Math.round((100 * r.reachable) / r.audience)}%` : '–';
      return `<tr${first ? ' style="border-top:2px solid var(--line)"' : ''}><th scope="row">${first ? esc(r.campaignId) : ''}</th><td>${r.channel === 'any' ? '<strong>any</strong>' : esc(r.channel)}</td><td class="num">${r.audience}</td><td class="num">${r.address}</td><td class="num">${r.consent}</td><td class="num">${r.suppressed}</td><td class="num"><strong>${r.reachable}</strong></td><td class="num">${pct}</td></tr>`;
    })
    .join('');
  return shell(
    'Reachability',
    `<section class="card"><h2>Who can be reached <small>${report.customers} customers · ${esc(report.at)}</small></h2>
<div class="table-wrap"><table><thead><tr><th>campaign</th><th>channel</th><th class="num">audience</th><th class="num">validated address</th><th class="num">consent</th><th class="num">suppressed</th><th class="num">reachable</th><th class="num">%</th></tr></thead><tbody>${rows}</tbody></table></div>
<p class="muted small">A funnel: in the audience → with a validated address on the channel → with consent for the campaign's purpose there → of those, suppressed (bounced, complained, opted out) or reachable. "any" is the campaign as sent: its channels in order, the customer's preferred channel resolved. Caps, business rules and dates are not counted: they depend on the moment. JSON at <a href="/api/reach">/api/reach</a>; <code>npx contact reach</code> prints the same.</p></section>`,
  );
}
