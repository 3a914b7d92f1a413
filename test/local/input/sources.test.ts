import { execFileSync } from 'node:child_process';
import { chmodSync, closeSync, constants as fsConstants, linkSync, mkdirSync, mkdtempSync, openSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PassThrough, Readable } from 'node:stream';
import { gzipSync } from 'node:zlib';
import { DEFAULT_CONFIG, parseConfig, type FlowirConfig } from '../../../core/detection/config';
import { DetectionEvaluator } from '../../../core/detection/evaluator';
import { LineScanner, type ScanResult } from '../../../core/scan/scanner';
import { InputError, expandInputs, scanSource, type InputSource } from '../../../local/input/sources';

const UNTIL = 1763805600;
const V2_HEADER = 'version account-id interface-id srcaddr dstaddr srcport dstport protocol packets bytes start end action log-status';
const v2 = (src: string, dstport: number, start: number, action = 'REJECT'): string =>
  `2 123456789010 eni-1235b8ca123456789 ${src} 172.31.16.21 49761 ${dstport} 6 20 4249 ${start} ${start + 60} ${action} OK`;
const lines = (n: number, from = 0): string[] => Array.from({ length: n }, (_, i) => v2('203.0.113.50', 1000 + from + i, UNTIL - 1000 + i));

let dir: string;
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'flowir-sources-'));
});
afterEach(() => {
  rmSync(dir, { recursive: true, force: true });
});

function put(relative: string, content: string | Buffer): string {
  const full = join(dir, relative);
  mkdirSync(join(full, '..'), { recursive: true });
  writeFileSync(full, content);
  return full;
}

async function scan(paths: string[], options: { stdin?: Readable; config?: FlowirConfig; until?: number } = {}): Promise<ScanResult> {
  return scanList(await expandInputs(paths), options);
}

async function scanList(sources: readonly InputSource[], options: { stdin?: Readable; config?: FlowirConfig; until?: number } = {}): Promise<ScanResult> {
  const config = options.config ?? DEFAULT_CONFIG;
  const evaluator = new DetectionEvaluator({ config, ...(options.until === undefined ? { until: UNTIL } : { until: options.until }) });
  const scanner = new LineScanner({ config, evaluator });
  for (const src of sources) await scanSource(src, scanner, options.stdin);
  return scanner.result();
}

function identityHolds(r: ScanResult): void {
  const c = r.records;
  expect(c.read).toBe(c.inWindow + c.outOfWindow + c.skipped + c.malformed);
}

describe('expandInputs', () => {
  it('walks folders recursively in name order, skipping hidden entries', async () => {
    put('b/2.log', 'x');
    put('b/10.log', 'x');
    put('a.log', 'x');
    put('.hidden.log', 'x');
    put('.cache/inside.log', 'x');
    put('c/d/e.log.gz', 'x');
    const names = (await expandInputs([dir])).map((s) => s.name.slice(dir.length + 1));
    expect(names).toEqual(['a.log', 'b/10.log', 'b/2.log', 'c/d/e.log.gz']);
  });

  it('keeps files in the order given, with their sizes, and - as stdin', async () => {
    const one = put('one.log', 'abc');
    const two = put('two.log', 'abcdef');
    expect([...(await expandInputs([two, '-', one]))]).toEqual([
      { name: two, path: two, size: 6 },
      { name: '-', path: '-', size: 0 },
      { name: one, path: one, size: 3 },
    ]);
  });

  it('refuses a path that does not exist, naming it', async () => {
    await expect(expandInputs([join(dir, 'missing.log')])).rejects.toThrow(InputError);
    await expect(expandInputs([join(dir, 'missing.log')])).rejects.toThrow(`cannot read input ${join(dir, 'missing.log')}: no such file or folder`);
  });

  it('refuses an empty path list', async () => {
    await expect(expandInputs([])).rejects.toThrow(InputError);
  });
});

describe('expandInputs: what a folder walk reads and what it passes over', () => {
  const names = (list: readonly { name: string }[]): string[] => list.map((s) => s.name.slice(dir.length + 1));
  const rel = (list: readonly { file: string; reason: string }[]): string[] => list.map((f) => `${f.file.slice(dir.length + 1)}: ${f.reason}`);

  it('reads files named as flow logs (AWS object names, .log, .gz), passes over the rest and says which and why', async () => {
    const object = 'AWSLogs/123456789012/vpcflowlogs/us-east-1/2025/11/22/123456789012_vpcflowlogs_us-east-1_fl-1234abcd_20251122T0905Z_fe123456.log.gz';
    put(object, gzipSync(`${lines(1).join('\n')}\n`));
    put('AWSLogs/123456789012/vpcflowlogs/us-east-1/2025/11/22/123456789012_vpcflowlogs_us-east-1_fl-1234abcd_20251122T0910Z_0a1b2c3d.log.parquet', 'PAR1....PAR1');
    put('export/000000.gz', gzipSync('x'));
    put('export/UPPER.LOG', 'x');
    put('planted.json', '{}');
    put('notes/README.md', '# notes');
    put('.DS_Store', 'x');
    const list = await expandInputs([dir]);
    expect(names(list)).toEqual([object, 'export/000000.gz', 'export/UPPER.LOG']);
    // The walk records the folders that hold each file, outermost first.
    expect(list[1]?.folders).toEqual([dir, join(dir, 'export')]);
    expect(rel(list.report.ignored)).toEqual([
      '.DS_Store: hidden',
      'AWSLogs/123456789012/vpcflowlogs/us-east-1/2025/11/22/123456789012_vpcflowlogs_us-east-1_fl-1234abcd_20251122T0910Z_0a1b2c3d.log.parquet: Parquet: not supported (flowir reads flow logs in the text format, plain or gzip), not read',
      'notes/README.md: not a flow-log file name (*.log, *.gz)',
      'planted.json: not a flow-log file name (*.log, *.gz)',
    ]);
    expect(list.report.unsupported.map((f) => f.file)).toEqual([list.report.ignored[1]?.file]);
  });

  it('reads a file named on the command line whatever its name, gzip or not', async () => {
    const a = put('flow-logs.txt', 'x');
    const b = put('export.json', 'x');
    const list = await expandInputs([a, b]);
    expect(names(list)).toEqual(['flow-logs.txt', 'export.json']);
    expect(list.report.ignored).toEqual([]);
    expect(list[0]?.folders).toBeUndefined();
  });

  it('refuses a Parquet file named on the command line, whatever its name, rather than read it as garbage', async () => {
    const parquet = put('flows.log', Buffer.concat([Buffer.from('PAR1'), Buffer.alloc(64), Buffer.from('PAR1')]));
    await expect(expandInputs([parquet])).rejects.toThrow(`cannot read input ${parquet}: a Parquet file (flowir reads flow logs in the text format, plain or gzip)`);
  });

  it('an empty folder, or one with nothing named as a flow log, is an error naming it and what is in it', async () => {
    mkdirSync(join(dir, 'empty'));
    await expect(expandInputs([join(dir, 'empty')])).rejects.toThrow(new InputError(`no flow-log files in ${join(dir, 'empty')}: the folder is empty`));
    put('other/planted.json', '{}');
    put('other/a/b.parquet', 'PAR1');
    put('other/c.txt', 'x');
    put('other/d.csv', 'x');
    await expect(expandInputs([join(dir, 'other')])).rejects.toThrow(
      new InputError(
        `no flow-log files in ${join(dir, 'other')}: a folder is searched for files named *.log or *.gz (as AWS delivers them), and it has 4 other entries (a/b.parquet, c.txt, d.csv, and 1 more); 1 of them Parquet, which flowir does not read`,
      ),
    );
    // Also when other paths have flow logs: the one without is named.
    put('good/x.log', 'x');
    await expect(expandInputs([join(dir, 'good'), join(dir, 'empty')])).rejects.toThrow(`no flow-log files in ${join(dir, 'empty')}`);
  });

  it('a file reached twice is listed once: named twice, named and in a folder, through a link; a folder given twice is walked once', async () => {
    const a = put('logs/a.log', 'x');
    put('logs/b.log.gz', 'x');
    symlinkSync(join(dir, 'logs'), join(dir, 'link-to-logs'));
    symlinkSync(a, join(dir, 'logs', 'c.log'));
    linkSync(a, join(dir, 'hard.log'));
    const list = await expandInputs([a, a, join(dir, 'logs'), join(dir, 'logs') + '/', join(dir, 'link-to-logs'), join(dir, 'hard.log')]);
    expect(names(list)).toEqual(['logs/a.log', 'logs/b.log.gz']);
    expect(list.report.ignored).toEqual([]);
  });

  it('follows links to folders without looping, and passes over a link to nothing and what is not a regular file', async () => {
    put('logs/a.log', 'x');
    symlinkSync(join(dir, 'logs'), join(dir, 'logs', 'loop'));
    symlinkSync(join(dir, 'nowhere.log'), join(dir, 'logs', 'broken.log'));
    execFileSync('mkfifo', [join(dir, 'logs', 'pipe.log')]);
    const list = await expandInputs([join(dir, 'logs')]);
    expect(names(list)).toEqual(['logs/a.log']);
    expect(rel(list.report.ignored)).toEqual(['logs/broken.log: a symbolic link to nothing', 'logs/pipe.log: not a regular file']);
  });

  it('a named pipe (mkfifo) given by name is refused at once, naming it: it may have no writer, and reading would wait for ever', async () => {
    const fifo = join(dir, 'pipe');
    execFileSync('mkfifo', [fifo]);
    await expect(expandInputs([fifo])).rejects.toThrow(new InputError(`cannot read input ${fifo}: a named pipe (FIFO), which may have no writer; give flowir a file, or the data on stdin as -`));
  });

  it('the pipe of a process substitution (/proc/self/fd/N, /dev/fd/N), which has its writer, is still read', async () => {
    const fifo = join(dir, 'sub');
    execFileSync('mkfifo', [fifo]);
    // Opened for reading and writing, a FIFO does not wait for a writer: this process is one.
    const fd = openSync(fifo, fsConstants.O_RDWR);
    try {
      const list = await expandInputs([`/proc/self/fd/${fd}`]);
      expect(list.map((s) => s.path)).toEqual([`/proc/self/fd/${fd}`]);
    } finally {
      closeSync(fd);
    }
  });

  it('a file this process may not read is refused, named, alone or inside a folder', async () => {
    // root reads anything: then the check runs as nobody in a child process, over files in /tmp
    // (world-writable, unlike a TMPDIR made by mktemp -d) that nobody may enter but not read.
    const root = process.getuid?.() === 0;
    const base = root ? mkdtempSync('/tmp/flowir-unreadable-') : dir;
    mkdirSync(join(base, 'logs'), { recursive: true });
    const file = join(base, 'logs', 'secret.log');
    writeFileSync(file, 'x');
    chmodSync(file, 0o000);
    try {
      if (root) {
        chmodSync(base, 0o755);
        const script = `require(${JSON.stringify(join(__dirname, '..', '..', '..', 'dist', 'local', 'input', 'sources.js'))}).expandInputs(process.argv.slice(1)).then(() => console.log('read'), (e) => console.log(e.name + ': ' + e.message))`;
        const as = (p: string): string => execFileSync(process.execPath, ['-e', script, p], { uid: 65534, gid: 65534 }).toString().trim();
        expect(as(file)).toBe(`InputError: cannot read input ${file}: permission denied`);
        expect(as(join(base, 'logs'))).toBe(`InputError: cannot read input ${file}: permission denied`);
      } else {
        await expect(expandInputs([file])).rejects.toThrow(`cannot read input ${file}: permission denied`);
        await expect(expandInputs([join(base, 'logs')])).rejects.toThrow(`cannot read input ${file}: permission denied`);
      }
    } finally {
      chmodSync(file, 0o644);
      if (root) rmSync(base, { recursive: true, force: true });
    }
  });
});

describe('plain files', () => {
  it('reads records with a header, LF endings', async () => {
    const r = await scan([put('plain.log', [V2_HEADER, ...lines(3), ''].join('\n'))]);
    expect(r.records).toEqual({ read: 3, inWindow: 3, outOfWindow: 0, skipped: 0, malformed: 0, files: 1 });
    expect(r.errors).toEqual([]);
  });

  it('reads CRLF endings, a blank line counted as malformed, and a last line without a newline', async () => {
    const [a, b, c] = lines(3);
    const file = put('crlf.log', `${V2_HEADER}\r\n${a}\r\n\r\n${b}\r\n${c}`);
    const r = await scan([file]);
    expect(r.records).toEqual({ read: 4, inWindow: 3, outOfWindow: 0, skipped: 0, malformed: 1, files: 1 });
    expect(r.errors).toEqual([{ file, line: 3, reason: 'empty line' }]);
  });

  it('a UTF-8 byte order mark before the header does not hide it', async () => {
    const r = await scan([put('bom.log', `\ufeff${V2_HEADER}\n${lines(1)[0]}\n`)]);
    expect(r.records).toMatchObject({ read: 1, inWindow: 1, malformed: 0 });
  });

  it('an empty file is read and counts nothing', async () => {
    const r = await scan([put('empty.log', ''), put('empty.log.gz', ''), put('nothing-inside.log.gz', gzipSync(''))]);
    expect(r.records).toEqual({ read: 0, inWindow: 0, outOfWindow: 0, skipped: 0, malformed: 0, files: 3 });
    expect(r.errors).toEqual([]);
  });

  it('reports malformed lines with their file and line number, and carries on', async () => {
    const file = put('mixed.log', [V2_HEADER, lines(1)[0], 'garbage', v2('10.0.0.300', 22, UNTIL - 5), lines(1, 1)[0]].join('\n'));
    const r = await scan([file]);
    expect(r.records).toMatchObject({ read: 4, inWindow: 2, malformed: 2 });
    expect(r.errors).toEqual([
      { file, line: 3, reason: 'expected 14 fields, found 1' },
      { file, line: 4, reason: 'srcaddr: not an IPv4 or IPv6 address: "10.0.0.300"' },
    ]);
  });

  it('lists the first 100 problems over all files and counts all of them', async () => {
    const a = put('a.log', Array.from({ length: 70 }, () => 'bad').join('\n'));
    const b = put('b.log', Array.from({ length: 70 }, () => 'bad').join('\n'));
    const r = await scan([a, b]);
    expect(r.records.malformed).toBe(140);
    expect(r.errorCount).toBe(140);
    expect(r.errors).toHaveLength(100);
    expect(r.errors[69]).toEqual({ file: a, line: 70, reason: 'expected 14 fields, found 1' });
    expect(r.errors[70]).toEqual({ file: b, line: 1, reason: 'expected 14 fields, found 1' });
  });

  it('a multi-byte character split across read chunks is decoded whole', async () => {
    const long = `${'x'.repeat((1 << 20) - 1)}é`; // the é straddles the first 1 MiB read
    const file = put('wide.log', `${long}\n${lines(1)[0]}\n`);
    const r = await scan([file]);
    expect(r.records).toMatchObject({ read: 2, inWindow: 1, malformed: 1 });
    expect(r.errors[0]?.reason).toBe('expected 14 fields, found 1');
  });
});

describe('gzip files', () => {
  it('reads a .gz file', async () => {
    const r = await scan([put('x.log.gz', gzipSync([V2_HEADER, ...lines(5)].join('\n') + '\n'))]);
    expect(r.records).toMatchObject({ read: 5, inWindow: 5, malformed: 0 });
  });

  it('recognises gzip by its content, not its name', async () => {
    const r = await scan([put('no-extension', gzipSync(`${lines(2).join('\n')}\n`)), put('plain.gz', `${lines(1).join('\n')}\n`)]);
    expect(r.records).toMatchObject({ read: 3, inWindow: 3, malformed: 0 });
  });

  it('reads multi-member gzip: concatenated members, each with its own header line', async () => {
    const member = (from: number): Buffer => gzipSync(`${V2_HEADER}\n${lines(3, from).join('\n')}\n`);
    const r = await scan([put('multi.log.gz', Buffer.concat([member(0), member(3), member(6)]))]);
    expect(r.records).toMatchObject({ read: 9, inWindow: 9, malformed: 0 });
    expect(r.errors).toEqual([]);
  });

  it('a truncated gzip: the records before the damage count, and the problem names the file', async () => {
    const text = `${V2_HEADER}\n${lines(2000).join('\n')}\n`;
    const gz = gzipSync(text);
    const file = put('cut.log.gz', gz.subarray(0, Math.floor(gz.length * 0.6)));
    const r = await scan([file]);
    expect(r.records.inWindow).toBeGreaterThan(500);
    expect(r.records.inWindow).toBeLessThan(2000);
    identityHolds(r);
    expect(r.errorCount).toBe(1);
    expect(r.errors[0]?.file).toBe(file);
    expect(r.errors[0]?.reason).toMatch(/damaged gzip data \(unexpected end of file/);
    // The line cut in the middle is the last one read, reported at its own number.
    expect(r.errors[0]?.line).toBe(r.records.read + 1);
    expect(r.errors[0]?.reason).toMatch(/^line cut short: /);
  });

  it('a corrupt second member keeps every record of the first', async () => {
    const first = gzipSync(`${V2_HEADER}\n${lines(40).join('\n')}\n`);
    const second = Buffer.from(gzipSync(`${V2_HEADER}\n${lines(40, 40).join('\n')}\n`));
    for (let i = 12; i < 20; i++) second[i] = (second[i] as number) ^ 0xa5;
    const file = put('bad-second.log.gz', Buffer.concat([first, second]));
    const r = await scan([file]);
    expect(r.records.inWindow).toBeGreaterThanOrEqual(40);
    identityHolds(r);
    expect(r.errors.at(-1)).toMatchObject({ file, reason: expect.stringMatching(/^damaged gzip data \(member 2: /) });
  });

  it('trailing bytes that are not gzip keep the records before them', async () => {
    const file = put('trailing.log.gz', Buffer.concat([gzipSync(`${lines(3).join('\n')}\n`), Buffer.from('junk')]));
    const r = await scan([file]);
    expect(r.records).toMatchObject({ read: 3, inWindow: 3 });
    expect(r.errors).toEqual([{ file, line: 4, reason: 'damaged gzip data (data after member 1 is not gzip (bad magic number))' }]);
  });

  it('a damaged file does not stop the files after it', async () => {
    const damaged = put('a.log.gz', gzipSync(lines(10).join('\n')).subarray(0, 20));
    const good = put('b.log.gz', gzipSync(lines(4).join('\n')));
    const r = await scan([damaged, good]);
    expect(r.records.files).toBe(2);
    expect(r.records.inWindow).toBeGreaterThanOrEqual(4);
    expect(r.errors.map((e) => e.file)).toEqual([damaged]);
  });
});

describe('the S3 delivery layout', () => {
  it('reads every object under AWSLogs/<account>/vpcflowlogs/<region>/YYYY/MM/DD', async () => {
    const base = 'AWSLogs/123456789012/vpcflowlogs/us-east-1/2025/11/22';
    put(`${base}/123456789012_vpcflowlogs_us-east-1_fl-1234abcd_20251122T0905Z_fe123456.log.gz`, gzipSync(`${V2_HEADER}\n${lines(3).join('\n')}\n`));
    put(`${base}/123456789012_vpcflowlogs_us-east-1_fl-1234abcd_20251122T0910Z_0a1b2c3d.log.gz`, gzipSync(`${V2_HEADER}\n${lines(2, 3).join('\n')}\n`));
    put('AWSLogs/123456789012/vpcflowlogs/eu-west-1/2025/11/21/123456789012_vpcflowlogs_eu-west-1_fl-99_20251121T2355Z_11.log.gz', gzipSync(`${V2_HEADER}\n${lines(1, 5).join('\n')}\n`));
    const r = await scan([dir]);
    expect(r.records).toEqual({ read: 6, inWindow: 6, outOfWindow: 0, skipped: 0, malformed: 0, files: 3 });
  });
});

describe('stdin (-)', () => {
  it('reads plain text from stdin, even when it was fully written before the scan began', async () => {
    const stdin = new PassThrough();
    stdin.end(`${V2_HEADER}\n${lines(3).join('\n')}\n`);
    const r = await scan(['-'], { stdin });
    expect(r.records).toMatchObject({ read: 3, inWindow: 3, files: 1 });
  });

  it('reads gzip from stdin, in small chunks', async () => {
    const gz = gzipSync(`${lines(4).join('\n')}\n`);
    const chunks = Array.from({ length: Math.ceil(gz.length / 7) }, (_, i) => gz.subarray(i * 7, i * 7 + 7));
    const r = await scan(['-'], { stdin: Readable.from(chunks, { objectMode: false }) });
    expect(r.records).toMatchObject({ read: 4, inWindow: 4, malformed: 0 });
    expect(r.errors).toEqual([]);
  });

  it('names stdin "-" in problems', async () => {
    const stdin = new PassThrough();
    stdin.end('oops\n');
    const r = await scan(['-'], { stdin });
    expect(r.errors).toEqual([{ file: '-', line: 1, reason: 'expected 14 fields, found 1' }]);
  });

  it('stdin named twice is read once, and the second time ends at once', async () => {
    const stdin = new PassThrough();
    stdin.end(`${lines(2).join('\n')}\n`);
    const r = await scan(['-', '-'], { stdin });
    expect(r.records).toMatchObject({ read: 2, inWindow: 2, files: 2 });
  });

  it('mixes stdin with files', async () => {
    const stdin = new PassThrough();
    stdin.end(`${lines(2).join('\n')}\n`);
    const r = await scan([put('f.log', `${lines(1).join('\n')}\n`), '-'], { stdin });
    expect(r.records).toMatchObject({ read: 3, inWindow: 3, files: 2 });
  });
});

describe('records over several files, out of time order, with the default window end', () => {
  it('scans the last hour of a two-hour input whatever the file order', async () => {
    const config = parseConfig({ detections: { PORT_SCAN: { threshold: 5 } } });
    const early = Array.from({ length: 8 }, (_, i) => v2('203.0.113.1', 100 + i, UNTIL - 7200 + i * 60)); // 08:00..: would be a scan
    const late = Array.from({ length: 6 }, (_, i) => v2('203.0.113.2', 100 + i, UNTIL - 3600 + i * 60)); // 09:00..: a scan
    const lateFile = put('1-late.log', `${late.join('\n')}\n`);
    const earlyFile = put('2-early.log.gz', gzipSync(`${early.join('\n')}\n`));
    for (const paths of [
      [lateFile, earlyFile],
      [earlyFile, lateFile],
    ]) {
      const evaluator = new DetectionEvaluator({ config });
      const scanner = new LineScanner({ config, evaluator });
      for (const src of await expandInputs(paths)) await scanSource(src, scanner);
      const r = scanner.result();
      expect(r.window).toEqual({ start: UNTIL - 3600, end: UNTIL });
      expect(r.records).toMatchObject({ read: 14, inWindow: 6, outOfWindow: 8 });
      expect(r.findings.map((f) => f.id)).toEqual([`PORT_SCAN:203.0.113.2:${UNTIL}`]);
    }
  });
});
