import { Duration } from 'aws-cdk-lib';
import type * as events from 'aws-cdk-lib/aws-events';
import type * as kms from 'aws-cdk-lib/aws-kms';
import type * as scheduler from 'aws-cdk-lib/aws-scheduler';
import { Construct } from 'constructs';
import type { CampaignRouting } from './campaign-routing.ts';
import type { ContactTable } from './contact-table.ts';
import { PlatformFunction } from './platform-function.ts';

/** Properties of {@link DateTriggers}. */
export interface DateTriggersProps {
  readonly contactTable: ContactTable;
  /** The bus the `DateTriggerReached` events go to (the campaigns' rules pick them up there). */
  readonly eventBus: events.IEventBus;
  /** Owns the schedule group and the routing DLQ; schedules the hourly run. */
  readonly routing: CampaignRouting;
  /** Encrypts the function's asynchronous DLQ. */
  readonly encryptionKey: kms.IKey;
  /** The validated strategy, inlined into the bundle (which campaigns have date triggers). */
  readonly bundledStrategyJson: string;
  /** Local hour (0-23) at which date-triggered messages go out (`DATE_TRIGGER_SEND_HOUR`). */
  readonly sendHour: number;
}

/**
 * Date triggers (birthdays, contract ends): an hourly EventBridge Scheduler run of the
 * `date-triggers` function, which finds through the date index (`gsi1`, never a scan) the customers
 * whose date is due and whose local clock shows the send hour, and puts one `DateTriggerReached`
 * event per customer and campaign on the bus. Define it only when some campaign has a date trigger.
 *
 * Permissions: a Query on `gsi1` and `events:PutEvents` on the bus, nothing else.
 */
export class DateTriggers extends Construct {
  readonly fn: PlatformFunction;
  readonly schedule: scheduler.CfnSchedule;

  constructor(scope: Construct, id: string, props: DateTriggersProps) {
    super(scope, id);
    if (!Number.isInteger(props.sendHour) || props.sendHour < 0 || props.sendHour > 23) {
      throw new Error(`DateTriggers: sendHour ${props.sendHour} is not a whole hour from 0 to 23`);
    }

    this.fn = new PlatformFunction(this, 'Function', {
      name: 'date-triggers',
      description: 'Hourly: emits the date triggers whose local send hour has come',
      encryptionKey: props.encryptionKey,
      // Works through the date index of every date-triggered campaign: minutes, not seconds, at scale.
      timeout: Duration.minutes(5),
      bundledStrategyJson: props.bundledStrategyJson,
      environment: {
        TABLE_NAME: props.contactTable.tableName,
        EVENT_BUS_NAME: props.eventBus.eventBusName,
        DATE_TRIGGER_SEND_HOUR: String(props.sendHour),
      },
    });
    props.contactTable.grantDateIndexRead(this.fn);
    props.eventBus.grantPutEventsTo(this.fn);

    const schedule = props.routing.addDateTriggerSchedule(this.fn.function);
    if (!schedule)
      throw new Error('DateTriggers: no campaign has a date trigger; define it only when one does');
    this.schedule = schedule;
  }
}
