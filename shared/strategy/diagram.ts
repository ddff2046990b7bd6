import type { Campaign, Strategy } from './schema.ts';

const label = (s: string): string => s.replace(/["<>{}[\]|]/g, (c) => `#${c.charCodeAt(0)};`);

function patternSummary(pattern: Record<string, unknown>): string {
  const list = (v: unknown) => (Array.isArray(v) ? v.filter((x) => typeof x === 'string').join(' / ') : '');
  const parts = [list(pattern.source), list(pattern['detail-type'])].filter(Boolean);
  const more = Object.keys(pattern).some((k) => !['source', 'detail-type'].includes(k)) ? ' + filters' : '';
  return `${parts.join(': ') || 'custom pattern'}${more}`;
}

function triggerLabel(c: Campaign): string {
  const { trigger } = c;
  if (trigger.date) {
    const when = trigger.date.anniversary ? 'every year on' : 'on';
    const before = trigger.date.daysBefore > 0 ? `${trigger.date.daysBefore} days before ` : '';
    return `date: ${before}${when} ${trigger.date.attribute}`;
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
  const globalCaps = strategy.contactRules.caps
    .map(
      (c) => `${c.max} per ${c.per}${c.purpose ? ` ${c.purpose}` : ''}${c.channel ? ` on ${c.channel}` : ''}`,
    )
    .join('<br/>');
  if (globalCaps) lines.push(`  rules[["contact rules<br/>${label(globalCaps)}"]]`);
  for (const c of strategy.campaigns) {
    const id = c.id.replace(/-/g, '_');
    const steps: string[] = [`${id}_t(["${label(triggerLabel(c))}"])`];
    const count = c.trigger.when?.count;
    if (count) steps.push(`${id}_r{"${count.atLeast}× ${label(count.detailType)} within ${count.within}"}`);
    const audience = Object.entries(c.audience).map(([k, v]) => `${k}: ${JSON.stringify(v)}`);
    if (audience.length > 0) steps.push(`${id}_a{"${label(audience.join('<br/>'))}"}`);
    const timing = [c.delay && `after ${c.delay}`, c.expires && `expires ${c.expires}`]
      .filter(Boolean)
      .join(', ');
    const header = `${label(c.name ?? c.id)}<br/>${c.purpose}, priority ${c.priority}${timing ? `<br/>${timing}` : ''}`;
    steps.push(`${id}_c["${header}"]`);
    steps.push(`${id}_ch[/"${c.channels.join(' → ')}"/]`);
    const caps = c.caps.map((cap) => `max ${cap.max} per ${cap.per}`).join(', ');
    const variants = c.variants.map((v) => `${v.id} ${v.weight}%`).join(' / ');
    const holdout = c.holdout > 0 ? `, holdout ${c.holdout}%` : '';
    steps.push(`${id}_v[("${label([caps, `${variants}${holdout}`].filter(Boolean).join('<br/>'))}")]`);
    lines.push(`  ${steps.join(' --> ')}`);
    if (globalCaps && c.purpose !== 'service') lines.push(`  rules -.-> ${id}_ch`);
  }
  return `${lines.join('\n')}\n`;
}
