import { CfnElement, Stack, Validations, type Stage } from 'aws-cdk-lib';
import type { IGrantable } from 'aws-cdk-lib/aws-iam';
import type { IBucket } from 'aws-cdk-lib/aws-s3';
import { AwsSolutionsChecks } from 'cdk-nag';
import { Construct, type IConstruct } from 'constructs';

/** An acknowledgement too short to say why is no acknowledgement: a reviewer must be able to judge it. */
const MIN_REASON_LENGTH = 40;

export class NagAcknowledgementError extends Error {
  override readonly name = 'NagAcknowledgementError';
}

/**
 * Acknowledge one cdk-nag finding on a construct (and everything under it), with the reason a
 * reviewer reads. Findings that carry a detail are acknowledged one by one, e.g.
 * `AwsSolutions-IAM5[Resource::*]`.
 */
export function acknowledge(construct: IConstruct, id: string, reason: string): void {
  if (!/^AwsSolutions-[A-Z]+\d+(\[.+\])?$/.test(id)) throw new NagAcknowledgementError(`${construct.node.path}: "${id}" is not an AwsSolutions rule id`);
  if (reason.trim().length < MIN_REASON_LENGTH) {
    throw new NagAcknowledgementError(`${construct.node.path}: the reason for ${id} must say why in at least ${MIN_REASON_LENGTH} characters`);
  }
  Validations.of(construct).acknowledge({ id, reason });
}

/** Run the AwsSolutions checks on every synth of `app`: any unacknowledged finding stops the synth. */
export function addNagChecks(app: Stage): void {
  Validations.of(app).addPlugins(new AwsSolutionsChecks(app));
}

/**
 * Acknowledge, on the principal a grant went to, the IAM5 finding for a bucket-prefix wildcard
 * (`arn:...:bucket/prefix/*`): object keys under a prefix are not known in advance, and the prefix
 * is the scope. Only that one resource pattern is acknowledged, not wildcards in general.
 */
export function acknowledgePrefixGrant(grantee: IGrantable, bucket: IBucket, prefix: string, reason: string): void {
  const principal = grantee.grantPrincipal;
  if (!Construct.isConstruct(principal)) return; // a service principal gets a resource policy, which IAM5 does not read
  const cfnBucket = bucket.node.defaultChild;
  if (!CfnElement.isCfnElement(cfnBucket)) return; // an imported bucket is named by its ARN, with no logical id
  const logicalId = Stack.of(cfnBucket).getLogicalId(cfnBucket);
  acknowledge(principal, `AwsSolutions-IAM5[Resource::<${logicalId}.Arn>/${prefix}*]`, reason);
}
