import { promises as fs } from 'node:fs';
import * as path from 'node:path';
import { releaseBlocks } from '../../handlers/containment/release-blocks';
import type { Clock } from '../../handlers/ports';
import type { LocalAdapters } from '../adapters';

export interface StartupSweep {
  /** Blocks an earlier run left (it was killed before releasing them), now released. */
  readonly released: ReadonlyArray<{ readonly cidr: string; readonly executionName: string; readonly reason: 'expired' | 'run-ended' }>;
  /** Temporary files of interrupted atomic writes, removed (relative to the state dir). */
  readonly removedTempFiles: readonly string[];
}

const FAR_FUTURE = '9999-12-31T23:59:59.999Z';
// writeJsonAtomic's temporary names: `.<file>.<pid>.<12 hex>.tmp`.
const TEMP_FILE = /^\..+\.\d+\.[0-9a-f]{12}\.tmp$/;

/**
 * What the deployed sweeper does, at the start of a run: no block outlives its incident. This run
 * holds the state dir's lock, so no execution of an earlier run is alive (a local execution dies
 * with its process, and cannot release what it blocked): every block still recorded is released,
 * expired or not, and every temporary file of an interrupted write is removed.
 */
export async function sweepStateDir(adapters: LocalAdapters, clock: Clock): Promise<StartupSweep> {
  const now = clock.now();
  const left = await adapters.blocks.expired(FAR_FUTURE);
  const released = await releaseBlocks(left, now, { ipSet: adapters.ipSets, registry: adapters.blocks });
  const removedTempFiles: string[] = [];
  const root = adapters.stateDir.root;
  const visit = async (dir: string): Promise<void> => {
    let entries;
    try {
      entries = await fs.readdir(dir, { withFileTypes: true });
    } catch {
      return;
    }
    for (const e of entries) {
      const p = path.join(dir, e.name);
      if (e.isDirectory()) await visit(p);
      else if (e.isFile() && TEMP_FILE.test(e.name)) {
        await fs.rm(p, { force: true });
        removedTempFiles.push(path.relative(root, p));
      }
    }
  };
  await visit(root);
  return {
    released: released.map((r) => ({ cidr: r.cidr, executionName: r.executionName, reason: Date.parse(r.expiresAt) <= now.getTime() ? 'expired' : 'run-ended' })),
    removedTempFiles: removedTempFiles.sort(),
  };
}
