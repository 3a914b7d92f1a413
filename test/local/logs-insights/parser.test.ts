import { compileLogsInsights, savedQueries } from '../../../core/detection/compile';
import { DEFAULT_CONFIG, parseConfig } from '../../../core/detection/config';
import { DETECTION_IDS } from '../../../core/detection/rules';
import { FlowLogFormat } from '../../../core/flowlog/format';
import { rawRecordsQuery } from '../../../handlers/aws/flow-record-source';
import { canonicalQuery, LogsInsightsQueryError, parseQuery, type Command } from '../../../local/logs-insights';

const WINDOW = { start: 1763802000, end: 1763805600 };
const FORMATS = [FlowLogFormat.V2, FlowLogFormat.V5, FlowLogFormat.parse('srcaddr dstaddr dstport bytes start action')];

function errorOf(query: string): LogsInsightsQueryError {
  try {
    parseQuery(query);
  } catch (e) {
    if (e instanceof LogsInsightsQueryError) return e;
    throw e;
  }
  throw new Error(`no error for: ${query}`);
}

describe('the parser reads every query flowir compiles', () => {
  const config = parseConfig({ suspiciousPorts: [22, 3389, 445] });
  it.each(FORMATS.flatMap((format) => DETECTION_IDS.flatMap((d) => [true, false].map((windowed) => ({ d, format, windowed })))))('$d, $format.fields.length fields, window $windowed', ({ d, format, windowed }) => {
    const text = compileLogsInsights(d, { config, format, ...(windowed ? { window: WINDOW } : {}) });
    const q = parseQuery(text);
    const kinds = q.commands.map((c) => c.kind);
    expect(kinds[0]).toBe('parse');
    expect(kinds.filter((k) => k === 'stats')).toHaveLength(1);
    expect(kinds.slice(-3)).toEqual(['filter', 'sort', 'limit']);
    const parse = q.commands[0] as Extract<Command, { kind: 'parse' }>;
    expect(parse.source).toBe('@message');
    expect(parse.names).toHaveLength(format.fields.length);
    // A syntax tree, not a text: spacing, comments and keyword case do not change it.
    const respaced = text.replace(/\n\| /g, ' |\n   # a comment\n  ').replace(/ and /g, ' AND ');
    expect(canonicalQuery(parseQuery(respaced))).toBe(canonicalQuery(q));
  });

  it('the stats of a rule: its measure, its key, its threshold', () => {
    const q = parseQuery(compileLogsInsights('SUSPICIOUS_PORT_ACCESS', { config: DEFAULT_CONFIG, format: FlowLogFormat.V2, window: WINDOW }));
    const stats = q.commands.find((c) => c.kind === 'stats');
    expect(stats).toMatchObject({ aggregates: [{ fn: 'count', field: null, name: 'value' }], groups: [{ kind: 'field', field: 'srcaddr' }, { kind: 'field', field: 'dstport' }] });
    const ports = q.commands.find((c) => c.kind === 'filter' && c.expr.kind === 'in');
    expect(ports).toMatchObject({ expr: { value: { name: 'dstport' }, list: ['22', '23', '135', '139', '445', '3389'].map((value) => ({ kind: 'string', value })) } });
    const scan = parseQuery(compileLogsInsights('PORT_SCAN', { config: DEFAULT_CONFIG, format: FlowLogFormat.V2 })).commands.find((c) => c.kind === 'stats');
    expect(scan).toMatchObject({ aggregates: [{ fn: 'count_distinct', field: 'dstport', name: 'value' }] });
  });

  it.each(savedQueries({ config: DEFAULT_CONFIG, format: FlowLogFormat.V5 }).map((s) => [s.slug, s.queryString]))('saved query %s', (_slug, text) => {
    expect(parseQuery(text).commands.length).toBeGreaterThan(2);
  });

  it('the timeline query groups by bin(5m)', () => {
    const timeline = savedQueries({ config: DEFAULT_CONFIG, format: FlowLogFormat.V2 }).find((s) => s.slug === 'timeline');
    const stats = parseQuery(timeline?.queryString ?? '').commands.find((c) => c.kind === 'stats');
    expect(stats).toMatchObject({ groups: [{ kind: 'bin', periodMs: 300_000, name: 'bin(5m)' }], aggregates: [{ name: 'flows' }, { name: 'total_bytes' }] });
  });

  it("the evidence query (display @message) of handlers/aws/flow-record-source", () => {
    const q = parseQuery(rawRecordsQuery(FlowLogFormat.V5, '2001:DB8::1', WINDOW));
    expect(q.commands.map((c) => c.kind)).toEqual(['parse', 'filter', 'display', 'limit']);
    expect(q.commands[2]).toMatchObject({ fields: ['@message'] });
  });

  it("AWS's documented examples", () => {
    // From the parse, filter, stats, sort and limit pages of the Logs Insights QL reference.
    const examples = [
      'parse @message "user=*, method:*, latency := *" as @user, @method, @latency | stats avg(@latency) by @method, @user',
      'parse @logStream "*/*/*/*" as env, service, instance, shard | stats count(*) by env, service',
      'parse @message "url=*" as url | parse url "/api/*/users/*" as apiVersion, userId | display apiVersion, userId',
      'fields @timestamp, @message | filter (range>3000) | sort @timestamp desc | limit 20',
      'fields @timestamp, @message | filter (range>3000 and accountId=123456789012) | sort @timestamp desc | limit 20',
      'stats sum(packets) as packetsTransferred by srcAddr, dstAddr | sort packetsTransferred desc | limit 15',
      'fields @timestamp, @message | sort @timestamp desc | limit 25',
      'stats count(*) by queryType, bin(1h)',
      'fields f1, f2 | filter (f1=10 or f3>25)',
    ];
    for (const e of examples) expect(() => parseQuery(e)).not.toThrow();
    expect(parseQuery(examples[0] as string).commands[1]).toMatchObject({ aggregates: [{ fn: 'avg', field: '@latency', name: 'avg(@latency)' }], groups: [{ field: '@method' }, { field: '@user' }] });
  });
});

describe('what it does not run is refused with its position', () => {
  it.each([
    ['fields @message | filter @message like /Exception/', 'unsupported', 1, 35, 'like'],
    ['filter f1 =~ /Exception/', 'unsupported', 1, 11, '=~'],
    ['parse @message /(?<NetworkInterface>eni-.*?) / | display NetworkInterface', 'unsupported', 1, 16, '"/"'],
    ['fields `foo-bar`, action, abs(f3-f4)', 'unsupported', 1, 27, 'abs()'],
    ['stats pct(@duration, 95)', 'unsupported', 1, 7, 'pct()'],
    ['parse @message "* * *" as a, b, c\n| filter log-status = "OK"', 'unsupported', 2, 10, 'backticks'],
    ['fields a | dedup a', 'unsupported', 1, 12, 'dedup'],
    ['stats count(*) by bin(1mo)', 'unsupported', 1, 23, 'calendar'],
    ['fields f1 | sort f1', 'unsupported', 1, 18, '"asc" or "desc"'],
    ['filter ispresent(f1)', 'unsupported', 1, 8, 'ispresent()'],
    ['fields @message | limit any 1', 'unsupported', 1, 25, 'limit any'],
    ['filter bytes > 2 * 3', 'unsupported', 1, 18, 'arithmetic'],
  ] as const)('%j', (query, kind, line, column, words) => {
    const e = errorOf(query);
    expect(e.name).toBe('MalformedQueryException');
    expect({ kind: e.kind, line: e.line, column: e.column }).toEqual({ kind, line, column });
    expect(e.message).toContain(words);
    expect(e.message).toContain(`line ${line}, column ${column}`);
    expect(e.queryCompileError.location.startCharOffset).toBe(e.location.startCharOffset);
  });

  it.each([
    ['', 'the query is empty'],
    ['filter (a = 1', 'expected ")"'],
    ['parse @message "* *" as a', 'the pattern has 2 "*" but 1 field name'],
    ['parse @message "x=*"', '"as"'],
    ['filter a = "open', 'not closed'],
    ['stats count(*) | stats count(*) | stats count(*)', 'at most 2 stats'],
    ['limit 0', 'from 1 to 100000'],
    ['Stats count(*)', 'lower case'],
    ['frobnicate x', 'not a Logs Insights command'],
    ['stats sum(*)', 'only count takes'],
    ['filter a in ["x", ]', 'expected a string or a number'],
    ['fields a b', 'expected "|"'],
    ['stats count(*) as n, sum(x) as n', 'twice'],
  ])('malformed: %j', (query, words) => {
    const e = errorOf(query);
    expect(e.kind).toBe('malformed');
    expect(e.message).toContain(words);
  });

  it('the position is the offending text, in a multi-line query', () => {
    const text = compileLogsInsights('PORT_SCAN', { config: DEFAULT_CONFIG, format: FlowLogFormat.V2, window: WINDOW }).replace('| sort value desc', '| sort value');
    const e = errorOf(text);
    const lines = text.split('\n');
    expect(e.line).toBe(lines.findIndex((l) => l === '| sort value') + 1);
    expect(text.slice(e.location.startCharOffset, e.location.endCharOffset)).toBe('value');
    expect(text.slice(0, e.location.startCharOffset).endsWith('| sort ')).toBe(true);
  });
});
