/**
 * CloudWatch Logs Insights behind aws-sdk-client-mock, for the evidence query only. It keeps the
 * API's rules that matter here: StartQuery takes epoch seconds (startTime <= endTime) for 1 to 50
 * log groups and selects events by @timestamp, which for flow logs is the record's start; a query
 * is Scheduled/Running for a while before Complete; at most 10,000 rows come back; StopQuery ends a
 * running query. It runs the raw-records query by reading its `filter` line (the only shape the
 * source sends; anything else fails loudly).
 */
import { CloudWatchLogsClient, GetQueryResultsCommand, InvalidParameterException, StartQueryCommand, StopQueryCommand, type QueryStatus } from '@aws-sdk/client-cloudwatch-logs';
import { mockClient } from 'aws-sdk-client-mock';
import type { FlowLogFormat } from '../../../core/flowlog/format';
import { splitFields } from '../../../core/flowlog/record';

interface Query {
  readonly rows: Array<Array<{ field: string; value: string }>>;
  pollsLeft: number;
  status: QueryStatus;
}

export interface FakeLogsInsightsOptions {
  readonly logGroup: string;
  readonly format: FlowLogFormat;
  readonly lines: readonly string[];
  /** GetQueryResults calls that answer Running before Complete (default 2). */
  readonly runningPolls?: number;
  /** Status the query ends with instead of Complete. */
  readonly endStatus?: QueryStatus;
}

const FILTER = /^filter srcaddr = "([^"]+)" and start >= (\d+) and start < (\d+)$/;

export function fakeLogsInsights(options: FakeLogsInsightsOptions) {
  const mock = mockClient(CloudWatchLogsClient);
  const queries = new Map<string, Query>();
  const at = (field: string): number => options.format.indexOf(field);
  const events = options.lines.map((message) => ({ message, fields: splitFields(message) }));

  mock.on(StartQueryCommand).callsFake((input: { logGroupNames?: string[]; startTime?: number; endTime?: number; queryString?: string; limit?: number }) => {
    const bad = (message: string): never => {
      throw new InvalidParameterException({ message, $metadata: { httpStatusCode: 400 } });
    };
    const groups = input.logGroupNames ?? [];
    if (groups.length < 1 || groups.length > 50) bad('logGroupNames: 1 to 50 log groups');
    if (!groups.every((g) => g === options.logGroup)) bad(`log group not found: ${groups.join(', ')}`);
    const { startTime, endTime } = input;
    if (!Number.isInteger(startTime) || !Number.isInteger(endTime) || (startTime as number) > (endTime as number) || (endTime as number) > 1e11) bad('startTime and endTime are epoch seconds with startTime <= endTime');
    if (input.limit !== undefined && (input.limit < 1 || input.limit > 10_000)) bad('limit: 1 to 10000');
    const commands = (input.queryString ?? '').split('\n| ');
    const filter = commands.map((c) => FILTER.exec(c)).find((m) => m !== null);
    if (filter === undefined || filter === null || !commands.includes('display @message')) throw new Error(`fake Logs Insights cannot run: ${input.queryString}`);
    const [, source, from, to] = filter;
    const limit = Math.min(input.limit ?? 10_000, Number(/limit (\d+)$/.exec(input.queryString ?? '')?.[1] ?? 10_000));
    const matched = events.filter((e) => {
      const start = Number(e.fields[at('start')]);
      // @timestamp is the record's start: the time range selects on it, in whole seconds.
      return start >= (startTime as number) && start <= (endTime as number) && e.fields[at('srcaddr')] === source && start >= Number(from) && start < Number(to);
    });
    const id = `q-${queries.size + 1}`;
    queries.set(id, {
      rows: matched.slice(0, limit).map((e, i) => [
        { field: '@message', value: e.message },
        { field: '@ptr', value: `ptr-${id}-${i}` },
      ]),
      pollsLeft: options.runningPolls ?? 2,
      status: 'Scheduled',
    });
    return { queryId: id };
  });

  mock.on(GetQueryResultsCommand).callsFake((input: { queryId?: string }) => {
    const q = queries.get(input.queryId ?? '');
    if (q === undefined) throw new InvalidParameterException({ message: `no query ${String(input.queryId)}`, $metadata: { httpStatusCode: 400 } });
    if (q.status === 'Cancelled') return { status: 'Cancelled', results: [] };
    if (q.pollsLeft > 0) {
      q.pollsLeft--;
      q.status = 'Running';
      // Partial results while running, as the service gives them.
      return { status: 'Running', results: q.rows.slice(0, 1) };
    }
    q.status = options.endStatus ?? 'Complete';
    return { status: q.status, results: q.status === 'Complete' ? q.rows : [], statistics: { recordsMatched: q.rows.length } };
  });

  mock.on(StopQueryCommand).callsFake((input: { queryId?: string }) => {
    const q = queries.get(input.queryId ?? '');
    if (q === undefined || (q.status !== 'Running' && q.status !== 'Scheduled')) throw new InvalidParameterException({ message: 'query is not running', $metadata: { httpStatusCode: 400 } });
    q.status = 'Cancelled';
    return { success: true };
  });

  return { mock, queries, client: new CloudWatchLogsClient({ region: 'us-east-1' }) };
}
