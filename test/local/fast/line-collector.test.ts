/**
 * The lines a collecting scan keeps (line-collector.ts, collectRecords) are those the reference
 * reading keeps (the evidence matcher of `flowir run` before it: `FlowLogFormat.fromHeader`, then
 * `parseLine`, line by line), on adversarial input, whatever the reader (plain ranges, gzip whole
 * or streamed, with and without WebAssembly); and inputs holding the same records are read once.
 */
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { DEFAULT_CONFIG } from '../../../core/detection/config';
import { FlowLogFormat } from '../../../core/flowlog/format';
import { parseLine } from '../../../core/flowlog/record';
import { collectRecords, type CollectRecordsOptions } from '../../../local/fast/fast-scan';
import { expandInputs } from '../../../local/input/sources';
import { adversarialText, CUSTOM, gz, invalidUtf8Lines, NOW } from './reference';

const WINDOW = { start: NOW - 3600, end: NOW };
/** Canonical forms of addresses the line maker writes (some in other forms too). */
const WANTED = ['198.51.100.23', '203.0.113.50', '0.0.0.0', '2001:db8:bad::50', '::1', '::ffff:192.0.2.10', '1.2.3.4'];

let dir: string;
beforeAll(async () => {
  dir = await mkdtemp(path.join(tmpdir(), 'flowir-collect-'));
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

interface Kept {
  readonly source: string;
  readonly fields: string;
  readonly line: string;
}

/** The reference reading of some files' text, in order. */
function reference(texts: readonly string[], wanted: readonly string[], defaultFormat = FlowLogFormat.V2): Kept[] {
  const out: Kept[] = [];
  for (const text of texts) {
    let format = defaultFormat;
    for (const line of text.split('\n')) {
      const header = FlowLogFormat.fromHeader(line);
      if (header !== undefined) {
        format = header;
        continue;
      }
      const r = parseLine(line, format);
      if (r.kind !== 'record' || !wanted.includes(r.record.srcaddr) || r.record.start < WINDOW.start || r.record.start >= WINDOW.end) continue;
      out.push({ source: r.record.srcaddr, fields: format.header(), line });
    }
  }
  return out;
}

async function collected(paths: readonly string[], wanted: readonly string[], extra: Partial<CollectRecordsOptions> = {}): Promise<Kept[]> {
  const c = await collectRecords(await expandInputs(paths), { config: DEFAULT_CONFIG, window: WINDOW, sources: wanted, threads: 0, ...extra });
  return wanted.flatMap((source, i) => c.linesOf(i).flatMap((run) => run.lines.map((line) => ({ source, fields: run.fields.join(' '), line }))));
}

const bySource = (kept: readonly Kept[], wanted: readonly string[]): Kept[] => wanted.flatMap((s) => kept.filter((k) => k.source === s));

describe('collectRecords', () => {
  it.each([1, 2, 3, 4, 5, 6])('keeps the lines the reference keeps, on adversarial input (seed %i), plain and gzip, in ranges, streamed, without WebAssembly', async (seed) => {
    const texts = [adversarialText(seed, 3000), adversarialText(seed + 100, 2000, CUSTOM)];
    const plain = await Promise.all(texts.map((t, i) => put(`adv-${seed}/plain-${i}.log`, t)));
    const want = bySource(reference(texts, WANTED), WANTED);
    expect(want.length).toBeGreaterThan(10);
    expect(await collected(plain, WANTED)).toEqual(want);
    expect(await collected(plain, WANTED, { pieceBytes: 4096 })).toEqual(want);
    expect(await collected(plain, WANTED, { wasm: false })).toEqual(want);
    const gzipped = await Promise.all(texts.map((t, i) => put(`adv-${seed}/gz-${i}.log.gz`, gz(t))));
    expect(await collected(gzipped, WANTED)).toEqual(want);
    expect(await collected(gzipped, WANTED, { wholeGzipMaxOutput: 1 })).toEqual(want);
  });

  it('keeps the lines of each source apart, in input order, and nothing for a source with no record', async () => {
    const texts = [adversarialText(7, 2000), adversarialText(8, 2000)];
    const files = await Promise.all(texts.map((t, i) => put(`order/${i}.log`, t)));
    const wanted = ['203.0.113.50', '192.0.2.99', '2001:db8:bad::50'];
    const got = await collected(files, wanted);
    expect(got).toEqual(bySource(reference(texts, wanted), wanted));
    expect(got.filter((k) => k.source === '192.0.2.99')).toEqual([]);
  });

  it('reads invalid UTF-8 as the reference decodes it', async () => {
    const bytes = invalidUtf8Lines();
    const file = await put('utf8/bad.log', bytes);
    const wanted = ['1.2.3.4'];
    const got = await collected([file], wanted, { window: { start: 1763802000, end: 1763802001 } } as Partial<CollectRecordsOptions>);
    const text = bytes.toString('utf8');
    const want: Kept[] = [];
    let format = FlowLogFormat.V2;
    for (const line of text.split('\n')) {
      const header = FlowLogFormat.fromHeader(line);
      if (header !== undefined) format = header;
      else {
        const r = parseLine(line, format);
        if (r.kind === 'record' && r.record.srcaddr === '1.2.3.4' && r.record.start === 1763802000) want.push({ source: '1.2.3.4', fields: format.header(), line });
      }
    }
    expect(want.length).toBeGreaterThan(0);
    expect(got).toEqual(want);
  });

  it('reads once inputs that hold the same records: a folder with both layouts of a sample, a file and its gzip copy', async () => {
    const text = adversarialText(9, 3000, FlowLogFormat.V2, true);
    const s3 = await put('both/s3/AWSLogs/123456789012/vpcflowlogs/us-east-1/2025/11/22/123456789012_vpcflowlogs_us-east-1_fl-1_20251122T1000Z_a.log.gz', gz(text));
    await put('both/plain/flow-logs.log', text);
    const want = bySource(reference([text], WANTED), WANTED);
    expect(want.length).toBeGreaterThan(10);
    const c = await collectRecords(await expandInputs([path.join(dir, 'both')]), { config: DEFAULT_CONFIG, window: WINDOW, sources: WANTED, threads: 0 });
    expect(c.duplicates).toBe(1);
    expect(c.duplicateOf).toEqual([{ path: path.join(dir, 'both/s3'), files: 1, sameAs: path.join(dir, 'both/plain/flow-logs.log') }]);
    expect(WANTED.flatMap((source, i) => c.linesOf(i).flatMap((run) => run.lines.map((line) => ({ source, fields: run.fields.join(' '), line }))))).toEqual(want);
    expect(await collected([s3, path.join(dir, 'both/plain/flow-logs.log')], WANTED)).toEqual(want);
  });

  it('says which files it could not read to the end, keeping what came before the damage', async () => {
    const good = `${FlowLogFormat.V2.header()}\n2 123456789012 eni-1 203.0.113.50 10.0.1.5 40000 22 6 1 44 ${WINDOW.start} ${WINDOW.start + 10} REJECT OK\n`;
    const damaged = gz(`2 123456789012 eni-1 203.0.113.50 10.0.1.5 40000 23 6 1 44 ${WINDOW.start} ${WINDOW.start + 10} REJECT OK\n`.repeat(200)).subarray(0, 40);
    const file = await put('damaged/cut.log.gz', Buffer.concat([gz(good), damaged]));
    const c = await collectRecords(await expandInputs([file]), { config: DEFAULT_CONFIG, window: WINDOW, sources: ['203.0.113.50'], threads: 0 });
    expect(c.linesOf(0).flatMap((r) => r.lines)[0]).toBe(good.split('\n')[1]);
    expect(c.problems).toEqual([{ file, reason: expect.stringMatching(/^damaged gzip data/) as unknown as string }]);
  });
});
