import { CompileError } from '../../core/detection/compile';
import { DEFAULT_CONFIG, type FlowirConfig } from '../../core/detection/config';
import { executionName, maxIncidentSeconds, type SuppressionSettings } from '../../core/incident';
import { DEFAULT_INCIDENT_CONFIG } from '../../core/policy';
import { TaskInputError } from '../../handlers/task-input';
import { createToFindingsHandler, MAX_OUTPUT_BYTES, TooManyFindingsError } from '../../handlers/to-findings';
import { TooManyResultRowsError, type AthenaResultsPort } from '../../handlers/ports/athena-results';
import type { AthenaRow, ResultRow, RuleQuery, ToFindingsInput } from '../../workflows/contract';
import { MemorySuppressionStore, RecordingMetrics, SettableClock } from './fakes/ports';

const window = { start: 1763802000, end: 1763805600 };
const suppression: SuppressionSettings = { suppressionSeconds: DEFAULT_INCIDENT_CONFIG.suppressionSeconds, maxOpenSeconds: maxIncidentSeconds(DEFAULT_INCIDENT_CONFIG) };
const detection: FlowirConfig = { ...DEFAULT_CONFIG, allowlist: ['10.0.0.0/8', '2001:db8:ffff::/48'] };

const rule = (d: RuleQuery['detection'], w = window): RuleQuery => ({ detection: d, window: w, queryString: '(compiled query)', queryStart: w.start - 60, queryEnd: w.end + 60 });
/** A Logs Insights GetQueryResults row, `@ptr` included as the service returns it. */
// Step Functions' shape of a GetQueryResults row: PascalCase members (docs/aws-facts.md §1).
const row = (fields: Record<string, string>): ResultRow => [...Object.entries(fields).map(([Field, Value]) => ({ Field, Value })), { Field: '@ptr', Value: 'CmAKJwoj...' }];

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

function setup(now = '2025-11-22T10:01:00Z', athenaResults = new FakeAthenaResults()) {
  const clock = new SettableClock(new Date(now));
  const suppressions = new MemorySuppressionStore();
  const metrics = new RecordingMetrics();
  const handler = createToFindingsHandler({ config: { detection, suppression }, suppressions, metrics, clock, athenaResults });
  return { clock, suppressions, metrics, handler, athenaResults };
}

describe('ToFindings', () => {
  it('turns Logs Insights rows into new findings, drops allowlisted sources and publishes the count', async () => {
    const { handler, metrics, suppressions } = setup();
    const out = await handler({
      rule: rule('PORT_SCAN'),
      rows: [row({ srcaddr: '203.0.113.50', value: '171' }), row({ srcaddr: '10.0.99.7', value: '80' }), row({ srcaddr: '198.51.100.23', value: '51' })],
    });
    expect(out).toEqual({
      detection: 'PORT_SCAN',
      window,
      newFindings: [
        {
          finding: { id: 'PORT_SCAN:203.0.113.50:1763805600', detection: 'PORT_SCAN', severity: 'CRITICAL', source: '203.0.113.50', port: null, value: 171, threshold: 50, window },
          executionName: 'PORT_SCAN-203-0-113-50-1763805600',
          suppressionKey: 'PORT_SCAN#203.0.113.50',
        },
        {
          finding: { id: 'PORT_SCAN:198.51.100.23:1763805600', detection: 'PORT_SCAN', severity: 'CRITICAL', source: '198.51.100.23', port: null, value: 51, threshold: 50, window },
          executionName: 'PORT_SCAN-198-51-100-23-1763805600',
          suppressionKey: 'PORT_SCAN#198.51.100.23',
        },
      ],
      suppressed: [],
      allowlisted: ['PORT_SCAN:10.0.99.7:1763805600'],
    });
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
  });

  it('records a repeat on the open incident instead of opening a second one, once per finding', async () => {
    const { handler, suppressions, clock, metrics } = setup();
    const first = await handler({ rule: rule('SUSPICIOUS_PORT_ACCESS'), rows: [row({ srcaddr: '203.0.113.50', dstport: '22', value: '40' })] });
    expect(first.newFindings.map((n) => n.finding.id)).toEqual(['SUSPICIOUS_PORT_ACCESS:203.0.113.50:22:1763805600']);

    // Ten minutes later the next window sees the same source on the same port.
    clock.advance(600);
    const next = { start: window.start + 600, end: window.end + 600 };
    const input: ToFindingsInput = { rule: rule('SUSPICIOUS_PORT_ACCESS', next), rows: [row({ srcaddr: '203.0.113.50', dstport: '22', value: '44' }), row({ srcaddr: '203.0.113.50', dstport: '3389', value: '12' })] };
    const second = await handler(input);
    expect(second.suppressed).toEqual(['SUSPICIOUS_PORT_ACCESS:203.0.113.50:22:1763806200']);
    // Another port is another key: its own incident.
    expect(second.newFindings.map((n) => n.finding.id)).toEqual(['SUSPICIOUS_PORT_ACCESS:203.0.113.50:3389:1763806200']);
    expect(suppressions.entries.get('SUSPICIOUS_PORT_ACCESS#203.0.113.50#22')?.repeats).toBe(1);

    // The state retried: the repeat is not counted twice.
    await handler(input);
    expect(suppressions.entries.get('SUSPICIOUS_PORT_ACCESS#203.0.113.50#22')?.repeats).toBe(1);
    // Suppressed findings are still findings for the alarms.
    expect(metrics.published.at(-1)).toEqual([{ detection: 'SUSPICIOUS_PORT_ACCESS', findings: 2 }]);
  });

  it('hands a finding on again when a retry of the same window finds its own claim', async () => {
    const { handler } = setup();
    const input: ToFindingsInput = { rule: rule('PORT_SCAN'), rows: [row({ srcaddr: '203.0.113.50', value: '171' })] };
    const first = await handler(input);
    const retry = await handler(input);
    expect(retry.newFindings).toEqual(first.newFindings);
    expect(retry.suppressed).toEqual([]);
  });

  it('opens a new incident once the stored one stops suppressing, and not a second earlier', async () => {
    const { handler, clock } = setup();
    await handler({ rule: rule('PORT_SCAN'), rows: [row({ srcaddr: '203.0.113.50', value: '171' })] });
    const later = (hours: number): ToFindingsInput => {
      const end = window.end + hours * 3600;
      return { rule: rule('PORT_SCAN', { start: end - 3600, end }), rows: [row({ srcaddr: '203.0.113.50', value: '90' })] };
    };
    clock.advance(26 * 3600 - 1);
    expect((await handler(later(26))).suppressed).toHaveLength(1);
    clock.advance(1);
    const reopened = await handler(later(27));
    expect(reopened.newFindings.map((n) => n.executionName)).toEqual(['PORT_SCAN-203-0-113-50-1763902800']);
  });

  it('reads the Athena query’s rows by their header, keeping sums beyond 2^53 exact as decimal text', async () => {
    const { handler, athenaResults } = setup(undefined, new FakeAthenaResults({ 'q-1': [HEADER, athenaRow('2001:DB8::7', '18446744073709551615'), athenaRow('192.0.2.10', '1000000001')] }));
    const out = await handler({ rule: rule('HIGH_TRAFFIC_VOLUME'), athenaQueryExecutionId: 'q-1' });
    expect(athenaResults.read).toEqual(['q-1']);
    expect(out.newFindings.map((n) => [n.finding.source, n.finding.value, n.executionName])).toEqual([
      ['2001:db8::7', '18446744073709551615', executionName('HIGH_TRAFFIC_VOLUME:2001:db8::7:1763805600')],
      ['192.0.2.10', 1000000001, 'HIGH_TRAFFIC_VOLUME-192-0-2-10-1763805600'],
    ]);
    expect(out.newFindings[0]?.executionName).toMatch(/^[A-Za-z0-9_-]{1,80}$/);
  });

  it('publishes a zero for a run without findings', async () => {
    const { handler, metrics } = setup();
    const { handler: athenaHandler, metrics: athenaMetrics } = setup(undefined, new FakeAthenaResults({ 'q-0': [HEADER] }));
    expect(await athenaHandler({ rule: rule('HIGH_CONNECTION_COUNT'), athenaQueryExecutionId: 'q-0' })).toMatchObject({ newFindings: [], allowlisted: [] });
    expect(athenaMetrics.published).toEqual([[{ detection: 'HIGH_CONNECTION_COUNT', findings: 0 }]]);
    const out = await handler({ rule: rule('HIGH_CONNECTION_COUNT'), rows: [] });
    expect(out).toEqual({ detection: 'HIGH_CONNECTION_COUNT', window, newFindings: [], suppressed: [], allowlisted: [] });
    expect(metrics.published).toEqual([[{ detection: 'HIGH_CONNECTION_COUNT', findings: 0 }]]);
  });

  it.each<[string, unknown, string]>([
    ['no result at all', { rule: rule('PORT_SCAN') }, 'input: needs the query result'],
    ['both result shapes', { rule: rule('PORT_SCAN'), rows: [], athenaQueryExecutionId: 'q-1' }, 'input: has both "rows"'],
    ['an Athena query id that is not text', { rule: rule('PORT_SCAN'), athenaQueryExecutionId: 7 }, 'input.athenaQueryExecutionId: expected a query execution id'],
    ['an unknown detection', { rule: { ...rule('PORT_SCAN'), detection: 'PORT_SWEEP' }, rows: [] }, 'input.rule.detection: expected a detection name, got "PORT_SWEEP"'],
    ['a row that is not a list', { rule: rule('PORT_SCAN'), rows: [{ srcaddr: '192.0.2.1' }] }, 'input.rows[0]: expected a list of {Field, Value}'],
    ['a cell without a value', { rule: rule('PORT_SCAN'), rows: [[{ Field: 'srcaddr' }]] }, 'input.rows[0][0]: expected {"Field": string, "Value": string}'],
    // The SDK v3's own shape is not what Step Functions delivers: refused, naming the shape expected.
    ['an SDK-shaped cell (field/value)', { rule: rule('PORT_SCAN'), rows: [[{ field: 'srcaddr', value: '203.0.113.50' }]] }, 'input.rows[0][0]: expected {"Field": string, "Value": string}'],
    ['Athena rows without a header', { rule: rule('PORT_SCAN'), athenaQueryExecutionId: 'q-empty' }, 'athenaResults(q-empty): is empty'],
    ['an Athena row of the wrong width', { rule: rule('PORT_SCAN'), athenaQueryExecutionId: 'q-narrow' }, 'athenaResults(q-narrow)[1]: has 1 values for 2 columns (srcaddr, value)'],
  ])('refuses %s, naming where', async (_what, input, message) => {
    const { handler, metrics } = setup(undefined, new FakeAthenaResults({ 'q-empty': [], 'q-narrow': [HEADER, athenaRow('192.0.2.1')] }));
    const run = handler(input as ToFindingsInput);
    await expect(run).rejects.toBeInstanceOf(TaskInputError);
    await expect(run).rejects.toThrow(message);
    expect(metrics.published).toEqual([]);
  });

  it('refuses a bad value in a row, naming the row, and claims nothing', async () => {
    const { handler, suppressions } = setup();
    const run = handler({ rule: rule('PORT_SCAN'), rows: [row({ srcaddr: '203.0.113.50', value: '171' }), row({ srcaddr: '203.0.113.51', value: 'lots' })] });
    await expect(run).rejects.toThrow(new CompileError('PORT_SCAN result row 2: value is not a whole number (got "lots")'));
    expect(suppressions.entries.size).toBe(0);
  });
});

describe('ToFindings on the athena engine', () => {
  it('reads every row of the query, past one GetQueryResults page: 1,500 rows, 1,500 findings', async () => {
    // 1,200 allowlisted sources, then 300 public ones: rows past the first 999 open incidents too.
    const sources = [...Array.from({ length: 1200 }, (_, i) => `10.1.${i >> 8}.${i & 255}`), ...Array.from({ length: 300 }, (_, i) => `2001:db8:1::${(i + 1).toString(16)}`)];
    const { handler, metrics } = setup(undefined, new FakeAthenaResults({ 'q-big': [HEADER, ...sources.map((s, i) => athenaRow(s, String(60 + i)))] }));
    const out = await handler({ rule: rule('PORT_SCAN'), athenaQueryExecutionId: 'q-big' });
    expect(out.newFindings.length + out.allowlisted.length).toBe(1500);
    expect(out.allowlisted).toHaveLength(1200);
    expect(out.newFindings.map((n) => n.finding.source)).toEqual(sources.slice(1200));
    expect(metrics.published).toEqual([[{ detection: 'PORT_SCAN', findings: 300 }]]);
  });

  it('fails the rule when the results are more than ToFindings reads, claiming nothing', async () => {
    const { handler, suppressions, metrics } = setup(undefined, new FakeAthenaResults({ 'q-huge': new TooManyResultRowsError('Athena query q-huge: more than 10000 result rows') }));
    await expect(handler({ rule: rule('PORT_SCAN'), athenaQueryExecutionId: 'q-huge' })).rejects.toBeInstanceOf(TooManyResultRowsError);
    expect(suppressions.entries.size).toBe(0);
    expect(metrics.published).toEqual([]);
  });

  it('is refused by a ToFindings built without an Athena reader (a logs-insights deployment)', async () => {
    const clock = new SettableClock(new Date('2025-11-22T10:01:00Z'));
    const handler = createToFindingsHandler({ config: { detection, suppression }, suppressions: new MemorySuppressionStore(), metrics: new RecordingMetrics(), clock });
    await expect(handler({ rule: rule('PORT_SCAN'), athenaQueryExecutionId: 'q-1' })).rejects.toThrow('has no Athena results reader');
  });
});

describe('ToFindings output size', () => {
  it('refuses, before claiming anything, a result too large for a Step Functions state', async () => {
    const { handler, suppressions, metrics } = setup();
    // A distributed scan: 1,000 sources over the threshold.
    const rows = Array.from({ length: 1000 }, (_, i) => row({ srcaddr: `198.51.${100 + Math.floor(i / 250)}.${i % 250}`, value: '60' }));
    const run = handler({ rule: rule('PORT_SCAN'), rows });
    await expect(run).rejects.toBeInstanceOf(TooManyFindingsError);
    await expect(run).rejects.toThrow(/PORT_SCAN: 1000 findings over threshold and 0 allowlisted would make a \d+-byte state output, over the 200000-byte budget/);
    expect(suppressions.entries.size).toBe(0);
    expect(metrics.published).toEqual([]);
  });

  it('carries a few hundred findings', async () => {
    const { handler } = setup();
    const rows = Array.from({ length: 250 }, (_, i) => row({ srcaddr: `198.51.100.${i}`, value: String(60 + i) }));
    const out = await handler({ rule: rule('PORT_SCAN'), rows });
    expect(out.newFindings).toHaveLength(250);
    expect(Buffer.byteLength(JSON.stringify(out))).toBeLessThan(MAX_OUTPUT_BYTES);
  });
});
