import { spawnSync } from 'node:child_process';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { lockStateDir, openStateDir, StateDirLockedError } from '../../../local/adapters';

let dir: string;
beforeEach(async () => {
  dir = await mkdtemp(path.join(tmpdir(), 'flowir-lock-'));
});
afterEach(async () => {
  await rm(dir, { recursive: true, force: true });
});

/** A pid that is certainly not running: a child that has already exited. */
function deadPid(): number {
  const child = spawnSync(process.execPath, ['-e', 'process.stdout.write(String(process.pid))']);
  return Number(child.stdout.toString());
}

describe('one writer per state dir', () => {
  it('a second lock while the first is held is refused, naming the owner; after release it is free again', async () => {
    const state = await openStateDir(dir);
    const first = await lockStateDir(state);
    const second = lockStateDir(state);
    await expect(second).rejects.toThrow(StateDirLockedError);
    await expect(lockStateDir(state)).rejects.toThrow(new RegExp(`in use by another flowir run \\(process ${process.pid}, since `));
    await first.release();
    const third = await lockStateDir(state);
    await third.release();
  });

  it('of 50 concurrent attempts exactly one holds the lock', async () => {
    const state = await openStateDir(dir);
    const outcomes = await Promise.allSettled(Array.from({ length: 50 }, () => lockStateDir(state)));
    const held = outcomes.filter((o) => o.status === 'fulfilled');
    expect(held).toHaveLength(1);
    expect(outcomes.filter((o) => o.status === 'rejected').every((o) => o.status === 'rejected' && o.reason instanceof StateDirLockedError)).toBe(true);
  });

  it('a stale lock (its process is gone: killed with -9) is taken over', async () => {
    const state = await openStateDir(dir);
    const file = path.join(state.root, 'lock.json');
    const pid = deadPid();
    await writeFile(file, JSON.stringify({ pid, host: (await import('node:os')).hostname(), startedAt: '2026-12-04T20:00:00.000Z', token: 'old' }));
    const lock = await lockStateDir(state);
    expect(JSON.parse(await readFile(file, 'utf8'))).toMatchObject({ pid: process.pid });
    await lock.release();
  });

  it('a lock from another host is refused with what to do', async () => {
    const state = await openStateDir(dir);
    await writeFile(path.join(state.root, 'lock.json'), JSON.stringify({ pid: 4242, host: 'elsewhere.example', startedAt: '2026-12-04T20:00:00.000Z', token: 't' }));
    await expect(lockStateDir(state)).rejects.toThrow(/locked by process 4242 on host elsewhere\.example .* delete that file/);
  });

  it('release leaves a lock that another run took meanwhile', async () => {
    const state = await openStateDir(dir);
    const lock = await lockStateDir(state);
    const file = path.join(state.root, 'lock.json');
    await writeFile(file, JSON.stringify({ pid: process.pid, host: 'h', startedAt: 'x', token: 'someone-else' }));
    await lock.release();
    expect(JSON.parse(await readFile(file, 'utf8'))).toMatchObject({ token: 'someone-else' });
  });
});
