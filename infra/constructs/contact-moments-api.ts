import { CfnOutput } from 'aws-cdk-lib';
import type * as iam from 'aws-cdk-lib/aws-iam';
import type * as kms from 'aws-cdk-lib/aws-kms';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import { Construct } from 'constructs';
import type { ContactTable } from './contact-table.ts';
import { PlatformFunction } from './platform-function.ts';

/** Properties of {@link ContactMomentsApi}. */
export interface ContactMomentsApiProps {
  readonly contactTable: ContactTable;
  /** Encrypts the function's asynchronous DLQ. */
  readonly encryptionKey: kms.IKey;
  /** The validated strategy, inlined into the bundle (the engine decides the offer). */
  readonly bundledStrategyJson: string;
}

/**
 * The contact-moment API (issue 8): the `next-best-offer` function behind a Lambda function URL with
 * `AWS_IAM` auth — never open. Tills, call-centre tools and web back ends sign their requests with
 * SigV4 (service `lambda`) under a role that {@link grantInvoke} allowed:
 * `GET /customers/{id}/next-best-offer?moment=…` (one Query, no write) and
 * `POST /customers/{id}/contacts` (records a shown offer: one conditional update, one put).
 *
 * One function for both routes keeps one base URL and one warm container; its table access is the
 * decision access (Query, GetItem, PutItem, UpdateItem), which the POST needs.
 */
export class ContactMomentsApi extends Construct {
  readonly fn: PlatformFunction;
  readonly url: lambda.FunctionUrl;

  constructor(scope: Construct, id: string, props: ContactMomentsApiProps) {
    super(scope, id);
    this.fn = new PlatformFunction(this, 'Function', {
      name: 'next-best-offer',
      description:
        'Contact moments: next best offer (GET) and shown offers (POST), IAM-authorised function URL',
      encryptionKey: props.encryptionKey,
      bundledStrategyJson: props.bundledStrategyJson,
      environment: { TABLE_NAME: props.contactTable.tableName },
    });
    props.contactTable.grantDecisionAccess(this.fn);
    this.url = this.fn.function.addFunctionUrl({
      authType: lambda.FunctionUrlAuthType.AWS_IAM,
      invokeMode: lambda.InvokeMode.BUFFERED,
    });
    new CfnOutput(this, 'Url', {
      value: this.url.url,
      description: 'Contact-moment API (AWS_IAM: sign with SigV4, service lambda)',
    });
  }

  /** Lets a caller (a till's role, say) call the API: `lambda:InvokeFunctionUrl` on this URL only. */
  grantInvoke(grantee: iam.IGrantable): iam.Grant {
    return this.url.grantInvokeUrl(grantee);
  }
}
