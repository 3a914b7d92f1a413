import { promises as fs } from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';

/** A fresh folder per test, removed after it. */
export function useTempDir(): { readonly path: string } {
  const holder = { path: '' };
  beforeEach(async () => {
    holder.path = await fs.mkdtemp(path.join(os.tmpdir(), 'flowir-adapters-'));
  });
  afterEach(async () => {
    await fs.rm(holder.path, { recursive: true, force: true });
  });
  return holder;
}

/** A clock that reads a settable time. */
export function fixedClock(iso: string): { now(): Date; set(iso: string): void } {
  let t = Date.parse(iso);
  return {
    now: () => new Date(t),
    set: (next: string) => {
      t = Date.parse(next);
    },
  };
}
