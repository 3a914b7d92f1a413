import { NetworkAclError, planNetworkAclDeny, planNetworkAclRelease, type NetworkAclEntry } from '../../../core/containment';

const entry = (ruleNumber: number, ruleAction: 'allow' | 'deny', cidr: string, egress = false): NetworkAclEntry => ({ ruleNumber, ruleAction, cidr, egress });
// A default ACL: allow all at 100, the default deny rules, the same outbound.
const DEFAULT_ACL = [entry(100, 'allow', '0.0.0.0/0'), entry(32767, 'deny', '0.0.0.0/0'), entry(100, 'allow', '0.0.0.0/0', true), entry(32767, 'deny', '0.0.0.0/0', true)];

describe('planNetworkAclDeny', () => {
  it('takes the lowest free rule number, ahead of the allow-all entry', () => {
    expect(planNetworkAclDeny(DEFAULT_ACL, '203.0.113.50/32')).toEqual({ ok: true, ruleNumber: 1, cidr: '203.0.113.50/32', changed: true });
    expect(planNetworkAclDeny([...DEFAULT_ACL, entry(1, 'deny', '198.51.100.1/32'), entry(2, 'deny', '198.51.100.2/32')], '203.0.113.50/32')).toMatchObject({ ruleNumber: 3 });
  });

  it('reuses an existing deny for the same CIDR', () => {
    expect(planNetworkAclDeny([...DEFAULT_ACL, entry(7, 'deny', '203.0.113.50/32')], '203.0.113.50/32')).toEqual({ ok: true, ruleNumber: 7, cidr: '203.0.113.50/32', changed: false });
  });

  it('refuses when no free number comes before an allow entry that admits the source (the deny would do nothing)', () => {
    const acl = [entry(1, 'deny', '198.51.100.1/32'), entry(2, 'allow', '0.0.0.0/0'), entry(32767, 'deny', '0.0.0.0/0')];
    expect(planNetworkAclDeny(acl, '203.0.113.50/32')).toMatchObject({ ok: false, refusal: { guardrail: 'nacl-rule-order', matched: '2' } });
    // An allow entry for another range does not matter.
    const other = [entry(1, 'allow', '192.0.2.0/24'), entry(32767, 'deny', '0.0.0.0/0')];
    expect(planNetworkAclDeny(other, '203.0.113.50/32')).toMatchObject({ ok: true, ruleNumber: 2 });
  });

  it('respects the entry budget, counting inbound entries only (default rules included)', () => {
    const inbound = Array.from({ length: 19 }, (_, i) => entry(i + 1, 'deny', `198.51.100.${i}/32`));
    const withDefault = [...inbound, entry(32767, 'deny', '0.0.0.0/0')];
    expect(planNetworkAclDeny(withDefault, '203.0.113.50/32')).toMatchObject({ ok: false, refusal: { guardrail: 'nacl-budget', matched: '20' } });
    const outboundOnly = [...inbound, entry(32767, 'deny', '0.0.0.0/0', true)];
    expect(planNetworkAclDeny(outboundOnly, '203.0.113.50/32')).toMatchObject({ ok: true, ruleNumber: 20 });
  });

  it('names a bad entry', () => {
    expect(() => planNetworkAclDeny([entry(1, 'allow', 'all')], '203.0.113.50/32')).toThrow(new NetworkAclError('entries[0].cidr: "all" is not an IPv4 or IPv6 CIDR'));
  });
});

describe('planNetworkAclRelease', () => {
  it('deletes only the inbound deny entries for exactly that CIDR', () => {
    const acl = [...DEFAULT_ACL, entry(3, 'deny', '203.0.113.50/32'), entry(4, 'deny', '203.0.113.0/24'), entry(5, 'deny', '203.0.113.50/32', true)];
    expect(planNetworkAclRelease(acl, '203.0.113.50/32')).toEqual([3]);
    expect(planNetworkAclRelease(DEFAULT_ACL, '203.0.113.50/32')).toEqual([]);
  });
});
