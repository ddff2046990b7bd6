import { Duration, RemovalPolicy, Stack, type StackProps } from 'aws-cdk-lib';
import * as kms from 'aws-cdk-lib/aws-kms';
import type { Construct } from 'constructs';
import type { EventPattern } from '#shared/event-pattern/index.ts';
import { type CampaignRoute, CampaignRouting } from './constructs/campaign-routing.ts';
import { ContactMomentsApi } from './constructs/contact-moments-api.ts';
import type { ContactTable } from './constructs/contact-table.ts';
import { CustomerEventRouting } from './constructs/customer-event-routing.ts';
import { DateTriggers } from './constructs/date-triggers.ts';
import { Deferred } from './constructs/deferred.ts';
import { EmailSending } from './constructs/email-sending.ts';
import { Evaluate } from './constructs/evaluate.ts';
import { EventSchemas } from './constructs/event-schemas.ts';
import { Measurement, strategyOfBundle } from './constructs/measurement.ts';
import { PlatformFunction } from './constructs/platform-function.ts';
import { Preferences } from './constructs/preferences.ts';
import { grantPushRegistration, pushEnvironment } from './constructs/push.ts';
import { QueueConsumer } from './constructs/queue-consumer.ts';
import type { SendingProps } from './constructs/sending.ts';
import type { SigningSecrets } from './constructs/signing-secrets.ts';
import { TriggerBus } from './constructs/trigger-bus.ts';
import type { Settings } from './settings.ts';

/** Properties of {@link StatelessStack}. */
export interface StatelessStackProps extends StackProps {
  readonly settings: Settings;
  /** The table from the stateful stack; reached through its grant methods. */
  readonly contactTable: ContactTable;
  /** The signing secrets from the stateful stack; reached through their grant methods. */
  readonly secrets: SigningSecrets;
  /** One route per enabled campaign of the contact strategy. */
  readonly campaigns: readonly CampaignRoute[];
  /** The events the activity function counts or attributes; none: no activity rule. */
  readonly activityPattern?: EventPattern;
  /**
   * The validated strategy with its templates as JSON (`strategyBundleJson`), inlined into every
   * function that runs the decision engine.
   */
  readonly bundledStrategyJson: string;
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

/** Queue-fed functions other than `evaluate`: timeouts, batching and concurrency. */
const CONSUMERS = {
  // Erasure deletes a whole history in batches of 25, registration makes up to 3 SNS calls per device.
  profile: { timeout: Duration.seconds(30), maxBatchingWindow: Duration.seconds(1), maxConcurrency: 2 },
  activity: { timeout: Duration.seconds(10), maxBatchingWindow: Duration.seconds(5), maxConcurrency: 5 },
  feedback: { timeout: Duration.seconds(10), maxBatchingWindow: Duration.seconds(5), maxConcurrency: 5 },
} as const;

/**
 * Everything that can be destroyed and rebuilt from code without losing data: the event bus and its
 * routing, the queues, email sending and the functions.
 *
 * | function | invoked by | does |
 * | --- | --- | --- |
 * | `evaluate` | trigger buffer (one rule per campaign) | decides and sends, or defers |
 * | `deferred` | EventBridge Scheduler one-time schedules | sends a deferred message |
 * | `profile` | profile queue (`contact.profiles`/`consent`/`customers`) | profile, consent ledger, erasure |
 * | `activity` | activity queue (every customer event) | threshold counters, conversions |
 * | `feedback` | feedback queue (SES events, `contact.feedback`) | contact history, suppressions |
 * | `date-triggers` | EventBridge Scheduler, hourly | emits date triggers (only with date campaigns) |
 * | `preferences` | public function URL | one-click unsubscribe, preference pages |
 * | `export` | operators (IAM `lambda:InvokeFunction`) | a customer's data (access request) |
 * | `next-best-offer` | function URL, `AWS_IAM` | contact moments: next best offer, shown offers |
 *
 * The messaging key (SQS queues) lives here, beside the queues it encrypts, not in the stateful
 * stack: it protects messages in flight, which share the queues' lifetime, and keeping it here lets
 * CDK add the EventBridge and function grants to its key policy without the stateful stack
 * depending on this one.
 */
export class StatelessStack extends Stack {
  readonly messagingKey: kms.Key;
  readonly bus: TriggerBus;
  readonly email: EmailSending;
  readonly preferences: Preferences;
  readonly deferred: Deferred;
  readonly evaluate: Evaluate;
  readonly profile: QueueConsumer;
  readonly activity: QueueConsumer;
  readonly feedback: QueueConsumer;
  readonly routing: CampaignRouting;
  readonly customerEventRouting: CustomerEventRouting;
  /** Present when some campaign has a date trigger. */
  readonly dateTriggers?: DateTriggers;
  readonly exportFunction: PlatformFunction;
  /** The CloudWatch dashboard, the alarms and their SNS topic. */
  readonly measurement: Measurement;
  readonly moments: ContactMomentsApi;
  readonly eventSchemas: EventSchemas;

  constructor(scope: Construct, id: string, props: StatelessStackProps) {
    super(scope, id, props);
    const { settings, contactTable, secrets, bundledStrategyJson } = props;

    this.messagingKey = new kms.Key(this, 'MessagingKey', {
      description: 'Encrypts the contact-triggers queues (buffers and dead-letter queues)',
      alias: `alias/contact-triggers/${settings.stage}/messaging`,
      enableKeyRotation: true,
      // Scheduled for deletion (30 days, cancellable) with the stack: it protects nothing that
      // outlives the queues.
      removalPolicy: RemovalPolicy.DESTROY,
      pendingWindow: Duration.days(30),
    });
    const encryptionKey = this.messagingKey;

    this.bus = new TriggerBus(this, 'TriggerBus', { eventBusName: props.eventBusName });
    this.email = new EmailSending(this, 'EmailSending', { senderDomain: settings.senderDomain });

    this.preferences = new Preferences(this, 'Preferences', {
      contactTable,
      secrets,
      encryptionKey,
      bundledStrategyJson,
    });

    const sending: SendingProps = {
      email: this.email,
      senderEmail: settings.senderEmail,
      smsSenderId: settings.smsSenderId,
      pushPlatformApplicationArns: settings.pushPlatformApplicationArns,
      secrets,
      preferencesUrl: this.preferences.urlValue,
    };

    this.deferred = new Deferred(this, 'Deferred', {
      contactTable,
      encryptionKey,
      sending,
      bundledStrategyJson,
    });

    this.evaluate = new Evaluate(this, 'Evaluate', {
      contactTable,
      encryptionKey,
      sending,
      deferred: this.deferred,
      bundledStrategyJson,
      maxConcurrency: props.evaluateMaxConcurrency,
      environment: props.evaluateEnvironment,
    });

    this.profile = new QueueConsumer(this, 'Profile', {
      name: 'profile',
      description: 'Profile, consent and erasure events: profile, consent ledger, push endpoints',
      purpose: 'the profile queue',
      encryptionKey,
      bundledStrategyJson,
      ...CONSUMERS.profile,
      environment: {
        TABLE_NAME: contactTable.tableName,
        ...pushEnvironment(settings.pushPlatformApplicationArns),
      },
    });
    contactTable.grantProfileAccess(this.profile.fn);
    grantPushRegistration(this.profile.fn, settings.pushPlatformApplicationArns);

    this.activity = new QueueConsumer(this, 'Activity', {
      name: 'activity',
      description: 'Counted and goal events: threshold counters and goal conversions',
      purpose: 'the activity queue',
      encryptionKey,
      bundledStrategyJson,
      ...CONSUMERS.activity,
      environment: { TABLE_NAME: contactTable.tableName },
    });
    contactTable.grantActivityAccess(this.activity.fn);

    this.feedback = new QueueConsumer(this, 'Feedback', {
      name: 'feedback',
      description: 'SES events and contact.feedback: contact history and suppressions',
      purpose: 'the feedback queue',
      encryptionKey,
      bundledStrategyJson,
      ...CONSUMERS.feedback,
      environment: { TABLE_NAME: contactTable.tableName },
    });
    contactTable.grantFeedbackAccess(this.feedback.fn);

    this.routing = new CampaignRouting(this, 'CampaignRouting', {
      eventBus: this.bus.eventBus,
      bufferQueue: this.evaluate.buffer.queue,
      encryptionKey,
      campaigns: props.campaigns,
    });

    this.customerEventRouting = new CustomerEventRouting(this, 'CustomerEventRouting', {
      eventBus: this.bus.eventBus,
      deadLetterQueue: this.routing.targetDeadLetterQueue,
      profileQueue: this.profile.buffer.queue,
      activityQueue: this.activity.buffer.queue,
      ...(props.activityPattern && { activityPattern: props.activityPattern }),
      feedbackQueue: this.feedback.buffer.queue,
      configurationSetName: this.email.configurationSetName,
    });

    if (props.campaigns.some((campaign) => campaign.dateTrigger)) {
      this.dateTriggers = new DateTriggers(this, 'DateTriggers', {
        contactTable,
        eventBus: this.bus.eventBus,
        routing: this.routing,
        encryptionKey,
        bundledStrategyJson,
        sendHour: settings.dateTriggerSendHour,
      });
    }

    // No trigger: operators invoke it with IAM (`aws lambda invoke`) for a data-subject access request.
    this.exportFunction = new PlatformFunction(this, 'Export', {
      name: 'export',
      description: 'Data-subject access request: everything stored about one customer (read only)',
      encryptionKey,
      timeout: Duration.seconds(30),
      bundledStrategyJson,
      environment: { TABLE_NAME: contactTable.tableName },
    });
    contactTable.grantExportRead(this.exportFunction);

    this.moments = new ContactMomentsApi(this, 'ContactMoments', {
      contactTable,
      encryptionKey,
      bundledStrategyJson,
    });
    this.eventSchemas = new EventSchemas(this, 'EventSchemas', {
      registryName: `contact-triggers-${settings.stage}`,
    });

    const dates = this.dateTriggers?.fn;
    this.measurement = new Measurement(this, 'Measurement', {
      strategy: strategyOfBundle(bundledStrategyJson),
      stage: settings.stage,
      functions: {
        evaluate: this.evaluate.fn.function,
        deferred: this.deferred.fn.function,
        profile: this.profile.fn.function,
        activity: this.activity.fn.function,
        feedback: this.feedback.fn.function,
        preferences: this.preferences.fn.function,
        export: this.exportFunction.function,
        'next-best-offer': this.moments.fn.function,
        ...(dates && { 'date-triggers': dates.function }),
      },
      deadLetterQueues: {
        trigger: this.evaluate.buffer.deadLetterQueue,
        profile: this.profile.buffer.deadLetterQueue,
        activity: this.activity.buffer.deadLetterQueue,
        feedback: this.feedback.buffer.deadLetterQueue,
        routing: this.routing.deadLetterQueue,
        'deferred-schedules': this.deferred.fn.deadLetterQueue,
        ...(dates && { 'date-triggers': dates.deadLetterQueue }),
      },
    });
  }
}
