import { Role, ServicePrincipal } from 'aws-cdk-lib/aws-iam';
import { Template } from 'aws-cdk-lib/assertions';
import { RULE_GROUP_CAPACITY } from '../../../infra/constructs/waf-blocklist';
import { build, buildStack, only } from '../synth';

const { template, stack } = build({ envName: 'prod' });
const v4 = stack.getLogicalId(stack.blocklist.ipv4);
const v6 = stack.getLogicalId(stack.blocklist.ipv6);

describe('the WAF blocklist', () => {
  it('has an empty IPv4 and an empty IPv6 IP set in the configured scope', () => {
    expect(template.toJSON().Resources[v4].Properties).toMatchObject({ Name: 'flowir-prod-blocked-ipv4', IPAddressVersion: 'IPV4', Scope: 'REGIONAL', Addresses: [] });
    expect(template.toJSON().Resources[v6].Properties).toMatchObject({ Name: 'flowir-prod-blocked-ipv6', IPAddressVersion: 'IPV6', Scope: 'REGIONAL', Addresses: [] });
  });

  it('has a rule group that blocks both sets, with metrics, ready for a web ACL', () => {
    const group = only(template, 'AWS::WAFv2::RuleGroup').props;
    expect(group).toMatchObject({ Name: 'flowir-prod-blocklist', Scope: 'REGIONAL', Capacity: RULE_GROUP_CAPACITY });
    expect(group.Rules).toEqual([
      {
        Name: 'block-ipv4',
        Priority: 0,
        Action: { Block: {} },
        Statement: { IPSetReferenceStatement: { Arn: { 'Fn::GetAtt': [v4, 'Arn'] } } },
        VisibilityConfig: { CloudWatchMetricsEnabled: true, MetricName: 'flowir-prod-block-ipv4', SampledRequestsEnabled: true },
      },
      {
        Name: 'block-ipv6',
        Priority: 1,
        Action: { Block: {} },
        Statement: { IPSetReferenceStatement: { Arn: { 'Fn::GetAtt': [v6, 'Arn'] } } },
        VisibilityConfig: { CloudWatchMetricsEnabled: true, MetricName: 'flowir-prod-block-ipv6', SampledRequestsEnabled: true },
      },
    ]);
  });

  it('exports the rule group ARN and the IP set ARNs as stack outputs', () => {
    const group = only(template, 'AWS::WAFv2::RuleGroup').id;
    template.hasOutput('BlocklistRuleGroupArn', { Value: { 'Fn::GetAtt': [group, 'Arn'] } });
    template.hasOutput('BlockedIpv4SetArn', { Value: { 'Fn::GetAtt': [v4, 'Arn'] } });
    template.hasOutput('BlockedIpv6SetArn', { Value: { 'Fn::GetAtt': [v6, 'Arn'] } });
  });

  it('takes CLOUDFRONT scope from context for sets and rule group alike', () => {
    const t = build({ wafScope: 'CLOUDFRONT' }, { env: { region: 'us-east-1' } }).template;
    for (const type of ['AWS::WAFv2::IPSet', 'AWS::WAFv2::RuleGroup']) {
      for (const r of Object.values(t.findResources(type))) expect((r as { Properties: { Scope: string } }).Properties.Scope).toBe('CLOUDFRONT');
    }
  });
});

describe('grantIpSetUpdate', () => {
  it('allows GetIPSet and UpdateIPSet on the two sets and nothing else', () => {
    const { stack: s } = buildStack();
    const role = new Role(s, 'Containment', { assumedBy: new ServicePrincipal('states.amazonaws.com') });
    s.grantIpSetUpdate(role);
    const t = Template.fromStack(s);
    const policy = only(t, 'AWS::IAM::Policy', (p) => JSON.stringify(p.Roles).includes('Containment')).props;
    expect((policy.PolicyDocument as { Statement: unknown[] }).Statement).toEqual([
      {
        Effect: 'Allow',
        Action: ['wafv2:GetIPSet', 'wafv2:UpdateIPSet'],
        Resource: [{ 'Fn::GetAtt': [s.getLogicalId(s.blocklist.ipv4), 'Arn'] }, { 'Fn::GetAtt': [s.getLogicalId(s.blocklist.ipv6), 'Arn'] }],
      },
    ]);
  });
});
