import { checkLogsInsightsQuery, compileLogsInsights, logsInsightsParse } from '../../../../core/detection/compile/logs-insights';
import { CompileError } from '../../../../core/detection/compile/rule-plan';
import { DEFAULT_CONFIG, parseConfig } from '../../../../core/detection/config';
import { DETECTION_IDS } from '../../../../core/detection/rules';
import { FlowLogFormat } from '../../../../core/flowlog/format';

const WINDOW = { start: 1763802000, end: 1763805600 };
const V2_PARSE =
  'parse @message "* * * * * * * * * * * * * *" as version, account_id, interface_id, srcaddr, dstaddr, srcport, dstport, protocol, packets, bytes, start, end, action, log_status';
const V2_RECORDS = '| filter log_status = "OK" and srcaddr != "-" and dstport != "-" and bytes != "-" and start != "-" and action != "-"';
const V2_WINDOW = '| filter start >= 1763802000 and start < 1763805600';

// A custom format: a subset in another order, hyphenated fields, no log-status.
const CUSTOM = FlowLogFormat.parse('${start} ${srcaddr} ${pkt-srcaddr} ${dstaddr} ${dstport} ${action} ${bytes} ${flow-direction}');
const CUSTOM_PARSE = 'parse @message "* * * * * * * *" as start, srcaddr, pkt_srcaddr, dstaddr, dstport, action, bytes, flow_direction';
const CUSTOM_RECORDS = '| filter srcaddr != "-" and dstport != "-" and bytes != "-" and start != "-" and action != "-"';

const lines = (...l: string[]): string => l.join('\n');

describe('compileLogsInsights: golden text, v2', () => {
  it.each([
    [
      'PORT_SCAN',
      lines(
        V2_PARSE,
        V2_RECORDS,
        V2_WINDOW,
        '| filter action = "REJECT"',
        '| stats count_distinct(dstport) as value by srcaddr',
        '| filter value > 50',
        '| sort value desc',
        '| limit 10000',
      ),
    ],
    [
      'SUSPICIOUS_PORT_ACCESS',
      lines(
        V2_PARSE,
        V2_RECORDS,
        V2_WINDOW,
        '| filter action = "REJECT"',
        '| filter dstport in ["22", "23", "135", "139", "445", "3389"]',
        '| stats count(*) as value by srcaddr, dstport',
        '| filter value > 10',
        '| sort value desc',
        '| limit 10000',
      ),
    ],
    [
      'HIGH_TRAFFIC_VOLUME',
      lines(V2_PARSE, V2_RECORDS, V2_WINDOW, '| stats sum(bytes) as value by srcaddr', '| filter value > 1000000000', '| sort value desc', '| limit 10000'),
    ],
    [
      'HIGH_CONNECTION_COUNT',
      lines(V2_PARSE, V2_RECORDS, V2_WINDOW, '| stats count(*) as value by srcaddr', '| filter value > 1000', '| sort value desc', '| limit 10000'),
    ],
  ] as const)('%s', (detection, expected) => {
    const query = compileLogsInsights(detection, { config: DEFAULT_CONFIG, format: FlowLogFormat.V2, window: WINDOW });
    expect(query).toBe(expected);
    expect(checkLogsInsightsQuery(query)).toEqual([]);
  });
});

describe('compileLogsInsights: golden text, custom format', () => {
  it.each([
    [
      'PORT_SCAN',
      lines(CUSTOM_PARSE, CUSTOM_RECORDS, '| filter action = "REJECT"', '| stats count_distinct(dstport) as value by srcaddr', '| filter value > 50', '| sort value desc', '| limit 10000'),
    ],
    [
      'SUSPICIOUS_PORT_ACCESS',
      lines(
        CUSTOM_PARSE,
        CUSTOM_RECORDS,
        '| filter action = "REJECT"',
        '| filter dstport in ["22", "23", "135", "139", "445", "3389"]',
        '| stats count(*) as value by srcaddr, dstport',
        '| filter value > 10',
        '| sort value desc',
        '| limit 10000',
      ),
    ],
    ['HIGH_TRAFFIC_VOLUME', lines(CUSTOM_PARSE, CUSTOM_RECORDS, '| stats sum(bytes) as value by srcaddr', '| filter value > 1000000000', '| sort value desc', '| limit 10000')],
    ['HIGH_CONNECTION_COUNT', lines(CUSTOM_PARSE, CUSTOM_RECORDS, '| stats count(*) as value by srcaddr', '| filter value > 1000', '| sort value desc', '| limit 10000')],
  ] as const)('%s (no window: the StartQuery time range alone bounds it)', (detection, expected) => {
    const query = compileLogsInsights(detection, { config: DEFAULT_CONFIG, format: CUSTOM });
    expect(query).toBe(expected);
    expect(checkLogsInsightsQuery(query)).toEqual([]);
  });
});

describe('compileLogsInsights: compiled from the config', () => {
  const config = parseConfig({
    suspiciousPorts: [3389, 2222, 22],
    detections: { SUSPICIOUS_PORT_ACCESS: { threshold: 3 }, PORT_SCAN: { threshold: 7 }, HIGH_TRAFFIC_VOLUME: { threshold: 5 }, HIGH_CONNECTION_COUNT: { threshold: 0 } },
  });

  it('takes thresholds and the port list from the config', () => {
    const spa = compileLogsInsights('SUSPICIOUS_PORT_ACCESS', { config, format: FlowLogFormat.V2 });
    expect(spa).toContain('| filter dstport in ["22", "2222", "3389"]\n');
    expect(spa).toContain('| filter value > 3\n');
    expect(compileLogsInsights('PORT_SCAN', { config, format: FlowLogFormat.V2 })).toContain('| filter value > 7\n');
    expect(compileLogsInsights('HIGH_TRAFFIC_VOLUME', { config, format: FlowLogFormat.V2 })).toContain('| filter value > 5\n');
    expect(compileLogsInsights('HIGH_CONNECTION_COUNT', { config, format: FlowLogFormat.V2 })).toContain('| filter value > 0\n');
  });

  it('filters REJECT, ports and the window before stats, and the threshold after it', () => {
    const query = compileLogsInsights('SUSPICIOUS_PORT_ACCESS', { config, format: FlowLogFormat.V5, window: WINDOW });
    const at = (text: string): number => query.indexOf(text);
    const stats = at('| stats ');
    for (const before of ['| filter action = "REJECT"', '| filter dstport in', '| filter start >= 1763802000 and start < 1763805600', 'log_status = "OK"']) {
      expect(at(before)).toBeGreaterThan(0);
      expect(at(before)).toBeLessThan(stats);
    }
    expect(at('| filter value > 3')).toBeGreaterThan(stats);
  });

  it('parses every field of a v5 format, with underscores and one "*" per field', () => {
    const parse = logsInsightsParse(FlowLogFormat.V5);
    const [pattern = '', names = ''] = /^parse @message "([* ]+)" as (.+)$/.exec(parse)?.slice(1) ?? [];
    const fields = names.split(', ');
    expect(fields).toEqual(FlowLogFormat.V5.fields.map((f) => f.replace(/-/g, '_')));
    expect(pattern.split(' ')).toHaveLength(fields.length);
    expect(fields).toEqual(expect.arrayContaining(['log_status', 'pkt_src_aws_service', 'traffic_path']));
  });

  it('puts backticks around a field named like a keyword', () => {
    const format = FlowLogFormat.parse('srcaddr dstport bytes start action by');
    expect(logsInsightsParse(format)).toBe('parse @message "* * * * * *" as srcaddr, dstport, bytes, start, action, `by`');
    expect(checkLogsInsightsQuery(compileLogsInsights('PORT_SCAN', { config, format }))).toEqual([]);
  });

  it('passes the checker for every rule, format and window', () => {
    for (const format of [FlowLogFormat.V2, FlowLogFormat.forVersion(3), FlowLogFormat.V5, CUSTOM]) {
      for (const detection of DETECTION_IDS) {
        for (const window of [undefined, WINDOW]) {
          const query = compileLogsInsights(detection, { config, format, ...(window ? { window } : {}) });
          expect({ detection, problems: checkLogsInsightsQuery(query) }).toEqual({ detection, problems: [] });
        }
      }
    }
  });
});

describe('compileLogsInsights: refuses what it cannot compile', () => {
  it('a format without a detection field, naming it', () => {
    const format = FlowLogFormat.parse('srcaddr dstaddr bytes start action');
    expect(() => compileLogsInsights('PORT_SCAN', { config: DEFAULT_CONFIG, format })).toThrow(new CompileError('PORT_SCAN: the format lacks fields detection needs (dstport)'));
  });

  it('an empty or reversed window', () => {
    const run = (window: { start: number; end: number }) => () => compileLogsInsights('PORT_SCAN', { config: DEFAULT_CONFIG, format: FlowLogFormat.V2, window });
    expect(run({ start: 10, end: 10 })).toThrow(/window must be whole epoch seconds with start < end, got \[10, 10\)/);
    expect(run({ start: 10.5, end: 20 })).toThrow(CompileError);
  });

  it('a limit Logs Insights cannot return', () => {
    expect(() => compileLogsInsights('PORT_SCAN', { config: DEFAULT_CONFIG, format: FlowLogFormat.V2, limit: 10_001 })).toThrow(/limit must be a whole number from 1 to 10000/);
    expect(compileLogsInsights('PORT_SCAN', { config: DEFAULT_CONFIG, format: FlowLogFormat.V2, limit: 50 })).toMatch(/\| limit 50$/);
  });
});

describe('checkLogsInsightsQuery', () => {
  it("catches the seed runbook's port-scan query: action is gone after stats", () => {
    const problems = checkLogsInsightsQuery('stats count_distinct(dstport) as ports by srcaddr | filter action = "REJECT"');
    expect(problems).toEqual(['command 2 (filter): field "action" is used after stats, but stats did not define it (after stats only ports, srcaddr exist)']);
  });

  it('accepts the corrected order of that query', () => {
    expect(checkLogsInsightsQuery('filter action = "REJECT" | stats count_distinct(dstport) as ports by srcaddr | filter ports > 50 | sort ports desc')).toEqual([]);
  });

  it('catches a filter on a stats alias before stats', () => {
    expect(checkLogsInsightsQuery('filter ports > 50 | stats count_distinct(dstport) as ports by srcaddr')).toEqual([
      'command 1 (filter): field "ports" is defined by a later stats; before that stats it does not exist',
    ]);
  });

  it('allows a field that parse defines before stats, even if stats reuses the name', () => {
    expect(checkLogsInsightsQuery('parse @message "* *" as src, n | filter n > 1 | stats sum(n) as n by src')).toEqual([]);
  });

  it('allows two stats, the second reading what the first defined, and catches a third', () => {
    expect(checkLogsInsightsQuery('stats count(*) as flows by srcaddr, bin(5m) as t | stats avg(flows) as mean by srcaddr | sort mean desc')).toEqual([]);
    expect(checkLogsInsightsQuery('stats count(*) as flows by srcaddr | stats avg(bytes) as b by srcaddr')).toEqual([
      'command 2 (stats): field "bytes" is used after stats, but stats did not define it (after stats only flows, srcaddr exist)',
    ]);
    expect(checkLogsInsightsQuery('stats count(*) as c by a | stats count(*) as d by c | stats count(*) as e by d')).toEqual(['command 3 (stats): a query may have at most 2 stats commands']);
  });

  it('catches sort and fields on names stats did not define', () => {
    expect(checkLogsInsightsQuery('stats sum(bytes) as total by srcaddr | sort bytes desc')).toEqual([
      'command 2 (sort): field "bytes" is used after stats, but stats did not define it (after stats only total, srcaddr exist)',
    ]);
    expect(checkLogsInsightsQuery('stats count(*) by srcaddr | fields srcaddr, dstaddr')).toEqual([
      'command 2 (fields): field "dstaddr" is used after stats, but stats did not define it (after stats only count(*), srcaddr exist)',
    ]);
  });

  it('catches unknown commands and non-aggregations in stats', () => {
    expect(checkLogsInsightsQuery('fields srcaddr | where action = "REJECT"')).toEqual([
      expect.stringMatching(/^command 2 \(where\): "where" is not a Logs Insights command/) as unknown as string,
    ]);
    expect(checkLogsInsightsQuery('stats srcaddr by dstport')).toEqual([expect.stringMatching(/^command 1 \(stats\): "srcaddr" is not an aggregation/) as unknown as string]);
    expect(checkLogsInsightsQuery('stats frequency(dstport) by srcaddr')).toEqual([
      expect.stringMatching(/^command 1 \(stats\): "frequency\(dstport\)" is not an aggregation/) as unknown as string,
    ]);
  });

  it('catches a parse pattern whose wildcards and names disagree', () => {
    expect(checkLogsInsightsQuery('parse @message "* * *" as a, b')).toEqual(['command 1 (parse): the pattern has 3 "*" but 2 field names']);
    expect(checkLogsInsightsQuery('parse @message "* *"')).toEqual(['command 1 (parse): a glob pattern needs "as" and one field name per "*"']);
  });

  it('reads named groups of a regex parse as fields, and | inside a regex or string does not split', () => {
    expect(checkLogsInsightsQuery('parse @message /(?<eni>eni-[a-z0-9]+|none) (?<n>\\d+)/ | filter msg like /a|b/ | stats sum(n) as total by eni')).toEqual([]);
    expect(checkLogsInsightsQuery('filter @message like "a|b" | stats count(*) as c by @logStream')).toEqual([]);
    expect(checkLogsInsightsQuery('parse @message /(.*)/')).toEqual(['command 1 (parse): a regular expression pattern needs named groups (?<name>...)']);
  });

  it('catches field names with "-" outside backticks', () => {
    expect(checkLogsInsightsQuery('filter log-status = "OK"')).toEqual(['"log-status" reads as a subtraction: field names with "-" need backticks, or use log_status']);
    expect(checkLogsInsightsQuery('filter `log-status` = "OK"')).toEqual([]);
  });

  it('catches limits over 10,000, empty commands, unbalanced brackets and unterminated strings', () => {
    expect(checkLogsInsightsQuery('fields a | limit 20000')).toEqual(['command 2 (limit): limit takes one whole number from 1 to 10000, got "20000"']);
    expect(checkLogsInsightsQuery('fields a | | limit 5')).toEqual(['command 2: empty command between pipes']);
    expect(checkLogsInsightsQuery('stats count(* by a')).toContain('unbalanced brackets');
    expect(checkLogsInsightsQuery('filter action = "REJECT')).toEqual(['unterminated string starting at character 17']);
    expect(checkLogsInsightsQuery('   ')).toEqual(['the query is empty']);
  });

  it('ignores comments', () => {
    expect(checkLogsInsightsQuery('# rejected | stats\nfilter action = "REJECT" # only rejects\n| stats count(*) as c by srcaddr')).toEqual([]);
  });
});
