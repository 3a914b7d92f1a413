/**
 * The compiled Athena SQL (run on DuckDB, through a view with the archive table's name and columns)
 * must find exactly what the local streaming evaluator finds, on the same sample files: both the
 * gz S3 delivery layout and the plain file, v2 and v5, default and lowered thresholds.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { compileAthena, dayPartitionRange } from '../../../core/detection/compile/athena';
import { findingsFromRows } from '../../../core/detection/compile/rows';
import { DEFAULT_CONFIG, parseConfig, type FlowirConfig } from '../../../core/detection/config';
import { DetectionEvaluator } from '../../../core/detection/evaluator';
import { applyAllowlist, compareFindings, type Finding } from '../../../core/detection/findings';
import { DETECTION_IDS } from '../../../core/detection/rules';
import { windowEndingAt, type TimeWindow } from '../../../core/detection/window';
import { CidrSet } from '../../../core/flowlog/address';
import { FlowLogFormat } from '../../../core/flowlog/format';
import { LineScanner, type ScanResult } from '../../../core/scan/scanner';
import { expandInputs, scanSource } from '../../../local/input/sources';
import { writeSample } from '../../../local/sample/write';
import { openOracle, type Oracle } from './compile/duckdb-oracle';

const TABLE = 'vpc_flow_logs';
const HOUR = 3600;

// Low enough that background traffic produces findings too, not only the planted incidents.
const LOWERED_THRESHOLDS = {
  HIGH_TRAFFIC_VOLUME: { threshold: 400_000 },
  HIGH_CONNECTION_COUNT: { threshold: 30 },
  PORT_SCAN: { threshold: 3 },
  SUSPICIOUS_PORT_ACCESS: { threshold: 2 },
};
const LOWERED = parseConfig({ detections: LOWERED_THRESHOLDS });
const LOWERED_ALLOWLIST = parseConfig({ detections: LOWERED_THRESHOLDS, allowlist: ['10.0.99.0/24', '2001:db8::/32'] });

const utcDay = (t: number): string => new Date(t * 1000).toISOString().slice(0, 10).replace(/-/g, '/');

interface Case {
  readonly name: string;
  readonly format: 'v2' | 'v5';
  readonly seed: number;
  readonly config: FlowirConfig;
  /** Window end the sample is planted around (hour-aligned). */
  readonly until: number;
}

const CASES: readonly Case[] = [
  { name: 'v2, seed 1, default thresholds', format: 'v2', seed: 1, config: DEFAULT_CONFIG, until: 1763805600 },
  { name: 'v5, seed 2, default thresholds', format: 'v5', seed: 2, config: DEFAULT_CONFIG, until: 1763805600 },
  { name: 'v2, seed 3, lowered thresholds', format: 'v2', seed: 3, config: LOWERED, until: 1763805600 },
  { name: 'v5, seed 4, lowered thresholds and an allowlist', format: 'v5', seed: 4, config: LOWERED_ALLOWLIST, until: 1763805600 },
  // Window ending at midnight UTC: objects delivered after it are filed under the next day.
  { name: 'v5, seed 5, lowered thresholds, window ending at midnight', format: 'v5', seed: 5, config: LOWERED, until: 1763769600 },
];

async function localScan(inputs: string[], config: FlowirConfig, window: TimeWindow): Promise<ScanResult> {
  const evaluator = new DetectionEvaluator({ config, until: window.end, windowSeconds: window.end - window.start });
  const scanner = new LineScanner({ config, evaluator });
  for (const src of await expandInputs(inputs)) await scanSource(src, scanner);
  return scanner.result();
}

async function oracleScan(oracle: Oracle, config: FlowirConfig, format: FlowLogFormat, window: TimeWindow, dayPartitions: boolean): Promise<{ findings: Finding[]; allowlisted: Finding[] }> {
  const raw: Finding[] = [];
  for (const detection of DETECTION_IDS) {
    if (!config.detections[detection].enabled) continue;
    const sql = compileAthena(detection, { config, table: TABLE, window, dayPartitions, format });
    raw.push(...findingsFromRows(detection, await oracle.query(sql), { config, window }));
  }
  const { kept, allowlisted } = applyAllowlist(raw, new CidrSet(config.allowlist));
  return { findings: kept.sort(compareFindings), allowlisted: allowlisted.sort(compareFindings) };
}

describe('Athena SQL on DuckDB agrees with the local evaluator', () => {
  let dir: string;
  let oracle: Oracle;
  beforeAll(async () => {
    dir = await mkdtemp(path.join(tmpdir(), 'flowir-differential-'));
    oracle = await openOracle();
  });
  afterAll(async () => {
    oracle.close();
    await rm(dir, { recursive: true, force: true });
  });

  it.each(CASES)('$name', async (c) => {
    const written = await writeSample(path.join(dir, `${c.format}-${c.seed}`), { records: 6000, seed: c.seed, format: c.format, until: c.until, config: c.config });
    const format = FlowLogFormat.parse(c.format);
    // The configured window, and one that cuts across objects and hours.
    const windows = [windowEndingAt(c.until, c.config.windowSeconds), windowEndingAt(c.until - 1800, HOUR)];
    const layouts = [
      { name: 's3', inputs: [written.s3Root], files: [`${written.s3Root}/**/*.log.gz`], s3Layout: true },
      { name: 'plain', inputs: [written.plainFile], files: [written.plainFile], s3Layout: false },
    ];
    let compared = 0;
    for (const layout of layouts) {
      await oracle.view(TABLE, format, layout.files, layout.s3Layout);
      for (const window of windows) {
        const local = await localScan(layout.inputs, c.config, window);
        expect(local.errors).toEqual([]);
        const sql = await oracleScan(oracle, c.config, format, window, layout.s3Layout);
        expect({ layout: layout.name, window, findings: sql.findings, allowlisted: sql.allowlisted }).toEqual({
          layout: layout.name,
          window,
          findings: local.findings,
          allowlisted: local.allowlisted,
        });
        compared += local.findings.length;
      }
    }
    // Not a vacuous agreement: every detection fired in the configured window.
    const fired = new Set((await localScan([written.plainFile], c.config, windows[0] as TimeWindow)).findings.map((f) => f.detection));
    expect([...fired].sort()).toEqual([...DETECTION_IDS].sort());
    expect(compared).toBeGreaterThan(0);
    if (c.config.allowlist.length > 0) {
      expect((await localScan([written.plainFile], c.config, windows[0] as TimeWindow)).allowlisted.length).toBeGreaterThan(0);
    }
  });

  it('needs the margin day: in-window records sit in objects filed under the next day', async () => {
    const c = CASES[4] as Case;
    const written = await writeSample(path.join(dir, 'midnight'), { records: 2000, seed: c.seed, format: c.format, until: c.until, config: c.config });
    await oracle.view(TABLE, FlowLogFormat.parse(c.format), [`${written.s3Root}/**/*.log.gz`], true);
    const window = windowEndingAt(c.until, c.config.windowSeconds);
    const lastDay = utcDay(window.end - 1);
    const rows = await oracle.query(`SELECT count(*) AS n FROM ${TABLE} WHERE start >= ${window.start} AND start < ${window.end} AND day > '${lastDay}'`);
    expect(Number(rows[0]?.n)).toBeGreaterThan(0);
    expect(dayPartitionRange(window).to > lastDay).toBe(true);
  });
});
