import { randomUUID } from 'node:crypto';
import { promises as fs } from 'node:fs';
import { hostname } from 'node:os';
import * as path from 'node:path';
import { StateDirError, type StateDir } from './state-dir';

/** Another process owns the state dir: a second `flowir run` on it is refused (exit 1). */
export class StateDirLockedError extends StateDirError {}

interface LockOwner {
  readonly pid: number;
  readonly host: string;
  readonly startedAt: string;
  readonly token: string;
}

export interface StateDirLock {
  readonly file: string;
  readonly owner: LockOwner;
  /** Remove the lock, if it is still this one. */
  release(): Promise<void>;
}

const LOCK_NAME = 'lock.json';

/**
 * One writer per state dir. Two runs on one folder contain the same incidents twice and overwrite
 * each other's histories and evidence, so a run takes the lock first: a file made with O_EXCL
 * (`wx`), which only one process can create, holding its pid, host and start time. A lock whose
 * process is gone (same host, pid not alive: a run killed with -9) is stale and taken over; a lock
 * from another host cannot be checked, and is refused with what to do.
 */
export async function lockStateDir(dir: StateDir, options: { readonly pid?: number; readonly host?: string; readonly now?: () => Date } = {}): Promise<StateDirLock> {
  const file = path.join(dir.root, LOCK_NAME);
  const owner: LockOwner = { pid: options.pid ?? process.pid, host: options.host ?? hostname(), startedAt: (options.now?.() ?? new Date()).toISOString(), token: randomUUID() };
  for (let attempt = 0; attempt < 3; attempt++) {
    try {
      await fs.writeFile(file, `${JSON.stringify(owner)}\n`, { flag: 'wx', mode: 0o600 });
      return { file, owner, release: () => releaseIfOwn(file, owner.token) };
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== 'EEXIST') throw new StateDirError(dir.root, `cannot be locked (${(e as Error).message})`);
    }
    const held = await readOwner(file);
    if (held === undefined) continue; // released meanwhile, or unreadable and then removed below
    if (held.host !== owner.host) {
      throw new StateDirLockedError(dir.root, `is locked by process ${held.pid} on host ${held.host} since ${held.startedAt} (${file}); if no flowir run uses this folder any more, delete that file`);
    }
    if (isAlive(held.pid)) {
      throw new StateDirLockedError(dir.root, `is in use by another flowir run (process ${held.pid}, since ${held.startedAt}); wait for it to end, or give this run its own --state-dir`);
    }
    // Stale: its process is gone. Move it aside (only one taker's rename succeeds), then try again.
    await fs.rename(file, `${file}.stale-${held.pid}-${owner.token}`).catch(() => undefined);
    await fs.rm(`${file}.stale-${held.pid}-${owner.token}`, { force: true });
  }
  throw new StateDirLockedError(dir.root, `could not be locked after 3 attempts: another run keeps taking ${file}`);
}

async function readOwner(file: string): Promise<LockOwner | undefined> {
  let text: string;
  try {
    text = await fs.readFile(file, 'utf8');
  } catch {
    return undefined;
  }
  try {
    const doc = JSON.parse(text) as Partial<LockOwner>;
    if (typeof doc.pid === 'number' && typeof doc.host === 'string' && typeof doc.startedAt === 'string' && typeof doc.token === 'string') return doc as LockOwner;
  } catch {
    // fall through: a lock file cut short by a crash while it was written
  }
  // Unreadable: written by a process that died mid-write. Treat as stale (pid 0 is never alive here).
  return { pid: 0, host: hostname(), startedAt: 'unknown', token: '' };
}

function isAlive(pid: number): boolean {
  if (!Number.isSafeInteger(pid) || pid <= 0) return false;
  try {
    process.kill(pid, 0);
    return true;
  } catch (e) {
    // EPERM: it exists, under another user.
    return (e as NodeJS.ErrnoException).code === 'EPERM';
  }
}

async function releaseIfOwn(file: string, token: string): Promise<void> {
  const held = await readOwner(file);
  if (held?.token === token) await fs.rm(file, { force: true });
}
