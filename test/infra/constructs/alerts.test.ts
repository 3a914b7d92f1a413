import { Role, ServicePrincipal } from 'aws-cdk-lib/aws-iam';
import { Template } from 'aws-cdk-lib/assertions';
import { build, buildStack, idOf, only } from '../synth';

const { template, stack } = build({ approverEmails: 'lead@example.com', warningEmails: 'ops@example.com,noc@example.com' });
const keyId = idOf(stack, stack.alerts.key);
const warningId = idOf(stack, stack.alerts.warning);
const criticalId = idOf(stack, stack.alerts.critical);

describe('the alert topics', () => {
  it('are flowir-<env>-warning and flowir-<env>-critical, encrypted with the alerts key', () => {
    template.hasResourceProperties('AWS::SNS::Topic', { TopicName: 'flowir-dev-warning', KmsMasterKeyId: { 'Fn::GetAtt': [keyId, 'Arn'] } });
    template.hasResourceProperties('AWS::SNS::Topic', { TopicName: 'flowir-dev-critical', KmsMasterKeyId: { 'Fn::GetAtt': [keyId, 'Arn'] } });
    expect(template.toJSON().Resources[keyId].Properties.EnableKeyRotation).toBe(true);
  });

  it('let CloudWatch use the key, which alarms need to publish to an encrypted topic', () => {
    const statements = template.toJSON().Resources[keyId].Properties.KeyPolicy.Statement as Array<Record<string, unknown>>;
    expect(statements).toContainEqual({ Effect: 'Allow', Principal: { Service: 'cloudwatch.amazonaws.com' }, Action: ['kms:Decrypt', 'kms:GenerateDataKey'], Resource: '*' });
  });

  it.each([
    ['warning', () => warningId],
    ['critical', () => criticalId],
  ])('%s: refuses publishers without TLS and lets only this account’s alarms publish through CloudWatch', (_name, topicId) => {
    const policy = only(template, 'AWS::SNS::TopicPolicy', (p) => JSON.stringify(p.Topics) === JSON.stringify([{ Ref: topicId() }])).props;
    expect((policy.PolicyDocument as { Statement: unknown[] }).Statement).toEqual([
      {
        Sid: 'AllowPublishThroughSSLOnly',
        Effect: 'Deny',
        Principal: '*',
        Action: 'sns:Publish',
        Resource: { Ref: topicId() },
        Condition: { Bool: { 'aws:SecureTransport': 'false' } },
      },
      {
        Sid: 'CloudWatchAlarmsPublish',
        Effect: 'Allow',
        Principal: { Service: 'cloudwatch.amazonaws.com' },
        Action: 'sns:Publish',
        Resource: { Ref: topicId() },
        Condition: {
          StringEquals: { 'aws:SourceAccount': { Ref: 'AWS::AccountId' } },
          ArnLike: { 'aws:SourceArn': { 'Fn::Join': ['', ['arn:', { Ref: 'AWS::Partition' }, ':cloudwatch:', { Ref: 'AWS::Region' }, ':', { Ref: 'AWS::AccountId' }, ':alarm:*']] } },
        },
      },
    ]);
  });

  it('subscribe the configured addresses by e-mail: warningEmails to warning, approvers (the default) to critical', () => {
    const subscriptions = Object.values(template.findResources('AWS::SNS::Subscription')).map((r) => (r as { Properties: { TopicArn: { Ref: string }; Endpoint: string; Protocol: string } }).Properties);
    expect(subscriptions.map((s) => [s.TopicArn.Ref, s.Protocol, s.Endpoint]).sort()).toEqual(
      [
        [warningId, 'email', 'ops@example.com'],
        [warningId, 'email', 'noc@example.com'],
        [criticalId, 'email', 'lead@example.com'],
      ].sort(),
    );
  });

  it('have no subscriptions when no address is configured', () => {
    expect(build().template.findResources('AWS::SNS::Subscription')).toEqual({});
  });
});

describe('grantPublish', () => {
  it('allows Publish to the one topic of the severity, and the key use an encrypted topic needs', () => {
    const { stack: s } = buildStack();
    const role = new Role(s, 'Notifier', { assumedBy: new ServicePrincipal('states.amazonaws.com') });
    s.grantPublish(role, 'CRITICAL');
    const t = Template.fromStack(s);
    const policy = only(t, 'AWS::IAM::Policy', (p) => JSON.stringify(p.Roles) === JSON.stringify([{ Ref: idOf(s, role) }])).props;
    expect((policy.PolicyDocument as { Statement: unknown[] }).Statement).toEqual([
      { Effect: 'Allow', Action: 'sns:Publish', Resource: { Ref: idOf(s, s.alerts.critical) } },
      { Effect: 'Allow', Action: ['kms:Decrypt', 'kms:GenerateDataKey'], Resource: { 'Fn::GetAtt': [idOf(s, s.alerts.key), 'Arn'] } },
    ]);
  });
});
