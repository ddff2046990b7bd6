import { Duration, RemovalPolicy, Stack } from 'aws-cdk-lib';
import * as dynamodb from 'aws-cdk-lib/aws-dynamodb';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as kms from 'aws-cdk-lib/aws-kms';
import { Construct } from 'constructs';

/** Name of the one global secondary index (overloaded keys; see {@link ContactTable}). */
export const GSI1 = 'gsi1';

/** Properties of {@link ContactTable}. */
export interface ContactTableProps {
  /** Used in the key alias, so two stages in one account keep apart. */
  readonly stage: string;
}

/**
 * The platform's single DynamoDB table (partition key = customer, see DESIGN.md "Data") and the
 * customer-managed KMS key that encrypts it.
 *
 * Retained on stack deletion, deletion-protected and point-in-time recoverable: it holds profiles,
 * the consent ledger and the contact history, which are the record of what was done. The key is
 * retained too, because restoring a backup needs it.
 *
 * One GSI, `gsi1` (`gsi1pk`/`gsi1sk`, keys only), serves lookups by overloaded keys: provider message
 * id → contact record (feedback) and date → customer (date triggers). KEYS_ONLY keeps it cheap; a
 * reader fetches the item by its primary key if it needs more.
 *
 * Access is granted per use case with the `grant*Access` methods, each giving only the actions that
 * use case makes. There is no `dynamodb:TransactWriteItems` IAM action: a transaction is authorised
 * by the actions of its parts (`PutItem`, `UpdateItem`, `ConditionCheckItem`, `DeleteItem`).
 */
export class ContactTable extends Construct {
  readonly table: dynamodb.Table;
  readonly encryptionKey: kms.Key;

  constructor(scope: Construct, id: string, props: ContactTableProps) {
    super(scope, id);

    this.encryptionKey = new kms.Key(this, 'Key', {
      description: 'Encrypts the contact-triggers table (profiles, consent ledger, contact history)',
      alias: `alias/contact-triggers/${props.stage}/table`,
      enableKeyRotation: true,
      removalPolicy: RemovalPolicy.RETAIN,
      pendingWindow: Duration.days(30),
    });

    this.table = new dynamodb.Table(this, 'Table', {
      partitionKey: { name: 'pk', type: dynamodb.AttributeType.STRING },
      sortKey: { name: 'sk', type: dynamodb.AttributeType.STRING },
      billingMode: dynamodb.BillingMode.PAY_PER_REQUEST,
      pointInTimeRecoverySpecification: { pointInTimeRecoveryEnabled: true },
      timeToLiveAttribute: 'ttl',
      encryption: dynamodb.TableEncryption.CUSTOMER_MANAGED,
      encryptionKey: this.encryptionKey,
      deletionProtection: true,
      removalPolicy: RemovalPolicy.RETAIN,
    });
    this.table.addGlobalSecondaryIndex({
      indexName: GSI1,
      partitionKey: { name: 'gsi1pk', type: dynamodb.AttributeType.STRING },
      sortKey: { name: 'gsi1sk', type: dynamodb.AttributeType.STRING },
      projectionType: dynamodb.ProjectionType.KEYS_ONLY,
    });
  }

  get tableName(): string {
    return this.table.tableName;
  }

  get tableArn(): string {
    return this.table.tableArn;
  }

  /** ARN of the `gsi1` index. */
  get gsi1Arn(): string {
    return `${this.table.tableArn}/index/${GSI1}`;
  }

  /**
   * The decision path (`evaluate`): one Query of the customer's partition, then the conditional
   * commit (idempotency item, cap counters, contact record; a single update or a transaction) and
   * the write of the provider's message id.
   */
  grantDecisionAccess(grantee: iam.IGrantable): void {
    this.grantTable(grantee, ['dynamodb:Query'], [this.tableArn]);
    this.grantTable(
      grantee,
      ['dynamodb:PutItem', 'dynamodb:UpdateItem', 'dynamodb:ConditionCheckItem'],
      [this.tableArn],
    );
    this.grantKey(grantee, 'write');
  }

  /**
   * Delivery feedback (`feedback`): finds the contact record by provider message id on `gsi1`, then
   * updates it (status, suppression) by primary key.
   */
  grantFeedbackAccess(grantee: iam.IGrantable): void {
    this.grantTable(grantee, ['dynamodb:Query'], [this.gsi1Arn]);
    this.grantTable(grantee, ['dynamodb:UpdateItem'], [this.tableArn]);
    this.grantKey(grantee, 'write');
  }

  /**
   * Profile, consent and erasure events (`profile`): upserts the profile, appends to the consent
   * ledger (conditional put), reads the customer's items and deletes them on erasure, leaving a
   * tombstone.
   */
  grantProfileAccess(grantee: iam.IGrantable): void {
    this.grantTable(grantee, ['dynamodb:Query'], [this.tableArn]);
    this.grantTable(
      grantee,
      ['dynamodb:PutItem', 'dynamodb:UpdateItem', 'dynamodb:DeleteItem', 'dynamodb:ConditionCheckItem'],
      [this.tableArn],
    );
    this.grantKey(grantee, 'write');
  }

  /** Read-only access (reports, date-trigger lookups, the explanation of a decision): Query and GetItem on the table and `gsi1`. */
  grantReadAccess(grantee: iam.IGrantable): void {
    this.grantTable(grantee, ['dynamodb:Query', 'dynamodb:GetItem'], [this.tableArn]);
    this.grantTable(grantee, ['dynamodb:Query'], [this.gsi1Arn]);
    this.grantKey(grantee, 'read');
  }

  private grantTable(grantee: iam.IGrantable, actions: string[], resourceArns: string[]): void {
    iam.Grant.addToPrincipal({ grantee, actions, resourceArns });
  }

  /**
   * DynamoDB uses the table key with the caller's credentials, so a caller needs the key; the
   * `kms:ViaService` condition keeps that use to DynamoDB in this region (the function cannot call
   * KMS with the key directly).
   */
  private grantKey(grantee: iam.IGrantable, use: 'read' | 'write'): void {
    iam.Grant.addToPrincipal({
      grantee,
      actions: use === 'read' ? ['kms:Decrypt'] : ['kms:Decrypt', 'kms:Encrypt', 'kms:GenerateDataKey'],
      resourceArns: [this.encryptionKey.keyArn],
      conditions: { StringEquals: { 'kms:ViaService': `dynamodb.${Stack.of(this).region}.amazonaws.com` } },
    });
  }
}
