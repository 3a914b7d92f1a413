import { Role, ServicePrincipal } from 'aws-cdk-lib/aws-iam';
import { Template } from 'aws-cdk-lib/assertions';
import { Alerts, AlertsConfigError, DEFAULT_FILTER_POLICIES_PER_TOPIC } from '../../../infra/constructs/alerts';
import { build, buildStack, idOf, only } from '../synth';

const { template, stack } = build({ approverEmails: 'lead@example.com', warningEmails: 'ops@example.com,noc@example.com' });
const keyId = idOf(stack, stack.alerts.key);
const warningId = idOf(stack, stack.alerts.warning);
const criticalId = idOf(stack, stack.alerts.critical);
const approvalId = idOf(stack, stack.alerts.approval);

type SubscriptionProps = { TopicArn: { Ref: string }; Endpoint: string; Protocol: string; FilterPolicy?: unknown; FilterPolicyScope?: string };
const subscriptionsOf = (t: Template): SubscriptionProps[] => Object.values(t.findResources('AWS::SNS::Subscription')).map((r) => (r as { Properties: SubscriptionProps }).Properties);

describe('the alert topics', () => {
  it('are flowir-<env>-warning, flowir-<env>-critical and flowir-<env>-approval, encrypted with the alerts key', () => {
    template.hasResourceProperties('AWS::SNS::Topic', { TopicName: 'flowir-dev-warning', KmsMasterKeyId: { 'Fn::GetAtt': [keyId, 'Arn'] } });
    template.hasResourceProperties('AWS::SNS::Topic', { TopicName: 'flowir-dev-critical', KmsMasterKeyId: { 'Fn::GetAtt': [keyId, 'Arn'] } });
    template.hasResourceProperties('AWS::SNS::Topic', { TopicName: 'flowir-dev-approval', KmsMasterKeyId: { 'Fn::GetAtt': [keyId, 'Arn'] } });
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

  it('subscribe the configured addresses by e-mail: warningEmails to warning, approvers (the default) to critical, each approver to the approval topic', () => {
    expect(subscriptionsOf(template).map((s) => [s.TopicArn.Ref, s.Protocol, s.Endpoint]).sort()).toEqual(
      [
        [warningId, 'email', 'ops@example.com'],
        [warningId, 'email', 'noc@example.com'],
        [criticalId, 'email', 'lead@example.com'],
        [approvalId, 'email', 'lead@example.com'],
      ].sort(),
    );
  });

  it('give each approver’s approval subscription a filter policy on the approver attribute that accepts their address only', () => {
    const { template: t, stack: s } = build({ approverEmails: 'alice@example.com,Bob.Smith@example.com', criticalEmails: 'soc@example.com', warningEmails: 'ops@example.com' });
    const approval = idOf(s, s.alerts.approval);
    const onApproval = subscriptionsOf(t).filter((x) => x.TopicArn.Ref === approval);
    expect(onApproval.map((x) => [x.Endpoint, x.Protocol, x.FilterPolicyScope, x.FilterPolicy]).sort()).toEqual(
      [
        ['Bob.Smith@example.com', 'email', 'MessageAttributes', { approver: ['Bob.Smith@example.com'] }],
        ['alice@example.com', 'email', 'MessageAttributes', { approver: ['alice@example.com'] }],
      ].sort(),
    );
    // The alert topics' subscribers get every alert, and nothing of the approval topic.
    const others = subscriptionsOf(t).filter((x) => x.TopicArn.Ref !== approval);
    expect(others.every((x) => x.FilterPolicy === undefined)).toBe(true);
    expect(others.map((x) => x.Endpoint)).not.toContain('alice@example.com');
  });

  it('let no alarm publish to the approval topic: only TLS is required there, and nothing may publish through a service principal', () => {
    const policy = only(template, 'AWS::SNS::TopicPolicy', (p) => JSON.stringify(p.Topics) === JSON.stringify([{ Ref: approvalId }])).props;
    expect((policy.PolicyDocument as { Statement: unknown[] }).Statement).toEqual([
      { Sid: 'AllowPublishThroughSSLOnly', Effect: 'Deny', Principal: '*', Action: 'sns:Publish', Resource: { Ref: approvalId }, Condition: { Bool: { 'aws:SecureTransport': 'false' } } },
    ]);
  });

  it('refuse one approver address in two spellings, and warn past the default 200 filter policies per topic', () => {
    const twice = buildStack();
    expect(() => new Alerts(twice.stack, 'Twice', { envName: 'dev', warningEmails: [], criticalEmails: [], approverEmails: ['a@example.com', 'A@example.com'] })).toThrow(AlertsConfigError);
    // On the construct itself: so many approvers do not fit in request-approval's Lambda environment (4 KB) anyway.
    const many = Array.from({ length: DEFAULT_FILTER_POLICIES_PER_TOPIC + 1 }, (_, i) => `approver-${i}@example.com`);
    const warned = (emails: string[]): readonly string[] => {
      const { app, stack: s } = buildStack();
      new Alerts(s, 'Many', { envName: 'many', warningEmails: [], criticalEmails: [], approverEmails: emails });
      Template.fromStack(s);
      return app.warnings;
    };
    expect(warned(many)).toContain('flowir:approver-filter-quota');
    expect(warned(many.slice(1))).not.toContain('flowir:approver-filter-quota');
  });

  it('have no subscriptions when no address is configured', () => {
    expect(build().template.findResources('AWS::SNS::Subscription')).toEqual({});
  });
});

describe('grantApprovalPublish', () => {
  it('allows Publish to the approval topic only, and the key use', () => {
    const { stack: s } = buildStack();
    const role = new Role(s, 'Requester', { assumedBy: new ServicePrincipal('lambda.amazonaws.com') });
    s.grantApprovalPublish(role);
    const t = Template.fromStack(s);
    const policy = only(t, 'AWS::IAM::Policy', (p) => JSON.stringify(p.Roles) === JSON.stringify([{ Ref: idOf(s, role) }])).props;
    expect((policy.PolicyDocument as { Statement: unknown[] }).Statement).toEqual([
      { Effect: 'Allow', Action: 'sns:Publish', Resource: { Ref: idOf(s, s.alerts.approval) } },
      { Effect: 'Allow', Action: ['kms:Decrypt', 'kms:GenerateDataKey'], Resource: { 'Fn::GetAtt': [idOf(s, s.alerts.key), 'Arn'] } },
    ]);
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
