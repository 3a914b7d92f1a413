/**
 * local/runtime/queries.ts: StartQuery / GetQueryResults / StopQuery in the SDK v3's shapes, over a
 * small log group written here.
 */
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { ResourceNotFoundException, type GetQueryResultsCommandOutput, type StartQueryCommandInput } from '@aws-sdk/client-cloudwatch-logs';
import { compileLogsInsights, logsInsightsParse, savedQueries } from '../../../core/detection/compile';
import { parseConfig, type FlowirConfig } from '../../../core/detection/config';
import type { TimeWindow } from '../../../core/detection/window';
import { FlowLogFormat } from '../../../core/flowlog/format';
import type { ScanResult } from '../../../core/scan/scanner';
import { fastScan } from '../../../local/fast/fast-scan';
import { expandInputs } from '../../../local/input/sources';
import { LocalLogsInsights, LocalQueryError } from '../../../local/runtime/queries';

const WINDOW: TimeWindow = { start: 1763802000, end: 1763805600 };
const CONFIG = parseConfig({ detections: { PORT_SCAN: { threshold: 2 }, HIGH_CONNECTION_COUNT: { threshold: 3 }, SUSPICIOUS_PORT_ACCESS: { enabled: false } } });
const GROUP = '/aws/vpc/flowlogs/test';

const line = (src: string, dstport: number, start: number, action = 'REJECT', bytes = 40): string =>
  `2 123456789010 eni-0a1b2c3d4e5f60718 ${src} 172.31.9.12 51515 ${dstport} 6 1 ${bytes} ${start} ${start + 60} ${action} OK`;

// 203.0.113.50 scans 4 ports in the window; 198.51.100.7 is rejected on 2 ports, once at each edge
// of the time range; a NODATA record; a record just past the range.
const LINES = [
  line('203.0.113.50', 22, WINDOW.start),
  line('203.0.113.50', 23, WINDOW.start + 10),
  line('203.0.113.50', 445, WINDOW.start + 20),
  line('203.0.113.50', 3389, WINDOW.start + 30),
  line('198.51.100.7', 22, WINDOW.start - 60),
  line('198.51.100.7', 80, WINDOW.end + 60),
  line('198.51.100.7', 81, WINDOW.end + 61),
  '2 123456789010 eni-1235b8ca123456789 - - - - - - - 1763803000 1763803060 - NODATA',
  'not a record',
];

let dir: string;
let file: string;
beforeAll(async () => {
  dir = await mkdtemp(path.join(tmpdir(), 'flowir-queries-'));
  file = path.join(dir, 'flow.log');
  await writeFile(file, `${LINES.join('\n')}\n`);
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

function withScan(config: FlowirConfig = CONFIG, inputs: () => string[] = () => [file]): { logs: LocalLogsInsights; scans: TimeWindow[] } {
  const scans: TimeWindow[] = [];
  const scan = async (w: TimeWindow): Promise<ScanResult> => {
    scans.push(w);
    return fastScan(await expandInputs(inputs()), { config, windowSeconds: w.end - w.start, until: w.end, threads: 0 });
  };
  return { logs: new LocalLogsInsights({ inputs: inputs(), config, scan }), scans };
}

const start = (over: Partial<StartQueryCommandInput> = {}): StartQueryCommandInput => ({ logGroupName: GROUP, startTime: WINDOW.start - 60, endTime: WINDOW.end + 60, queryString: 'fields @message', ...over });

async function rejected(p: Promise<unknown>): Promise<Error> {
  try {
    await p;
  } catch (e) {
    return e as Error;
  }
  throw new Error('expected a rejection');
}

/** StartQuery, then its GetQueryResults. */
async function ask(l: LocalLogsInsights, over: Partial<StartQueryCommandInput>): Promise<GetQueryResultsCommandOutput> {
  const { queryId } = await l.startQuery(start(over));
  return l.getQueryResults({ queryId });
}

const table = (rows: { field?: string; value?: string }[][] | undefined): Record<string, string>[] => (rows ?? []).map((r) => Object.fromEntries(r.map((c) => [c.field, c.value])));

describe('StartQuery', () => {
  it.each([
    [{ logGroupName: undefined }, 'exactly one of logGroupName'],
    [{ logGroupNames: [GROUP] }, 'exactly one of logGroupName'],
    [{ logGroupName: undefined, logGroupNames: Array.from({ length: 51 }, (_, i) => `g${i}`) }, '1 to 50 log groups'],
    [{ startTime: WINDOW.end, endTime: WINDOW.start }, 'before startTime'],
    [{ startTime: 1.5 }, 'whole epoch seconds'],
    [{ limit: 0 }, 'limit must be from 1 to 100000'],
    [{ queryLanguage: 'SQL' as const }, 'only Logs Insights QL'],
    [{ queryString: '' }, 'queryString is required'],
    [{ queryString: `fields ${'x, '.repeat(4000)}y` }, 'at most 10000'],
  ])('refuses %j (InvalidParameterException)', async (over, words) => {
    const e = await rejected(new LocalLogsInsights({ inputs: [file], config: CONFIG }).startQuery(start(over)));
    expect(e).toBeInstanceOf(LocalQueryError);
    expect(e.name).toBe('CloudWatchLogs.InvalidParameterException');
    expect(e.message).toContain(words);
  });

  it('refuses a malformed or unsupported query with MalformedQueryException and the position', async () => {
    const logs = new LocalLogsInsights({ inputs: [file], config: CONFIG });
    const e = (await rejected(logs.startQuery(start({ queryString: 'fields @message\n| filter @message like /REJECT/' })))) as LocalQueryError;
    expect(e.name).toBe('CloudWatchLogs.MalformedQueryException');
    expect(e.message).toContain('line 2, column 19');
    expect(e.queryCompileError?.location).toEqual({ startCharOffset: 34, endCharOffset: 38 });
    // Found when the query is built, still at StartQuery.
    const bare = await rejected(logs.startQuery(start({ queryString: 'filter srcaddr' })));
    expect(bare.name).toBe('CloudWatchLogs.MalformedQueryException');
  });
});

describe('GetQueryResults (interpreted)', () => {
  const logs = (): LocalLogsInsights => new LocalLogsInsights({ inputs: [file], config: CONFIG });

  it('selects events by timestamp (the record start), both ends of the range included, and answers in the SDK v3 shape', async () => {
    const l = logs();
    const { queryId } = await l.startQuery(start({ queryString: `${logsInsightsParse(FlowLogFormat.V2)} | stats count(*) as n, count_distinct(dstport) as ports by srcaddr | sort n desc` }));
    const out = await l.getQueryResults({ queryId });
    expect(out.status).toBe('Complete');
    expect(out.queryLanguage).toBe('CWLI');
    // 198.51.100.7 at startTime and at endTime count, the one a second later does not; the NODATA record is its own group.
    expect(table(out.results)).toEqual([
      { srcaddr: '203.0.113.50', n: '4', ports: '4' },
      { srcaddr: '198.51.100.7', n: '2', ports: '2' },
      { srcaddr: '-', n: '1', ports: '1' },
    ]);
    const bytes = LINES.slice(0, 6).join('').length + LINES[7]!.length;
    expect(out.statistics).toEqual({ recordsScanned: 7, bytesScanned: bytes, recordsMatched: 7, resultCount: 3, logGroupsScanned: 1, estimatedRecordsSkipped: 0, estimatedBytesSkipped: 0 });
  });

  it("AWS's flow-log example (top transfers between hosts), with the parse flowir's queries use", async () => {
    const l = logs();
    const parse = 'parse @message "* * * * * * * * * * * * * *" as version, accountId, interfaceId, srcAddr, dstAddr, srcPort, dstPort, protocol, packets, bytes, start, end, action, logStatus';
    const { queryId } = await l.startQuery(start({ queryString: `${parse} | filter logStatus = "OK" | stats sum(packets) as packetsTransferred by srcAddr, dstAddr | sort packetsTransferred desc | limit 15` }));
    expect(table((await l.getQueryResults({ queryId })).results)).toEqual([
      { srcAddr: '203.0.113.50', dstAddr: '172.31.9.12', packetsTransferred: '4' },
      { srcAddr: '198.51.100.7', dstAddr: '172.31.9.12', packetsTransferred: '2' },
    ]);
  });

  it('the saved queries run', async () => {
    const l = logs();
    for (const q of savedQueries({ config: CONFIG, format: FlowLogFormat.V2 })) {
      const { queryId } = await l.startQuery(start({ queryString: q.queryString }));
      const out = await l.getQueryResults({ queryId });
      expect({ slug: q.slug, status: out.status }).toEqual({ slug: q.slug, status: 'Complete' });
      if (q.slug === 'port-scanning') expect(table(out.results)).toEqual([{ srcaddr: '203.0.113.50', value: '4' }]);
      if (q.slug === 'timeline') expect(table(out.results)[0]).toEqual({ 'bin(5m)': '2025-11-22 09:00:00.000', flows: '4', total_bytes: '160' });
    }
  });

  it("a query without stats returns events with @ptr; StartQuery's limit and GetQueryResults' maxItems / nextToken page them", async () => {
    const l = logs();
    const { queryId } = await l.startQuery(start({ queryString: 'fields @timestamp, @message | sort @timestamp asc', limit: 5 }));
    const first = await l.getQueryResults({ queryId, maxItems: 3 });
    expect(first.results).toHaveLength(3);
    expect(first.results?.[0]?.map((c) => c.field)).toEqual(['@timestamp', '@message', '@ptr']);
    expect(first.results?.[0]?.[0]?.value).toBe('2025-11-22 08:59:00.000');
    expect(first.nextToken).toBeDefined();
    const rest = await l.getQueryResults({ queryId, maxItems: 3, nextToken: first.nextToken });
    expect(rest.results).toHaveLength(2);
    expect(rest.nextToken).toBeUndefined();
  });

  it('an unknown query id is ResourceNotFoundException (the SDK exception: ToFindings calls it through the SDK)', async () => {
    const e = await rejected(logs().getQueryResults({ queryId: 'nope' }));
    expect(e).toBeInstanceOf(ResourceNotFoundException);
  });

  it('a query that cannot read its log group ends Failed, and says why', async () => {
    const notices: string[] = [];
    const l = new LocalLogsInsights({ inputs: ['-'], config: CONFIG, onNotice: (m) => notices.push(m) });
    const { queryId } = await l.startQuery(start());
    const out = await l.getQueryResults({ queryId });
    expect(out.status).toBe('Failed');
    expect(out.results).toEqual([]);
    expect(notices.join('\n')).toContain('stdin');
  });
});

describe('the planned path: exactly a compiled rule, answered from the fast scan', () => {
  it('plans the compiled query, whatever its spacing, and reads the fast scan once per window', async () => {
    const { logs, scans } = withScan();
    const text = compileLogsInsights('PORT_SCAN', { config: CONFIG, format: FlowLogFormat.V2, window: WINDOW });
    const a = await ask(logs, { queryString: text });
    const b = await ask(logs, { queryString: `# port scans\n${text.replace(/\n\| /g, '   |   ')}` });
    expect(table(a.results)).toEqual([{ srcaddr: '203.0.113.50', value: '4' }]);
    expect(b.results).toEqual(a.results);
    expect(scans).toEqual([WINDOW]);
    // The fast scan's counts: the 4 records in the window (the edges of the time range are outside it).
    expect(a.statistics).toMatchObject({ recordsScanned: 4, recordsMatched: 4, resultCount: 1 });
    expect(a.statistics?.bytesScanned).toBeGreaterThan(4 * 80);
  });

  it('interprets a query that differs from the compiled rule (another threshold), and the disabled rules', async () => {
    const { logs, scans } = withScan();
    const changed = compileLogsInsights('PORT_SCAN', { config: parseConfig({ detections: { PORT_SCAN: { threshold: 3 } } }), format: FlowLogFormat.V2, window: WINDOW });
    const out = await ask(logs, { queryString: changed });
    expect(table(out.results)).toEqual([{ srcaddr: '203.0.113.50', value: '4' }]);
    const disabled = compileLogsInsights('SUSPICIOUS_PORT_ACCESS', { config: CONFIG, format: FlowLogFormat.V2, window: WINDOW });
    await ask(logs, { queryString: disabled });
    expect(scans).toEqual([]);
  });

  it('a time range narrower than the window: the fast scan of what both keep, the same rows as interpreted', async () => {
    const { logs, scans } = withScan();
    const text = compileLogsInsights('PORT_SCAN', { config: CONFIG, format: FlowLogFormat.V2, window: WINDOW });
    const range = { startTime: WINDOW.start + 10, endTime: WINDOW.end - 1 };
    const planned = await ask(logs, { queryString: text, ...range });
    const interpreted = new LocalLogsInsights({ inputs: [file], config: CONFIG });
    const direct = await ask(interpreted, { queryString: text, ...range });
    expect(table(planned.results)).toEqual([{ srcaddr: '203.0.113.50', value: '3' }]);
    expect(planned.results).toEqual(direct.results);
    expect(scans).toEqual([{ start: WINDOW.start + 10, end: WINDOW.end }]);
    // No overlap at all: no rows, and no scan.
    const none = await ask(logs, { queryString: text, startTime: WINDOW.end, endTime: WINDOW.end + 600 });
    expect(none.results).toEqual([]);
    expect(none.statistics).toMatchObject({ recordsScanned: 0, recordsMatched: 0 });
    expect(scans).toHaveLength(1);
  });

  it('the windowless compiled rule (the saved port-scan query) is planned over the time range', async () => {
    const { logs, scans } = withScan();
    const text = compileLogsInsights('PORT_SCAN', { config: CONFIG, format: FlowLogFormat.V2 });
    const out = await ask(logs, { queryString: text });
    // The two 198.51.100.7 records at the edges of the range count here: two ports, not over 2.
    expect(table(out.results)).toEqual([{ srcaddr: '203.0.113.50', value: '4' }]);
    expect(scans).toEqual([{ start: WINDOW.start - 60, end: WINDOW.end + 61 }]);
  });

  it("StartQuery's limit still caps planned rows", async () => {
    const many = path.join(dir, 'many.log');
    await writeFile(many, `${Array.from({ length: 5 }, (_, s) => Array.from({ length: 4 }, (_, k) => line(`192.0.2.${s + 1}`, 1000 + k, WINDOW.start + k))).flat().join('\n')}\n`);
    const { logs } = withScan(CONFIG, () => [many]);
    const text = compileLogsInsights('PORT_SCAN', { config: CONFIG, format: FlowLogFormat.V2, window: WINDOW });
    const out = await ask(logs, { queryString: text, limit: 2 });
    // Ties (all 4) are ordered by the other fields: the first two addresses.
    expect(table(out.results)).toEqual([
      { srcaddr: '192.0.2.1', value: '4' },
      { srcaddr: '192.0.2.2', value: '4' },
    ]);
  });
});

describe('StopQuery', () => {
  it('an unknown id is not found; a local query has always completed, so it is not running', async () => {
    const l = new LocalLogsInsights({ inputs: [file], config: CONFIG });
    expect((await rejected(l.stopQuery({ queryId: 'nope' }))).name).toBe('CloudWatchLogs.ResourceNotFoundException');
    const { queryId } = await l.startQuery(start());
    await l.getQueryResults({ queryId });
    const e = await rejected(l.stopQuery({ queryId }));
    expect(e.name).toBe('CloudWatchLogs.InvalidParameterException');
    expect(e.message).toContain('not running');
  });
});
