import { Validations } from 'aws-cdk-lib';
import type { IConstruct } from 'constructs';

/** A cdk-nag rule (optionally one finding of it, `AwsSolutions-IAM5[Resource::*]`) and why it is accepted. */
export interface NagAcknowledgement {
  readonly id: string;
  readonly reason: string;
}

/**
 * Acknowledges cdk-nag findings on one resource, each with its reason. cdk-nag 3 reads CDK's own
 * `Validations` acknowledgements, and an acknowledgement also covers a construct's descendants, so it
 * goes on the L1 resource behind `scope` (its default child) to stay as narrow as possible.
 */
export function acknowledge(scope: IConstruct, ...findings: NagAcknowledgement[]): void {
  Validations.of(scope.node.defaultChild ?? scope).acknowledge(...findings);
}
