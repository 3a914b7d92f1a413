import { UpdateIPSetCommand } from '@aws-sdk/client-wafv2';
import 'aws-sdk-client-mock-jest';
import type { BlockRegistry } from '../../handlers/ports';
import type { BlockInput } from '../../workflows/contract';
import { containmentWorld } from './mocks/containment-world';
import { IPV4_SET } from './mocks/fake-waf';
import { executionFor, finding, T0 } from './mocks/fixtures';

function blockInput(source: string, detection: 'PORT_SCAN' | 'SUSPICIOUS_PORT_ACCESS' = 'PORT_SCAN'): BlockInput {
  const f = finding(source, detection);
  return { finding: f, executionName: executionFor(f), blockSeconds: 3600 };
}

describe('release handler', () => {
  it("removes this execution's block from the IP set and the registry, and only that", async () => {
    const w = containmentWorld();
    w.waf.set(IPV4_SET).addresses = ['192.0.2.7/32'];
    const a = blockInput('203.0.113.1');
    const b = blockInput('203.0.113.2');
    await w.block(a);
    await w.block(b);
    w.clock.advance(3600);

    const out = await w.release({ finding: a.finding, executionName: a.executionName });
    expect(out).toEqual({ released: ['203.0.113.1/32'], releasedAt: new Date(T0.getTime() + 3600_000).toISOString() });
    expect(w.v4()).toEqual(['192.0.2.7/32', '203.0.113.2/32']);
    expect(await w.registry.byExecution(a.executionName)).toEqual([]);
    expect(await w.registry.byExecution(b.executionName)).toHaveLength(1);
  });

  it('is idempotent: a second release finds nothing and writes nothing', async () => {
    const w = containmentWorld();
    const a = blockInput('203.0.113.1');
    await w.block(a);
    await w.release({ finding: a.finding, executionName: a.executionName });
    const updates = w.waf.stats.updates;
    const again = await w.release({ finding: a.finding, executionName: a.executionName });
    expect(again.released).toEqual([]);
    expect(w.waf.stats.updates).toBe(updates);
  });

  it('finishes a release that crashed after the IP set update (the record is still there)', async () => {
    const w = containmentWorld();
    const a = blockInput('203.0.113.1');
    await w.block(a);
    w.waf.set(IPV4_SET).addresses = [];
    const out = await w.release({ finding: a.finding, executionName: a.executionName });
    expect(out.released).toEqual(['203.0.113.1/32']);
    expect(w.table.items()).toHaveLength(0);
    expect(w.waf.mock).toHaveReceivedCommandTimes(UpdateIPSetCommand, 1);
  });

  it('keeps an address that a block placed during the release still needs', async () => {
    // The race: the release reads the set, finds no other block of the address, and before it
    // writes, another incident blocks the same address (the address is already there, so it only
    // records its block). The release must not remove the address from under the new block.
    const scan = blockInput('203.0.113.50', 'PORT_SCAN');
    const ssh = blockInput('203.0.113.50', 'SUSPICIOUS_PORT_ACCESS');
    let blockDuringRelease: (() => Promise<unknown>) | undefined;
    const w = containmentWorld({
      registry: (real: BlockRegistry): BlockRegistry => ({
        put: (b) => real.put(b),
        byExecution: (e) => real.byExecution(e),
        expired: (t) => real.expired(t),
        remove: (c, e) => real.remove(c, e),
        countSince: (t) => real.countSince(t),
        byCidr: async (c) => {
          const answer = await real.byCidr(c);
          const run = blockDuringRelease;
          blockDuringRelease = undefined;
          if (run) await run();
          return answer;
        },
      }),
    });
    await w.block(scan);
    blockDuringRelease = () => w.block(ssh);

    const out = await w.release({ finding: scan.finding, executionName: scan.executionName });
    expect(out.released).toEqual(['203.0.113.50/32']);
    expect(w.v4()).toEqual(['203.0.113.50/32']);
    expect(await w.registry.byExecution(ssh.executionName)).toHaveLength(1);
    expect(w.waf.stats.staleRefusals).toBe(1);
  });

  it('releases concurrently with blocks of other addresses without losing any of them', async () => {
    const w = containmentWorld();
    const old = Array.from({ length: 6 }, (_, i) => blockInput(`203.0.113.${i + 1}`));
    for (const b of old) await w.block(b);
    const fresh = Array.from({ length: 6 }, (_, i) => blockInput(`198.51.100.${100 + i}`));
    await Promise.all([...old.map((b) => w.release({ finding: b.finding, executionName: b.executionName })), ...fresh.map((b) => w.block(b))]);
    expect(w.v4()).toEqual(fresh.map((b) => `${b.finding.source}/32`).sort());
    expect(w.table.items()).toHaveLength(6);
  });

  it('refuses input without a valid execution name', async () => {
    const w = containmentWorld();
    const a = blockInput('203.0.113.1');
    await expect(w.release({ finding: a.finding, executionName: '' })).rejects.toThrow(/^executionName: /);
  });
});
