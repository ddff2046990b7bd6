import { Duration, RemovalPolicy, Stack, type StackProps } from 'aws-cdk-lib';
import * as kms from 'aws-cdk-lib/aws-kms';
import type { Construct } from 'constructs';
import { type CampaignRoute, CampaignRouting } from './constructs/campaign-routing.ts';
import type { ContactTable } from './constructs/contact-table.ts';
import { EmailSending } from './constructs/email-sending.ts';
import { EVALUATE_BATCHING_WINDOW, EVALUATE_TIMEOUT, Evaluate } from './constructs/evaluate.ts';
import { TriggerBuffer } from './constructs/trigger-buffer.ts';
import { TriggerBus } from './constructs/trigger-bus.ts';
import type { Settings } from './settings.ts';

/** Properties of {@link StatelessStack}. */
export interface StatelessStackProps extends StackProps {
  readonly settings: Settings;
  /** The table from the stateful stack; reached through its grant methods. */
  readonly contactTable: ContactTable;
  /** One route per campaign of the contact strategy. */
  readonly campaigns: readonly CampaignRoute[];
  /**
   * The bus apps publish to. A public contract: change it only with a migration note.
   *
   * @default 'contact-triggers'
   */
  readonly eventBusName?: string;
  /** Maximum concurrency of `evaluate` on the buffer (protects SES/SNS send rates). @default 10 */
  readonly evaluateMaxConcurrency?: number;
  /** Extra environment for `evaluate`. */
  readonly evaluateEnvironment?: Readonly<Record<string, string>>;
}

/**
 * Everything that can be destroyed and rebuilt from code without losing data: the event bus and its
 * routing, the trigger buffer, email sending and the functions.
 *
 * The messaging key (SQS queues) lives here, beside the queues it encrypts, not in the stateful
 * stack: it protects messages in flight, which share the queues' lifetime, and keeping it here lets
 * CDK add the EventBridge and function grants to its key policy without the stateful stack
 * depending on this one.
 */
export class StatelessStack extends Stack {
  readonly messagingKey: kms.Key;
  readonly bus: TriggerBus;
  readonly buffer: TriggerBuffer;
  readonly routing: CampaignRouting;
  readonly email: EmailSending;
  readonly evaluate: Evaluate;

  constructor(scope: Construct, id: string, props: StatelessStackProps) {
    super(scope, id, props);
    const { settings } = props;

    this.messagingKey = new kms.Key(this, 'MessagingKey', {
      description: 'Encrypts the contact-triggers queues (trigger buffer and dead-letter queues)',
      alias: `alias/contact-triggers/${settings.stage}/messaging`,
      enableKeyRotation: true,
      // Scheduled for deletion (30 days, cancellable) with the stack: it protects nothing that
      // outlives the queues.
      removalPolicy: RemovalPolicy.DESTROY,
      pendingWindow: Duration.days(30),
    });

    this.bus = new TriggerBus(this, 'TriggerBus', { eventBusName: props.eventBusName });

    this.buffer = new TriggerBuffer(this, 'TriggerBuffer', {
      encryptionKey: this.messagingKey,
      consumerTimeout: EVALUATE_TIMEOUT,
      consumerBatchingWindow: EVALUATE_BATCHING_WINDOW,
    });

    this.routing = new CampaignRouting(this, 'CampaignRouting', {
      eventBus: this.bus.eventBus,
      bufferQueue: this.buffer.queue,
      encryptionKey: this.messagingKey,
      campaigns: props.campaigns,
    });

    this.email = new EmailSending(this, 'EmailSending', { senderDomain: settings.senderDomain });

    this.evaluate = new Evaluate(this, 'Evaluate', {
      bufferQueue: this.buffer.queue,
      contactTable: props.contactTable,
      email: this.email,
      encryptionKey: this.messagingKey,
      senderEmail: settings.senderEmail,
      smsSenderId: settings.smsSenderId,
      strategyFile: settings.strategyFile,
      pushPlatformApplicationArns: settings.pushPlatformApplicationArns,
      maxConcurrency: props.evaluateMaxConcurrency,
      environment: props.evaluateEnvironment,
    });
  }
}
