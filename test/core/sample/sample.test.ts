import { mkdtemp, readdir, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { DEFAULT_CONFIG, parseConfig } from '../../../core/detection/config';
import { DetectionEvaluator } from '../../../core/detection/evaluator';
import { generateSample, expectedFindings } from '../../../core/sample';
import { LineScanner } from '../../../core/scan/scanner';
import { expandInputs, scanSource } from '../../../local/input/sources';
import { writeSample } from '../../../local/sample/write';

async function scan(paths: string[], config = DEFAULT_CONFIG, until?: number) {
  const evaluator = new DetectionEvaluator({ config, ...(until !== undefined ? { until } : {}) });
  const scanner = new LineScanner({ config, evaluator });
  for (const src of await expandInputs(paths)) await scanSource(src, scanner);
  return scanner.result();
}

const key = (f: { detection: string; source: string; port: number | null; value: number | bigint }) => `${f.detection} ${f.source} ${f.port ?? '-'} ${String(f.value)}`;

describe('flowir sample', () => {
  let dir: string;
  beforeAll(async () => {
    dir = await mkdtemp(path.join(tmpdir(), 'flowir-sample-'));
  });
  afterAll(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it.each([
    ['v2', 1],
    ['v5', 7],
  ] as const)('%s seed %d: both layouts yield exactly the planted findings over the default window', async (format, seed) => {
    const out = path.join(dir, `${format}-${seed}`);
    const written = await writeSample(out, { records: 6000, seed, format });
    const expected = expectedFindings({ format, seed }).map(key).sort();
    expect(expected.length).toBe(7);
    for (const input of [written.s3Root, written.plainFile]) {
      const result = await scan([input]);
      expect(result.findings.map(key).sort()).toEqual(expected);
      expect(result.window).toEqual({ start: 1763802000, end: 1763805600 });
      expect(result.records.read).toBe(written.records);
      expect(result.records.malformed).toBe(0);
      expect(result.records.skipped).toBeGreaterThan(0);
      const r = result.records;
      expect(r.inWindow + r.outOfWindow + r.skipped + r.malformed).toBe(r.read);
    }
  });

  it('writes one gz object per five minutes in the S3 delivery layout', async () => {
    const written = await writeSample(path.join(dir, 'layout'), { records: 500 });
    const dayDir = path.join(written.s3Root, 'AWSLogs/123456789012/vpcflowlogs/us-east-1/2025/11/22');
    const names = await readdir(dayDir);
    expect(names).toHaveLength(24);
    for (const n of names) expect(n).toMatch(/^123456789012_vpcflowlogs_us-east-1_fl-[0-9a-f]+_20251122T\d{4}Z_[0-9a-f]{8}\.log\.gz$/);
  });

  it('plants around configured thresholds and window', async () => {
    const config = parseConfig({ windowSeconds: 1800, detections: { PORT_SCAN: { threshold: 20 }, HIGH_CONNECTION_COUNT: { threshold: 400 } } });
    const written = await writeSample(path.join(dir, 'custom'), { records: 3000, config });
    const result = await scan([written.s3Root], config);
    expect(result.window).toEqual({ start: 1763805600 - 1800, end: 1763805600 });
    expect(result.findings.map(key).sort()).toEqual(expectedFindings({ config }).map(key).sort());
    expect(result.findings.find((f) => f.detection === 'PORT_SCAN' && f.source === '198.51.100.23')?.value).toBe(21);
  });

  it('is deterministic for a seed and different across seeds', () => {
    const first = (seed: number) => [...generateSample({ records: 300, seed })][0]?.lines.join('\n');
    expect(first(3)).toBe(first(3));
    expect(first(3)).not.toBe(first(4));
  });
});
