import { UpdateIPSetCommand, WAFOptimisticLockException } from '@aws-sdk/client-wafv2';
import 'aws-sdk-client-mock-jest';
import { IpSetBusyError } from '../../handlers/containment/ip-set-update';
import { TaskInputError } from '../../handlers/task-input';
import type { BlockInput } from '../../workflows/contract';
import { containmentWorld } from './mocks/containment-world';
import { IPV4_SET, IPV6_SET } from './mocks/fake-waf';
import { executionFor, finding, T0 } from './mocks/fixtures';

const DAY = 86400;

function input(source: string, blockSeconds = DAY, detection: 'PORT_SCAN' | 'SUSPICIOUS_PORT_ACCESS' = 'PORT_SCAN'): BlockInput {
  const f = finding(source, detection);
  return { finding: f, executionName: executionFor(f), blockSeconds };
}

describe('block handler', () => {
  it('adds a public IPv4 source as /32 to the IPv4 set and records the block with its expiry', async () => {
    const w = containmentWorld();
    w.waf.set(IPV4_SET).addresses = ['192.0.2.7/32'];
    const out = await w.block(input('203.0.113.50'));

    expect(out).toEqual({
      status: 'blocked',
      blocked: ['203.0.113.50/32'],
      ipSet: { name: IPV4_SET.name, id: IPV4_SET.id, scope: 'REGIONAL' },
      blockedAt: T0.toISOString(),
      expiresAt: new Date(T0.getTime() + DAY * 1000).toISOString(),
      durationSeconds: DAY,
      // No network ACL access in this world: a WAF-only block does not stop a port scan.
      contained: false,
      uncontainedReason: expect.stringContaining('does not stop a port scan') as unknown,
      networkAclEntries: [],
      networkAclCovered: [],
      networkAclRefusals: [],
    });
    expect(w.v4()).toEqual(['192.0.2.7/32', '203.0.113.50/32']);
    const records = await w.registry.byExecution(executionFor(finding('203.0.113.50')));
    expect(records).toEqual([expect.objectContaining({ cidr: '203.0.113.50/32', expiresAt: out.status === 'blocked' ? out.expiresAt : '', findingId: finding('203.0.113.50').id })]);
  });

  it('keeps the IP set description that UpdateIPSet would otherwise clear', async () => {
    const w = containmentWorld();
    const before = w.waf.set(IPV4_SET).description;
    await w.block(input('203.0.113.50'));
    expect(before).toBeDefined();
    expect(w.waf.set(IPV4_SET).description).toBe(before);
  });

  it('puts an IPv6 source as /128 in the IPv6 set, in canonical form', async () => {
    const w = containmentWorld();
    const out = await w.block(input('2001:db8::42'));
    expect(out.status).toBe('blocked');
    expect(w.v6()).toEqual(['2001:db8::42/128']);
    expect(w.v4()).toEqual([]);
    if (out.status === 'blocked') expect(out.ipSet.id).toBe(IPV6_SET.id);
  });

  it('is idempotent: running the step again writes nothing and returns the same block', async () => {
    const w = containmentWorld();
    const first = await w.block(input('203.0.113.50'));
    const updates = w.waf.stats.updates;
    w.clock.advance(120);
    const again = await w.block(input('203.0.113.50'));
    expect(again).toEqual(first);
    expect(w.waf.stats.updates).toBe(updates);
    expect(w.table.items()).toHaveLength(1);
  });

  it.each([
    ['10.0.30.40', 'vpc-cidr'],
    ['192.168.1.9', 'private-range'],
    ['198.51.100.3', 'allowlisted'],
    ['224.0.0.5', 'not-a-host'],
  ])('refuses %s (guardrail %s) and leaves the IP set and the registry untouched', async (source, guardrail) => {
    const w = containmentWorld();
    const out = await w.block(input(source));
    expect(out).toEqual({ status: 'guarded', guardrail, reason: expect.any(String) });
    expect(w.waf.mock).toHaveReceivedCommandTimes(UpdateIPSetCommand, 0);
    expect(w.table.items()).toHaveLength(0);
  });

  it('caps blocks per hour, counting blocks placed in the last hour only', async () => {
    const w = containmentWorld({ guardrails: { maxBlocksPerHour: 2 } });
    expect((await w.block(input('203.0.113.1'))).status).toBe('blocked');
    expect((await w.block(input('203.0.113.2'))).status).toBe('blocked');
    const third = await w.block(input('203.0.113.3'));
    expect(third).toMatchObject({ status: 'guarded', guardrail: 'rate-limit' });
    expect(w.v4()).toEqual(['203.0.113.1/32', '203.0.113.2/32']);
    // A retry of an execution that already blocked is not a new block: the cap does not refuse it.
    expect((await w.block(input('203.0.113.1'))).status).toBe('blocked');

    w.clock.advance(3601);
    expect((await w.block(input('203.0.113.3'))).status).toBe('blocked');
  });

  it('holds the hourly cap under concurrency: 50 incidents at once under a cap of 20 make exactly 20 blocks', async () => {
    const w = containmentWorld({ guardrails: { maxBlocksPerHour: 20 } });
    const sources = Array.from({ length: 50 }, (_, i) => `203.0.113.${i + 1}`);
    const outs = await Promise.all(sources.map((s) => w.block(input(s))));

    expect(outs.filter((o) => o.status === 'blocked')).toHaveLength(20);
    const refused = outs.filter((o) => o.status === 'guarded');
    expect(refused).toHaveLength(30);
    expect(refused.every((o) => o.status === 'guarded' && o.guardrail === 'rate-limit' && /20 blocks this hour \(since 10:00 UTC\) reach the cap of 20 per hour/.test(o.reason))).toBe(true);
    expect(w.v4()).toHaveLength(20);
    expect(w.table.items()).toHaveLength(20);
    expect(w.budgetCounters()).toEqual({ '2025-11-22T10': 20 });
  });

  it('refuses when the IP set already holds 10,000 addresses, and removes its record again', async () => {
    const w = containmentWorld();
    w.waf.set(IPV4_SET).addresses = Array.from({ length: 10_000 }, (_, i) => `45.64.${i >> 8}.${i & 255}/32`);
    const out = await w.block(input('203.0.113.50'));
    expect(out).toMatchObject({ status: 'guarded', guardrail: 'ip-set-limit' });
    expect(w.waf.set(IPV4_SET).addresses).toHaveLength(10_000);
    expect(w.table.items()).toHaveLength(0);
  });

  it('turns WAFLimitsExceededException into a guarded outcome and removes its record', async () => {
    const w = containmentWorld({ wafLimit: 2 });
    w.waf.set(IPV4_SET).addresses = ['192.0.2.1/32', '192.0.2.2/32'];
    const out = await w.block(input('203.0.113.50'));
    expect(out).toMatchObject({ status: 'guarded', guardrail: 'ip-set-limit', reason: expect.stringContaining('WAF refused') });
    expect(w.v4()).toEqual(['192.0.2.1/32', '192.0.2.2/32']);
    expect(w.table.items()).toHaveLength(0);
  });

  it('loses no address when many incidents block at once on the same IP set', async () => {
    const w = containmentWorld();
    w.waf.set(IPV4_SET).addresses = ['192.0.2.99/32'];
    const sources = Array.from({ length: 12 }, (_, i) => `203.0.113.${i + 1}`);
    const outs = await Promise.all(sources.map((s) => w.block(input(s))));

    expect(outs.every((o) => o.status === 'blocked')).toBe(true);
    expect(w.v4()).toEqual([...sources.map((s) => `${s}/32`), '192.0.2.99/32'].sort());
    // The writers did collide, and the stale lock tokens were refused and retried.
    expect(w.waf.stats.staleRefusals).toBeGreaterThan(0);
    expect(w.table.items()).toHaveLength(12);
  });

  it('records a second incident on an address already blocked, so releasing the first keeps it', async () => {
    const w = containmentWorld();
    const scan = input('203.0.113.50', DAY, 'PORT_SCAN');
    const ssh = input('203.0.113.50', DAY, 'SUSPICIOUS_PORT_ACCESS');
    await w.block(scan);
    const tokenBefore = w.waf.set(IPV4_SET).lockToken;
    expect((await w.block(ssh)).status).toBe('blocked');
    expect(w.v4()).toEqual(['203.0.113.50/32']);
    // The unchanged list is written once, so a release that read the set earlier must read it again.
    expect(w.waf.set(IPV4_SET).lockToken).not.toBe(tokenBefore);

    await w.release({ finding: scan.finding, executionName: scan.executionName });
    expect(w.v4()).toEqual(['203.0.113.50/32']);
    await w.release({ finding: ssh.finding, executionName: ssh.executionName });
    expect(w.v4()).toEqual([]);
  });

  it('gives up with IpSetBusyError after a bounded number of attempts, backing off with full jitter', async () => {
    const delays: number[] = [];
    const w = containmentWorld({ retry: { maxAttempts: 5, baseDelayMs: 100, maxDelayMs: 250, sleep: async (ms) => void delays.push(ms), random: () => 0.999 } });
    w.waf.mock.on(UpdateIPSetCommand).rejects(new WAFOptimisticLockException({ message: 'changed', $metadata: {} }));
    await expect(w.block(input('203.0.113.50'))).rejects.toThrow(IpSetBusyError);
    expect(w.waf.mock).toHaveReceivedCommandTimes(UpdateIPSetCommand, 5);
    // 0.999 of min(cap, base * 2^n): 100, 200, then capped at 250.
    expect(delays).toEqual([99, 199, 249, 249]);
  });

  it('refuses bad input with an error that names the field', async () => {
    const w = containmentWorld();
    const good = input('203.0.113.50');
    await expect(w.block({ ...good, finding: { ...good.finding, source: '203.0.113.51' } })).rejects.toThrow(/finding\.id: expected "PORT_SCAN:203\.0\.113\.51:1763805600"/);
    await expect(w.block({ ...good, blockSeconds: 0 })).rejects.toThrow(TaskInputError);
    await expect(w.block({ ...good, blockSeconds: 0 })).rejects.toThrow(/^blockSeconds: /);
    await expect(w.block({ ...good, executionName: 'bad name!' })).rejects.toThrow(/^executionName: /);
    expect(w.waf.mock).toHaveReceivedCommandTimes(UpdateIPSetCommand, 0);
  });
});
