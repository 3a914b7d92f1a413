import { Validations, type Stage } from 'aws-cdk-lib';
import { AwsSolutionsChecks } from 'cdk-nag';
import type { IConstruct } from 'constructs';

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
