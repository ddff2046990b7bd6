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
 * Access is granted per use case (`grant<UseCase>Access`/`Read`), each giving exactly the DynamoDB
 * calls that use case's adapter methods make (`shared/adapters/dynamodb/customer-store.ts`), on the
 * table or only on `gsi1`. `BatchWriteItem` is its own IAM action (its puts and deletes need no
 * `PutItem`/`DeleteItem`). The store commits with one conditional UpdateItem, not a transaction, so no
 * grant carries `ConditionCheckItem`.
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
   * The decision path (`evaluate`): one Query of the customer's partition (`load`), the conditional
   * UpdateItem of the state item that commits the decision (`commitDecision`), PutItem of the contact
   * record (`putContact`), and for a duplicate GetItem of the original record (`getContact`) and an
   * UpdateItem that counts it (`addDuplicate`).
   */
  grantDecisionAccess(grantee: iam.IGrantable): void {
    this.grantTable(
      grantee,
      ['dynamodb:Query', 'dynamodb:GetItem', 'dynamodb:PutItem', 'dynamodb:UpdateItem'],
      [this.tableArn],
    );
    this.grantKey(grantee, 'write');
  }

  /**
   * A deferred send falling due (`deferred`): GetItem of its contact record (`getContact`), a
   * consistent Query of the customer (`load`) for the re-check, PutItem of the final record
   * (`putContact`). It commits nothing: the decision was committed when it was deferred.
   */
  grantDeferredSendAccess(grantee: iam.IGrantable): void {
    this.grantTable(grantee, ['dynamodb:Query', 'dynamodb:GetItem', 'dynamodb:PutItem'], [this.tableArn]);
    this.grantKey(grantee, 'write');
  }

  /**
   * Profile, consent and erasure events (`profile`): every use reads the partition with a Query;
   * `mergeProfile` writes the profile (conditional PutItem) and the date-index items (BatchWriteItem
   * of puts and deletes); `recordConsent` appends to the ledger (PutItem) and updates the state item
   * (UpdateItem); `erase` deletes every item (BatchWriteItem) and puts the tombstone (PutItem).
   */
  grantProfileAccess(grantee: iam.IGrantable): void {
    this.grantTable(
      grantee,
      ['dynamodb:Query', 'dynamodb:PutItem', 'dynamodb:UpdateItem', 'dynamodb:BatchWriteItem'],
      [this.tableArn],
    );
    this.grantKey(grantee, 'write');
  }

  /**
   * The preference pages (`preferences`): a consistent Query of the customer (`load`) to show and
   * check consent, and `recordConsent` for a change (Query, PutItem to the ledger, UpdateItem of the
   * state item).
   */
  grantPreferencesAccess(grantee: iam.IGrantable): void {
    this.grantTable(grantee, ['dynamodb:Query', 'dynamodb:PutItem', 'dynamodb:UpdateItem'], [this.tableArn]);
    this.grantKey(grantee, 'write');
  }

  /**
   * Every customer event (`activity`): `countActivity` reads the counter (GetItem) and writes it back
   * conditionally (PutItem); `attributeConversion` queries the campaign's contact records (Query) and
   * marks the latest one (UpdateItem).
   */
  grantActivityAccess(grantee: iam.IGrantable): void {
    this.grantTable(
      grantee,
      ['dynamodb:Query', 'dynamodb:GetItem', 'dynamodb:PutItem', 'dynamodb:UpdateItem'],
      [this.tableArn],
    );
    this.grantKey(grantee, 'write');
  }

  /**
   * Delivery feedback (`feedback`): finds the contact record by provider message id on `gsi1`
   * (Query) and reads it (GetItem, also `getContact`); appends the feedback and suppresses the address
   * (UpdateItem); disables a dead push endpoint on the profile (GetItem, conditional PutItem).
   */
  grantFeedbackAccess(grantee: iam.IGrantable): void {
    this.grantTable(grantee, ['dynamodb:Query'], [this.gsi1Arn]);
    this.grantTable(
      grantee,
      ['dynamodb:GetItem', 'dynamodb:PutItem', 'dynamodb:UpdateItem'],
      [this.tableArn],
    );
    this.grantKey(grantee, 'write');
  }

  /** The hourly date-trigger run (`date-triggers`): customers by date, a Query on `gsi1`; nothing else. */
  grantDateIndexRead(grantee: iam.IGrantable): void {
    this.grantTable(grantee, ['dynamodb:Query'], [this.gsi1Arn]);
    this.grantKey(grantee, 'read');
  }

  /** A data-subject access request (`export`): a Query of the customer's whole partition; read only. */
  grantExportRead(grantee: iam.IGrantable): void {
    this.grantTable(grantee, ['dynamodb:Query'], [this.tableArn]);
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
