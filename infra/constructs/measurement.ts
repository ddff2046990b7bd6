import { CfnOutput, Duration, RemovalPolicy } from 'aws-cdk-lib';
import * as cw from 'aws-cdk-lib/aws-cloudwatch';
import * as actions from 'aws-cdk-lib/aws-cloudwatch-actions';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as kms from 'aws-cdk-lib/aws-kms';
import type * as lambda from 'aws-cdk-lib/aws-lambda';
import * as sns from 'aws-cdk-lib/aws-sns';
import type * as sqs from 'aws-cdk-lib/aws-sqs';
import { Construct } from 'constructs';
import { OUTCOMES, REASONS } from '#shared/domain/decision.ts';
import { DIM, METRIC, NAMESPACE } from '#shared/metrics/catalogue.ts';
import {
  type Campaign,
  CHANNELS,
  type Channel,
  type Strategy,
  silentAfterHours,
} from '#shared/strategy/schema.ts';
import type { TemplateSet } from '#shared/strategy/templates.ts';
import { validateStrategy } from '#shared/strategy/validate.ts';
import { Z95 } from '#shared/use-cases/uplift.ts';

/** Deliverability thresholds of the mailbox providers (SES review and Gmail/Yahoo sender rules), in percent. */
export const COMPLAINT_RATE_THRESHOLD = 0.1;
export const BOUNCE_RATE_THRESHOLD = 4;
/** A sustained provider throttle: this many 5-minute periods in a row with at least one. */
export const THROTTLE_PERIODS = 3;

/** The validated strategy inside the functions' bundle (`strategyBundleJson`). */
export function strategyOfBundle(bundleJson: string): Strategy {
  const { document, templates } = JSON.parse(bundleJson) as { document: unknown; templates: TemplateSet };
  const { strategy, problems } = validateStrategy(document, templates);
  if (!strategy) throw new Error(`the bundled strategy does not validate: ${JSON.stringify(problems)}`);
  return strategy;
}

/** Properties of {@link Measurement}. */
export interface MeasurementProps {
  /** The validated strategy: one dashboard row and one silence alarm per enabled campaign. */
  readonly strategy: Strategy;
  readonly stage: string;
  /** Every function, by a short name (`evaluate`): an error alarm each. */
  readonly functions: Readonly<Record<string, lambda.IFunction>>;
  /** Every dead-letter queue, by a short name: an alarm on its first message each. */
  readonly deadLetterQueues: Readonly<Record<string, sqs.IQueue>>;
}

const DAY = Duration.days(1);

const metric = (name: string, dimensions: Record<string, string>, label?: string, period = DAY) =>
  new cw.Metric({
    namespace: NAMESPACE,
    metricName: name,
    dimensionsMap: dimensions,
    statistic: cw.Stats.SUM,
    period,
    ...(label && { label }),
  });

/** `a + b + c` over metrics that may have no data (each filled with 0). */
const sumOf = (ids: readonly string[]) => ids.map((id) => `FILL(${id},0)`).join('+');

/** The channels a campaign may use (`preferred` may be any). */
const channelsOf = (c: Campaign): Channel[] =>
  c.channels.includes('preferred')
    ? [...CHANNELS]
    : (c.channels.filter((x) => x !== 'preferred') as Channel[]);

/** Hours → an alarm period (≤ 1 day, dividing the hours) and how many of them make the window. */
export function silencePeriods(hours: number): { periodHours: number; periods: number } {
  for (let p = Math.min(24, hours); p >= 1; p--)
    if (hours % p === 0) return { periodHours: p, periods: hours / p };
  return { periodHours: 1, periods: hours };
}

/**
 * What marketers and engineers watch: a CloudWatch dashboard generated from the contact strategy and
 * the alarms, all publishing to one encrypted SNS topic (subscribe e-mail or chat to it).
 *
 * Dashboard: an overview row (triggers by outcome, messages by channel, why customers were not
 * contacted, email deliverability against the providers' thresholds, alarm status) and a row per
 * enabled campaign (its goal and learning question, the funnel sent → delivered → opened → clicked →
 * converted, the variants, and the holdout: conversion of treated vs control with the uplift and its
 * 95% interval, computed by metric math over the dashboard's time range).
 *
 * Alarms: complaint rate > 0.1% and bounce rate > 4% of email sends over a day, any message in any
 * dead-letter queue, any function error, provider throttling sustained for 15 minutes, and no trigger
 * for `silentAfter` (strategy; default 24h) on each campaign that has fired before (a campaign that has
 * never had a trigger does not alarm).
 */
export class Measurement extends Construct {
  readonly alarmTopic: sns.Topic;
  readonly dashboard: cw.Dashboard;
  /** Every alarm, by a stable name (`complaint-rate`, `dlq-trigger`, `errors-evaluate`, `silent-welcome`). */
  readonly alarms: Readonly<Record<string, cw.Alarm>> = {};

  constructor(scope: Construct, id: string, props: MeasurementProps) {
    super(scope, id);
    const { strategy, stage } = props;
    const campaigns = strategy.campaigns.filter((c) => c.enabled);

    const key = new kms.Key(this, 'AlarmTopicKey', {
      description: 'Encrypts the contact-triggers alarm topic',
      alias: `alias/contact-triggers/${stage}/alarms`,
      enableKeyRotation: true,
      removalPolicy: RemovalPolicy.DESTROY,
      pendingWindow: Duration.days(30),
    });
    // CloudWatch publishes alarms to an encrypted topic only with the key's permission.
    key.addToResourcePolicy(
      new iam.PolicyStatement({
        principals: [new iam.ServicePrincipal('cloudwatch.amazonaws.com')],
        actions: ['kms:Decrypt', 'kms:GenerateDataKey*'],
        resources: ['*'],
      }),
    );
    this.alarmTopic = new sns.Topic(this, 'AlarmTopic', {
      displayName: `Contact triggers (${stage}) alarms`,
      masterKey: key,
      enforceSSL: true,
    });
    new CfnOutput(this, 'AlarmTopicArn', {
      value: this.alarmTopic.topicArn,
      description: 'Subscribe to this topic to receive the platform alarms',
    });

    this.#alarms(props, campaigns);
    this.dashboard = new cw.Dashboard(this, 'Dashboard', {
      dashboardName: `contact-triggers-${stage}`,
      defaultInterval: Duration.days(14),
    });
    this.#dashboard(strategy, campaigns);
  }

  #add(name: string, alarm: cw.Alarm): void {
    alarm.addAlarmAction(new actions.SnsAction(this.alarmTopic));
    alarm.addOkAction(new actions.SnsAction(this.alarmTopic));
    (this.alarms as Record<string, cw.Alarm>)[name] = alarm;
  }

  /** Email complaints or bounces as a percentage of email sends, per day. */
  #emailRate(metricName: string, label: string): cw.MathExpression {
    const id = metricName.toLowerCase();
    return new cw.MathExpression({
      expression: `100*FILL(${id},0)/sends`,
      usingMetrics: {
        [id]: metric(metricName, { [DIM.channel]: 'email' }),
        sends: metric(METRIC.sends, { [DIM.channel]: 'email' }),
      },
      label,
      period: DAY,
    });
  }

  #alarms(props: MeasurementProps, campaigns: readonly Campaign[]): void {
    const rate = (name: string, metricName: string, threshold: number, what: string) =>
      this.#add(
        name,
        new cw.Alarm(this, `${what}RateAlarm`, {
          alarmDescription: `${what} rate of email sends above ${threshold}% over a day: the mailbox providers' limit; stop and find the cause (list, content, campaign) before SES pauses sending.`,
          metric: this.#emailRate(metricName, `${what} rate (%)`),
          threshold,
          comparisonOperator: cw.ComparisonOperator.GREATER_THAN_THRESHOLD,
          evaluationPeriods: 1,
          treatMissingData: cw.TreatMissingData.NOT_BREACHING,
        }),
      );
    rate('complaint-rate', METRIC.complained, COMPLAINT_RATE_THRESHOLD, 'Complaint');
    rate('bounce-rate', METRIC.bounced, BOUNCE_RATE_THRESHOLD, 'Bounce');

    for (const [name, queue] of Object.entries(props.deadLetterQueues)) {
      this.#add(
        `dlq-${name}`,
        new cw.Alarm(this, `DeadLetters-${name}`, {
          alarmDescription: `A message is waiting in the ${name} dead-letter queue: read its reason, fix, and redrive it.`,
          metric: queue.metricApproximateNumberOfMessagesVisible({
            period: Duration.minutes(5),
            statistic: cw.Stats.MAXIMUM,
          }),
          threshold: 1,
          comparisonOperator: cw.ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
          evaluationPeriods: 1,
          treatMissingData: cw.TreatMissingData.NOT_BREACHING,
        }),
      );
    }

    for (const [name, fn] of Object.entries(props.functions)) {
      this.#add(
        `errors-${name}`,
        new cw.Alarm(this, `Errors-${name}`, {
          alarmDescription: `The ${name} function failed (errors in 5 minutes): see its logs.`,
          metric: fn.metricErrors({ period: Duration.minutes(5), statistic: cw.Stats.SUM }),
          threshold: 1,
          comparisonOperator: cw.ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
          evaluationPeriods: 1,
          treatMissingData: cw.TreatMissingData.NOT_BREACHING,
        }),
      );
    }

    this.#add(
      'send-throttling',
      new cw.Alarm(this, 'SendThrottlingAlarm', {
        alarmDescription: `SES or SNS throttled sends in ${THROTTLE_PERIODS} five-minute periods in a row: raise the sending quota or lower the evaluate function's concurrency.`,
        metric: metric(METRIC.providerThrottles, {}, undefined, Duration.minutes(5)),
        threshold: 1,
        comparisonOperator: cw.ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
        evaluationPeriods: THROTTLE_PERIODS,
        datapointsToAlarm: THROTTLE_PERIODS,
        treatMissingData: cw.TreatMissingData.NOT_BREACHING,
      }),
    );

    for (const c of campaigns) {
      const silent = c.silentAfter ?? props.strategy.defaults.silentAfter;
      if (silent === false) continue;
      const hours = silentAfterHours(silent);
      if (hours === undefined) continue; // the schema refuses it; kept for the type
      const { periodHours, periods } = silencePeriods(hours);
      const period = Duration.hours(periodHours);
      const ids = OUTCOMES.map((o) => `d_${o}`);
      this.#add(
        `silent-${c.id}`,
        new cw.Alarm(this, `Silent-${c.id}`, {
          alarmDescription: `No trigger for "${c.name ?? c.id}" in ${silent}: is the producing app still publishing, and does the campaign's rule still match? (silentAfter in the strategy)`,
          metric: new cw.MathExpression({
            expression: sumOf(ids),
            usingMetrics: Object.fromEntries(
              OUTCOMES.map((o, i) => [
                ids[i],
                metric(METRIC.decisions, { [DIM.campaign]: c.id, [DIM.outcome]: o }, undefined, period),
              ]),
            ),
            label: `Triggers received: ${c.name ?? c.id}`,
            period,
          }),
          threshold: 1,
          comparisonOperator: cw.ComparisonOperator.LESS_THAN_THRESHOLD,
          evaluationPeriods: periods,
          datapointsToAlarm: periods,
          // FILL turns silent periods into 0 only while some period of the evaluation range has data,
          // so "no data at all" means the campaign never fired (or its silence is older than the
          // range): keep the state. A new campaign stays at "insufficient data" until its first
          // trigger, and an alarm already raised stays raised until triggers come back.
          treatMissingData: cw.TreatMissingData.IGNORE,
        }),
      );
    }
  }

  #dashboard(strategy: Strategy, campaigns: readonly Campaign[]): void {
    const brand = strategy.brand?.name ?? 'Contact strategy';
    this.dashboard.addWidgets(
      new cw.TextWidget({
        markdown: `# ${brand}: what the campaigns did\nOne row per campaign of the contact strategy. Counts are totals over the selected time range; rates are percentages. *Held out* customers got no message on purpose: they show what would have happened anyway.`,
        width: 24,
        height: 2,
      }),
    );

    // Overview row.
    const byOutcome = OUTCOMES.map((o) =>
      metric(METRIC.decisions, { [DIM.outcome]: o }, OUTCOME_LABEL[o], Duration.hours(1)),
    );
    const byChannel = CHANNELS.map((ch) =>
      metric(METRIC.sends, { [DIM.channel]: ch }, CHANNEL_LABEL[ch], Duration.hours(1)),
    );
    const byReason = REASONS.map((r) =>
      metric(METRIC.decisions, { [DIM.outcome]: 'suppressed', [DIM.reason]: r }, REASON_LABEL[r] ?? r),
    );
    this.dashboard.addWidgets(
      new cw.GraphWidget({
        title: 'Triggers received, and what we did with them',
        left: byOutcome,
        stacked: true,
        width: 6,
        height: 6,
      }),
      new cw.GraphWidget({
        title: 'Messages sent, by channel',
        left: byChannel,
        stacked: true,
        width: 6,
        height: 6,
      }),
      new cw.GraphWidget({
        title: 'Why customers were not contacted',
        left: byReason,
        view: cw.GraphWidgetView.BAR,
        setPeriodToTimeRange: true,
        width: 6,
        height: 6,
      }),
      new cw.GraphWidget({
        title: 'Email deliverability: bounces and complaints (% of sends, per day)',
        left: [this.#emailRate(METRIC.bounced, 'Bounce rate (%)')],
        right: [this.#emailRate(METRIC.complained, 'Complaint rate (%)')],
        leftAnnotations: [{ value: BOUNCE_RATE_THRESHOLD, label: `Bounce limit ${BOUNCE_RATE_THRESHOLD}%` }],
        rightAnnotations: [
          { value: COMPLAINT_RATE_THRESHOLD, label: `Complaint limit ${COMPLAINT_RATE_THRESHOLD}%` },
        ],
        width: 6,
        height: 6,
      }),
    );
    this.dashboard.addWidgets(
      new cw.AlarmStatusWidget({
        title: 'Alarms',
        alarms: Object.values(this.alarms),
        width: 24,
        height: 3,
      }),
    );

    for (const c of campaigns) this.dashboard.addWidgets(...campaignRow(c));
  }
}

const OUTCOME_LABEL: Record<string, string> = {
  sent: 'Sent',
  deferred: 'Waiting (delay, quiet hours)',
  holdout: 'Held out (control group)',
  suppressed: 'Not contacted',
};
const CHANNEL_LABEL: Record<Channel, string> = {
  email: 'Email',
  sms: 'SMS',
  push: 'App push',
  webhook: 'Post (print shop)',
};
const REASON_LABEL: Record<string, string> = {
  no_consent: 'No consent',
  cap_reached: 'Frequency cap',
  no_channel: 'No usable channel',
  not_in_audience: 'Not in the audience',
  rule_not_met: 'Business rule not met',
  duplicate: 'Duplicate event',
  expired: 'Offer expired',
  unknown_customer: 'Unknown customer',
  invalid_event: 'Invalid event',
  bounced_address: 'Address bounced',
  outranked: 'Other campaign went first',
  quiet_hours: 'Quiet hours',
  delay: 'Delay',
};

/**
 * One campaign's row: what it is for, its funnel, its variants and its holdout. Metric math over the
 * time range; ids are local to each widget.
 */
export function campaignRow(c: Campaign): cw.IWidget[] {
  const name = c.name ?? c.id;
  const C = { [DIM.campaign]: c.id };
  const variantSends = Object.fromEntries(
    c.variants.map((v, i) => [`s${i}`, metric(METRIC.sends, { ...C, [DIM.variant]: v.id })]),
  );
  const sendsExpr = `SUM([${Object.keys(variantSends).join(',')}])`;
  const perChannel = (metricName: string, prefix: string) =>
    Object.fromEntries(
      channelsOf(c).map((ch) => [`${prefix}_${ch}`, metric(metricName, { ...C, [DIM.channel]: ch })]),
    );
  const math = (expression: string, usingMetrics: Record<string, cw.IMetric>, label: string) =>
    new cw.MathExpression({ expression, usingMetrics, label, period: DAY });
  const converted = metric(METRIC.conversions, { ...C, [DIM.outcome]: 'sent' });
  const goal = c.goal;
  const goalText = goal
    ? `**Goal:** ${goal.conversion.detailType} within ${goal.within}${goal.target !== undefined ? `, target ${goal.target}% of the customers we contacted` : ''}.`
    : '**No goal** set: conversions are not measured.';
  const learn = c.learn ? `\n\n**We want to learn:** ${c.learn}` : '';
  const holdoutText =
    c.holdout > 0
      ? `\n\n**Holdout ${c.holdout}%:** compare the treated and control conversion. The uplift is significant when its whole 95% interval (Newcombe's, as in the local report) is above (or below) zero.`
      : '';
  const unitText = goal
    ? '\n\n*Here rates are per message (or held-out trigger): CloudWatch cannot count distinct customers. The local dashboard and the demo report count each customer once; where customers were triggered more than once, their intervals are the wider, honest ones.*'
    : '';
  const widgets: cw.IWidget[] = [
    new cw.TextWidget({
      markdown: `## ${name}\n${c.description ?? ''}\n\n${goalText}${learn}${holdoutText}${unitText}`,
      width: 6,
      height: 6,
    }),
  ];

  const funnel: Record<string, cw.IMetric> = { ...variantSends };
  const delivered = perChannel(METRIC.delivered, 'dl');
  const opened = perChannel(METRIC.opened, 'op');
  const clicked = perChannel(METRIC.clicked, 'cl');
  widgets.push(
    new cw.SingleValueWidget({
      title: `${name}: funnel (sent → delivered → opened → clicked → converted)`,
      metrics: [
        math(sendsExpr, funnel, 'Sent'),
        math(sumOf(Object.keys(delivered)), delivered, 'Delivered'),
        math(sumOf(Object.keys(opened)), opened, 'Opened'),
        math(sumOf(Object.keys(clicked)), clicked, 'Clicked'),
        ...(goal ? [math('FILL(kt,0)', { kt: converted }, 'Converted')] : []),
      ],
      setPeriodToTimeRange: true,
      width: 6,
      height: 6,
    }),
  );

  // Variants: sends and conversion rate each.
  const variantMetrics: cw.IMetric[] = [];
  for (const [i, v] of c.variants.entries()) {
    const sends = metric(METRIC.sends, { ...C, [DIM.variant]: v.id });
    const n = `n${i}`;
    const k = `k${i}`;
    variantMetrics.push(math(`FILL(${n},0)`, { [n]: sends }, `Variant ${v.id}: sent`));
    if (goal) {
      const converted = variantConversions(c, v.id);
      variantMetrics.push(
        math(`100*FILL(${k},0)/${n}`, { [k]: converted, [n]: sends }, `Variant ${v.id}: converted (%)`),
      );
    }
    if (i === 1 && goal) {
      // The learning question's answer: b against a, with its 95% interval and whether it is significant.
      const first = c.variants[0]?.id ?? 'a';
      const using = {
        ka: metric(METRIC.conversions, { ...C, [DIM.outcome]: 'sent', [DIM.variant]: first }),
        na: metric(METRIC.sends, { ...C, [DIM.variant]: first }),
        kb: variantConversions(c, v.id),
        nb: sends,
      };
      variantMetrics.push(
        ...comparison(using, `${v.id} vs ${first}`, 'kb', 'FILL(nb,0)', 'ka', 'FILL(na,0)'),
      );
    }
  }
  widgets.push(
    new cw.SingleValueWidget({
      title: `${name}: variants`,
      metrics: variantMetrics,
      setPeriodToTimeRange: true,
      width: 6,
      height: 6,
    }),
  );

  if (c.holdout > 0 && goal) {
    const using = {
      ...variantSends,
      kt: converted,
      kh: metric(METRIC.conversions, { ...C, [DIM.outcome]: 'holdout' }),
      nh: metric(METRIC.decisions, { ...C, [DIM.outcome]: 'holdout' }),
    };
    const nt = `(${sendsExpr})`;
    widgets.push(
      new cw.SingleValueWidget({
        title: `${name}: holdout ${c.holdout}% — did the message make a difference?`,
        metrics: [
          math(
            `100*FILL(kt,0)/${nt}`,
            using,
            `Treated converted (%)${goal.target !== undefined ? `, target ${goal.target}%` : ''}`,
          ),
          math('100*FILL(kh,0)/nh', using, 'Control converted (%)'),
          ...comparison(using, 'treated vs control', 'kt', sendsExpr, 'kh', 'FILL(nh,0)'),
        ],
        setPeriodToTimeRange: true,
        width: 6,
        height: 6,
      }),
    );
  } else {
    widgets.push(
      new cw.SingleValueWidget({
        title: `${name}: triggers`,
        metrics: OUTCOMES.map((o) =>
          math(
            `FILL(m_${o},0)`,
            { [`m_${o}`]: metric(METRIC.decisions, { ...C, [DIM.outcome]: o }) },
            OUTCOME_LABEL[o] ?? o,
          ),
        ),
        setPeriodToTimeRange: true,
        width: 6,
        height: 6,
      }),
    );
  }
  return widgets;
}

const variantConversions = (c: Campaign, variant: string) =>
  metric(METRIC.conversions, { [DIM.campaign]: c.id, [DIM.outcome]: 'sent', [DIM.variant]: variant });

/** Metric-math ids and expressions of one group's rate and its 95% Wilson interval. */
function wilsonMath(
  id: string,
  k: string,
  n: string,
  using: Record<string, cw.IMetric>,
): { p: string; l: string; u: string; using: Record<string, cw.IMetric> } {
  const defined: Record<string, cw.IMetric> = { ...using };
  const def = (suffix: string, expression: string): string => {
    defined[`${id}${suffix}`] = new cw.MathExpression({
      expression,
      usingMetrics: { ...defined },
      period: DAY,
    });
    return `${id}${suffix}`;
  };
  const z2 = Z95 * Z95;
  const nn = def('n', n);
  const p = def('p', `FILL(${k},0)/${nn}`);
  const centre = def('c', `(${p}+${z2}/(2*${nn}))/(1+${z2}/${nn})`);
  const half = def('h', `${Z95}*((${p}*(1-${p})/${nn}+${z2}/(4*${nn}*${nn}))^0.5)/(1+${z2}/${nn})`);
  const l = def('l', `${centre}-${half}`);
  const u = def('u', `${centre}+${half}`);
  return { p, l, u, using: defined };
}

/**
 * The difference of two conversion rates in percentage points with its 95% interval, and 1 when the
 * interval excludes zero: Newcombe's hybrid score interval from the two Wilson intervals, as
 * `shared/use-cases/uplift.ts` computes it (metric math has `^`, so `^0.5` is the square root; the
 * intermediate expressions are hidden). `n1` and `n2` are metric-math expressions of the group sizes.
 */
function comparison(
  using: Record<string, cw.IMetric>,
  what: string,
  k1: string,
  n1: string,
  k2: string,
  n2: string,
): cw.MathExpression[] {
  const a = wilsonMath('wa', k1, n1, using);
  const b = wilsonMath('wb', k2, n2, a.using);
  const d = `(${a.p}-${b.p})`;
  const lo = `100*(${d}-((${a.p}-${a.l})^2+(${b.u}-${b.p})^2)^0.5)`;
  const hi = `100*(${d}+((${a.u}-${a.p})^2+(${b.p}-${b.l})^2)^0.5)`;
  const m = (expression: string, label: string) =>
    new cw.MathExpression({ expression, usingMetrics: b.using, label, period: DAY });
  return [
    m(`100*${d}`, `${what}: difference (pp)`),
    m(lo, `${what}: 95% interval, low`),
    m(hi, `${what}: 95% interval, high`),
    m(`IF(${lo} > 0 OR ${hi} < 0, 1, 0)`, `${what}: significant yet? (1 = yes)`),
  ];
}
