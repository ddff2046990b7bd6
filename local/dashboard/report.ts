import { mkdir, writeFile } from 'node:fs/promises';
import { dirname, resolve } from 'node:path';
import type { CustomerExport } from '#shared/domain/store.ts';
import type { Runtime, RuntimeStats } from '../runtime.ts';
import type { DecisionRecord, Metrics, StrategyView } from './data.ts';
import { renderDashboardPage } from './page.ts';

/**
 * Writes a static HTML snapshot of the dashboard: the same page with the data inlined, no script and no
 * external asset, so it can be attached to a CI run or mailed around. Reads everything through the
 * runtime's public dashboard API; the customers of the latest decisions are included in full.
 *
 * @returns the absolute path written
 */
export async function renderDashboardReport(
  runtime: Pick<Runtime, 'urls' | 'clock'>,
  outFile: string,
  options: { decisions?: number; customers?: number } = {},
): Promise<string> {
  const base = runtime.urls.dashboard;
  const get = async <T>(path: string): Promise<T> => {
    const response = await fetch(`${base}${path}`);
    if (!response.ok) throw new Error(`dashboard ${path}: HTTP ${response.status}`);
    return (await response.json()) as T;
  };
  const [metrics, { decisions }, strategy, stats] = await Promise.all([
    get<Metrics>('/api/metrics'),
    get<{ decisions: DecisionRecord[] }>(`/api/decisions?limit=${options.decisions ?? 100}`),
    get<StrategyView>('/api/strategy'),
    get<RuntimeStats>('/api/stats'),
  ]);
  const ids = [...new Set(decisions.map((d) => d.customerId))].slice(0, options.customers ?? 25);
  const customers = (
    await Promise.all(
      ids.map(async (id) => {
        const response = await fetch(`${base}/api/customers/${encodeURIComponent(id)}`);
        return response.ok ? ((await response.json()) as CustomerExport) : undefined;
      }),
    )
  ).filter((c): c is CustomerExport => c !== undefined);
  const html = renderDashboardPage({
    mode: 'report',
    now: new Date(runtime.clock.now()).toISOString(),
    metrics,
    decisions: decisions.slice(0, 50),
    filter: {},
    strategy,
    stats,
    links: { sesInbox: runtime.urls.sesInbox, snsStore: runtime.urls.snsStore },
    customers,
  });
  const path = resolve(outFile);
  await mkdir(dirname(path), { recursive: true });
  await writeFile(path, html);
  return path;
}
