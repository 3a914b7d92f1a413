import { createHash } from 'node:crypto';
import { promises as fs } from 'node:fs';
import * as path from 'node:path';
import type { ObjectStore, StoredObject } from '../../handlers/ports';
import { StateFileError, writeFileAtomic } from './files';

/** An object key that would not stay inside the store's folder (or cannot be a file path). */
export class ObjectKeyError extends Error {
  override readonly name = 'ObjectKeyError';
}

/**
 * The evidence bucket as a folder: key `a/b/c.json` is the file `<root>/a/b/c.json`. Keys are
 * checked before any file is touched: no absolute keys, no `.`/`..`/empty segments, no
 * backslashes or NUL, so a key can never reach outside the folder. The content type is not kept.
 */
export class FileObjectStore implements ObjectStore {
  constructor(readonly root: string) {}

  /** The file that holds a key (the key checked first). */
  pathOf(key: string): string {
    const segments = keySegments(key, 'key');
    if (segments.length === 0) throw new ObjectKeyError('key: empty');
    const file = path.join(this.root, ...segments);
    const rel = path.relative(this.root, file);
    if (rel.startsWith('..') || path.isAbsolute(rel)) throw new ObjectKeyError(`key ${JSON.stringify(key)} leaves the store`);
    return file;
  }

  async put(key: string, body: Buffer | string, _contentType: string): Promise<StoredObject> {
    const file = this.pathOf(key);
    const bytes = typeof body === 'string' ? Buffer.from(body, 'utf8') : body;
    await writeFileAtomic(file, bytes);
    return { key, sha256: createHash('sha256').update(bytes).digest('hex'), bytes: bytes.length };
  }

  async get(key: string): Promise<Buffer | undefined> {
    const file = this.pathOf(key);
    try {
      return await fs.readFile(file);
    } catch (e) {
      const code = (e as NodeJS.ErrnoException).code;
      if (code === 'ENOENT' || code === 'EISDIR' || code === 'ENOTDIR') return undefined;
      throw new StateFileError(file, `cannot read: ${(e as Error).message}`, { cause: e });
    }
  }

  /** Keys starting with `prefix` (a string prefix, as S3 ListObjectsV2), in byte order. */
  async list(prefix: string): Promise<string[]> {
    // Only whole segments name a folder to start from; a partial last segment filters names.
    const segments = prefix.length === 0 ? [] : keySegments(prefix.endsWith('/') ? prefix.slice(0, -1) : prefix, 'prefix');
    const folderSegments = prefix.endsWith('/') ? segments : segments.slice(0, -1);
    const keys: string[] = [];
    await walk(path.join(this.root, ...folderSegments), folderSegments.join('/'), keys);
    return keys.filter((k) => k.startsWith(prefix)).sort((a, b) => Buffer.compare(Buffer.from(a), Buffer.from(b)));
  }
}

function keySegments(key: string, what: string): string[] {
  if (key.length === 0) return [];
  if (key.includes('\0')) throw new ObjectKeyError(`${what} ${JSON.stringify(key)} contains a NUL byte`);
  if (key.includes('\\')) throw new ObjectKeyError(`${what} ${JSON.stringify(key)} contains a backslash`);
  if (key.startsWith('/') || path.isAbsolute(key)) throw new ObjectKeyError(`${what} ${JSON.stringify(key)} is absolute`);
  const segments = key.split('/');
  for (const s of segments) {
    if (s === '..' || s === '.') throw new ObjectKeyError(`${what} ${JSON.stringify(key)} has a "${s}" segment`);
    if (s === '') throw new ObjectKeyError(`${what} ${JSON.stringify(key)} has an empty segment`);
    // Dot names are the atomic writer's temporaries locally; an object named so would never be listed.
    if (s.startsWith('.')) throw new ObjectKeyError(`${what} ${JSON.stringify(key)} has a segment starting with "." (reserved by the local store)`);
  }
  return segments;
}

async function walk(dir: string, keyPrefix: string, out: string[]): Promise<void> {
  let entries;
  try {
    entries = await fs.readdir(dir, { withFileTypes: true });
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    if (code === 'ENOENT' || code === 'ENOTDIR') return;
    throw new StateFileError(dir, `cannot list: ${(e as Error).message}`, { cause: e });
  }
  for (const e of entries) {
    // Dot files are the atomic writer's temporaries, never objects.
    if (e.name.startsWith('.')) continue;
    const key = keyPrefix === '' ? e.name : `${keyPrefix}/${e.name}`;
    if (e.isDirectory()) await walk(path.join(dir, e.name), key, out);
    else if (e.isFile()) out.push(key);
  }
}
