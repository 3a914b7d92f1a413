import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { PassThrough, Writable } from 'node:stream';
import { gzipSync } from 'node:zlib';
import { DEFAULT_CONFIG } from '../../../core/detection/config';
import { Progress } from '../../../local/cli/progress';
import { scanInputs } from '../../../local/cli/scan-command';
import type { InputSource } from '../../../local/input/sources';

/** A stderr stand-in: what was written, a terminal or not. */
class FakeStream extends Writable {
  text = '';
  constructor(readonly isTTY: boolean) {
    super();
  }
  override _write(chunk: Buffer | string, _encoding: BufferEncoding, done: (error?: Error | null) => void): void {
    this.text += chunk.toString();
    done();
  }
}

/** A clock that moves only when told. */
class Clock {
  ms = 1_000_000;
  readonly now = (): number => this.ms;
  advance(ms: number): void {
    this.ms += ms;
  }
}

const MB = 1_000_000;
const file = (name: string, size: number): InputSource => ({ name, path: name, size });
const STDIN: InputSource = { name: '-', path: '-', size: 0 };
/** The lines a terminal shows: each rewrite starts with \r. */
const screen = (text: string): string[] => text.split('\r').filter((l) => l.length > 0).map((l) => l.replace('\u001b[K', ''));

describe('Progress', () => {
  it('gzip objects: counts their compressed bytes against the total, on a terminal once a second has passed', () => {
    const out = new FakeStream(true);
    const clock = new Clock();
    const p = new Progress(out, { now: clock.now });
    // 24 objects of 1 MB: 24 MB as stored, but about 120 MB of text to decode and scan.
    const objects = Array.from({ length: 24 }, (_, i) => file(`/s3/o${i}.log.gz`, MB));
    p.start(objects);
    p.read(MB, 1000, false);
    p.fileDone(objects[0] as InputSource, 1000);
    expect(out.text).toBe(''); // not a second yet
    clock.advance(1000);
    p.read(MB, 1000, false);
    p.fileDone(objects[1] as InputSource, 2000);
    // Bytes are told as work ends, files in input order after that.
    expect(screen(out.text)).toEqual(['scanning: 1/24 files, 8% of 24 MB, 2,000 records, 1.0 s']);
    clock.advance(100);
    p.read(MB, 1000, false);
    expect(screen(out.text)).toHaveLength(1); // no more often than every 200 ms
    clock.advance(100);
    for (let i = 4; i <= 24; i++) p.read(MB, 1000, false);
    for (let i = 2; i < 24; i++) p.fileDone(objects[i] as InputSource, (i + 1) * 1000);
    p.done();
    expect(screen(out.text).at(-1)).toBe('scanning: 24/24 files, 100% of 24 MB, 24,000 records, 1.2 s\n');
  });

  it('stdin: bytes and records read, no percentage; on a terminal whatever its size', () => {
    const out = new FakeStream(true);
    const clock = new Clock();
    const p = new Progress(out, { now: clock.now });
    p.start([STDIN]);
    clock.advance(1500);
    p.read(65536, 500, true);
    p.read(65536, 480, true);
    clock.advance(300);
    p.read(2 * MB, 20_000, true);
    p.done();
    expect(screen(out.text)).toEqual(['scanning: 0.1 MB read from stdin, 500 records, 1.5 s', 'scanning: 2.1 MB read from stdin, 20,980 records, 1.8 s', 'scanning: 2.1 MB read from stdin, 20,980 records, 1.8 s\n']);
    expect(out.text).not.toMatch(/%/);
  });

  it('stdin with files: both said', () => {
    const out = new FakeStream(true);
    const clock = new Clock();
    const p = new Progress(out, { now: clock.now });
    p.start([file('/a.log', 100 * MB), STDIN]);
    clock.advance(2000);
    p.read(50 * MB, 10, false);
    expect(screen(out.text)).toEqual(['scanning: 0/1 file, 50% of 100 MB, 0.0 MB read from stdin, 10 records, 2.0 s']);
  });

  it('in a log (not a terminal): large inputs only, a line every five seconds, none for a scan done sooner', () => {
    const clock = new Clock();
    const quick = new FakeStream(false);
    const p = new Progress(quick, { now: clock.now });
    p.start([file('/big.log', 500 * MB)]);
    clock.advance(4000);
    p.read(500 * MB, 1, false);
    p.done();
    expect(quick.text).toBe('');

    const slow = new FakeStream(false);
    const q = new Progress(slow, { now: clock.now });
    q.start([file('/big.log', 300 * MB), file('/big2.log', 300 * MB)]);
    clock.advance(5000);
    q.read(300 * MB, 100, false);
    q.fileDone(file('/big.log', 300 * MB), 100);
    clock.advance(1000);
    q.read(150 * MB, 50, false);
    clock.advance(4000);
    q.read(150 * MB, 50, false);
    q.done();
    expect(slow.text).toBe('scanning: 0/2 files, 50% of 600 MB, 100 records, 5.0 s\nscanning: 1/2 files, 100% of 600 MB, 200 records, 10.0 s\nscanning: 1/2 files, 100% of 600 MB, 200 records, 10.0 s\n');

    // Small inputs never, and stdin only once that much was read from it.
    const small = new FakeStream(false);
    const r = new Progress(small, { now: clock.now });
    r.start([file('/small.log', 10 * MB), STDIN]);
    clock.advance(60_000);
    r.read(10 * MB, 1, false);
    r.read(10 * MB, 1, true);
    expect(small.text).toBe('');
    r.read(60 * MB, 1, true);
    expect(small.text).toBe('scanning: 0/1 file, 100% of 10 MB, 70 MB read from stdin, 3 records, 60.0 s\n');
  });

  it('gzip counts at five times its size toward a large input: 14 MB of objects is large, 14 MB of text is not', () => {
    for (const [name, shown] of [
      ['/a.log.gz', true],
      ['/a.log', false],
    ] as const) {
      const out = new FakeStream(true);
      const clock = new Clock();
      const p = new Progress(out, { now: clock.now });
      p.start([file(name, 14 * MB)]);
      clock.advance(1000);
      p.read(7 * MB, 1, false);
      expect(out.text !== '').toBe(shown);
    }
  });

  it('small files on a terminal: nothing, however long', () => {
    const out = new FakeStream(true);
    const clock = new Clock();
    const p = new Progress(out, { now: clock.now });
    p.start([file('/a.log', MB), file('/b.log.gz', MB)]);
    clock.advance(10_000);
    p.read(MB, 1, false);
    p.done();
    expect(out.text).toBe('');
  });
});

describe('progress through scanInputs (what flowir scan runs), on stderr only', () => {
  let dir: string;
  beforeAll(async () => {
    dir = await mkdtemp(path.join(tmpdir(), 'flowir-progress-'));
  });
  afterAll(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  const V2 = (i: number): string => `2 123456789010 eni-1235b8ca123456789 203.0.113.${i % 200} 172.31.16.21 49761 ${1000 + (i % 3000)} 6 20 4249 ${1763802000 + (i % 3600)} ${1763802060 + (i % 3600)} REJECT OK`;
  const text = (n: number, from = 0): string => `${Array.from({ length: n }, (_, i) => V2(from + i)).join('\n')}\n`;

  /** A clock a second on at every look: every chance to print is taken. */
  const hurried = (): (() => number) => {
    let ms = 0;
    return () => (ms += 1000);
  };

  it('stdin, gzip: progress lines with bytes and records read, all of them in the end; stdout untouched', async () => {
    const stdout = new FakeStream(false);
    const stderr = new FakeStream(true);
    const stdin = new PassThrough();
    const data = gzipSync(text(30_000));
    // In pieces, as a pipe delivers them.
    for (let i = 0; i < data.length; i += 16_384) stdin.write(data.subarray(i, i + 16_384));
    stdin.end();
    const progress = new Progress(stderr, { now: hurried() });
    const r = await scanInputs({ paths: ['-'], config: DEFAULT_CONFIG, until: 1763805600, windowSeconds: 3600 }, { stdout, stderr, stdin }, progress);
    expect(r.records.read).toBe(30_000);
    const lines = screen(stderr.text);
    expect(lines.length).toBeGreaterThan(2);
    expect(lines.every((l) => /^scanning: [\d.]+ MB read from stdin, [\d,]+ records, [\d.]+ s\n?$/.test(l))).toBe(true);
    expect(lines.at(-1)).toMatch(/^scanning: [\d.]+ MB read from stdin, 30,000 records, /);
    expect(stdout.text).toBe('');
  });

  it('gzip files: the share of their compressed bytes read, up to 100%', async () => {
    const files: string[] = [];
    for (let i = 0; i < 6; i++) {
      const f = path.join(dir, `o${i}.log.gz`);
      await writeFile(f, gzipSync(text(2000, i * 2000)));
      files.push(f);
    }
    const stderr = new FakeStream(false);
    // Small files print nothing in a log: these count as large here, to see the lines.
    const progress = new Progress(stderr, { now: hurried(), largeBytes: 1 });
    const r = await scanInputs({ paths: files, config: DEFAULT_CONFIG, until: 1763805600, windowSeconds: 3600 }, { stdout: new FakeStream(false), stderr, stdin: new PassThrough() }, progress);
    expect(r.records.read).toBe(12_000);
    const lines = stderr.text.trimEnd().split('\n');
    expect(lines.length).toBeGreaterThan(1);
    expect(lines.at(-1)).toMatch(/^scanning: 6\/6 files, 100% of [\d.]+ MB, 12,000 records, /);
    const shares = lines.map((l) => Number(/(\d+)% of/.exec(l)?.[1]));
    expect(shares).toEqual([...shares].sort((a, b) => a - b));
  });
});
