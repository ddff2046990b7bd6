import { Stack, type StackProps } from 'aws-cdk-lib';
import type { Construct } from 'constructs';
import { ContactTable } from './constructs/contact-table.ts';
import { SigningSecrets } from './constructs/signing-secrets.ts';

/** Properties of {@link StatefulStack}. */
export interface StatefulStackProps extends StackProps {
  readonly stage: string;
}

/**
 * What must survive a redeploy or a teardown of everything else: the contact table and its key, and
 * the signing secrets (a new link key would break every unsubscribe link already in an inbox).
 * Nothing here depends on the stateless stack; the stateless stack reaches in through the grant
 * methods of {@link ContactTable} and {@link SigningSecrets} (CloudFormation exports of the ARNs).
 */
export class StatefulStack extends Stack {
  readonly contactTable: ContactTable;
  readonly secrets: SigningSecrets;

  constructor(scope: Construct, id: string, props: StatefulStackProps) {
    super(scope, id, props);
    this.contactTable = new ContactTable(this, 'ContactTable', { stage: props.stage });
    this.secrets = new SigningSecrets(this, 'SigningSecrets', { stage: props.stage });
  }
}
