import { App, Stack } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import { Policy, PolicyStatement, Role, ServicePrincipal } from 'aws-cdk-lib/aws-iam';
import type { CfnBucket } from 'aws-cdk-lib/aws-s3';
import type { CfnTopic } from 'aws-cdk-lib/aws-sns';
import { AwsSolutionsChecks } from 'cdk-nag';
import { NagAcknowledgementError, acknowledge } from '../../infra/nag';
import { buildStack } from './synth';

const findings = (stack: Stack) =>
  new AwsSolutionsChecks(stack.node.scope as App).validateScope(stack).violations.flatMap((v) => v.violatingResources.map((r) => `${v.ruleName} ${r.constructPath}`));

describe('cdk-nag AwsSolutions', () => {
  it.each(['logs-insights', 'athena'])('finds nothing unacknowledged in the %s stack', (engine) => {
    expect(findings(buildStack({ engine }).stack)).toEqual([]);
  });

  it('stops the synth of the app when a finding is not acknowledged (the checks are registered by the app)', () => {
    const { stack } = buildStack();
    (stack.evidence.bucket.node.defaultChild as CfnBucket).loggingConfiguration = undefined;
    expect(() => Template.fromStack(stack)).toThrow(/server access logs disabled[\s\S]*Flowir-dev\/Evidence\/Bucket\/Resource[\s\S]*AwsSolutions-S1/);
  });

  it('reports an evidence bucket without access logging (S1)', () => {
    const { stack } = buildStack();
    (stack.evidence.bucket.node.defaultChild as CfnBucket).loggingConfiguration = undefined;
    expect(findings(stack)).toEqual(['AwsSolutions-S1 Flowir-dev/Evidence/Bucket/Resource']);
  });

  it('reports a topic that accepts publishers without TLS, once it is not KMS-encrypted either (SNS3)', () => {
    const { stack } = buildStack();
    (stack.alerts.critical.node.defaultChild as CfnTopic).kmsMasterKeyId = undefined;
    stack.alerts.critical.node.tryRemoveChild('Policy');
    expect(findings(stack)).toEqual(['AwsSolutions-SNS3 Flowir-dev/Alerts/Critical/Resource']);
  });

  it('reports an archive bucket that allows plain HTTP (S10)', () => {
    const { stack } = buildStack();
    const archive = stack.flowLogs.archive.node.defaultChild as CfnBucket;
    archive.node.scope?.node.tryRemoveChild('Policy');
    expect(findings(stack)).toContain('AwsSolutions-S10 Flowir-dev/FlowLogs/Archive/Resource');
  });
});

describe('acknowledgements', () => {
  it("a grant helper's acknowledgement covers its own wildcard only", () => {
    const { stack } = buildStack();
    const role = new Role(stack, 'Workflow', { assumedBy: new ServicePrincipal('states.amazonaws.com') });
    stack.grantMetricsPublish(role);
    stack.grantFlowLogQuery(role);
    stack.grantEvidenceWrite(role);
    stack.grantArchiveRead(role);
    expect(findings(stack)).toEqual([]);

    // A wildcard nobody has justified, on the same role, is still reported.
    new Policy(stack, 'Unjustified', { roles: [role], statements: [new PolicyStatement({ actions: ['s3:GetObject'], resources: ['*'] })] });
    role.addToPrincipalPolicy(new PolicyStatement({ actions: ['s3:GetObject'], resources: [stack.evidence.bucket.arnForObjects('other/*')] }));
    expect(findings(stack).sort()).toEqual([
      'AwsSolutions-IAM5[Resource::*] Flowir-dev/Unjustified/Resource',
      `AwsSolutions-IAM5[Resource::<${stack.getLogicalId(stack.evidence.bucket.node.defaultChild as CfnBucket)}.Arn>/other/*] Flowir-dev/Workflow/DefaultPolicy/Resource`,
    ]);
  });

  it('must give a reason a reviewer can judge, for an AwsSolutions rule', () => {
    const { stack } = buildStack();
    expect(() => acknowledge(stack, 'AwsSolutions-IAM5', 'needed')).toThrow(NagAcknowledgementError);
    expect(() => acknowledge(stack, 'AwsSolutions-IAM5', 'needed')).toThrow(/Flowir-dev: the reason for AwsSolutions-IAM5 must say why in at least 40 characters/);
    expect(() => acknowledge(stack, 'S1', 'The reason is long enough to be read by a reviewer.')).toThrow(/"S1" is not an AwsSolutions rule id/);
  });
});
