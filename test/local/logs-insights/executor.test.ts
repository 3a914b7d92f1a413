import { readFileSync } from 'node:fs';
import * as path from 'node:path';
import { compileLogsInsights } from '../../../core/detection/compile';
import { parseConfig } from '../../../core/detection/config';
import { FlowLogFormat } from '../../../core/flowlog/format';
import { parseLine, splitFields } from '../../../core/flowlog/record';
import { Execution, parseQuery, type ExecutionResult, type LogEvent } from '../../../local/logs-insights';

const FIXTURES = path.join(__dirname, '..', '..', 'fixtures', 'flowlogs');
const WINDOW = { start: 1763802000, end: 1763805600 };

/** Events as CloudWatch would hold these flow-log lines: timestamp = start (the 11th field of v2) in ms. */
function flowEvents(lines: readonly string[]): LogEvent[] {
  return lines.map((message, i) => ({ timestamp: Number(message.split(' ')[10]) * 1000, message, ptr: `p${i}` }));
}

function run(query: string, events: readonly LogEvent[], maxRows?: number): ExecutionResult {
  const e = new Execution(parseQuery(query), maxRows === undefined ? {} : { maxRows });
  for (const ev of events) e.push(ev);
  return e.finish();
}

/** Rows as plain objects, for reading. */
const rows = (r: ExecutionResult): Record<string, string>[] => r.rows.map((row) => Object.fromEntries(row.map((c) => [c.field, c.value])));

// Real v2 records (the AWS VPC user guide's style), all OK, in the fixture's window.
const V2 = [
  '2 123456789010 eni-1235b8ca123456789 172.31.16.139 172.31.16.21 20641 22 6 20 4249 1763802000 1763802060 ACCEPT OK',
  '2 123456789010 eni-1235b8ca123456789 172.31.9.69 172.31.9.12 49761 3389 6 20 4249 1763802010 1763802070 REJECT OK',
  '2 123456789010 eni-0a1b2c3d4e5f60718 198.51.100.7 172.31.9.12 51515 22 6 1 40 1763803600 1763803660 REJECT OK',
  '2 123456789010 eni-0a1b2c3d4e5f60718 198.51.100.7 172.31.9.12 51516 22 6 1 40 1763803620 1763803680 REJECT OK',
  '2 123456789010 eni-0a1b2c3d4e5f60718 198.51.100.7 172.31.9.12 51518 23 6 1 40 1763803660 1763803720 REJECT OK',
  '2 123456789010 eni-0a1b2c3d4e5f60718 198.51.100.7 172.31.9.12 51519 445 6 1 40 1763803680 1763803740 REJECT OK',
  '2 123456789010 eni-5f6e7d8c9b0a12345 172.31.20.5 203.0.113.99 55000 443 6 9007199254741 9007199254740993 1763805000 1763805599 ACCEPT OK',
  '2 123456789010 eni-1235b8ca123456789 - - - - - - - 1763802000 1763802060 - NODATA',
];
const PARSE_V2 = 'parse @message "* * * * * * * * * * * * * *" as version, account_id, interface_id, srcaddr, dstaddr, srcport, dstport, protocol, packets, bytes, start, end, action, log_status';

describe('the interpreter, on hand-worked flow-log records', () => {
  const events = flowEvents(V2);

  it('counts REJECT records per source and port, as SUSPICIOUS_PORT_ACCESS does', () => {
    const r = run(`${PARSE_V2} | filter log_status = "OK" and action = "REJECT" | filter dstport in ["22", "23", "3389"] | stats count(*) as value by srcaddr, dstport | sort value desc`, events);
    expect(rows(r)).toEqual([
      { srcaddr: '198.51.100.7', dstport: '22', value: '2' },
      // Ties on value: ordered by the other fields, naturally (172.31.9.69 is not a number, so it precedes nothing numeric).
      { srcaddr: '172.31.9.69', dstport: '3389', value: '1' },
      { srcaddr: '198.51.100.7', dstport: '23', value: '1' },
    ]);
    // The REJECT records to those ports (the 445 one is not), before stats.
    expect(r.recordsMatched).toBe(4);
  });

  it('counts distinct destination ports (PORT_SCAN) and sums bytes exactly past 2^53 (HIGH_TRAFFIC_VOLUME)', () => {
    const scan = run(`${PARSE_V2} | filter action = "REJECT" | stats count_distinct(dstport) as value by srcaddr | filter value > 2`, events);
    expect(rows(scan)).toEqual([{ srcaddr: '198.51.100.7', value: '3' }]);
    const volume = run(`${PARSE_V2} | filter log_status = "OK" | stats sum(bytes) as value by srcaddr | filter value > 1000000000`, events);
    expect(rows(volume)).toEqual([{ srcaddr: '172.31.20.5', value: '9007199254740993' }]);
  });

  it('compares parsed text with numbers as numbers, and text with text as text', () => {
    expect(rows(run(`${PARSE_V2} | filter bytes > 4000 | display srcaddr, bytes`, events)).map((x) => x.bytes)).toEqual(['4249', '4249', '9007199254740993']);
    // As numbers, "40" < 1000 (as text it would not be); the NODATA record's "-" is not a number, so neither < nor > holds.
    expect(rows(run(`${PARSE_V2} | filter bytes < 1000 | display bytes`, events)).map((x) => x.bytes)).toEqual(['40', '40', '40', '40']);
    expect(run(`${PARSE_V2} | filter bytes >= 0 or bytes < 0`, events).rows).toHaveLength(7);
    expect(run(`${PARSE_V2} | filter bytes != 0`, events).rows).toHaveLength(8);
    // Text against text compares as text.
    expect(rows(run(`${PARSE_V2} | filter srcaddr > "198" | display srcaddr`, events)).map((x) => x.srcaddr)).toEqual(['198.51.100.7', '198.51.100.7', '198.51.100.7', '198.51.100.7']);
    expect(run(`${PARSE_V2} | filter srcaddr = 1`, events).rows).toHaveLength(0);
  });

  it('keeps the window [start, end) with the compiled filter on start', () => {
    const r = run(`${PARSE_V2} | filter start >= 1763803600 and start < 1763805000 | stats count(*) as n`, events);
    expect(rows(r)).toEqual([{ n: '4' }]);
  });

  it('an event the pattern does not match has none of its fields: no comparison on them holds', () => {
    const odd = [...events, { timestamp: 1763803000_000, message: 'not a flow log record', ptr: 'x' }];
    expect(run(`${PARSE_V2} | filter srcaddr != "-" | stats count(*) as n`, odd).rows).toEqual([[{ field: 'n', value: '7' }]]);
    // The NODATA record parses (its fields are "-") and is filtered out by != "-"; the odd line has no srcaddr at all.
    expect(run(`${PARSE_V2} | filter not (srcaddr = "-") | stats count(*) as n`, odd).rows).toEqual([[{ field: 'n', value: '8' }]]);
  });

  it('the seed runbook mistake: a filter after stats on a field stats dropped keeps nothing', () => {
    const r = run(`${PARSE_V2} | stats count_distinct(dstport) as ports by srcaddr | filter action = "REJECT"`, events);
    expect(r.rows).toEqual([]);
  });

  it('count(field) counts the rows that have it; count(*) every row; stats without by gives one row', () => {
    const mixed = [...events, { timestamp: 0, message: 'x', ptr: 'x' }];
    expect(rows(run(`${PARSE_V2} | stats count(*) as all, count(srcaddr) as parsed, count(nosuchfield) as none`, mixed))).toEqual([{ all: '9', parsed: '8', none: '0' }]);
    expect(rows(run(`${PARSE_V2} | filter srcaddr = "192.0.2.1" | stats count(*) as n`, mixed))).toEqual([{ n: '0' }]);
    expect(run(`${PARSE_V2} | filter srcaddr = "192.0.2.1" | stats count(*) as n by srcaddr`, mixed).rows).toEqual([]);
  });

  it("a second stats aggregates the first one's rows", () => {
    const r = run(`${PARSE_V2} | filter log_status = "OK" | stats count(*) as n by srcaddr | stats count(*) as sources, sum(n) as records, max(n) as most`, events);
    expect(rows(r)).toEqual([{ sources: '4', records: '7', most: '4' }]);
  });

  it('bin(5m) groups by @timestamp rounded down, printed as a time', () => {
    const r = run(`${PARSE_V2} | stats count(*) as flows, sum(bytes) as total_bytes by bin(5m)`, events);
    expect(rows(r)).toEqual([
      { 'bin(5m)': '2025-11-22 09:00:00.000', flows: '3', total_bytes: '8498' },
      { 'bin(5m)': '2025-11-22 09:25:00.000', flows: '4', total_bytes: '160' },
      { 'bin(5m)': '2025-11-22 09:50:00.000', flows: '1', total_bytes: '9007199254740993' },
    ]);
  });

  it('a query without stats returns events: @timestamp and @message by default, with @ptr', () => {
    const r = run(`${PARSE_V2} | filter srcaddr = "172.31.20.5"`, events);
    expect(r.rows).toEqual([
      [
        { field: '@timestamp', value: '2025-11-22 09:50:00.000' },
        { field: '@message', value: V2[6] },
        { field: '@ptr', value: 'p6' },
      ],
    ]);
    // fields (with an alias) chooses what is shown.
    expect(rows(run(`${PARSE_V2} | fields srcaddr as source, dstport | filter action = "ACCEPT" | sort dstport asc`, events))).toEqual([
      { source: '172.31.16.139', dstport: '22', '@ptr': 'p0' },
      { source: '172.31.20.5', dstport: '443', '@ptr': 'p6' },
    ]);
  });

  it('sort then limit is a top N over all events; limit alone takes the first N', () => {
    const top = run(`${PARSE_V2} | filter log_status = "OK" | sort bytes desc | limit 2 | display srcaddr, bytes`, events);
    expect(rows(top)).toEqual([
      { srcaddr: '172.31.20.5', bytes: '9007199254740993', '@ptr': 'p6' },
      { srcaddr: '172.31.16.139', bytes: '4249', '@ptr': 'p0' },
    ]);
    expect(rows(run(`${PARSE_V2} | limit 2 | display srcaddr`, events)).map((x) => x.srcaddr)).toEqual(['172.31.16.139', '172.31.9.69']);
    // StartQuery's limit caps the rows too.
    expect(run(`${PARSE_V2} | display srcaddr`, events, 3).rows).toHaveLength(3);
  });

  it("AWS's parse example: glob fields taken anywhere in the message, the last * to its end", () => {
    const logs = ['2025-11-22T10:00:00Z INFO user=alice, method:GET, latency := 10', 'x user=bob, method:PUT, latency := 30', 'x user=alice, method:GET, latency := 20', 'no match here'].map((message, i) => ({ timestamp: i, message, ptr: String(i) }));
    const r = run('parse @message "user=*, method:*, latency := *" as @user, @method, @latency | stats avg(@latency), count(*) as n by @method, @user', logs);
    expect(rows(r)).toEqual([
      { '@method': 'GET', '@user': 'alice', 'avg(@latency)': '15', n: '2' },
      { '@method': 'PUT', '@user': 'bob', 'avg(@latency)': '30', n: '1' },
      // The event the pattern did not match: a group of its own, without the fields.
      { n: '1' },
    ]);
    const chained = run('parse @message "url=*" as url | parse url "/api/*/users/*" as apiVersion, userId | display apiVersion, userId', [{ timestamp: 0, message: 'GET url=/api/v2/users/42', ptr: 'a' }]);
    expect(rows(chained)).toEqual([{ apiVersion: 'v2', userId: '42', '@ptr': 'a' }]);
  });

  it("sort follows AWS's natural order: non-numbers first, digit runs by length then value", () => {
    const values = ['a12345hfh', '0', '@', '5A', 'A9876fghj', '111A', '2345_', '01', '#', '1', 'A'];
    const logs = values.map((v, i) => ({ timestamp: i, message: v, ptr: String(i) }));
    const r = run('parse @message "*" as v | sort v asc | display v', logs);
    expect(rows(r).map((x) => x.v)).toEqual(['#', '5A', '111A', '2345_', '@', 'A', 'A9876fghj', 'a12345hfh', '0', '01', '1']);
  });

  it('not in, or, and parentheses', () => {
    const r = run(`${PARSE_V2} | filter (dstport not in ["22", "23"] and action = "REJECT") or srcaddr = "172.31.20.5" | display srcaddr, dstport`, events);
    expect(rows(r).map((x) => `${x.srcaddr}:${x.dstport}`)).toEqual(['172.31.9.69:3389', '198.51.100.7:445', '172.31.20.5:443']);
  });

  it('refuses at build time a condition that is not a comparison', () => {
    expect(() => new Execution(parseQuery('filter srcaddr'))).toThrow(/condition must be a comparison/);
  });
});

describe('the compiled rules over the hand-made fixture (v2, no header, with malformed and NODATA lines)', () => {
  const config = parseConfig(JSON.parse(readFileSync(path.join(FIXTURES, 'low-thresholds.json'), 'utf8')));
  const lines = readFileSync(path.join(FIXTURES, 'plain', 'exported-from-cloudwatch-v2.log'), 'utf8').split('\n');
  // Only the lines flowir's parser reads as records are log events (see log-group.ts), one space apart.
  const events = flowEvents(lines.filter((l) => parseLine(l, FlowLogFormat.V2).kind !== 'malformed').map((l) => splitFields(l).join(' ')));

  it('PORT_SCAN: 10.0.0.5 on 5 rejected ports, 198.51.100.7 on 4 (22, 23, 445, 8080; 135 starts at the window end, 139 before it)', () => {
    const r = run(compileLogsInsights('PORT_SCAN', { config, format: FlowLogFormat.V2, window: WINDOW }), events);
    expect(rows(r)).toEqual([
      { srcaddr: '10.0.0.5', value: '5' },
      { srcaddr: '198.51.100.7', value: '4' },
    ]);
  });

  it('HIGH_TRAFFIC_VOLUME: 172.31.16.139 at 4294967296 + 4249 + 1000 bytes, past the 2^32 threshold', () => {
    const r = run(compileLogsInsights('HIGH_TRAFFIC_VOLUME', { config, format: FlowLogFormat.V2, window: WINDOW }), events);
    expect(rows(r)).toEqual([
      { srcaddr: '172.31.20.5', value: '9007199254740993' },
      { srcaddr: '172.31.16.139', value: String(4294967296 + 4249 + 1000) },
    ]);
  });
});
