/**
 * Object pruning: S3 objects whose key time rules out the window are not read, the findings and the
 * in-window count never change, and `records` says how many objects were read and skipped.
 */
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { DEFAULT_CONFIG, parseConfig } from '../../../core/detection/config';
import { FlowLogFormat } from '../../../core/flowlog/format';
import { EARLY_MARGIN_SECONDS, LATE_MARGIN_SECONDS, mayHoldLaterWindow, mayHoldWindow, objectKeyTime } from '../../../local/fast/object-pruning';
import { writeSample } from '../../../local/sample/write';
import { fastScanOf, gz, NOW, referenceScan, withoutObjectCounts } from './reference';

const HOUR = 3600;
const stamp = (t: number): { day: string; stamp: string } => {
  const iso = new Date(t * 1000).toISOString();
  return { day: iso.slice(0, 10).replace(/-/g, '/'), stamp: `${iso.slice(0, 10).replace(/-/g, '')}T${iso.slice(11, 13)}${iso.slice(14, 16)}Z` };
};
const objectKey = (t: number, hash: string): string => {
  const s = stamp(t);
  return `AWSLogs/123456789012/vpcflowlogs/us-east-1/${s.day}/123456789012_vpcflowlogs_us-east-1_fl-0a1b2c3d4e5f67890_${s.stamp}_${hash}.log.gz`;
};

let dir: string;
beforeAll(async () => {
  dir = await mkdtemp(path.join(tmpdir(), 'flowir-prune-'));
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

describe('object key times', () => {
  it('reads the delivery time from an S3 flow-log object name, and nothing else', () => {
    expect(objectKeyTime(`/x/${objectKey(NOW + 300, 'a1b2c3d4')}`)).toBe(NOW + 300);
    expect(objectKeyTime('123456789012_vpcflowlogs_us-east-1_fl-0a1b2c3d4e5f67890_20251122T0955Z_a1b2c3d4.log')).toBe(Date.UTC(2025, 10, 22, 9, 55) / 1000);
    expect(objectKeyTime('flow-logs.log')).toBeUndefined();
    expect(objectKeyTime('123456789012_vpcflowlogs_us-east-1_fl-0a1b_20251122T0955Z_a1b2.log.gz.tmp')).toBeUndefined();
    // Impossible dates are not rolled over into other days: such a file is simply always read.
    expect(objectKeyTime('123456789012_vpcflowlogs_us-east-1_fl-0a1b_20250230T0955Z_a1b2.log.gz')).toBeUndefined();
    expect(objectKeyTime('123456789012_vpcflowlogs_us-east-1_fl-0a1b_20251122T2460Z_a1b2.log.gz')).toBeUndefined();
  });

  it('keeps an object while its records could start in the window, by the stated margins', () => {
    const start = NOW - HOUR;
    expect(mayHoldWindow(start - EARLY_MARGIN_SECONDS, start, NOW)).toBe(true);
    expect(mayHoldWindow(start - EARLY_MARGIN_SECONDS - 60, start, NOW)).toBe(false);
    expect(mayHoldWindow(NOW + LATE_MARGIN_SECONDS - 60, start, NOW)).toBe(true);
    expect(mayHoldWindow(NOW + LATE_MARGIN_SECONDS, start, NOW)).toBe(false);
    expect(mayHoldLaterWindow(start - EARLY_MARGIN_SECONDS, start)).toBe(true);
    expect(mayHoldLaterWindow(start - EARLY_MARGIN_SECONDS - 60, start)).toBe(false);
  });
});

describe('pruning the S3 layout', () => {
  it('skips the objects of the hour before the window: same findings and in-window count, fewer records read', async () => {
    const written = await writeSample(path.join(dir, 'sample'), { records: 4000, seed: 3 });
    for (const until of [NOW, undefined]) {
      const w = { config: DEFAULT_CONFIG, ...(until !== undefined ? { until } : {}) };
      const all = await fastScanOf([written.s3Root], w);
      const pruned = await fastScanOf([written.s3Root], w, { prune: true });
      expect(pruned.findings).toEqual(all.findings);
      expect(pruned.allowlisted).toEqual(all.allowlisted);
      expect(pruned.window).toEqual(all.window);
      expect(pruned.records.inWindow).toBe(all.records.inWindow);
      expect(pruned.findings).toHaveLength(7);
      // 24 objects of 5 minutes over 2 hours, each delivered 5 minutes after its slot: those
      // delivered more than 5 minutes (the margin) before the window start are skipped.
      expect(all.records).toMatchObject({ objectsRead: 24, objectsSkipped: 0, files: 24 });
      expect(pruned.records).toMatchObject({ objectsRead: 15, objectsSkipped: 9, files: 15 });
      expect(pruned.records.read).toBeLessThan(all.records.read * 0.8);
    }
  });

  it('reads the objects at both edges that may hold window records, and only those', async () => {
    const until = NOW;
    const start = until - HOUR;
    const header = FlowLogFormat.V2.header();
    // Records from 203.0.113.7, rejected on distinct ports: one PORT_SCAN finding whose value
    // counts exactly the records in the window.
    const records = (from: number, n: number, port0: number): string =>
      Array.from({ length: n }, (_, i) => `2 123456789012 eni-1 203.0.113.7 10.0.1.20 40000 ${port0 + i} 6 1 40 ${from + i} ${from + i + 5} REJECT OK`).join('\n');
    const objects: [number, string][] = [
      [start - EARLY_MARGIN_SECONDS - 60, records(start - 400, 30, 1000)], // ends before the window: skipped
      [start - EARLY_MARGIN_SECONDS, records(start - 10, 30, 2000)], // reaches into the window: read
      [start + 600, records(start + 300, 30, 3000)],
      [until + LATE_MARGIN_SECONDS - 60, records(until - 20, 30, 4000)], // delivered late, starts in the window: read
      [until + LATE_MARGIN_SECONDS, records(until + 10, 30, 5000)], // after the window: skipped
    ];
    const root = path.join(dir, 'edges');
    for (const [i, [t, body]] of objects.entries()) {
      const file = path.join(root, objectKey(t, `0000000${i}`));
      await mkdir(path.dirname(file), { recursive: true });
      await writeFile(file, gz(`${header}\n${body}\n`));
    }
    const config = parseConfig({ detections: { PORT_SCAN: { threshold: 10 } } });
    const w = { config, until };
    const reference = await referenceScan([root], w);
    const pruned = await fastScanOf([root], w, { prune: true });
    expect(pruned.records).toMatchObject({ objectsRead: 3, objectsSkipped: 2, inWindow: reference.records.inWindow });
    expect(pruned.findings).toEqual(reference.findings);
    expect(pruned.findings.map((f) => [f.detection, f.source, f.value])).toEqual([['PORT_SCAN', '203.0.113.7', 20 + 30 + 20]]);
  });

  it('without a window end, decides from the newest objects only, so the result does not depend on threads or timing', async () => {
    const written = await writeSample(path.join(dir, 'sample-open'), { records: 2000, seed: 4 });
    const w = { config: DEFAULT_CONFIG };
    const a = await fastScanOf([written.s3Root], w, { prune: true });
    const b = await fastScanOf([written.s3Root, written.s3Root], w, { prune: true });
    expect(a.records.objectsSkipped).toBe(9);
    // The same folder twice is read once.
    expect(b.records).toEqual(a.records);
    expect(withoutObjectCounts(a).findings).toEqual((await referenceScan([written.s3Root], w)).findings);
  });
});
