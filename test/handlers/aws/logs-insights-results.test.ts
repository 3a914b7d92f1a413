import { CloudWatchLogsClient, GetQueryResultsCommand, ResourceNotFoundException, ServiceUnavailableException, type QueryStatus, type ResultField } from '@aws-sdk/client-cloudwatch-logs';
import { mockClient } from 'aws-sdk-client-mock';
import 'aws-sdk-client-mock-jest';
import { DEFAULT_CONFIG } from '../../../core/detection/config';
import { maxIncidentSeconds } from '../../../core/incident';
import { DEFAULT_INCIDENT_CONFIG } from '../../../core/policy';
import { LogsInsightsSdkResults } from '../../../handlers/aws/logs-insights-results';
import { createToFindingsHandler } from '../../../handlers/to-findings';
import type { ToFindingsInput } from '../../../workflows/contract';
import { complete, filed, MemoryObjectStore, MemorySuppressionStore, RecordingMetrics, SettableClock } from '../fakes/ports';

const ID = '8f3c2b1a-4d5e-4f60-9a7b-1c2d3e4f5a6b';

interface FakeQuery {
  /** The result rows, as columns → values (the query's fields). */
  readonly rows: ReadonlyArray<Readonly<Record<string, string>>>;
  /** Calls that answer Scheduled, then Running, before the query ends. */
  readonly scheduledPolls?: number;
  readonly runningPolls?: number;
  /** How it ends (default Complete). */
  readonly ends?: QueryStatus;
}

/**
 * GetQueryResults behind aws-sdk-client-mock, with the response as the API reference gives it
 * (https://docs.aws.amazon.com/AmazonCloudWatchLogs/latest/APIReference/API_GetQueryResults.html):
 * `status` one of Scheduled, Running, Complete, Failed, Cancelled, Timeout, Unknown; `results` an
 * array of rows, each an array of `{field, value}` with the `@ptr` of its log record added; partial
 * results while Running ("If the value of the Status field in the output is Running, this operation
 * returns only partial results"); `statistics` of recordsMatched, recordsScanned and bytesScanned.
 * Since the SDK's 2025 models a request may carry `maxItems` (at most 10,000 per request) and a
 * response a `nextToken` when more rows remain; this fake pages so with 10,000 when maxItems is not
 * given (the default is not stated; a StartQuery limit of 10,000 fits one page either way). An
 * unknown query id is refused; which error the service gives for it is not stated either, so this
 * fake uses ResourceNotFoundException, one GetQueryResults lists.
 */
function fakeGetQueryResults(queries: ReadonlyMap<string, FakeQuery>) {
  const mock = mockClient(CloudWatchLogsClient);
  const polls = new Map<string, number>();
  mock.on(GetQueryResultsCommand).callsFake((input: { queryId?: string; maxItems?: number; nextToken?: string }) => {
    const q = queries.get(input.queryId ?? '');
    if (q === undefined) throw new ResourceNotFoundException({ message: `Query ${String(input.queryId)} does not exist`, $metadata: { httpStatusCode: 400 } });
    const n = (polls.get(input.queryId as string) ?? 0) + 1;
    polls.set(input.queryId as string, n);
    const results: ResultField[][] = q.rows.map((r, i) => [...Object.entries(r).map(([field, value]) => ({ field, value })), { field: '@ptr', value: `CmAKJwojMTIzNDU2Nzg5MDEyOi9hd3MvdnBjL2Zsb3dsb2dzEAEiEgoQ${i}` }]);
    const statistics = { recordsMatched: q.rows.length, recordsScanned: q.rows.length * 40, bytesScanned: q.rows.length * 40 * 150 };
    const scheduled = q.scheduledPolls ?? 0;
    if (n <= scheduled) return { status: 'Scheduled', results: [], statistics: { recordsMatched: 0, recordsScanned: 0, bytesScanned: 0 } };
    if (n <= scheduled + (q.runningPolls ?? 0)) return { status: 'Running', results: results.slice(0, 1), statistics: { ...statistics, recordsMatched: Math.min(1, q.rows.length) } };
    const status = q.ends ?? 'Complete';
    if (status !== 'Complete') return { status, results: [] };
    const size = input.maxItems ?? 10_000;
    if (size < 1 || size > 10_000) throw new Error('InvalidParameterException: maxItems is 1 to 10000');
    const from = input.nextToken === undefined ? 0 : Number(input.nextToken.slice('page-'.length));
    const page = results.slice(from, from + size);
    return { status, results: page, statistics, ...(from + size < results.length ? { nextToken: `page-${from + size}` } : {}) };
  });
  return { mock, client: new CloudWatchLogsClient({ region: 'us-east-1' }) };
}

const window = { start: 1763802000, end: 1763805600 };
const rows = [
  { srcaddr: '203.0.113.50', value: '171' },
  { srcaddr: '198.51.100.23', value: '51' },
];

describe('LogsInsightsSdkResults', () => {
  let fake: ReturnType<typeof fakeGetQueryResults>;
  afterEach(() => fake.mock.restore());

  it('asks GetQueryResults for the query id it is given and hands the response on as the SDK returns it', async () => {
    fake = fakeGetQueryResults(new Map([[ID, { rows }]]));
    const out = await new LogsInsightsSdkResults(fake.client).getQueryResults({ queryId: ID });
    expect(fake.mock).toHaveReceivedCommandTimes(GetQueryResultsCommand, 1);
    expect(fake.mock.commandCalls(GetQueryResultsCommand)[0]?.args[0].input).toEqual({ queryId: ID });
    expect(out).toMatchObject({
      status: 'Complete',
      results: [
        [
          { field: 'srcaddr', value: '203.0.113.50' },
          { field: 'value', value: '171' },
          { field: '@ptr', value: expect.any(String) },
        ],
        [
          { field: 'srcaddr', value: '198.51.100.23' },
          { field: 'value', value: '51' },
          { field: '@ptr', value: expect.any(String) },
        ],
      ],
      statistics: { recordsMatched: 2, recordsScanned: 80, bytesScanned: 12000 },
    });
  });

  it('hands on Scheduled and Running as they come: the caller polls', async () => {
    fake = fakeGetQueryResults(new Map([[ID, { rows, scheduledPolls: 1, runningPolls: 1 }]]));
    const results = new LogsInsightsSdkResults(fake.client);
    expect((await results.getQueryResults({ queryId: ID })).status).toBe('Scheduled');
    expect(await results.getQueryResults({ queryId: ID })).toMatchObject({ status: 'Running', results: [expect.any(Array)] });
    expect((await results.getQueryResults({ queryId: ID })).status).toBe('Complete');
  });

  it('passes the service’s errors on', async () => {
    fake = fakeGetQueryResults(new Map());
    await expect(new LogsInsightsSdkResults(fake.client).getQueryResults({ queryId: ID })).rejects.toBeInstanceOf(ResourceNotFoundException);
    fake.mock.on(GetQueryResultsCommand).rejects(new ServiceUnavailableException({ message: 'try later', $metadata: { httpStatusCode: 503 } }));
    await expect(new LogsInsightsSdkResults(fake.client).getQueryResults({ queryId: ID })).rejects.toBeInstanceOf(ServiceUnavailableException);
  });
});

describe('ToFindings over LogsInsightsSdkResults', () => {
  let fake: ReturnType<typeof fakeGetQueryResults>;
  afterEach(() => fake.mock.restore());

  const handler = (store: MemoryObjectStore, suppressions = new MemorySuppressionStore()) =>
    createToFindingsHandler({
      config: { detection: DEFAULT_CONFIG, suppression: { suppressionSeconds: DEFAULT_INCIDENT_CONFIG.suppressionSeconds, maxOpenSeconds: maxIncidentSeconds(DEFAULT_INCIDENT_CONFIG) } },
      suppressions,
      metrics: new RecordingMetrics(),
      clock: new SettableClock(new Date('2025-11-22T10:01:00Z')),
      store,
      logsInsights: new LogsInsightsSdkResults(fake.client),
    });
  const input: ToFindingsInput = { rule: { detection: 'PORT_SCAN', window, queryString: 'q', queryStart: window.start - 60, queryEnd: window.end + 60 }, execution: 'security-20251122T102500Z', logsInsightsQueryId: ID };

  it('polls through the SDK until the query completes, then files its findings', async () => {
    fake = fakeGetQueryResults(new Map([[ID, { rows, scheduledPolls: 1, runningPolls: 2 }]]));
    const store = new MemoryObjectStore();
    const suppressions = new MemorySuppressionStore();
    const run = handler(store, suppressions);
    expect(await run(input)).toEqual({ status: 'Scheduled' });
    expect(await run(input)).toEqual({ status: 'Running' });
    // The Running answer's partial row is not taken for the result.
    expect(await run(input)).toEqual({ status: 'Running' });
    expect(suppressions.entries.size).toBe(0);
    const out = complete(await run(input));
    expect(out).toMatchObject({ rows: 2, limitReached: false, statistics: { recordsMatched: 2, recordsScanned: 80, bytesScanned: 12000 }, counts: { new: 2 } });
    expect((await filed(store, out)).newFindings.map((n) => n.finding.source)).toEqual(['203.0.113.50', '198.51.100.23']);
    expect(fake.mock).toHaveReceivedCommandTimes(GetQueryResultsCommand, 4);
  });

  it('reads a result of 10,000 rows, the StartQuery limit, in one call', async () => {
    const many = Array.from({ length: 10_000 }, (_, i) => ({ srcaddr: `10.${i >> 16}.${(i >> 8) & 255}.${i & 255}`, value: '60' }));
    fake = fakeGetQueryResults(new Map([[ID, { rows: many }]]));
    const out = complete(await handler(new MemoryObjectStore())(input));
    expect(out).toMatchObject({ rows: 10_000, limitReached: true, counts: { new: 10_000 } });
    expect(out.batches).toHaveLength(100);
    expect(fake.mock).toHaveReceivedCommandTimes(GetQueryResultsCommand, 1);
  });

  it('fails the rule on a query that failed, claiming nothing', async () => {
    fake = fakeGetQueryResults(new Map([[ID, { rows, ends: 'Failed' }]]));
    const suppressions = new MemorySuppressionStore();
    await expect(handler(new MemoryObjectStore(), suppressions)(input)).rejects.toThrow(`Logs Insights query ${ID} ended Failed`);
    expect(suppressions.entries.size).toBe(0);
  });
});
