import { CfnOutput, Stack } from 'aws-cdk-lib';
import * as events from 'aws-cdk-lib/aws-events';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as ses from 'aws-cdk-lib/aws-ses';
import { Construct } from 'constructs';

/** The SES events the platform records; everything but SUBSCRIPTION (it runs its own preferences). */
export const TRACKED_EMAIL_EVENTS: readonly ses.EmailSendingEvent[] = [
  ses.EmailSendingEvent.SEND,
  ses.EmailSendingEvent.DELIVERY,
  ses.EmailSendingEvent.BOUNCE,
  ses.EmailSendingEvent.COMPLAINT,
  ses.EmailSendingEvent.OPEN,
  ses.EmailSendingEvent.CLICK,
  ses.EmailSendingEvent.REJECT,
  ses.EmailSendingEvent.DELIVERY_DELAY,
  ses.EmailSendingEvent.RENDERING_FAILURE,
];

/** Properties of {@link EmailSending}. */
export interface EmailSendingProps {
  /** The domain marketing mail is sent from; verified with Easy DKIM. */
  readonly senderDomain: string;
}

/**
 * SES v2 email sending: the sender domain identity (Easy DKIM; its three CNAME records are stack
 * outputs, to be added to DNS), and a configuration set with reputation metrics whose events (send,
 * delivery, bounce, complaint, open, click, reject, delay, rendering failure) go to EventBridge for the
 * feedback function. SES can publish only to the account's **default** event bus, so that is the
 * destination; a rule there picks them up.
 *
 * Bounces and complaints also land on the configuration set's suppression list, a safety net beside
 * the platform's own suppression records.
 */
export class EmailSending extends Construct {
  readonly configurationSet: ses.ConfigurationSet;
  readonly identity: ses.EmailIdentity;
  readonly senderDomain: string;

  constructor(scope: Construct, id: string, props: EmailSendingProps) {
    super(scope, id);
    this.senderDomain = props.senderDomain;

    this.configurationSet = new ses.ConfigurationSet(this, 'ConfigurationSet', {
      reputationMetrics: true,
      sendingEnabled: true,
      suppressionReasons: ses.SuppressionReasons.BOUNCES_AND_COMPLAINTS,
    });
    this.configurationSet.addEventDestination('ToDefaultBus', {
      destination: ses.EventDestination.eventBus(
        events.EventBus.fromEventBusName(this, 'DefaultBus', 'default'),
      ),
      events: [...TRACKED_EMAIL_EVENTS],
    });

    this.identity = new ses.EmailIdentity(this, 'SenderDomain', {
      identity: ses.Identity.domain(props.senderDomain),
      configurationSet: this.configurationSet,
    });
    this.identity.dkimRecords.forEach((record, index) => {
      new CfnOutput(this, `DkimRecord${index + 1}`, {
        description: `DKIM CNAME ${index + 1} of 3 for ${props.senderDomain}: add it to DNS to verify the domain`,
        value: `${record.name} CNAME ${record.value}`,
      });
    });
  }

  get configurationSetName(): string {
    return this.configurationSet.configurationSetName;
  }

  /** ARN of the configuration set (SendEmail is authorised against it as well as the identity). */
  get configurationSetArn(): string {
    return Stack.of(this).formatArn({
      service: 'ses',
      resource: 'configuration-set',
      resourceName: this.configurationSet.configurationSetName,
    });
  }

  /** ARN of the sender domain identity. */
  get identityArn(): string {
    return Stack.of(this).formatArn({
      service: 'ses',
      resource: 'identity',
      resourceName: this.senderDomain,
    });
  }

  /** `ses:SendEmail` through the sender domain identity and this configuration set, nothing else. */
  grantSendEmail(grantee: iam.IGrantable): void {
    iam.Grant.addToPrincipal({
      grantee,
      actions: ['ses:SendEmail'],
      resourceArns: [this.identityArn, this.configurationSetArn],
    });
  }
}
