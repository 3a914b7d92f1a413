import { createReadStream, promises as fs } from 'node:fs';
import * as path from 'node:path';
import { Readable } from 'node:stream';
import type { FileScan, LineScanner } from '../../core/scan/scanner';
import { GunzipMembers } from './gzip-members';

/** One file (or stdin) to read flow-log lines from. */
export interface InputSource {
  /** Path as the user will recognise it in reports; `-` for stdin. */
  readonly name: string;
  readonly path: string;
  readonly size: number;
}

export class InputError extends Error {
  override readonly name = 'InputError';
}

/**
 * Expand CLI paths: files as given, folders searched recursively (sorted, hidden entries skipped),
 * `-` for stdin. A path that does not exist or cannot be read is an error naming it.
 */
export async function expandInputs(paths: readonly string[]): Promise<InputSource[]> {
  if (paths.length === 0) throw new InputError('no input: give flow-log files or folders, or - for stdin');
  const out: InputSource[] = [];
  for (const p of paths) {
    if (p === '-') {
      out.push({ name: '-', path: '-', size: 0 });
      continue;
    }
    let st;
    try {
      st = await fs.stat(p);
    } catch (e) {
      throw new InputError(`cannot read input ${p}: ${(e as NodeJS.ErrnoException).code === 'ENOENT' ? 'no such file or folder' : (e as Error).message}`);
    }
    if (st.isDirectory()) await walk(p, out);
    else out.push({ name: p, path: p, size: st.size });
  }
  return out;
}

async function walk(dir: string, out: InputSource[]): Promise<void> {
  let entries;
  try {
    entries = await fs.readdir(dir, { withFileTypes: true });
  } catch (e) {
    throw new InputError(`cannot read folder ${dir}: ${(e as Error).message}`);
  }
  entries.sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
  for (const e of entries) {
    if (e.name.startsWith('.')) continue;
    const full = path.join(dir, e.name);
    if (e.isDirectory()) await walk(full, out);
    else if (e.isFile()) out.push({ name: full, path: full, size: (await fs.stat(full)).size });
  }
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
