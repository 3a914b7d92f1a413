import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { athenaColumns, athenaTableDdl, athenaTableParameters, compileAthena, dayPartitionRange } from '../../../../core/detection/compile/athena';
import { CompileError } from '../../../../core/detection/compile/rule-plan';
import { findingsFromRows } from '../../../../core/detection/compile/rows';
import { DEFAULT_CONFIG, parseConfig } from '../../../../core/detection/config';
import { DetectionEvaluator } from '../../../../core/detection/evaluator';
import { compareFindings, type Finding } from '../../../../core/detection/findings';
import { DETECTION_IDS } from '../../../../core/detection/rules';
import { FlowLogFormat } from '../../../../core/flowlog/format';
import { LineScanner } from '../../../../core/scan/scanner';
import { expandInputs, scanSource } from '../../../../local/input/sources';
import { openOracle, type Oracle } from './duckdb-oracle';

const WINDOW = { start: 1763802000, end: 1763805600 };

// The columns of AWS's "Create the table for VPC flow logs using partition projection", in order.
const AWS_DOCUMENTED = [
  ['version', 'int'],
  ['account_id', 'string'],
  ['interface_id', 'string'],
  ['srcaddr', 'string'],
  ['dstaddr', 'string'],
  ['srcport', 'int'],
  ['dstport', 'int'],
  ['protocol', 'bigint'],
  ['packets', 'bigint'],
  ['bytes', 'bigint'],
  ['start', 'bigint'],
  ['end', 'bigint'],
  ['action', 'string'],
  ['log_status', 'string'],
  ['vpc_id', 'string'],
  ['subnet_id', 'string'],
  ['instance_id', 'string'],
  ['tcp_flags', 'int'],
  ['type', 'string'],
  ['pkt_srcaddr', 'string'],
  ['pkt_dstaddr', 'string'],
  ['az_id', 'string'],
  ['sublocation_type', 'string'],
  ['sublocation_id', 'string'],
  ['pkt_src_aws_service', 'string'],
  ['pkt_dst_aws_service', 'string'],
  ['flow_direction', 'string'],
  ['traffic_path', 'int'],
].map(([name, type]) => ({ name, type }));

describe('athenaColumns', () => {
  it('gives v2 the documented first 14 columns', () => {
    expect(athenaColumns(FlowLogFormat.V2)).toEqual(AWS_DOCUMENTED.slice(0, 14));
  });

  it("gives v5 the documented columns, with the record's region in its place as flow_region", () => {
    const v5 = athenaColumns(FlowLogFormat.V5);
    expect(v5.filter((c) => c.name !== 'flow_region')).toEqual(AWS_DOCUMENTED);
    // Text columns are split by position: the region field sits between pkt-dstaddr and az-id.
    expect(v5[FlowLogFormat.V5.indexOf('region')]).toEqual({ name: 'flow_region', type: 'string' });
    expect(v5).toHaveLength(FlowLogFormat.V5.fields.length);
  });

  it('follows a custom format, in its order, unknown fields as strings', () => {
    expect(athenaColumns(FlowLogFormat.parse('${start} ${srcaddr} ${dstport} ${reject-reason} ${ecs-task-id}'))).toEqual([
      { name: 'start', type: 'bigint' },
      { name: 'srcaddr', type: 'string' },
      { name: 'dstport', type: 'int' },
      { name: 'reject_reason', type: 'string' },
      { name: 'ecs_task_id', type: 'string' },
    ]);
  });
});

describe('athenaTableDdl', () => {
  const options = { table: 'flowir.vpc_flow_logs', location: 's3://flowir-archive-123456789012/', format: FlowLogFormat.V2, accounts: ['123456789012'], regions: ['us-east-1', 'eu-west-1'], startDay: '2025/01/01' };

  it('creates the partition-projection table as AWS documents it', () => {
    expect(athenaTableDdl(options)).toBe(
      [
        'CREATE EXTERNAL TABLE IF NOT EXISTS flowir.vpc_flow_logs (',
        '  version int,',
        '  account_id string,',
        '  interface_id string,',
        '  srcaddr string,',
        '  dstaddr string,',
        '  srcport int,',
        '  dstport int,',
        '  protocol bigint,',
        '  packets bigint,',
        '  bytes bigint,',
        '  start bigint,',
        '  `end` bigint,',
        '  action string,',
        '  log_status string',
        ')',
        'PARTITIONED BY (accid string, region string, day string)',
        'ROW FORMAT DELIMITED',
        "FIELDS TERMINATED BY ' '",
        "LOCATION 's3://flowir-archive-123456789012/AWSLogs/'",
        'TBLPROPERTIES (',
        '  "skip.header.line.count" = "1",',
        '  "projection.enabled" = "true",',
        '  "projection.accid.type" = "enum",',
        '  "projection.accid.values" = "123456789012",',
        '  "projection.region.type" = "enum",',
        '  "projection.region.values" = "us-east-1,eu-west-1",',
        '  "projection.day.type" = "date",',
        '  "projection.day.range" = "2025/01/01,NOW",',
        '  "projection.day.format" = "yyyy/MM/dd",',
        '  "storage.location.template" = "s3://flowir-archive-123456789012/AWSLogs/${accid}/vpcflowlogs/${region}/${day}"',
        ')',
      ].join('\n'),
    );
  });

  it('keeps a prefix in the location and the template', () => {
    expect(athenaTableParameters({ ...options, location: 's3://logs-bucket/flow/prod' })['storage.location.template']).toBe('s3://logs-bucket/flow/prod/AWSLogs/${accid}/vpcflowlogs/${region}/${day}');
  });

  it('refuses bad names, locations, accounts, regions and days, naming them', () => {
    expect(() => athenaTableDdl({ ...options, table: 'flow logs' })).toThrow(new CompileError('table "flow logs" is not a name such as vpc_flow_logs or flowir.vpc_flow_logs'));
    expect(() => athenaTableDdl({ ...options, location: 'https://bucket/' })).toThrow(/location "https:\/\/bucket\/" is not an S3 URL/);
    expect(() => athenaTableDdl({ ...options, accounts: ['1234'] })).toThrow('accounts: "1234" is not valid');
    expect(() => athenaTableDdl({ ...options, accounts: [] })).toThrow('accounts: at least one is needed for partition projection');
    expect(() => athenaTableDdl({ ...options, regions: ['mars'] })).toThrow('regions: "mars" is not valid');
    expect(() => athenaTableDdl({ ...options, startDay: '2025-01-01' })).toThrow('startDay "2025-01-01" is not a yyyy/MM/dd day');
  });
});

describe('compileAthena', () => {
  it('PORT_SCAN: golden SQL', () => {
    expect(compileAthena('PORT_SCAN', { config: DEFAULT_CONFIG, table: 'flowir.vpc_flow_logs', window: WINDOW })).toBe(
      [
        'SELECT srcaddr, count(DISTINCT dstport) AS value',
        'FROM "flowir"."vpc_flow_logs"',
        "WHERE day BETWEEN '2025/11/21' AND '2025/11/23'",
        '  AND start >= 1763802000 AND start < 1763805600',
        "  AND log_status = 'OK'",
        "  AND srcaddr IS NOT NULL AND srcaddr <> '-'",
        '  AND dstport IS NOT NULL',
        '  AND bytes IS NOT NULL',
        '  AND start IS NOT NULL',
        "  AND action IS NOT NULL AND action <> '-'",
        "  AND action = 'REJECT'",
        'GROUP BY srcaddr',
        'HAVING count(DISTINCT dstport) > 50',
        'ORDER BY value DESC, srcaddr',
      ].join('\n'),
    );
  });

  it('SUSPICIOUS_PORT_ACCESS: groups by port, lists the configured ports', () => {
    const config = parseConfig({ suspiciousPorts: [3389, 22, 2222], detections: { SUSPICIOUS_PORT_ACCESS: { threshold: 4 } } });
    const sql = compileAthena('SUSPICIOUS_PORT_ACCESS', { config, table: 'vpc_flow_logs', window: WINDOW });
    expect(sql).toMatch(/^SELECT srcaddr, dstport, count\(\*\) AS value\nFROM "vpc_flow_logs"\n/);
    expect(sql).toContain("  AND action = 'REJECT'\n  AND dstport IN (22, 2222, 3389)\nGROUP BY srcaddr, dstport\nHAVING count(*) > 4\nORDER BY value DESC, srcaddr, dstport");
  });

  it('HIGH_TRAFFIC_VOLUME and HIGH_CONNECTION_COUNT: no action or port filter', () => {
    const htv = compileAthena('HIGH_TRAFFIC_VOLUME', { config: DEFAULT_CONFIG, table: 'vpc_flow_logs', window: WINDOW });
    expect(htv).toMatch(/^SELECT srcaddr, sum\(bytes\) AS value\n/);
    expect(htv).toContain('HAVING sum(bytes) > 1000000000\n');
    const hcc = compileAthena('HIGH_CONNECTION_COUNT', { config: DEFAULT_CONFIG, table: 'vpc_flow_logs', window: WINDOW });
    expect(hcc).toContain('HAVING count(*) > 1000\n');
    for (const sql of [htv, hcc]) expect(sql).not.toMatch(/action = |dstport IN/);
  });

  it('prunes day partitions with a margin day on each side, across month and year ends', () => {
    expect(dayPartitionRange({ start: 1735686000, end: 1735689600 })).toEqual({ from: '2024/12/30', to: '2025/01/01' }); // 2024-12-31T23:00Z to 2025-01-01T00:00Z
    expect(dayPartitionRange({ start: 1763769600, end: 1763773200 })).toEqual({ from: '2025/11/21', to: '2025/11/23' });
    expect(compileAthena('PORT_SCAN', { config: DEFAULT_CONFIG, table: 't', window: WINDOW, dayPartitions: false })).not.toContain('day BETWEEN');
  });

  it('omits log_status for a format without it and refuses one without a detection field', () => {
    const noStatus = FlowLogFormat.parse('srcaddr dstport bytes start action');
    expect(compileAthena('PORT_SCAN', { config: DEFAULT_CONFIG, table: 't', window: WINDOW, format: noStatus })).not.toContain('log_status');
    expect(() => compileAthena('PORT_SCAN', { config: DEFAULT_CONFIG, table: 't', window: WINDOW, format: FlowLogFormat.parse('srcaddr bytes start action') })).toThrow(
      'PORT_SCAN: the format lacks fields detection needs (dstport)',
    );
  });

  it('refuses a bad table name or window', () => {
    expect(() => compileAthena('PORT_SCAN', { config: DEFAULT_CONFIG, table: 'x; DROP TABLE y', window: WINDOW })).toThrow(CompileError);
    expect(() => compileAthena('PORT_SCAN', { config: DEFAULT_CONFIG, table: 't', window: { start: 5, end: 1 } })).toThrow(/start < end/);
  });
});

describe('compileAthena on DuckDB: record edge cases agree with the local evaluator', () => {
  const { start: S, end: E } = WINDOW;
  const config = parseConfig({
    detections: { HIGH_CONNECTION_COUNT: { threshold: 2 }, HIGH_TRAFFIC_VOLUME: { threshold: 100 }, PORT_SCAN: { threshold: 1 }, SUSPICIOUS_PORT_ACCESS: { threshold: 1 } },
  });
  const rec = (src: string, dstport: string, bytes: string, start: number | string, action: string, status = 'OK'): string =>
    `2 123456789012 eni-0a1b2c3d4e5f67890 ${src} 10.0.1.20 40000 ${dstport} 6 1 ${bytes} ${start} ${typeof start === 'number' ? start + 5 : start} ${action} ${status}`;
  const lines = [
    FlowLogFormat.V2.header(),
    // 198.51.100.1: three records on the window's edges, all in: count 3 > 2, 150 bytes > 100.
    rec('198.51.100.1', '443', '50', S, 'ACCEPT'),
    rec('198.51.100.1', '443', '50', S + 10, 'ACCEPT'),
    rec('198.51.100.1', '443', '50', E - 1, 'ACCEPT'),
    // 198.51.100.2: one in, one at the end (out), one just before the start (out).
    rec('198.51.100.2', '443', '500', S + 1, 'ACCEPT'),
    rec('198.51.100.2', '443', '500', E, 'ACCEPT'),
    rec('198.51.100.2', '443', '500', S - 1, 'ACCEPT'),
    // 198.51.100.3: a SKIPDATA record with every field set takes no part: count 2, not over 2.
    rec('198.51.100.3', '443', '10', S + 2, 'ACCEPT'),
    rec('198.51.100.3', '443', '10', S + 3, 'ACCEPT'),
    rec('198.51.100.3', '443', '10', S + 4, 'ACCEPT', 'SKIPDATA'),
    // 203.0.113.9: rejected on 22, 22, 23: two distinct ports (> 1), port 22 twice (> 1).
    rec('203.0.113.9', '22', '40', S + 5, 'REJECT'),
    rec('203.0.113.9', '22', '40', S + 6, 'REJECT'),
    rec('203.0.113.9', '23', '40', S + 7, 'REJECT'),
    // 2001:db8::7: IPv6, with a record whose dstport is "-" (skipped): count 3 > 2.
    rec('2001:db8::7', '443', '1', S + 8, 'ACCEPT'),
    rec('2001:db8::7', '443', '1', S + 9, 'ACCEPT'),
    rec('2001:db8::7', '443', '1', S + 11, 'ACCEPT'),
    rec('2001:db8::7', '-', '1', S + 12, 'ACCEPT'),
    // NODATA, as AWS writes it.
    `2 123456789012 eni-0a1b2c3d4e5f67890 - - - - - - - ${S + 20} ${S + 80} - NODATA`,
  ];
  const key = (f: Finding): string => `${f.detection} ${f.source} ${f.port ?? '-'} ${String(f.value)}`;

  let dir: string;
  let oracle: Oracle;
  let file: string;
  beforeAll(async () => {
    dir = await mkdtemp(path.join(tmpdir(), 'flowir-athena-'));
    file = path.join(dir, 'edges.log');
    await writeFile(file, `${lines.join('\n')}\n`);
    oracle = await openOracle();
    await oracle.view('vpc_flow_logs', FlowLogFormat.V2, [file], false);
  });
  afterAll(async () => {
    oracle.close();
    await rm(dir, { recursive: true, force: true });
  });

  it('finds exactly what the evaluator finds, and what the comments above say', async () => {
    const evaluator = new DetectionEvaluator({ config, until: E, windowSeconds: E - S });
    const scanner = new LineScanner({ config, evaluator });
    for (const src of await expandInputs([file])) await scanSource(src, scanner);
    const local = scanner.result();
    expect(local.errors).toEqual([]);

    const sql: Finding[] = [];
    for (const detection of DETECTION_IDS) {
      const rows = await oracle.query(compileAthena(detection, { config, table: 'vpc_flow_logs', window: WINDOW, dayPartitions: false }));
      sql.push(...findingsFromRows(detection, rows, { config, window: WINDOW }));
    }
    expect(sql.sort(compareFindings)).toEqual(local.findings);
    expect(local.findings.map(key)).toEqual([
      'PORT_SCAN 203.0.113.9 - 2',
      'SUSPICIOUS_PORT_ACCESS 203.0.113.9 22 2',
      'HIGH_TRAFFIC_VOLUME 198.51.100.2 - 500',
      'HIGH_TRAFFIC_VOLUME 198.51.100.1 - 150',
      'HIGH_TRAFFIC_VOLUME 203.0.113.9 - 120',
      'HIGH_CONNECTION_COUNT 198.51.100.1 - 3',
      'HIGH_CONNECTION_COUNT 2001:db8::7 - 3',
      'HIGH_CONNECTION_COUNT 203.0.113.9 - 3',
    ]);
  });
});
