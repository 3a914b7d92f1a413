import { GetQueryResultsCommand, StartQueryCommand, StopQueryCommand } from '@aws-sdk/client-cloudwatch-logs';
import 'aws-sdk-client-mock-jest';
import { checkLogsInsightsQuery } from '../../../core/detection/compile';
import { FlowLogFormat } from '../../../core/flowlog/format';
import { parseLine } from '../../../core/flowlog/record';
import { generateSample } from '../../../core/sample';
import { FlowRecordQueryError, FlowRecordQueryTimeoutError, LogsInsightsRecordSource, rawRecordsQuery } from '../../../handlers/aws/flow-record-source';
import { fakeLogsInsights, type FakeLogsInsightsOptions } from './fake-logs-insights';

const UNTIL = 1763805600;
const window = { start: UNTIL - 3600, end: UNTIL };
const format = FlowLogFormat.V5;
const LOG_GROUP = '/aws/vpc/flowlogs/dev';
const sample = [...generateSample({ records: 2000, seed: 3, format: 'v5', until: UNTIL })].flatMap((o) => o.lines);
const clock = { now: () => new Date((UNTIL + 7200) * 1000) };

const linesOf = (lines: readonly string[], source: string, w = window): string[] =>
  lines.filter((l) => {
    const r = parseLine(l, format);
    return r.kind === 'record' && r.record.srcaddr === source && r.record.start >= w.start && r.record.start < w.end;
  });

function setup(fakeOptions: Partial<FakeLogsInsightsOptions> = {}, poll = { intervalMs: 1000, maxPolls: 5 }, maxQueries?: number) {
  const fake = fakeLogsInsights({ logGroup: LOG_GROUP, format, lines: sample, ...fakeOptions });
  const waits: number[] = [];
  const source = new LogsInsightsRecordSource(fake.client, {
    logGroupNames: [LOG_GROUP],
    format,
    poll,
    sleep: async (ms) => {
      waits.push(ms);
    },
    clock,
    ...(maxQueries !== undefined ? { maxQueries } : {}),
  });
  return { fake, source, waits };
}

describe('LogsInsightsRecordSource', () => {
  let fake: ReturnType<typeof fakeLogsInsights> | undefined;
  afterEach(() => fake?.mock.restore());

  it('starts the query over the widened range and polls until it completes, returning the raw lines', async () => {
    const s = setup();
    fake = s.fake;
    const out = await s.source.records('198.51.100.23', window);
    expect(out.lines).toEqual(linesOf(sample, '198.51.100.23'));
    expect(out.lines).toHaveLength(51);
    expect(out.format).toBe(format.fields.join(' '));
    expect(FlowLogFormat.parse(out.format).equals(format)).toBe(true);
    expect(out.query).toBe(rawRecordsQuery(format, '198.51.100.23', window));
    expect(fake.mock).toHaveReceivedCommandWith(StartQueryCommand, { logGroupNames: [LOG_GROUP], startTime: window.start - 60, endTime: window.end + 60, limit: 10000 });
    // Running, Running, Complete: three polls, with a wait between two.
    expect(fake.mock).toHaveReceivedCommandTimes(GetQueryResultsCommand, 3);
    expect(s.waits).toEqual([1000, 1000]);
  });

  it('writes a query the Logs Insights checker accepts, on the canonical address', () => {
    const q = rawRecordsQuery(format, '2001:DB8:BAD:0::50', window);
    expect(checkLogsInsightsQuery(q)).toEqual([]);
    expect(q).toContain(`filter srcaddr = "2001:db8:bad::50" and start >= ${window.start} and start < ${window.end}`);
    expect(() => rawRecordsQuery(format, '198.51.100.23" or srcaddr = "1.1.1.1', window)).toThrow(FlowRecordQueryError);
  });

  it('gives up after the poll budget, stopping the query', async () => {
    const s = setup({ runningPolls: 100 }, { intervalMs: 2000, maxPolls: 4 });
    fake = s.fake;
    const run = s.source.records('198.51.100.23', window);
    await expect(run).rejects.toBeInstanceOf(FlowRecordQueryTimeoutError);
    await expect(run).rejects.toThrow('did not complete after 4 polls (6 s); it was stopped');
    expect(fake.mock).toHaveReceivedCommandTimes(GetQueryResultsCommand, 4);
    expect(fake.mock).toHaveReceivedCommandWith(StopQueryCommand, { queryId: 'q-1' });
    expect(fake.queries.get('q-1')?.status).toBe('Cancelled');
  });

  it('fails on a query that ends Failed or Timeout', async () => {
    const s = setup({ endStatus: 'Timeout' });
    fake = s.fake;
    await expect(s.source.records('198.51.100.23', window)).rejects.toThrow(new FlowRecordQueryError('Logs Insights query q-1 ended with status Timeout'));
  });

  it('fetches more than 10,000 records by halving the range, each record once', async () => {
    // A flood: 12,500 records from one source spread over the window, on top of the sample.
    const flood = Array.from({ length: 12_500 }, (_, i) => {
      const start = window.start + Math.floor((i * 3600) / 12_500);
      return `5 123456789012 eni-0flood 203.0.113.77 10.0.1.20 ${40000 + (i % 1000)} 443 6 1 60 ${start} ${start + 1} REJECT OK vpc-0a subnet-0a i-0a 2 IPv4 203.0.113.77 10.0.1.20 us-east-1 use1-az1 - - - - ingress 1`;
    });
    expect(parseLine(flood[0] as string, format).kind).toBe('record');
    const s = setup({ lines: [...sample, ...flood], runningPolls: 0 });
    fake = s.fake;
    const out = await s.source.records('203.0.113.77', window);
    expect(out.lines).toHaveLength(12_500);
    expect(new Set(out.lines).size).toBe(12_500);
    // The full window came back with 10,000 rows; its two halves with 6,250 each.
    expect(fake.mock).toHaveReceivedCommandTimes(StartQueryCommand, 3);
    expect(out.query.split('\n\n')).toHaveLength(3);
  });

  it('refuses to return incomplete evidence when halving cannot get under the row limit', async () => {
    const flood = Array.from({ length: 10_000 }, (_, i) => `5 123456789012 eni-0flood 203.0.113.77 10.0.1.20 ${40000 + (i % 1000)} 443 6 1 60 ${window.start + 5} ${window.start + 6} REJECT OK vpc-0a subnet-0a i-0a 2 IPv4 203.0.113.77 10.0.1.20 us-east-1 use1-az1 - - - - ingress 1`);
    const s = setup({ lines: flood, runningPolls: 0 }, undefined, 64);
    fake = s.fake;
    await expect(s.source.records('203.0.113.77', window)).rejects.toThrow(`203.0.113.77: 10000 or more records start in the one second ${window.start + 5}`);
  });

  it('stops after its query budget', async () => {
    const flood = Array.from({ length: 10_000 }, (_, i) => `5 123456789012 eni-0flood 203.0.113.77 10.0.1.20 ${40000 + (i % 1000)} 443 6 1 60 ${window.start + 5} ${window.start + 6} REJECT OK vpc-0a subnet-0a i-0a 2 IPv4 203.0.113.77 10.0.1.20 us-east-1 use1-az1 - - - - ingress 1`);
    const s = setup({ lines: flood, runningPolls: 0 }, undefined, 3);
    fake = s.fake;
    await expect(s.source.records('203.0.113.77', window)).rejects.toThrow('even after 3 queries; the evidence would be incomplete');
    expect(fake.mock).toHaveReceivedCommandTimes(StartQueryCommand, 3);
  });

  it('refuses a configuration StartQuery would reject', () => {
    const f = fakeLogsInsights({ logGroup: LOG_GROUP, format, lines: [] });
    fake = f;
    expect(() => new LogsInsightsRecordSource(f.client, { logGroupNames: [], format, poll: { intervalMs: 1, maxPolls: 1 } })).toThrow('a query reads 1 to 50 log groups, got 0');
    expect(() => new LogsInsightsRecordSource(f.client, { logGroupNames: [LOG_GROUP], format, poll: { intervalMs: 1, maxPolls: 0 } })).toThrow('poll.maxPolls must be a whole number of at least 1, got 0');
  });
});
