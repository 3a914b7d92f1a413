import { isAscii } from 'node:buffer';
import { existsSync } from 'node:fs';
import { open, stat } from 'node:fs/promises';
import { availableParallelism } from 'node:os';
import * as path from 'node:path';
import type { Readable } from 'node:stream';
import type { FlowirConfig } from '../../core/detection/config';
import { DetectionEvaluator } from '../../core/detection/evaluator';
import { defaultUntil } from '../../core/detection/window';
import { FlowLogFormat } from '../../core/flowlog/format';
import { headerlessFormat, type DuplicateInput, type InputCounts, type RecordCounts, type ScanError, type ScanResult } from '../../core/scan/scanner';
import type { InputList, InputReport, InputSource } from '../input/sources';
import { findDuplicates, type Duplicates } from './duplicates';
import { addFingerprints, NO_RECORDS, type Fingerprint } from './fingerprint';
import { FastWindow } from './fast-window';
import { mayHoldLaterWindow, mayHoldWindow, objectKeyTime } from './object-pruning';
import { unionKeys } from './state-merge';
import { InProcessExecutor, ThreadPool, type UnitExecutor } from './thread-pool';
import { GzipFallback, WHOLE_GZIP_MAX_BYTES, type ScanSettings, type ScanUnit, type UnitResult } from './unit-runner';
import type { CollectedLines, CollectSpec } from './line-collector';

export interface FastScanOptions {
  readonly config: FlowirConfig;
  readonly windowSeconds?: number;
  /** Window end; when absent, the next whole hour after the latest record start. */
  readonly until?: number;
  /** How many problems to list (all are counted). Default 100. */
  readonly maxErrors?: number;
  /** Worker threads; 0 scans on the calling thread. Default: by input size and cores. */
  readonly threads?: number;
  /** Skip S3 objects whose key time rules out the window. Default true. */
  readonly prune?: boolean;
  /** Plain files larger than twice this are read in ranges of about this size. Default: by threads. */
  readonly pieceBytes?: number;
  readonly stdin?: Readable;
  /** Largest output of a gzip file decoded in one call before it is streamed instead (tests). @default 192 MiB */
  readonly wholeGzipMaxOutput?: number;
  /** Read common lines with the WebAssembly scanner; false leaves them to the JavaScript one (tests). @default true */
  readonly wasm?: boolean;
  /** "Now" for the window when there is no record and no `until` (tests). */
  readonly nowSeconds?: number;
  /** Called as each file's results are in, in input order. */
  readonly onFileDone?: (source: InputSource, recordsRead: number) => void;
  /**
   * For a progress display: called as work ends, in any order, with the bytes it covered as stored
   * (a gzip file's compressed size) and the lines it read; for stdin (`stdin` true) as it is read,
   * with the bytes decoded. Never more in all than the inputs hold, even when a pass is repeated.
   */
  readonly onRead?: (bytes: number, records: number, stdin: boolean) => void;
  /** Told what the user should know that is not a problem of a line: inputs left out as duplicates. */
  readonly onNotice?: (message: string) => void;
  /** Leave out inputs that hold the same records as others (duplicates.ts). @default true */
  readonly duplicates?: boolean;
  /** Also keep the lines of these sources' records (see collectRecords). */
  readonly collect?: CollectSpec;
  /** Stop reading (collectRecords): the scan then rejects with ScanAborted. */
  readonly signal?: AbortSignal;
}

/** A scan stopped by its signal. */
export class ScanAborted extends Error {
  override readonly name = 'ScanAborted';
}

/** S3 objects read and skipped by pruning (files outside the S3 layout are in neither). */
export interface ObjectCounts {
  objectsRead: number;
  objectsSkipped: number;
}

/** One pass's result: the counts of what it read. */
interface PassResult extends ScanResult {
  readonly records: RecordCounts & ObjectCounts;
}

export interface FastScanResult extends ScanResult {
  readonly records: RecordCounts & ObjectCounts & InputCounts;
}

/** Below this much input, starting threads costs more than it saves. */
const THREADS_FROM_BYTES = 8 * 1024 * 1024;
/** Plain files are split (with threads) in ranges no smaller than this... */
const MIN_PIECE_BYTES = 16 * 1024 * 1024;
/** ...and in about this many per thread. */
const PIECES_PER_THREAD = 6;
/** Bytes read from the top of a split file to guess the format its later ranges start in. */
const HEAD_BYTES = 64 * 1024;
/** S3 objects read at a time to learn the latest record start before pruning (window end unknown). */
const PROBE_BATCH = 2;

const WORKER_FILE = path.join(__dirname, 'worker.js');

interface PlannedFile {
  readonly source: InputSource;
  readonly keyTime: number | undefined;
  readonly units: ScanUnit[];
  /** stdin is read on the calling thread. */
  readonly onMainThread: boolean;
}

interface Inspection {
  readonly regular: boolean;
  readonly size: number;
  readonly gzip: boolean;
  /** The first bytes, for a plain file. */
  readonly head: Buffer | null;
}

async function inspect(source: InputSource): Promise<Inspection> {
  const none: Inspection = { regular: false, size: 0, gzip: false, head: null };
  if (source.path === '-') return none;
  try {
    const st = await stat(source.path);
    if (!st.isFile()) return none;
    const file = await open(source.path, 'r');
    try {
      const head = Buffer.alloc(Math.min(HEAD_BYTES, st.size));
      const { bytesRead } = await file.read(head, 0, head.length, 0);
      const gzip = bytesRead >= 2 && head[0] === 0x1f && head[1] === 0x8b;
      return { regular: true, size: st.size, gzip, head: gzip ? null : head.subarray(0, bytesRead) };
    } finally {
      await file.close();
    }
  } catch {
    // Unreadable: the unit that reads it reports the problem as the reference does.
    return none;
  }
}

/** The format in effect after the complete lines of a file's first bytes (headers switch it). */
function formatAfter(head: Buffer, start: FlowLogFormat): FlowLogFormat {
  let format = start;
  const text = head.toString('utf8');
  const lines = text.split('\n');
  lines.pop();
  for (const line of lines) format = FlowLogFormat.fromHeader(line) ?? format;
  return format;
}

function defaultThreads(totalBytes: number): number {
  if (totalBytes < THREADS_FROM_BYTES || !existsSync(WORKER_FILE)) return 0;
  const cores = availableParallelism();
  return cores < 2 ? 0 : Math.min(cores, 4);
}

const sameFields = (a: readonly string[], b: readonly string[]): boolean => a.length === b.length && a.every((f, i) => b[i] === f);

/**
 * The local evaluator's fast path: the same results as `LineScanner` over `scanSource` (findings,
 * counts, errors and their order), from a byte-level scanner run over worker threads, with S3
 * objects skipped when their key time rules out the window.
 *
 * Inputs that hold the same records as others (duplicates.ts) are then left out and the rest read
 * again, so that data delivered twice counts once; the result says which, and `onNotice` is told.
 * What `expandInputs` passed over (an InputList's report) is in the result too.
 */
export async function fastScan(sources: readonly InputSource[] | InputList, options: FastScanOptions): Promise<FastScanResult> {
  headerlessFormat(options.config);
  const report = 'report' in sources ? sources.report : undefined;
  const onRead = monotone(options.onRead);
  // stdin cannot be read again, so what it shares with files stays counted; one file is no duplicate.
  const compare = options.duplicates !== false && sources.length > 1 && !sources.some((s) => s.path === '-');
  const first = await scanAll(sources, options, compare, options.onFileDone, onRead());
  let result = first.result;
  let duplicates: Duplicates | undefined;
  if (compare) {
    // Pruned objects were not read: then only the records of the window can be compared.
    const pruned = first.fingerprints.some((f) => f === undefined);
    duplicates = findDuplicates(sources, first.fingerprints, pruned ? result.window : undefined);
    if (duplicates.entries.length > 0) {
      const n = duplicates.excluded.size;
      const list = duplicates.entries.slice(0, 3).map((d) => `${d.path}${d.files > 1 ? ` (${d.files} files)` : ''} = ${d.sameAs}`);
      options.onNotice?.(
        `${n} input file${n === 1 ? ' holds' : 's hold'} the same records as others, so ${n === 1 ? 'it is' : 'they are'} left out and the rest read again: ` +
          `${list.join('; ')}${duplicates.entries.length > list.length ? `; and ${duplicates.entries.length - list.length} more` : ''}`,
      );
      result = (await scanAll(sources.filter((_, i) => !duplicates?.excluded.has(i)), options, false, undefined, onRead())).result;
    }
  }
  return withInputs(result, report, duplicates, options.maxErrors ?? 100);
}

/** The result with what was passed over and left out: counts and lists in `records`, Parquet files among the problems. */
function withInputs(result: PassResult, report: InputReport | undefined, duplicates: Duplicates | undefined, maxErrors: number): FastScanResult {
  const ignored = report?.ignored ?? [];
  const unsupported: ScanError[] = (report?.unsupported ?? []).map((f) => ({ file: f.file, line: null, reason: f.reason }));
  const entries = duplicates?.entries ?? [];
  return {
    ...result,
    records: {
      ...result.records,
      filesIgnored: ignored.length,
      ignored: ignored.slice(0, maxErrors),
      duplicates: duplicates?.excluded.size ?? 0,
      duplicateOf: entries.slice(0, maxErrors),
    },
    errors: [...unsupported, ...result.errors].slice(0, maxErrors),
    errorCount: unsupported.length + result.errorCount,
  };
}

type ReadReport = (bytes: number, records: number, stdin: boolean) => void;

/**
 * Progress callbacks for passes over the same inputs (a fallback, a reading again without
 * duplicates) that never go back: a later pass shows only once it is past where the one before got.
 */
function monotone(onRead: ReadReport | undefined): () => ReadReport | undefined {
  if (onRead === undefined) return () => undefined;
  let shownBytes = 0;
  let shownRecords = 0;
  return () => {
    let bytes = 0;
    let records = 0;
    return (b, r, stdin) => {
      bytes += b;
      records += r;
      const db = Math.max(0, bytes - shownBytes);
      const dr = Math.max(0, records - shownRecords);
      if (db === 0 && dr === 0) return;
      shownBytes += db;
      shownRecords += dr;
      onRead(db, dr, stdin);
    };
  };
}

interface Pass {
  readonly result: PassResult;
  /** Per source, what was read of it (undefined: not read, pruned). */
  readonly fingerprints: (Fingerprint | undefined)[];
  /** With options.collect, per source: the lines kept (undefined: not read, pruned). */
  readonly collected: (FileLines | undefined)[];
}

/** The lines a collecting scan kept from one file, by unit in file order; and why it was not read to its end. */
interface FileLines {
  readonly parts: CollectedLines[];
  readonly problem: string | null;
}

/** All sources, with a second pass by the reference pipeline when the zlib path gives up. */
async function scanAll(sources: readonly InputSource[], options: FastScanOptions, fingerprint: boolean, onFileDone: FastScanOptions['onFileDone'], onRead: ReadReport | undefined): Promise<Pass> {
  const pass = (fast: boolean, done: FastScanOptions['onFileDone']): Promise<Pass | null> => scanOnce(sources, options, { fast, fingerprint }, done, onRead);
  // stdin cannot be read twice, so nothing that may need a second pass is tried with it.
  if (sources.some((s) => s.path === '-')) return (await pass(false, onFileDone)) ?? unreachable();
  let reported = 0;
  let first: Pass | null;
  try {
    first = await pass(true, (s, n) => (reported++, onFileDone?.(s, n)));
  } catch (e) {
    if (!(e instanceof GzipFallback)) throw e;
    first = null;
  }
  if (first !== null) return first;
  // The second pass reports files in the same order: pass over those the first one reported.
  let again = 0;
  const second = await pass(false, (s, n) => (again++ >= reported ? onFileDone?.(s, n) : undefined));
  return second ?? unreachable();
}

function unreachable(): never {
  throw new Error('internal: a scan without byte ranges or the zlib path cannot give up');
}

/**
 * One pass. With `fast`, plain files are split in byte ranges and gzip files go through zlib
 * (unit-runner.ts); those give up, and the pass returns null, when a range's guessed starting
 * format proves wrong or a gzip file is not read exactly as the reference reads it. With
 * `fingerprint`, the records are hashed too, to compare the inputs afterwards.
 */
async function scanOnce(
  sources: readonly InputSource[],
  options: FastScanOptions,
  { fast, fingerprint }: { readonly fast: boolean; readonly fingerprint: boolean },
  onFileDone: FastScanOptions['onFileDone'],
  onRead: ReadReport | undefined,
): Promise<Pass | null> {
  const windowSeconds = options.windowSeconds ?? options.config.windowSeconds;
  const settings: ScanSettings = {
    config: options.config,
    windowSeconds,
    maxErrors: options.maxErrors ?? 100,
    ...(options.wholeGzipMaxOutput !== undefined ? { wholeGzipMaxOutput: options.wholeGzipMaxOutput } : {}),
    ...(options.wasm !== undefined ? { wasm: options.wasm } : {}),
    ...(options.until !== undefined ? { until: options.until } : {}),
    fingerprint,
    ...(options.collect !== undefined ? { collect: options.collect } : {}),
  };
  const defaultFormat = headerlessFormat(options.config);
  const signal = options.signal;
  if (signal?.aborted === true) throw new ScanAborted('the scan was stopped');
  // Waits below race this, so that a stopped scan closes its threads at once.
  const stopped =
    signal === undefined
      ? undefined
      : new Promise<never>((_, reject) => signal.addEventListener('abort', () => reject(new ScanAborted('the scan was stopped')), { once: true }));
  stopped?.catch(() => undefined);
  const wait = <T>(p: Promise<T>): Promise<T> => (stopped === undefined ? p : Promise.race([p, stopped]));

  const threads = options.threads ?? defaultThreads(sources.reduce((n, s) => n + s.size, 0));
  if (threads > 0 && !existsSync(WORKER_FILE)) throw new Error(`the scan worker ${WORKER_FILE} is missing: build with npm run build, or scan with threads: 0`);
  // Threads start first: they boot while the inputs are looked at.
  // stdin is read on this thread, so its progress can be told as it is read (files: as units end, below).
  let stdinRecords = 0;
  const onStdin = onRead === undefined ? undefined : (bytes: number, records: number): void => (onRead(bytes, records - stdinRecords, true), void (stdinRecords = records));
  const pool: UnitExecutor = threads > 0 ? new ThreadPool(WORKER_FILE, threads, settings) : new InProcessExecutor(settings, options.stdin, onStdin);
  let inspections: Inspection[];
  try {
    inspections = [];
    for (const s of sources) inspections.push(await inspect(s));
  } catch (e) {
    await pool.close();
    throw e;
  }

  let nextId = 0;
  const files: PlannedFile[] = sources.map((source, i) => {
    const info = inspections[i] as Inspection;
    const keyTime = source.path === '-' ? undefined : objectKeyTime(source.path);
    const onMainThread = source.path === '-';
    const stream = (): ScanUnit => ({ id: nextId++, name: source.name, path: source.path, kind: 'stream', start: 0, end: null, format: null });
    if (info.regular && info.gzip && fast) return { source, keyTime, units: [{ ...stream(), kind: info.size <= WHOLE_GZIP_MAX_BYTES ? 'gzip-whole' : 'gzip' }], onMainThread };
    if (!info.regular || info.gzip) return { source, keyTime, units: [stream()], onMainThread };
    // Ranges let threads share one big plain file: several per thread, taken as threads come free,
    // so that a thread slowed down (another process on its core) does not hold the others up.
    const pieceBytes = !fast ? Infinity : (options.pieceBytes ?? (threads > 0 ? Math.max(MIN_PIECE_BYTES, Math.ceil(info.size / (PIECES_PER_THREAD * threads))) : Infinity));
    if (info.size < 2 * pieceBytes || info.head === null) {
      return { source, keyTime, units: [{ id: nextId++, name: source.name, path: source.path, kind: 'range', start: 0, end: null, format: null }], onMainThread };
    }
    const pieces = Math.max(2, Math.round(info.size / pieceBytes));
    const guess = formatAfter(info.head, defaultFormat).fields;
    const units: ScanUnit[] = [];
    for (let k = 0; k < pieces; k++) {
      const start = Math.floor((info.size * k) / pieces);
      const end = k === pieces - 1 ? null : Math.floor((info.size * (k + 1)) / pieces);
      units.push({ id: nextId++, name: source.name, path: source.path, kind: 'range', start, end, format: k === 0 ? null : guess });
    }
    return { source, keyTime, units, onMainThread };
  });

  const needsMain = files.some((f) => f.onMainThread);
  const main: UnitExecutor = needsMain && threads > 0 ? new InProcessExecutor(settings, options.stdin, onStdin) : pool;
  const executors = main === pool ? [pool] : [pool, main];
  const running = new Map<number, Promise<UnitResult>>();
  const start = (file: PlannedFile, unit: ScanUnit): void => {
    if (running.has(unit.id)) return;
    const p = (file.onMainThread ? main : pool).run(unit);
    // Progress as each unit ends, whatever the order: its share of the file as stored.
    if (onRead !== undefined && !file.onMainThread) p.then((r) => onRead((unit.end ?? file.source.size) - unit.start, r.read, false), () => undefined);
    p.catch(() => undefined); // awaited in order below; this only keeps a later failure from going unhandled first
    running.set(unit.id, p);
  };

  try {
    const skipped = new Set<PlannedFile>();
    const objects = files.filter((f) => f.keyTime !== undefined);
    if (options.prune !== false && objects.length > 0) {
      if (options.until !== undefined) {
        for (const f of objects) if (!mayHoldWindow(f.keyTime as number, options.until - windowSeconds, options.until)) skipped.add(f);
      } else {
        // Read the newest objects first until a record start is known; the final window can only start later.
        const newestFirst = [...objects].sort((a, b) => (b.keyTime as number) - (a.keyTime as number));
        let maxStart: number | null = null;
        const probed = new Set<PlannedFile>();
        for (let i = 0; i < newestFirst.length && maxStart === null; i += PROBE_BATCH) {
          const batch = newestFirst.slice(i, i + PROBE_BATCH);
          for (const f of batch) {
            probed.add(f);
            for (const u of f.units) start(f, u);
          }
          for (const f of batch) {
            for (const u of f.units) {
              const r = await wait(running.get(u.id) as Promise<UnitResult>);
              if (r.maxStart !== null && (maxStart === null || r.maxStart > maxStart)) maxStart = r.maxStart;
            }
          }
        }
        if (maxStart !== null) {
          const lowestWindowStart = defaultUntil(maxStart) - windowSeconds;
          for (const f of objects) if (!probed.has(f) && !mayHoldLaterWindow(f.keyTime as number, lowestWindowStart)) skipped.add(f);
        }
      }
    }

    for (const f of skipped) {
      onFileDone?.(f.source, 0);
      onRead?.(f.source.size, 0, false);
    }
    const toRead = files.filter((f) => !skipped.has(f));
    // Largest first (gzip counted at its usual ratio), so that the last units, which one thread
    // may end alone, are small. Results are still taken in input order below.
    const work = (f: PlannedFile): number => (f.units[0]?.kind === 'range' ? 1 : 5) * (f.source.size / Math.max(1, f.units.length));
    for (const f of [...toRead].sort((a, b) => work(b) - work(a))) for (const u of f.units) start(f, u);

    const evaluator = new DetectionEvaluator({ config: options.config, windowSeconds, ...(options.until !== undefined ? { until: options.until } : {}) });
    const counts = { read: 0, skipped: 0, malformed: 0 };
    const errors: ScanError[] = [];
    let errorCount = 0;
    const maxErrors = settings.maxErrors;
    const fingerprints = new Map<PlannedFile, Fingerprint>();
    const collected = new Map<PlannedFile, FileLines>();
    for (const f of toRead) {
      let format: readonly string[] = defaultFormat.fields;
      let lineOffset = 0;
      let fingerprint = NO_RECORDS;
      const parts: CollectedLines[] = [];
      let problem: string | null = null;
      for (const unit of f.units) {
        const r = await wait(running.get(unit.id) as Promise<UnitResult>);
        // The range began under another format than guessed (a header further up changed it): its
        // records are mixed into a thread's window already, so everything is read again, unsplit.
        if (unit.format !== null && !sameFields(unit.format, format)) return null;
        counts.read += r.read;
        counts.skipped += r.skipped;
        counts.malformed += r.malformed;
        errorCount += r.errorCount;
        for (const e of r.errors) {
          if (errors.length >= maxErrors) break;
          errors.push(lineOffset === 0 || e.line === null ? e : { ...e, line: e.line + lineOffset });
        }
        lineOffset += r.lines;
        format = r.endFormat;
        fingerprint = addFingerprints(fingerprint, r.fingerprint);
        if (r.collected !== undefined && r.collected.ends.length > 0) parts.push(r.collected);
        problem ??= r.problem;
        running.delete(unit.id);
      }
      fingerprints.set(f, fingerprint);
      if (options.collect !== undefined) collected.set(f, { parts, problem });
      onFileDone?.(f.source, counts.read);
    }
    // The threads' windows: each lists the sources that may make a finding, all send those in
    // full (state-merge.ts), merged here, then handed to the evaluator once.
    const parts = executors.reduce((n, ex) => n + ex.windows, 0);
    const keys = unionKeys((await Promise.all(executors.map((ex) => ex.heavy(parts)))).flat());
    const merged = new FastWindow(options.until, windowSeconds, options.config.suspiciousPorts);
    for (const ex of executors) for (const state of await ex.states(keys)) merged.mergeCompact(state);
    evaluator.merge(merged.state());
    const evaluation = evaluator.finish(options.nowSeconds);
    const objectsSkipped = skipped.size;
    const result = {
      window: evaluation.window,
      records: {
        read: counts.read,
        inWindow: evaluation.inWindow,
        outOfWindow: evaluation.outOfWindow,
        skipped: counts.skipped,
        malformed: counts.malformed,
        files: toRead.length,
        objectsRead: objects.length - objectsSkipped,
        objectsSkipped,
      },
      findings: evaluation.findings,
      allowlisted: evaluation.allowlisted,
      errors,
      errorCount,
    };
    return { result, fingerprints: files.map((f) => fingerprints.get(f)), collected: files.map((f) => collected.get(f)) };
  } finally {
    await Promise.all(executors.map((ex) => ex.close()));
  }
}

export interface CollectRecordsOptions {
  readonly config: FlowirConfig;
  /** Records whose start is in [start, end). */
  readonly window: { readonly start: number; readonly end: number };
  /** Canonical addresses of the sources whose records are wanted. */
  readonly sources: readonly string[];
  /** Worker threads; 0 reads on the calling thread. Default: by input size and cores, as fastScan. */
  readonly threads?: number;
  /** See FastScanOptions (tests). */
  readonly wasm?: boolean;
  readonly wholeGzipMaxOutput?: number;
  readonly pieceBytes?: number;
  /** Stop the pass: collectRecords then rejects with ScanAborted. */
  readonly signal?: AbortSignal;
  /** Told, as work ends, the bytes (as stored) it covered: their sum reaches the inputs' size. */
  readonly onRead?: (bytes: number) => void;
}

/** A run of a source's lines read in one format. */
export interface LineRun {
  readonly fields: readonly string[];
  readonly lines: string[];
}

export interface CollectedRecords {
  /** Files given (after expanding folders). */
  readonly files: number;
  /** S3 objects not read: their key time rules out the window (as `flowir run` prunes). */
  readonly objectsSkipped: number;
  /** Inputs left out as holding the same records as others (as the scan leaves them out), largest first. */
  readonly duplicateOf: readonly DuplicateInput[];
  /** How many files those are. */
  readonly duplicates: number;
  /** Files not read to their end (unreadable, damaged gzip): their lines before the damage are in. */
  readonly problems: ReadonlyArray<{ readonly file: string; readonly reason: string }>;
  /** The lines of `sources[i]`, in input order (files, then lines), as runs of one format. Decoded on each call. */
  linesOf(i: number): LineRun[];
}

/**
 * The raw lines of the records of a few sources in a window (the evidence of `flowir run`'s
 * incidents): one pass of the fast scan over the inputs, reading every S3 object it would read
 * for that window, with the lines of those sources kept as they go by (line-collector.ts). The
 * inputs the scan would leave out as duplicates of others (duplicates.ts: the two layouts of
 * `flowir sample` side by side, a folder and its copy) are found the same way and their lines
 * dropped, so that no record is listed twice. Memory: the lines kept, as bytes (a string is made
 * for a line only when linesOf is called), plus what a scan takes.
 */
export async function collectRecords(sources: readonly InputSource[], options: CollectRecordsOptions): Promise<CollectedRecords> {
  const { start, end } = options.window;
  const scanOptions: FastScanOptions = {
    config: options.config,
    windowSeconds: end - start,
    until: end,
    collect: { sources: options.sources, start, end },
    ...(options.threads !== undefined ? { threads: options.threads } : {}),
    ...(options.wasm !== undefined ? { wasm: options.wasm } : {}),
    ...(options.wholeGzipMaxOutput !== undefined ? { wholeGzipMaxOutput: options.wholeGzipMaxOutput } : {}),
    ...(options.pieceBytes !== undefined ? { pieceBytes: options.pieceBytes } : {}),
    ...(options.signal !== undefined ? { signal: options.signal } : {}),
  };
  // As fastScan compares them (the run's own scan does, with the same window).
  const compare = sources.length > 1 && !sources.some((s) => s.path === '-');
  const onRead = options.onRead;
  const pass = await scanAll(sources, scanOptions, compare, undefined, onRead === undefined ? undefined : (bytes) => onRead(bytes));
  const pruned = pass.fingerprints.some((f) => f === undefined);
  const duplicates = compare ? findDuplicates(sources, pass.fingerprints, pruned ? pass.result.window : undefined) : undefined;
  const kept: CollectedLines[] = [];
  const problems: Array<{ file: string; reason: string }> = [];
  pass.collected.forEach((c, i) => {
    if (c === undefined || duplicates?.excluded.has(i) === true) return;
    kept.push(...c.parts);
    if (c.problem !== null) problems.push({ file: (sources[i] as InputSource).name, reason: c.problem });
  });
  let byOwner: Int32Array[] | undefined;
  const texts: Array<string | null> = [];
  return {
    files: sources.length,
    objectsSkipped: pass.result.records.objectsSkipped,
    duplicateOf: duplicates?.entries ?? [],
    duplicates: duplicates?.excluded.size ?? 0,
    problems,
    linesOf(owner: number): LineRun[] {
      byOwner ??= indexByOwner(kept, options.sources.length);
      const runs: LineRun[] = [];
      let run: LineRun | undefined;
      const at = byOwner[owner] ?? new Int32Array(0);
      for (let k = 0; k < at.length; k += 2) {
        const p = at[k] as number;
        const part = kept[p] as CollectedLines;
        const l = at[k + 1] as number;
        let f = 0;
        while (f + 1 < part.formats.length && (part.formats[f + 1] as { from: number }).from <= l) f++;
        const fields = (part.formats[f] as { fields: readonly string[] }).fields;
        if (run === undefined || !sameFields(run.fields, fields)) runs.push((run = { fields, lines: [] }));
        const from = l === 0 ? 0 : (part.ends[l - 1] as number);
        const to = part.ends[l] as number;
        // ASCII (flow logs as AWS writes them): one string per part, each line a slice of it.
        let text = texts[p];
        if (text === undefined) texts[p] = text = isAscii(part.bytes) ? Buffer.from(part.bytes.buffer, part.bytes.byteOffset, part.bytes.byteLength).toString('latin1') : null;
        run.lines.push(text !== null ? text.slice(from, to) : Buffer.from(part.bytes.buffer, part.bytes.byteOffset, part.bytes.byteLength).toString('utf8', from, to));
      }
      return runs;
    },
  };
}

/** Per owner, its lines as (part, line) pairs, in order. */
function indexByOwner(parts: readonly CollectedLines[], owners: number): Int32Array[] {
  const counts = new Int32Array(owners);
  for (const p of parts) for (const o of p.owners) counts[o] = (counts[o] ?? 0) + 1;
  const index = Array.from(counts, (n) => new Int32Array(2 * n));
  const filled = new Int32Array(owners);
  parts.forEach((p, k) => {
    p.owners.forEach((o, l) => {
      const at = index[o] as Int32Array;
      const n = filled[o] as number;
      at[n] = k;
      at[n + 1] = l;
      filled[o] = n + 2;
    });
  });
  return index;
}
