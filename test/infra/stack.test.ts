import { Annotations, Match, Template } from 'aws-cdk-lib/assertions';
import { Role, ServicePrincipal } from 'aws-cdk-lib/aws-iam';
import { buildFlowirApp } from '../../infra/flowir-app';
import { CDK_JSON_CONTEXT, TestApp, build, buildStack, idOf, only } from './synth';

describe('the flowir stack', () => {
  const { app, template, stack } = build({ envName: 'prod' });

  it('is named Flowir-<env>', () => {
    expect(stack.stackName).toBe('Flowir-prod');
  });

  it('outputs what an operator and the workflows need', () => {
    expect(Object.keys(template.findOutputs('*')).sort()).toEqual(
      [
        'ArchiveBucketName',
        'BlockedIpv4SetArn',
        'BlockedIpv6SetArn',
        'BlocklistRuleGroupArn',
        'CriticalTopicArn',
        'DashboardName',
        'EvidenceBucketName',
        'FlowLogGroupName',
        'WarningTopicArn',
        'IncidentStateMachineArn',
        'AnomalyDetectionStateMachineArn',
        'SecurityDetectionStateMachineArn',
        'ApprovalEndpointUrl',
        'AuditorPolicyArn',
      ].sort(),
    );
  });

  it('keeps the data stores on deletion (archive, evidence and its key, access logs) and deletes the rest', () => {
    const retained = Object.entries(template.toJSON().Resources as Record<string, { Type: string; DeletionPolicy?: string }>)
      .filter(([, r]) => r.DeletionPolicy === 'Retain')
      .map(([id]) => id)
      .sort();
    expect(retained).toEqual([idOf(stack, stack.flowLogs.archive), idOf(stack, stack.evidence.bucket), idOf(stack, stack.evidence.key), idOf(stack, stack.node.findChild('AccessLogs'))].sort());
  });

  it('warns that a stack built on the placeholder VPC cannot deploy, and only then', () => {
    const placeholderApp = new TestApp({ context: { ...CDK_JSON_CONTEXT, 'aws:cdk:bundling-stacks': [] }, builtinCloudFormationValidation: false });
    const placeholder = buildFlowirApp(placeholderApp);
    Annotations.fromStack(placeholder).hasWarning('/Flowir-dev', Match.stringLikeRegexp('placeholder vpc-00000000000000000.*-c vpcId=vpc-'));
    // In the validation report too, which is what `cdk synth` prints.
    expect(placeholderApp.warnings).toContain('flowir:placeholder-vpc');
    expect(Annotations.fromStack(stack).findWarning('*', Match.stringLikeRegexp('placeholder'))).toEqual([]);
    expect(app.warnings).not.toContain('flowir:placeholder-vpc');
  });
});

describe('every bucket (the athena engine has them all)', () => {
  const { template } = build({ engine: 'athena' });
  const buckets = Object.entries(template.findResources('AWS::S3::Bucket') as Record<string, { Properties: Record<string, unknown> }>);
  const policies = Object.values(template.findResources('AWS::S3::BucketPolicy') as Record<string, { Properties: { Bucket: unknown; PolicyDocument: { Statement: Array<Record<string, unknown>> } } }>);

  it('are four: access logs, archive, evidence, Athena results', () => {
    expect(buckets).toHaveLength(4);
  });

  it.each(buckets.map(([id]) => [id]))('%s: encrypted, versioned, public access blocked, ACLs off, TLS-only', (id) => {
    const props = (buckets.find(([b]) => b === id) ?? [id, { Properties: {} }])[1].Properties;
    expect(props.BucketEncryption).toBeDefined();
    expect(props.VersioningConfiguration).toEqual({ Status: 'Enabled' });
    expect(props.PublicAccessBlockConfiguration).toEqual({ BlockPublicAcls: true, BlockPublicPolicy: true, IgnorePublicAcls: true, RestrictPublicBuckets: true });
    expect(props.OwnershipControls).toEqual({ Rules: [{ ObjectOwnership: 'BucketOwnerEnforced' }] });
    const policy = policies.find((p) => JSON.stringify(p.Properties.Bucket) === JSON.stringify({ Ref: id }));
    expect(policy?.Properties.PolicyDocument.Statement).toContainEqual(expect.objectContaining({ Effect: 'Deny', Condition: { Bool: { 'aws:SecureTransport': 'false' } } }));
  });

  it('builds with a minimal custom flow-log format', () => {
    const minimal = build({ engine: 'athena', flowLogFormat: 'srcaddr dstaddr dstport protocol packets bytes start action log-status' }).template;
    minimal.hasResourceProperties('AWS::EC2::FlowLog', { LogFormat: '${srcaddr} ${dstaddr} ${dstport} ${protocol} ${packets} ${bytes} ${start} ${action} ${log-status}' });
    minimal.hasResourceProperties('AWS::Logs::MetricFilter', { FilterPattern: '[srcaddr, dstaddr, dstport, protocol, packets, bytes, start, action, log_status="OK"]' });
  });
});

describe('grants for the workflows', () => {
  const { stack } = buildStack();
  const role = new Role(stack, 'Workflow', { assumedBy: new ServicePrincipal('states.amazonaws.com') });
  const query = stack.grantFlowLogQuery(role);
  const metrics = stack.grantMetricsPublish(role);
  stack.grantArchiveRead(role);
  const template = Template.fromStack(stack);
  const statementsOf = (policyId: string) => (template.toJSON().Resources[policyId].Properties.PolicyDocument as { Statement: unknown[] }).Statement;
  const logGroup = idOf(stack, stack.flowLogs.logGroup);

  it('grantFlowLogQuery: StartQuery and GetQueryResults on the flow-log group; StopQuery, which has no resource type, alone on * in a policy of its own', () => {
    expect(statementsOf(idOf(stack, query))).toEqual([
      { Effect: 'Allow', Action: ['logs:GetQueryResults', 'logs:StartQuery'], Resource: { 'Fn::GetAtt': [logGroup, 'Arn'] } },
      { Effect: 'Allow', Action: 'logs:StopQuery', Resource: '*' },
    ]);
  });

  it('grantMetricsPublish: PutMetricData only into the Flowir namespace', () => {
    expect(statementsOf(idOf(stack, metrics))).toEqual([
      { Effect: 'Allow', Action: 'cloudwatch:PutMetricData', Resource: '*', Condition: { StringEquals: { 'cloudwatch:namespace': 'Flowir' } } },
    ]);
  });

  it('grantArchiveRead: read and list under AWSLogs/ only', () => {
    const archive = idOf(stack, stack.flowLogs.archive);
    const defaultPolicy = only(template, 'AWS::IAM::Policy', (p) => String(p.PolicyName).startsWith('WorkflowDefaultPolicy')).id;
    expect(statementsOf(defaultPolicy)).toEqual([
      { Effect: 'Allow', Action: 's3:GetObject', Resource: { 'Fn::Join': ['', [{ 'Fn::GetAtt': [archive, 'Arn'] }, '/AWSLogs/*']] } },
      { Effect: 'Allow', Action: 's3:ListBucket', Resource: { 'Fn::GetAtt': [archive, 'Arn'] }, Condition: { StringLike: { 's3:prefix': ['AWSLogs/*'] } } },
    ]);
  });
});
