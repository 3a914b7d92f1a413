import { DEFAULT_CONFIG, parseConfig, type FlowirConfig } from '../../../core/detection/config';
import { DetectionEvaluator, type Evaluation } from '../../../core/detection/evaluator';
import type { Finding } from '../../../core/detection/findings';
import type { DetectionId } from '../../../core/detection/rules';
import type { Action, Count, DetectionRecord } from '../../../core/flowlog/record';

const UNTIL = 1763805600; // 2025-11-22T10:00:00Z, a whole hour
const HOUR = 3600;
const FROM = UNTIL - HOUR;

const rec = (srcaddr: string, dstport: number, bytes: Count, start: number, action: Action = 'ACCEPT'): DetectionRecord => ({ srcaddr, dstport, bytes, start, action });

/** `until` 'default' leaves the window end to the evaluator (the next whole hour after the latest start). */
function evaluate(records: readonly DetectionRecord[], config: FlowirConfig = DEFAULT_CONFIG, until: number | 'default' = UNTIL, windowSeconds?: number): Evaluation {
  const e = new DetectionEvaluator({ config, ...(until !== 'default' ? { until } : {}), ...(windowSeconds !== undefined ? { windowSeconds } : {}) });
  for (const r of records) e.add(r);
  return e.finish(0);
}

const times = (n: number, make: (i: number) => DetectionRecord): DetectionRecord[] => Array.from({ length: n }, (_, i) => make(i));
const only = (e: Evaluation, detection: DetectionId): Finding[] => e.findings.filter((f) => f.detection === detection);

describe('the window [until - window, until)', () => {
  it('takes a record starting exactly at until - window and refuses one starting at until', () => {
    const e = evaluate([rec('203.0.113.1', 80, 1, FROM - 1), rec('203.0.113.1', 80, 1, FROM), rec('203.0.113.1', 80, 1, UNTIL - 1), rec('203.0.113.1', 80, 1, UNTIL)]);
    expect(e.window).toEqual({ start: FROM, end: UNTIL });
    expect(e.inWindow).toBe(2);
    expect(e.outOfWindow).toBe(2);
  });

  it('counts only in-window records towards a finding', () => {
    const threshold = 3;
    const config = parseConfig({ detections: { HIGH_CONNECTION_COUNT: { threshold } } });
    const edge = [FROM - 1, FROM, FROM + 1, UNTIL - 1, UNTIL].map((t) => rec('203.0.113.1', 80, 1, t));
    expect(only(evaluate(edge, config), 'HIGH_CONNECTION_COUNT')).toEqual([]); // 3 in window: at the threshold
    expect(only(evaluate([...edge, rec('203.0.113.1', 80, 1, FROM + 2)], config), 'HIGH_CONNECTION_COUNT')[0]?.value).toBe(4);
  });

  it('uses the window length it is given', () => {
    const e = evaluate([rec('203.0.113.1', 80, 1, UNTIL - 900), rec('203.0.113.1', 80, 1, UNTIL - 901)], DEFAULT_CONFIG, UNTIL, 900);
    expect(e.window).toEqual({ start: UNTIL - 900, end: UNTIL });
    expect([e.inWindow, e.outOfWindow]).toEqual([1, 1]);
  });
});

describe('thresholds are strict: at the threshold no finding, one over a finding', () => {
  const src = '198.51.100.23';

  it('HIGH_CONNECTION_COUNT: count of records > 1,000', () => {
    const at = times(1000, (i) => rec(src, 443, 100, FROM + (i % HOUR)));
    expect(evaluate(at).findings).toEqual([]);
    const over = evaluate([...at, rec(src, 443, 100, UNTIL - 1)]);
    expect(over.findings).toEqual([
      {
        id: `HIGH_CONNECTION_COUNT:${src}:${UNTIL}`,
        detection: 'HIGH_CONNECTION_COUNT',
        severity: 'WARNING',
        source: src,
        port: null,
        value: 1001,
        threshold: 1000,
        window: { start: FROM, end: UNTIL },
      },
    ]);
  });

  it('HIGH_TRAFFIC_VOLUME: sum of bytes > 10^9 (decimal GB)', () => {
    const at = [rec(src, 443, 600_000_000, FROM), rec(src, 443, 400_000_000, FROM + 60)];
    expect(evaluate(at).findings).toEqual([]);
    const over = evaluate([...at, rec(src, 443, 1, FROM + 120)]);
    expect(over.findings).toEqual([
      {
        id: `HIGH_TRAFFIC_VOLUME:${src}:${UNTIL}`,
        detection: 'HIGH_TRAFFIC_VOLUME',
        severity: 'WARNING',
        source: src,
        port: null,
        value: 1_000_000_001,
        threshold: 1_000_000_000,
        window: { start: FROM, end: UNTIL },
      },
    ]);
  });

  it('PORT_SCAN: distinct dstport over REJECT records > 50', () => {
    const at = [
      ...times(50, (i) => rec(src, 1000 + i, 40, FROM + i, 'REJECT')),
      ...times(50, (i) => rec(src, 1000 + i, 40, FROM + 100 + i, 'REJECT')), // the same ports again: still 50 distinct
      ...times(20, (i) => rec(src, 5000 + i, 40, FROM + 200 + i, 'ACCEPT')), // accepted ports do not count
    ];
    expect(only(evaluate(at), 'PORT_SCAN')).toEqual([]);
    const over = evaluate([...at, rec(src, 1050, 40, FROM + 300, 'REJECT')]);
    expect(only(over, 'PORT_SCAN')).toEqual([
      { id: `PORT_SCAN:${src}:${UNTIL}`, detection: 'PORT_SCAN', severity: 'CRITICAL', source: src, port: null, value: 51, threshold: 50, window: { start: FROM, end: UNTIL } },
    ]);
  });

  it('SUSPICIOUS_PORT_ACCESS: REJECT records per suspicious dstport > 10', () => {
    const at = [
      ...times(10, (i) => rec(src, 22, 60, FROM + i, 'REJECT')),
      ...times(30, (i) => rec(src, 22, 60, FROM + 100 + i, 'ACCEPT')), // accepted: not counted
      ...times(30, (i) => rec(src, 2222, 60, FROM + 200 + i, 'REJECT')), // not a watched port
      ...times(10, (i) => rec(src, 3389, 60, FROM + 300 + i, 'REJECT')), // another port, counted on its own
    ];
    expect(only(evaluate(at), 'SUSPICIOUS_PORT_ACCESS')).toEqual([]);
    const over = evaluate([...at, rec(src, 22, 60, UNTIL - 1, 'REJECT')]);
    expect(only(over, 'SUSPICIOUS_PORT_ACCESS')).toEqual([
      {
        id: `SUSPICIOUS_PORT_ACCESS:${src}:22:${UNTIL}`,
        detection: 'SUSPICIOUS_PORT_ACCESS',
        severity: 'CRITICAL',
        source: src,
        port: 22,
        value: 11,
        threshold: 10,
        window: { start: FROM, end: UNTIL },
      },
    ]);
  });

  it.each([22, 23, 3389, 445, 135, 139])('SUSPICIOUS_PORT_ACCESS watches port %i by default', (port) => {
    const e = evaluate(times(11, (i) => rec('203.0.113.9', port, 1, FROM + i, 'REJECT')));
    expect(only(e, 'SUSPICIOUS_PORT_ACCESS').map((f) => f.port)).toEqual([port]);
  });

  it('uses configured thresholds, severities and watched ports', () => {
    const config = parseConfig({
      suspiciousPorts: [8080],
      detections: { SUSPICIOUS_PORT_ACCESS: { threshold: 2, severity: 'WARNING' }, PORT_SCAN: { threshold: 0 } },
    });
    const e = evaluate(times(3, (i) => rec('203.0.113.9', i === 0 ? 22 : 8080, 1, FROM + i, 'REJECT')), config);
    expect(only(e, 'SUSPICIOUS_PORT_ACCESS')).toEqual([]); // 22 is no longer watched; 8080 has 2 (at the threshold)
    expect(only(e, 'PORT_SCAN')[0]).toMatchObject({ value: 2, threshold: 0 });
    const e2 = evaluate(times(4, (i) => rec('203.0.113.9', i === 0 ? 22 : 8080, 1, FROM + i, 'REJECT')), config);
    expect(only(e2, 'SUSPICIOUS_PORT_ACCESS')[0]).toMatchObject({ port: 8080, value: 3, threshold: 2, severity: 'WARNING' });
  });
});

describe('exact byte sums', () => {
  it('sums above 2^32 exactly', () => {
    const e = evaluate(times(5, (i) => rec('203.0.113.7', 443, 1_000_000_007, FROM + i)));
    expect(only(e, 'HIGH_TRAFFIC_VOLUME')[0]?.value).toBe(5_000_000_035);
  });

  it('sums past 2^53 exactly, as a bigint', () => {
    const e = evaluate([rec('203.0.113.7', 443, Number.MAX_SAFE_INTEGER, FROM), rec('203.0.113.7', 443, 2, FROM + 1), rec('203.0.113.7', 443, 1, FROM + 2)]);
    expect(only(e, 'HIGH_TRAFFIC_VOLUME')[0]?.value).toBe(9007199254740994n); // 2^53 + 2: a double would round this
  });

  it('sums bigint counts with number counts', () => {
    const e = evaluate([rec('203.0.113.7', 443, 18446744073709551615n, FROM), rec('203.0.113.7', 443, 1, FROM + 1)]);
    expect(only(e, 'HIGH_TRAFFIC_VOLUME')[0]?.value).toBe(18446744073709551616n);
  });

  it('compares a bigint sum with the threshold exactly', () => {
    const max = Number.MAX_SAFE_INTEGER;
    const config = parseConfig({ detections: { HIGH_TRAFFIC_VOLUME: { threshold: max } } });
    const at = [rec('203.0.113.7', 443, max - 1, FROM), rec('203.0.113.7', 443, 1, FROM + 1)];
    expect(only(evaluate(at, config), 'HIGH_TRAFFIC_VOLUME')).toEqual([]);
    expect(only(evaluate([...at, rec('203.0.113.7', 443, 1, FROM + 2)], config), 'HIGH_TRAFFIC_VOLUME')[0]?.value).toBe(9007199254740992n);
  });
});

describe('allowlists and disabled detections', () => {
  const noisy = (src: string): DetectionRecord[] => times(60, (i) => rec(src, 1000 + i, 20_000_000, FROM + i, 'REJECT'));

  it('drops findings whose source is in an allowlisted CIDR, and reports them apart', () => {
    const config = parseConfig({ allowlist: ['198.51.100.0/24', '2001:db8:aaaa::/48'] });
    const e = evaluate([...noisy('198.51.100.200'), ...noisy('203.0.113.50'), ...noisy('2001:db8:aaaa::1'), ...noisy('2001:db8:bbbb::1')], config);
    expect(new Set(e.findings.map((f) => f.source))).toEqual(new Set(['203.0.113.50', '2001:db8:bbbb::1']));
    expect(e.findings.map((f) => f.detection).sort()).toEqual(['HIGH_TRAFFIC_VOLUME', 'HIGH_TRAFFIC_VOLUME', 'PORT_SCAN', 'PORT_SCAN']);
    expect(e.allowlisted.map((f) => f.id).sort()).toEqual([
      `HIGH_TRAFFIC_VOLUME:198.51.100.200:${UNTIL}`,
      `HIGH_TRAFFIC_VOLUME:2001:db8:aaaa::1:${UNTIL}`,
      `PORT_SCAN:198.51.100.200:${UNTIL}`,
      `PORT_SCAN:2001:db8:aaaa::1:${UNTIL}`,
    ]);
  });

  it('an allowlisted CIDR boundary is exact', () => {
    const config = parseConfig({ allowlist: ['203.0.113.0/25'] });
    const e = evaluate([...noisy('203.0.113.127'), ...noisy('203.0.113.128')], config);
    expect(new Set(e.findings.map((f) => f.source))).toEqual(new Set(['203.0.113.128']));
  });

  it.each<DetectionId>(['PORT_SCAN', 'SUSPICIOUS_PORT_ACCESS', 'HIGH_TRAFFIC_VOLUME', 'HIGH_CONNECTION_COUNT'])('a disabled %s gives no finding, the others still do', (id) => {
    const everything = [...times(1001, (i) => rec('203.0.113.66', i < 60 ? 1000 + i : 22, 1_000_000, FROM + (i % HOUR), 'REJECT'))];
    const all = evaluate(everything);
    expect(new Set(all.findings.map((f) => f.detection))).toEqual(new Set(['PORT_SCAN', 'SUSPICIOUS_PORT_ACCESS', 'HIGH_TRAFFIC_VOLUME', 'HIGH_CONNECTION_COUNT']));
    const e = evaluate(everything, parseConfig({ detections: { [id]: { enabled: false } } }));
    expect(e.findings.map((f) => f.detection)).not.toContain(id);
    expect(e.findings).toHaveLength(3);
  });
});

describe('finding order', () => {
  it('lists the most urgent first: by detection, then largest value, then source', () => {
    const config = parseConfig({ detections: { HIGH_CONNECTION_COUNT: { threshold: 1 }, PORT_SCAN: { threshold: 1 } } });
    const e = evaluate(
      [
        ...times(2, (i) => rec('203.0.113.2', 100 + i, 1, FROM + i, 'REJECT')),
        ...times(3, (i) => rec('203.0.113.3', 100 + i, 1, FROM + i, 'REJECT')),
        ...times(2, (i) => rec('203.0.113.1', 100 + i, 1, FROM + i, 'REJECT')),
      ],
      config,
    );
    expect(e.findings.map((f) => `${f.detection} ${f.source} ${String(f.value)}`)).toEqual([
      'PORT_SCAN 203.0.113.3 3',
      'PORT_SCAN 203.0.113.1 2',
      'PORT_SCAN 203.0.113.2 2',
      'HIGH_CONNECTION_COUNT 203.0.113.3 3',
      'HIGH_CONNECTION_COUNT 203.0.113.1 2',
      'HIGH_CONNECTION_COUNT 203.0.113.2 2',
    ]);
  });
});

describe('default until: the next whole hour after the latest start', () => {
  const H = UNTIL - 2 * HOUR; // 08:00; the input covers 08:00..10:00
  const attacker = '203.0.113.50';
  // 60 rejected ports in the first hour only, and 55 in the second: only the second hour's may count.
  const firstHour = times(60, (i) => rec(attacker, 2000 + i, 100, H + i * 30, 'REJECT'));
  const secondHour = times(55, (i) => rec(attacker, 3000 + i, 100, H + HOUR + i * 30, 'REJECT'));

  it.each([
    ['in time order', [...firstHour, ...secondHour]],
    ['newest first', [...secondHour, ...firstHour]],
    ['interleaved', firstHour.flatMap((r, i) => [r, ...(secondHour[i] ? [secondHour[i]] : [])])],
  ])('a two-hour input is scanned over its last hour (%s)', (_order, records) => {
    const e = evaluate(records, DEFAULT_CONFIG, 'default');
    expect(e.window).toEqual({ start: H + HOUR, end: UNTIL });
    expect(e.inWindow).toBe(55);
    expect(e.outOfWindow).toBe(60);
    expect(e.findings).toEqual([expect.objectContaining({ id: `PORT_SCAN:${attacker}:${UNTIL}`, value: 55 })]);
  });

  it('an input that ends exactly on the hour gets the next hour as its window', () => {
    const e = evaluate([rec(attacker, 80, 1, UNTIL - HOUR - 1), rec(attacker, 80, 1, UNTIL)], DEFAULT_CONFIG, 'default');
    expect(e.window).toEqual({ start: UNTIL, end: UNTIL + HOUR });
    expect([e.inWindow, e.outOfWindow]).toEqual([1, 1]);
  });

  it('a window that is not a divisor of the hour still ends on the hour and keeps exactly its records', () => {
    const w = 5400; // 1.5 h: buckets of 30 minutes
    const records = [UNTIL - w - 1, UNTIL - w, UNTIL - w + 1799, UNTIL - w + 1800, UNTIL - 1].map((t) => rec(attacker, 80, 1, t));
    for (const order of [records, [...records].reverse()]) {
      const e = evaluate(order, DEFAULT_CONFIG, 'default', w);
      expect(e.window).toEqual({ start: UNTIL - w, end: UNTIL });
      expect([e.inWindow, e.outOfWindow]).toEqual([4, 1]);
    }
  });

  it('with no records at all, the window ends at the next whole hour after now', () => {
    const e = new DetectionEvaluator({ config: DEFAULT_CONFIG }).finish(UNTIL + 10);
    expect(e.window).toEqual({ start: UNTIL, end: UNTIL + HOUR });
    expect(e.findings).toEqual([]);
  });
});

// A seeded generator, so that a failure is reproducible.
function prng(seed: number): () => number {
  let s = seed >>> 0;
  return () => {
    s = (s + 0x6d2b79f5) >>> 0;
    let t = s;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** Straight counting over a list, the way the DESIGN table reads: the oracle for the evaluator. */
function oracle(records: readonly DetectionRecord[], config: FlowirConfig, until: number, seconds: number): string[] {
  const inWin = records.filter((r) => r.start >= until - seconds && r.start < until);
  const out: string[] = [];
  const d = config.detections;
  for (const src of new Set(inWin.map((r) => r.srcaddr))) {
    const mine = inWin.filter((r) => r.srcaddr === src);
    const bytes = mine.reduce((s, r) => s + BigInt(r.bytes), 0n);
    const rejected = mine.filter((r) => r.action === 'REJECT');
    if (mine.length > d.HIGH_CONNECTION_COUNT.threshold) out.push(`HIGH_CONNECTION_COUNT:${src}:${until} ${mine.length}`);
    if (bytes > BigInt(d.HIGH_TRAFFIC_VOLUME.threshold)) out.push(`HIGH_TRAFFIC_VOLUME:${src}:${until} ${bytes}`);
    const ports = new Set(rejected.map((r) => r.dstport));
    if (ports.size > d.PORT_SCAN.threshold) out.push(`PORT_SCAN:${src}:${until} ${ports.size}`);
    for (const p of config.suspiciousPorts) {
      const n = rejected.filter((r) => r.dstport === p).length;
      if (n > d.SUSPICIOUS_PORT_ACCESS.threshold) out.push(`SUSPICIOUS_PORT_ACCESS:${src}:${p}:${until} ${n}`);
    }
  }
  return out.sort();
}

const summary = (e: Evaluation): string[] => e.findings.map((f) => `${f.id} ${String(f.value)}`).sort();

describe('agrees with straight counting on random input', () => {
  const config = parseConfig({
    suspiciousPorts: [22, 3389],
    detections: {
      HIGH_CONNECTION_COUNT: { threshold: 40 },
      HIGH_TRAFFIC_VOLUME: { threshold: 30_000 },
      PORT_SCAN: { threshold: 8 },
      SUSPICIOUS_PORT_ACCESS: { threshold: 3 },
    },
  });

  function randomRecords(seed: number, n: number, span: number, end: number): DetectionRecord[] {
    const rnd = prng(seed);
    return times(n, () =>
      rec(`203.0.113.${Math.floor(rnd() * 12)}`, rnd() < 0.3 ? (rnd() < 0.5 ? 22 : 3389) : Math.floor(rnd() * 30), Math.floor(rnd() * 2000), end - 1 - Math.floor(rnd() * span), rnd() < 0.6 ? 'REJECT' : 'ACCEPT'),
    );
  }

  it.each([1, 2, 3, 4, 5])('seed %i: three hours in random order, default until, windows of 1 h, 45 min and 100 min', (seed) => {
    const records = randomRecords(seed, 2000, 3 * HOUR, UNTIL);
    const latest = Math.max(...records.map((r) => r.start));
    const until = Math.floor(latest / HOUR) * HOUR + HOUR;
    for (const seconds of [HOUR, 2700, 6000]) {
      const e = evaluate(records, config, 'default', seconds);
      const expected = oracle(records, config, until, seconds);
      expect(expected.length).toBeGreaterThan(0);
      expect(summary(e)).toEqual(expected);
      expect(e.inWindow + e.outOfWindow).toBe(records.length);
      expect(e.inWindow).toBe(records.filter((r) => r.start >= until - seconds && r.start < until).length);
    }
  });

  it.each([6, 7])('seed %i: a given until', (seed) => {
    const records = randomRecords(seed, 2000, 3 * HOUR, UNTIL + HOUR);
    const e = evaluate(records, config, UNTIL);
    expect(summary(e)).toEqual(oracle(records, config, UNTIL, HOUR));
    expect(e.inWindow + e.outOfWindow).toBe(records.length);
  });

  describe('merge(): two evaluators merged equal one that saw everything', () => {
    const split = (records: DetectionRecord[], seed: number): [DetectionRecord[], DetectionRecord[]] => {
      const rnd = prng(seed);
      const a: DetectionRecord[] = [];
      const b: DetectionRecord[] = [];
      for (const r of records) (rnd() < 0.5 ? a : b).push(r);
      return [a, b];
    };

    const merged = (a: readonly DetectionRecord[], b: readonly DetectionRecord[], until?: number): Evaluation => {
      const options = { config, ...(until !== undefined ? { until } : {}) };
      const left = new DetectionEvaluator(options);
      const right = new DetectionEvaluator(options);
      for (const r of a) left.add(r);
      for (const r of b) right.add(r);
      left.merge(right.state());
      return left.finish(0);
    };

    it.each([11, 12, 13])('seed %i, random split, default until', (seed) => {
      const records = randomRecords(seed, 2000, 3 * HOUR, UNTIL);
      const [a, b] = split(records, seed);
      const one = evaluate(records, config, 'default');
      const two = merged(a, b);
      expect(summary(two)).toEqual(summary(one));
      expect([two.window, two.inWindow, two.outOfWindow]).toEqual([one.window, one.inWindow, one.outOfWindow]);
    });

    it('seed 14, random split, given until', () => {
      const records = randomRecords(14, 2000, 3 * HOUR, UNTIL + HOUR);
      const [a, b] = split(records, 14);
      const one = evaluate(records, config, UNTIL);
      const two = merged(a, b, UNTIL);
      expect(summary(two)).toEqual(summary(one));
      expect([two.inWindow, two.outOfWindow]).toEqual([one.inWindow, one.outOfWindow]);
    });

    it('one side saw only old records: they fall out of the merged window', () => {
      const old = times(50, (i) => rec('203.0.113.1', i, 10, UNTIL - 3 * HOUR + i, 'REJECT'));
      const recent = [rec('203.0.113.2', 80, 10, UNTIL - 10)];
      for (const [a, b] of [
        [recent, old],
        [old, recent],
      ]) {
        const two = merged(a as DetectionRecord[], b as DetectionRecord[]);
        expect(two.window).toEqual({ start: FROM, end: UNTIL });
        expect([two.inWindow, two.outOfWindow]).toEqual([1, 50]);
        expect(two.findings).toEqual([]);
      }
    });

    it('merging leaves the other evaluator untouched', () => {
      const left = new DetectionEvaluator({ config });
      const right = new DetectionEvaluator({ config });
      right.add(rec('203.0.113.1', 22, 10, UNTIL - 10, 'REJECT'));
      left.merge(right.state());
      for (let i = 0; i < 5; i++) left.add(rec('203.0.113.1', 22, 10, UNTIL - 10, 'REJECT'));
      expect(only(left.finish(0), 'SUSPICIOUS_PORT_ACCESS')[0]?.value).toBe(6);
      expect(right.finish(0).inWindow).toBe(1);
      expect(only(right.finish(0), 'SUSPICIOUS_PORT_ACCESS')).toEqual([]);
    });
  });
});
