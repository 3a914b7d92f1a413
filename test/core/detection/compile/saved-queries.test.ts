import { checkLogsInsightsQuery, compileLogsInsights } from '../../../../core/detection/compile/logs-insights';
import { CompileError } from '../../../../core/detection/compile/rule-plan';
import { savedQueries } from '../../../../core/detection/compile/saved-queries';
import { DEFAULT_CONFIG, parseConfig } from '../../../../core/detection/config';
import { FlowLogFormat } from '../../../../core/flowlog/format';

describe('savedQueries', () => {
  const formats = [FlowLogFormat.V2, FlowLogFormat.V5, FlowLogFormat.parse('${srcaddr} ${dstaddr} ${dstport} ${protocol} ${bytes} ${start} ${action}')];

  it('offers the runbook queries, in order, with stable slugs', () => {
    const queries = savedQueries({ config: DEFAULT_CONFIG, format: FlowLogFormat.V2 });
    expect(queries.map((q) => q.slug)).toEqual(['top-talkers', 'rejected-connections', 'port-scanning', 'traffic-by-protocol', 'top-destinations', 'timeline']);
    for (const q of queries) expect(q.title.length).toBeGreaterThan(0);
  });

  it.each(formats.map((f) => [f.header(), f] as const))('every query passes the checker and parses the format explicitly (%s)', (_name, format) => {
    for (const q of savedQueries({ config: DEFAULT_CONFIG, format })) {
      expect({ slug: q.slug, problems: checkLogsInsightsQuery(q.queryString) }).toEqual({ slug: q.slug, problems: [] });
      expect(q.queryString.startsWith(`parse @message "${format.fields.map(() => '*').join(' ')}" as `)).toBe(true);
      expect(q.queryString.includes('log_status = "OK"')).toBe(format.has('log-status'));
    }
  });

  it('port scanning is the PORT_SCAN rule: REJECT filtered before stats, threshold from the config', () => {
    const config = parseConfig({ detections: { PORT_SCAN: { threshold: 25 } } });
    const scan = savedQueries({ config, format: FlowLogFormat.V2 }).find((q) => q.slug === 'port-scanning');
    expect(scan?.queryString).toBe(compileLogsInsights('PORT_SCAN', { config, format: FlowLogFormat.V2 }));
    const text = scan?.queryString ?? '';
    expect(text.indexOf('| filter action = "REJECT"')).toBeGreaterThan(0);
    expect(text.indexOf('| filter action = "REJECT"')).toBeLessThan(text.indexOf('| stats count_distinct(dstport)'));
    expect(text).toContain('| filter value > 25\n');
    expect(scan?.title).toContain('more than 25');
  });

  it('rejected connections filter REJECT before stats; the timeline counts by bin(5m)', () => {
    const byslug = new Map(savedQueries({ config: DEFAULT_CONFIG, format: FlowLogFormat.V2 }).map((q) => [q.slug, q.queryString]));
    expect(byslug.get('rejected-connections')).toMatch(/\| filter action = "REJECT"\n\| stats count\(\*\) as rejected by srcaddr, dstaddr, dstport\n/);
    expect(byslug.get('timeline')).toMatch(/\| stats count\(\*\) as flows, sum\(bytes\) as total_bytes by bin\(5m\)$/);
  });

  it('refuses a format without the fields the queries read', () => {
    expect(() => savedQueries({ config: DEFAULT_CONFIG, format: FlowLogFormat.parse('srcaddr dstport bytes start action') })).toThrow(
      new CompileError('saved queries: the format lacks dstaddr, protocol'),
    );
  });
});
