import { Stack, type StackProps } from 'aws-cdk-lib';
import type { Construct } from 'constructs';
import { ContactTable } from './constructs/contact-table.ts';

/** Properties of {@link StatefulStack}. */
export interface StatefulStackProps extends StackProps {
  readonly stage: string;
}

/**
 * What must survive a redeploy or a teardown of everything else: the contact table and its key.
 * Nothing here depends on the stateless stack; the stateless stack reaches in through
 * {@link ContactTable}'s grant methods (CloudFormation exports of the table and key ARNs).
 */
export class StatefulStack extends Stack {
  readonly contactTable: ContactTable;

  constructor(scope: Construct, id: string, props: StatefulStackProps) {
    super(scope, id, props);
    this.contactTable = new ContactTable(this, 'ContactTable', { stage: props.stage });
  }
}
