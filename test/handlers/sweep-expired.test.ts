import type { BlockInput } from '../../workflows/contract';
import { containmentWorld } from './mocks/containment-world';
import { executionFor, finding } from './mocks/fixtures';

function blockInput(source: string, blockSeconds: number): BlockInput {
  const f = finding(source);
  return { finding: f, executionName: executionFor(f), blockSeconds };
}

function statusChange(name: string, status: string): Record<string, unknown> {
  return {
    version: '0',
    'detail-type': 'Step Functions Execution Status Change',
    source: 'aws.states',
    detail: { executionArn: `arn:aws:states:us-east-1:123456789012:execution:flowir-incident:${name}`, name, status },
  };
}

const SCHEDULED = { 'detail-type': 'Scheduled Event', source: 'aws.events', time: '2025-11-22T12:00:00Z', detail: {} };

describe('sweep-expired handler', () => {
  it('releases every expired block and keeps the live ones', async () => {
    const w = containmentWorld({ pageSize: 2 });
    const short = ['203.0.113.1', '203.0.113.2', '203.0.113.3'].map((s) => blockInput(s, 600));
    const long = ['203.0.113.4', '2001:db8::4'].map((s) => blockInput(s, 7200));
    for (const b of [...short, ...long]) await w.block(b);

    w.clock.advance(599);
    expect((await w.sweep(SCHEDULED)).released).toEqual([]);
    w.clock.advance(1);
    const updatesBefore = w.waf.stats.updates;
    const out = await w.sweep(SCHEDULED);

    expect(out.released.map((r) => r.cidr).sort()).toEqual(['203.0.113.1/32', '203.0.113.2/32', '203.0.113.3/32']);
    expect(out.released.every((r) => r.reason === 'expired')).toBe(true);
    expect(out.endedExecution).toBeNull();
    expect(w.v4()).toEqual(['203.0.113.4/32']);
    expect(w.v6()).toEqual(['2001:db8::4/128']);
    // One IP set write for the three expired addresses of the IPv4 set (WAF allows about one per second).
    expect(w.waf.stats.updates - updatesBefore).toBe(1);
    expect(w.table.items()).toHaveLength(2);
  });

  it.each(['ABORTED', 'FAILED', 'TIMED_OUT'])('releases the blocks of an execution that ended %s before their expiry', async (status) => {
    const w = containmentWorld();
    const stopped = blockInput('203.0.113.1', 86400);
    const running = blockInput('203.0.113.2', 86400);
    await w.block(stopped);
    await w.block(running);

    const out = await w.sweep(statusChange(stopped.executionName, status));
    expect(out.endedExecution).toBe(stopped.executionName);
    expect(out.released).toEqual([{ cidr: '203.0.113.1/32', executionName: stopped.executionName, reason: 'execution-ended' }]);
    expect(w.v4()).toEqual(['203.0.113.2/32']);
  });

  it('leaves the blocks of a SUCCEEDED or RUNNING execution to that execution', async () => {
    const w = containmentWorld();
    const b = blockInput('203.0.113.1', 86400);
    await w.block(b);
    for (const status of ['SUCCEEDED', 'RUNNING']) {
      const out = await w.sweep(statusChange(b.executionName, status));
      expect(out).toMatchObject({ endedExecution: null, released: [] });
    }
    expect(w.v4()).toEqual(['203.0.113.1/32']);
  });

  it('refuses a status-change event without a status or a valid name', async () => {
    const w = containmentWorld();
    await expect(w.sweep({ 'detail-type': 'Step Functions Execution Status Change', detail: { name: 'x' } })).rejects.toThrow(/^event\.detail\.status: /);
    await expect(w.sweep(statusChange('not a name', 'FAILED'))).rejects.toThrow(/^event\.detail\.name: /);
  });
});
