import { fieldSpec } from '../../../core/flowlog/fields';
import { FlowLogFormat } from '../../../core/flowlog/format';
import { parseCount, parseField, parseLine, splitFields, type LineResult } from '../../../core/flowlog/record';

const V2 = FlowLogFormat.V2;
const V5 = FlowLogFormat.V5;

// Records from the AWS flow log record examples (VPC user guide), one per situation.
const AWS_ACCEPT = '2 123456789010 eni-1235b8ca123456789 172.31.16.139 172.31.16.21 20641 22 6 20 4249 1418530010 1418530070 ACCEPT OK';
const AWS_REJECT = '2 123456789010 eni-1235b8ca123456789 172.31.9.69 172.31.9.12 49761 3389 6 20 4249 1418530010 1418530070 REJECT OK';
const AWS_NODATA = '2 123456789010 eni-1235b8ca123456789 - - - - - - - 1431280876 1431280934 - NODATA';
const AWS_SKIPDATA = '2 123456789010 eni-11111111aaaaaaaaa - - - - - - - 1431280876 1431280934 - SKIPDATA';
const AWS_IPV6 = '2 123456789010 eni-1235b8ca123456789 2001:db8:1234:a100:8d6e:3477:df66:f105 2001:db8:1234:a102:3304:8879:34cf:4071 34892 22 6 54 8855 1477913708 1477913820 ACCEPT OK';
const V5_RECORD =
  '5 123456789010 eni-1235b8ca123456789 10.0.1.5 203.0.113.77 43418 443 6 15 2950 1763803200 1763803260 ACCEPT OK vpc-0a1b2c3d subnet-0a1b2c3d i-0123456789abcdef0 19 IPv4 10.0.1.5 203.0.113.77 us-east-1 use1-az2 - - - - egress 8';

function record(r: LineResult) {
  if (r.kind !== 'record') throw new Error(`expected a record, got ${r.kind}: ${r.reason}`);
  return r;
}

function problem(r: LineResult, kind: 'skipped' | 'malformed'): string {
  if (r.kind !== kind) throw new Error(`expected ${kind}, got ${r.kind}`);
  return r.reason;
}

describe('parseLine on AWS example records', () => {
  it('reads an accepted v2 record into the detection fields', () => {
    const r = record(parseLine(AWS_ACCEPT, V2));
    expect(r.record).toEqual({ srcaddr: '172.31.16.139', dstport: 22, bytes: 4249, start: 1418530010, action: 'ACCEPT' });
    expect(r.values).toEqual([2, '123456789010', 'eni-1235b8ca123456789', '172.31.16.139', '172.31.16.21', 20641, 22, 6, 20, 4249, 1418530010, 1418530070, 'ACCEPT', 'OK']);
  });

  it('reads a rejected record', () => {
    expect(record(parseLine(AWS_REJECT, V2)).record).toMatchObject({ srcaddr: '172.31.9.69', dstport: 3389, action: 'REJECT' });
  });

  it('reads an IPv6 record', () => {
    expect(record(parseLine(AWS_IPV6, V2)).record.srcaddr).toBe('2001:db8:1234:a100:8d6e:3477:df66:f105');
  });

  it('keeps IPv6 addresses in canonical form, however they were written', () => {
    const line = AWS_IPV6.replace('2001:db8:1234:a100:8d6e:3477:df66:f105', '2001:0DB8:0000:0000:0000:0000:0000:0BAD');
    expect(record(parseLine(line, V2)).record.srcaddr).toBe('2001:db8::bad');
  });

  it('reads a v5 record with every field type, "-" included', () => {
    const r = record(parseLine(V5_RECORD, V5));
    expect(r.record).toEqual({ srcaddr: '10.0.1.5', dstport: 443, bytes: 2950, start: 1763803200, action: 'ACCEPT' });
    const at = (f: string) => r.values[V5.indexOf(f)];
    expect(at('tcp-flags')).toBe(19);
    expect(at('type')).toBe('IPv4');
    expect(at('pkt-srcaddr')).toBe('10.0.1.5');
    expect(at('sublocation-type')).toBeNull();
    expect(at('pkt-src-aws-service')).toBeNull();
    expect(at('flow-direction')).toBe('egress');
    expect(at('traffic-path')).toBe(8);
  });

  it.each([
    ['NODATA', AWS_NODATA, 'log-status NODATA'],
    ['SKIPDATA', AWS_SKIPDATA, 'log-status SKIPDATA'],
  ])('skips %s records, whatever their other fields', (_status, line, reason) => {
    expect(problem(parseLine(line, V2), 'skipped')).toBe(reason);
  });

  it('skips a NODATA record even when its detection fields hold values', () => {
    expect(problem(parseLine(AWS_ACCEPT.replace(/OK$/, 'NODATA'), V2), 'skipped')).toBe('log-status NODATA');
  });
});

describe('parseLine: a detection field that is "-"', () => {
  const positions: Record<string, number> = { srcaddr: 3, dstport: 6, bytes: 9, start: 10, action: 12 };
  it.each(Object.keys(positions))('skips the record when %s is "-"', (field) => {
    const tokens = AWS_ACCEPT.split(' ');
    tokens[positions[field] as number] = '-';
    expect(problem(parseLine(tokens.join(' '), V2), 'skipped')).toBe('a detection field is "-"');
  });

  it.each(['dstaddr', 'srcport', 'protocol', 'packets', 'end', 'account-id', 'interface-id', 'version'])('keeps the record when only %s is "-"', (field) => {
    const tokens = AWS_ACCEPT.split(' ');
    const i = V2.indexOf(field);
    tokens[i] = '-';
    const r = record(parseLine(tokens.join(' '), V2));
    expect(r.values[i]).toBeNull();
  });

  it('skips a record whose log-status is "-"', () => {
    expect(problem(parseLine(AWS_ACCEPT.replace(/OK$/, '-'), V2), 'skipped')).toBe('log-status is "-"');
  });

  it('skips records of a format that lacks a detection field', () => {
    const f = FlowLogFormat.parse('${srcaddr} ${dstaddr} ${bytes} ${start} ${action}');
    expect(problem(parseLine('203.0.113.5 10.0.0.1 100 1763803200 REJECT', f), 'skipped')).toBe('a detection field is "-"');
  });

  it('treats a format without log-status as all OK', () => {
    const f = FlowLogFormat.parse('${srcaddr} ${dstport} ${bytes} ${start} ${action}');
    expect(record(parseLine('203.0.113.5 22 100 1763803200 REJECT', f)).record).toEqual({ srcaddr: '203.0.113.5', dstport: 22, bytes: 100, start: 1763803200, action: 'REJECT' });
  });
});

describe('parseLine: white space', () => {
  it('ignores a trailing CR (CRLF files)', () => {
    expect(record(parseLine(`${AWS_ACCEPT}\r`, V2)).values.at(-1)).toBe('OK');
  });

  it('splits on tabs and runs of spaces, and ignores leading and trailing blanks', () => {
    const messy = `  ${AWS_ACCEPT.split(' ').join(' \t  ')}\t `;
    expect(record(parseLine(messy, V2)).record).toEqual(record(parseLine(AWS_ACCEPT, V2)).record);
  });

  it.each(['', '   ', '\r', '\t \r'])('calls a blank line (%j) malformed: "empty line"', (line) => {
    expect(problem(parseLine(line, V2), 'malformed')).toBe('empty line');
  });

  it('splitFields gives the tokens', () => {
    expect(splitFields('a  b\tc\r')).toEqual(['a', 'b', 'c']);
    expect(splitFields(' \r')).toEqual([]);
  });
});

describe('parseLine: malformed lines say what is wrong', () => {
  const replace = (field: string, value: string, format = V2, base = AWS_ACCEPT): string => {
    const tokens = base.split(' ');
    tokens[format.indexOf(field)] = value;
    return tokens.join(' ');
  };

  it.each([
    ['too few fields', AWS_ACCEPT.split(' ').slice(0, 13).join(' '), 'expected 14 fields, found 13'],
    ['too many fields', `${AWS_ACCEPT} extra`, 'expected 14 fields, found 15'],
    ['a v5 line read as v2', V5_RECORD, 'expected 14 fields, found 29'],
    ['non-numeric bytes', replace('bytes', '4249b'), 'bytes: not a whole number: "4249b"'],
    ['negative bytes', replace('bytes', '-5'), 'bytes: not a whole number: "-5"'],
    ['a decimal packet count', replace('packets', '2.5'), 'packets: not a whole number: "2.5"'],
    ['hex in a port', replace('dstport', '0x16'), 'dstport: not a whole number: "0x16"'],
    ['a port above 65535', replace('dstport', '65536'), 'dstport: 65536 is out of range (0 to 65535)'],
    ['a source port above 65535', replace('srcport', '70000'), 'srcport: 70000 is out of range (0 to 65535)'],
    ['a protocol above 255', replace('protocol', '256'), 'protocol: 256 is out of range (0 to 255)'],
    ['a start in milliseconds with a fraction', replace('start', '1418530010.5'), 'start: not a whole number: "1418530010.5"'],
    ['a start beyond 2^53', replace('start', '90071992547409930'), 'start: 90071992547409930 is too large'],
    ['a byte count of 21 digits', replace('bytes', '100000000000000000000'), 'bytes: 100000000000000000000 is too large'],
    ['a bad source address', replace('srcaddr', '172.31.16.256'), 'srcaddr: not an IPv4 or IPv6 address: "172.31.16.256"'],
    ['a source address with a leading zero', replace('srcaddr', '172.031.16.1'), 'srcaddr: not an IPv4 or IPv6 address: "172.031.16.1"'],
    ['a bad destination address', replace('dstaddr', 'localhost'), 'dstaddr: not an IPv4 or IPv6 address: "localhost"'],
    ['a bad IPv6 address', replace('srcaddr', '2001:db8::1::2'), 'srcaddr: not an IPv4 or IPv6 address: "2001:db8::1::2"'],
    ['an unknown action', replace('action', 'DROP'), 'action: expected ACCEPT or REJECT, got "DROP"'],
    ['a lower-case action', replace('action', 'accept'), 'action: expected ACCEPT or REJECT, got "accept"'],
    ['an unknown log-status', replace('log-status', 'FAILED'), 'log-status: expected OK, NODATA or SKIPDATA, got "FAILED"'],
  ])('%s', (_why, line, reason) => {
    expect(problem(parseLine(line, V2), 'malformed')).toBe(reason);
  });

  it.each([
    ['a bad traffic-path', replace('traffic-path', 'egress', V5, V5_RECORD), 'traffic-path: not a whole number: "egress"'],
    ['a bad pkt-srcaddr', replace('pkt-srcaddr', '10.0.1', V5, V5_RECORD), 'pkt-srcaddr: not an IPv4 or IPv6 address: "10.0.1"'],
    ['a tcp-flags value above 65535', replace('tcp-flags', '65536', V5, V5_RECORD), 'tcp-flags: 65536 is out of range (0 to 65535)'],
  ])('v5: %s', (_why, line, reason) => {
    expect(problem(parseLine(line, V5), 'malformed')).toBe(reason);
  });

  it('clips long values in the reason', () => {
    const reason = problem(parseLine(replace('srcaddr', 'x'.repeat(500)), V2), 'malformed');
    expect(reason.length).toBeLessThan(120);
    expect(reason).toContain('…');
  });

  it('checks fields that detection does not read too (a bad dstaddr on a NODATA line is still malformed)', () => {
    expect(problem(parseLine(AWS_NODATA.replace(' - - - - - - - ', ' - 10.0.0.999 - - - - - '), V2), 'malformed')).toMatch(/^dstaddr:/);
  });
});

describe('counts (packets, bytes)', () => {
  it('reads counts above 2^32 exactly as numbers', () => {
    expect(parseCount('4294967296')).toBe(4294967296);
    expect(parseCount('9007199254740991')).toBe(Number.MAX_SAFE_INTEGER);
  });

  it('reads counts beyond 2^53 exactly as bigints', () => {
    expect(parseCount('9007199254740993')).toBe(9007199254740993n);
    expect(parseCount('18446744073709551615')).toBe(18446744073709551615n);
  });

  it('reads leading zeros as decimal', () => {
    expect(parseCount('007')).toBe(7);
    expect(parseCount('0000000000000000042')).toBe(42);
  });

  it.each(['', '-1', '+1', '1e3', '1.0', ' 1', '١٢', '123456789012345678901'])('rejects %j', (text) => {
    expect(parseCount(text)).toBeUndefined();
  });

  it('a record keeps a byte count beyond 2^53 as an exact bigint', () => {
    const line = AWS_ACCEPT.replace(' 4249 ', ' 12345678901234567890 ');
    expect(record(parseLine(line, V2)).record.bytes).toBe(12345678901234567890n);
  });

  it('a record with a byte count above 2^32 keeps it exact', () => {
    const line = AWS_ACCEPT.replace(' 4249 ', ' 5000000000 ');
    expect(record(parseLine(line, V2)).record.bytes).toBe(5_000_000_000);
  });
});

describe('parseField', () => {
  it('gives null for "-" in a field of any type', () => {
    for (const name of ['version', 'srcaddr', 'bytes', 'start', 'action', 'log-status', 'vpc-id', 'unknown-field']) {
      expect(parseField(fieldSpec(name), '-')).toEqual({ value: null });
    }
  });

  it('keeps text fields as they are', () => {
    expect(parseField(fieldSpec('account-id'), 'unknown')).toEqual({ value: 'unknown' });
    expect(parseField(fieldSpec('brand-new-field'), 'ANY_value:1')).toEqual({ value: 'ANY_value:1' });
  });

  it('accepts the ports 0 and 65535', () => {
    expect(parseField(fieldSpec('dstport'), '0')).toEqual({ value: 0 });
    expect(parseField(fieldSpec('dstport'), '65535')).toEqual({ value: 65535 });
  });
});
