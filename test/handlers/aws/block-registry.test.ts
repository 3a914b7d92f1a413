import { PutCommand } from '@aws-sdk/lib-dynamodb';
import { BlockItemError, DynamoBlockRegistry } from '../../../handlers/aws/block-registry';
import type { BlockRecord } from '../../../handlers/ports';
import { fakeBlockTable } from '../mocks/fake-documents';
import { IPV4_SET, IPV6_SET } from '../mocks/fake-waf';

const TABLE = 'flowir-test-blocks';

function record(cidr: string, executionName: string, blockedAt: string, expiresAt: string): BlockRecord {
  return { cidr, ipSet: cidr.includes(':') ? IPV6_SET : IPV4_SET, executionName, findingId: `PORT_SCAN:${cidr.split('/')[0]}:1763805600`, blockedAt, expiresAt };
}

describe('DynamoBlockRegistry', () => {
  const records = [
    record('203.0.113.1/32', 'exec-a', '2025-11-22T10:00:00.000Z', '2025-11-22T11:00:00.000Z'),
    record('203.0.113.1/32', 'exec-b', '2025-11-22T10:10:00.000Z', '2025-11-23T10:10:00.000Z'),
    record('203.0.113.2/32', 'exec-a', '2025-11-22T10:00:01.000Z', '2025-11-22T11:00:01.000Z'),
    record('2001:db8::7/128', 'exec-c', '2025-11-22T10:20:00.000Z', '2025-11-22T10:50:00.000Z'),
    record('203.0.113.3/32', 'exec-d', '2025-11-22T10:30:00.000Z', '2025-11-22T12:00:00.000Z'),
  ];

  async function filled(pageSize: number) {
    const table = fakeBlockTable(TABLE, { pageSize });
    const registry = new DynamoBlockRegistry(table.client, TABLE);
    for (const r of records) await registry.put(r);
    return { table, registry };
  }

  it.each([1, 2, 100])('reads every page of a query (page size %i)', async (pageSize) => {
    const { registry } = await filled(pageSize);
    expect(await registry.byExecution('exec-a')).toEqual([records[0], records[2]]);
    expect((await registry.byCidr('203.0.113.1/32')).map((r) => r.executionName)).toEqual(['exec-a', 'exec-b']);
    expect((await registry.expired('2025-11-22T11:00:00.000Z')).map((r) => `${r.cidr} ${r.executionName}`).sort()).toEqual(['2001:db8::7/128 exec-c', '203.0.113.1/32 exec-a']);
    expect(await registry.countSince('2025-11-22T10:10:00.000Z')).toBe(3);
  });

  it('round-trips a record exactly, IP set reference included', async () => {
    const { registry } = await filled(100);
    expect(await registry.byCidr('2001:db8::7/128')).toEqual([records[3]]);
  });

  it('compares times as instants, whatever ISO form they are given in', async () => {
    const { registry } = await filled(100);
    expect(await registry.countSince('2025-11-22T11:10:00+01:00')).toBe(3);
    expect(await registry.expired('2025-11-22T12:00:00+01:00')).toHaveLength(2);
  });

  it('removes one (cidr, execution) pair and leaves the other execution of the same address', async () => {
    const { registry } = await filled(100);
    await registry.remove('203.0.113.1/32', 'exec-a');
    expect((await registry.byCidr('203.0.113.1/32')).map((r) => r.executionName)).toEqual(['exec-b']);
  });

  it('refuses an item that is not a block record, naming it', async () => {
    const table = fakeBlockTable(TABLE);
    await table.client.send(new PutCommand({ TableName: TABLE, Item: { cidr: '203.0.113.9/32', executionName: 'x', kind: 'block', blockedAt: '2025-11-22T10:00:00.000Z' } }));
    await expect(new DynamoBlockRegistry(table.client, TABLE).byCidr('203.0.113.9/32')).rejects.toThrow(BlockItemError);
    await expect(new DynamoBlockRegistry(table.client, TABLE).byCidr('203.0.113.9/32')).rejects.toThrow(/"203\.0\.113\.9\/32"\/"x": ipSet/);
  });
});
