/**
 * `npm run bench`: flowir scan against DuckDB on the same files, whole processes, side by side.
 *
 *   npm run bench -- [--records N] [--runs R] [--scale-records M] [--dir DIR]
 *
 * Makes N sample records with `flowir sample` (default 5,000,000; kept under DIR, default .bench/,
 * and reused), then runs `flowir scan` and DuckDB (the four rules, explicit columns) on the gz S3
 * layout and on the plain file, alternating, one warm-up round and R timed rounds (default 5), with
 * the files in page cache. Also times the gunzip-only floor and flowir's start-up, and compares
 * flowir's peak RSS on M records (default 1,000,000), on five copies of those M records two hours apart (five times the records, the same sources)
 * (5 M records, same sources) and on N. Checks that flowir and DuckDB return identical findings.
 * Also runs the whole incident response, `flowir run --decide approve` (a fresh state dir each
 * time), on the same files as the scan, alternating with the others: wall time, CPU, peak RSS,
 * the ratio to `flowir scan` of the same layout, and its findings, executions and how many
 * SUCCEEDED (the bench stops if a run fails or finds other findings than the scan).
 * Prints the tables and where flowir's time goes, and writes them to DIR/latest.md.
 */
import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdir, mkdtemp, open, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { cpus, tmpdir } from 'node:os';
import * as path from 'node:path';
import { parseArgs } from 'node:util';
import { expandInputs } from '../local/input/sources';

const ROOT = path.resolve(__dirname, '../..');
const CLI = path.join(ROOT, 'bin/flowir.js');
const DUCKDB = path.join(__dirname, 'bench.duckdb.js');
const GUNZIP = path.join(__dirname, 'bench.gunzip.js');
const RSS = path.join(__dirname, 'bench.rss.js');
const GNU_TIME = '/usr/bin/time';

interface Sample {
  readonly records: number;
  readonly s3Root: string;
  readonly plainFile: string;
  readonly window: { readonly start: number; readonly end: number };
  readonly gzBytes: number;
  readonly plainBytes: number;
}

interface Measured {
  readonly seconds: number;
  readonly rssBytes: number;
  /** User + system CPU seconds, all threads. */
  readonly cpu: number;
  readonly stdout: string;
}

interface Case {
  readonly tool: string;
  readonly layout: 'gz' | 'plain';
  readonly argv: readonly string[];
  readonly env?: Readonly<Record<string, string>>;
  /** Give each run a fresh `--state-dir` (flowir run: execution names are not reused). */
  readonly stateDir?: boolean;
  readonly runs: Measured[];
}

class BenchError extends Error {
  override readonly name = 'BenchError';
}

const median = (xs: readonly number[]): number => {
  const s = [...xs].sort((a, b) => a - b);
  const m = Math.floor(s.length / 2);
  return s.length % 2 === 1 ? (s[m] as number) : ((s[m - 1] as number) + (s[m] as number)) / 2;
};

async function bytesOf(paths: readonly string[]): Promise<number> {
  let n = 0;
  for (const src of await expandInputs(paths)) n += src.size;
  return n;
}

/** A sample of N records under dir (ending at `until`, if given), made once with `flowir sample` and reused. */
async function ensureSample(dir: string, records: number, until?: number): Promise<Sample> {
  const out = path.join(dir, until === undefined ? `data-${records}` : `data-${records}-until-${until}`);
  const done = path.join(out, 'complete');
  if (!existsSync(done)) {
    await rm(out, { recursive: true, force: true });
    process.stderr.write(`bench: generating ${records.toLocaleString('en-US')} records with flowir sample into ${out} (once)...\n`);
    await runProcess([process.execPath, CLI, 'sample', out, '--records', String(records), ...(until === undefined ? [] : ['--until', String(until)])], {}, 'inherit');
    await writeFile(done, `${records}\n`);
  }
  const manifest = JSON.parse(await readFile(path.join(out, 'planted.json'), 'utf8')) as { records: number; window: { start: number; end: number } };
  const s3Root = path.join(out, 's3');
  const plainFile = path.join(out, 'plain', 'flow-logs.log');
  return { records: manifest.records, s3Root, plainFile, window: manifest.window, gzBytes: await bytesOf([s3Root]), plainBytes: (await stat(plainFile)).size };
}

function runProcess(argv: readonly string[], env: Readonly<Record<string, string>>, stdio: 'pipe' | 'inherit' = 'pipe'): Promise<string> {
  return new Promise((resolve, reject) => {
    const [cmd, ...args] = argv as [string, ...string[]];
    const child = spawn(cmd, args, { env: { ...process.env, ...env }, stdio: ['ignore', stdio, 'pipe'] });
    let out = '';
    let err = '';
    child.stdout?.on('data', (d: Buffer) => (out += d.toString()));
    child.stderr?.on('data', (d: Buffer) => (err += d.toString()));
    child.once('error', reject);
    child.once('close', (code) => (code === 0 ? resolve(out) : reject(new BenchError(`${argv.join(' ')} exited with ${code}: ${err.trim()}`))));
  });
}

/** Run a command as a whole process: wall time from here, peak RSS from GNU time (or the child's own report). */
async function measure(command: readonly string[], env: Readonly<Record<string, string>> = {}, stateDir = false): Promise<Measured> {
  const tmp = await mkdtemp(path.join(tmpdir(), 'flowir-bench-'));
  const rssFile = path.join(tmp, 'rss');
  const argv = stateDir ? [...command, '--state-dir', path.join(tmp, 'state')] : command;
  try {
    const useTime = existsSync(GNU_TIME);
    const wrapped = useTime ? [GNU_TIME, '-f', '%M %U %S', '-o', rssFile, ...argv] : [argv[0] as string, RSS, rssFile, ...argv.slice(1)];
    const began = process.hrtime.bigint();
    const stdout = await runProcess(wrapped, env);
    const seconds = Number(process.hrtime.bigint() - began) / 1e9;
    // Both write "peak-RSS-kilobytes user-seconds system-seconds" as the last line.
    const [kb, user, system] = ((await readFile(rssFile, 'utf8')).trim().split('\n').pop() ?? '').split(' ').map(Number);
    if (kb === undefined || user === undefined || system === undefined || ![kb, user, system].every(Number.isFinite)) throw new BenchError(`no peak RSS for ${argv.join(' ')}`);
    return { seconds, rssBytes: kb * 1024, cpu: user + system, stdout };
  } finally {
    await rm(tmp, { recursive: true, force: true });
  }
}

/** Read every file once so that all runs find them in page cache. */
async function warmCache(paths: readonly string[]): Promise<void> {
  const buf = Buffer.allocUnsafe(1 << 22);
  for (const src of await expandInputs(paths)) {
    const f = await open(src.path, 'r');
    try {
      while ((await f.read(buf, 0, buf.length)).bytesRead > 0);
    } finally {
      await f.close();
    }
  }
}

type FindingKey = string;
const RUN = 'flowir run --decide approve';
/** flowir run's --json: its findings (as the scan's), and how many executions it ran and how many SUCCEEDED. */
function runOutcome(stdout: string): { findings: FindingKey[]; executions: number; succeeded: number } {
  const out = JSON.parse(stdout) as { findings: { detection: string; source: string; port: number | null; value: number | string }[]; executions: { status: string }[] };
  return {
    findings: out.findings.map((f) => `${f.detection} ${f.source} ${f.port ?? '-'} ${String(f.value)}`).sort(),
    executions: out.executions.length,
    succeeded: out.executions.filter((e) => e.status === 'SUCCEEDED').length,
  };
}
const flowirFindings = (stdout: string): FindingKey[] =>
  (JSON.parse(stdout) as { findings: { detection: string; source: string; port: number | null; value: number | string }[] }).findings.map((f) => `${f.detection} ${f.source} ${f.port ?? '-'} ${String(f.value)}`).sort();
const duckdbFindings = (stdout: string): FindingKey[] =>
  (JSON.parse(stdout) as { findings: { detection: string; source: string; port: number | null; value: string }[] }).findings.map((f) => `${f.detection} ${f.source} ${f.port ?? '-'} ${f.value}`).sort();

const fmt = (n: number, digits = 2): string => n.toFixed(digits);
const millions = (n: number): string => `${(n / 1e6).toFixed(2)} M`;

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: { records: { type: 'string' }, runs: { type: 'string' }, 'scale-records': { type: 'string' }, dir: { type: 'string' } },
  });
  const records = Number(values.records ?? 5_000_000);
  const runs = Number(values.runs ?? 5);
  const scaleRecords = Number(values['scale-records'] ?? 1_000_000);
  const dir = path.resolve(values.dir ?? path.join(ROOT, '.bench'));
  if (!Number.isInteger(records) || records < 1000) throw new BenchError('--records: at least 1000');
  if (!Number.isInteger(runs) || runs < 1) throw new BenchError('--runs: at least 1');
  if (!existsSync(path.join(ROOT, 'dist/local/fast/worker.js'))) throw new BenchError('dist/ is missing: npm run build first');
  await mkdir(dir, { recursive: true });

  const sample = await ensureSample(dir, records);
  const { start, end } = sample.window;
  const glob = path.join(sample.s3Root, 'AWSLogs/**/*.log.gz');
  const flowir = (input: string): string[] => [process.execPath, CLI, 'scan', input, '--until', String(end), '--json', '--no-progress'];
  const duckdb = (input: string): string[] => [process.execPath, DUCKDB, input, String(start), String(end)];
  const flowirRun = (input: string): string[] => [process.execPath, CLI, 'run', input, '--until', String(end), '--decide', 'approve', '--json'];
  const cases: Case[] = [
    // The headline gz case prunes objects by key time (`--prune`); the case below reads every object.
    { tool: 'flowir scan', layout: 'gz', argv: [...flowir(sample.s3Root), '--prune'], runs: [] },
    { tool: 'DuckDB', layout: 'gz', argv: duckdb(glob), runs: [] },
    { tool: 'flowir scan', layout: 'plain', argv: flowir(sample.plainFile), runs: [] },
    { tool: 'DuckDB', layout: 'plain', argv: duckdb(sample.plainFile), runs: [] },
    { tool: 'flowir scan, pruning off', layout: 'gz', argv: flowir(sample.s3Root), runs: [] },
    { tool: 'gunzip only, zlib, one call per object, 2 threads (floor)', layout: 'gz', argv: [process.execPath, GUNZIP, 'whole', sample.s3Root, '2'], runs: [] },
    { tool: 'gunzip only, zlib streams, 2 threads', layout: 'gz', argv: [process.execPath, GUNZIP, 'zlib', sample.s3Root, '2'], runs: [] },
    { tool: 'gunzip only, reference input pipeline, 2 threads', layout: 'gz', argv: [process.execPath, GUNZIP, 'flowir', sample.s3Root, '2'], runs: [] },
    { tool: 'flowir startup (empty input)', layout: 'plain', argv: flowir(path.join(dir, 'empty.log')), runs: [] },
    // The whole incident response on the same files: it always prunes, as the gz scan case does.
    { tool: RUN, layout: 'gz', argv: flowirRun(sample.s3Root), stateDir: true, runs: [] },
    { tool: RUN, layout: 'plain', argv: flowirRun(sample.plainFile), stateDir: true, runs: [] },
  ];
  await writeFile(path.join(dir, 'empty.log'), '');

  process.stderr.write('bench: warming the page cache and each command...\n');
  await warmCache([sample.s3Root, sample.plainFile]);
  const warm = new Map<Case, Measured>();
  for (const c of cases) warm.set(c, await measure(c.argv, c.env, c.stateDir));

  // Identical findings, or the timings mean nothing.
  for (const layout of ['gz', 'plain'] as const) {
    const f = flowirFindings((warm.get(cases.find((c) => c.tool === 'flowir scan' && c.layout === layout) as Case) as Measured).stdout);
    const d = duckdbFindings((warm.get(cases.find((c) => c.tool === 'DuckDB' && c.layout === layout) as Case) as Measured).stdout);
    if (f.join('\n') !== d.join('\n')) throw new BenchError(`flowir and DuckDB disagree on the ${layout} layout:\nflowir:\n${f.join('\n')}\nDuckDB:\n${d.join('\n')}`);
    if (f.length === 0) throw new BenchError(`no findings on the ${layout} layout: the sample lost its planted incidents`);
  }
  // flowir run makes the scan's findings, and each ends in an execution that SUCCEEDED.
  for (const layout of ['gz', 'plain'] as const) {
    const scanned = flowirFindings((warm.get(cases.find((c) => c.tool === 'flowir scan' && c.layout === layout) as Case) as Measured).stdout);
    const run = runOutcome((warm.get(cases.find((c) => c.tool === RUN && c.layout === layout) as Case) as Measured).stdout);
    if (run.findings.join('\n') !== scanned.join('\n')) throw new BenchError(`flowir run and flowir scan disagree on the ${layout} layout:\nrun:\n${run.findings.join('\n')}\nscan:\n${scanned.join('\n')}`);
    if (run.succeeded !== run.executions || run.executions !== run.findings.length) throw new BenchError(`flowir run on the ${layout} layout: ${run.succeeded} of ${run.executions} executions SUCCEEDED, for ${run.findings.length} findings`);
  }
  const pruned = JSON.parse((warm.get(cases[0] as Case) as Measured).stdout) as { records: { read: number; objectsRead: number; objectsSkipped: number } };

  for (let r = 1; r <= runs; r++) {
    process.stderr.write(`bench: round ${r} of ${runs}\n`);
    for (const c of cases) c.runs.push(await measure(c.argv, c.env, c.stateDir));
  }

  // Memory against input size: a smaller sample, and five copies of it two hours apart (the sample
  // covers two hours), all in one window: five times the records, the same sources. The copies must
  // differ in time: the scan reads inputs that hold the very same records once (local/fast/duplicates).
  const small = await ensureSample(dir, scaleRecords);
  const copies = [small];
  for (let k = 1; k < 5; k++) copies.push(await ensureSample(dir, scaleRecords, small.window.end - k * 7200));
  await warmCache(copies.flatMap((c) => [c.s3Root, c.plainFile]));
  const peakOf = async (inputs: string[]): Promise<number> => {
    const xs: number[] = [];
    for (let i = 0; i < 3; i++) xs.push((await measure([process.execPath, CLI, 'scan', ...inputs, '--until', String(small.window.end), '--window', '10h', '--json', '--no-progress'])).rssBytes);
    return Math.max(...xs);
  };
  const rss = {
    gzSmall: await peakOf([small.s3Root]),
    gzSmall5: await peakOf(copies.map((c) => c.s3Root)),
    plainSmall: await peakOf([small.plainFile]),
    plainSmall5: await peakOf(copies.map((c) => c.plainFile)),
  };

  const row = (c: Case): { seconds: number; rss: number; cpu: number } => ({
    seconds: median(c.runs.map((m) => m.seconds)),
    rss: Math.max(...c.runs.map((m) => m.rssBytes)),
    cpu: median(c.runs.map((m) => m.cpu)),
  });
  const get = (tool: string, layout: 'gz' | 'plain'): ReturnType<typeof row> => row(cases.find((c) => c.tool === tool && c.layout === layout) as Case);
  const mb = (bytes: number): string => `${fmt(bytes / 2 ** 20, 0)} MB`;
  const lines: string[] = [];
  const cpu = cpus();
  const objects = pruned.records.objectsRead + pruned.records.objectsSkipped;
  lines.push(`### flowir scan vs DuckDB — ${millions(sample.records)} records, ${new Date().toISOString().slice(0, 10)}`);
  lines.push('');
  lines.push(`${cpu.length} × ${cpu[0]?.model.trim() ?? 'CPU'}, Node ${process.version}; medians of ${runs} whole-process runs after a warm-up, alternating, files in page cache.`);
  lines.push(`Window: the sample's planted hour (\`--until ${end}\`). gz: ${fmt(sample.gzBytes / 1e6, 0)} MB in ${objects} S3 objects; plain: ${fmt(sample.plainBytes / 1e6, 0)} MB. records/s and MB/s are of the whole input as stored; CPU is user + system seconds over all threads.`);
  lines.push('');
  lines.push('| what | layout | median s | records/s | MB/s | CPU s | peak RSS | DuckDB / flowir |');
  lines.push('| --- | --- | ---: | ---: | ---: | ---: | ---: | ---: |');
  for (const c of cases.filter((x) => x.tool !== RUN)) {
    const r = row(c);
    const bytes = c.layout === 'gz' ? sample.gzBytes : sample.plainBytes;
    const ratio = c.tool === 'flowir scan' ? `**${fmt(get('DuckDB', c.layout).seconds / r.seconds)}×**` : '';
    const perSecond = c.tool.startsWith('flowir startup') ? ['', ''] : [millions(sample.records / r.seconds), fmt(bytes / 1e6 / r.seconds, 0)];
    lines.push(`| ${c.tool} | ${c.layout} | ${fmt(r.seconds)} | ${perSecond[0]} | ${perSecond[1]} | ${fmt(r.cpu)} | ${mb(r.rss)} | ${ratio} |`);
  }
  lines.push('');
  lines.push(`The whole incident response on the same files (\`flowir run <input> --until ${end} --decide approve --json\`, a fresh state dir each run; medians of the same rounds):`);
  lines.push('');
  lines.push('| what | layout | median s | CPU s | peak RSS | run / scan | findings | executions | SUCCEEDED |');
  lines.push('| --- | --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: |');
  for (const c of cases.filter((x) => x.tool === RUN)) {
    const r = row(c);
    const outcome = runOutcome((c.runs[c.runs.length - 1] as Measured).stdout);
    lines.push(`| ${c.tool} | ${c.layout} | ${fmt(r.seconds)} | ${fmt(r.cpu)} | ${mb(r.rss)} | **${fmt(r.seconds / get('flowir scan', c.layout).seconds)}×** | ${outcome.findings.length} | ${outcome.executions} | ${outcome.succeeded} |`);
  }
  lines.push('');
  lines.push(`Findings: identical between flowir and DuckDB on both layouts, and between \`flowir run\` and \`flowir scan\` (the bench stops if not). Pruning read ${pruned.records.objectsRead} of ${objects} objects (${pruned.records.read.toLocaleString('en-US')} of ${sample.records.toLocaleString('en-US')} records).`);
  lines.push('');
  lines.push(
    `flowir peak RSS: gz ${mb(rss.gzSmall)} on ${millions(small.records)} records, ${mb(rss.gzSmall5)} on five copies of those ${millions(small.records)} two hours apart, ${mb(get('flowir scan', 'gz').rss)} on the ${millions(sample.records)} sample (which has ${fmt(sample.records / small.records, 0)}× the sources); ` +
      `plain ${mb(rss.plainSmall)}, ${mb(rss.plainSmall5)} and ${mb(get('flowir scan', 'plain').rss)}.`,
  );
  const floor = get('gunzip only, zlib, one call per object, 2 threads (floor)', 'gz');
  const streams = get('gunzip only, zlib streams, 2 threads', 'gz');
  const reference = get('gunzip only, reference input pipeline, 2 threads', 'gz');
  const gz = get('flowir scan', 'gz');
  const gzAll = get('flowir scan, pruning off', 'gz');
  const plain = get('flowir scan', 'plain');
  const startup = get('flowir startup (empty input)', 'plain');
  const share = pruned.records.objectsRead / objects;
  const parseCpu = plain.cpu - startup.cpu;
  const estimate = startup.seconds + (floor.cpu * share + parseCpu * share) / cpu.length;
  lines.push('');
  lines.push('Where the time goes (gz layout):');
  lines.push(
    `- The floor, Node's zlib alone on 2 threads (one \`gunzipSync\` per object, as flowir decodes S3 objects; ${fmt(streams.seconds)} s with zlib streams), takes ${fmt(floor.seconds)} s (${fmt(floor.cpu)} CPU s) for all ${objects} objects. flowir takes ${fmt(gz.seconds)} s, ` +
      `but reads ${pruned.records.objectsRead} of them (${fmt(share * 100, 0)}% of the data): ${fmt(gz.seconds / (floor.seconds * share))}× the floor for what it reads. Pruning off, it takes ${fmt(gzAll.seconds)} s (${fmt(gzAll.seconds / floor.seconds)}× the floor).`,
  );
  lines.push(`- Start-up: ${fmt(startup.seconds)} s for a process that scans an empty file (Node, the CLI's modules, a worker thread).`);
  lines.push(
    `- Parsing and counting: ${fmt(parseCpu)} CPU s for the ${fmt(sample.plainBytes / 1e6, 0)} MB plain file (${fmt(sample.plainBytes / 1e6 / Math.max(0.01, parseCpu), 0)} MB per CPU second: validating every field, keying sources, counting), ` +
      `about as much as the decompression itself. On two cores, the two share the CPU: start-up plus (gunzip + parse CPU for the objects read) / ${cpu.length} cores is ${fmt(estimate)} s, against ${fmt(gz.seconds)} s measured; ` +
      `the rest is warm-up (each thread compiles its scanner while the other cores' work waits on it), ` +
      `fresh memory for each decoded object (page faults, the garbage collector), uneven ends (whole objects per thread) and the hand-over of results.`,
  );
  lines.push(`- flowir falls back to its reference input pipeline (member by member, CRC-checked, so a damaged member keeps the records before it) for damaged files and stdin: ${fmt(reference.seconds)} s alone on all objects, against ${fmt(floor.seconds)} s for zlib.`);
  const text = `${lines.join('\n')}\n`;
  await writeFile(path.join(dir, 'latest.md'), text);
  process.stdout.write(`\n${text}\nwritten to ${path.join(dir, 'latest.md')}\n`);
}

main().catch((e: unknown) => {
  process.stderr.write(`bench: ${e instanceof Error ? e.message : String(e)}\n`);
  process.exitCode = 1;
});
