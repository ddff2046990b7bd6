import { randomUUID } from 'node:crypto';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { inject } from 'vitest';
import { type DdbMeter, meterDynamoDb } from '#local/ddb-meter.ts';
import { LocalScheduler } from '#local/scheduler.ts';
import { createContactTable } from '#local/table.ts';
import { sesClient, snsClient } from '#shared/adapters/aws-clients.ts';
import { DynamoCustomerStore } from '#shared/adapters/dynamodb/customer-store.ts';
import { SesEmailSender } from '#shared/adapters/ses-email.ts';
import { SignedLinkBuilder } from '#shared/adapters/signed-links.ts';
import { SnsPushSender } from '#shared/adapters/sns-push.ts';
import { SnsSmsSender } from '#shared/adapters/sns-sms.ts';
import { HttpWebhookSender } from '#shared/adapters/webhook.ts';
import type { Clock } from '#shared/domain/ports.ts';
import { compileEngine, type Engine } from '#shared/engine/compile.ts';
import type { TemplateSet } from '#shared/strategy/templates.ts';
import { validateStrategy } from '#shared/strategy/validate.ts';
import type { CustomerDataDeps } from '#shared/use-cases/customer-data.ts';
import type { EvaluateDeps } from '#shared/use-cases/evaluate-trigger.ts';
import type { ActivityDeps } from '#shared/use-cases/record-activity.ts';

export const LINK_KEY = 'test-link-signing-key';
export const WEBHOOK_SECRET = 'test-webhook-secret';

/** A clock the test moves by hand. */
export class TestClock implements Clock {
  constructor(public ms: number) {}
  now(): number {
    return this.ms;
  }
}

const message = (name: string) => ({
  email: {
    nl: {
      subject: `${name}: hallo {{firstName default="klant"}}`,
      text: `Hallo {{firstName default="klant"}}, ${name}.`,
    },
  },
  sms: { nl: `${name}: hoi {{firstName default="klant"}}` },
  push: { nl: { title: name, body: `Hoi {{firstName default="klant"}}` } },
  webhook: { nl: { kind: 'postcard', greeting: 'Beste {{firstName default="klant"}}' } },
});

export const pipelineTemplates: TemplateSet = {
  templates: {
    welcome: message('welcome'),
    offer: message('offer'),
    cart: message('cart'),
    service: message('service'),
  },
  layout: {
    html: '<html><body>{{{content}}}<p><a href="{{links.unsubscribe}}">Afmelden</a></p></body></html>',
    text: '{{{content}}}\n\nAfmelden: {{links.unsubscribe}}',
  },
};

const on = (source: string) => ({ pattern: { source: [source] } });

/** Campaigns per channel and per guarantee under test; each listens to its own source. */
export function pipelineStrategy(webhookUrl: string) {
  const v = (template: string) => [{ id: 'a', weight: 100, template }];
  return {
    version: 1,
    defaults: { timezone: 'Europe/Amsterdam', locale: 'nl', quietHours: { from: '21:00', to: '08:00' } },
    webhooks: { printshop: { url: webhookUrl } },
    contactRules: { caps: [{ purpose: 'marketing', max: 50, per: '7d' }] },
    campaigns: [
      {
        id: 'welcome',
        trigger: on('test.welcome'),
        channels: ['email', 'push'],
        goal: { conversion: { source: 'test.order', detailType: 'OrderPlaced' }, within: '14d' },
        variants: v('welcome'),
      },
      {
        id: 'third-order',
        trigger: {
          pattern: { source: ['test.order'], 'detail-type': ['OrderPlaced'] },
          when: { count: { source: 'test.order', detailType: 'OrderPlaced', atLeast: 3, within: '30d' } },
          idempotencyKey: 'detail.orderId',
        },
        channels: ['email'],
        variants: v('offer'),
      },
      {
        id: 'control',
        trigger: on('test.control'),
        channels: ['email'],
        holdout: '50%',
        goal: { conversion: { source: 'test.order', detailType: 'OrderPlaced' }, within: '14d' },
        variants: v('offer'),
      },
      {
        id: 'birthday',
        trigger: { date: { attribute: 'birthDate', anniversary: true } },
        channels: ['email'],
        variants: v('offer'),
      },
      {
        id: 'renewal',
        trigger: { date: { attribute: 'contractEndDate', daysBefore: 30 } },
        channels: ['email'],
        variants: v('offer'),
      },
      { id: 'sms-offer', trigger: on('test.sms'), channels: ['sms'], variants: v('offer') },
      { id: 'push-offer', trigger: on('test.push'), channels: ['push', 'email'], variants: v('offer') },
      {
        id: 'postcard',
        trigger: on('test.postcard'),
        channels: ['webhook'],
        webhook: 'printshop',
        variants: v('offer'),
      },
      {
        id: 'capped',
        trigger: on('test.capped'),
        channels: ['email', 'sms'],
        caps: [{ max: 3, per: '1d' }],
        variants: v('offer'),
      },
      {
        id: 'cart',
        trigger: { ...on('test.cart'), idempotencyKey: 'detail.cartId' },
        channels: ['email'],
        delay: '1h',
        expires: '24h',
        variants: v('cart'),
      },
      {
        id: 'service',
        purpose: 'service',
        trigger: on('test.service'),
        channels: ['email', 'sms'],
        variants: v('service'),
      },
    ],
  };
}

export function pipelineEngine(webhookUrl: string): Engine {
  const result = validateStrategy(pipelineStrategy(webhookUrl), pipelineTemplates);
  if (!result.strategy) throw new Error(JSON.stringify(result.problems));
  return compileEngine({ strategy: result.strategy, templates: pipelineTemplates });
}

export interface Pipeline {
  readonly deps: EvaluateDeps;
  readonly data: CustomerDataDeps;
  readonly activity: ActivityDeps;
  readonly store: DynamoCustomerStore;
  readonly scheduler: LocalScheduler;
  readonly clock: TestClock;
  readonly meter: DdbMeter;
  readonly table: string;
}

/** Wires the real adapters against the local servers, with a table of its own. */
export async function createPipeline(
  engine: Engine,
  start = Date.parse('2026-03-10T12:00:00Z'),
): Promise<Pipeline> {
  const table = `pipeline-${randomUUID().slice(0, 8)}`;
  // A client of its own so the meter counts only this pipeline's calls.
  const client = new DynamoDBClient({ maxAttempts: 3 });
  await createContactTable(client, table);
  const meter = meterDynamoDb(client);
  const clock = new TestClock(start);
  const store = new DynamoCustomerStore(client, {
    tableName: table,
    sendRetentionMs: engine.maxCapWindowMs,
    now: () => clock.now(),
  });
  const scheduler = new LocalScheduler();
  const deps: EvaluateDeps = {
    engine,
    store,
    clock,
    scheduler,
    from: 'Huis & Polis <hallo@example.nl>',
    links: new SignedLinkBuilder('https://voorkeuren.example.nl', LINK_KEY, clock),
    channels: {
      email: new SesEmailSender(sesClient(), { configurationSetName: 'contact-test' }),
      sms: new SnsSmsSender(snsClient(), { senderId: 'HuisPolis' }),
      push: new SnsPushSender(snsClient()),
      webhook: new HttpWebhookSender({ secret: WEBHOOK_SECRET, baseDelayMs: 5 }),
    },
  };
  return {
    deps,
    data: { store, strategy: engine.strategy, clock },
    activity: { store, engine, clock },
    store,
    scheduler,
    clock,
    meter,
    table,
  };
}

let seq = 0;
/** An EventBridge event for a customer, as the bus delivers it. */
export function busEvent(
  source: string,
  customerId: string,
  detail: Record<string, unknown> = {},
  time?: number,
) {
  seq++;
  return {
    version: '0',
    id: `${randomUUID()}`,
    source,
    'detail-type': detail.detailType ? String(detail.detailType) : 'Test',
    account: '000000000000',
    region: 'eu-west-1',
    time: new Date(time ?? Date.parse('2026-03-10T12:00:00Z')).toISOString(),
    resources: [],
    detail: { customerId, seq, ...detail },
  };
}

/** Creates a customer through the public events: profile, then consent for a purpose on all channels. */
export async function onboard(
  p: Pipeline,
  customerId: string,
  profile: Record<string, unknown>,
  consent: { purpose: string; channel?: string }[] = [{ purpose: 'marketing' }, { purpose: 'service' }],
) {
  const { applyProfileUpdate, applyConsentEvent } = await import('#shared/use-cases/customer-data.ts');
  const at = p.clock.now() - 60_000;
  await applyProfileUpdate(p.data, {
    ...busEvent('contact.profiles', customerId, profile, at),
    'detail-type': 'CustomerProfileUpdated',
    detail: { customerId, ...profile },
  });
  for (const c of consent) {
    await applyConsentEvent(p.data, {
      ...busEvent('contact.consent', customerId, {}, at),
      'detail-type': 'ConsentGranted',
      detail: {
        customerId,
        purpose: c.purpose,
        channel: c.channel ?? 'all',
        source: 'signup-form',
        textVersion: 'v3',
        occurredAt: new Date(at).toISOString(),
      },
    });
  }
}

export async function sesStore(): Promise<{
  emails: {
    messageId?: string;
    subject: string;
    destination: { to: string[] };
    html?: string;
    text?: string;
    headers?: unknown;
  }[];
}> {
  return (await fetch(`${inject('sesEndpoint')}/store`)).json() as never;
}

export async function snsStore(): Promise<{
  messages: {
    messageId: string;
    phoneNumber?: string;
    targetArn?: string;
    message: string;
    messageAttributes: Record<string, { value: string }>;
  }[];
}> {
  return (await fetch(`${inject('snsEndpoint')}/_store`)).json() as never;
}
