import { Grant, type IGrantable } from 'aws-cdk-lib/aws-iam';
import { CfnIPSet, CfnRuleGroup } from 'aws-cdk-lib/aws-wafv2';
import { Construct } from 'constructs';
import type { WafScope } from '../config';

/**
 * WCUs the rule group reserves. Two IP-set rules use 2; a rule group's capacity cannot change after
 * creation, so the rest is headroom for later rules (e.g. a custom block response) without a replacement.
 */
export const RULE_GROUP_CAPACITY = 10;

export interface WafBlocklistProps {
  readonly envName: string;
  readonly scope: WafScope;
}

/**
 * The containment blocklist: one IPv4 and one IPv6 IP set (WAF keeps the two apart), both empty at
 * deploy time and filled by the incident workflow, and a rule group that blocks requests from
 * either, ready to be added to any web ACL of the same scope.
 */
export class WafBlocklist extends Construct {
  readonly ipv4: CfnIPSet;
  readonly ipv6: CfnIPSet;
  readonly ruleGroup: CfnRuleGroup;

  constructor(scope: Construct, id: string, props: WafBlocklistProps) {
    super(scope, id);
    const name = `flowir-${props.envName}`;
    this.ipv4 = new CfnIPSet(this, 'Ipv4', {
      name: `${name}-blocked-ipv4`,
      description: 'Sources contained by flowir incidents, IPv4 /32, managed by the incident workflow',
      scope: props.scope,
      ipAddressVersion: 'IPV4',
      addresses: [],
    });
    this.ipv6 = new CfnIPSet(this, 'Ipv6', {
      name: `${name}-blocked-ipv6`,
      description: 'Sources contained by flowir incidents, IPv6 /128, managed by the incident workflow',
      scope: props.scope,
      ipAddressVersion: 'IPV6',
      addresses: [],
    });
    const metric = (suffix: string): CfnRuleGroup.VisibilityConfigProperty => ({
      cloudWatchMetricsEnabled: true,
      metricName: `${name}-${suffix}`.replace(/[^A-Za-z0-9_-]/g, '_'),
      sampledRequestsEnabled: true,
    });
    const blockRule = (ruleName: string, priority: number, set: CfnIPSet): CfnRuleGroup.RuleProperty => ({
      name: ruleName,
      priority,
      action: { block: {} },
      statement: { ipSetReferenceStatement: { arn: set.attrArn } },
      visibilityConfig: metric(ruleName),
    });
    this.ruleGroup = new CfnRuleGroup(this, 'RuleGroup', {
      name: `${name}-blocklist`,
      description: 'Blocks the sources in the flowir containment IP sets',
      scope: props.scope,
      capacity: RULE_GROUP_CAPACITY,
      visibilityConfig: metric('blocklist'),
      rules: [blockRule('block-ipv4', 0, this.ipv4), blockRule('block-ipv6', 1, this.ipv6)],
    });
  }

  /** Read and replace the two IP sets (UpdateIPSet needs the LockToken that GetIPSet returns). */
  grantIpSetUpdate(grantee: IGrantable): Grant {
    return Grant.addToPrincipal({ grantee, actions: ['wafv2:GetIPSet', 'wafv2:UpdateIPSet'], resourceArns: [this.ipv4.attrArn, this.ipv6.attrArn] });
  }
}
