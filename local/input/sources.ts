import { createReadStream, promises as fs } from 'node:fs';
import * as path from 'node:path';
import { Readable } from 'node:stream';
import { createGunzip } from 'node:zlib';
import type { FileScan, LineScanner } from '../../core/scan/scanner';

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
  if (first.length > 0) raw.unshift(first);
  if (!gzip) return { stream: raw, gzip };
  const gunzip = createGunzip({ chunkSize: 1 << 18 });
  raw.on('error', (e) => gunzip.destroy(e));
  return { stream: raw.pipe(gunzip), gzip };
}

function peek(stream: Readable): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const onReadable = (): void => {
      cleanup();
      const chunk = stream.read() as Buffer | null;
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

export async function feedLines(stream: Readable, file: FileScan, gzip: boolean): Promise<void> {
  let pending = '';
  stream.setEncoding('utf8');
  try {
    for await (const chunk of stream as AsyncIterable<string>) {
      let text = pending + chunk;
      let from = 0;
      let nl = text.indexOf('\n', from);
      while (nl !== -1) {
        file.line(text.slice(from, nl));
        from = nl + 1;
        nl = text.indexOf('\n', from);
      }
      pending = text.slice(from);
      text = '';
    }
  } catch (e) {
    const what = gzip ? `damaged gzip data (${(e as Error).message})` : `read error (${(e as Error).message})`;
    file.broken(what, pending);
    return;
  }
  if (pending.length > 0) file.line(pending);
}
