import {
  NACL_DEFAULT_QUOTA,
  NetworkAclError,
  planNetworkAclDeny,
  planNetworkAclRemove,
  reconcileNetworkAcl,
  type NetworkAclEntry,
  type NetworkAclOwnedEntry,
} from '../../../core/containment';

const entry = (ruleNumber: number, ruleAction: 'allow' | 'deny', cidr: string, egress = false, protocol = '-1'): NetworkAclEntry => ({ ruleNumber, ruleAction, cidr, egress, protocol });
const own = (ruleNumber: number, cidr: string): NetworkAclOwnedEntry => ({ ruleNumber, cidr });
// EC2's default ACL of a dual-stack VPC: allow all at 100 (IPv4) and 101 (IPv6), the default deny rules, the same outbound.
const DEFAULT_ACL = [
  entry(100, 'allow', '0.0.0.0/0'),
  entry(101, 'allow', '::/0'),
  entry(32767, 'deny', '0.0.0.0/0'),
  entry(32768, 'deny', '::/0'),
  entry(100, 'allow', '0.0.0.0/0', true),
  entry(101, 'allow', '::/0', true),
  entry(32767, 'deny', '0.0.0.0/0', true),
  entry(32768, 'deny', '::/0', true),
];

describe('planNetworkAclDeny', () => {
  it('takes the lowest free number of the range, ahead of the allow-all entry, for all protocols', () => {
    expect(planNetworkAclDeny(DEFAULT_ACL, '203.0.113.50/32', [])).toEqual({
      ok: true,
      changed: true,
      cidr: '203.0.113.50/32',
      ruleNumber: 1,
      entry: { ruleNumber: 1, egress: false, ruleAction: 'deny', protocol: '-1', cidr: '203.0.113.50/32' },
    });
    const taken = [...DEFAULT_ACL, entry(1, 'deny', '198.51.100.1/32'), entry(2, 'deny', '198.51.100.2/32')];
    expect(planNetworkAclDeny(taken, '203.0.113.50/32', [own(1, '198.51.100.1/32')])).toMatchObject({ ruleNumber: 3 });
  });

  it('denies an IPv6 source as a /128 (an Ipv6CidrBlock entry), in canonical text, and takes a bare address as its host CIDR', () => {
    const plan = planNetworkAclDeny(DEFAULT_ACL, '2001:DB8:0:0::7/128', []);
    expect(plan).toMatchObject({ ok: true, changed: true, cidr: '2001:db8::7/128', entry: { cidr: '2001:db8::7/128', protocol: '-1', egress: false } });
    expect(planNetworkAclDeny(DEFAULT_ACL, '203.0.113.9', [])).toMatchObject({ cidr: '203.0.113.9/32' });
  });

  it('refuses anything but a single source', () => {
    expect(() => planNetworkAclDeny(DEFAULT_ACL, '203.0.113.0/24', [])).toThrow(new NetworkAclError('cidr: flowir denies single sources (/32 or /128), got 203.0.113.0/24'));
  });

  it('reuses flowir\'s own entry for the source (idempotent), and only when the registry names its number and CIDR', () => {
    const acl = [...DEFAULT_ACL, entry(7, 'deny', '203.0.113.50/32')];
    expect(planNetworkAclDeny(acl, '203.0.113.50/32', [own(7, '203.0.113.50/32')])).toEqual({ ok: true, changed: false, cidr: '203.0.113.50/32', ruleNumber: 7, coveredBy: null });
    // The registry remembers #7 for another address: the entry there is not flowir's.
    expect(planNetworkAclDeny(acl, '203.0.113.50/32', [own(7, '203.0.113.51/32')])).toMatchObject({ ruleNumber: null, coveredBy: { ruleNumber: 7, cidr: '203.0.113.50/32' } });
  });

  it('adds nothing when an entry flowir did not create already denies the source on every protocol, ahead of the allows', () => {
    const acl = [...DEFAULT_ACL, entry(50, 'deny', '203.0.113.0/24')];
    expect(planNetworkAclDeny(acl, '203.0.113.50/32', [])).toEqual({ ok: true, changed: false, cidr: '203.0.113.50/32', ruleNumber: null, coveredBy: { ruleNumber: 50, cidr: '203.0.113.0/24' } });
    // A deny of one protocol does not cover; nor does a deny after the allow that admits the source.
    expect(planNetworkAclDeny([...DEFAULT_ACL, entry(50, 'deny', '203.0.113.0/24', false, '6')], '203.0.113.50/32', [])).toMatchObject({ changed: true, ruleNumber: 1 });
    expect(planNetworkAclDeny([...DEFAULT_ACL, entry(200, 'deny', '203.0.113.0/24')], '203.0.113.50/32', [])).toMatchObject({ changed: true, ruleNumber: 1 });
    // Nor does the default deny where no allow admits the source today: an allow added later would undo it.
    expect(planNetworkAclDeny([entry(32767, 'deny', '0.0.0.0/0')], '203.0.113.50/32', [])).toMatchObject({ changed: true, ruleNumber: 1 });
  });

  it('places a new entry when its own one no longer comes first (an allow was put ahead of it)', () => {
    const acl = [entry(5, 'allow', '0.0.0.0/0', false, '6'), entry(9, 'deny', '203.0.113.50/32'), entry(32767, 'deny', '0.0.0.0/0')];
    expect(planNetworkAclDeny(acl, '203.0.113.50/32', [own(9, '203.0.113.50/32')])).toMatchObject({ changed: true, ruleNumber: 1 });
  });

  describe('rule order: the deny must come before every allow entry that admits the source', () => {
    it('uses only numbers below the lowest admitting allow, whatever its protocol', () => {
      const acl = [entry(4, 'allow', '0.0.0.0/0', false, '6'), entry(1, 'deny', '198.51.100.1/32'), entry(32767, 'deny', '0.0.0.0/0')];
      expect(planNetworkAclDeny(acl, '203.0.113.50/32', [])).toMatchObject({ ruleNumber: 2 });
      const full = [...acl, entry(2, 'deny', '198.51.100.2/32'), entry(3, 'deny', '198.51.100.3/32')];
      expect(planNetworkAclDeny(full, '203.0.113.50/32', [])).toEqual({
        ok: false,
        cidr: '203.0.113.50/32',
        refusal: { guardrail: 'nacl-rule-order', reason: 'no free rule number from 1 to 3 comes before allow entry #4, which admits 203.0.113.50/32', matched: '4' },
      });
    });

    it('refuses when an admitting allow comes at or before the start of flowir\'s range', () => {
      const acl = [entry(10, 'allow', '203.0.113.0/24'), entry(32767, 'deny', '0.0.0.0/0')];
      expect(planNetworkAclDeny(acl, '203.0.113.50/32', [], { firstRuleNumber: 10, lastRuleNumber: 99 })).toMatchObject({ ok: false, refusal: { guardrail: 'nacl-rule-order', matched: '10' } });
    });

    it('ignores allow entries that do not admit the source (another range, the other IP version, outbound); numbers are per direction', () => {
      const acl = [entry(1, 'allow', '192.0.2.0/24'), entry(2, 'allow', '::/0'), entry(3, 'allow', '0.0.0.0/0', true), entry(32767, 'deny', '0.0.0.0/0')];
      expect(planNetworkAclDeny(acl, '203.0.113.50/32', [])).toMatchObject({ ok: true, ruleNumber: 3 });
    });

    it('keeps to the configured range', () => {
      expect(planNetworkAclDeny(DEFAULT_ACL, '203.0.113.50/32', [], { firstRuleNumber: 40, lastRuleNumber: 60 })).toMatchObject({ ruleNumber: 40 });
      const acl = [entry(32767, 'deny', '0.0.0.0/0'), ...[40, 41].map((n) => entry(n, 'deny', `198.51.100.${n}/32`))];
      expect(planNetworkAclDeny(acl, '203.0.113.50/32', [], { firstRuleNumber: 40, lastRuleNumber: 41 })).toMatchObject({ ok: false, refusal: { guardrail: 'nacl-rule-order', reason: 'no free rule number from 40 to 41', matched: null } });
    });
  });

  describe('quota: inbound rules per IP version, the default deny included', () => {
    const withDenies = (count: number, version: 4 | 6): NetworkAclEntry[] => Array.from({ length: count }, (_, i) => entry(i + 1, 'deny', version === 4 ? `198.51.100.${i + 1}/32` : `2001:db8::${(i + 1).toString(16)}/128`));

    it('refuses a full ACL with nacl-budget (no eviction), counting 100 and 32767', () => {
      // 18 denies + allow 100 + deny 32767 = 20 IPv4 inbound rules.
      const acl = [...DEFAULT_ACL, ...withDenies(18, 4)];
      const owned = withDenies(18, 4).map((e) => own(e.ruleNumber, e.cidr));
      expect(planNetworkAclDeny(acl, '203.0.113.50/32', owned)).toEqual({
        ok: false,
        cidr: '203.0.113.50/32',
        refusal: { guardrail: 'nacl-budget', reason: 'the network ACL already has 20 inbound IPv4 rules (default deny included), its quota of 20; flowir does not evict a live block to make room', matched: '20' },
      });
      expect(planNetworkAclDeny([...DEFAULT_ACL, ...withDenies(17, 4)], '203.0.113.50/32', [])).toMatchObject({ ok: true, ruleNumber: 18 });
    });

    it('counts IPv4 and IPv6 apart', () => {
      const acl = [...DEFAULT_ACL, ...withDenies(18, 4)];
      expect(planNetworkAclDeny(acl, '2001:db8::50/128', [])).toMatchObject({ ok: true, changed: true, ruleNumber: 19, cidr: '2001:db8::50/128' });
      const v6full = [...DEFAULT_ACL, ...withDenies(18, 6)];
      expect(planNetworkAclDeny(v6full, '2001:db8::50/128', [])).toMatchObject({ ok: false, refusal: { guardrail: 'nacl-budget' } });
      expect(planNetworkAclDeny(v6full, '203.0.113.50/32', [])).toMatchObject({ ok: true, ruleNumber: 19 });
    });

    it('counts inbound rules only', () => {
      const outbound = Array.from({ length: 30 }, (_, i) => entry(i + 1, 'deny', `198.51.100.${i}/32`, true));
      expect(planNetworkAclDeny([entry(32767, 'deny', '0.0.0.0/0'), ...outbound], '203.0.113.50/32', [])).toMatchObject({ ok: true, ruleNumber: 1 });
    });

    it('takes a raised quota, up to 40', () => {
      const acl = [...DEFAULT_ACL, ...withDenies(18, 4)];
      expect(planNetworkAclDeny(acl, '203.0.113.50/32', [], { quota: 40 })).toMatchObject({ ok: true, ruleNumber: 19 });
      expect(NACL_DEFAULT_QUOTA).toBe(20);
      expect(() => planNetworkAclDeny(acl, '203.0.113.50/32', [], { quota: 41 })).toThrow(/quota: expected a whole number from 1 to 40/);
    });

    it('still reuses flowir\'s entry on a full ACL (placing the same source twice changes nothing)', () => {
      const acl = [...DEFAULT_ACL, ...withDenies(18, 4)];
      expect(planNetworkAclDeny(acl, '198.51.100.5/32', [own(5, '198.51.100.5/32')])).toMatchObject({ ok: true, changed: false, ruleNumber: 5 });
    });
  });

  it('names a bad entry and a bad range', () => {
    expect(() => planNetworkAclDeny([entry(1, 'allow', 'all')], '203.0.113.50/32', [])).toThrow(new NetworkAclError('entries[0].cidr: "all" is not an IPv4 or IPv6 CIDR'));
    expect(() => planNetworkAclDeny(DEFAULT_ACL, '203.0.113.50/32', [], { firstRuleNumber: 0 })).toThrow(/1 <= firstRuleNumber <= lastRuleNumber <= 32766/);
    expect(() => planNetworkAclDeny(DEFAULT_ACL, '203.0.113.50/32', [], { lastRuleNumber: 32767 })).toThrow(NetworkAclError);
  });
});

describe('planNetworkAclRemove', () => {
  it('deletes only flowir\'s inbound all-protocol denies of exactly that CIDR', () => {
    const acl = [...DEFAULT_ACL, entry(3, 'deny', '203.0.113.50/32'), entry(4, 'deny', '203.0.113.0/24'), entry(5, 'deny', '203.0.113.50/32', true), entry(6, 'deny', '203.0.113.50/32')];
    // #6 denies the same address, but the registry does not name it: someone else's.
    expect(planNetworkAclRemove(acl, '203.0.113.50/32', [own(3, '203.0.113.50/32'), own(4, '203.0.113.0/24')])).toEqual([3]);
    expect(planNetworkAclRemove(acl, '203.0.113.50/32', [])).toEqual([]);
    expect(planNetworkAclRemove(DEFAULT_ACL, '203.0.113.50/32', [own(3, '203.0.113.50/32')])).toEqual([]);
  });

  it('matches IPv6 by value, whatever text the registry or EC2 holds', () => {
    const acl = [...DEFAULT_ACL, entry(2, 'deny', '2001:db8::7/128')];
    expect(planNetworkAclRemove(acl, '2001:0db8:0000::7/128', [own(2, '2001:DB8::7/128')])).toEqual([2]);
  });
});

describe('reconcileNetworkAcl', () => {
  it('tells the registry\'s entries present from missing, and reports look-alikes it does not name without claiming them', () => {
    const acl = [...DEFAULT_ACL, entry(1, 'deny', '203.0.113.1/32'), entry(3, 'deny', '203.0.113.3/32'), entry(4, 'deny', '203.0.113.0/24'), entry(150, 'deny', '203.0.113.9/32')];
    const owned = [own(1, '203.0.113.1/32'), own(2, '203.0.113.2/32'), own(3, '203.0.113.30/32')];
    expect(reconcileNetworkAcl(acl, owned)).toEqual({
      present: [own(1, '203.0.113.1/32')],
      missing: [own(2, '203.0.113.2/32'), own(3, '203.0.113.30/32')],
      // #3 holds another address than the registry says; #4 is a network, #150 outside the range.
      unregistered: [entry(3, 'deny', '203.0.113.3/32')],
    });
  });
});
