/**
 * CloudWatch Logs Insights, locally: the part of its query language flowir compiles, parsed to a
 * syntax tree and run over the flow-log group that the input files of `flowir run` stand for;
 * queries that are exactly a compiled detection rule are planned onto the fast scanner instead.
 * `local/runtime/queries.ts` serves StartQuery / GetQueryResults / StopQuery with it.
 */
import type { Query } from './ast';
import { Execution, type ExecutionOptions, type ExecutionResult } from './executor';
import type { LogGroup, LogGroupScan, TimeRange } from './log-group';

export { canonicalQuery, type Command, type Expr, type Query } from './ast';
export { LogsInsightsQueryError, type QueryErrorKind, type QueryLocation } from './errors';
export { DEFAULT_MAX_ROWS, Execution, type ExecutionOptions, type ExecutionResult, type LogEvent, type ResultCell } from './executor';
export { LogGroup, LogGroupError, type LogGroupOptions, type LogGroupScan, type TimeRange } from './log-group';
export { MAX_QUERY_LIMIT, parseQuery } from './parser';
export { RulePlanner, statsRowsOf, type RuleMatch } from './plan';

/** Run a parsed query over the log group's events in a time range, record by record. */
export async function interpret(query: Query, group: LogGroup, range: TimeRange, options: ExecutionOptions = {}): Promise<{ readonly result: ExecutionResult; readonly scan: LogGroupScan }> {
  const execution = new Execution(query, options);
  const scan = await group.scan(range, (event) => execution.push(event));
  return { result: execution.finish(), scan };
}
