import type * as kms from 'aws-cdk-lib/aws-kms';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import { Construct } from 'constructs';
import type { ContactTable } from './contact-table.ts';
import { acknowledge } from './nag.ts';
import { PlatformFunction } from './platform-function.ts';
import type { SigningSecrets } from './signing-secrets.ts';

/** Why the URL needs no IAM auth (the acknowledgement of the platform's public-endpoint checks). */
export const PUBLIC_URL_REASON =
  'This is the public unsubscribe endpoint (RFC 8058 one-click, and the preference pages): mail providers and customers call it without AWS credentials. Every request is authorised by the HMAC token in the URL, which the function verifies before it reads or changes anything.';

/** Properties of {@link Preferences}. */
export interface PreferencesProps {
  readonly contactTable: ContactTable;
  readonly secrets: SigningSecrets;
  /** Encrypts the function's asynchronous DLQ. */
  readonly encryptionKey: kms.IKey;
  /** The validated strategy, inlined into the bundle (the pages show the brand). */
  readonly bundledStrategyJson: string;
}

/**
 * The public preference pages: the `preferences` function behind a Lambda function URL, the base of
 * the unsubscribe (RFC 8058 one-click) and preference links in every message (`PREFERENCES_URL`).
 *
 * The URL is public on purpose (`authType: NONE`): mail providers POST the one-click unsubscribe
 * without credentials, and a customer opens the link from any mail client. Every request is authorised
 * by the HMAC-signed, expiring token in its URL, which the function verifies with the link key before
 * it reads or changes anything. Responses are buffered (small HTML pages).
 */
export class Preferences extends Construct {
  readonly fn: PlatformFunction;
  readonly url: lambda.FunctionUrl;

  constructor(scope: Construct, id: string, props: PreferencesProps) {
    super(scope, id);

    this.fn = new PlatformFunction(this, 'Function', {
      name: 'preferences',
      description: 'One-click unsubscribe and preference pages (public function URL, signed links)',
      encryptionKey: props.encryptionKey,
      bundledStrategyJson: props.bundledStrategyJson,
      environment: {
        TABLE_NAME: props.contactTable.tableName,
        LINK_KEY_SECRET_ID: props.secrets.linkKey.secretArn,
      },
    });
    props.contactTable.grantPreferencesAccess(this.fn);
    props.secrets.grantLinkKeyRead(this.fn);

    this.url = this.fn.function.addFunctionUrl({
      authType: lambda.FunctionUrlAuthType.NONE,
      invokeMode: lambda.InvokeMode.BUFFERED,
    });
    acknowledge(this.url, { id: 'ContactTriggers-LambdaUrlAuth', reason: PUBLIC_URL_REASON });
    // The URL's two public permissions: lambda:InvokeFunctionUrl, and lambda:InvokeFunction only
    // through the URL (`InvokedViaFunctionUrl`), which Lambda requires beside it.
    for (const permission of this.fn.function.node.children.filter(
      (c) => c instanceof lambda.CfnPermission,
    )) {
      acknowledge(permission, { id: 'ContactTriggers-LambdaPublicPermission', reason: PUBLIC_URL_REASON });
    }
  }

  /** `https://<id>.lambda-url.<region>.on.aws/`: what `PREFERENCES_URL` holds. */
  get urlValue(): string {
    return this.url.url;
  }
}
