/**
 * Four engines, one answer: for every rule, the compiled Logs Insights query run by the interpreter
 * (record by record), the same query planned onto the fast scanner, the reference streaming
 * evaluator (core/detection/evaluator.ts through LineScanner), and, on the sample, the compiled
 * Athena SQL on DuckDB over the same files, give the same rows. Statistics are checked against
 * counts made apart from the interpreter.
 */
import { readFileSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import type { GetQueryResultsCommandOutput } from '@aws-sdk/client-cloudwatch-logs';
import { compileAthena, compileLogsInsights, findingsFromRows } from '../../../core/detection/compile';
import { parseConfig, type FlowirConfig } from '../../../core/detection/config';
import { DetectionEvaluator } from '../../../core/detection/evaluator';
import type { Finding } from '../../../core/detection/findings';
import { DETECTION_IDS, type DetectionId } from '../../../core/detection/rules';
import { windowEndingAt, type TimeWindow } from '../../../core/detection/window';
import { FlowLogFormat } from '../../../core/flowlog/format';
import { parseLine, splitFields } from '../../../core/flowlog/record';
import { LineScanner, type ScanResult } from '../../../core/scan/scanner';
import { fastScan } from '../../../local/fast/fast-scan';
import { expandInputs, openSource, scanSource } from '../../../local/input/sources';
import { LocalLogsInsights } from '../../../local/runtime/queries';
import { writeSample } from '../../../local/sample/write';
import { openOracle, type Oracle } from '../../core/detection/compile/duckdb-oracle';

const FIXTURES = path.join(__dirname, '..', '..', 'fixtures', 'flowlogs');
const UNTIL = 1763805600;
const MARGIN = 60;
const TABLE = 'vpc_flow_logs';

const LOWERED = { HIGH_TRAFFIC_VOLUME: { threshold: 400_000 }, HIGH_CONNECTION_COUNT: { threshold: 30 }, PORT_SCAN: { threshold: 3 }, SUSPICIOUS_PORT_ACCESS: { threshold: 2 } };

/** A row as one comparable string: source, port (or -), value. */
type Key = string;
const keyOf = (source: string, port: string | number | null | undefined, value: string | number | bigint): Key => `${source}|${port ?? '-'}|${String(value)}`;

function rowsOf(out: GetQueryResultsCommandOutput): Key[] {
  return (out.results ?? []).map((row) => {
    const m = Object.fromEntries(row.map((c) => [c.field, c.value]));
    return keyOf(m.srcaddr ?? '', m.dstport, m.value ?? '');
  });
}

const findingKeys = (findings: readonly Finding[], d: DetectionId): Key[] =>
  findings
    .filter((f) => f.detection === d)
    .map((f) => keyOf(f.source, f.port, f.value))
    .sort();

async function reference(inputs: readonly string[], config: FlowirConfig, window: TimeWindow): Promise<ScanResult> {
  const evaluator = new DetectionEvaluator({ config, until: window.end, windowSeconds: window.end - window.start });
  const scanner = new LineScanner({ config, evaluator });
  for (const src of await expandInputs(inputs)) await scanSource(src, scanner);
  return scanner.result();
}

/** Log events in [from, to] counted apart from the interpreter: every line the parser does not call malformed, by its start. */
async function eventsInRange(inputs: readonly string[], config: FlowirConfig, from: number, to: number): Promise<number> {
  let n = 0;
  for (const src of await expandInputs(inputs)) {
    const { stream } = await openSource(src);
    let text = '';
    for await (const chunk of stream) text += String(chunk);
    let format = FlowLogFormat.parse(config.format);
    for (const line of text.split('\n')) {
      const header = FlowLogFormat.fromHeader(line);
      if (header !== undefined) {
        format = header;
        continue;
      }
      if (line.trim() === '' || parseLine(line, format).kind === 'malformed') continue;
      const start = Number(splitFields(line)[format.indexOf('start')]);
      if (start >= from && start <= to) n++;
    }
  }
  return n;
}

interface Engines {
  readonly interpreted: LocalLogsInsights;
  readonly planned: LocalLogsInsights;
  readonly scans: TimeWindow[];
}

function engines(inputs: readonly string[], config: FlowirConfig, leaveOut?: readonly string[]): Engines {
  const scans: TimeWindow[] = [];
  const scan = async (w: TimeWindow): Promise<ScanResult> => {
    scans.push(w);
    return fastScan(await expandInputs(inputs), { config, windowSeconds: w.end - w.start, until: w.end, threads: 0 });
  };
  return {
    interpreted: new LocalLogsInsights({ inputs, config, ...(leaveOut !== undefined ? { leaveOut } : {}) }),
    planned: new LocalLogsInsights({ inputs, config, scan, ...(leaveOut !== undefined ? { leaveOut } : {}) }),
    scans,
  };
}

async function ask(engine: LocalLogsInsights, queryString: string, window: TimeWindow): Promise<GetQueryResultsCommandOutput> {
  const { queryId } = await engine.startQuery({ logGroupName: '/aws/vpc/flowlogs/test', queryString, startTime: window.start - MARGIN, endTime: window.end + MARGIN });
  return engine.getQueryResults({ queryId });
}

/** Rows sorted as the compiled query asks: value descending (ties in some order). */
function expectDescending(keys: readonly Key[]): void {
  const values = keys.map((k) => BigInt(k.split('|')[2] ?? '0'));
  for (let i = 1; i < values.length; i++) expect(values[i - 1] as bigint >= (values[i] as bigint)).toBe(true);
}

interface Case {
  readonly name: string;
  readonly inputs: (dir: string) => Promise<{ inputs: string[]; duckdb?: { files: string[]; s3Layout: boolean; format: FlowLogFormat } }>;
  readonly config: FlowirConfig;
}

let dir: string;
let oracle: Oracle;
beforeAll(async () => {
  dir = await mkdtemp(path.join(tmpdir(), 'flowir-li-differential-'));
  oracle = await openOracle();
});
afterAll(async () => {
  oracle.close();
  await rm(dir, { recursive: true, force: true });
});

const sample = (name: string, seed: number, format: 'v2' | 'v5', config: FlowirConfig, layout: 's3' | 'plain') => async (d: string) => {
  const w = await writeSample(path.join(d, name), { records: 5000, seed, format, until: UNTIL, config });
  const fileFormat = FlowLogFormat.parse(format);
  return layout === 's3'
    ? { inputs: [w.s3Root], duckdb: { files: [`${w.s3Root}/**/*.log.gz`], s3Layout: true, format: fileFormat } }
    : { inputs: [w.plainFile], duckdb: { files: [w.plainFile], s3Layout: false, format: fileFormat } };
};

const fixtureConfig = parseConfig(JSON.parse(readFileSync(path.join(FIXTURES, 'low-thresholds.json'), 'utf8')));

const CASES: readonly Case[] = [
  { name: 'sample v2, default thresholds, S3 layout (gz)', inputs: sample('v2-default', 1, 'v2', parseConfig({}), 's3'), config: parseConfig({}) },
  { name: 'sample v2, lowered thresholds, plain file', inputs: sample('v2-lowered', 3, 'v2', parseConfig({ detections: LOWERED }), 'plain'), config: parseConfig({ detections: LOWERED }) },
  {
    name: 'sample v5, lowered thresholds and an allowlist, log group in v5, S3 layout',
    inputs: sample('v5-lowered', 4, 'v5', parseConfig({ format: 'v5', detections: LOWERED, allowlist: ['10.0.99.0/24', '2001:db8::/32'] }), 's3'),
    config: parseConfig({ format: 'v5', detections: LOWERED, allowlist: ['10.0.99.0/24', '2001:db8::/32'] }),
  },
  // v5 files read into a v2 log group: the records are rewritten into the configured format.
  { name: 'sample v5 files, log group in v2, plain file', inputs: sample('v5-as-v2', 2, 'v5', parseConfig({ detections: LOWERED }), 'plain'), config: parseConfig({ detections: LOWERED }) },
  { name: 'fixture: plain v2 export (NODATA, malformed, tabs, IPv6 forms, 2^53+)', inputs: async () => ({ inputs: [path.join(FIXTURES, 'plain')] }), config: fixtureConfig },
  { name: 'fixture: S3 v5 objects with headers, two members', inputs: async () => ({ inputs: [path.join(FIXTURES, 's3')] }), config: fixtureConfig },
];

describe('interpreter = planned (fast scan) = evaluator (= DuckDB running the Athena SQL)', () => {
  it.each(CASES)('$name', async (c) => {
    const { inputs, duckdb } = await c.inputs(dir);
    const window = windowEndingAt(UNTIL, 3600);
    const format = FlowLogFormat.parse(c.config.format);
    const ref = await reference(inputs, c.config, window);
    const all = [...ref.findings, ...ref.allowlisted];
    const { interpreted, planned, scans } = engines(inputs, c.config);
    if (duckdb !== undefined) await oracle.view(TABLE, duckdb.format, duckdb.files, duckdb.s3Layout);
    const inRange = await eventsInRange(inputs, c.config, window.start - MARGIN, window.end + MARGIN);
    let compared = 0;
    for (const d of DETECTION_IDS) {
      const query = compileLogsInsights(d, { config: c.config, format, window });
      const viaInterpreter = await ask(interpreted, query, window);
      const viaPlan = await ask(planned, query, window);
      const expected = findingKeys(all, d);
      expect({ d, rows: [...rowsOf(viaInterpreter)].sort() }).toEqual({ d, rows: expected });
      // Planned and interpreted rows come in the same order: the same commands after stats ran on them.
      expect({ d, rows: rowsOf(viaPlan) }).toEqual({ d, rows: rowsOf(viaInterpreter) });
      expectDescending(rowsOf(viaInterpreter));
      if (duckdb !== undefined) {
        const sql = compileAthena(d, { config: c.config, table: TABLE, window, dayPartitions: duckdb.s3Layout, format: duckdb.format });
        const viaDuckdb = findingsFromRows(d, await oracle.query(sql), { config: c.config, window });
        expect({ d, rows: findingKeys(viaDuckdb, d) }).toEqual({ d, rows: expected });
      }
      compared += expected.length;

      // Statistics: the interpreter's are exact; the planned path's are what the fast scan knows.
      const si = viaInterpreter.statistics ?? {};
      const sp = viaPlan.statistics ?? {};
      expect(viaInterpreter.status).toBe('Complete');
      expect(si.recordsScanned).toBe(inRange);
      expect(si.bytesScanned ?? 0).toBeGreaterThan(40 * inRange);
      expect(si.bytesScanned ?? 0).toBeLessThan(400 * inRange);
      expect(si.resultCount).toBe(expected.length);
      expect(si.logGroupsScanned).toBe(1);
      expect(sp.recordsScanned).toBe(ref.records.inWindow);
      expect(sp.resultCount).toBe(expected.length);
      if (d === 'HIGH_TRAFFIC_VOLUME' || d === 'HIGH_CONNECTION_COUNT') {
        // Their filters are detection's: every record in the window takes part.
        expect(si.recordsMatched).toBe(ref.records.inWindow);
        expect(sp.recordsMatched).toBe(ref.records.inWindow);
      } else {
        expect(si.recordsMatched ?? 0).toBeLessThanOrEqual(ref.records.inWindow);
        expect(sp.recordsMatched).toBe(ref.records.inWindow);
        if (duckdb !== undefined) {
          const ports = d === 'SUSPICIOUS_PORT_ACCESS' ? ` AND dstport IN (${c.config.suspiciousPorts.join(', ')})` : '';
          const [row] = await oracle.query(
            `SELECT count(*) AS n FROM ${TABLE} WHERE start >= ${window.start} AND start < ${window.end} AND log_status = 'OK' AND srcaddr IS NOT NULL AND dstport IS NOT NULL AND bytes IS NOT NULL AND action = 'REJECT'${ports}`,
          );
          expect(si.recordsMatched).toBe(Number(row?.n));
        }
      }
    }
    // The planned path read the fast scan once for the window, and only it.
    expect(scans).toEqual([window]);
    expect(compared).toBeGreaterThan(0);
  });

  it('a folder holding the sample twice (S3 layout and plain file): the duplicates the fast scan left out are left out of the log group too', async () => {
    const config = parseConfig({ detections: LOWERED });
    const w = await writeSample(path.join(dir, 'twice'), { records: 3000, seed: 7, until: UNTIL, config });
    const root = path.dirname(w.s3Root);
    const window = windowEndingAt(UNTIL, 3600);
    const scan = await fastScan(await expandInputs([root]), { config, windowSeconds: 3600, until: UNTIL, threads: 0 });
    expect(scan.records.duplicates).toBeGreaterThan(0);
    const once = engines([w.plainFile], config).interpreted;
    const twice = engines([root], config, scan.records.duplicateOf.map((d) => d.path)).interpreted;
    for (const d of DETECTION_IDS) {
      const query = compileLogsInsights(d, { config, format: FlowLogFormat.V2, window });
      const a = await ask(once, query, window);
      const b = await ask(twice, query, window);
      expect(rowsOf(b)).toEqual(rowsOf(a));
      expect(b.statistics).toEqual(a.statistics);
    }
  });
});
