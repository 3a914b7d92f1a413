import { DETECTION_FIELDS, defaultFieldsForVersion, fieldSpec, isKnownField, normalizeFieldName } from '../../../core/flowlog/fields';
import { FlowLogFormat, FormatError } from '../../../core/flowlog/format';

// The "Available fields" table of the VPC user guide (Logging IP traffic using VPC Flow Logs → Flow log
// records), in table order, by the version that introduced each field. Written out here rather than
// derived from the code under test.
const AWS_V2 = 'version account-id interface-id srcaddr dstaddr srcport dstport protocol packets bytes start end action log-status';
const AWS_V3_ADDS = 'vpc-id subnet-id instance-id tcp-flags type pkt-srcaddr pkt-dstaddr';
const AWS_V4_ADDS = 'region az-id sublocation-type sublocation-id';
const AWS_V5_ADDS = 'pkt-src-aws-service pkt-dst-aws-service flow-direction traffic-path';

describe('field lists per version', () => {
  it.each([
    [2, AWS_V2],
    [3, `${AWS_V2} ${AWS_V3_ADDS}`],
    [4, `${AWS_V2} ${AWS_V3_ADDS} ${AWS_V4_ADDS}`],
    [5, `${AWS_V2} ${AWS_V3_ADDS} ${AWS_V4_ADDS} ${AWS_V5_ADDS}`],
  ])('version %i has the fields AWS documents, in table order', (version, fields) => {
    expect(defaultFieldsForVersion(version).join(' ')).toBe(fields);
    expect(FlowLogFormat.forVersion(version).header()).toBe(fields);
    expect(FlowLogFormat.parse(`v${version}`).fields.join(' ')).toBe(fields);
  });

  it('V2 and V5 constants are those layouts', () => {
    expect(FlowLogFormat.V2.fields).toHaveLength(14);
    expect(FlowLogFormat.V5.fields).toHaveLength(29);
    expect(FlowLogFormat.V5.header()).toBe(`${AWS_V2} ${AWS_V3_ADDS} ${AWS_V4_ADDS} ${AWS_V5_ADDS}`);
  });

  it.each([1, 6, 2.5, Number.NaN])('has no default list for version %p', (version) => {
    expect(() => FlowLogFormat.forVersion(version)).toThrow(FormatError);
  });

  it('types each field by what its values are', () => {
    expect(fieldSpec('srcaddr').type).toBe('addr');
    expect(fieldSpec('pkt-dstaddr').type).toBe('addr');
    expect(fieldSpec('bytes').type).toBe('count');
    expect(fieldSpec('packets').type).toBe('count');
    expect(fieldSpec('start').type).toBe('time');
    expect(fieldSpec('dstport').type).toBe('int');
    expect(fieldSpec('tcp-flags').type).toBe('int');
    expect(fieldSpec('traffic-path').type).toBe('int');
    expect(fieldSpec('action').type).toBe('action');
    expect(fieldSpec('log-status').type).toBe('log-status');
    expect(fieldSpec('interface-id').type).toBe('text');
  });

  it('treats an unknown (newer) field as free text', () => {
    expect(isKnownField('some-future-field')).toBe(false);
    expect(fieldSpec('some-future-field')).toEqual({ name: 'some-future-field', type: 'text', version: 0 });
  });

  it('reads underscored and upper-case names as the hyphenated ones', () => {
    expect(normalizeFieldName(' LOG_STATUS ')).toBe('log-status');
    expect(isKnownField('pkt_src_aws_service')).toBe(true);
    expect(fieldSpec('ecs_cluster_arn').version).toBe(7);
  });

  it('names the fields detection needs', () => {
    expect([...DETECTION_FIELDS]).toEqual(['srcaddr', 'dstport', 'bytes', 'start', 'action']);
  });
});

describe('FlowLogFormat.parse', () => {
  it('reads the ${field} LogFormat string of CreateFlowLogs', () => {
    const f = FlowLogFormat.parse('${srcaddr} ${dstaddr} ${dstport} ${action} ${start} ${bytes} ${log-status}');
    expect(f.fields).toEqual(['srcaddr', 'dstaddr', 'dstport', 'action', 'start', 'bytes', 'log-status']);
    expect(f.logFormat()).toBe('${srcaddr} ${dstaddr} ${dstport} ${action} ${start} ${bytes} ${log-status}');
    expect(f.missingDetectionFields()).toEqual([]);
  });

  it('reads a plain field list in any order, with underscores, and mixed with ${}', () => {
    const f = FlowLogFormat.parse('  start  ${action}\tsrc_addr_unknown srcaddr dstport bytes ');
    expect(f.fields).toEqual(['start', 'action', 'src-addr-unknown', 'srcaddr', 'dstport', 'bytes']);
    expect(f.indexOf('srcaddr')).toBe(3);
    expect(f.indexOf('SRCADDR')).toBe(3);
    expect(f.indexOf('dstaddr')).toBe(-1);
    expect(f.has('bytes')).toBe(true);
  });

  it('lists the detection fields a custom format lacks', () => {
    expect(FlowLogFormat.parse('${srcaddr} ${dstaddr} ${packets}').missingDetectionFields()).toEqual(['dstport', 'bytes', 'start', 'action']);
  });

  it.each([
    ['nothing', '   '],
    ['a duplicate field', '${srcaddr} ${dstaddr} ${srcaddr}'],
    ['the same field spelled two ways', 'log-status log_status'],
    ['an unclosed ${', '${srcaddr ${dstaddr}'],
    ['a name with punctuation', '${src.addr}'],
    ['a name starting with a digit', '2'],
  ])('refuses %s', (_why, text) => {
    expect(() => FlowLogFormat.parse(text)).toThrow(FormatError);
  });

  it('compares layouts field by field', () => {
    expect(FlowLogFormat.parse('v2').equals(FlowLogFormat.parse(AWS_V2))).toBe(true);
    expect(FlowLogFormat.parse('v2').equals(FlowLogFormat.parse('v3'))).toBe(false);
    expect(FlowLogFormat.parse('srcaddr dstport').equals(FlowLogFormat.parse('dstport srcaddr'))).toBe(false);
  });
});

describe('FlowLogFormat.fromHeader', () => {
  it('recognises the header AWS writes to S3 (v2 and v5)', () => {
    expect(FlowLogFormat.fromHeader(AWS_V2)?.equals(FlowLogFormat.V2)).toBe(true);
    expect(FlowLogFormat.fromHeader(`${AWS_V2} ${AWS_V3_ADDS} ${AWS_V4_ADDS} ${AWS_V5_ADDS}`)?.equals(FlowLogFormat.V5)).toBe(true);
  });

  it('recognises a custom order', () => {
    const f = FlowLogFormat.fromHeader('account-id action az-id bytes dstaddr dstport end flow-direction srcaddr start log-status');
    expect(f?.indexOf('srcaddr')).toBe(8);
    expect(f?.missingDetectionFields()).toEqual([]);
  });

  it('recognises underscored (Athena-style) column names', () => {
    const f = FlowLogFormat.fromHeader('version account_id interface_id srcaddr dstaddr srcport dstport protocol packets bytes start end action log_status');
    expect(f?.equals(FlowLogFormat.V2)).toBe(true);
  });

  it('accepts fields it does not know, as long as some are known', () => {
    const f = FlowLogFormat.fromHeader(`${AWS_V2} reject-reason brand-new-field`);
    expect(f?.fields.slice(-2)).toEqual(['reject-reason', 'brand-new-field']);
    expect(f?.specs.at(-1)?.type).toBe('text');
  });

  it('tolerates CRLF, tabs and repeated spaces', () => {
    expect(FlowLogFormat.fromHeader(`${AWS_V2.replace(/ /g, ' \t ')}\r`)?.equals(FlowLogFormat.V2)).toBe(true);
  });

  it.each([
    ['a v2 record', '2 123456789010 eni-1235b8ca123456789 172.31.16.139 172.31.16.21 20641 22 6 20 4249 1418530010 1418530070 ACCEPT OK'],
    ['a NODATA record', '2 123456789010 eni-1235b8ca123456789 - - - - - - - 1431280876 1431280934 - NODATA'],
    ['a record of a custom format with only lower-case text values', 'us-east-1 use1-az1 ingress vpc-0a1b2c3d'],
    ['words that are no field names', 'hello world'],
    ['an empty line', ''],
    ['a blank line', '  \r'],
    ['a header with an upper-case name', 'version ACCOUNT-ID srcaddr'],
    ['a header naming a field twice', 'srcaddr dstaddr srcaddr'],
  ])('does not take %s for a header', (_why, line) => {
    expect(FlowLogFormat.fromHeader(line)).toBeUndefined();
  });
});
