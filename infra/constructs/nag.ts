import { type CfnResource, Stack, Validations } from 'aws-cdk-lib';
import { NagMessageLevel, NagPack, type NagPackProps, rules } from 'cdk-nag';
import type { IConstruct } from 'constructs';

/**
 * The platform's own checks beside cdk-nag's AwsSolutions and Serverless packs, which do not look at
 * public Lambda endpoints: any function URL without IAM auth, and any Lambda permission for every
 * principal, must be a reviewed, acknowledged exception (today: the preference pages).
 */
export class PlatformChecks extends NagPack {
  readonly name = 'ContactTriggers';

  constructor(scope?: IConstruct, props?: NagPackProps) {
    super(scope, props);
    this.packName = 'ContactTriggers';
  }

  protected checkResource(node: CfnResource): void {
    this.applyRule({
      ruleSuffixOverride: 'LambdaUrlAuth',
      info: 'The Lambda function URL does not require IAM auth (authType NONE): anyone on the internet can call it.',
      explanation:
        'A public endpoint must authorise every request itself, and the acknowledgement must say how; otherwise use AWS_IAM.',
      level: NagMessageLevel.ERROR,
      rule: rules.lambda.LambdaFunctionUrlAuth,
      node,
    });
    this.applyRule({
      ruleSuffixOverride: 'LambdaPublicPermission',
      info: 'The Lambda permission lets every principal invoke the function.',
      explanation:
        'Only a reviewed public endpoint may be invoked by anyone; other permissions name their principal, source account or source ARN.',
      level: NagMessageLevel.ERROR,
      rule: rules.lambda.LambdaFunctionPublicAccessProhibited,
      node,
    });
  }
}

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

/**
 * The id of an `AwsSolutions-IAM5` finding for one resource, as cdk-nag writes it: the resource as it
 * resolves in the template, flattened (`arn:<AWS::Partition>:scheduler:...:schedule/<GroupLogicalId>/*`).
 * For a resource with tokens, so that the acknowledgement names exactly what the template will hold,
 * whether the stack's account and region are known or not.
 */
export function wildcardResourceFinding(scope: IConstruct, resource: string): string {
  return `AwsSolutions-IAM5[Resource::${flatten(Stack.of(scope).resolve(resource))}]`;
}

/** cdk-nag's `flattenCfnReference` (not exported by the package), for the intrinsics a resolved ARN uses. */
function flatten(node: unknown): string {
  if (node === undefined) return '';
  if (typeof node === 'string') return node.replace(/\$\{/g, '<').replace(/\}/g, '>');
  const value = node as Record<string, unknown>;
  if (value['Fn::Join']) {
    const [delimiter, items] = value['Fn::Join'] as [string, unknown[]];
    return items.map(flatten).join(delimiter);
  }
  if (value['Fn::Sub']) return flatten(value['Fn::Sub']);
  if (value['Fn::GetAtt']) {
    const [resource, attribute] = value['Fn::GetAtt'] as [unknown, unknown];
    return `<${flatten(resource)}.${flatten(attribute)}>`;
  }
  if (value['Fn::ImportValue']) return flatten(value['Fn::ImportValue']);
  if (value.Ref) return `<${flatten(value.Ref)}>`;
  return JSON.stringify(node);
}
