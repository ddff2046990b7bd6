import type { CampaignUplift, Comparison, GroupRate } from '#shared/use-cases/uplift.ts';
import type { Metrics } from './data.ts';
import { esc } from './html.ts';

/**
 * The "Measurement" section of the dashboard: per campaign the funnel (sent → delivered → opened →
 * clicked → converted), the goal's target beside the measured rate, the conversion of treated vs
 * holdout and of each variant with its 95% interval, the uplift, and the learning goal's answer.
 *
 * Drawn twice over the same numbers: in HTML and CSS (every number carries `data-metric`, its path in
 * `GET /api/metrics`; the static report has only this), and on the live page also as Chart.js charts
 * (served from node_modules, never a CDN) fed by the JSON block this section embeds.
 */

const pct = (rate: number) => `${(rate * 100).toFixed(1).replace(/\.0$/, '')}%`;
const pp = (d: number) =>
  `${d > 0 ? '+' : d < 0 ? '−' : ''}${Math.abs(d * 100)
    .toFixed(1)
    .replace(/\.0$/, '')} pp`;
/** A count, shown as is: `data-metric` is its path in `GET /api/metrics`. */
const num = (path: string, value: number) => `<span data-metric="${esc(path)}">${esc(value)}</span>`;
/** A formatted value (a rate, a difference, a verdict): `data-value` holds the API's raw value. */
const measure = (path: string, raw: unknown, shown: string) =>
  `<span data-measure="${esc(path)}" data-value="${esc(raw)}">${esc(shown)}</span>`;

const FUNNEL = ['sent', 'delivered', 'opened', 'clicked', 'converted'] as const;

function funnelBars(path: string, funnel: Record<(typeof FUNNEL)[number], number>): string {
  const max = Math.max(1, funnel.sent);
  return `<ol class="funnel">${FUNNEL.map(
    (stage) =>
      `<li><span class="stage">${stage}</span><span class="track"><span class="fill" style="width:${((funnel[stage] / max) * 100).toFixed(1)}%"></span></span><b>${num(`${path}.funnel.${stage}`, funnel[stage])}</b></li>`,
  ).join('')}</ol>`;
}

/** A rate with its interval on a 0–scale axis (CSS only). */
function intervalRow(label: string, path: string, g: GroupRate, scale: number, target?: number): string {
  const at = (v: number) => `${Math.min(100, (v / scale) * 100).toFixed(2)}%`;
  const band = g.interval
    ? `<span class="ci" style="left:${at(g.interval[0])};width:calc(${at(g.interval[1])} - ${at(g.interval[0])})"></span><span class="point" style="left:${at(g.rate)}"></span>`
    : '';
  const goal =
    target !== undefined
      ? `<span class="target" style="left:${at(target / 100)}" title="target"></span>`
      : '';
  const interval = g.interval ? ` [${pct(g.interval[0])}–${pct(g.interval[1])}]` : '';
  return `<tr><th scope="row">${esc(label)}</th><td class="num">${num(`${path}.customers`, g.customers)}</td><td class="num">${num(`${path}.conversions`, g.conversions)}</td><td class="num"><b>${measure(`${path}.rate`, g.rate, pct(g.rate))}</b><span class="muted small">${esc(interval)}</span></td><td class="axis-cell"><span class="axis">${goal}${band}</span></td></tr>`;
}

function comparisonLine(path: string, c: Comparison): string {
  const interval = c.interval ? ` [${pp(c.interval[0])} to ${pp(c.interval[1])}]` : '';
  const verdict =
    c.interval === undefined ? 'no data yet' : c.significant ? 'significant' : 'not significant yet';
  return `<li class="${c.significant ? 'sig' : 'nosig'}"><b>${esc(c.treatment)} vs ${esc(c.control)}</b>: ${measure(`${path}.difference`, c.difference, pp(c.difference))}${esc(interval)} · ${measure(`${path}.significant`, c.significant, verdict)}</li>`;
}

function campaignCard(
  u: CampaignUplift,
  index: number,
  funnel: Metrics['campaigns'][number]['funnel'] | undefined,
  live: boolean,
): string {
  const p = `uplift.${index}`;
  const groups: [string, string, GroupRate][] = [
    ['Treated (sent)', `${p}.treated`, u.treated],
    ...(u.holdout ? [['Holdout (control)', `${p}.holdout`, u.holdout] as [string, string, GroupRate]] : []),
    ...u.variants.map((v, i) => [`Variant ${v.id}`, `${p}.variants.${i}`, v] as [string, string, GroupRate]),
  ];
  const top = Math.max(
    0.05,
    (u.goal?.target ?? 0) / 100,
    ...groups.map(([, , g]) => g.interval?.[1] ?? g.rate),
  );
  const scale = Math.min(1, Math.ceil(top * 20) / 20);
  const comparisons = [
    ...(u.uplift ? [comparisonLine(`${p}.uplift`, u.uplift)] : []),
    ...u.variantComparisons.map((c, i) => comparisonLine(`${p}.variantComparisons.${i}`, c)),
  ];
  const learn = u.learn
    ? `<div class="learn"><b>We want to learn:</b> ${esc(u.learn.question)}<br><b>Answer so far:</b> ${esc(u.learn.answer)}</div>`
    : '';
  return `<article class="card measure" data-campaign="${esc(u.campaignId)}">
<h3>${esc(u.name)} <code class="muted">${esc(u.campaignId)}</code></h3>
<p class="headline">${measure(`${p}.headline`, u.headline, u.headline)}</p>
<div class="grid2"><div><h4>Funnel</h4>${funnel ? funnelBars(`campaigns.${u.campaignId}`, funnel) : ''}</div>
<div><h4>Conversion with 95% interval <span class="muted small">(axis 0–${pct(scale)}${u.goal?.target !== undefined ? `, ▏target ${esc(u.goal.target)}%` : ''})</span></h4>
<table class="rates"><thead><tr><th scope="col">Group</th><th scope="col" class="num">Customers</th><th scope="col" class="num">Converted</th><th scope="col" class="num">Rate</th><th scope="col"><span class="visually-hidden">Interval</span></th></tr></thead>
<tbody>${groups.map(([label, path, g]) => intervalRow(label, path, g, scale, u.goal?.target)).join('')}</tbody></table>
${comparisons.length ? `<ul class="comparisons">${comparisons.join('')}</ul>` : ''}</div></div>
${learn}
${live ? `<div class="charts"><div class="chart"><canvas id="funnel-${index}" role="img" aria-label="Funnel of ${esc(u.name)}"></canvas></div><div class="chart"><canvas id="rates-${index}" role="img" aria-label="Conversion rates of ${esc(u.name)} with 95% intervals"></canvas></div></div>` : ''}
</article>`;
}

/** The section; `live` adds the Chart.js canvases, their data and the two local scripts. */
export function measurementSection(metrics: Metrics, live: boolean): string {
  const funnels = new Map(metrics.campaigns.map((c) => [c.campaignId, c.funnel]));
  const cards = metrics.uplift.map((u, i) => campaignCard(u, i, funnels.get(u.campaignId), live));
  const data = live
    ? `<script type="application/json" id="measurement-data">${JSON.stringify(
        metrics.uplift.map((u) => ({
          name: u.name,
          target: u.goal?.target,
          funnel: funnels.get(u.campaignId),
          groups: [
            ['Treated', u.treated],
            ...(u.holdout ? [['Holdout', u.holdout]] : []),
            ...u.variants.map((v) => [`Variant ${v.id}`, v]),
          ].map(([label, g]) => ({
            label,
            rate: (g as GroupRate).rate,
            interval: (g as GroupRate).interval,
          })),
        })),
      ).replace(/</g, '\\u003c')}</script>
<script src="/assets/chart.umd.min.js"></script><script src="/assets/measurement-charts.js"></script>`
    : '';
  return `<section id="measurement" aria-labelledby="h-measurement">
<h2 id="h-measurement">Measurement <small>funnel, goal, uplift over the holdout and variants, with 95% intervals</small></h2>
${cards.length ? cards.join('') : '<p class="empty">No campaign has a goal, a holdout or variants to compare.</p>'}
<p class="small muted">Delivered, opened and clicked come from provider feedback (SES events); the local SES emulator sends none. Conversion rates count customers, not messages: a customer triggered three times counts once, in the group of their first contact (treated or holdout, and their variant), and converted when a goal conversion was attributed to any of their contacts. Offers shown at the till, on the phone or on the web are not part of this experiment. Customers still inside their goal window may convert later. Intervals: Wilson for a rate, Newcombe's hybrid score for a difference; an interval that excludes zero is significant at 95%.</p>
${data}</section>`;
}

/** The live page's chart script (served as `/assets/measurement-charts.js`; no inline script under the CSP). */
export const MEASUREMENT_CHARTS_JS = `'use strict';
(function () {
  var el = document.getElementById('measurement-data');
  if (!el || typeof Chart === 'undefined') return;
  var data = JSON.parse(el.textContent || '[]');
  var stages = ['sent', 'delivered', 'opened', 'clicked', 'converted'];
  data.forEach(function (c, i) {
    var f = document.getElementById('funnel-' + i);
    if (f && c.funnel) {
      new Chart(f, {
        type: 'bar',
        data: { labels: stages, datasets: [{ label: 'Messages', data: stages.map(function (s) { return c.funnel[s]; }), backgroundColor: '#0f5e7a' }] },
        options: { indexAxis: 'y', animation: false, responsive: true, maintainAspectRatio: false, plugins: { legend: { display: false }, title: { display: true, text: 'Funnel' } } }
      });
    }
    var r = document.getElementById('rates-' + i);
    if (r) {
      var labels = c.groups.map(function (g) { return g.label; });
      var datasets = [
        { type: 'bar', label: '95% interval', data: c.groups.map(function (g) { return g.interval ? [g.interval[0] * 100, g.interval[1] * 100] : null; }), backgroundColor: 'rgba(91,95,199,0.35)' },
        { type: 'line', label: 'Conversion rate (%)', data: c.groups.map(function (g) { return g.rate * 100; }), showLine: false, pointRadius: 5, backgroundColor: '#17212b', borderColor: '#17212b' }
      ];
      if (typeof c.target === 'number') {
        datasets.push({ type: 'line', label: 'Target (%)', data: labels.map(function () { return c.target; }), borderColor: '#b4474b', borderDash: [6, 4], pointRadius: 0 });
      }
      new Chart(r, {
        data: { labels: labels, datasets: datasets },
        options: { animation: false, responsive: true, maintainAspectRatio: false, scales: { y: { beginAtZero: true, title: { display: true, text: '% converted' } } }, plugins: { title: { display: true, text: 'Conversion with 95% interval' } } }
      });
    }
  });
})();
`;

/** Styles of the section (inlined with the page's stylesheet). */
export const MEASUREMENT_CSS = `
.measure h3{margin:0 0 .2rem}.measure h4{margin:.6rem 0 .4rem;font-size:.92rem}
.measure .headline{font-size:1.05rem;font-weight:600;margin:.2rem 0 .6rem}
.funnel{list-style:none;margin:0;padding:0}.funnel li{display:grid;grid-template-columns:6.5rem 1fr 3.5rem;gap:.5rem;align-items:center;margin:.15rem 0}
.funnel .track{background:#eef2f6;border-radius:4px;height:.9rem;display:block}.funnel .fill{background:var(--accent);height:100%;display:block;border-radius:4px}
.funnel b{text-align:right;font-variant-numeric:tabular-nums}
.rates{width:100%}.rates .axis-cell{width:40%}.axis{position:relative;display:block;height:1rem;background:#eef2f6;border-radius:4px}
.axis .ci{position:absolute;top:.2rem;height:.6rem;background:rgba(91,95,199,.45);border-radius:3px}
.axis .point{position:absolute;top:0;width:3px;height:1rem;margin-left:-1px;background:var(--ink)}
.axis .target{position:absolute;top:-.15rem;height:1.3rem;border-left:2px dashed var(--suppressed)}
.comparisons{margin:.5rem 0 0;padding-left:1.1rem}.comparisons .sig b{color:var(--sent)}
.learn{margin-top:.6rem;padding:.5rem .7rem;background:#f6f8fb;border-left:3px solid var(--holdout);font-size:.92rem}
.charts{display:grid;grid-template-columns:minmax(0,1fr) minmax(0,1fr);gap:1rem;margin-top:.8rem}.chart{position:relative;height:220px;min-width:0}
`;
