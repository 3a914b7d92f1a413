import { execFile } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, relative } from 'node:path';
import { PassThrough, Writable } from 'node:stream';
import { gzipSync } from 'node:zlib';
import { parseConfig } from '../../../core/detection/config';
import { DetectionEvaluator } from '../../../core/detection/evaluator';
import { LineScanner } from '../../../core/scan/scanner';
import { main } from '../../../local/cli/main';
import { expandInputs, scanSource } from '../../../local/input/sources';
import { UNTIL, writeScenario, type ExpectedFinding, type Scenario } from '../../fixtures/flowlogs/planted-scenario';

const REPO = join(__dirname, '..', '..', '..');
const FIXTURES = join(REPO, 'test', 'fixtures', 'flowlogs');
const PLAIN = join(FIXTURES, 'plain', 'exported-from-cloudwatch-v2.log');
const LOW = join(FIXTURES, 'low-thresholds.json');
const WINDOW_ARGS = ['--until', String(UNTIL), '--window', '3600'];

class Capture extends Writable {
  text = '';
  override _write(chunk: Buffer | string, _encoding: BufferEncoding, done: (error?: Error | null) => void): void {
    this.text += chunk.toString();
    done();
  }
}

interface Run {
  readonly code: number;
  readonly stdout: string;
  readonly stderr: string;
}

/**
 * Run `main()` in-process. Every S3 object is read unless the arguments say `--prune` (then objects
 * whose key time puts them outside the window are not opened, and their lines are neither read nor counted).
 */
async function flowir(argv: string[], stdinText?: string): Promise<Run> {
  return runMain(argv, stdinText);
}

async function runMain(argv: string[], stdinText?: string): Promise<Run> {
  const stdout = new Capture();
  const stderr = new Capture();
  const stdin = new PassThrough();
  stdin.end(stdinText ?? '');
  const code = await main(argv, { stdout, stderr, stdin });
  return { code, stdout: stdout.text, stderr: stderr.text };
}

interface ScanJson {
  window: { start: number; end: number };
  records: { read: number; inWindow: number; outOfWindow: number; skipped: number; malformed: number; files: number; errors: number; objectsSkipped?: number };
  findings: { id: string; detection: string; severity: string; source: string; port: number | null; value: number | string; threshold: number }[];
  allowlisted: string[];
  errors: { file: string; line: number | null; reason: string }[];
}

/** Parse `--json` output, keeping integers past 2^53 exact (as strings). */
function parseScan(stdout: string): ScanJson {
  expect(stdout.endsWith('\n')).toBe(true);
  expect(stdout.trimEnd().includes('\n')).toBe(false); // exactly one line: one JSON object
  return JSON.parse(stdout.replace(/:(\d{16,})([,}\]])/g, ':"$1"$2')) as ScanJson;
}

/** read == inWindow + outOfWindow + skipped + malformed, and every problem is counted. */
function countsAddUp(out: ScanJson): void {
  const c = out.records;
  expect(c.read).toBe(c.inWindow + c.outOfWindow + c.skipped + c.malformed);
  expect(c.errors).toBeGreaterThanOrEqual(c.malformed);
  expect(out.errors.length).toBe(Math.min(100, c.errors));
}

const brief = (f: ScanJson['findings'][number]): string => `${f.detection} ${f.source} ${f.port ?? '-'} ${String(f.value)} > ${f.threshold} ${f.severity}`;

let work: string;
beforeAll(() => {
  work = mkdtempSync(join(tmpdir(), 'flowir-scan-'));
});
afterAll(() => {
  rmSync(work, { recursive: true, force: true });
});

/** The hand-made S3 objects as S3 delivers them: each gzipped, the two halves as one two-member object. */
function gzipFixtureS3(into: string): string {
  const src = join(FIXTURES, 's3');
  const walk = (dir: string): string[] => readdirSync(dir).flatMap((n) => (statSync(join(dir, n)).isDirectory() ? walk(join(dir, n)) : [join(dir, n)]));
  for (const file of walk(src)) {
    const rel = relative(src, file);
    const member = /\.member(\d)\.log$/.exec(rel);
    const target = join(into, member ? rel.replace(/\.member\d\.log$/, '.log.gz') : `${rel}.gz`);
    mkdirSync(dirname(target), { recursive: true });
    const gz = gzipSync(readFileSync(file));
    writeFileSync(target, member && member[1] !== '1' ? Buffer.concat([readFileSync(target), gz]) : gz);
  }
  return join(into, 'AWSLogs');
}

describe('flowir scan on hand-made AWS-style files (low thresholds, worked out by hand)', () => {
  let s3: string;
  beforeAll(() => {
    s3 = gzipFixtureS3(join(work, 'hand-s3'));
  });

  it('the plain v2 file: exact findings, allowlisted, counts and problems', async () => {
    const r = await flowir(['scan', PLAIN, ...WINDOW_ARGS, '--config', LOW, '--json']);
    expect(r.code).toBe(0);
    const out = parseScan(r.stdout);
    expect(out.window).toEqual({ start: UNTIL - 3600, end: UNTIL });
    expect(out.records).toMatchObject({ read: 32, inWindow: 21, outOfWindow: 2, skipped: 3, malformed: 6, files: 1, errors: 6 });
    countsAddUp(out);
    expect(out.findings.map(brief)).toEqual([
      'PORT_SCAN 198.51.100.7 - 4 > 3 CRITICAL',
      'SUSPICIOUS_PORT_ACCESS 198.51.100.7 22 3 > 2 CRITICAL',
      'SUSPICIOUS_PORT_ACCESS 2001:db8::bad 3389 3 > 2 CRITICAL',
      'HIGH_TRAFFIC_VOLUME 172.31.20.5 - 9007199254740993 > 4294967296 WARNING',
      'HIGH_TRAFFIC_VOLUME 172.31.16.139 - 4294972545 > 4294967296 WARNING',
      'HIGH_CONNECTION_COUNT 198.51.100.7 - 6 > 5 WARNING',
    ]);
    expect(out.findings.map((f) => f.id)).toEqual([
      `PORT_SCAN:198.51.100.7:${UNTIL}`,
      `SUSPICIOUS_PORT_ACCESS:198.51.100.7:22:${UNTIL}`,
      `SUSPICIOUS_PORT_ACCESS:2001:db8::bad:3389:${UNTIL}`,
      `HIGH_TRAFFIC_VOLUME:172.31.20.5:${UNTIL}`,
      `HIGH_TRAFFIC_VOLUME:172.31.16.139:${UNTIL}`,
      `HIGH_CONNECTION_COUNT:198.51.100.7:${UNTIL}`,
    ]);
    expect(out.allowlisted).toEqual([`PORT_SCAN:10.0.0.5:${UNTIL}`]);
    expect(out.errors).toEqual([
      { file: PLAIN, line: 12, reason: 'expected 14 fields, found 13' },
      { file: PLAIN, line: 13, reason: 'empty line' },
      { file: PLAIN, line: 14, reason: 'bytes: not a whole number: "4O"' },
      { file: PLAIN, line: 20, reason: 'srcaddr: not an IPv4 or IPv6 address: "198.51.100.256"' },
      { file: PLAIN, line: 21, reason: 'action: expected ACCEPT or REJECT, got "DROP"' },
      { file: PLAIN, line: 22, reason: 'dstport: 65536 is out of range (0 to 65535)' },
    ]);
  });

  it('prints a byte sum past 2^53 as an exact JSON number', async () => {
    const r = await flowir(['scan', PLAIN, ...WINDOW_ARGS, '--config', LOW, '--json']);
    expect(r.stdout).toContain('"source":"172.31.20.5","port":null,"value":9007199254740993,');
  });

  it('the S3 layout (v5, gzip, a two-member object, two days), every object read: counts, findings, problems', async () => {
    const r = await flowir(['scan', s3, ...WINDOW_ARGS, '--config', LOW, '--json']);
    expect(r.code).toBe(0);
    const out = parseScan(r.stdout);
    expect(out.records).toMatchObject({ read: 19, inWindow: 10, outOfWindow: 5, skipped: 2, malformed: 2, files: 3, errors: 2 });
    countsAddUp(out);
    expect(out.findings.map(brief)).toEqual(['PORT_SCAN 203.0.113.50 - 5 > 3 CRITICAL']);
    const day22 = join(s3, '123456789012/vpcflowlogs/us-east-1/2025/11/22');
    expect(out.errors).toEqual([
      { file: join(day22, '123456789012_vpcflowlogs_us-east-1_fl-0f1e2d3c4b5a69788_20251122T0935Z_5e4d3c2b.log.gz'), line: 9, reason: 'expected 29 fields, found 14' },
      { file: join(day22, '123456789012_vpcflowlogs_us-east-1_fl-0f1e2d3c4b5a69788_20251122T0940Z_9a8b7c6d.log.gz'), line: 6, reason: 'traffic-path: not a whole number: "egress"' },
    ]);
  });

  it('the S3 layout with object pruning (--prune): the object of the day before is not opened, the result is the same', async () => {
    const out = parseScan((await flowir(['scan', s3, ...WINDOW_ARGS, '--config', LOW, '--json', '--prune'])).stdout);
    expect(out.records).toMatchObject({ read: 15, inWindow: 10, outOfWindow: 1, skipped: 2, malformed: 2, files: 2, errors: 2, objectsSkipped: 1 });
    countsAddUp(out);
    expect(out.findings.map(brief)).toEqual(['PORT_SCAN 203.0.113.50 - 5 > 3 CRITICAL']);
    const table = (await flowir(['scan', s3, ...WINDOW_ARGS, '--config', LOW, '--prune'])).stdout;
    expect(table).toContain('15 read in 2 files');
    expect(table).toContain('1 S3 object not opened (--prune');
    expect((await flowir(['scan', s3, ...WINDOW_ARGS, '--config', LOW])).stdout).not.toContain('not opened');
  });

  it('both together: sources add up across files and formats', async () => {
    const r = await flowir(['scan', s3, PLAIN, ...WINDOW_ARGS, '--config', LOW, '--json']);
    expect(r.code).toBe(0);
    const out = parseScan(r.stdout);
    expect(out.records).toMatchObject({ read: 51, inWindow: 31, outOfWindow: 7, skipped: 5, malformed: 8, files: 4, errors: 8 });
    countsAddUp(out);
    expect(out.findings.map(brief)).toEqual([
      'PORT_SCAN 203.0.113.50 - 5 > 3 CRITICAL',
      'PORT_SCAN 198.51.100.7 - 4 > 3 CRITICAL',
      'SUSPICIOUS_PORT_ACCESS 198.51.100.7 22 4 > 2 CRITICAL',
      'SUSPICIOUS_PORT_ACCESS 2001:db8::bad 3389 3 > 2 CRITICAL',
      'HIGH_TRAFFIC_VOLUME 172.31.20.5 - 9007199254740993 > 4294967296 WARNING',
      'HIGH_TRAFFIC_VOLUME 172.31.16.139 - 4294974545 > 4294967296 WARNING',
      'HIGH_CONNECTION_COUNT 198.51.100.7 - 8 > 5 WARNING',
    ]);
    expect(out.allowlisted).toEqual([`PORT_SCAN:10.0.0.5:${UNTIL}`]);
  });

  it('the plain file through stdin, with CRLF endings, gives the same result', async () => {
    const crlf = readFileSync(PLAIN, 'utf8').replace(/\n/g, '\r\n');
    const viaStdin = parseScan((await flowir(['scan', '-', ...WINDOW_ARGS, '--config', LOW, '--json'], crlf)).stdout);
    const viaFile = parseScan((await flowir(['scan', PLAIN, ...WINDOW_ARGS, '--config', LOW, '--json'])).stdout);
    expect(viaStdin.findings).toEqual(viaFile.findings);
    expect(viaStdin.records).toEqual(viaFile.records);
    expect(viaStdin.errors).toEqual(viaFile.errors.map((e) => ({ ...e, file: '-' })));
  });

  it('--until in ISO 8601 and --window as 1h mean the same window', async () => {
    const a = parseScan((await flowir(['scan', PLAIN, '--until', '2025-11-22T10:00:00Z', '--window', '1h', '--config', LOW, '--json'])).stdout);
    const b = parseScan((await flowir(['scan', PLAIN, ...WINDOW_ARGS, '--config', LOW, '--json'])).stdout);
    expect(a).toEqual(b);
  });

  it('without --config, the defaults apply: none of these small counts is a finding', async () => {
    const out = parseScan((await flowir(['scan', s3, PLAIN, ...WINDOW_ARGS, '--json'])).stdout);
    expect(out.findings.map(brief)).toEqual(['HIGH_TRAFFIC_VOLUME 172.31.20.5 - 9007199254740993 > 1000000000 WARNING', 'HIGH_TRAFFIC_VOLUME 172.31.16.139 - 4294974545 > 1000000000 WARNING']);
    expect(out.allowlisted).toEqual([]);
  });

  it('the human report names the window, the counts, each finding and each problem', async () => {
    const r = await flowir(['scan', PLAIN, ...WINDOW_ARGS, '--config', LOW]);
    expect(r.code).toBe(0);
    expect(r.stdout).toContain('2025-11-22T09:00:00Z → 2025-11-22T10:00:00Z');
    expect(r.stdout).toContain('32 read in 1 file: 21 in window, 2 outside, 3 skipped');
    expect(r.stdout).toMatch(/CRITICAL +PORT_SCAN +198\.51\.100\.7 +- +4 +3 /);
    expect(r.stdout).toContain(`${PLAIN}:13: empty line`);
  });
});

describe('flowir scan on a planted delivery (DESIGN defaults; expected by plain counting)', () => {
  let scenario: Scenario;
  beforeAll(() => {
    scenario = writeScenario(join(work, 'planted'));
  });

  const asBrief = (fs: readonly ExpectedFinding[]): string[] => fs.map((f) => `${f.detection} ${f.source} ${f.port ?? '-'} ${f.value} > ${f.threshold} ${f.severity}`).sort();

  it('the planted incidents are the ones this test means to plant', () => {
    expect(scenario.objects).toBeGreaterThan(20);
    // Guards the independent counting itself: a change to the scenario must show up here first.
    expect(asBrief(scenario.findings())).toEqual(
      [
        'PORT_SCAN 203.0.113.50 - 171 > 50 CRITICAL',
        'PORT_SCAN 198.51.100.200 - 70 > 50 CRITICAL',
        'SUSPICIOUS_PORT_ACCESS 192.0.2.44 22 11 > 10 CRITICAL',
        'SUSPICIOUS_PORT_ACCESS 2001:db8:bad::1 445 25 > 10 CRITICAL',
        'HIGH_TRAFFIC_VOLUME 198.51.100.77 - 1000000001 > 1000000000 WARNING',
        'HIGH_TRAFFIC_VOLUME 198.51.100.88 - 5000000000 > 1000000000 WARNING',
        'HIGH_TRAFFIC_VOLUME 203.0.113.200 - 9007199254740997 > 1000000000 WARNING',
        'HIGH_CONNECTION_COUNT 10.0.5.23 - 1001 > 1000 WARNING',
      ].sort(),
    );
  });

  it('--until T --window 3600 --json, every object read: exactly those findings, every line counted, every problem placed', async () => {
    const r = await flowir(['scan', scenario.s3Root, scenario.plainFile, ...WINDOW_ARGS, '--json']);
    expect(r.code).toBe(0);
    const out = parseScan(r.stdout);
    expect(out.window).toEqual({ start: UNTIL - 3600, end: UNTIL });
    expect(out.findings.map(brief).sort()).toEqual(asBrief(scenario.findings()));
    expect(out.findings.map((f) => f.id).sort()).toEqual(scenario.findings().map((f) => f.id));
    const expected = scenario.records();
    expect(out.records).toMatchObject({ ...expected, errors: expected.malformed });
    countsAddUp(out);
    expect(out.errors.map((e) => ({ file: e.file, line: e.line }))).toEqual(scenario.errors);
  });

  it('--until T --window 3600 --json --prune: the same findings, and the counts of what was read add up', async () => {
    const out = parseScan((await flowir(['scan', scenario.s3Root, scenario.plainFile, ...WINDOW_ARGS, '--json', '--prune'])).stdout);
    expect(out.findings.map(brief).sort()).toEqual(asBrief(scenario.findings()));
    countsAddUp(out);
    const all = scenario.records();
    expect(out.records.objectsSkipped).toBeGreaterThan(0); // objects of 08:00..08:50 hold nothing in the window
    expect(out.records.files + (out.records.objectsSkipped ?? 0)).toBe(all.files);
    expect(out.records.inWindow).toBe(all.inWindow);
    expect(out.records.skipped + out.records.outOfWindow + out.records.malformed).toBeLessThan(all.skipped + all.outOfWindow + all.malformed);
    // The problems it reports are among the planted ones, in order.
    const placed = scenario.errors.map((e) => `${e.file}:${e.line}`);
    const reported = out.errors.map((e) => `${e.file}:${String(e.line)}`);
    expect(placed.filter((p) => reported.includes(p))).toEqual(reported);
  });

  it('an allowlist moves a source from the findings to the allowlisted ids', async () => {
    const config = join(work, 'allow.json');
    writeFileSync(config, JSON.stringify({ allowlist: ['198.51.100.192/26'] }));
    const out = parseScan((await flowir(['scan', scenario.s3Root, scenario.plainFile, ...WINDOW_ARGS, '--config', config, '--json'])).stdout);
    expect(out.allowlisted).toEqual([`PORT_SCAN:198.51.100.200:${UNTIL}`]);
    expect(out.findings.map((f) => f.id).sort()).toEqual(scenario.findings().filter((f) => f.source !== '198.51.100.200').map((f) => f.id));
  });

  it('without --until, the window ends at the first whole hour after the latest start', async () => {
    const until = Math.floor(scenario.latestStart / 3600) * 3600 + 3600;
    expect(until).toBe(UNTIL + 3600); // some background records start after T
    for (const prune of [false, true]) {
      const out = parseScan((await flowir(['scan', scenario.s3Root, scenario.plainFile, '--json', ...(prune ? ['--prune'] : [])])).stdout);
      expect(out.window).toEqual({ start: until - 3600, end: until });
      expect(out.findings.map(brief).sort()).toEqual(asBrief(scenario.findings(until)));
      expect(out.records.inWindow).toBe(scenario.records(until).inWindow);
      countsAddUp(out);
      if (!prune) expect(out.records).toMatchObject({ ...scenario.records(until), errors: scenario.records(until).malformed });
    }
  });

  it('the S3 objects and the plain file can come in any order, with the same result', async () => {
    const a = parseScan((await flowir(['scan', scenario.plainFile, scenario.s3Root, ...WINDOW_ARGS, '--json'])).stdout);
    const b = parseScan((await flowir(['scan', scenario.s3Root, scenario.plainFile, ...WINDOW_ARGS, '--json'])).stdout);
    expect(a.findings).toEqual(b.findings);
    expect(a.records).toEqual(b.records);
  });
});

describe('flowir scan agrees with the reference reader (core/scan over local/input) on awkward input', () => {
  const T = UNTIL;
  const rec = (src: string, port: number, start: number, action = 'REJECT', bytes = '100'): string => `2 123456789010 eni-1235b8ca123456789 ${src} 172.31.9.12 40000 ${port} 6 1 ${bytes} ${start} ${start + 60} ${action} OK`;
  const many = (src: string, n: number, base = 0): string[] => Array.from({ length: n }, (_, i) => rec(src, 1000 + base + i, T - 3000 + i));
  const V2H = 'version account-id interface-id srcaddr dstaddr srcport dstport protocol packets bytes start end action log-status';
  const cases: [string, string | Buffer][] = [
    ['underscored header', [V2H.replace(/-/g, '_'), ...many('203.0.113.1', 4)].join('\n')],
    ['header mid-file, custom order', [...many('203.0.113.2', 2), 'start action srcaddr dstport bytes', `${T - 5} REJECT 203.0.113.2 9 100`, `${T - 4} REJECT 203.0.113.2 10 100`].join('\n')],
    ['byte order mark', `\ufeff${[V2H, ...many('203.0.113.3', 4)].join('\n')}`],
    ['CRLF and blank lines', ['', ...many('203.0.113.4', 4), '', '  ', ''].join('\r\n')],
    ['tabs and runs of spaces', many('203.0.113.5', 4).map((l) => l.replace(/ /g, ' \t  ')).join('\n')],
    ['no newline at the end', many('203.0.113.6', 4).join('\n')],
    ['IPv6 in every spelling', ['2001:DB8::1', '2001:db8:0:0:0:0:0:1', '2001:0db8::0001', '::ffff:192.0.2.1', '::FFFF:C000:0201'].map((a, i) => rec(a, 22, T - 100 + i)).join('\n')],
    ['counts past 2^32 and 2^53', [rec('203.0.113.7', 443, T - 9, 'ACCEPT', '4294967297'), rec('203.0.113.7', 443, T - 8, 'ACCEPT', '18446744073709551615'), rec('203.0.113.8', 443, T - 7, 'ACCEPT', '1000000000')].join('\n')],
    ['dashes, NODATA, SKIPDATA', [rec('-', 22, T - 9), rec('203.0.113.9', 22, T - 9, '-'), '2 123456789010 eni-1 - - - - - - - 1763803000 1763803060 - NODATA', '2 123456789010 eni-1 - - - - - - - 1763803000 1763803060 - SKIPDATA', rec('203.0.113.9', 22, T - 9).replace(/OK$/, '-')].join('\n')],
    ['window edges', [rec('203.0.113.10', 1, T - 3600), rec('203.0.113.10', 2, T - 3601), rec('203.0.113.10', 3, T - 1), rec('203.0.113.10', 4, T)].join('\n')],
    ['a header lacking detection fields', ['srcaddr dstaddr packets', '203.0.113.11 10.0.0.1 5', V2H, ...many('203.0.113.11', 2)].join('\n')],
    ['v3 header with a field flowir does not know', [`${V2H} vpc-id subnet-id instance-id tcp-flags type pkt-srcaddr pkt-dstaddr some-new-field`, `${rec('203.0.113.12', 22, T - 50)} vpc-1 subnet-1 - 2 IPv4 203.0.113.12 172.31.9.12 whatever`].join('\n')],
    ['multi-member gzip', Buffer.concat([gzipSync(`${V2H}\n${many('203.0.113.13', 3).join('\n')}\n`), gzipSync(`${V2H}\n${many('203.0.113.13', 3, 3).join('\n')}\n`)])],
    ['truncated gzip', gzipSync(`${many('203.0.113.14', 300).join('\n')}\n`).subarray(0, 900)],
    ['gzip with garbage after it', Buffer.concat([gzipSync(`${many('203.0.113.15', 5).join('\n')}\n`), Buffer.from('trailing junk')])],
  ];

  it.each(cases)('%s', async (name, content) => {
    const file = join(work, 'awkward', `${name.replace(/[^a-z0-9]+/gi, '-')}${Buffer.isBuffer(content) ? '.log.gz' : '.log'}`);
    mkdirSync(dirname(file), { recursive: true });
    writeFileSync(file, content);
    const config = parseConfig({ detections: { PORT_SCAN: { threshold: 1 }, SUSPICIOUS_PORT_ACCESS: { threshold: 1 }, HIGH_CONNECTION_COUNT: { threshold: 1 } } });
    const configFile = join(work, 'awkward-config.json');
    writeFileSync(configFile, JSON.stringify({ detections: { PORT_SCAN: { threshold: 1 }, SUSPICIOUS_PORT_ACCESS: { threshold: 1 }, HIGH_CONNECTION_COUNT: { threshold: 1 } } }));

    const evaluator = new DetectionEvaluator({ config, until: T });
    const scanner = new LineScanner({ config, evaluator });
    for (const src of await expandInputs([file])) await scanSource(src, scanner);
    const ref = scanner.result();
    expect(ref.records.read).toBeGreaterThan(0);
    const out = parseScan((await flowir(['scan', file, ...WINDOW_ARGS, '--config', configFile, '--json'])).stdout);

    expect(out.window).toEqual(ref.window);
    expect(out.records).toMatchObject({ ...ref.records, errors: ref.errorCount });
    expect(out.findings.map(brief)).toEqual(ref.findings.map((f) => brief({ ...f, value: String(f.value) })));
    expect(out.errors).toEqual(ref.errors);
    countsAddUp(out);
  });
});

describe('flowir scan problems and usage', () => {
  it('a truncated gzip object: the records before the damage count, the problem names the file', async () => {
    const dir = join(work, 'truncated');
    mkdirSync(dir, { recursive: true });
    const text = readFileSync(PLAIN, 'utf8').split('\n').filter((l) => l.startsWith('2 ') && l.split(' ').length === 14).join('\n').repeat(20);
    const gz = gzipSync(`${text}\n`);
    const file = join(dir, 'cut.log.gz');
    writeFileSync(file, gz.subarray(0, gz.length - 40));
    const r = await flowir(['scan', file, ...WINDOW_ARGS, '--json']);
    expect(r.code).toBe(0);
    const out = parseScan(r.stdout);
    expect(out.records.read).toBeGreaterThan(400);
    expect(out.records.read).toBe(out.records.inWindow + out.records.outOfWindow + out.records.skipped + out.records.malformed);
    expect(out.errors.at(-1)).toMatchObject({ file, reason: expect.stringContaining('damaged gzip data (unexpected end of file') });
  });

  it('lists the first 100 problems and counts all of them', async () => {
    const file = join(work, 'noisy.log');
    writeFileSync(file, Array.from({ length: 150 }, (_, i) => `junk line ${i}`).join('\n'));
    const out = parseScan((await flowir(['scan', file, ...WINDOW_ARGS, '--json'])).stdout);
    expect(out.records).toMatchObject({ read: 150, malformed: 150, errors: 150 });
    countsAddUp(out);
    expect(out.errors).toHaveLength(100);
    expect(out.errors[99]).toEqual({ file, line: 100, reason: 'expected 14 fields, found 3' });
  });

  it.each([
    ['a missing path', ['scan', '/nonexistent/flow-logs', '--json'], /cannot read input \/nonexistent\/flow-logs: no such file or folder/],
    ['a bad --window', ['scan', PLAIN, '--window', 'an hour'], /--window: "an hour" is not a duration/],
    ['a zero --window', ['scan', PLAIN, '--window', '0'], /--window: must be longer than zero/],
    ['a bad --until', ['scan', PLAIN, '--until', '2025-02-30'], /--until: "2025-02-30" is neither epoch seconds nor an ISO 8601 time/],
    ['an unknown option', ['scan', PLAIN, '--since', '1h'], /since/],
    ['no path', ['scan', '--json'], /no input/],
    ['a missing config file', ['scan', PLAIN, '--config', '/nonexistent/flowir.json'], /cannot read config \/nonexistent\/flowir\.json/],
  ])('%s: exit 1 with the reason on stderr, nothing on stdout', async (_why, argv, message) => {
    const r = await flowir(argv);
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(message);
    expect(r.stdout).toBe('');
  });

  it('a bad config file: exit 1, naming the file and the field', async () => {
    const config = join(work, 'bad-config.json');
    writeFileSync(config, JSON.stringify({ detections: { PORT_SCAN: { threshold: -5 } } }));
    const r = await flowir(['scan', PLAIN, '--config', config]);
    expect(r.code).toBe(1);
    expect(r.stderr).toContain(`${config}: detections.PORT_SCAN.threshold: expected a whole number from 0`);
  });
});

describe('flowir as a real process (node bin/flowir.js, after npm run build)', () => {
  const bin = join(REPO, 'bin', 'flowir.js');

  function run(args: string[]): Promise<Run> {
    if (!existsSync(join(REPO, 'dist', 'local', 'cli', 'main.js'))) throw new Error('dist/local/cli/main.js is missing: run `npm run build` first (`npm test` does)');
    return new Promise((resolve) => {
      execFile(process.execPath, [bin, ...args], { cwd: REPO, maxBuffer: 1 << 24 }, (error, stdout, stderr) => {
        resolve({ code: error ? Number(error.code ?? 1) : 0, stdout, stderr });
      });
    });
  }

  it('exits 0 with findings, and --json prints exactly one JSON object', async () => {
    const r = await run(['scan', PLAIN, ...WINDOW_ARGS, '--config', LOW, '--json']);
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    const out = parseScan(r.stdout);
    expect(Object.keys(out).sort()).toEqual(['allowlisted', 'errors', 'findings', 'records', 'window']);
    expect(out.findings).toHaveLength(6);
  });

  it('exits 1 for a missing path', async () => {
    const r = await run(['scan', '/nonexistent/flow-logs', '--json']);
    expect(r.code).toBe(1);
    expect(r.stderr).toContain('/nonexistent/flow-logs');
    expect(r.stdout).toBe('');
  });

  it('exits 1 for a bad --window', async () => {
    const r = await run(['scan', PLAIN, '--window', 'soon', '--json']);
    expect(r.code).toBe(1);
    expect(r.stderr).toContain('--window');
    expect(r.stdout).toBe('');
  });
});
