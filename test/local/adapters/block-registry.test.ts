import * as path from 'node:path';
import type { BlockRecord } from '../../../handlers/ports';
import { BlockRecordError, FileBlockRegistry } from '../../../local/adapters/block-registry';
import { fixedClock, useTempDir } from './temp-dir';

const ipSet = { name: 'flowir-blocked-v4', id: 'local-v4', scope: 'REGIONAL', version: 4 } as const;
const block = (cidr: string, executionName: string, blockedAt: string, expiresAt: string): BlockRecord => ({ cidr, ipSet, executionName, findingId: `PORT_SCAN:${cidr.split('/')[0]}:1763805600`, blockedAt, expiresAt });

describe('FileBlockRegistry', () => {
  const tmp = useTempDir();
  const clock = fixedClock('2025-11-22T12:00:00Z');
  const registry = (): FileBlockRegistry => new FileBlockRegistry(path.join(tmp.path, 'blocks.json'), clock);

  it('finds blocks by execution and by CIDR, and expired ones by the given time', async () => {
    const r = registry();
    await r.put(block('203.0.113.50/32', 'exec-a', '2025-11-22T10:00:00Z', '2025-11-23T10:00:00Z'));
    await r.put(block('198.51.100.7/32', 'exec-b', '2025-11-22T10:30:00Z', '2025-11-22T11:30:00Z'));
    await r.put(block('203.0.113.50/32', 'exec-c', '2025-11-22T11:00:00Z', '2025-11-23T11:00:00Z'));
    expect((await r.byExecution('exec-a')).map((b) => b.cidr)).toEqual(['203.0.113.50/32']);
    expect((await r.byCidr('203.0.113.50/32')).map((b) => b.executionName)).toEqual(['exec-a', 'exec-c']);
    expect((await r.expired('2025-11-22T11:30:00Z')).map((b) => b.executionName)).toEqual(['exec-b']);
    expect(await r.expired('2025-11-22T11:29:59Z')).toEqual([]);
  });

  it('replaces the record of the same CIDR and execution (a retried step)', async () => {
    const r = registry();
    await r.put(block('203.0.113.50/32', 'exec-a', '2025-11-22T10:00:00Z', '2025-11-23T10:00:00Z'));
    await r.put(block('203.0.113.50/32', 'exec-a', '2025-11-22T10:00:00Z', '2025-11-23T12:00:00Z'));
    expect(await r.byExecution('exec-a')).toEqual([block('203.0.113.50/32', 'exec-a', '2025-11-22T10:00:00Z', '2025-11-23T12:00:00Z')]);
  });

  it('forgets a removed block for lookups but still counts it as placed in the last hour', async () => {
    const r = registry();
    await r.put(block('203.0.113.50/32', 'exec-a', '2025-11-22T11:10:00Z', '2025-11-23T11:10:00Z'));
    await r.put(block('198.51.100.7/32', 'exec-b', '2025-11-22T10:10:00Z', '2025-11-23T10:10:00Z'));
    await r.remove('203.0.113.50/32', 'exec-a');
    await r.remove('203.0.113.50/32', 'exec-a');
    expect(await r.byExecution('exec-a')).toEqual([]);
    expect(await r.byCidr('203.0.113.50/32')).toEqual([]);
    expect(await r.countSince('2025-11-22T11:00:00Z')).toBe(1);
    expect(await r.countSince('2025-11-22T10:00:00Z')).toBe(2);
  });

  it('keeps every record when many are put at once', async () => {
    const r = registry();
    await Promise.all(Array.from({ length: 20 }, (_, i) => r.put(block(`192.0.2.${i}/32`, `exec-${i}`, '2025-11-22T11:00:00Z', '2025-11-23T11:00:00Z'))));
    expect(await r.countSince('2025-11-22T00:00:00Z')).toBe(20);
  });

  it('refuses times that are not ISO 8601', async () => {
    await expect(registry().put(block('192.0.2.1/32', 'e', 'yesterday', '2025-11-23T11:00:00Z'))).rejects.toBeInstanceOf(BlockRecordError);
    await expect(registry().expired('soon')).rejects.toBeInstanceOf(BlockRecordError);
  });
});
