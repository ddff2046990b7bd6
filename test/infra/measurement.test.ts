import { Template } from 'aws-cdk-lib/assertions';
import { beforeAll, describe, expect, it } from 'vitest';
import { silencePeriods } from '#infra/constructs/measurement.ts';
import { createContactApp, loadDeployedStrategy } from '#infra/contact-app.ts';
import { loadCompiledStrategy } from '#shared/strategy/load.ts';
import { differenceInterval } from '#shared/use-cases/uplift.ts';
import { cdkJsonContext, logicalId, render } from './helpers.ts';

/** The sample strategy: goals, a holdout, A/B variants, a learning goal and silence settings. */
const STRATEGY_FILE = 'strategy/contact-strategy.yaml';
const strategy = loadCompiledStrategy(STRATEGY_FILE).strategy;
const enabled = strategy.campaigns.filter((c) => c.enabled);

interface Widget {
  type: string;
  x: number;
  y: number;
  width: number;
  properties: { title?: string; markdown?: string; metrics?: unknown[]; annotations?: unknown };
}
interface AlarmProps {
  AlarmName?: string;
  AlarmDescription: string;
  Threshold: number;
  ComparisonOperator: string;
  EvaluationPeriods: number;
  DatapointsToAlarm?: number;
  TreatMissingData?: string;
  MetricName?: string;
  Namespace?: string;
  Period?: number;
  Metrics?: {
    Id: string;
    Expression?: string;
    MetricStat?: { Metric: { MetricName: string }; Period: number };
  }[];
  AlarmActions: unknown[];
  OKActions: unknown[];
}

let template: Template;
let widgets: Widget[];
let alarms: AlarmProps[];
let topicRef: string;

beforeAll(() => {
  const { stateless } = createContactApp({
    context: { ...cdkJsonContext(), strategyFile: STRATEGY_FILE },
    loadStrategy: loadDeployedStrategy,
    bundle: false,
  });
  template = Template.fromStack(stateless);
  const [dashboard] = Object.values(template.findResources('AWS::CloudWatch::Dashboard'));
  widgets = (JSON.parse(render(dashboard?.Properties.DashboardBody)) as { widgets: Widget[] }).widgets;
  alarms = Object.values(template.findResources('AWS::CloudWatch::Alarm')).map(
    (a) => a.Properties as AlarmProps,
  );
  topicRef = `<${logicalId(stateless, stateless.measurement.alarmTopic)}>`;
}, 60_000);

const titles = (ws: readonly Widget[]) =>
  ws.map((w) => w.properties.title ?? w.properties.markdown?.split('\n')[0]);

describe('CloudWatch dashboard generated from the strategy', () => {
  it('has an overview row for marketers: triggers, sends by channel, suppressions by reason, deliverability', () => {
    const overview = widgets.filter((w) => w.y === widgets.find((x) => x.type === 'metric')?.y);
    expect(titles(overview)).toEqual([
      'Triggers received, and what we did with them',
      'Messages sent, by channel',
      'Why customers were not contacted',
      'Email deliverability: bounces and complaints (% of sends, per day)',
    ]);
  });

  it('has one row per enabled campaign: what it is for, funnel, variants, holdout', () => {
    for (const c of enabled) {
      const name = c.name ?? c.id;
      const text = widgets.find((w) => w.properties.markdown?.startsWith(`## ${name}\n`));
      expect(text, name).toBeDefined();
      const row = widgets.filter((w) => w.y === text?.y);
      expect(row.reduce((sum, w) => sum + w.width, 0)).toBe(24);
      expect(titles(row).slice(1)).toEqual([
        `${name}: funnel (sent → delivered → opened → clicked → converted)`,
        `${name}: variants`,
        c.holdout > 0 && c.goal
          ? `${name}: holdout ${c.holdout}% — did the message make a difference?`
          : `${name}: triggers`,
      ]);
    }
    const rows = new Set(widgets.filter((w) => w.properties.markdown?.startsWith('## ')).map((w) => w.y));
    expect(rows.size).toBe(enabled.length);
  });

  it('answers the learning goal: the variant comparison and the uplift with their interval and significance', () => {
    const loyalty = strategy.campaigns.find((c) => c.id === 'loyalty-third-order');
    const name = loyalty?.name ?? '';
    const text = widgets.find((w) => w.properties.markdown?.startsWith(`## ${name}\n`));
    expect(text?.properties.markdown).toContain(`**We want to learn:** ${loyalty?.learn}`);
    expect(text?.properties.markdown).toContain('target 5%');
    const labels = (title: string) =>
      JSON.stringify(widgets.find((w) => w.properties.title === title)?.properties.metrics);
    const variants = labels(`${name}: variants`);
    for (const label of [
      'b vs a: difference (pp)',
      'b vs a: 95% interval, low',
      'b vs a: significant yet? (1 = yes)',
    ])
      expect(variants).toContain(label);
    const holdout = labels(`${name}: holdout 10% — did the message make a difference?`);
    expect(holdout).toContain('Treated converted (%), target 5%');
    expect(holdout).toContain('treated vs control: 95% interval, high');
    expect(holdout).toMatch(/\^0\.5/);
  });
});

/**
 * Evaluates a widget's metric math for one period, with the given values for its metrics (by id), the
 * way CloudWatch would: `FILL`, `SUM([...])`, `IF`, `OR` and `^`. Returns the labelled lines by label.
 */
function evaluateWidget(metrics: unknown[], values: Record<string, number>): Record<string, number> {
  const expressions = new Map<string, string>();
  const labelled: [string, string][] = [];
  for (const line of metrics as unknown[][]) {
    const options = line[line.length - 1] as { id?: string; expression?: string; label?: string };
    if (options.expression === undefined) continue;
    if (options.id) expressions.set(options.id, options.expression);
    if (options.label) labelled.push([options.label, options.expression]);
  }
  const value = (expression: string): number => {
    const js = expression
      .replace(/SUM\(\[([^\]]*)\]\)/g, (_, ids: string) => `(${ids.split(',').join('+')})`)
      .replace(/FILL\(([a-z]\w*),0\)/g, '$1')
      .replace(/IF\((.*) > 0 OR (.*) < 0, 1, 0\)/, '((($1) > 0 || ($2) < 0) ? 1 : 0)')
      .replace(/\^/g, '**')
      .replace(/\b[a-z]\w*\b/g, (id) => {
        if (id in values) return `(${values[id]})`;
        const inner = expressions.get(id);
        if (inner === undefined) throw new Error(`unknown id ${id} in ${expression}`);
        return `(${value(inner)})`;
      });
    return Number(new Function(`return ${js};`)());
  };
  // Lines over metrics the caller gave no value for (other widgets' rows) come out as NaN.
  const safe = (expression: string) => {
    try {
      return value(expression);
    } catch {
      return Number.NaN;
    }
  };
  return Object.fromEntries(labelled.map(([label, expression]) => [label, safe(expression)]));
}

describe('the dashboard computes the uplift interval as the use case does (Newcombe)', () => {
  const loyalty = strategy.campaigns.find((c) => c.id === 'loyalty-third-order');
  const name = loyalty?.name ?? '';
  const metricsOf = (title: string) =>
    widgets.find((w) => w.properties.title === title)?.properties.metrics ?? [];

  it.each([
    ['1,000 sent, 50 converted; 200 held out, 4 converted', [600, 400, 50, 200, 4]],
    ['a rate of 1 against 0: the interval keeps its width', [2, 0, 2, 1, 0]],
  ])('treated vs control: %s', (_, [s0 = 0, s1 = 0, kt = 0, nh = 0, kh = 0]) => {
    const got = evaluateWidget(metricsOf(`${name}: holdout 10% — did the message make a difference?`), {
      s0,
      s1,
      kt,
      nh,
      kh,
    });
    const { difference, interval = [0, 0] } = differenceInterval(kt, s0 + s1, kh, nh);
    expect(got['treated vs control: difference (pp)']).toBeCloseTo(100 * difference, 9);
    expect(got['treated vs control: 95% interval, low']).toBeCloseTo(100 * interval[0], 9);
    expect(got['treated vs control: 95% interval, high']).toBeCloseTo(100 * interval[1], 9);
    expect(got['treated vs control: significant yet? (1 = yes)']).toBe(0);
  });

  it('b vs a, and says significant when the interval excludes zero', () => {
    const got = evaluateWidget(metricsOf(`${name}: variants`), { na: 500, ka: 10, nb: 500, kb: 45 });
    const { interval = [0, 0] } = differenceInterval(45, 500, 10, 500);
    expect(got['b vs a: 95% interval, low']).toBeCloseTo(100 * interval[0], 9);
    expect(got['b vs a: 95% interval, high']).toBeCloseTo(100 * interval[1], 9);
    expect(got['b vs a: significant yet? (1 = yes)']).toBe(1);
  });

  it('says on the campaign row that these rates are per message, and where customers are counted', () => {
    const text = widgets.find((w) => w.properties.markdown?.startsWith(`## ${name}\n`));
    expect(text?.properties.markdown).toContain('per message');
    expect(text?.properties.markdown).toContain('count each customer once');
  });
});

describe('alarms, each to the encrypted alarm topic', () => {
  const find = (pattern: RegExp) => alarms.filter((a) => pattern.test(a.AlarmDescription));
  const expression = (a: AlarmProps | undefined) => a?.Metrics?.find((m) => m.Expression)?.Expression;

  it('complaint rate above 0.1% and bounce rate above 4% of email sends over a day', () => {
    const [complaint] = find(/^Complaint rate/);
    const [bounce] = find(/^Bounce rate/);
    for (const [alarm, threshold, name] of [
      [complaint, 0.1, 'Complained'],
      [bounce, 4, 'Bounced'],
    ] as const) {
      expect(alarm).toMatchObject({
        Threshold: threshold,
        ComparisonOperator: 'GreaterThanThreshold',
        EvaluationPeriods: 1,
      });
      expect(expression(alarm)).toBe(`100*FILL(${name.toLowerCase()},0)/sends`);
      const stats = alarm?.Metrics?.filter((m) => m.MetricStat).map((m) => [
        m.MetricStat?.Metric.MetricName,
        m.MetricStat?.Period,
      ]);
      expect(stats).toEqual([
        [name, 86_400],
        ['Sends', 86_400],
      ]);
    }
  });

  it('any message in any dead-letter queue', () => {
    const dlq = find(/dead-letter queue/);
    expect(dlq.map((a) => a.AlarmDescription.match(/the (\S+) dead-letter/)?.[1]).sort()).toEqual(
      ['activity', 'date-triggers', 'deferred-schedules', 'feedback', 'profile', 'routing', 'trigger'].sort(),
    );
    for (const a of dlq) {
      expect(a).toMatchObject({
        MetricName: 'ApproximateNumberOfMessagesVisible',
        Threshold: 1,
        ComparisonOperator: 'GreaterThanOrEqualToThreshold',
      });
    }
  });

  it('any error of any function', () => {
    const errors = find(/function failed/);
    expect(errors.map((a) => a.AlarmDescription.match(/The (\S+) function/)?.[1]).sort()).toEqual(
      [
        'activity',
        'date-triggers',
        'deferred',
        'evaluate',
        'export',
        'feedback',
        'next-best-offer',
        'preferences',
        'profile',
      ].sort(),
    );
    for (const a of errors) expect(a).toMatchObject({ MetricName: 'Errors', Threshold: 1, Period: 300 });
  });

  it('send throttling sustained over three 5-minute periods', () => {
    const [throttle] = find(/throttled sends/);
    expect(throttle).toMatchObject({
      MetricName: 'ProviderThrottles',
      Namespace: 'ContactTriggers',
      Threshold: 1,
      Period: 300,
      EvaluationPeriods: 3,
      DatapointsToAlarm: 3,
      ComparisonOperator: 'GreaterThanOrEqualToThreshold',
    });
  });

  it('no triggers for silentAfter hours on each campaign that normally fires (default 24h, false = none)', () => {
    const silent = find(/^No trigger for/);
    const expected = enabled.filter((c) => c.silentAfter !== false);
    expect(expected.length).toBeLessThan(enabled.length);
    expect(silent).toHaveLength(expected.length);
    const window = (a: AlarmProps) => {
      const period = a.Metrics?.find((m) => m.MetricStat)?.MetricStat?.Period ?? 0;
      return (period * a.EvaluationPeriods) / 3600;
    };
    for (const c of expected) {
      const alarm = silent.find((a) => a.AlarmDescription.includes(`"${c.name ?? c.id}"`));
      const hours = { '6h': 6, '3d': 72 }[String(c.silentAfter)] ?? 24;
      expect(alarm, c.id).toMatchObject({
        Threshold: 1,
        ComparisonOperator: 'LessThanThreshold',
        TreatMissingData: 'ignore',
      });
      expect(window(alarm as AlarmProps)).toBe(hours);
      expect(expression(alarm)).toBe(
        'FILL(d_sent,0)+FILL(d_deferred,0)+FILL(d_holdout,0)+FILL(d_suppressed,0)',
      );
    }
  });

  /**
   * CloudWatch's documented evaluation ("Configuring how CloudWatch alarms treat missing data"), for
   * this alarm's shape: it reads a few more periods than it evaluates; `FILL(…,0)` makes a silent period
   * 0 once any period of that range has data, and with none there is nothing to fill and the
   * missing-data setting decides.
   */
  type State = 'INSUFFICIENT_DATA' | 'OK' | 'ALARM';
  function nextState(a: AlarmProps, triggers: readonly (number | undefined)[], current: State): State {
    const range = triggers.slice(-(a.EvaluationPeriods + 2));
    if (range.every((t) => t === undefined)) {
      const missing: Record<string, State> = { breaching: 'ALARM', notBreaching: 'OK', ignore: current };
      return missing[a.TreatMissingData ?? 'missing'] ?? 'INSUFFICIENT_DATA';
    }
    const evaluated = range.map((t) => t ?? 0).slice(-a.EvaluationPeriods);
    const breaching = evaluated.filter((v) => v < a.Threshold).length;
    return breaching >= (a.DatapointsToAlarm ?? a.EvaluationPeriods) ? 'ALARM' : 'OK';
  }
  /** The alarm's state after each period, from a new alarm (insufficient data). */
  const run = (a: AlarmProps, triggers: readonly (number | undefined)[]) => {
    let state: State = 'INSUFFICIENT_DATA';
    return triggers.map((_, i) => {
      state = nextState(a, triggers.slice(0, i + 1), state);
      return state;
    });
  };

  it('does not raise the silence alarm for a campaign that has never had a trigger', () => {
    for (const alarm of find(/^No trigger for/)) {
      const never = Array.from({ length: 12 }, () => undefined);
      expect(run(alarm, never)).not.toContain('ALARM');
    }
  });

  it('raises it once a campaign that fired goes silent for the window, keeps it, and clears it on a trigger', () => {
    const [alarm] = find(/^No trigger for/).filter((a) => a.EvaluationPeriods === 3); // silentAfter 3d
    if (!alarm) throw new Error('the sample strategy has a 3-day silence window');
    const silentFor = (n: number) => Array.from({ length: n }, () => undefined);
    const states = run(alarm, [5, 7, 4, ...silentFor(2), undefined, ...silentFor(6), 3]);
    expect(states.slice(0, 5)).toEqual(['OK', 'OK', 'OK', 'OK', 'OK']);
    expect(states[5]).toBe('ALARM'); // the third silent day
    expect(states.slice(6, 12)).toEqual(Array(6).fill('ALARM')); // the last trigger is long out of range
    expect(states[12]).toBe('OK');
  });

  it('sends every alarm and its recovery to the topic, encrypted with its own key and TLS only', () => {
    for (const a of alarms) {
      expect(a.AlarmActions.map(render)).toEqual([topicRef]);
      expect(a.OKActions.map(render)).toEqual([topicRef]);
    }
    const [topic] = Object.values(template.findResources('AWS::SNS::Topic'));
    expect(topic?.Properties.KmsMasterKeyId).toBeDefined();
    const policies = Object.values(template.findResources('AWS::SNS::TopicPolicy'));
    expect(JSON.stringify(policies)).toContain('"aws:SecureTransport":"false"');
  });

  it('splits a silence window into at most 1-day periods that add up to it exactly', () => {
    expect(silencePeriods(6)).toEqual({ periodHours: 6, periods: 1 });
    expect(silencePeriods(72)).toEqual({ periodHours: 24, periods: 3 });
    expect(silencePeriods(36)).toEqual({ periodHours: 18, periods: 2 });
    expect(silencePeriods(25)).toEqual({ periodHours: 5, periods: 5 });
  });
});
