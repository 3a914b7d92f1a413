import { reconcileNetworkAcl } from '../../../core/containment/network-acl';
import { DynamoAclLease } from '../../../handlers/aws/acl-lease';
import { Ec2NetworkAclPort } from '../../../handlers/aws/network-acl';
import { NetworkAclBusyError, placeNetworkAclDeny, removeNetworkAclDeny, type NetworkAclUpdateDeps, type NetworkAclUpdatePolicy } from '../../../handlers/containment/network-acl-update';
import type { AclLease, NetworkAclEntry, NetworkAclHolding, NetworkAclLedger, NetworkAclPort } from '../../../handlers/ports/network-acl';
import { FileAclLease } from '../../../local/adapters/acl-lease';
import { FileNetworkAclPort } from '../../../local/adapters/network-acl';
import { useTempDir } from '../../local/adapters/temp-dir';
import { defaultAclEntries, fakeEc2, fakeLeaseTable } from '../mocks/fake-ec2';

const ACL = 'acl-0a1b2c3d4e5f60001';
const VPC = 'vpc-0a1b2c3d4e5f67890';
const TABLE = 'flowir-test-blocks';
const EXPIRES = '2099-01-01T00:00:00.000Z';
const tick = (): Promise<void> => new Promise((resolve) => setImmediate(resolve));

/** The registry's network ACL holdings in memory, yielding on every call as a table would. */
class MemoryLedger implements NetworkAclLedger {
  readonly rows = new Map<string, NetworkAclHolding>();
  async holdings(networkAclId: string): Promise<NetworkAclHolding[]> {
    await tick();
    return [...this.rows.values()].filter((h) => h.networkAclId === networkAclId).map((h) => ({ ...h }));
  }
  async record(h: NetworkAclHolding): Promise<void> {
    await tick();
    this.rows.set(`${h.networkAclId}\n${h.cidr}\n${h.executionName}`, { ...h });
  }
  async forget(networkAclId: string, cidr: string, executionName: string): Promise<void> {
    await tick();
    this.rows.delete(`${networkAclId}\n${cidr}\n${executionName}`);
  }
}

const POLICY: NetworkAclUpdatePolicy = {
  lease: { maxAttempts: 100_000, baseDelayMs: 1, maxDelayMs: 4, sleep: (ms) => new Promise((resolve) => setTimeout(resolve, ms)), random: Math.random },
  leaseSeconds: 30,
  leaseMarginMs: 1000,
  maxConflicts: 3,
};

interface World {
  readonly acls: NetworkAclPort;
  readonly lease: AclLease;
  readonly ledger: MemoryLedger;
  readonly deps: NetworkAclUpdateDeps;
}

function awsWorld(options: { ipv6?: boolean; quota?: number; entries?: NetworkAclEntry[] } = {}) {
  const ec2 = fakeEc2({ networkAcls: [{ networkAclId: ACL, vpcId: VPC, isDefault: true, subnetIds: ['subnet-01'], entries: options.entries ?? defaultAclEntries(options.ipv6) }] }, { quota: options.quota });
  const table = fakeLeaseTable(TABLE);
  const acls = new Ec2NetworkAclPort(ec2.client);
  const lease = new DynamoAclLease(table.client, TABLE);
  const ledger = new MemoryLedger();
  return { ec2, table, acls, lease, ledger, deps: { acls, lease, ledger, policy: POLICY } };
}

function localWorld(dir: string, options: { ipv6?: boolean; quota?: number } = {}): World {
  const acls = new FileNetworkAclPort(`${dir}/network-acls.json`, { layout: { vpcId: VPC, ipv6: options.ipv6, defaultNetworkAclId: ACL, subnets: [{ subnetId: 'subnet-01' }] }, quota: options.quota });
  const lease = new FileAclLease(`${dir}/acl-leases.json`);
  const ledger = new MemoryLedger();
  return { acls, lease, ledger, deps: { acls, lease, ledger, policy: POLICY } };
}

const v4 = (i: number): string => `203.0.113.${i + 1}/32`;
const v6 = (i: number): string => `2001:db8::${(i + 1).toString(16)}/128`;
const sorted = (xs: string[]): string[] => [...xs].sort();

/** 50 distinct sources at once on one ACL with the default quota of 20, then all released at once. */
async function fiftyAtOnce(world: World, sources: string[], expectedPerVersion: { v4: number; v6: number }): Promise<void> {
  const outcomes = await Promise.all(sources.map((cidr, i) => placeNetworkAclDeny(world.deps, { networkAclId: ACL, cidr, executionName: `exec-${i}`, expiresAt: EXPIRES })));
  const placed = outcomes.filter((o) => o.ok && o.ruleNumber !== null && o.changed);
  const refused = outcomes.filter((o) => !o.ok);
  expect(placed).toHaveLength(expectedPerVersion.v4 + expectedPerVersion.v6);
  expect(refused.map((o) => (o.ok ? null : o.refusal.guardrail))).toEqual(Array(sources.length - placed.length).fill('nacl-budget'));

  const inbound = (await world.acls.describe(ACL)).filter((e) => !e.egress);
  // No duplicate rule number, and no IP version past the quota.
  expect(new Set(inbound.map((e) => e.ruleNumber)).size).toBe(inbound.length);
  for (const version of [4, 6] as const) {
    const count = inbound.filter((e) => e.cidr.includes(':') === (version === 6)).length;
    if ((version === 4 ? expectedPerVersion.v4 : expectedPerVersion.v6) > 0) expect(count).toBe(20);
  }
  const flowir = inbound.filter((e) => e.ruleNumber < 100);
  expect(flowir.every((e) => e.ruleAction === 'deny' && e.protocol === '-1')).toBe(true);
  expect(flowir.map((e) => e.ruleNumber).sort((a, b) => a - b)).toEqual(Array.from({ length: placed.length }, (_, i) => i + 1));
  // The registry equals the ACL: every flowir entry held once, nothing held that is not there.
  const held = [...world.ledger.rows.values()];
  expect(sorted(held.map((h) => `${h.ruleNumber} ${h.cidr}`))).toEqual(sorted(flowir.map((e) => `${e.ruleNumber} ${e.cidr}`)));
  expect(sorted(placed.map((o) => (o.ok ? `${String(o.ruleNumber)} ${o.cidr}` : '')))).toEqual(sorted(flowir.map((e) => `${e.ruleNumber} ${e.cidr}`)));
  expect(reconcileNetworkAcl(inbound, held)).toMatchObject({ missing: [], unregistered: [] });

  const removed = await Promise.all(sources.map((cidr, i) => removeNetworkAclDeny(world.deps, { networkAclId: ACL, cidr, executionName: `exec-${i}` })));
  expect(removed.flatMap((r) => r.deleted)).toHaveLength(placed.length);
  const after = await world.acls.describe(ACL);
  expect(after.filter((e) => e.ruleNumber < 100)).toEqual([]);
  expect(world.ledger.rows.size).toBe(0);
}

describe('placeNetworkAclDeny / removeNetworkAclDeny', () => {
  const tmp = useTempDir();

  describe('50 concurrent containments of distinct sources on one ACL, quota 20', () => {
    it('over EC2 (aws-sdk-client-mock) with the DynamoDB lease: 18 placed (20 less allow 100 and deny 32767), 32 refused nacl-budget, one writer at a time', async () => {
      const world = awsWorld();
      await fiftyAtOnce(world, Array.from({ length: 50 }, (_, i) => v4(i)), { v4: 18, v6: 0 });
      expect(world.ec2.stats.maxConcurrentCreates).toBe(1);
      expect(world.ec2.stats.refused).toEqual({});
      expect(world.table.items.size).toBe(0);
    });

    it('over the local stand-in with the file lease', async () => {
      await fiftyAtOnce(localWorld(tmp.path), Array.from({ length: 50 }, (_, i) => v4(i)), { v4: 18, v6: 0 });
    });

    it('IPv4 and IPv6 counted apart, on a dual-stack default ACL (100/101 allow, 32767/32768 deny)', async () => {
      const sources = Array.from({ length: 50 }, (_, i) => (i % 2 === 0 ? v4(i) : v6(i)));
      await fiftyAtOnce(awsWorld({ ipv6: true }), sources, { v4: 18, v6: 18 });
      await fiftyAtOnce(localWorld(tmp.path, { ipv6: true }), sources, { v4: 18, v6: 18 });
    });
  });

  it.each(['aws', 'local'] as const)('is idempotent, shares one entry between incidents on one source and deletes it with the last (%s)', async (kind) => {
    const world = kind === 'aws' ? awsWorld() : localWorld(tmp.path);
    const req = { networkAclId: ACL, cidr: '2001:DB8::7', executionName: 'exec-a', expiresAt: EXPIRES };
    expect(await placeNetworkAclDeny(world.deps, req)).toEqual({ ok: true, networkAclId: ACL, cidr: '2001:db8::7/128', ruleNumber: 1, changed: true, coveredBy: null });
    const before = await world.acls.describe(ACL);
    expect(await placeNetworkAclDeny(world.deps, req)).toMatchObject({ ok: true, ruleNumber: 1, changed: false });
    expect(await placeNetworkAclDeny(world.deps, { ...req, executionName: 'exec-b' })).toMatchObject({ ok: true, ruleNumber: 1, changed: false });
    expect(await world.acls.describe(ACL)).toEqual(before);
    expect(before).toContainEqual({ ruleNumber: 1, egress: false, ruleAction: 'deny', protocol: '-1', cidr: '2001:db8::7/128' });
    expect([...world.ledger.rows.values()].map((h) => h.executionName).sort()).toEqual(['exec-a', 'exec-b']);

    expect(await removeNetworkAclDeny(world.deps, { networkAclId: ACL, cidr: '2001:db8::7/128', executionName: 'exec-a' })).toEqual({ networkAclId: ACL, cidr: '2001:db8::7/128', deleted: [], keptFor: ['exec-b'] });
    expect((await world.acls.describe(ACL)).some((e) => e.ruleNumber === 1)).toBe(true);
    expect(await removeNetworkAclDeny(world.deps, { networkAclId: ACL, cidr: '2001:db8::7/128', executionName: 'exec-b' })).toEqual({ networkAclId: ACL, cidr: '2001:db8::7/128', deleted: [1], keptFor: [] });
    expect(await removeNetworkAclDeny(world.deps, { networkAclId: ACL, cidr: '2001:db8::7/128', executionName: 'exec-b' })).toMatchObject({ deleted: [] });
    expect((await world.acls.describe(ACL)).some((e) => e.ruleNumber < 100)).toBe(false);
    expect(world.ledger.rows.size).toBe(0);
  });

  it('deletes an entry whose only other holder has expired', async () => {
    const world = awsWorld();
    await placeNetworkAclDeny(world.deps, { networkAclId: ACL, cidr: '203.0.113.5/32', executionName: 'exec-old', expiresAt: '2000-01-01T00:00:00.000Z' });
    await placeNetworkAclDeny(world.deps, { networkAclId: ACL, cidr: '203.0.113.5/32', executionName: 'exec-new', expiresAt: EXPIRES });
    expect(await removeNetworkAclDeny(world.deps, { networkAclId: ACL, cidr: '203.0.113.5/32', executionName: 'exec-new' })).toMatchObject({ deleted: [1], keptFor: [] });
  });

  describe('NetworkAclEntryAlreadyExists', () => {
    it('injected once: reads again and the retry succeeds', async () => {
      const world = awsWorld();
      world.ec2.failNext('create', 'NetworkAclEntryAlreadyExists');
      expect(await placeNetworkAclDeny(world.deps, { networkAclId: ACL, cidr: '203.0.113.50/32', executionName: 'exec-a', expiresAt: EXPIRES })).toMatchObject({ ok: true, ruleNumber: 1, changed: true });
      expect(world.ec2.stats.refused).toEqual({ NetworkAclEntryAlreadyExists: 1 });
      expect(world.ec2.stats.describes).toBe(2);
      expect(world.ec2.acl(ACL).entries.filter((e) => e.ruleNumber === 1)).toHaveLength(1);
      expect([...world.ledger.rows.values()]).toEqual([{ networkAclId: ACL, ruleNumber: 1, cidr: '203.0.113.50/32', executionName: 'exec-a', expiresAt: EXPIRES }]);
    });

    it('another writer outside flowir took the number: re-plans around its entry and leaves it alone', async () => {
      const world = awsWorld();
      world.ec2.beforeNextCreate((input) => world.ec2.acl(ACL).entries.push({ ruleNumber: input.RuleNumber as number, egress: false, ruleAction: 'allow', protocol: '6', cidr: '192.0.2.0/24' }));
      expect(await placeNetworkAclDeny(world.deps, { networkAclId: ACL, cidr: '203.0.113.50/32', executionName: 'exec-a', expiresAt: EXPIRES })).toMatchObject({ ok: true, ruleNumber: 2, changed: true });
      expect(world.ec2.acl(ACL).entries).toContainEqual({ ruleNumber: 1, egress: false, ruleAction: 'allow', protocol: '6', cidr: '192.0.2.0/24' });
      expect([...world.ledger.rows.values()].map((h) => h.ruleNumber)).toEqual([2]);
      await removeNetworkAclDeny(world.deps, { networkAclId: ACL, cidr: '203.0.113.50/32', executionName: 'exec-a' });
      expect(world.ec2.acl(ACL).entries.filter((e) => e.ruleNumber < 100)).toEqual([{ ruleNumber: 1, egress: false, ruleAction: 'allow', protocol: '6', cidr: '192.0.2.0/24' }]);
    });

    it('the create went through but its answer was lost: finds its own entry and keeps it held (no orphan)', async () => {
      const world = awsWorld();
      world.ec2.beforeNextCreate((input) => world.ec2.acl(ACL).entries.push({ ruleNumber: input.RuleNumber as number, egress: false, ruleAction: 'deny', protocol: '-1', cidr: input.CidrBlock as string }));
      expect(await placeNetworkAclDeny(world.deps, { networkAclId: ACL, cidr: '203.0.113.50/32', executionName: 'exec-a', expiresAt: EXPIRES })).toMatchObject({ ok: true, ruleNumber: 1 });
      expect([...world.ledger.rows.values()].map((h) => `${h.ruleNumber} ${h.cidr}`)).toEqual(['1 203.0.113.50/32']);
      expect(world.ec2.acl(ACL).entries.filter((e) => e.ruleNumber < 100)).toHaveLength(1);
    });

    it('every attempt taken: NetworkAclBusyError, nothing held', async () => {
      const world = awsWorld();
      for (let i = 0; i < 4; i++) world.ec2.failNext('create', 'NetworkAclEntryAlreadyExists');
      await expect(placeNetworkAclDeny(world.deps, { networkAclId: ACL, cidr: '203.0.113.50/32', executionName: 'exec-a', expiresAt: EXPIRES })).rejects.toThrow(NetworkAclBusyError);
      expect(world.ledger.rows.size).toBe(0);
      expect(world.table.items.size).toBe(0);
    });
  });

  it('EC2 refusing a full ACL (quota lower than configured) is the same GUARDED refusal, and nothing stays held', async () => {
    const world = awsWorld({ quota: 2 });
    const out = await placeNetworkAclDeny(world.deps, { networkAclId: ACL, cidr: '203.0.113.50/32', executionName: 'exec-a', expiresAt: EXPIRES, plan: { quota: 40 } });
    expect(out).toMatchObject({ ok: false, refusal: { guardrail: 'nacl-budget', matched: '40' } });
    expect(world.ec2.stats.refused).toEqual({ NetworkAclEntryLimitExceeded: 1 });
    expect(world.ledger.rows.size).toBe(0);
  });

  it('refuses with nacl-rule-order when an allow admitting the source comes before flowir\'s range', async () => {
    const world = awsWorld({ entries: [{ ruleNumber: 1, egress: false, ruleAction: 'allow', protocol: '6', cidr: '0.0.0.0/0' }, ...defaultAclEntries()] });
    expect(await placeNetworkAclDeny(world.deps, { networkAclId: ACL, cidr: '203.0.113.50/32', executionName: 'exec-a', expiresAt: EXPIRES })).toMatchObject({ ok: false, refusal: { guardrail: 'nacl-rule-order', matched: '1' } });
    expect(world.ec2.stats.creates).toBe(0);
  });

  it('forgets the holding and gives the lease back when EC2 fails otherwise', async () => {
    const world = awsWorld();
    world.ec2.failNext('create', 'UnauthorizedOperation');
    await expect(placeNetworkAclDeny(world.deps, { networkAclId: ACL, cidr: '203.0.113.50/32', executionName: 'exec-a', expiresAt: EXPIRES })).rejects.toMatchObject({ name: 'UnauthorizedOperation' });
    expect(world.ledger.rows.size).toBe(0);
    expect(world.table.items.size).toBe(0);
  });

  it('a removal whose entry was deleted by hand still forgets the holding', async () => {
    const world = awsWorld();
    await placeNetworkAclDeny(world.deps, { networkAclId: ACL, cidr: '203.0.113.50/32', executionName: 'exec-a', expiresAt: EXPIRES });
    world.ec2.failNext('delete', 'InvalidNetworkAclEntry.NotFound');
    expect(await removeNetworkAclDeny(world.deps, { networkAclId: ACL, cidr: '203.0.113.50/32', executionName: 'exec-a' })).toMatchObject({ deleted: [] });
    expect(world.ledger.rows.size).toBe(0);
  });

  describe('the lease', () => {
    it('waits for a lease another holder has, and gives up with NetworkAclBusyError', async () => {
      const world = awsWorld();
      expect(await world.lease.acquire(ACL, 'someone-else', 60)).toMatchObject({ acquired: true });
      const policy = { ...POLICY, lease: { ...POLICY.lease, maxAttempts: 3 } };
      await expect(placeNetworkAclDeny({ ...world.deps, policy }, { networkAclId: ACL, cidr: '203.0.113.50/32', executionName: 'exec-a', expiresAt: EXPIRES })).rejects.toThrow(/no lease after 3 attempts \(held by someone-else until /);
      expect(world.ec2.stats.describes).toBe(0);
      await world.lease.release(ACL, 'someone-else');
      expect(await placeNetworkAclDeny({ ...world.deps, policy }, { networkAclId: ACL, cidr: '203.0.113.50/32', executionName: 'exec-a', expiresAt: EXPIRES })).toMatchObject({ ok: true });
    });

    it('does not write on a lease about to run out', async () => {
      const world = awsWorld();
      const policy = { ...POLICY, lease: { ...POLICY.lease, maxAttempts: 2 }, leaseSeconds: 1, leaseMarginMs: 2000 };
      await expect(placeNetworkAclDeny({ ...world.deps, policy }, { networkAclId: ACL, cidr: '203.0.113.50/32', executionName: 'exec-a', expiresAt: EXPIRES })).rejects.toThrow(/2 lease\(s\) ran out before a write/);
      expect(world.ec2.stats.creates).toBe(0);
      expect(world.ledger.rows.size).toBe(0);
    });
  });
});
