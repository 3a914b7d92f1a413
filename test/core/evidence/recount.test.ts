import { DEFAULT_CONFIG } from '../../../core/detection/config';
import { DetectionEvaluator } from '../../../core/detection/evaluator';
import { makeFinding, type Finding } from '../../../core/detection/findings';
import type { DetectionId } from '../../../core/detection/rules';
import { FindingRecount, recountFinding } from '../../../core/evidence';
import { FlowLogFormat } from '../../../core/flowlog/format';
import { parseLine } from '../../../core/flowlog/record';
import { countToData } from '../../../core/incident';
import { generateSample } from '../../../core/sample';

const UNTIL = 1763805600;
const window = { start: UNTIL - 3600, end: UNTIL };
const SRC = '203.0.113.50';

/** A version 2 record line. */
function v2(o: { src?: string; dport?: number | '-'; bytes?: number | bigint | string; start?: number; action?: 'ACCEPT' | 'REJECT'; status?: string }): string {
  const start = o.start ?? window.start + 100;
  return `2 123456789012 eni-0a1b2c3d ${o.src ?? SRC} 10.0.1.20 51515 ${o.dport ?? 443} 6 3 ${String(o.bytes ?? 180)} ${start} ${start + 4} ${o.action ?? 'REJECT'} ${o.status ?? 'OK'}`;
}

const finding = (detection: DetectionId, value: number | bigint, port: number | null = null, source = SRC): Finding => makeFinding(DEFAULT_CONFIG, detection, source, port, value, window);

describe('recountFinding agrees with the evaluator', () => {
  it('gives every finding of a generated sample its exact value, on the same records', () => {
    const lines: string[] = [];
    for (const o of generateSample({ records: 4000, seed: 11, until: UNTIL })) lines.push(...o.lines);
    const evaluator = new DetectionEvaluator({ config: DEFAULT_CONFIG, until: UNTIL });
    for (const l of lines) {
      const r = parseLine(l, FlowLogFormat.V2);
      if (r.kind === 'record') evaluator.add(r.record);
    }
    const { findings } = evaluator.finish();
    expect(new Set(findings.map((f) => f.detection))).toEqual(new Set(['PORT_SCAN', 'SUSPICIOUS_PORT_ACCESS', 'HIGH_TRAFFIC_VOLUME', 'HIGH_CONNECTION_COUNT']));
    for (const f of findings) {
      const r = recountFinding(f, lines);
      expect({ id: f.id, value: r.value, confirmed: r.confirmed }).toEqual({ id: f.id, value: countToData(f.value), confirmed: true });
    }
  });
});

describe('recountFinding semantics', () => {
  it('PORT_SCAN counts distinct REJECT destination ports of the source in [start, end)', () => {
    const lines = [
      ...Array.from({ length: 50 }, (_, i) => v2({ dport: 1000 + i })),
      v2({ dport: 1000 }), // a repeated port counts once
      v2({ dport: 2000, action: 'ACCEPT' }), // accepted: not a probe that failed
      v2({ dport: 2001, status: 'NODATA' }),
      v2({ dport: '-' }),
      v2({ dport: 2002, start: window.end }), // the window end is outside
      v2({ dport: 2003, start: window.start - 1 }),
      v2({ dport: 2004, src: '198.51.100.7' }),
    ];
    const r = recountFinding(finding('PORT_SCAN', 53), lines);
    expect(r).toMatchObject({ value: 50, reportedValue: 53, threshold: 50, confirmed: false });
    expect(r.records).toEqual({ read: 57, matched: 52, outOfWindow: 2, otherSources: 1, skipped: 2, malformed: 0 });

    const one = recountFinding(finding('PORT_SCAN', 53), [...lines, v2({ dport: 3000, start: window.start })]);
    expect(one).toMatchObject({ value: 51, confirmed: true });
  });

  it('SUSPICIOUS_PORT_ACCESS counts REJECT records on the finding port only', () => {
    const lines = [...Array.from({ length: 11 }, () => v2({ dport: 22 })), v2({ dport: 22, action: 'ACCEPT' }), ...Array.from({ length: 20 }, () => v2({ dport: 3389 }))];
    expect(recountFinding(finding('SUSPICIOUS_PORT_ACCESS', 11, 22), lines)).toMatchObject({ value: 11, confirmed: true });
    expect(recountFinding(finding('SUSPICIOUS_PORT_ACCESS', 11, 22), lines.slice(1))).toMatchObject({ value: 10, confirmed: false });
  });

  it('HIGH_CONNECTION_COUNT counts every OK record, accepted or rejected', () => {
    const lines = [...Array.from({ length: 600 }, () => v2({ action: 'ACCEPT' })), ...Array.from({ length: 401 }, () => v2({}))];
    expect(recountFinding(finding('HIGH_CONNECTION_COUNT', 1001), lines)).toMatchObject({ value: 1001, confirmed: true });
  });

  it('HIGH_TRAFFIC_VOLUME sums bytes exactly beyond 2^53', () => {
    const lines = [v2({ bytes: '9007199254740991', action: 'ACCEPT' }), v2({ bytes: 2, action: 'ACCEPT' })];
    expect(recountFinding(finding('HIGH_TRAFFIC_VOLUME', 9007199254740993n), lines)).toMatchObject({ value: '9007199254740993', reportedValue: '9007199254740993', confirmed: true });
  });

  it('matches an IPv6 source whatever way the finding spells it', () => {
    const lines = Array.from({ length: 11 }, () => v2({ src: '2001:db8::1', dport: 22 }));
    const f = { ...finding('SUSPICIOUS_PORT_ACCESS', 11, 22, '2001:db8::1'), source: '2001:DB8:0::1' };
    expect(recountFinding(f, lines)).toMatchObject({ value: 11, confirmed: true });
  });

  it('follows header lines and reports malformed lines with file and line number', () => {
    const v5 = FlowLogFormat.V5;
    const v5line = (port: number) => {
      const values: Record<string, string> = { version: '5', srcaddr: SRC, dstaddr: '10.0.1.20', dstport: String(port), bytes: '40', start: String(window.start + 5), end: String(window.start + 9), action: 'REJECT', 'log-status': 'OK', protocol: '6', packets: '1', srcport: '40000' };
      return v5.fields.map((f) => values[f] ?? '-').join(' ');
    };
    const r = new FindingRecount(finding('PORT_SCAN', 3));
    r.file('a.log');
    r.line(v2({ dport: 1 }));
    r.line('2 123 eni-1 203.0.113.50 10.0.1.20 1 notaport 6 1 40 1 2 REJECT OK');
    r.file('b.log.gz');
    r.line(v5.header());
    r.line(v5line(2));
    r.line(v5line(3));
    r.line('truncated line');
    const result = r.result();
    expect(result).toMatchObject({ value: 3, confirmed: false, errorCount: 2 });
    expect(result.errors).toEqual([
      { file: 'a.log', line: 2, reason: 'dstport: not a whole number: "notaport"' },
      { file: 'b.log.gz', line: 4, reason: `expected ${v5.fields.length} fields, found 2` },
    ]);
  });

  it('is plain JSON data', () => {
    const r = recountFinding(finding('PORT_SCAN', 60), [v2({})]);
    expect(JSON.parse(JSON.stringify(r))).toEqual(r);
  });
});
