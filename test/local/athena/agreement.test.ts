/**
 * The athena engine, locally: every rule's compiled SQL (core/detection/compile/athena.ts) run by the
 * local Athena over the files, its rows read page by page through the AWS SDK as ToFindings reads
 * them, gives exactly the local evaluator's findings: on `flowir sample` data (both layouts, v2 and v5,
 * default and lowered thresholds, an allowlist, a window ending at midnight) and on the hand-made
 * fixtures of test/fixtures/flowlogs (malformed lines, non-canonical addresses, two-member gzip, CRLF).
 */
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { DEFAULT_CONFIG, parseConfig, type FlowirConfig } from '../../../core/detection/config';
import { DETECTION_IDS } from '../../../core/detection/rules';
import { windowEndingAt, type TimeWindow } from '../../../core/detection/window';
import { createLocalAthena } from '../../../local/athena';
import { writeSample } from '../../../local/sample/write';
import { UNTIL, writeScenario } from '../../fixtures/flowlogs/planted-scenario';
import { athenaFindings, brief, evaluatorFindings, FIXTURES, gzipFixtureS3 } from './helpers';

const HOUR = 3600;
const LOWERED_THRESHOLDS = {
  HIGH_TRAFFIC_VOLUME: { threshold: 400_000 },
  HIGH_CONNECTION_COUNT: { threshold: 30 },
  PORT_SCAN: { threshold: 3 },
  SUSPICIOUS_PORT_ACCESS: { threshold: 2 },
};

interface Case {
  readonly name: string;
  readonly format: 'v2' | 'v5';
  readonly seed: number;
  readonly config: FlowirConfig;
  readonly until: number;
}

const CASES: readonly Case[] = [
  { name: 'v2, default thresholds', format: 'v2', seed: 1, config: DEFAULT_CONFIG, until: 1763805600 },
  { name: 'v5 files, a v2 table, default thresholds', format: 'v5', seed: 2, config: DEFAULT_CONFIG, until: 1763805600 },
  { name: 'v5, lowered thresholds and an allowlist', format: 'v5', seed: 4, config: parseConfig({ format: 'v5', detections: LOWERED_THRESHOLDS, allowlist: ['10.0.99.0/24', '2001:db8::/32'] }), until: 1763805600 },
  // Objects delivered after midnight are filed under the next day: the compiled day range must reach it.
  { name: 'v5, lowered thresholds, a window ending at midnight', format: 'v5', seed: 5, config: parseConfig({ format: 'v5', detections: LOWERED_THRESHOLDS }), until: 1763769600 },
];

let dir: string;
beforeAll(async () => {
  dir = await mkdtemp(path.join(tmpdir(), 'flowir-local-athena-'));
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

describe('the local Athena finds what the evaluator finds, on flowir sample data', () => {
  it.each(CASES)('$name', async (c) => {
    const written = await writeSample(path.join(dir, `sample-${c.seed}`), { records: 6000, seed: c.seed, format: c.format, until: c.until, config: c.config });
    const windows: TimeWindow[] = [windowEndingAt(c.until, c.config.windowSeconds), windowEndingAt(c.until - 1800, HOUR)];
    let compared = 0;
    for (const inputs of [[written.s3Root], [written.plainFile]]) {
      const athena = await createLocalAthena({ inputs, format: c.config.format });
      try {
        // What AWS writes needs none of the evaluator's checks: every file is read at DuckDB's speed.
        expect(athena.plan.branches.every((b) => !b.checked)).toBe(true);
        for (const window of windows) {
          const expected = await evaluatorFindings(inputs, c.config, window);
          const got = await athenaFindings(athena, c.config, window);
          expect({ inputs, window, ...got }).toEqual({ inputs, window, ...expected });
          compared += expected.findings.length;
        }
      } finally {
        await athena.close();
      }
    }
    // Not a vacuous agreement: every detection fired in the configured window.
    const fired = new Set((await evaluatorFindings([written.plainFile], c.config, windows[0] as TimeWindow)).findings.map((f) => f.detection));
    expect([...fired].sort()).toEqual([...DETECTION_IDS].sort());
    expect(compared).toBeGreaterThan(0);
  });

  it('reads a sample given in both layouts once, when the scan left one out as a duplicate', async () => {
    const written = await writeSample(path.join(dir, 'both'), { records: 3000, seed: 9, format: 'v5', until: 1763805600 });
    const window = windowEndingAt(1763805600, HOUR);
    const athena = await createLocalAthena({ inputs: [written.s3Root, written.plainFile], format: 'v5', exclude: [written.plainFile] });
    try {
      expect(await athenaFindings(athena, DEFAULT_CONFIG, window)).toEqual(await evaluatorFindings([written.s3Root], DEFAULT_CONFIG, window));
      expect(athena.plan.files).toBe(written.objects);
    } finally {
      await athena.close();
    }
  });
});

describe('the local Athena finds what the evaluator finds, on the hand-made fixtures', () => {
  const window = { start: UNTIL - HOUR, end: UNTIL };
  let low: FlowirConfig;
  beforeAll(async () => {
    low = parseConfig(JSON.parse(await readFile(path.join(FIXTURES, 'low-thresholds.json'), 'utf8')));
  });

  const agree = async (inputs: string[], config: FlowirConfig): Promise<string[]> => {
    const athena = await createLocalAthena({ inputs, format: config.format });
    try {
      const expected = await evaluatorFindings(inputs, config, window);
      const got = await athenaFindings(athena, config, window);
      expect(got.findings.map(brief)).toEqual(expected.findings.map(brief));
      expect(got).toEqual(expected);
      return expected.findings.map(brief);
    } finally {
      await athena.close();
    }
  };

  it('the S3 objects (v5 with header lines, two days, a two-member object), low thresholds', async () => {
    const s3 = gzipFixtureS3(path.join(dir, 'hand-s3'));
    expect((await agree([s3], low)).length).toBeGreaterThan(0);
  });

  it('the CloudWatch export (v2, no header): DROP, port 65536, a bad address, a byte count "4O" left out; an IPv6 source written three ways counted as one', async () => {
    const plain = path.join(FIXTURES, 'plain', 'exported-from-cloudwatch-v2.log');
    const found = await agree([plain], low);
    // Only right when the three spellings of 2001:db8::bad are one source (3 rejects to 3389 > 2).
    expect(found).toContain('SUSPICIOUS_PORT_ACCESS 2001:db8::bad 3389 3');
    const athena = await createLocalAthena({ inputs: [plain], format: 'v2' });
    try {
      expect(athena.plan.branches.map((b) => b.checked)).toEqual([true]);
    } finally {
      await athena.close();
    }
  });

  it('the planted scenario: S3 objects with malformed lines and non-canonical IPv6, and a CRLF export, default thresholds', async () => {
    const scenario = writeScenario(path.join(dir, 'planted'));
    const expected = scenario.findings().map((f) => `${f.detection} ${f.source} ${f.port ?? '-'} ${f.value}`);
    // The table's format is the config's (v2): the v5 objects are read by their header's field names.
    const s3 = await agree([scenario.s3Root], DEFAULT_CONFIG);
    const plain = await agree([scenario.plainFile], DEFAULT_CONFIG);
    expect(s3.length + plain.length).toBeGreaterThan(0);
    // Both parts together, in one table: the scenario's own hand-counted findings.
    const both = await createLocalAthena({ inputs: [scenario.s3Root, scenario.plainFile], format: DEFAULT_CONFIG.format });
    try {
      expect((await athenaFindings(both, DEFAULT_CONFIG, window)).findings.map(brief).sort()).toEqual([...expected].sort());
    } finally {
      await both.close();
    }
  });
});
