import { Duration, Stack } from 'aws-cdk-lib';
import * as events from 'aws-cdk-lib/aws-events';
import * as iam from 'aws-cdk-lib/aws-iam';
import { Construct } from 'constructs';

/** The bus name apps publish to: a public contract (DESIGN.md "Public contracts"). */
export const DEFAULT_EVENT_BUS_NAME = 'contact-triggers';

/** Properties of {@link TriggerBus}. */
export interface TriggerBusProps {
  /**
   * Only change this with a migration note: every producing app addresses the bus by name.
   *
   * @default 'contact-triggers'
   */
  readonly eventBusName?: string;
  /** How long every event on the bus stays replayable. @default Duration.days(30) */
  readonly archiveRetention?: Duration;
}

/**
 * The `contact-triggers` event bus that apps publish customer events to, with an archive of every
 * event for replay (a campaign's rule can be fed again after a fix) and an explicit resource policy:
 * only principals of this account may put events (they still need `events:PutEvents` in their own
 * IAM policy). Another account gets in only by a reviewed change here, never by default.
 */
export class TriggerBus extends Construct {
  readonly eventBus: events.EventBus;
  readonly archive: events.Archive;

  constructor(scope: Construct, id: string, props: TriggerBusProps = {}) {
    super(scope, id);
    const stack = Stack.of(this);

    this.eventBus = new events.EventBus(this, 'Bus', {
      eventBusName: props.eventBusName ?? DEFAULT_EVENT_BUS_NAME,
      description: 'Customer events from apps; one rule per campaign routes them to the trigger buffer',
    });

    this.archive = this.eventBus.archive('Archive', {
      description: 'Every event on the bus, for replay',
      eventPattern: { account: [stack.account] },
      retention: props.archiveRetention ?? Duration.days(30),
    });

    this.eventBus.addToResourcePolicy(
      new iam.PolicyStatement({
        sid: 'SameAccountPutEvents',
        principals: [new iam.AccountRootPrincipal()],
        actions: ['events:PutEvents'],
        resources: [this.eventBus.eventBusArn],
      }),
    );
  }
}
