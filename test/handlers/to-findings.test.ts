import type { ResultField } from '@aws-sdk/client-cloudwatch-logs';
import { CompileError } from '../../core/detection/compile';
import { DEFAULT_CONFIG, type FlowirConfig } from '../../core/detection/config';
import { executionName, maxIncidentSeconds, type SuppressionSettings } from '../../core/incident';
import { DEFAULT_INCIDENT_CONFIG } from '../../core/policy';
import type { SuppressionEntry } from '../../handlers/ports';
import { TooManyResultRowsError, type AthenaResultsPort } from '../../handlers/ports/athena-results';
import { TaskInputError } from '../../handlers/task-input';
import { athenaRows, createToFindingsHandler, logsInsightsRows, QueryNotCompleteError } from '../../handlers/to-findings';
import { FINDINGS_BATCH_SIZE, QUERY_ROW_LIMIT, type AthenaRow, type RuleQuery, type ToFindingsInput } from '../../workflows/contract';
import { complete, filed, MemoryObjectStore, MemorySuppressionStore, RecordingMetrics, ScriptedLogsInsights, SettableClock } from './fakes/ports';

const window = { start: 1763802000, end: 1763805600 };
const suppression: SuppressionSettings = { suppressionSeconds: DEFAULT_INCIDENT_CONFIG.suppressionSeconds, maxOpenSeconds: maxIncidentSeconds(DEFAULT_INCIDENT_CONFIG) };
const detection: FlowirConfig = { ...DEFAULT_CONFIG, allowlist: ['10.0.0.0/8', '2001:db8:ffff::/48'] };
/** The detection execution ToFindings runs in (`$$.Execution.Name`): its findings are filed under it. */
const EXEC = 'security-20251122T102500Z';
const SHA256 = /^[0-9a-f]{64}$/;

const rule = (d: RuleQuery['detection'], w = window): RuleQuery => ({ detection: d, window: w, queryString: '(compiled query)', queryStart: w.start - 60, queryEnd: w.end + 60 });
/**
 * A Logs Insights GetQueryResults row as the SDK v3 returns it: `[{field, value}]`, with the `@ptr`
 * the service adds to every row (https://docs.aws.amazon.com/AmazonCloudWatchLogs/latest/APIReference/API_GetQueryResults.html).
 */
const row = (fields: Record<string, string>): ResultField[] => [...Object.entries(fields).map(([field, value]) => ({ field, value })), { field: '@ptr', value: 'CmAKJwoj...' }];
/** GetQueryResults' QueryStatistics of a completed query. */
const STATS = { recordsMatched: 3, recordsScanned: 51234, bytesScanned: 9876543 };

/** Athena results by query execution id, as AthenaResultsPort returns them (the header row first). */
class FakeAthenaResults implements AthenaResultsPort {
  readonly read: string[] = [];
  constructor(private readonly results: Readonly<Record<string, AthenaRow[] | Error>> = {}) {}
  async rows(id: string): Promise<AthenaRow[]> {
    this.read.push(id);
    const r = this.results[id];
    if (r === undefined) throw new Error(`no such query ${id}`);
    if (r instanceof Error) throw r;
    return r;
  }
}
const athenaRow = (...values: Array<string | null>): AthenaRow => ({ Data: values.map((v) => (v === null ? {} : { VarCharValue: v })) });
const HEADER = athenaRow('srcaddr', 'value');

function setup(now = '2025-11-22T10:01:00Z', athenaResults = new FakeAthenaResults(), options: { suppressions?: MemorySuppressionStore; claimConcurrency?: number } = {}) {
  const clock = new SettableClock(new Date(now));
  const suppressions = options.suppressions ?? new MemorySuppressionStore();
  const metrics = new RecordingMetrics();
  const store = new MemoryObjectStore();
  const logs = new ScriptedLogsInsights();
  const handler = createToFindingsHandler({
    config: { detection, suppression },
    suppressions,
    metrics,
    clock,
    store,
    logsInsights: logs,
    athenaResults,
    ...(options.claimConcurrency !== undefined ? { claimConcurrency: options.claimConcurrency } : {}),
  });
  let queries = 0;
  /** The input of a rule whose Logs Insights query has completed with these rows. */
  const fromRows = (r: RuleQuery, results: ResultField[][], statistics = STATS, execution = EXEC): ToFindingsInput => ({
    rule: r,
    execution,
    logsInsightsQueryId: logs.script(`li-${++queries}`, { status: 'Complete', results, statistics }),
  });
  const run = async (input: ToFindingsInput) => complete(await handler(input));
  return { clock, suppressions, metrics, store, logs, handler, run, fromRows, athenaResults };
}

describe('ToFindings', () => {
  it('reads the Logs Insights result, sets allowlisted sources apart, files every finding and the new ones in a batch, and publishes the count', async () => {
    const { run, fromRows, metrics, suppressions, store, logs } = setup();
    const out = await run(fromRows(rule('PORT_SCAN'), [row({ srcaddr: '203.0.113.50', value: '171' }), row({ srcaddr: '10.0.99.7', value: '80' }), row({ srcaddr: '198.51.100.23', value: '51' })]));
    // GetQueryResults of the query the input names, nothing else.
    expect(logs.asked).toEqual([{ queryId: 'li-1', maxItems: 10_000 }]);
    expect(out).toEqual({
      status: 'Complete',
      detection: 'PORT_SCAN',
      window,
      rows: 3,
      limitReached: false,
      statistics: STATS,
      counts: { overThreshold: 3, allowlisted: 1, suppressed: 0, new: 2 },
      record: { key: `detections/${EXEC}/PORT_SCAN/findings.json`, sha256: expect.stringMatching(SHA256) },
      batches: [{ key: `detections/${EXEC}/PORT_SCAN/batch-0001.json`, sha256: expect.stringMatching(SHA256), count: 2 }],
    });

    const scan50 = { id: 'PORT_SCAN:203.0.113.50:1763805600', detection: 'PORT_SCAN', severity: 'CRITICAL', source: '203.0.113.50', port: null, value: 171, threshold: 50, window };
    const scan23 = { id: 'PORT_SCAN:198.51.100.23:1763805600', detection: 'PORT_SCAN', severity: 'CRITICAL', source: '198.51.100.23', port: null, value: 51, threshold: 50, window };
    const { record, batches } = await filed(store, out);
    expect(batches).toEqual([
      {
        detection: 'PORT_SCAN',
        window,
        findings: [
          { finding: scan50, executionName: 'PORT_SCAN-203-0-113-50-1763805600', suppressionKey: 'PORT_SCAN#203.0.113.50' },
          { finding: scan23, executionName: 'PORT_SCAN-198-51-100-23-1763805600', suppressionKey: 'PORT_SCAN#198.51.100.23' },
        ],
      },
    ]);
    expect(record).toEqual({
      detection: 'PORT_SCAN',
      window,
      execution: EXEC,
      query: { engine: 'logs-insights', id: 'li-1', rows: 3, limitReached: false },
      findings: [
        { finding: scan50, disposition: 'new', executionName: 'PORT_SCAN-203-0-113-50-1763805600' },
        { finding: scan23, disposition: 'new', executionName: 'PORT_SCAN-198-51-100-23-1763805600' },
        { finding: { ...scan50, id: 'PORT_SCAN:10.0.99.7:1763805600', source: '10.0.99.7', value: 80 }, disposition: 'allowlisted', executionName: null },
      ],
    });
    expect(store.objects.get(out.record.key)?.contentType).toBe('application/json');
    // Allowlisted sources are not findings for the alarms either.
    expect(metrics.published).toEqual([[{ detection: 'PORT_SCAN', findings: 2 }]]);
    expect(suppressions.entries.get('PORT_SCAN#203.0.113.50')).toMatchObject({
      findingId: 'PORT_SCAN:203.0.113.50:1763805600',
      executionName: 'PORT_SCAN-203-0-113-50-1763805600',
      openedAt: '2025-11-22T10:01:00.000Z',
      // The longer of the suppression period (24 h) and the incident's longest life (1 h approval + 24 h block + 1 h).
      expiresAt: '2025-11-23T12:01:00.000Z',
      repeats: 0,
    });
    // Allowlisted sources claim nothing.
    expect([...suppressions.entries.keys()].sort()).toEqual(['PORT_SCAN#198.51.100.23', 'PORT_SCAN#203.0.113.50']);
  });

  it('records a repeat on the open incident instead of opening a second one, once per finding', async () => {
    const { run, fromRows, suppressions, clock, metrics, store } = setup();
    const first = await run(fromRows(rule('SUSPICIOUS_PORT_ACCESS'), [row({ srcaddr: '203.0.113.50', dstport: '22', value: '40' })]));
    expect((await filed(store, first)).newFindings.map((n) => n.finding.id)).toEqual(['SUSPICIOUS_PORT_ACCESS:203.0.113.50:22:1763805600']);

    // Ten minutes later the next window sees the same source on the same port.
    clock.advance(600);
    const next = { start: window.start + 600, end: window.end + 600 };
    const input = fromRows(rule('SUSPICIOUS_PORT_ACCESS', next), [row({ srcaddr: '203.0.113.50', dstport: '22', value: '44' }), row({ srcaddr: '203.0.113.50', dstport: '3389', value: '12' })]);
    const second = await run(input);
    expect(second.counts).toEqual({ overThreshold: 2, allowlisted: 0, suppressed: 1, new: 1 });
    const { record, newFindings } = await filed(store, second);
    // The suppressed finding is in the record, with the incident that covers it; it is in no batch.
    expect(record.findings.map((f) => [f.finding.id, f.disposition, f.executionName])).toEqual([
      ['SUSPICIOUS_PORT_ACCESS:203.0.113.50:22:1763806200', 'suppressed', 'SUSPICIOUS_PORT_ACCESS-203-0-113-50-22-1763805600'],
      // Another port is another key: its own incident.
      ['SUSPICIOUS_PORT_ACCESS:203.0.113.50:3389:1763806200', 'new', 'SUSPICIOUS_PORT_ACCESS-203-0-113-50-3389-1763806200'],
    ]);
    expect(newFindings.map((n) => n.finding.id)).toEqual(['SUSPICIOUS_PORT_ACCESS:203.0.113.50:3389:1763806200']);
    expect(suppressions.entries.get('SUSPICIOUS_PORT_ACCESS#203.0.113.50#22')?.repeats).toBe(1);

    // The state retried: the repeat is not counted twice.
    expect(await run(input)).toEqual(second);
    expect(suppressions.entries.get('SUSPICIOUS_PORT_ACCESS#203.0.113.50#22')?.repeats).toBe(1);
    // Suppressed findings are still findings for the alarms.
    expect(metrics.published.at(-1)).toEqual([{ detection: 'SUSPICIOUS_PORT_ACCESS', findings: 2 }]);
  });

  it('hands a finding on again when a retry of the same window finds its own claim', async () => {
    const { run, fromRows, store } = setup();
    const input = fromRows(rule('PORT_SCAN'), [row({ srcaddr: '203.0.113.50', value: '171' })]);
    const first = await run(input);
    const retry = await run(input);
    // The same objects, byte for byte: the same record and batch, under the same keys.
    expect(retry).toEqual(first);
    expect(retry.counts).toEqual({ overThreshold: 1, allowlisted: 0, suppressed: 0, new: 1 });
    expect((await filed(store, retry)).newFindings.map((n) => n.executionName)).toEqual(['PORT_SCAN-203-0-113-50-1763805600']);

    // Another detection execution over the same window (a backfill): its own record, the same incident name.
    const rerun = await run(fromRows(rule('PORT_SCAN'), [row({ srcaddr: '203.0.113.50', value: '171' })], STATS, 'backfill-20251122T1000Z'));
    expect(rerun.record.key).toBe('detections/backfill-20251122T1000Z/PORT_SCAN/findings.json');
    expect((await filed(store, rerun)).newFindings).toEqual((await filed(store, first)).newFindings);
  });

  it('opens a new incident once the stored one stops suppressing, and not a second earlier', async () => {
    const { run, fromRows, clock, store } = setup();
    await run(fromRows(rule('PORT_SCAN'), [row({ srcaddr: '203.0.113.50', value: '171' })]));
    const later = (hours: number): ToFindingsInput => {
      const end = window.end + hours * 3600;
      return fromRows(rule('PORT_SCAN', { start: end - 3600, end }), [row({ srcaddr: '203.0.113.50', value: '90' })]);
    };
    clock.advance(26 * 3600 - 1);
    const held = await run(later(26));
    expect(held.counts).toMatchObject({ suppressed: 1, new: 0 });
    expect(held.batches).toEqual([]);
    clock.advance(1);
    const reopened = await run(later(27));
    expect((await filed(store, reopened)).newFindings.map((n) => n.executionName)).toEqual(['PORT_SCAN-203-0-113-50-1763902800']);
  });

  it('reads the Athena query’s rows by their header, keeping sums beyond 2^53 exact as decimal text', async () => {
    const { handler, athenaResults, store } = setup(undefined, new FakeAthenaResults({ 'q-1': [HEADER, athenaRow('2001:DB8::7', '18446744073709551615'), athenaRow('192.0.2.10', '1000000001')] }));
    const out = complete(await handler({ rule: rule('HIGH_TRAFFIC_VOLUME'), execution: EXEC, athenaQueryExecutionId: 'q-1' }));
    expect(athenaResults.read).toEqual(['q-1']);
    expect(out).toMatchObject({ rows: 2, limitReached: false, statistics: null, counts: { overThreshold: 2, allowlisted: 0, suppressed: 0, new: 2 } });
    const { record, newFindings } = await filed(store, out);
    expect(record.query).toEqual({ engine: 'athena', id: 'q-1', rows: 2, limitReached: false });
    expect(newFindings.map((n) => [n.finding.source, n.finding.value, n.executionName])).toEqual([
      ['2001:db8::7', '18446744073709551615', executionName('HIGH_TRAFFIC_VOLUME:2001:db8::7:1763805600')],
      ['192.0.2.10', 1000000001, 'HIGH_TRAFFIC_VOLUME-192-0-2-10-1763805600'],
    ]);
    expect(newFindings[0]?.executionName).toMatch(/^[A-Za-z0-9_-]{1,80}$/);
  });

  it('files an empty record and no batch, and publishes a zero, for a run without findings', async () => {
    const { run, fromRows, metrics, store } = setup();
    const { handler: athenaHandler, metrics: athenaMetrics, store: athenaStore } = setup(undefined, new FakeAthenaResults({ 'q-0': [HEADER] }));
    const fromAthena = complete(await athenaHandler({ rule: rule('HIGH_CONNECTION_COUNT'), execution: EXEC, athenaQueryExecutionId: 'q-0' }));
    expect(fromAthena).toMatchObject({ rows: 0, limitReached: false, counts: { overThreshold: 0, allowlisted: 0, suppressed: 0, new: 0 }, batches: [] });
    expect((await filed(athenaStore, fromAthena)).record.findings).toEqual([]);
    expect(athenaMetrics.published).toEqual([[{ detection: 'HIGH_CONNECTION_COUNT', findings: 0 }]]);

    const out = await run(fromRows(rule('HIGH_CONNECTION_COUNT'), [], { recordsMatched: 0, recordsScanned: 812, bytesScanned: 65000 }));
    expect(out).toEqual({
      status: 'Complete',
      detection: 'HIGH_CONNECTION_COUNT',
      window,
      rows: 0,
      limitReached: false,
      statistics: { recordsMatched: 0, recordsScanned: 812, bytesScanned: 65000 },
      counts: { overThreshold: 0, allowlisted: 0, suppressed: 0, new: 0 },
      record: { key: `detections/${EXEC}/HIGH_CONNECTION_COUNT/findings.json`, sha256: expect.stringMatching(SHA256) },
      batches: [],
    });
    expect([...store.objects.keys()]).toEqual([out.record.key]);
    expect(metrics.published).toEqual([[{ detection: 'HIGH_CONNECTION_COUNT', findings: 0 }]]);
  });

  it.each<[string, Record<string, unknown>, string, unknown]>([
    ['no query at all', { rule: rule('PORT_SCAN'), execution: EXEC }, 'input: needs the query: "logsInsightsQueryId" (Logs Insights) or "athenaQueryExecutionId" (Athena)', undefined],
    ['both engines’ queries', { rule: rule('PORT_SCAN'), execution: EXEC, logsInsightsQueryId: 'li-bad', athenaQueryExecutionId: 'q-1' }, 'input: has both "logsInsightsQueryId" and "athenaQueryExecutionId"; expected one', []],
    ['no detection execution name', { rule: rule('PORT_SCAN'), logsInsightsQueryId: 'li-bad' }, 'input.execution: expected a non-empty string, got nothing', []],
    ['a Logs Insights query id that is not text', { rule: rule('PORT_SCAN'), execution: EXEC, logsInsightsQueryId: 7 }, 'input.logsInsightsQueryId: expected a non-empty string, got 7', undefined],
    ['an Athena query id that is not text', { rule: rule('PORT_SCAN'), execution: EXEC, athenaQueryExecutionId: 7 }, 'input.athenaQueryExecutionId: expected a non-empty string, got 7', undefined],
    ['an unknown detection', { rule: { ...rule('PORT_SCAN'), detection: 'PORT_SWEEP' }, execution: EXEC, logsInsightsQueryId: 'li-bad' }, 'input.rule.detection: expected a detection name, got "PORT_SWEEP"', []],
    ['results that are not a list', { rule: rule('PORT_SCAN'), execution: EXEC, logsInsightsQueryId: 'li-bad' }, 'results: expected an array of result rows', { srcaddr: '192.0.2.1' }],
    ['a row that is not a list', { rule: rule('PORT_SCAN'), execution: EXEC, logsInsightsQueryId: 'li-bad' }, 'results[0]: expected a list of {field, value}', [{ srcaddr: '192.0.2.1' }]],
    ['a cell without a value', { rule: rule('PORT_SCAN'), execution: EXEC, logsInsightsQueryId: 'li-bad' }, 'results[0][0]: expected {"field": string, "value": string}', [[{ field: 'srcaddr' }]]],
    // Step Functions' PascalCase shape of the old aws-sdk integration is not what the SDK returns: refused, naming the shape expected.
    ['a Step Functions-shaped cell (Field/Value)', { rule: rule('PORT_SCAN'), execution: EXEC, logsInsightsQueryId: 'li-bad' }, 'results[0][0]: expected {"field": string, "value": string}', [[{ Field: 'srcaddr', Value: '203.0.113.50' }]]],
    ['a bad cell, by its row and column', { rule: rule('PORT_SCAN'), execution: EXEC, logsInsightsQueryId: 'li-bad' }, 'results[1][1]: expected {"field": string, "value": string} (GetQueryResults\' ResultField), got {"field":"value","value":171}', [row({ srcaddr: '203.0.113.50', value: '171' }), [{ field: 'srcaddr', value: '203.0.113.51' }, { field: 'value', value: 171 }]]],
    ['Athena rows without a header', { rule: rule('PORT_SCAN'), execution: EXEC, athenaQueryExecutionId: 'q-empty' }, 'athenaResults(q-empty): is empty', undefined],
    ['an Athena header with a NULL column name', { rule: rule('PORT_SCAN'), execution: EXEC, athenaQueryExecutionId: 'q-nameless' }, 'athenaResults(q-nameless)[0].Data[1]: the header row names every column; this one is empty', undefined],
    ['an Athena row of the wrong width', { rule: rule('PORT_SCAN'), execution: EXEC, athenaQueryExecutionId: 'q-narrow' }, 'athenaResults(q-narrow)[1]: has 1 values for 2 columns (srcaddr, value)', undefined],
    ['an Athena cell that is not text', { rule: rule('PORT_SCAN'), execution: EXEC, athenaQueryExecutionId: 'q-number' }, 'athenaResults(q-number)[2].Data[1]: expected {"VarCharValue": string} or {}, got {"VarCharValue":60}', undefined],
    // Every row has its four values: jest takes a test function of more parameters than a row has for one awaiting done().
  ])('refuses %s, naming where, and claims and files nothing', async (_what, input, message, results) => {
    const athena = new FakeAthenaResults({
      'q-empty': [],
      'q-nameless': [athenaRow('srcaddr', null)],
      'q-narrow': [HEADER, athenaRow('192.0.2.1')],
      'q-number': [HEADER, athenaRow('192.0.2.1', '60'), { Data: [{ VarCharValue: '192.0.2.2' }, { VarCharValue: 60 as unknown as string }] }],
    });
    const { handler, logs, metrics, suppressions, store } = setup(undefined, athena);
    if (results !== undefined) logs.script('li-bad', { status: 'Complete', results: results as ResultField[][], statistics: STATS });
    const run = handler(input as unknown as ToFindingsInput);
    await expect(run).rejects.toBeInstanceOf(TaskInputError);
    await expect(run).rejects.toThrow(message);
    expect(metrics.published).toEqual([]);
    expect(suppressions.entries.size).toBe(0);
    expect(store.objects.size).toBe(0);
  });

  it('refuses a bad value in a row, naming the row and the column, and claims and files nothing', async () => {
    const { run, fromRows, suppressions, store } = setup();
    const bad = run(fromRows(rule('PORT_SCAN'), [row({ srcaddr: '203.0.113.50', value: '171' }), row({ srcaddr: '203.0.113.51', value: 'lots' })]));
    await expect(bad).rejects.toThrow(new CompileError('PORT_SCAN result row 2: value is not a whole number (got "lots")'));
    expect(suppressions.entries.size).toBe(0);
    expect(store.objects.size).toBe(0);
  });

  it('reads an Athena NULL (no VarCharValue) as no value: a finding needs every column, so its row is refused by number', async () => {
    expect(athenaRows([HEADER, athenaRow('192.0.2.1', null)])).toEqual([{ srcaddr: '192.0.2.1', value: undefined }]);
    expect(Object.keys(athenaRows([HEADER, athenaRow(null, '60')])[0] ?? {})).toEqual(['srcaddr', 'value']);
    const { handler, suppressions, store } = setup(undefined, new FakeAthenaResults({ 'q-null': [HEADER, athenaRow('192.0.2.1', '60'), athenaRow('192.0.2.2', null)], 'q-nosrc': [HEADER, athenaRow(null, '60')] }));
    await expect(handler({ rule: rule('PORT_SCAN'), execution: EXEC, athenaQueryExecutionId: 'q-null' })).rejects.toThrow(new CompileError('PORT_SCAN result row 2: value is not a whole number (got "undefined")'));
    await expect(handler({ rule: rule('PORT_SCAN'), execution: EXEC, athenaQueryExecutionId: 'q-nosrc' })).rejects.toThrow('PORT_SCAN result row 1: srcaddr is not an IPv4 or IPv6 address');
    expect(suppressions.entries.size).toBe(0);
    expect(store.objects.size).toBe(0);
  });
});

describe('ToFindings reading Logs Insights itself', () => {
  it('ignores @ptr and the other @ fields: they are not columns of the query', async () => {
    expect(
      logsInsightsRows([
        [
          { field: '@ptr', value: 'CmAKJwoj' },
          { field: 'srcaddr', value: '203.0.113.50' },
          { field: '@timestamp', value: '2025-11-22 10:00:00.000' },
          { field: 'value', value: '171' },
        ],
      ]),
    ).toEqual([{ srcaddr: '203.0.113.50', value: '171' }]);
    // A column of the query named like an @ field would be lost: the compiled queries name none so.
    const { run, fromRows, store } = setup();
    const withPtr = await run(fromRows(rule('PORT_SCAN'), [[{ field: '@ptr', value: 'x' }, ...row({ srcaddr: '203.0.113.50', value: '171' })]]));
    const without = await run(fromRows(rule('PORT_SCAN'), [[{ field: 'srcaddr', value: '203.0.113.50' }, { field: 'value', value: '171' }]], STATS, 'security-without-ptr'));
    expect((await filed(store, withPtr)).record.findings).toEqual((await filed(store, without)).record.findings);
  });

  it('answers Scheduled, then Running, while the query runs, claiming, filing and publishing nothing; the next poll reads the result', async () => {
    const { handler, logs, suppressions, store, metrics } = setup();
    logs.script(
      'li-slow',
      { status: 'Scheduled', results: [] },
      // While it runs, GetQueryResults returns partial results: not read.
      { status: 'Running', results: [row({ srcaddr: '203.0.113.50', value: '171' })], statistics: { recordsMatched: 1, recordsScanned: 400, bytesScanned: 32000 } },
      { status: 'Complete', results: [row({ srcaddr: '203.0.113.50', value: '171' }), row({ srcaddr: '198.51.100.23', value: '51' })], statistics: STATS },
    );
    const input: ToFindingsInput = { rule: rule('PORT_SCAN'), execution: EXEC, logsInsightsQueryId: 'li-slow' };
    expect(await handler(input)).toEqual({ status: 'Scheduled' });
    expect(await handler(input)).toEqual({ status: 'Running' });
    expect(suppressions.entries.size).toBe(0);
    expect(store.objects.size).toBe(0);
    expect(metrics.published).toEqual([]);
    const out = complete(await handler(input));
    expect(out).toMatchObject({ rows: 2, counts: { new: 2 } });
    expect(logs.asked).toEqual([{ queryId: 'li-slow', maxItems: 10_000 }, { queryId: 'li-slow', maxItems: 10_000 }, { queryId: 'li-slow', maxItems: 10_000 }]);
  });

  it.each(['Failed', 'Cancelled', 'Timeout', 'Unknown'] as const)('fails the rule on a query that ended %s (QueryNotCompleteError), claiming, filing and publishing nothing', async (status) => {
    const { handler, logs, suppressions, store, metrics } = setup();
    logs.script('li-ended', { status, results: [row({ srcaddr: '203.0.113.50', value: '171' })] });
    const run = handler({ rule: rule('PORT_SCAN'), execution: EXEC, logsInsightsQueryId: 'li-ended' });
    await expect(run).rejects.toBeInstanceOf(QueryNotCompleteError);
    await expect(run).rejects.toThrow(`Logs Insights query li-ended ended ${status}: no result to read`);
    expect(suppressions.entries.size).toBe(0);
    expect(store.objects.size).toBe(0);
    expect(metrics.published).toEqual([]);
  });

  it('carries the query’s statistics, numbers only; none given is null', async () => {
    const { run, fromRows } = setup();
    const statistics = { recordsMatched: 1, recordsScanned: 120000, bytesScanned: 15000000, estimatedRecordsSkipped: 0, estimatedBytesSkipped: 0, logGroupsScanned: 1 };
    const withText = { ...statistics, note: 'not a number' } as unknown as typeof statistics;
    expect((await run(fromRows(rule('PORT_SCAN'), [row({ srcaddr: '203.0.113.50', value: '171' })], withText))).statistics).toEqual(statistics);
    const { handler, logs } = setup();
    logs.script('li-nostats', { status: 'Complete', results: [] });
    expect(complete(await handler({ rule: rule('PORT_SCAN'), execution: EXEC, logsInsightsQueryId: 'li-nostats' })).statistics).toBeNull();
  });

  it('is refused by a ToFindings built without a Logs Insights client (an athena deployment)', async () => {
    const handler = createToFindingsHandler({
      config: { detection, suppression },
      suppressions: new MemorySuppressionStore(),
      metrics: new RecordingMetrics(),
      clock: new SettableClock(new Date('2025-11-22T10:01:00Z')),
      store: new MemoryObjectStore(),
      athenaResults: new FakeAthenaResults(),
    });
    await expect(handler({ rule: rule('PORT_SCAN'), execution: EXEC, logsInsightsQueryId: 'li-1' })).rejects.toThrow('has no Logs Insights client');
  });
});

describe('ToFindings on the athena engine', () => {
  it('reads every row of the query, past one GetQueryResults page: 1,500 rows, 1,500 findings', async () => {
    // 1,200 allowlisted sources, then 300 public ones: rows past the first 999 open incidents too.
    const sources = [...Array.from({ length: 1200 }, (_, i) => `10.1.${i >> 8}.${i & 255}`), ...Array.from({ length: 300 }, (_, i) => `2001:db8:1::${(i + 1).toString(16)}`)];
    const { handler, metrics, store } = setup(undefined, new FakeAthenaResults({ 'q-big': [HEADER, ...sources.map((s, i) => athenaRow(s, String(60 + i)))] }));
    const out = complete(await handler({ rule: rule('PORT_SCAN'), execution: EXEC, athenaQueryExecutionId: 'q-big' }));
    expect(out.counts).toEqual({ overThreshold: 1500, allowlisted: 1200, suppressed: 0, new: 300 });
    expect(out.batches.map((b) => b.count)).toEqual([100, 100, 100]);
    const { record, newFindings } = await filed(store, out);
    expect(record.findings).toHaveLength(1500);
    expect(record.findings.filter((f) => f.disposition === 'allowlisted')).toHaveLength(1200);
    expect(newFindings.map((n) => n.finding.source)).toEqual(sources.slice(1200));
    expect(metrics.published).toEqual([[{ detection: 'PORT_SCAN', findings: 300 }]]);
  });

  it('fails the rule when the results are more than ToFindings reads, claiming and filing nothing', async () => {
    const { handler, suppressions, metrics, store } = setup(undefined, new FakeAthenaResults({ 'q-huge': new TooManyResultRowsError('Athena query q-huge: more than 10000 result rows') }));
    await expect(handler({ rule: rule('PORT_SCAN'), execution: EXEC, athenaQueryExecutionId: 'q-huge' })).rejects.toBeInstanceOf(TooManyResultRowsError);
    expect(suppressions.entries.size).toBe(0);
    expect(store.objects.size).toBe(0);
    expect(metrics.published).toEqual([]);
  });

  it('says a result of exactly the row limit may be cut off, allowlisted rows included', async () => {
    const sources = Array.from({ length: QUERY_ROW_LIMIT }, (_, i) => `10.2.${i >> 8}.${i & 255}`);
    const { handler } = setup(undefined, new FakeAthenaResults({ 'q-limit': [HEADER, ...sources.map((s) => athenaRow(s, '60'))], 'q-under': [HEADER, ...sources.slice(1).map((s) => athenaRow(s, '60'))] }));
    expect(complete(await handler({ rule: rule('PORT_SCAN'), execution: EXEC, athenaQueryExecutionId: 'q-limit' }))).toMatchObject({ rows: QUERY_ROW_LIMIT, limitReached: true, counts: { allowlisted: QUERY_ROW_LIMIT, new: 0 }, batches: [] });
    expect(complete(await handler({ rule: rule('PORT_SCAN'), execution: EXEC, athenaQueryExecutionId: 'q-under' }))).toMatchObject({ rows: QUERY_ROW_LIMIT - 1, limitReached: false });
  });

  it('is refused by a ToFindings built without an Athena reader (a logs-insights deployment)', async () => {
    const clock = new SettableClock(new Date('2025-11-22T10:01:00Z'));
    const handler = createToFindingsHandler({ config: { detection, suppression }, suppressions: new MemorySuppressionStore(), metrics: new RecordingMetrics(), clock, store: new MemoryObjectStore(), logsInsights: new ScriptedLogsInsights() });
    await expect(handler({ rule: rule('PORT_SCAN'), execution: EXEC, athenaQueryExecutionId: 'q-1' })).rejects.toThrow('has no Athena results reader');
  });
});

describe('ToFindings output size', () => {
  it(`a result of ${QUERY_ROW_LIMIT} rows: every finding filed, ${QUERY_ROW_LIMIT / FINDINGS_BATCH_SIZE} batches of ${FINDINGS_BATCH_SIZE}, and an output of a few kilobytes`, async () => {
    const { run, fromRows, store, suppressions, metrics } = setup();
    // A distributed scan: 10,000 sources over the threshold, as many rows as the query returns.
    const sources = Array.from({ length: QUERY_ROW_LIMIT }, (_, i) => `198.${18 + (i >> 16)}.${(i >> 8) & 255}.${i & 255}`);
    const out = await run(fromRows(rule('PORT_SCAN'), sources.map((srcaddr) => row({ srcaddr, value: '60' })), { recordsMatched: QUERY_ROW_LIMIT, recordsScanned: 4_000_000, bytesScanned: 600_000_000 }));
    expect(out.rows).toBe(QUERY_ROW_LIMIT);
    expect(out.limitReached).toBe(true);
    expect(out.counts).toEqual({ overThreshold: QUERY_ROW_LIMIT, allowlisted: 0, suppressed: 0, new: QUERY_ROW_LIMIT });
    expect(out.batches).toHaveLength(100);
    expect(out.batches.every((b) => b.count === FINDINGS_BATCH_SIZE)).toBe(true);
    expect(out.batches[0]?.key).toBe(`detections/${EXEC}/PORT_SCAN/batch-0001.json`);
    expect(out.batches[99]?.key).toBe(`detections/${EXEC}/PORT_SCAN/batch-0100.json`);

    const { record, newFindings } = await filed(store, out);
    expect(record.query).toEqual({ engine: 'logs-insights', id: 'li-1', rows: QUERY_ROW_LIMIT, limitReached: true });
    expect(record.findings).toHaveLength(QUERY_ROW_LIMIT);
    expect(record.findings.every((f) => f.disposition === 'new')).toBe(true);
    // The batches hold every new finding once, in the order found.
    expect(newFindings.map((n) => n.finding.source)).toEqual(sources);
    expect(new Set(newFindings.map((n) => n.executionName)).size).toBe(QUERY_ROW_LIMIT);
    expect(suppressions.entries.size).toBe(QUERY_ROW_LIMIT);
    expect(metrics.published).toEqual([[{ detection: 'PORT_SCAN', findings: QUERY_ROW_LIMIT }]]);
    // The property that matters: the output does not grow with the findings (a state carries 262,144 bytes).
    expect(Buffer.byteLength(JSON.stringify(out), 'utf8')).toBeLessThan(32 * 1024);
  });

  it('makes at most claimConcurrency claims at once', async () => {
    class SlowStore extends MemorySuppressionStore {
      inFlight = 0;
      maxInFlight = 0;
      override async claim(entry: SuppressionEntry, nowIso: string): ReturnType<MemorySuppressionStore['claim']> {
        this.inFlight++;
        this.maxInFlight = Math.max(this.maxInFlight, this.inFlight);
        try {
          await new Promise((resolve) => setTimeout(resolve, 1));
          return await super.claim(entry, nowIso);
        } finally {
          this.inFlight--;
        }
      }
    }
    const slow = new SlowStore();
    const { run, fromRows } = setup(undefined, undefined, { suppressions: slow, claimConcurrency: 5 });
    const out = await run(fromRows(rule('PORT_SCAN'), Array.from({ length: 60 }, (_, i) => row({ srcaddr: `198.51.100.${i}`, value: '60' }))));
    expect(out.counts.new).toBe(60);
    expect(slow.maxInFlight).toBe(5);
  });
});

describe('ToFindings, when a result pages or a step after the claims fails', () => {
  it('reads every page of a Logs Insights result (nextToken), so no source past the first page is lost', async () => {
    const { logs, handler } = setup();
    logs.script(
      'li-paged',
      { status: 'Complete', results: [row({ srcaddr: '203.0.113.50', value: '171' })], statistics: STATS, nextToken: 'page-2' },
      { status: 'Complete', results: [row({ srcaddr: '203.0.113.51', value: '90' })], statistics: STATS },
    );
    const out = complete(await handler({ rule: rule('PORT_SCAN'), execution: EXEC, logsInsightsQueryId: 'li-paged' }));
    expect(out.rows).toBe(2);
    expect(out.counts.new).toBe(2);
    expect(logs.asked).toEqual([
      { queryId: 'li-paged', maxItems: 10_000 },
      { queryId: 'li-paged', maxItems: 10_000, nextToken: 'page-2' },
    ]);
  });

  it('a failure after the claims (the findings record cannot be written) releases every claim it made, so the next run opens them', async () => {
    const suppressions = new MemorySuppressionStore();
    const { fromRows, handler, store } = setup(undefined, undefined, { suppressions });
    const put = store.put.bind(store);
    store.put = async (key, body, type) => {
      if (key.endsWith('/findings.json')) throw Object.assign(new Error('Access Denied'), { name: 'AccessDenied' });
      return put(key, body, type);
    };
    const input = fromRows(rule('PORT_SCAN'), [row({ srcaddr: '203.0.113.50', value: '171' }), row({ srcaddr: '198.51.100.23', value: '51' })]);
    await expect(handler(input)).rejects.toThrow('Access Denied');
    expect(suppressions.entries.size).toBe(0);
  });

  it('a claim that fails part-way releases the claims already made, after every claim in flight has settled', async () => {
    const suppressions = new MemorySuppressionStore();
    const claim = suppressions.claim.bind(suppressions);
    suppressions.claim = async (entry, now) => {
      if (entry.key.includes('203.0.113.7')) throw Object.assign(new Error('Throughput exceeds the current capacity'), { name: 'ProvisionedThroughputExceededException' });
      return claim(entry, now);
    };
    const { fromRows, handler } = setup(undefined, undefined, { suppressions, claimConcurrency: 4 });
    const rows = Array.from({ length: 20 }, (_, i) => row({ srcaddr: `203.0.113.${i + 1}`, value: '60' }));
    await expect(handler(fromRows(rule('PORT_SCAN'), rows))).rejects.toThrow('Throughput exceeds');
    expect(suppressions.entries.size).toBe(0);
  });
});
