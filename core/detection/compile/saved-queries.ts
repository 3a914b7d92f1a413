import type { FlowLogFormat } from '../../flowlog/format';
import type { FlowirConfig } from '../config';
import { compileLogsInsights, logsInsightsField as f, logsInsightsParse } from './logs-insights';
import { CompileError } from './rule-plan';

export interface SavedQuery {
  /** Stable identifier, usable in resource names. */
  readonly slug: string;
  readonly title: string;
  readonly queryString: string;
}

export interface SavedQueryOptions {
  readonly config: FlowirConfig;
  /** The layout of the records in the log group. */
  readonly format: FlowLogFormat;
}

/**
 * The runbook's saved Logs Insights queries (AWS::Logs::QueryDefinition), each parsing `@message`
 * with the configured format. Their time range is the console's; port scanning is the PORT_SCAN
 * rule itself, so it filters REJECT before `stats` (the seed runbook filtered after it, on a field
 * `stats` had dropped).
 */
export function savedQueries(options: SavedQueryOptions): SavedQuery[] {
  const { format, config } = options;
  const need = ['srcaddr', 'dstaddr', 'dstport', 'protocol', 'bytes', 'action'].filter((n) => !format.has(n));
  if (need.length > 0) throw new CompileError(`saved queries: the format lacks ${need.join(', ')}`);
  const parse = logsInsightsParse(format);
  const ok = format.has('log-status') ? [`filter ${f('log-status')} = "OK"`] : [];
  const query = (...commands: string[]): string => [parse, ...ok, ...commands].join('\n| ');
  return [
    {
      slug: 'top-talkers',
      title: 'Top talkers (bytes by source)',
      queryString: query(`stats sum(${f('bytes')}) as total_bytes, count(*) as flows by ${f('srcaddr')}`, 'sort total_bytes desc', 'limit 25'),
    },
    {
      slug: 'rejected-connections',
      title: 'Rejected connections',
      queryString: query(
        `filter ${f('action')} = "REJECT"`,
        `stats count(*) as rejected by ${f('srcaddr')}, ${f('dstaddr')}, ${f('dstport')}`,
        'sort rejected desc',
        'limit 100',
      ),
    },
    {
      slug: 'port-scanning',
      title: `Port scanning (more than ${config.detections.PORT_SCAN.threshold} rejected ports per source)`,
      queryString: compileLogsInsights('PORT_SCAN', { config, format }),
    },
    {
      slug: 'traffic-by-protocol',
      title: 'Traffic by protocol',
      queryString: query(`stats sum(${f('bytes')}) as total_bytes, count(*) as flows by ${f('protocol')}`, 'sort total_bytes desc'),
    },
    {
      slug: 'top-destinations',
      title: 'Top destinations',
      queryString: query(`stats sum(${f('bytes')}) as total_bytes, count(*) as flows by ${f('dstaddr')}, ${f('dstport')}`, 'sort total_bytes desc', 'limit 25'),
    },
    {
      slug: 'timeline',
      title: 'Flows and bytes per 5 minutes',
      queryString: query(`stats count(*) as flows, sum(${f('bytes')}) as total_bytes by bin(5m)`),
    },
  ];
}
