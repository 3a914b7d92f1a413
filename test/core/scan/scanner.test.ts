import { DEFAULT_CONFIG, parseConfig, type FlowirConfig } from '../../../core/detection/config';
import { DetectionEvaluator } from '../../../core/detection/evaluator';
import { FlowLogFormat, FormatError } from '../../../core/flowlog/format';
import { headerlessFormat, LineScanner, type ScanResult } from '../../../core/scan/scanner';

const UNTIL = 1763805600;
const V2_HEADER = 'version account-id interface-id srcaddr dstaddr srcport dstport protocol packets bytes start end action log-status';
const v2 = (src: string, dstport: number, start: number, action = 'ACCEPT', status = 'OK', bytes = 4249): string =>
  `2 123456789010 eni-1235b8ca123456789 ${src} 172.31.16.21 20641 ${dstport} 6 20 ${bytes} ${start} ${start + 60} ${action} ${status}`;

function scanner(config: FlowirConfig = DEFAULT_CONFIG, maxErrors?: number): LineScanner {
  const evaluator = new DetectionEvaluator({ config, until: UNTIL });
  return new LineScanner({ config, evaluator, ...(maxErrors !== undefined ? { maxErrors } : {}) });
}

function feed(s: LineScanner, name: string, lines: readonly string[]): void {
  const f = s.file(name);
  for (const l of lines) f.line(l);
}

function identityHolds(r: ScanResult): void {
  const c = r.records;
  expect(c.read).toBe(c.inWindow + c.outOfWindow + c.skipped + c.malformed);
}

describe('LineScanner counts', () => {
  it('counts every non-header line once, into exactly one bucket', () => {
    const s = scanner();
    feed(s, 'a.log', [
      V2_HEADER,
      v2('203.0.113.1', 22, UNTIL - 100), // in window
      v2('203.0.113.1', 22, UNTIL - 7200), // out of window
      v2('203.0.113.1', 22, UNTIL), // out of window: the end is excluded
      '2 123456789010 eni-1235b8ca123456789 - - - - - - - 1763803000 1763803060 - NODATA', // skipped
      v2('203.0.113.1', 22, UNTIL - 100, 'ACCEPT', 'SKIPDATA'), // skipped
      v2('-', 22, UNTIL - 100), // skipped: a detection field is "-"
      '', // malformed: empty line
      'not a flow log record', // malformed
      v2('203.0.113.1', 70000, UNTIL - 100), // malformed: port out of range
    ]);
    const r = s.result();
    expect(r.records).toEqual({ read: 9, inWindow: 1, outOfWindow: 2, skipped: 3, malformed: 3, files: 1 });
    identityHolds(r);
    expect(r.errorCount).toBe(3);
    expect(r.errors).toEqual([
      { file: 'a.log', line: 8, reason: 'empty line' },
      { file: 'a.log', line: 9, reason: 'expected 14 fields, found 5' },
      { file: 'a.log', line: 10, reason: 'dstport: 70000 is out of range (0 to 65535)' },
    ]);
  });

  it('numbers lines per file, header lines included', () => {
    const s = scanner();
    feed(s, 'one.log', [V2_HEADER, 'bad']);
    feed(s, 'two.log', ['bad', 'bad']);
    expect(s.result().errors.map((e) => `${e.file}:${e.line}`)).toEqual(['one.log:2', 'two.log:1', 'two.log:2']);
    expect(s.result().records.files).toBe(2);
  });

  it('lists the first maxErrors problems and counts all of them', () => {
    const s = scanner(DEFAULT_CONFIG, 100);
    feed(s, 'noisy.log', Array.from({ length: 250 }, (_, i) => `garbage ${i}`));
    const r = s.result();
    expect(r.records.malformed).toBe(250);
    expect(r.errorCount).toBe(250);
    expect(r.errors).toHaveLength(100);
    expect(r.errors[0]).toEqual({ file: 'noisy.log', line: 1, reason: 'expected 14 fields, found 2' });
    expect(r.errors[99]?.line).toBe(100);
  });

  it('the default cap is 100', () => {
    const s = scanner();
    feed(s, 'noisy.log', Array.from({ length: 101 }, () => 'x'));
    expect(s.result().errors).toHaveLength(100);
    expect(s.result().errorCount).toBe(101);
  });
});

describe('header lines', () => {
  it('switches the layout at each header, even mid-file', () => {
    const v5Header = `${V2_HEADER} vpc-id subnet-id instance-id tcp-flags type pkt-srcaddr pkt-dstaddr region az-id sublocation-type sublocation-id pkt-src-aws-service pkt-dst-aws-service flow-direction traffic-path`;
    const v5 = `${v2('203.0.113.2', 443, UNTIL - 50)} vpc-0a1b2c3d subnet-0a1b2c3d - 2 IPv4 203.0.113.2 172.31.16.21 us-east-1 use1-az2 - - - - ingress -`;
    const s = scanner();
    feed(s, 'mixed.log', [v2('203.0.113.1', 22, UNTIL - 100), v5Header, v5, v2('203.0.113.1', 22, UNTIL - 100), V2_HEADER, v2('203.0.113.1', 22, UNTIL - 100)]);
    const r = s.result();
    expect(r.records).toMatchObject({ read: 4, inWindow: 3, malformed: 1 });
    expect(r.errors).toEqual([{ file: 'mixed.log', line: 4, reason: 'expected 29 fields, found 14' }]);
  });

  it('a custom-order header is followed field by field', () => {
    const s = scanner(parseConfig({ detections: { HIGH_CONNECTION_COUNT: { threshold: 1 } } }));
    feed(s, 'custom.log', ['action start bytes dstport srcaddr log-status', `REJECT ${UNTIL - 10} 100 22 2001:DB8::7 OK`, `REJECT ${UNTIL - 9} 100 22 2001:db8::7 OK`]);
    const r = s.result();
    expect(r.records.inWindow).toBe(2);
    expect(r.findings.map((f) => f.id)).toEqual([`HIGH_CONNECTION_COUNT:2001:db8::7:${UNTIL}`]);
  });

  it('a header without a field detection needs is reported, and its records are skipped', () => {
    const s = scanner();
    feed(s, 'thin.log', ['srcaddr dstaddr packets', '203.0.113.1 10.0.0.1 5']);
    const r = s.result();
    expect(r.records).toMatchObject({ read: 1, skipped: 1, malformed: 0 });
    expect(r.errors).toEqual([{ file: 'thin.log', line: 1, reason: 'the header lacks fields detection needs (dstport, bytes, start, action); its records are skipped' }]);
    expect(r.errorCount).toBe(1);
  });

  it('a configured format without a field detection needs is refused, naming the config field and the missing fields', () => {
    for (const [format, missing] of [
      ['srcaddr dstaddr dstport bytes action', 'start'],
      ['${version} ${srcaddr} ${start}', 'dstport, bytes, action'],
    ] as const) {
      const config = parseConfig({ format });
      const evaluator = new DetectionEvaluator({ config, until: UNTIL });
      expect(() => new LineScanner({ config, evaluator })).toThrow(FormatError);
      expect(() => new LineScanner({ config, evaluator })).toThrow(
        `config "format" ("${format}") lacks fields detection needs (${missing}): the records of a file without a header line could never take part in detection`,
      );
      expect(() => headerlessFormat(config)).toThrow(FormatError);
    }
    // log-status is not needed: without it every record counts as OK.
    expect(headerlessFormat(parseConfig({ format: 'srcaddr dstport bytes start action' })).fields).toEqual(['srcaddr', 'dstport', 'bytes', 'start', 'action']);
  });

  it('files without a header use the configured format; each file starts over from it', () => {
    const config = parseConfig({ format: '${srcaddr} ${dstport} ${bytes} ${start} ${action}' });
    const s = scanner(config);
    feed(s, 'v2-with-header.log', [V2_HEADER, v2('203.0.113.1', 22, UNTIL - 100)]);
    feed(s, 'bare.log', [`203.0.113.9 22 100 ${UNTIL - 5} REJECT`]);
    expect(s.result().records).toMatchObject({ read: 2, inWindow: 2, malformed: 0 });
  });

  it('an explicit default format wins over the config', () => {
    const evaluator = new DetectionEvaluator({ config: DEFAULT_CONFIG, until: UNTIL });
    const s = new LineScanner({ config: DEFAULT_CONFIG, evaluator, defaultFormat: FlowLogFormat.V5 });
    feed(s, 'bare.log', [v2('203.0.113.1', 22, UNTIL - 100)]);
    expect(s.result().errors[0]?.reason).toBe('expected 29 fields, found 14');
  });
});

describe('a file that ends early', () => {
  it('counts a cut-off last line as read and malformed, at its line number', () => {
    const s = scanner();
    const f = s.file('cut.log.gz');
    f.line(V2_HEADER);
    f.line(v2('203.0.113.1', 22, UNTIL - 100));
    f.broken('damaged gzip data (unexpected end of file)', '2 123456789010 eni-12');
    const r = s.result();
    expect(r.records).toMatchObject({ read: 2, inWindow: 1, malformed: 1 });
    expect(r.errors).toEqual([{ file: 'cut.log.gz', line: 3, reason: 'line cut short: damaged gzip data (unexpected end of file)' }]);
    identityHolds(r);
  });

  it('without a fragment, reports the problem after the last line without counting a record', () => {
    const s = scanner();
    const f = s.file('cut.log.gz');
    f.line(v2('203.0.113.1', 22, UNTIL - 100));
    f.broken('damaged gzip data (unexpected end of file)', '');
    const r = s.result();
    expect(r.records).toMatchObject({ read: 1, inWindow: 1, malformed: 0 });
    expect(r.errors).toEqual([{ file: 'cut.log.gz', line: 2, reason: 'damaged gzip data (unexpected end of file)' }]);
    expect(r.errorCount).toBe(1);
  });
});

describe('absorb (results from elsewhere)', () => {
  it('adds counts and errors, keeping the cap and the full count', () => {
    const s = scanner(DEFAULT_CONFIG, 3);
    feed(s, 'a.log', ['bad', 'bad']);
    s.absorb({ read: 10, skipped: 2, malformed: 5, files: 2 }, [1, 2, 3].map((line) => ({ file: 'w.log', line, reason: 'x' })), 5);
    const r = s.result();
    expect(r.records).toMatchObject({ read: 12, skipped: 2, malformed: 7, files: 3 });
    expect(r.errors.map((e) => `${e.file}:${e.line}`)).toEqual(['a.log:1', 'a.log:2', 'w.log:1']);
    expect(r.errorCount).toBe(7);
  });
});
