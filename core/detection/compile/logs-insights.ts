import type { FlowLogFormat } from '../../flowlog/format';
import type { FlowirConfig } from '../config';
import type { DetectionId } from '../rules';
import type { TimeWindow } from '../window';
import { checkWindow, CompileError, DETECTION_COLUMNS, RESULT_COLUMNS, columnName, planRule, requireDetectionFields, type RulePlan } from './rule-plan';

export { checkLogsInsightsQuery } from './logs-insights-check';

/** Logs Insights returns at most this many rows, whatever `limit` says. */
export const LOGS_INSIGHTS_MAX_ROWS = 10_000;

export interface LogsInsightsOptions {
  readonly config: FlowirConfig;
  /** The layout of the records in the log group (its flow log's LogFormat). */
  readonly format: FlowLogFormat;
  /**
   * When given, only records whose `start` is in `[start, end)` count. StartQuery's time range
   * selects log events by `@timestamp`, which is not the record's `start`; detection is on `start`.
   */
  readonly window?: TimeWindow;
  /** Rows to return, most significant first (default and maximum 10,000). */
  readonly limit?: number;
}

// Words the query language reads as operators or commands: a field with such a name needs backticks.
const RESERVED = new Set(['and', 'or', 'not', 'in', 'like', 'as', 'by', 'asc', 'desc', 'true', 'false', 'null', 'fields', 'display', 'filter', 'stats', 'sort', 'limit', 'parse', 'dedup']);

/** A field name as written in a Logs Insights query. */
export function logsInsightsField(field: string): string {
  const name = columnName(field);
  return RESERVED.has(name) ? `\`${name}\`` : name;
}

/**
 * The `parse` command that names every field of the format. CloudWatch discovers flow-log fields
 * under its own (camel-case) names, so queries parse `@message` themselves; a glob with one `*`
 * per space-separated field keeps it cheap and exact.
 */
export function logsInsightsParse(format: FlowLogFormat): string {
  const names = format.fields.map(logsInsightsField);
  return `parse @message "${names.map(() => '*').join(' ')}" as ${names.join(', ')}`;
}

/** The filter shared by every detection: log-status OK (when the format has it) and no detection field `-`. */
export function logsInsightsRecordFilter(format: FlowLogFormat): string {
  const conditions = format.has('log-status') ? [`${logsInsightsField('log-status')} = "OK"`] : [];
  for (const c of DETECTION_COLUMNS) conditions.push(`${logsInsightsField(c)} != "-"`);
  return `filter ${conditions.join(' and ')}`;
}

const MEASURE: Readonly<Record<RulePlan['measure'], string>> = {
  'sum-bytes': 'sum(bytes)',
  count: 'count(*)',
  // Approximate at high cardinality: the incident workflow re-counts findings on the raw records.
  'distinct-dstport': 'count_distinct(dstport)',
};

/**
 * Compile one rule of core/detection/rules.ts to a CloudWatch Logs Insights query. Rows carry
 * `srcaddr`, `dstport` (SUSPICIOUS_PORT_ACCESS only) and `value` (see RESULT_COLUMNS), over the
 * threshold, largest first. Allowlisted sources are not excluded here: findings go through
 * applyAllowlist afterwards, as in the local evaluator.
 */
export function compileLogsInsights(detection: DetectionId, options: LogsInsightsOptions): string {
  const { format, window } = options;
  const plan = planRule(detection, options.config);
  requireDetectionFields(format, detection);
  const limit = options.limit ?? LOGS_INSIGHTS_MAX_ROWS;
  if (!Number.isInteger(limit) || limit < 1 || limit > LOGS_INSIGHTS_MAX_ROWS) {
    throw new CompileError(`${detection}: limit must be a whole number from 1 to ${LOGS_INSIGHTS_MAX_ROWS}, got ${limit}`);
  }
  const value = RESULT_COLUMNS.value;
  const commands = [logsInsightsParse(format), logsInsightsRecordFilter(format)];
  if (window !== undefined) {
    checkWindow(window, detection);
    // Epoch seconds have ten digits until the year 2286, so this holds whether the parsed text is
    // compared as a number or as a string.
    const start = logsInsightsField('start');
    commands.push(`filter ${start} >= ${window.start} and ${start} < ${window.end}`);
  }
  if (plan.action !== undefined) commands.push(`filter ${logsInsightsField('action')} = "${plan.action}"`);
  // `in` matches complete strings, and parsed fields are the record's text: list the ports as strings.
  if (plan.ports !== undefined) commands.push(`filter ${logsInsightsField('dstport')} in [${plan.ports.map((p) => `"${p}"`).join(', ')}]`);
  commands.push(`stats ${MEASURE[plan.measure]} as ${value} by ${plan.groupBy.map(logsInsightsField).join(', ')}`);
  commands.push(`filter ${value} > ${plan.threshold}`);
  commands.push(`sort ${value} desc`);
  commands.push(`limit ${limit}`);
  return commands.join('\n| ');
}
