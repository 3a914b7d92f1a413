/**
 * Inputs that hold the same records as others are read once (local/fast/duplicates.ts): the two
 * layouts of a sample, a gzip file beside its gunzipped copy, two copies of a folder. The records'
 * fingerprint (fingerprint.ts) must not depend on which reader took a line, and inputs that only
 * look alike must stay counted.
 */
import { cp, mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { Readable } from 'node:stream';
import { parseConfig } from '../../../core/detection/config';
import { findDuplicates } from '../../../local/fast/duplicates';
import { fastScan, type FastScanResult } from '../../../local/fast/fast-scan';
import { hashBatch, hashTextRecord, NO_RECORDS, type Fingerprint } from '../../../local/fast/fingerprint';
import { BATCH_NUMS, RecordBatch } from '../../../local/fast/region-compiler';
import { expandInputs, type InputSource } from '../../../local/input/sources';
import { writeSample } from '../../../local/sample/write';
import { Random } from '../../../core/sample/random';
import { gz, NOW, withoutObjectCounts } from './reference';

const UNTIL = 1763805600;
const V2_HEADER = 'version account-id interface-id srcaddr dstaddr srcport dstport protocol packets bytes start end action log-status';
const LOW = parseConfig({ detections: { PORT_SCAN: { threshold: 2 }, HIGH_CONNECTION_COUNT: { threshold: 3 } } });

let dir: string;
beforeAll(async () => {
  dir = await mkdtemp(path.join(tmpdir(), 'flowir-duplicates-'));
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

async function put(relative: string, content: string | Buffer): Promise<string> {
  const full = path.join(dir, relative);
  await mkdir(path.dirname(full), { recursive: true });
  await writeFile(full, content);
  return full;
}

async function scan(paths: string[], extra: { until?: number; prune?: boolean; stdin?: string; notices?: string[]; wasm?: boolean } = {}): Promise<FastScanResult> {
  return fastScan(await expandInputs(paths), {
    config: LOW,
    threads: 0,
    nowSeconds: NOW,
    ...(extra.until !== undefined ? { until: extra.until } : {}),
    prune: extra.prune ?? false,
    ...(extra.wasm !== undefined ? { wasm: extra.wasm } : {}),
    ...(extra.stdin !== undefined ? { stdin: Readable.from([Buffer.from(extra.stdin)]) } : {}),
    onNotice: (m) => extra.notices?.push(m),
  });
}

const record = (src: string, dstport: number, start: number, bytes = '4249', action = 'REJECT'): string =>
  `2 123456789010 eni-1235b8ca123456789 ${src} 172.31.16.21 49761 ${dstport} 6 20 ${bytes} ${start} ${start + 60} ${action} OK`;
const records = (src: string, n: number, from = 0): string[] => Array.from({ length: n }, (_, i) => record(src, 1000 + from + i, UNTIL - 1000 + i));

/** The result with no trace of the choice of inputs, to compare with a scan of the inputs kept. */
function counted(r: FastScanResult): object {
  const { records: _r, ...rest } = withoutObjectCounts(r);
  const { files: _files, ...records } = withoutObjectCounts(r).records;
  return { ...rest, records };
}

describe('the fingerprint of a record is the same whichever reader takes it', () => {
  it('batch records (byte scanners) and parsed records (reference parser) hash alike: IPv4, IPv6, REJECT, counts past 2^32 and 2^53', () => {
    const rnd = new Random(3);
    const batch = new RecordBatch();
    const text = new RecordBatch();
    const v6 = (): [string, number[]] => {
      const words = [rnd.int(0, 2 ** 32 - 1), rnd.int(0, 2 ** 32 - 1), rnd.int(0, 2 ** 32 - 1), rnd.int(0, 2 ** 32 - 1)];
      const hex = words.flatMap((w) => [(w >>> 16).toString(16), (w & 0xffff).toString(16)]).join(':');
      return [hex, words.map((w) => w | 0)];
    };
    for (let r = 0; r < 500; r++) {
      const reject = rnd.chance(0.5);
      const port = rnd.int(0, 65535);
      const bytes = rnd.chance(0.2) ? rnd.int(2 ** 32, 2 ** 50) : rnd.int(0, 2 ** 31);
      const start = rnd.int(1_700_000_000, 1_800_000_000);
      const k = batch.n * 6;
      if (rnd.chance(0.5)) {
        const ip = [rnd.int(0, 255), rnd.int(0, 255), rnd.int(0, 255), rnd.int(0, 255)];
        batch.ints[k] = 4 + (reject ? 8 : 0);
        batch.ints[k + 1] = (ip[0]! << 24) | (ip[1]! << 16) | (ip[2]! << 8) | ip[3]!;
        // What a byte scanner leaves in the unused words of an IPv4 record must not count.
        batch.ints[k + 2] = rnd.int(0, 1000);
        hashTextRecord(text, ip.join('.'), port, bytes, start, reject);
      } else {
        const [hex, words] = v6();
        batch.ints[k] = 6 + (reject ? 8 : 0);
        batch.ints.set(words, k + 1);
        hashTextRecord(text, hex, port, bytes, start, reject);
      }
      batch.ints[k + 5] = port;
      batch.nums[batch.n * BATCH_NUMS] = bytes;
      batch.nums[batch.n * BATCH_NUMS + 1] = start;
      batch.n++;
    }
    hashBatch(batch);
    expect([batch.hashed, batch.sum1, batch.sum2]).toEqual([text.hashed, text.sum1, text.sum2]);
    expect(batch.sum1).not.toBe(0);
    // A bigint past 2^53 (only the reference parser makes one) is not taken for its low bits.
    const a = new RecordBatch();
    const b = new RecordBatch();
    hashTextRecord(a, '192.0.2.1', 22, 2n ** 60n + 5n, UNTIL, false);
    hashTextRecord(b, '192.0.2.1', 22, 5, UNTIL, false);
    expect(a.sum1).not.toBe(b.sum1);
  });

  it('the same records as plain and gzip, LF and CRLF, with and without WebAssembly, with numbers the fast path leaves to the reference parser: duplicates', async () => {
    const lines = [...records('203.0.113.50', 20), record('::ffff:192.0.2.9', 22, UNTIL - 100), record('2001:db8::1', 23, UNTIL - 50, '999999999999999999'), record('198.51.100.7', 3389, UNTIL - 10, '5000000000')];
    const plain = await put('same/a.log', `${V2_HEADER}\n${lines.join('\n')}\n`);
    // Leading zeros make the byte counts too long for the fast path: the reference parser reads them.
    const padded = lines.map((l) => l.replace(/ (\d+) (\d{10}) (\d{10}) /, (_m, b: string, s: string, e: string) => ` ${b.padStart(19, '0')} ${s} ${e} `));
    expect(padded).not.toEqual(lines);
    const other = await put('same/b.log.gz', gz(`${padded.join('\r\n')}\r\n`));
    for (const wasm of [true, false]) {
      for (const until of [UNTIL, undefined]) {
        const notices: string[] = [];
        const both = await scan([plain, other], { wasm, notices, ...(until !== undefined ? { until } : {}) });
        expect(both.records).toMatchObject({ files: 1, duplicates: 1, duplicateOf: [{ path: other, files: 1, sameAs: plain }] });
        expect(counted(both)).toEqual(counted(await scan([plain], { wasm, ...(until !== undefined ? { until } : {}) })));
        expect(notices).toEqual([`1 input file holds the same records as others, so it is left out and the rest read again: ${other} = ${plain}`]);
      }
    }
  });
});

describe('inputs holding the same records are counted once', () => {
  it("a sample's two layouts in its folder: the result of one layout, what was left out and passed over said", async () => {
    const written = await writeSample(path.join(dir, 'sample'), { records: 3000, seed: 9 });
    const sample = path.join(dir, 'sample');
    for (const until of [UNTIL, undefined]) {
      const notices: string[] = [];
      const all = await scan([sample], { notices, ...(until !== undefined ? { until } : {}) });
      const plain = await scan([written.plainFile], until !== undefined ? { until } : {});
      const s3 = await scan([written.s3Root], until !== undefined ? { until } : {});
      expect(counted(all)).toEqual(counted(plain));
      expect(counted(all)).toEqual(counted(s3));
      expect(all.findings.length).toBeGreaterThan(0);
      expect(all.records).toMatchObject({
        files: 1,
        duplicates: 24,
        duplicateOf: [{ path: path.join(sample, 's3'), files: 24, sameAs: written.plainFile }],
        filesIgnored: 1,
        ignored: [{ file: path.join(sample, 'planted.json'), reason: 'not a flow-log file name (*.log, *.gz)' }],
      });
      expect(notices).toHaveLength(1);
    }
    // Named the other way round, the S3 layout is met first and kept.
    const swapped = await scan([written.s3Root, written.plainFile], { until: UNTIL });
    expect(swapped.records).toMatchObject({ files: 24, objectsRead: 24, duplicates: 1, duplicateOf: [{ path: written.plainFile, files: 1, sameAs: path.join(written.s3Root, 'AWSLogs/123456789012/vpcflowlogs/us-east-1/2025/11/22') }] });
  });

  it('two copies of a folder are reported as folders, not file by file', async () => {
    const a = path.join(dir, 'copies', 'a');
    await put('copies/a/1.log', `${records('203.0.113.1', 5).join('\n')}\n`);
    await put('copies/a/2.log.gz', gz(`${records('203.0.113.2', 5).join('\n')}\n`));
    await put('copies/a/deep/3.log', `${records('203.0.113.3', 5).join('\n')}\n`);
    await cp(a, path.join(dir, 'copies', 'b'), { recursive: true });
    await cp(a, path.join(dir, 'copies', 'c'), { recursive: true });
    const r = await scan([path.join(dir, 'copies')], { until: UNTIL });
    expect(r.records).toMatchObject({
      files: 3,
      duplicates: 6,
      duplicateOf: [
        { path: path.join(dir, 'copies', 'b'), files: 3, sameAs: a },
        { path: path.join(dir, 'copies', 'c'), files: 3, sameAs: a },
      ],
    });
    expect(counted(r)).toEqual(counted(await scan([a], { until: UNTIL })));
  });

  it('inputs that only look alike stay counted: overlapping, reordered counts, one record changed, empty or malformed only', async () => {
    const base = records('203.0.113.9', 10);
    const files = [
      await put('alike/base.log', `${base.join('\n')}\n`),
      await put('alike/half.log', `${base.slice(0, 5).join('\n')}\n`),
      // The same sources, ports and starts, one byte count moved from one record to another.
      await put('alike/moved.log', `${base.map((l, i) => (i === 0 ? l.replace(' 4249 ', ' 4248 ') : i === 1 ? l.replace(' 4249 ', ' 4250 ') : l)).join('\n')}\n`),
      await put('alike/changed.log', `${base.map((l, i) => (i === 9 ? l.replace('REJECT', 'ACCEPT') : l)).join('\n')}\n`),
      await put('alike/empty-1.log', ''),
      await put('alike/empty-2.log', ''),
      await put('alike/bad-1.log', 'not a record\n'),
      await put('alike/bad-2.log', 'not a record either\n'),
    ];
    const r = await scan(files, { until: UNTIL });
    expect(r.records).toMatchObject({ files: files.length, duplicates: 0, duplicateOf: [], malformed: 2 });
  });

  it('with stdin among the inputs nothing is left out (stdin cannot be read again); a single input is never compared', async () => {
    const text = `${records('203.0.113.4', 6).join('\n')}\n`;
    const file = await put('stdin/copy.log', text);
    const r = await scan(['-', file], { until: UNTIL, stdin: text });
    expect(r.records).toMatchObject({ files: 2, read: 12, duplicates: 0 });
  });

  it('with S3 objects pruned (as flowir run does), inputs are compared on the records of the window, with or without its end given', async () => {
    const written = await writeSample(path.join(dir, 'pruned'), { records: 2000, seed: 4 });
    for (const until of [UNTIL, undefined]) {
      const window = until !== undefined ? { until } : {};
      const both = await scan([written.plainFile, written.s3Root], { ...window, prune: true });
      const plain = await scan([written.plainFile], { ...window, prune: true });
      expect(both.records).toMatchObject({ files: 1, duplicates: 24, duplicateOf: [{ path: written.s3Root, files: 24, sameAs: written.plainFile }] });
      expect(counted(both)).toEqual(counted(plain));
      // The S3 layout first: it is kept, its objects outside the window not read.
      const s3First = await scan([written.s3Root, written.plainFile], { ...window, prune: true });
      expect(s3First.records.objectsSkipped).toBeGreaterThan(0);
      expect(s3First.records).toMatchObject({ duplicates: 1, duplicateOf: [{ path: written.plainFile }] });
      expect(s3First.findings).toEqual(plain.findings);
      expect(s3First.records.inWindow).toBe(plain.records.inWindow);
    }
  });
});

describe('findDuplicates', () => {
  const fp = (hashed: number, sum1 = hashed * 7, sum2 = hashed * 13): Fingerprint => ({ ...NO_RECORDS, read: hashed, hashed, sum1, sum2 });
  const src = (p: string, folders?: string[]): InputSource => ({ name: p, path: p, size: 1, ...(folders !== undefined ? { folders } : {}) });

  it('a folder holding one file is that file, not a copy of it; files not read (pruned) leave their folders out', () => {
    const sources = [src('/a/x/1.log', ['/a', '/a/x']), src('/a/y/2.log', ['/a', '/a/y']), src('/b.log')];
    expect(findDuplicates(sources, [fp(5), fp(6), fp(9)]).entries).toEqual([]);
    // /a/y holds 2.log only; /b.log equals it.
    expect(findDuplicates(sources, [fp(5), fp(6), fp(6)]).entries).toEqual([{ path: '/b.log', files: 1, sameAs: '/a/y/2.log' }]);
    // /b.log equals all of /a, but 1.log was not read: /a is not compared.
    expect(findDuplicates(sources, [undefined, fp(6), fp(11, 35 + 42, 65 + 78)]).entries).toEqual([]);
    expect(findDuplicates(sources, [fp(5), fp(6), fp(11, 35 + 42, 65 + 78)])).toEqual({ entries: [{ path: '/b.log', files: 1, sameAs: '/a' }], excluded: new Set([2]) });
  });

  it('with objects pruned, compared on the window: a folder not read in full with anything, two inputs read in full not', () => {
    const window = { start: UNTIL - 3600, end: UNTIL };
    const sources = [src('/a.log'), src('/b.log'), src('/s3/o1.log.gz', ['/s3']), src('/s3/o2.log.gz', ['/s3'])];
    // b.log has the records of a.log in the window, and more lines outside it.
    const b = { ...fp(6), read: 9 };
    expect(findDuplicates(sources, [fp(6), b, undefined, fp(3, 9, 99)], window).entries).toEqual([]);
    expect(findDuplicates(sources, [fp(6), b, undefined, fp(6)], window)).toEqual({ entries: [{ path: '/s3', files: 2, sameAs: '/a.log' }], excluded: new Set([2, 3]) });
    // Without the window end known, the sums by time bucket say which records are in the window.
    const bucketed = (inWindow: number, before: number): Fingerprint => ({ ...fp(inWindow + before), buckets: [[window.start - 3600, before, before * 7, before * 13], [window.start, inWindow, inWindow * 7, inWindow * 13]] });
    expect(findDuplicates(sources, [bucketed(6, 40), bucketed(6, 2), undefined, bucketed(6, 0)], window).entries).toEqual([{ path: '/s3', files: 2, sameAs: '/a.log' }]);
  });
});
