/**
 * File helpers shared by the local adapters: atomic writes, JSON reads that name the file on
 * error, and names that are safe to use as file names under the state dir.
 */
import { randomBytes } from 'node:crypto';
import { promises as fs } from 'node:fs';
import * as path from 'node:path';

/** A file under the state dir is missing its expected shape, or cannot be read or written. */
export class StateFileError extends Error {
  override readonly name = 'StateFileError';
  constructor(
    readonly file: string,
    message: string,
    options?: { cause?: unknown },
  ) {
    super(`${file}: ${message}`, options);
  }
}

/** A name given to an adapter cannot be used as a file name (it would leave its folder, or is empty). */
export class UnsafeNameError extends Error {
  override readonly name = 'UnsafeNameError';
}

const SAFE_NAME = /^[A-Za-z0-9_][A-Za-z0-9_.-]{0,199}$/;

/** Check that `name` is one path segment of letters, digits, `_`, `-` and `.` (not `.` or `..`). */
export function safeName(name: string, what: string): string {
  if (!SAFE_NAME.test(name)) throw new UnsafeNameError(`${what} ${JSON.stringify(name)} is not usable as a file name (letters, digits, _ - . only, 1 to 200 characters, not starting with . or -)`);
  return name;
}

/**
 * Write a file so that readers see the old content or the new, never a part: write a temporary
 * file in the same folder, then rename it over the target (atomic on one file system).
 */
export async function writeFileAtomic(file: string, data: string | Buffer, mode = 0o644): Promise<void> {
  const dir = path.dirname(file);
  await fs.mkdir(dir, { recursive: true });
  const tmp = path.join(dir, `.${path.basename(file)}.${process.pid}.${randomBytes(6).toString('hex')}.tmp`);
  try {
    await fs.writeFile(tmp, data, { mode, flag: 'wx' });
    await fs.rename(tmp, file);
  } catch (e) {
    await fs.rm(tmp, { force: true });
    throw new StateFileError(file, `cannot write: ${(e as Error).message}`, { cause: e });
  }
}

export async function writeJsonAtomic(file: string, value: unknown, mode?: number): Promise<void> {
  await writeFileAtomic(file, `${JSON.stringify(value, null, 2)}\n`, mode);
}

/** The parsed JSON of a file, or undefined when the file does not exist. */
export async function readJsonIfExists(file: string): Promise<unknown> {
  let text: string;
  try {
    text = await fs.readFile(file, 'utf8');
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw new StateFileError(file, `cannot read: ${(e as Error).message}`, { cause: e });
  }
  try {
    return JSON.parse(text) as unknown;
  } catch (e) {
    throw new StateFileError(file, `not valid JSON (${(e as Error).message})`, { cause: e });
  }
}

/** File names in a folder, sorted; an absent folder has none. */
export async function listFiles(dir: string): Promise<string[]> {
  try {
    const entries = await fs.readdir(dir, { withFileTypes: true });
    return entries
      .filter((e) => e.isFile() && !e.name.startsWith('.'))
      .map((e) => e.name)
      .sort();
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') return [];
    throw new StateFileError(dir, `cannot list: ${(e as Error).message}`, { cause: e });
  }
}

export type JsonRecord = Record<string, unknown>;

export function isRecord(value: unknown): value is JsonRecord {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** Read a field of a stored document, failing with the file and field named. */
export function field<T>(file: string, doc: JsonRecord, name: string, check: (v: unknown) => v is T, expected: string): T {
  const v = doc[name];
  if (!check(v)) throw new StateFileError(file, `${name}: expected ${expected}, got ${JSON.stringify(v)}`);
  return v;
}

export const isString = (v: unknown): v is string => typeof v === 'string';
export const isNumber = (v: unknown): v is number => typeof v === 'number' && Number.isFinite(v);
export const isStringArray = (v: unknown): v is string[] => Array.isArray(v) && v.every((x) => typeof x === 'string');
