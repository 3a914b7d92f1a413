import { promises as fs } from 'node:fs';
import * as path from 'node:path';
import { NetworkAclEntryExistsError, NetworkAclEntryNotFoundError, NetworkAclLimitError, NetworkAclNotFoundError, type NetworkAclEntry } from '../../../handlers/ports/network-acl';
import { FileAclLease } from '../../../local/adapters/acl-lease';
import { StateFileError } from '../../../local/adapters/files';
import { FileNetworkAclPort, NetworkAclRequestError, defaultNetworkAclIdOf, type VpcLayout } from '../../../local/adapters/network-acl';
import { fixedClock, useTempDir } from './temp-dir';

const VPC = 'vpc-0a1b2c3d4e5f67890';
const DEFAULT_ACL = defaultNetworkAclIdOf(VPC);
const LAYOUT: VpcLayout = {
  vpcId: VPC,
  subnets: [{ subnetId: 'subnet-01' }, { subnetId: 'subnet-02' }, { subnetId: 'subnet-03', networkAclId: 'acl-0web' }],
  interfaces: [
    { interfaceId: 'eni-0a', subnetId: 'subnet-01' },
    { interfaceId: 'eni-0b', subnetId: 'subnet-02' },
    { interfaceId: 'eni-0c', subnetId: 'subnet-03' },
  ],
  networkAcls: [{ networkAclId: 'acl-0web', entries: [{ ruleNumber: 100, egress: false, ruleAction: 'allow', protocol: '6', cidr: '0.0.0.0/0' }] }],
};
const deny = (ruleNumber: number, cidr: string, egress = false): NetworkAclEntry => ({ ruleNumber, egress, ruleAction: 'deny', protocol: '-1', cidr });

describe('FileNetworkAclPort', () => {
  const tmp = useTempDir();
  const file = (): string => path.join(tmp.path, 'network-acls.json');

  describe('seeding from the VPC layout', () => {
    it('gives the VPC a default ACL with EC2\'s default rules, used by every subnet not given another', async () => {
      const port = new FileNetworkAclPort(file(), { layout: LAYOUT });
      expect(DEFAULT_ACL).toMatch(/^acl-0[0-9a-f]{16}$/);
      expect(await port.describe(DEFAULT_ACL)).toEqual([
        { ruleNumber: 100, egress: false, ruleAction: 'allow', protocol: '-1', cidr: '0.0.0.0/0' },
        { ruleNumber: 32767, egress: false, ruleAction: 'deny', protocol: '-1', cidr: '0.0.0.0/0' },
        { ruleNumber: 100, egress: true, ruleAction: 'allow', protocol: '-1', cidr: '0.0.0.0/0' },
        { ruleNumber: 32767, egress: true, ruleAction: 'deny', protocol: '-1', cidr: '0.0.0.0/0' },
      ]);
      // A created ACL has only the deny-all rule, plus what the layout adds.
      expect(await port.describe('acl-0web')).toEqual([
        { ruleNumber: 100, egress: false, ruleAction: 'allow', protocol: '6', cidr: '0.0.0.0/0' },
        { ruleNumber: 32767, egress: false, ruleAction: 'deny', protocol: '-1', cidr: '0.0.0.0/0' },
        { ruleNumber: 32767, egress: true, ruleAction: 'deny', protocol: '-1', cidr: '0.0.0.0/0' },
      ]);
      expect(JSON.parse(await fs.readFile(file(), 'utf8'))).toMatchObject({ vpcId: VPC });
    });

    it('adds the IPv6 rules (101 allow, 32768 deny) for a VPC with IPv6', async () => {
      const port = new FileNetworkAclPort(file(), { layout: { ...LAYOUT, ipv6: true } });
      const inbound = (await port.describe(DEFAULT_ACL)).filter((e) => !e.egress);
      expect(inbound.map((e) => [e.ruleNumber, e.ruleAction, e.cidr])).toEqual([
        [100, 'allow', '0.0.0.0/0'],
        [101, 'allow', '::/0'],
        [32767, 'deny', '0.0.0.0/0'],
        [32768, 'deny', '::/0'],
      ]);
    });

    it('answers which ACLs guard which interfaces\' subnets; unknown interfaces are absent', async () => {
      const port = new FileNetworkAclPort(file(), { layout: LAYOUT });
      const expected = [
        { networkAclId: 'acl-0web', vpcId: VPC, subnetIds: ['subnet-03'], interfaceIds: ['eni-0c'] },
        { networkAclId: DEFAULT_ACL, vpcId: VPC, subnetIds: ['subnet-01', 'subnet-02'], interfaceIds: ['eni-0a', 'eni-0b'] },
      ].sort((a, b) => (a.networkAclId < b.networkAclId ? -1 : 1));
      expect(await port.aclsForInterfaces(['eni-0a', 'eni-0b', 'eni-0c', 'eni-0gone'])).toEqual(expected);
    });

    it('refuses a layout EC2 could not have', () => {
      expect(() => new FileNetworkAclPort(file(), { layout: LAYOUT, quota: 41 })).toThrow(RangeError);
      const bad = (layout: VpcLayout) => new FileNetworkAclPort(file(), { layout }).describe(DEFAULT_ACL);
      return Promise.all([
        expect(bad({ vpcId: VPC, subnets: [{ subnetId: 'subnet-01', networkAclId: 'acl-0nope' }] })).rejects.toThrow(NetworkAclNotFoundError),
        expect(bad({ vpcId: VPC, subnets: [], interfaces: [{ interfaceId: 'eni-0a', subnetId: 'subnet-09' }] })).rejects.toThrow(NetworkAclRequestError),
        expect(bad({ vpcId: VPC, subnets: [], networkAcls: [{ networkAclId: 'acl-0x', entries: [deny(5, '203.0.113.1/32'), deny(5, '203.0.113.2/32')] }] })).rejects.toThrow(NetworkAclEntryExistsError),
      ]);
    });

    it('keeps what it holds once the file exists, across instances; without file or layout there are no ACLs', async () => {
      await new FileNetworkAclPort(file(), { layout: LAYOUT }).createEntry(DEFAULT_ACL, deny(1, '203.0.113.50/32'));
      const again = new FileNetworkAclPort(file(), { layout: { vpcId: 'vpc-0ffffffffffffffff', subnets: [] } });
      expect(await again.describe(DEFAULT_ACL)).toContainEqual(deny(1, '203.0.113.50/32'));
      const none = new FileNetworkAclPort(path.join(tmp.path, 'none.json'));
      await expect(none.describe(DEFAULT_ACL)).rejects.toThrow(NetworkAclNotFoundError);
      expect(await none.aclsForInterfaces(['eni-0a'])).toEqual([]);
    });

    it('names a broken file', async () => {
      await fs.writeFile(file(), JSON.stringify({ vpcId: VPC, networkAcls: [{ networkAclId: 'acl-1' }], interfaces: [] }));
      await expect(new FileNetworkAclPort(file()).describe('acl-1')).rejects.toThrow(StateFileError);
    });
  });

  describe('EC2\'s rules', () => {
    it('rule numbers 1 to 32766, unique per ACL and direction', async () => {
      const port = new FileNetworkAclPort(file(), { layout: LAYOUT });
      await port.createEntry(DEFAULT_ACL, deny(1, '203.0.113.50/32'));
      await expect(port.createEntry(DEFAULT_ACL, deny(1, '203.0.113.51/32'))).rejects.toThrow(new NetworkAclEntryExistsError(`The network acl entry identified by 1 already exists (${DEFAULT_ACL}, ingress)`));
      await expect(port.createEntry(DEFAULT_ACL, deny(100, '203.0.113.51/32'))).rejects.toThrow(NetworkAclEntryExistsError);
      await port.createEntry(DEFAULT_ACL, deny(1, '203.0.113.50/32', true));
      await port.createEntry('acl-0web', deny(1, '203.0.113.50/32'));
      for (const n of [0, 32767, 32768, 1.5]) await expect(port.createEntry(DEFAULT_ACL, deny(n, '203.0.113.52/32'))).rejects.toThrow(NetworkAclRequestError);
      await expect(port.createEntry('acl-0gone', deny(2, '203.0.113.52/32'))).rejects.toThrow(NetworkAclNotFoundError);
    });

    it('the quota per ACL, direction and IP version, the default rules included', async () => {
      const port = new FileNetworkAclPort(file(), { layout: { ...LAYOUT, ipv6: true } });
      for (let n = 1; n <= 18; n++) await port.createEntry(DEFAULT_ACL, deny(n, `203.0.113.${n}/32`));
      await expect(port.createEntry(DEFAULT_ACL, deny(19, '203.0.113.19/32'))).rejects.toThrow(NetworkAclLimitError);
      await port.createEntry(DEFAULT_ACL, deny(19, '2001:db8::19/128'));
      await port.createEntry(DEFAULT_ACL, deny(19, '203.0.113.19/32', true));
      const raised = new FileNetworkAclPort(path.join(tmp.path, 'raised.json'), { layout: LAYOUT, quota: 40 });
      for (let n = 1; n <= 38; n++) await raised.createEntry(DEFAULT_ACL, deny(n, `203.0.113.${n}/32`));
      await expect(raised.createEntry(DEFAULT_ACL, deny(39, '203.0.113.39/32'))).rejects.toThrow(NetworkAclLimitError);
    });

    it('stores CIDRs canonically and refuses malformed ones and protocols', async () => {
      const port = new FileNetworkAclPort(file(), { layout: LAYOUT });
      await port.createEntry(DEFAULT_ACL, deny(1, '100.68.0.18/18'));
      await port.createEntry(DEFAULT_ACL, deny(2, '2001:DB8:0::7/128'));
      expect((await port.describe(DEFAULT_ACL)).slice(0, 2).map((e) => e.cidr)).toEqual(['100.68.0.0/18', '2001:db8::7/128']);
      await expect(port.createEntry(DEFAULT_ACL, deny(3, '203.0.113.1'))).rejects.toThrow(NetworkAclRequestError);
      await expect(port.createEntry(DEFAULT_ACL, { ...deny(3, '203.0.113.1/32'), protocol: 'tcp' })).rejects.toThrow(NetworkAclRequestError);
    });

    it('entries are deleted, never modified: replacing one is a delete and a create; a missing or default rule cannot be deleted', async () => {
      const port = new FileNetworkAclPort(file(), { layout: LAYOUT });
      await port.createEntry(DEFAULT_ACL, deny(1, '203.0.113.50/32'));
      await port.deleteEntry(DEFAULT_ACL, 1, false);
      await port.createEntry(DEFAULT_ACL, deny(1, '203.0.113.51/32'));
      expect((await port.describe(DEFAULT_ACL)).filter((e) => e.ruleNumber === 1)).toEqual([deny(1, '203.0.113.51/32')]);
      await expect(port.deleteEntry(DEFAULT_ACL, 1, true)).rejects.toThrow(NetworkAclEntryNotFoundError);
      await expect(port.deleteEntry(DEFAULT_ACL, 7, false)).rejects.toThrow(/InvalidNetworkAclEntry.NotFound/);
      await expect(port.deleteEntry(DEFAULT_ACL, 32767, false)).rejects.toThrow(NetworkAclRequestError);
      await expect(port.deleteEntry('acl-0gone', 1, false)).rejects.toThrow(NetworkAclNotFoundError);
    });

    it('of concurrent creates of one rule number (two instances on one file), exactly one wins', async () => {
      const a = new FileNetworkAclPort(file(), { layout: LAYOUT });
      const b = new FileNetworkAclPort(file(), { layout: LAYOUT });
      const results = await Promise.allSettled(Array.from({ length: 20 }, (_, i) => (i % 2 === 0 ? a : b).createEntry(DEFAULT_ACL, deny(5, `203.0.113.${i}/32`))));
      expect(results.filter((r) => r.status === 'fulfilled')).toHaveLength(1);
      expect(results.filter((r) => r.status === 'rejected' && r.reason instanceof NetworkAclEntryExistsError)).toHaveLength(19);
      expect((await a.describe(DEFAULT_ACL)).filter((e) => e.ruleNumber === 5)).toHaveLength(1);
    });
  });
});

describe('FileAclLease', () => {
  const tmp = useTempDir();

  it('one owner at a time per ACL; an expired lease is taken over; only the owner releases', async () => {
    const clock = fixedClock('2026-12-04T21:00:00.000Z');
    const lease = new FileAclLease(path.join(tmp.path, 'acl-leases.json'), clock);
    expect(await lease.acquire('acl-0a', 'exec-a/1', 30)).toEqual({ acquired: true, expiresAt: new Date('2026-12-04T21:00:30.000Z') });
    expect(await lease.acquire('acl-0a', 'exec-b/1', 30)).toEqual({ acquired: false, heldBy: 'exec-a/1', expiresAt: new Date('2026-12-04T21:00:30.000Z') });
    expect(await lease.acquire('acl-0b', 'exec-b/1', 30)).toMatchObject({ acquired: true });
    clock.set('2026-12-04T21:00:30.001Z');
    expect(await lease.acquire('acl-0a', 'exec-b/2', 30)).toMatchObject({ acquired: true });
    await lease.release('acl-0a', 'exec-a/1');
    expect(await lease.acquire('acl-0a', 'exec-c/1', 30)).toMatchObject({ acquired: false, heldBy: 'exec-b/2' });
    await lease.release('acl-0a', 'exec-b/2');
    expect(await lease.acquire('acl-0a', 'exec-c/1', 30)).toMatchObject({ acquired: true });
  });

  it('of concurrent callers on two instances of one file, exactly one gets the lease', async () => {
    const file = path.join(tmp.path, 'acl-leases.json');
    const a = new FileAclLease(file);
    const b = new FileAclLease(file);
    const grants = await Promise.all(Array.from({ length: 20 }, (_, i) => (i % 2 === 0 ? a : b).acquire('acl-0a', `exec-${i}/1`, 30)));
    expect(grants.filter((g) => g.acquired)).toHaveLength(1);
  });

  it('names a broken file', async () => {
    const file = path.join(tmp.path, 'acl-leases.json');
    await fs.writeFile(file, '{"leases": {"acl-0a": {"owner": 1}}}');
    await expect(new FileAclLease(file).acquire('acl-0a', 'x', 30)).rejects.toThrow(StateFileError);
  });
});
