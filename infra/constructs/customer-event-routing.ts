import * as events from 'aws-cdk-lib/aws-events';
import * as targets from 'aws-cdk-lib/aws-events-targets';
import type * as sqs from 'aws-cdk-lib/aws-sqs';
import { Construct } from 'constructs';
import type { EventPattern } from '#shared/event-pattern/index.ts';
import { CUSTOMER_DATA_PATTERN, FEEDBACK_PATTERN, sesFeedbackPattern } from '#shared/routing.ts';
import { TARGET_DELIVERY } from './campaign-routing.ts';

// The patterns are defined once, in shared/routing.ts: the local EventBridge endpoint routes with them too.
export {
  ACTIVITY_PATTERN,
  activityPattern,
  CUSTOMER_DATA_PATTERN,
  FEEDBACK_PATTERN,
  sesFeedbackPattern,
} from '#shared/routing.ts';

/** EventBridge's own JSON form goes through CDK verbatim; a copy keeps CDK away from the constants. */
const pattern = (p: Readonly<Record<string, unknown>>) => structuredClone(p) as events.EventPattern;

/** Properties of {@link CustomerEventRouting}. */
export interface CustomerEventRoutingProps {
  /** The `contact-triggers` bus. */
  readonly eventBus: events.IEventBus;
  /** Where undeliverable events go: the routing DLQ as targets name it (`targetDeadLetterQueue`). */
  readonly deadLetterQueue: sqs.IQueue;
  readonly profileQueue: sqs.IQueue;
  readonly activityQueue: sqs.IQueue;
  /**
   * The events the strategy counts or attributes (`activityPattern(strategy)` in shared/routing.ts).
   * @default - no activity rule: the strategy counts and attributes nothing
   */
  readonly activityPattern?: EventPattern;
  readonly feedbackQueue: sqs.IQueue;
  /** The SES configuration set whose events are feedback. */
  readonly configurationSetName: string;
}

/**
 * The platform's own routing beside the campaigns': customer data to `profile`, the customer events
 * the strategy counts or attributes to `activity`, provider feedback to `feedback`. Each target gets the whole EventBridge event as the
 * message (the consumers parse the envelope), the same retries as the campaign targets and the routing
 * DLQ.
 *
 * SES publishes configuration-set events only to the account's **default** bus, so that rule lives
 * there; the SMS/push feedback the platform normalises itself arrives on `contact-triggers`. The
 * rules are not named: a campaign rule is named after its campaign id, and generated names cannot
 * collide with one (nor, on the shared default bus, with another stage's).
 */
export class CustomerEventRouting extends Construct {
  readonly customerDataRule: events.Rule;
  readonly activityRule?: events.Rule;
  readonly feedbackRule: events.Rule;
  readonly sesFeedbackRule: events.Rule;

  constructor(scope: Construct, id: string, props: CustomerEventRoutingProps) {
    super(scope, id);
    const target = (queue: sqs.IQueue) =>
      new targets.SqsQueue(queue, { deadLetterQueue: props.deadLetterQueue, ...TARGET_DELIVERY });

    this.customerDataRule = new events.Rule(this, 'CustomerData', {
      eventBus: props.eventBus,
      description: 'Profile, consent and erasure events to the profile queue',
      eventPattern: pattern(CUSTOMER_DATA_PATTERN),
      targets: [target(props.profileQueue)],
    });

    if (props.activityPattern) {
      this.activityRule = new events.Rule(this, 'Activity', {
        eventBus: props.eventBus,
        description: 'Customer events that threshold rules count or goals attribute, to the activity queue',
        eventPattern: pattern(props.activityPattern),
        targets: [target(props.activityQueue)],
      });
    }

    this.feedbackRule = new events.Rule(this, 'Feedback', {
      eventBus: props.eventBus,
      description: 'Normalised SMS and push feedback (contact.feedback) to the feedback queue',
      eventPattern: pattern(FEEDBACK_PATTERN),
      targets: [target(props.feedbackQueue)],
    });

    this.sesFeedbackRule = new events.Rule(this, 'SesFeedback', {
      eventBus: events.EventBus.fromEventBusName(this, 'DefaultBus', 'default'),
      description: 'SES events of the contact-triggers configuration set to the feedback queue',
      eventPattern: pattern(sesFeedbackPattern(props.configurationSetName)),
      targets: [target(props.feedbackQueue)],
    });
  }
}
