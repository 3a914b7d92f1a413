import {
  InvalidParameterException,
  ResourceNotFoundException,
  type GetQueryResultsCommandInput,
  type GetQueryResultsCommandOutput,
  type QueryStatistics,
  type QueryStatus,
  type ResultField,
  type StartQueryCommandInput,
  type StartQueryCommandOutput,
  type StopQueryCommandInput,
  type StopQueryCommandOutput,
} from '@aws-sdk/client-cloudwatch-logs';
import type { FlowirConfig } from '../../core/detection/config';
import type { TimeWindow } from '../../core/detection/window';
import { FlowLogFormat } from '../../core/flowlog/format';
import type { ScanResult } from '../../core/scan/scanner';
import { DEFAULT_MAX_ROWS, Execution, LogGroup, LogsInsightsQueryError, parseQuery, RulePlanner, statsRowsOf, type ExecutionResult, type Query, type RuleMatch } from '../logs-insights';

/** The fast scan over a window (`flowir scan`'s result for it): the planned path's source. */
export type WindowScan = (window: TimeWindow) => Promise<ScanResult>;

export interface LocalLogsInsightsOptions {
  /** The input files and folders of the run: the flow-log group's records. */
  readonly inputs: readonly string[];
  /** Thresholds, port list, allowlist and `format` (the flow log's LogFormat, the layout of `@message`). */
  readonly config: FlowirConfig;
  /**
   * The fast scan over a window. When given, a query that is exactly a compiled rule is answered
   * from it; otherwise every query is interpreted over the records.
   */
  readonly scan?: WindowScan;
  /** Inputs the fast scan left out as duplicates of others (`ScanResult.records.duplicateOf[].path`). */
  readonly leaveOut?: readonly string[];
  /** Told why a query failed (its GetQueryResults says only `Failed`). */
  readonly onNotice?: (message: string) => void;
}

/**
 * An error of a StartQuery or StopQuery task, named as a Step Functions aws-sdk integration names
 * a service error (`CloudWatchLogs.<ErrorName>`, docs/aws-facts.md §1): the workflow calls these two
 * through Step Functions. GetQueryResults, which ToFindings calls through the SDK, throws the SDK's
 * own exceptions instead.
 */
export class LocalQueryError extends Error {
  override readonly name: string;
  constructor(
    readonly awsName: 'InvalidParameterException' | 'MalformedQueryException' | 'ResourceNotFoundException',
    message: string,
    /** MalformedQueryException's QueryCompileError. */
    readonly queryCompileError?: { readonly location: { readonly startCharOffset: number; readonly endCharOffset: number }; readonly message: string },
  ) {
    super(message);
    this.name = `CloudWatchLogs.${awsName}`;
  }
}

interface Outcome {
  readonly status: QueryStatus;
  readonly rows: ResultField[][];
  readonly statistics: QueryStatistics;
}

interface LocalQuery {
  readonly outcome: Promise<Outcome>;
  settled: boolean;
}

/** StartQuery's `queryString`: at most 10,000 characters (API reference, StartQuery request parameters). */
const MAX_QUERY_STRING = 10_000;
/** StartQuery's `limit`: "The maximum limit is 100,000" (SDK model docs, StartQueryRequest). */
const MAX_START_QUERY_LIMIT = 100_000;
/** Log groups one query may name (StartQueryRequest: "You can include up to 50 log groups"). */
const MAX_LOG_GROUPS = 50;

/**
 * CloudWatch Logs Insights, locally. StartQuery parses the query (a MalformedQueryException, with
 * the position, for what is not valid or not supported: local/logs-insights/parser.ts) and runs it
 * over the log group the input files stand for, selecting events by their timestamp, the record's
 * `start` (local/logs-insights/log-group.ts), within `[startTime, endTime]` (both included).
 *
 * A query that is exactly one of the configured rules as `compileLogsInsights` writes it is
 * answered from the fast scan of its window (cached per window; the run's own scan serves the run's
 * window), since reading every record in JavaScript once per rule would be several times slower
 * than `flowir scan`; any other query is interpreted record by record (local/logs-insights/executor.ts).
 *
 * GetQueryResults answers in the SDK v3's shape: `status`, `results` (rows of `{field, value}`) and
 * `statistics`. Statistics, as AWS defines them (QueryStatistics,
 * https://docs.aws.amazon.com/AmazonCloudWatchLogs/latest/APIReference/API_QueryStatistics.html, and
 * the SDK model docs of @aws-sdk/client-cloudwatch-logs 3.1169.0):
 * - `recordsScanned`, "The total number of log events scanned during the query": the log events
 *   whose timestamp is in the time range.
 * - `bytesScanned`, "The total number of bytes in the log events scanned during the query": the
 *   UTF-8 bytes of those events' `@message` (whether AWS adds a per-event overhead, as its
 *   ingestion size does, is not documented; none is added).
 * - `recordsMatched`, "The number of log events that matched the query string": the events that
 *   passed every `filter` before the first `stats` (every `filter`, without `stats`).
 * - `resultCount`, "The number of rows in the final query result set", after post-aggregation
 *   filters; `logGroupsScanned`, the log groups named (the inputs are the one log group, read once
 *   whatever the number of names); `estimatedRecordsSkipped` / `estimatedBytesSkipped` are 0 (they
 *   count what field indexes let a query skip; there are none locally).
 * On the planned path the fast scan knows only records that take part in detection: there,
 * `recordsScanned` is the number of those records in the query's window (so NODATA/SKIPDATA
 * records and the time range's margins outside the window are not counted), `recordsMatched` is
 * the same number (exact for HIGH_TRAFFIC_VOLUME and HIGH_CONNECTION_COUNT, whose filters are those
 * of detection; for PORT_SCAN and SUSPICIOUS_PORT_ACCESS an upper bound, as the fast scan does not
 * count REJECT records over all sources), and `bytesScanned` is `recordsScanned` times the mean
 * `@message` size of the log group's first 1,000 events (an estimate).
 *
 * Local queries are answered when complete: GetQueryResults waits for the query rather than
 * answering `Running`, so a detection run's polling loop is not spent waiting.
 */
export class LocalLogsInsights {
  private readonly queries = new Map<string, LocalQuery>();
  private readonly scans = new Map<string, Promise<ScanResult>>();
  private readonly format: FlowLogFormat;
  private readonly group: LogGroup;
  private readonly planner: RulePlanner;
  private meanBytes: Promise<number> | undefined;
  private next = 0;

  constructor(private readonly options: LocalLogsInsightsOptions) {
    this.format = FlowLogFormat.parse(options.config.format);
    this.group = new LogGroup({ inputs: options.inputs, format: this.format, ...(options.leaveOut !== undefined ? { leaveOut: options.leaveOut } : {}) });
    this.planner = new RulePlanner(options.config, this.format);
  }

  /** StartQuery, in the SDK v3's shape (the task wrapper converts from and to Step Functions'). */
  async startQuery(input: StartQueryCommandInput): Promise<StartQueryCommandOutput> {
    const bad = (message: string): never => {
      throw new LocalQueryError('InvalidParameterException', message);
    };
    const groups = logGroupCount(input, bad);
    if (input.queryLanguage !== undefined && input.queryLanguage !== 'CWLI') bad(`queryLanguage ${input.queryLanguage}: only Logs Insights QL (CWLI) runs locally`);
    const { startTime, endTime } = input;
    if (typeof startTime !== 'number' || typeof endTime !== 'number' || !Number.isSafeInteger(startTime) || !Number.isSafeInteger(endTime) || startTime < 0 || endTime < 0) {
      bad('startTime and endTime are required, in whole epoch seconds');
    }
    if ((startTime as number) > (endTime as number)) bad(`endTime (${endTime}) is before startTime (${startTime})`);
    if (input.limit !== undefined && (!Number.isInteger(input.limit) || input.limit < 1 || input.limit > MAX_START_QUERY_LIMIT)) bad(`limit must be from 1 to ${MAX_START_QUERY_LIMIT}, got ${input.limit}`);
    const text = input.queryString;
    if (typeof text !== 'string' || text.length === 0) return bad('queryString is required');
    if (text.length > MAX_QUERY_STRING) bad(`queryString is ${text.length} characters long; at most ${MAX_QUERY_STRING}`);

    let query: Query;
    let execution: Execution;
    const maxRows = input.limit ?? DEFAULT_MAX_ROWS;
    try {
      query = parseQuery(text);
      // Building the execution checks what parsing cannot, so that it fails here, at StartQuery, too.
      execution = new Execution(query, { maxRows });
    } catch (e) {
      if (e instanceof LogsInsightsQueryError) throw new LocalQueryError('MalformedQueryException', e.message, e.queryCompileError);
      throw e;
    }
    const range = { startTime: startTime as number, endTime: endTime as number };
    const match = this.options.scan === undefined ? undefined : this.planner.match(query);
    const id = `local-query-${++this.next}`;
    const run = match === undefined ? this.interpreted(execution, range, groups) : this.planned(execution, match, range, groups);
    const entry: LocalQuery = {
      outcome: run.catch((e: unknown): Outcome => {
        this.options.onNotice?.(`Logs Insights query ${id} failed: ${e instanceof Error ? e.message : String(e)}`);
        return { status: 'Failed', rows: [], statistics: statistics(0, 0, 0, 0, groups) };
      }),
      settled: false,
    };
    void entry.outcome.then(() => (entry.settled = true));
    this.queries.set(id, entry);
    return { $metadata: {}, queryId: id };
  }

  /** GetQueryResults, in the SDK v3's shape: `results` rows of `{field, value}`, `statistics`, `status`. */
  async getQueryResults(input: GetQueryResultsCommandInput): Promise<GetQueryResultsCommandOutput> {
    const q = input.queryId === undefined ? undefined : this.queries.get(input.queryId);
    // An unknown id: ResourceNotFoundException (UNVERIFIED against AWS; what a third-party emulator,
    // floci-io/floci PR #1448, reports AWS to answer).
    if (q === undefined) throw new ResourceNotFoundException({ message: `no query with id ${String(input.queryId)}`, $metadata: { httpStatusCode: 400 } });
    const outcome = await q.outcome;
    const max = input.maxItems ?? DEFAULT_MAX_ROWS;
    if (!Number.isInteger(max) || max < 1 || max > DEFAULT_MAX_ROWS) throw new InvalidParameterException({ message: `maxItems must be from 1 to ${DEFAULT_MAX_ROWS}`, $metadata: { httpStatusCode: 400 } });
    const from = input.nextToken === undefined ? 0 : Number(/^local-page-(\d+)$/.exec(input.nextToken)?.[1] ?? NaN);
    if (!Number.isInteger(from)) throw new InvalidParameterException({ message: `nextToken ${input.nextToken} is not one this query gave`, $metadata: { httpStatusCode: 400 } });
    const rows = outcome.rows.slice(from, from + max);
    const more = from + max < outcome.rows.length;
    return {
      $metadata: {},
      queryLanguage: 'CWLI',
      status: outcome.status,
      results: rows,
      statistics: outcome.statistics,
      ...(more ? { nextToken: `local-page-${from + max}` } : {}),
    };
  }

  /**
   * StopQuery, in the SDK v3's shape. CloudWatch Logs refuses to stop a query that is not running
   * (StopQuery's API reference; the exact error name is unverified, and the workflow catches
   * States.ALL). A local query runs until it completes, so there is never one to stop.
   */
  async stopQuery(input: StopQueryCommandInput): Promise<StopQueryCommandOutput> {
    const q = input.queryId === undefined ? undefined : this.queries.get(input.queryId);
    if (q === undefined) throw new LocalQueryError('ResourceNotFoundException', `no query with id ${String(input.queryId)}`);
    throw new LocalQueryError('InvalidParameterException', `query ${input.queryId} is not running${q.settled ? '' : ' (a local query runs to completion)'}`);
  }

  private async interpreted(execution: Execution, range: { startTime: number; endTime: number }, groups: number): Promise<Outcome> {
    const scan = await this.group.scan(range, (event) => execution.push(event));
    const result = execution.finish();
    for (const p of scan.problems) this.options.onNotice?.(`Logs Insights: ${p}`);
    return outcomeOf(result, statistics(scan.events, scan.bytes, result.recordsMatched, result.rows.length, groups));
  }

  private async planned(execution: Execution, match: RuleMatch, range: { startTime: number; endTime: number }, groups: number): Promise<Outcome> {
    // The events the query sees: the time range (both ends included, whole seconds), then its own window.
    let start = range.startTime;
    let end = range.endTime + 1;
    if (match.window !== undefined) {
      start = Math.max(start, match.window.start);
      end = Math.min(end, match.window.end);
    }
    if (end <= start) return outcomeOf(execution.finishFromStats([], 0), statistics(0, 0, 0, 0, groups));
    const scan = await this.windowScan({ start, end });
    const rows = statsRowsOf(match.detection, this.options.config, [...scan.findings, ...scan.allowlisted]);
    const records = scan.records.inWindow;
    const result = execution.finishFromStats(rows, records);
    const bytes = records === 0 ? 0 : Math.round(records * (await this.meanMessageBytes()));
    return outcomeOf(result, statistics(records, bytes, records, result.rows.length, groups));
  }

  private windowScan(window: TimeWindow): Promise<ScanResult> {
    const key = `${window.start}-${window.end}`;
    let p = this.scans.get(key);
    if (p === undefined) this.scans.set(key, (p = (this.options.scan as WindowScan)(window)));
    return p;
  }

  private meanMessageBytes(): Promise<number> {
    this.meanBytes ??= this.group.meanMessageBytes().then((b) => b ?? 0);
    return this.meanBytes;
  }
}

function logGroupCount(input: StartQueryCommandInput, bad: (message: string) => never): number {
  const given = [input.logGroupName !== undefined, input.logGroupNames !== undefined, input.logGroupIdentifiers !== undefined].filter(Boolean).length;
  // "A StartQuery operation must include exactly one of the following parameters: logGroupName, logGroupNames, or logGroupIdentifiers" (StartQueryRequest).
  if (given !== 1) bad('give exactly one of logGroupName, logGroupNames or logGroupIdentifiers (a SOURCE command is not supported locally)');
  const n = input.logGroupName !== undefined ? 1 : (input.logGroupNames ?? input.logGroupIdentifiers ?? []).length;
  if (n < 1 || n > MAX_LOG_GROUPS) bad(`a query reads 1 to ${MAX_LOG_GROUPS} log groups, got ${n}`);
  return n;
}

function statistics(scanned: number, bytes: number, matched: number, resultCount: number, groups: number): QueryStatistics {
  return { recordsMatched: matched, recordsScanned: scanned, estimatedRecordsSkipped: 0, bytesScanned: bytes, estimatedBytesSkipped: 0, logGroupsScanned: groups, resultCount };
}

function outcomeOf(result: ExecutionResult, stats: QueryStatistics): Outcome {
  return { status: 'Complete', rows: result.rows.map((r) => r.map((c) => ({ field: c.field, value: c.value }))), statistics: stats };
}
