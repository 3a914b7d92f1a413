/**
 * What `flowir scan` (and `flowir run`'s scan) reads of the paths it is given: a sample's folder
 * holds both layouts and a manifest; the same path twice; a folder with nothing to read; a
 * configured format that nothing could be detected in.
 */
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { PassThrough, Writable } from 'node:stream';
import { DEFAULT_CONFIG } from '../../../core/detection/config';
import { main } from '../../../local/cli/main';
import { scanWindow } from '../../../local/runtime/runtime';
import { writeSample } from '../../../local/sample/write';

class Capture extends Writable {
  text = '';
  override _write(chunk: Buffer | string, _encoding: BufferEncoding, done: (error?: Error | null) => void): void {
    this.text += chunk.toString();
    done();
  }
}

async function flowir(argv: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  const stdout = new Capture();
  const stderr = new Capture();
  const stdin = new PassThrough();
  stdin.end('');
  const code = await main(argv, { stdout, stderr, stdin });
  return { code, stdout: stdout.text, stderr: stderr.text };
}

interface ScanJson {
  records: Record<string, unknown> & { read: number; files: number };
  findings: { id: string; value: number }[];
  errors: { file: string; line: number | null; reason: string }[];
}
const json = (stdout: string): ScanJson => JSON.parse(stdout) as ScanJson;
const UNTIL = '1763805600';

let dir: string;
let sample: string;
let s3: string;
let plain: string;
beforeAll(async () => {
  dir = await mkdtemp(path.join(tmpdir(), 'flowir-inputs-'));
  sample = path.join(dir, 'sample');
  const written = await writeSample(sample, { records: 4000, seed: 2 });
  s3 = written.s3Root;
  plain = written.plainFile;
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

describe("flowir scan <a sample's folder>: both layouts and planted.json", () => {
  it('counts the records once, as either layout alone, says what it left out and passed over, exit 0', async () => {
    const all = await flowir(['scan', sample, '--json', '--until', UNTIL]);
    const alone = await flowir(['scan', s3, '--json', '--until', UNTIL]);
    expect(all.code).toBe(0);
    const a = json(all.stdout);
    const b = json(alone.stdout);
    // The seven planted findings with their planted values, not eleven with doubled ones.
    expect(a.findings).toEqual(b.findings);
    expect(a.findings).toHaveLength(7);
    const { files: _f, objectsRead: _o, filesIgnored, ignored, duplicates, duplicateOf, ...counts } = a.records;
    const { files: _g, objectsRead: _p, filesIgnored: _i, ignored: _l, duplicates: _d, duplicateOf: _of, ...countsAlone } = b.records;
    expect(counts).toEqual(countsAlone);
    expect({ filesIgnored, ignored, duplicates, duplicateOf }).toEqual({
      filesIgnored: 1,
      ignored: [{ file: path.join(sample, 'planted.json'), reason: 'not a flow-log file name (*.log, *.gz)' }],
      duplicates: 24,
      duplicateOf: [{ path: path.join(sample, 's3'), files: 24, sameAs: plain }],
    });
    // planted.json's lines are not "malformed" records any more.
    expect(a.records.malformed).toBe(0);
    expect(a.errors).toEqual([]);
    expect(all.stderr).toBe(`flowir: 24 input files hold the same records as others, so they are left out and the rest read again: ${path.join(sample, 's3')} (24 files) = ${plain}\n`);
  });

  it('the table says the same in words', async () => {
    const r = await flowir(['scan', sample, '--until', UNTIL, '--no-progress']);
    expect(r.code).toBe(0);
    expect(r.stdout).toContain(`records  6,558 read in 1 file: `);
    expect(r.stdout).toContain(`         24 files left out, holding the same records as other inputs (counted once): ${path.join(sample, 's3')} (24 files) = ${plain}\n`);
    expect(r.stdout).toContain(`         1 file in the folders passed over: ${path.join(sample, 'planted.json')} (not a flow-log file name (*.log, *.gz))\n`);
    expect(r.stdout).toContain('7 findings: ');
  });

  it("flowir run's scan (scanWindow, S3 objects pruned) finds the same", async () => {
    const all = await scanWindow([sample], DEFAULT_CONFIG, 3600);
    const alone = await scanWindow([s3], DEFAULT_CONFIG, 3600);
    expect(all.findings).toEqual(alone.findings);
    expect(all.findings).toHaveLength(7);
    expect(all.records).toMatchObject({ duplicates: 24, filesIgnored: 1 });
  });
});

describe('flowir scan: one path or file reached twice is read once', () => {
  it('the same folder twice, a folder and a file in it, a folder and its parent', async () => {
    const once = json((await flowir(['scan', s3, '--json', '--until', UNTIL])).stdout);
    for (const paths of [
      [s3, s3],
      [s3, `${s3}/`, path.join(s3, 'AWSLogs')],
      [path.join(s3, 'AWSLogs'), s3],
    ]) {
      const r = await flowir(['scan', ...paths, '--json', '--until', UNTIL]);
      expect(r.code).toBe(0);
      expect(json(r.stdout).records).toEqual(once.records);
      expect(json(r.stdout).findings).toEqual(once.findings);
      expect(r.stderr).toBe('');
    }
  });
});

describe('flowir scan: a path with nothing to read is an error naming it', () => {
  it('an empty folder: exit 1', async () => {
    const empty = path.join(dir, 'empty');
    await mkdir(empty);
    const r = await flowir(['scan', empty, '--json']);
    expect(r.code).toBe(1);
    expect(r.stdout).toBe('');
    expect(r.stderr).toBe(`flowir scan: no flow-log files in ${empty}: the folder is empty\n`);
  });

  it('a folder of Parquet objects and notes: exit 1, saying Parquet is not read', async () => {
    const parquet = path.join(dir, 'parquet');
    await mkdir(parquet);
    await writeFile(path.join(parquet, '123456789012_vpcflowlogs_us-east-1_fl-1234abcd_20251122T0905Z_fe123456.log.parquet'), 'PAR1');
    await writeFile(path.join(parquet, 'notes.txt'), 'x');
    const r = await flowir(['scan', sample, parquet]);
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(new RegExp(`^flowir scan: no flow-log files in ${parquet}: .*2 other entries .*; 1 of them Parquet, which flowir does not read\\n$`));
  });

  it('Parquet objects beside text ones: the text is read, each Parquet file a problem', async () => {
    const mixed = path.join(dir, 'mixed');
    await mkdir(mixed);
    const name = '123456789012_vpcflowlogs_us-east-1_fl-1234abcd_20251122T0905Z_fe123456.log.parquet';
    await writeFile(path.join(mixed, name), 'PAR1');
    await writeFile(path.join(mixed, 'a.log'), '');
    const r = await flowir(['scan', mixed, '--json']);
    expect(r.code).toBe(0);
    const out = json(r.stdout);
    expect(out.errors).toEqual([{ file: path.join(mixed, name), line: null, reason: 'Parquet: not supported (flowir reads flow logs in the text format, plain or gzip), not read' }]);
    expect(out.records).toMatchObject({ files: 1, filesIgnored: 1, errors: 1 });
  });
});

describe('a format without the fields detection needs', () => {
  const HEADERLESS = '2 123456789010 eni-1 203.0.113.50 172.31.16.21 49761 22 6 20 4249 1763805000 1763805060 REJECT OK';

  it('configured (for files without a header): a usage error, exit 1, naming the config field and the fields', async () => {
    const config = path.join(dir, 'thin.json');
    await writeFile(config, JSON.stringify({ format: 'srcaddr dstaddr srcport dstport action' }));
    const file = path.join(dir, 'headerless.log');
    await writeFile(file, `${HEADERLESS}\n`);
    const r = await flowir(['scan', file, '--config', config, '--json']);
    expect(r.code).toBe(1);
    expect(r.stdout).toBe('');
    expect(r.stderr).toBe(
      'flowir scan: config "format" ("srcaddr dstaddr srcport dstport action") lacks fields detection needs (bytes, start): the records of a file without a header line could never take part in detection\n',
    );
  });

  it("in a file's header: that file's problem, with its line; the scan goes on, exit 0", async () => {
    const thin = path.join(dir, 'thin-header.log');
    await writeFile(thin, `srcaddr dstaddr srcport dstport action\n203.0.113.50 172.31.16.21 1 22 REJECT\n`);
    const good = path.join(dir, 'good.log');
    await writeFile(good, `${HEADERLESS}\n`);
    const r = await flowir(['scan', thin, good, '--json', '--until', UNTIL]);
    expect(r.code).toBe(0);
    const out = json(r.stdout);
    expect(out.errors).toEqual([{ file: thin, line: 1, reason: 'the header lacks fields detection needs (bytes, start); its records are skipped' }]);
    expect(out.records).toMatchObject({ read: 2, skipped: 1, inWindow: 1 });
  });
});
