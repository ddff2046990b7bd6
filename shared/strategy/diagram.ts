import type { Campaign, Strategy } from './schema.ts';

const escapeText = (s: string): string => s.replace(/["<>{}[\]|]/g, (c) => `#${c.charCodeAt(0)};`);
/** Mermaid node text: each line escaped, lines joined with <br/>. */
const label = (...lines: string[]): string => lines.filter(Boolean).map(escapeText).join('<br/>');

function patternSummary(pattern: Record<string, unknown>): string {
  const list = (v: unknown) => (Array.isArray(v) ? v.filter((x) => typeof x === 'string').join(' / ') : '');
  const parts = [list(pattern.source), list(pattern['detail-type'])].filter(Boolean);
  const more = Object.keys(pattern).some((k) => !['source', 'detail-type'].includes(k)) ? ' + filters' : '';
  return `${parts.join(': ') || 'custom pattern'}${more}`;
}

function triggerLabel(c: Campaign): string {
  const { trigger } = c;
  if (trigger.date) {
    const { attribute, daysBefore, anniversary } = trigger.date;
    const when = daysBefore > 0 ? `${daysBefore} days before ${attribute}` : `on ${attribute}`;
    return `date: ${when}${anniversary ? ', every year' : ''}`;
  }
  return `event: ${patternSummary(trigger.pattern ?? {})}`;
}

/**
 * A Mermaid flowchart of the strategy: per campaign, trigger → business rule → audience → channels
 * → caps, variants and holdout, with the global contact rules beside. Written by `contact diagram`
 * and embedded in the README, so a marketer can read the strategy without reading YAML.
 */
export function strategyDiagram(strategy: Strategy): string {
  const lines = ['flowchart LR'];
  const globalCaps = strategy.contactRules.caps.map(
    (c) => `${c.max} per ${c.per}${c.purpose ? ` ${c.purpose}` : ''}${c.channel ? ` on ${c.channel}` : ''}`,
  );
  if (globalCaps.length > 0) lines.push(`  rules[["${label('contact rules', ...globalCaps)}"]]`);
  for (const c of strategy.campaigns) {
    const id = c.id.replace(/-/g, '_');
    const steps: string[] = [`${id}_t(["${label(triggerLabel(c))}"])`];
    const count = c.trigger.when?.count;
    if (count) steps.push(`${id}_r{"${count.atLeast}× ${label(count.detailType)} within ${count.within}"}`);
    const audience = Object.entries(c.audience).map(([k, v]) => `${k}: ${JSON.stringify(v)}`);
    if (audience.length > 0) steps.push(`${id}_a{"${label(...audience)}"}`);
    const timing = [c.delay && `after ${c.delay}`, c.expires && `expires ${c.expires}`]
      .filter(Boolean)
      .join(', ');
    steps.push(`${id}_c["${label(c.name ?? c.id, `${c.purpose}, priority ${c.priority}`, timing)}"]`);
    steps.push(`${id}_ch[/"${label(c.channels.join(' → '))}"/]`);
    const caps = c.caps.map((cap) => `max ${cap.max} per ${cap.per}`).join(', ');
    const variants = c.variants.map((v) => `${v.id} ${v.weight}%`).join(' / ');
    const holdout = c.holdout > 0 ? `, holdout ${c.holdout}%` : '';
    steps.push(`${id}_v[("${label(caps, `${variants}${holdout}`)}")]`);
    lines.push(`  ${steps.join(' --> ')}`);
    if (globalCaps.length > 0 && c.purpose !== 'service') lines.push(`  rules -.-> ${id}_ch`);
  }
  return `${lines.join('\n')}\n`;
}
