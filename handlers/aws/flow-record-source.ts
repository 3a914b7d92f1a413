/**
 * Raw flow records behind a finding, from the flow log's CloudWatch Logs group with Logs Insights:
 * StartQuery, then a bounded GetQueryResults poll inside the Lambda (evidence needs every record,
 * not an aggregate, and one Task is simpler to retry than a poll loop in the state machine).
 */
import { GetQueryResultsCommand, StartQueryCommand, StopQueryCommand, type CloudWatchLogsClient, type ResultField } from '@aws-sdk/client-cloudwatch-logs';
import { LOGS_INSIGHTS_MAX_ROWS, logsInsightsField, logsInsightsParse } from '../../core/detection/compile';
import type { TimeWindow } from '../../core/detection/window';
import { canonicalAddress } from '../../core/flowlog/address';
import type { FlowLogFormat } from '../../core/flowlog/format';
import { queryTimeRange } from '../plan-window';
import { systemClock, type Clock, type FlowRecordSource } from '../ports';

export class FlowRecordQueryError extends Error {
  override readonly name = 'FlowRecordQueryError';
}

/** The query did not finish within the poll budget (it was stopped): a retry of the Task may fare better. */
export class FlowRecordQueryTimeoutError extends Error {
  override readonly name = 'FlowRecordQueryTimeoutError';
}

export interface LogsInsightsRecordSourceOptions {
  readonly logGroupNames: readonly string[];
  /** The flow log's record format (its LogFormat). */
  readonly format: FlowLogFormat;
  /** GetQueryResults calls per query before giving up, and the wait between two. */
  readonly poll: { readonly intervalMs: number; readonly maxPolls: number };
  /**
   * Logs Insights returns at most 10,000 rows, so a source with more records in the window is
   * fetched by halving the time range; this bounds the number of queries that may take.
   */
  readonly maxQueries?: number;
  readonly sleep?: (ms: number) => Promise<void>;
  readonly clock?: Clock;
}

const defaultSleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

/**
 * The Logs Insights query for the raw lines of one source whose `start` is in `[window.start, window.end)`.
 * It parses `@message` with the flow log's format, as the detection queries do, and returns `@message` only.
 */
export function rawRecordsQuery(format: FlowLogFormat, source: string, window: TimeWindow): string {
  const address = canonicalAddress(source);
  if (address === undefined) throw new FlowRecordQueryError(`source "${source}" is not an IPv4 or IPv6 address`);
  const start = logsInsightsField('start');
  return [
    logsInsightsParse(format),
    `filter ${logsInsightsField('srcaddr')} = "${address}" and ${start} >= ${window.start} and ${start} < ${window.end}`,
    'display @message',
    `limit ${LOGS_INSIGHTS_MAX_ROWS}`,
  ].join('\n| ');
}

export class LogsInsightsRecordSource implements FlowRecordSource {
  private readonly sleep: (ms: number) => Promise<void>;
  private readonly clock: Clock;
  private readonly maxQueries: number;

  constructor(
    private readonly logs: CloudWatchLogsClient,
    private readonly options: LogsInsightsRecordSourceOptions,
  ) {
    if (options.logGroupNames.length === 0 || options.logGroupNames.length > 50) throw new FlowRecordQueryError(`a query reads 1 to 50 log groups, got ${options.logGroupNames.length}`);
    if (!Number.isInteger(options.poll.maxPolls) || options.poll.maxPolls < 1) throw new FlowRecordQueryError(`poll.maxPolls must be a whole number of at least 1, got ${options.poll.maxPolls}`);
    this.sleep = options.sleep ?? defaultSleep;
    this.clock = options.clock ?? systemClock;
    this.maxQueries = options.maxQueries ?? 16;
  }

  async records(source: string, window: { start: number; end: number }): Promise<{ readonly format: string; readonly lines: string[]; readonly query: string }> {
    const { format } = this.options;
    const lines: string[] = [];
    const queries: string[] = [];
    // Ranges still to fetch, earliest first, so the lines come out in time order of the ranges.
    const pending: TimeWindow[] = [window];
    while (pending.length > 0) {
      const range = pending.shift() as TimeWindow;
      if (queries.length >= this.maxQueries) {
        throw new FlowRecordQueryError(`${source}: more than ${LOGS_INSIGHTS_MAX_ROWS} records in ranges of the window [${window.start}, ${window.end}) even after ${this.maxQueries} queries; the evidence would be incomplete`);
      }
      const query = rawRecordsQuery(format, source, range);
      queries.push(query);
      const rows = await this.run(query, range);
      if (rows.length < LOGS_INSIGHTS_MAX_ROWS) {
        lines.push(...rows.map((row, i) => messageOf(row, i)));
        continue;
      }
      // A full page may have left records out: split the range and fetch both halves instead.
      if (range.end - range.start <= 1) throw new FlowRecordQueryError(`${source}: ${LOGS_INSIGHTS_MAX_ROWS} or more records start in the one second ${range.start}; the evidence would be incomplete`);
      const middle = Math.floor((range.start + range.end) / 2);
      pending.unshift({ start: range.start, end: middle }, { start: middle, end: range.end });
    }
    return { format: format.fields.join(' '), lines, query: queries.length === 1 ? (queries[0] as string) : queries.join('\n\n') };
  }

  private async run(queryString: string, range: TimeWindow): Promise<ResultField[][]> {
    const { queryStart, queryEnd } = queryTimeRange(range, Math.floor(this.clock.now().getTime() / 1000));
    const started = await this.logs.send(
      new StartQueryCommand({ logGroupNames: [...this.options.logGroupNames], startTime: queryStart, endTime: queryEnd, queryString, limit: LOGS_INSIGHTS_MAX_ROWS }),
    );
    const queryId = started.queryId;
    if (queryId === undefined) throw new FlowRecordQueryError('StartQuery returned no queryId');
    for (let poll = 0; poll < this.options.poll.maxPolls; poll++) {
      // The first look is immediate: a query over a quiet range can be done already.
      if (poll > 0) await this.sleep(this.options.poll.intervalMs);
      const out = await this.logs.send(new GetQueryResultsCommand({ queryId }));
      switch (out.status) {
        case 'Complete':
          return out.results ?? [];
        case 'Scheduled':
        case 'Running':
          continue;
        default:
          throw new FlowRecordQueryError(`Logs Insights query ${queryId} ended with status ${String(out.status)}`);
      }
    }
    // Stop it so an abandoned query does not hold one of the account's concurrent query slots. A
    // failure to stop (it completed meanwhile) changes nothing: the timeout below is the error to report.
    try {
      await this.logs.send(new StopQueryCommand({ queryId }));
    } catch {
      // see above
    }
    const waited = ((this.options.poll.maxPolls - 1) * this.options.poll.intervalMs) / 1000;
    throw new FlowRecordQueryTimeoutError(`Logs Insights query ${queryId} did not complete after ${this.options.poll.maxPolls} polls (${waited} s); it was stopped`);
  }
}

function messageOf(row: readonly ResultField[], i: number): string {
  const message = row.find((f) => f.field === '@message')?.value;
  if (message === undefined) throw new FlowRecordQueryError(`result row ${i + 1} has no @message field`);
  return message;
}
