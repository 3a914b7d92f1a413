import { affinity, sharesObject } from '../../../local/history/same-json';
import { matchCalls, type TaskAttempt, type TaskCall } from '../../../local/history/task-calls';

const attempt = (state: string, startSeq: number, startMs: number, input: unknown, end: TaskAttempt['end'] = null): TaskAttempt => ({ state, startSeq, startMs, input, end, call: null });
const call = (state: string, seq: number, calledAtMs: number, input: unknown, outcome: TaskCall['outcome'] = { ok: true, outputJson: '{}' }): TaskCall => ({ state, seq, input, inputJson: JSON.stringify(input), calledAtMs, settledAtMs: calledAtMs, outcome });

describe('matchCalls', () => {
  it('pairs calls with attempts in start order', () => {
    const a = attempt('Probe', 1, 100, { host: 'a' }, { ok: true, ms: 110 });
    const b = attempt('Probe', 5, 105, { host: 'b' }, { ok: true, ms: 106 });
    const c1 = call('Probe', 0, 100, { host: 'a' });
    const c2 = call('Probe', 1, 105, { host: 'b' });
    matchCalls([b, a], [c2, c1]);
    expect(a.call).toBe(c1);
    expect(b.call).toBe(c2);
  });

  it('breaks a tie between iterations that started in the same millisecond by the objects the parameters share with the state input', () => {
    const ruleA = { detection: 'PORT_SCAN' };
    const ruleB = { detection: 'SUSPICIOUS_PORT_ACCESS' };
    const laneA = attempt('StartQuery', 1, 100, { rule: ruleA });
    const laneB = attempt('StartQuery', 2, 100, { rule: ruleB });
    // The runner happened to call lane B's handler first.
    const first = call('StartQuery', 0, 100, { queryString: 'x', rule: ruleB });
    const second = call('StartQuery', 1, 100, { queryString: 'y', rule: ruleA });
    matchCalls([laneA, laneB], [first, second]);
    expect(laneB.call).toBe(first);
    expect(laneA.call).toBe(second);
  });

  it('breaks a tie by copied text when the parameters take strings from the state input', () => {
    const laneA = attempt('StartQuery', 1, 100, { rule: { queryString: 'fields @message | filter a' } });
    const laneB = attempt('StartQuery', 2, 100, { rule: { queryString: 'fields @message | filter b' } });
    const first = call('StartQuery', 0, 100, { QueryString: 'fields @message | filter b', Limit: 10000 });
    const second = call('StartQuery', 1, 100, { QueryString: 'fields @message | filter a', Limit: 10000 });
    matchCalls([laneA, laneB], [first, second]);
    expect(laneB.call).toBe(first);
    expect(laneA.call).toBe(second);
  });

  it('leaves an attempt that failed before its handler ran without a call', () => {
    const broken = attempt('Notify', 1, 100, { x: 1 }, { ok: false, ms: 100, error: 'States.Runtime' });
    const next = attempt('Notify', 2, 200, { x: 2 }, { ok: true, ms: 210 });
    const only = call('Notify', 0, 200, { x: 2 });
    matchCalls([broken, next], [only]);
    expect(broken.call).toBeNull();
    expect(next.call).toBe(only);
  });

  it('does not give a failed attempt a call that succeeded, nor a succeeded attempt a call that failed', () => {
    const failed = attempt('T', 1, 100, {}, { ok: false, ms: 120, error: 'Boom' });
    const ok = attempt('T', 2, 100, {}, { ok: true, ms: 130 });
    const good = call('T', 0, 100, {}, { ok: true, outputJson: '1' });
    const bad = call('T', 1, 100, {}, { ok: false, error: 'Boom', cause: 'x' });
    matchCalls([failed, ok], [good, bad]);
    expect(ok.call).toBe(good);
    expect(failed.call).toBe(bad);
  });
});

describe('affinity', () => {
  it('counts shared objects and long strings, not short ones', () => {
    expect(affinity({ id: 'PORT_SCAN:203.0.113.50', n: 'ab' }, { x: { id: 'PORT_SCAN:203.0.113.50' }, n: 'ab' })).toBe(1);
    expect(affinity({ n: 'ab', k: 1 }, { n: 'ab', k: 1 })).toBe(0);
  });
});

describe('sharesObject', () => {
  it('finds an object reachable from both values', () => {
    const shared = { a: [1, 2] };
    expect(sharesObject({ p: { q: shared } }, [{ r: shared }])).toBe(true);
    expect(sharesObject({ p: { a: [1, 2] } }, { a: [1, 2] })).toBe(false);
    expect(sharesObject(1, 1)).toBe(false);
  });
});
