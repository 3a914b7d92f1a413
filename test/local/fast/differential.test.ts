/**
 * The fast path must give exactly what the reference scanner gives (LineScanner over scanSource):
 * findings, counts, errors with their file, line and reason, in order. Checked on generated sample
 * data and on adversarial input (every malformed kind, IPv6 forms, `-`, headers mid-file, CRLF,
 * tabs, huge numbers, odd bytes), read whole, in byte ranges, and in chunks of random sizes.
 */
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { Readable } from 'node:stream';
import { DEFAULT_CONFIG, parseConfig, type FlowirConfig } from '../../../core/detection/config';
import { DetectionEvaluator } from '../../../core/detection/evaluator';
import { FlowLogFormat } from '../../../core/flowlog/format';
import { Random } from '../../../core/sample/random';
import { LineScanner } from '../../../core/scan/scanner';
import { MAX_LINE_BYTES } from '../../../local/fast/byte-scanner';
import { fastScan } from '../../../local/fast/fast-scan';
import { expandInputs, scanSource } from '../../../local/input/sources';
import { writeSample } from '../../../local/sample/write';
import { adversarialText, CUSTOM, fastScanOf, gz, invalidUtf8Lines, NOW, referenceScan, withoutObjectCounts, type WindowChoice } from './reference';

// Low thresholds, so that adversarial input produces findings of every kind, bigint sums included.
const LOW = parseConfig({
  detections: { HIGH_TRAFFIC_VOLUME: { threshold: 1_000_000 }, HIGH_CONNECTION_COUNT: { threshold: 5 }, PORT_SCAN: { threshold: 2 }, SUSPICIOUS_PORT_ACCESS: { threshold: 1 } },
});
const LOW_ALLOW = parseConfig({ ...{ detections: { HIGH_CONNECTION_COUNT: { threshold: 5 }, PORT_SCAN: { threshold: 2 } } }, allowlist: ['10.0.0.0/8', '2001:db8::/32'] });

const windows = (config: FlowirConfig): WindowChoice[] => [
  { config, until: NOW },
  { config },
  { config, windowSeconds: 900 },
  { config, until: NOW - 1800, windowSeconds: 5400 },
];

let dir: string;
beforeAll(async () => {
  dir = await mkdtemp(path.join(tmpdir(), 'flowir-fast-'));
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

async function file(name: string, content: string | Buffer): Promise<string> {
  const p = path.join(dir, name);
  await writeFile(p, content);
  return p;
}

async function expectSame(paths: string[], w: WindowChoice, extra = {}): Promise<void> {
  const reference = await referenceScan(paths, w);
  const fast = await fastScanOf(paths, w, extra);
  expect(withoutObjectCounts(fast)).toEqual(reference);
}

describe('fast scan = reference scan on sample data', () => {
  it.each([
    ['v2', 11],
    ['v5', 12],
  ] as const)('%s sample, both layouts, four windows, default and low thresholds', async (format, seed) => {
    const out = path.join(dir, `sample-${format}`);
    const written = await writeSample(out, { records: 3000, seed, format });
    for (const config of [DEFAULT_CONFIG, LOW]) {
      for (const w of windows(config)) {
        for (const input of [written.s3Root, written.plainFile]) await expectSame([input], w);
      }
    }
    // The planted incidents are found (the comparison above is not between two empty results).
    const result = await fastScanOf([written.s3Root], { config: DEFAULT_CONFIG, until: NOW });
    expect(result.findings.map((f) => f.detection).sort()).toEqual(['HIGH_CONNECTION_COUNT', 'HIGH_TRAFFIC_VOLUME', 'HIGH_TRAFFIC_VOLUME', 'PORT_SCAN', 'PORT_SCAN', 'PORT_SCAN', 'SUSPICIOUS_PORT_ACCESS']);
  });
});

describe('fast scan = reference scan on adversarial input', () => {
  it.each([1, 2, 3, 4])('seed %d: plain and gz, every window, low thresholds and an allowlist', async (seed) => {
    const text = adversarialText(seed, 2500, seed % 2 === 0 ? FlowLogFormat.V2 : CUSTOM);
    const plain = await file(`adv-${seed}.log`, text);
    const packed = await file(`adv-${seed}.log.gz`, gz(text));
    for (const config of [LOW, LOW_ALLOW]) {
      for (const w of windows(config)) await expectSame([plain, packed], w);
    }
    const r = await fastScanOf([plain], { config: LOW, until: NOW });
    // The input really is adversarial: problems of many kinds, findings, skipped records, bigint sums.
    expect(r.records.malformed).toBeGreaterThan(100);
    expect(r.records.skipped).toBeGreaterThan(50);
    expect(new Set(r.errors.map((e) => e.reason.replace(/[:"].*$/, ''))).size).toBeGreaterThan(8);
    expect(r.findings.some((f) => typeof f.value === 'bigint')).toBe(true);
    expect(r.findings.some((f) => f.source.includes(':'))).toBe(true);
  });

  it('the JavaScript scanner alone (WebAssembly off) gives the same results too', async () => {
    for (const seed of [5, 6]) {
      const text = adversarialText(seed, 2500, seed % 2 === 0 ? FlowLogFormat.V2 : CUSTOM);
      const plain = await file(`adv-js-${seed}.log`, text);
      const packed = await file(`adv-js-${seed}.log.gz`, gz(text));
      for (const w of windows(LOW_ALLOW)) await expectSame([plain, packed], w, { wasm: false });
      await expectSame([plain], { config: LOW, until: NOW }, { wasm: false, pieceBytes: 4096 });
    }
  });

  it('reads a plain file in byte ranges of any size the same way', async () => {
    // Headers mid-file restate the format, so every range starts under the format guessed for it.
    const text = adversarialText(7, 1500, CUSTOM, true);
    const plain = await file('ranges.log', text);
    const rnd = new Random(7);
    for (const pieceBytes of [7, 61, 333, 4096, rnd.int(100, 20000)]) {
      await expectSame([plain], { config: LOW, until: NOW }, { pieceBytes });
      await expectSame([plain], { config: LOW }, { pieceBytes });
    }
  });

  it('reads a file again without ranges when a header mid-file changes the format a range starts in', async () => {
    const plain = await file('ranges-formats.log', adversarialText(8, 1500, CUSTOM));
    for (const pieceBytes of [61, 4096]) await expectSame([plain], { config: LOW, until: NOW }, { pieceBytes });
  });

  it('reads a stream cut into chunks of random sizes the same way (lines split anywhere)', async () => {
    const text = Buffer.from(adversarialText(8, 1500));
    const rnd = new Random(8);
    for (let round = 0; round < 6; round++) {
      const chunks: Buffer[] = [];
      for (let at = 0; at < text.length; ) {
        const n = rnd.chance(0.3) ? rnd.int(1, 3) : rnd.int(1, round < 3 ? 200 : 5000);
        chunks.push(text.subarray(at, at + n));
        at += n;
      }
      const w = { config: LOW, until: NOW };
      const evaluator = new DetectionEvaluator({ config: LOW, until: NOW });
      const scanner = new LineScanner({ config: LOW, evaluator });
      for (const src of await expandInputs(['-'])) await scanSource(src, scanner, Readable.from(chunks));
      const reference = scanner.result(NOW);
      const fast = await fastScan(await expandInputs(['-']), { ...w, threads: 0, stdin: Readable.from(chunks), nowSeconds: NOW });
      expect(withoutObjectCounts(fast)).toEqual(reference);
    }
  });

  it('decodes bytes that are not UTF-8 as the reference does', async () => {
    const bytes = invalidUtf8Lines();
    await expectSame([await file('utf8.log', bytes), await file('utf8.log.gz', gz(bytes))], { config: LOW, until: NOW });
    const r = await fastScanOf([path.join(dir, 'utf8.log')], { config: LOW, until: NOW });
    // A stray byte or a cut-off character is malformed where a value is checked, and just text elsewhere.
    expect(r.records.read).toBe(5);
    expect(r.records.malformed).toBe(2);
  });

  it('keeps the first 100 problems in input order across files, and counts them all', async () => {
    const bad = (tag: string, n: number): string => Array.from({ length: n }, (_, i) => `bad line ${tag} ${i}`).join('\n');
    const files = [await file('e1.log', bad('a', 40)), await file('e2.log.gz', gz(bad('b', 50))), await file('e3.log', bad('c', 70))];
    await expectSame(files, { config: LOW, until: NOW });
    await expectSame(files, { config: LOW, until: NOW }, { pieceBytes: 100 });
    const r = await fastScanOf(files, { config: LOW, until: NOW }, { pieceBytes: 100 });
    expect(r.errorCount).toBe(160);
    expect(r.errors).toHaveLength(100);
    expect(r.errors[99]).toEqual({ file: files[2], line: 10, reason: 'expected 14 fields, found 4' });
  });

  it('handles empty files, header-only files and blank lines as the reference does', async () => {
    const files = [await file('empty.log', ''), await file('header.log', `${FlowLogFormat.V2.header()}\n`), await file('blank.log', '\n\n \n\t\r\n'), await file('empty.log.gz', gz(''))];
    await expectSame(files, { config: LOW, until: NOW });
    await expectSame(files, { config: LOW });
  });
});

describe('damaged or unusual gzip', () => {
  it('counts what was decoded before the damage and reports the file, as the reference does', async () => {
    const valid = (n: number): string => Array.from({ length: n }, (_, i) => `2 123456789012 eni-1 198.51.100.${i % 200} 10.0.1.20 40000 ${i % 1000} 6 1 40 ${NOW - 1000 + (i % 900)} ${NOW - 1000} REJECT OK`).join('\n');
    const whole = gz(valid(20000));
    const truncated = whole.subarray(0, Math.floor(whole.length * 0.6));
    const corrupt = Buffer.from(whole);
    const middle = Math.floor(corrupt.length / 2);
    corrupt[middle] = (corrupt[middle] ?? 0) ^ 0xff;
    const twoMembers = Buffer.concat([gz(adversarialText(10, 500)), gz(adversarialText(11, 500))]);
    const memberThenGarbage = Buffer.concat([gz(adversarialText(12, 500)), Buffer.from('not gzip at all\n')]);
    const damagedSecond = Buffer.concat([gz(adversarialText(13, 500)), whole.subarray(0, 2000)]);
    // Zero padding between and after members (tape archives, some copy tools): zlib alone stops at it.
    const padded = Buffer.concat([gz(adversarialText(14, 300)), Buffer.alloc(512), gz(adversarialText(15, 300)), Buffer.alloc(100)]);
    const files = [
      await file('cut.log.gz', truncated),
      await file('corrupt.log.gz', corrupt),
      await file('two.log.gz', twoMembers),
      await file('garbage.log.gz', memberThenGarbage),
      await file('second.log.gz', damagedSecond),
      await file('padded.log.gz', padded),
    ];
    for (const f of files) await expectSame([f], { config: LOW, until: NOW });
    const r = await fastScanOf([files[0] as string], { config: LOW, until: NOW });
    expect(r.records.read).toBeGreaterThan(1000);
    expect(r.records.read).toBeLessThan(20000);
    expect(r.errors).toEqual([{ file: files[0], line: r.records.read, reason: expect.stringMatching(/^line cut short: damaged gzip data/) }]);
  });
});

describe('gzip files decoded whole or streamed', () => {
  it('streams a file whose output is over the whole-decoding limit, with the same results', async () => {
    const text = adversarialText(21, 3000);
    const f = await file('big-output.log.gz', gz(text));
    for (const limit of [Buffer.byteLength(text) - 1, Buffer.byteLength(text) + 1]) {
      await expectSame([f], { config: LOW, until: NOW }, { wholeGzipMaxOutput: limit });
    }
  });
});

describe('lines too long to be records', () => {
  it(`reports a line over ${MAX_LINE_BYTES} bytes as malformed without holding it, and reads on`, async () => {
    const good = '2 123456789012 eni-1 1.2.3.4 5.6.7.8 1 22 6 1 40 1763802000 1763802001 REJECT OK';
    const long = Buffer.alloc(MAX_LINE_BYTES + 10, 'x');
    const content = Buffer.concat([Buffer.from(`${good}\n`), long, Buffer.from(`\n${good}\n`), long]);
    const r = await fastScanOf([await file('long.log', content)], { config: LOW, until: NOW });
    expect(r.records.read).toBe(4);
    expect(r.records.malformed).toBe(2);
    expect(r.records.inWindow).toBe(2);
    expect(r.errors).toEqual([
      { file: path.join(dir, 'long.log'), line: 2, reason: `line longer than ${MAX_LINE_BYTES} bytes: not a flow-log record` },
      { file: path.join(dir, 'long.log'), line: 4, reason: `line longer than ${MAX_LINE_BYTES} bytes: not a flow-log record` },
    ]);
  });
});
