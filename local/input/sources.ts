import { createReadStream, promises as fs, type BigIntStats } from 'node:fs';
import * as path from 'node:path';
import { Readable } from 'node:stream';
import type { FileScan, IgnoredInput, LineScanner } from '../../core/scan/scanner';
import { GunzipMembers } from './gzip-members';

/** One file (or stdin) to read flow-log lines from. */
export interface InputSource {
  /** Path as the user will recognise it in reports; `-` for stdin. */
  readonly name: string;
  readonly path: string;
  readonly size: number;
  /**
   * For a file found by a folder walk: the folders that hold it, from the folder given down to its
   * own (the scan compares whole folders when it looks for inputs read twice). Absent otherwise.
   */
  readonly folders?: readonly string[];
}

/** What expanding the paths passed over, for the scan's report. */
export interface InputReport {
  /** Every file (or hidden entry) a folder walk did not read, in walk order. */
  readonly ignored: readonly IgnoredInput[];
  /** Among those, the files that look like flow logs in a format flowir cannot read (Parquet). */
  readonly unsupported: readonly IgnoredInput[];
}

/** The sources to read, with what was passed over on the way. */
export type InputList = InputSource[] & { readonly report: InputReport };

export class InputError extends Error {
  override readonly name = 'InputError';
}

/**
 * Names a folder walk reads: `.log` and `.gz` (AWS delivers text flow logs to S3 as
 * `<account>_vpcflowlogs_<region>_<flow-log-id>_<YYYYMMDDTHHmmZ>_<hash>.log.gz`; `gunzip` leaves
 * `.log`; CloudWatch Logs exports are `.gz`). Anything else in the folder (a manifest, notes, a
 * checksum list) would only add malformed lines.
 */
const FLOW_LOG_NAME = /\.(?:log|gz)$/i;
/** AWS's other S3 file format (`.log.parquet`): columnar and binary, not lines of text. */
const PARQUET_NAME = /\.parquet$/i;
const PARQUET_MAGIC = Buffer.from('PAR1');
const TEXT_ONLY = 'flowir reads flow logs in the text format, plain or gzip';
const PARQUET_REASON = `Parquet: not supported (${TEXT_ONLY}), not read`;

type FileKey = string;
/** Device and inode as bigints: inode numbers past 2^53 exist, and two must never look the same. */
type Identity = { readonly dev: bigint; readonly ino: bigint };
const keyOf = (st: Identity): FileKey => `${st.dev}:${st.ino}`;
const statOf = (p: string): Promise<BigIntStats> => fs.stat(p, { bigint: true });

/** The state of one expansion: what was met already (by device and inode), what was passed over. */
class Expansion {
  readonly sources: InputSource[] = [];
  readonly ignored: IgnoredInput[] = [];
  readonly unsupported: IgnoredInput[] = [];
  /** Files already listed: a file reached twice (named twice, named and in a folder given, linked) is read once. */
  private readonly files = new Set<FileKey>();
  /** Folders walked, with how many flow-log files each holds (links could otherwise loop). */
  private readonly folders = new Map<FileKey, number>();

  async add(p: string): Promise<void> {
    if (p === '-') {
      this.sources.push({ name: '-', path: '-', size: 0 });
      return;
    }
    let st;
    try {
      st = await statOf(p);
    } catch (e) {
      throw new InputError(`cannot read input ${p}: ${(e as NodeJS.ErrnoException).code === 'ENOENT' ? 'no such file or folder' : (e as Error).message}`);
    }
    if (!st.isDirectory()) {
      // A file named on the command line is read whatever its name; of the other kinds, only the
      // pipe of a process substitution (<(zcat x.gz), /dev/fd/N) or /dev/stdin, which have a writer.
      // A named pipe made with mkfifo may have none, and reading it would wait for ever.
      if (st.isFIFO() && !PROCESS_PIPE.test(p)) throw new InputError(`cannot read input ${p}: a named pipe (FIFO), which may have no writer; give flowir a file, or the data on stdin as -`);
      if (!st.isFile() && !st.isFIFO()) throw new InputError(`cannot read input ${p}: not a regular file`);
      // Only a regular file is looked into: bytes read from a pipe would be gone for the scan.
      if (st.isFile()) await checkReadable(p);
      if (st.isFile() && (await isParquet(p))) throw new InputError(`cannot read input ${p}: a Parquet file (${TEXT_ONLY})`);
      this.file(st, { name: p, path: p, size: Number(st.size) });
      return;
    }
    const found = await this.walk(p, st, []);
    if (found === 0) throw new InputError(`no flow-log files in ${p}: ${await this.nothingFound(p)}`);
  }

  /** Why a folder yields nothing to read, from what was passed over in it. */
  private async nothingFound(dir: string): Promise<string> {
    const inside = path.join(dir, path.sep);
    const passed = this.ignored.filter((f) => f.file.startsWith(inside));
    if (passed.length === 0) {
      const entries = await fs.readdir(dir).catch(() => ['?']);
      return entries.length === 0 ? 'the folder is empty' : 'no file in it or its subfolders is named *.log or *.gz';
    }
    const parquet = passed.filter((f) => f.reason === PARQUET_REASON).length;
    const names = passed.slice(0, 3).map((f) => path.relative(dir, f.file));
    const more = passed.length > names.length ? `, and ${passed.length - names.length} more` : '';
    return (
      `a folder is searched for files named *.log or *.gz (as AWS delivers them), and it has ${passed.length} other entr${passed.length === 1 ? 'y' : 'ies'} (${names.join(', ')}${more})` +
      (parquet > 0 ? `; ${parquet} of them Parquet, which flowir does not read` : '')
    );
  }

  private file(st: Identity, source: InputSource): void {
    const key = keyOf(st);
    if (this.files.has(key)) return;
    this.files.add(key);
    this.sources.push(source);
  }

  /** Walk a folder (sorted, recursively); returns how many flow-log files it holds, read before or now. */
  private async walk(dir: string, st: Identity, outer: readonly string[]): Promise<number> {
    const key = keyOf(st);
    const known = this.folders.get(key);
    if (known !== undefined) return known;
    this.folders.set(key, 0);
    let entries;
    try {
      entries = await fs.readdir(dir, { withFileTypes: true });
    } catch (e) {
      throw new InputError(`cannot read folder ${dir}: ${(e as Error).message}`);
    }
    entries.sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
    // One array per folder, shared by the files in it.
    const folders = [...outer, dir];
    let found = 0;
    for (const e of entries) {
      const full = path.join(dir, e.name);
      if (e.name.startsWith('.')) {
        this.ignored.push({ file: full, reason: 'hidden' });
        continue;
      }
      let kind: 'file' | 'folder' | 'other' = e.isDirectory() ? 'folder' : e.isFile() ? 'file' : 'other';
      let target: BigIntStats | undefined;
      if (e.isSymbolicLink() || kind !== 'other') {
        try {
          target = await statOf(full);
        } catch (err) {
          this.ignored.push({ file: full, reason: e.isSymbolicLink() ? 'a symbolic link to nothing' : `cannot read: ${(err as Error).message}` });
          continue;
        }
        kind = target.isDirectory() ? 'folder' : target.isFile() ? 'file' : 'other';
      }
      if (kind === 'folder' && target !== undefined) {
        found += await this.walk(full, target, folders);
      } else if (kind === 'file' && target !== undefined) {
        if (FLOW_LOG_NAME.test(e.name)) {
          // A flow-log file that cannot be read is the same mistake inside a folder as named alone.
          await checkReadable(full);
          found++;
          this.file(target, { name: full, path: full, size: Number(target.size), folders });
        } else if (PARQUET_NAME.test(e.name)) {
          const f = { file: full, reason: PARQUET_REASON };
          this.ignored.push(f);
          this.unsupported.push(f);
        } else {
          this.ignored.push({ file: full, reason: 'not a flow-log file name (*.log, *.gz)' });
        }
      } else {
        this.ignored.push({ file: full, reason: 'not a regular file' });
      }
    }
    this.folders.set(key, found);
    return found;
  }
}

/** The pipe of a process substitution, or stdin by name: these have a writer. */
const PROCESS_PIPE = /^\/(?:dev\/fd\/\d+|proc\/self\/fd\/\d+|dev\/stdin)$/;

/** A file this process may not read is refused before anything is scanned (exit 1), naming it and why. */
async function checkReadable(file: string): Promise<void> {
  try {
    const handle = await fs.open(file, 'r');
    await handle.close();
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    throw new InputError(`cannot read input ${file}: ${code === 'EACCES' || code === 'EPERM' ? 'permission denied' : (e as Error).message}`);
  }
}

/** Whether a file starts as Parquet does; false when it cannot be read (the scan reports that). */
async function isParquet(file: string): Promise<boolean> {
  let handle;
  try {
    handle = await fs.open(file, 'r');
  } catch {
    return false;
  }
  try {
    const head = Buffer.alloc(PARQUET_MAGIC.length);
    const { bytesRead } = await handle.read(head, 0, head.length, 0);
    return bytesRead === head.length && head.equals(PARQUET_MAGIC);
  } catch {
    return false;
  } finally {
    await handle.close();
  }
}

/**
 * Expand CLI paths: files as given, folders searched recursively (sorted; hidden entries and files
 * not named as flow logs passed over and reported), `-` for stdin. A file reached twice is listed
 * once. A path that does not exist or cannot be read, a folder with no flow-log file and a Parquet
 * file named are errors naming the path.
 */
export async function expandInputs(paths: readonly string[]): Promise<InputList> {
  if (paths.length === 0) throw new InputError('no input: give flow-log files or folders, or - for stdin');
  const x = new Expansion();
  for (const p of paths) await x.add(p);
  return Object.assign(x.sources, { report: { ignored: x.ignored, unsupported: x.unsupported } });
}

const GZIP_MAGIC_0 = 0x1f;
const GZIP_MAGIC_1 = 0x8b;

/** Open a source as a byte stream, gunzipping (all members) when it starts with the gzip magic. */
export async function openSource(src: InputSource, stdin: Readable = process.stdin): Promise<{ stream: Readable; gzip: boolean }> {
  const raw: Readable = src.path === '-' ? stdin : createReadStream(src.path, { highWaterMark: 1 << 20 });
  const first = await peek(raw);
  const gzip = first.length >= 2 && first[0] === GZIP_MAGIC_0 && first[1] === GZIP_MAGIC_1;
  if (!gzip) return { stream: raw, gzip };
  const gunzip = new GunzipMembers();
  raw.on('error', (e) => gunzip.destroy(e));
  // Damage stops the gunzip; without this the rest of the file stays open, unread, until exit.
  gunzip.on('close', () => raw.destroy());
  return { stream: raw.pipe(gunzip), gzip };
}

/**
 * The first bytes available on a stream, left in place for the next reader. They are put back
 * inside the 'readable' handler: a tick later, a stream that had already ended (a fully written
 * pipe or stdin) would have emitted 'end', and the bytes put back then would be lost unread.
 */
function peek(stream: Readable): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    // Already read to its end (stdin named twice): no event would ever come.
    if (stream.readableEnded || stream.destroyed) return resolve(Buffer.alloc(0));
    const onReadable = (): void => {
      cleanup();
      const chunk = stream.read() as Buffer | null;
      if (chunk !== null && chunk.length > 0) stream.unshift(chunk);
      resolve(chunk ?? Buffer.alloc(0));
    };
    const onEnd = (): void => {
      cleanup();
      resolve(Buffer.alloc(0));
    };
    const onError = (e: Error): void => {
      cleanup();
      reject(e);
    };
    const cleanup = (): void => {
      stream.off('readable', onReadable);
      stream.off('end', onEnd);
      stream.off('error', onError);
    };
    stream.on('readable', onReadable);
    stream.on('end', onEnd);
    stream.on('error', onError);
  });
}

/**
 * Feed every line of a source to the scanner. A damaged gzip stream or a read error ends the file
 * with a reported problem; the lines before it still count.
 */
export async function scanSource(src: InputSource, scanner: LineScanner, stdin?: Readable): Promise<void> {
  const file = scanner.file(src.name);
  let opened;
  try {
    opened = await openSource(src, stdin);
  } catch (e) {
    file.broken(`cannot read: ${(e as Error).message}`, '');
    return;
  }
  await feedLines(opened.stream, file, opened.gzip);
}

/**
 * Split a byte stream into lines for one file; damage or a read error ends the file with a reported
 * problem. Chunks are taken as 'data' events rather than by async iteration, which drops chunks
 * already decoded but not yet read when the stream fails.
 */
export function feedLines(stream: Readable, file: FileScan, gzip: boolean): Promise<void> {
  return new Promise((resolve, reject) => {
    // An empty input has already ended while its first bytes were looked for.
    if (stream.readableEnded || stream.destroyed) return resolve();
    let pending = '';
    let settled = false;
    const settle = (): boolean => {
      if (settled) return false;
      settled = true;
      return true;
    };
    stream.setEncoding('utf8');
    stream.on('data', (chunk: string) => {
      if (settled) return;
      try {
        const text = pending + chunk;
        let from = 0;
        let nl = text.indexOf('\n', from);
        while (nl !== -1) {
          file.line(text.slice(from, nl));
          from = nl + 1;
          nl = text.indexOf('\n', from);
        }
        pending = text.slice(from);
      } catch (e) {
        // A fault in our own code, not in the input: stop reading and let the caller see it.
        if (settle()) {
          stream.destroy();
          reject(e instanceof Error ? e : new Error(String(e)));
        }
      }
    });
    stream.once('end', () => {
      if (!settle()) return;
      try {
        if (pending.length > 0) file.line(pending);
        resolve();
      } catch (e) {
        reject(e instanceof Error ? e : new Error(String(e)));
      }
    });
    stream.once('error', (e: Error) => {
      if (!settle()) return;
      file.broken(gzip ? `damaged gzip data (${e.message})` : `read error (${e.message})`, pending);
      resolve();
    });
  });
}
