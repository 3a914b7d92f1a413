import type { ReleaseInput, ReleaseOutput } from '../workflows/contract';
import { releaseBlocks, type ReleaseDeps } from './containment/release-blocks';
import { readExecutionName, readFinding, readObject } from './containment/task-input';
import type { Clock } from './ports';

export interface ReleaseHandlerDeps extends ReleaseDeps {
  readonly clock: Clock;
}

/**
 * The `ReleaseBlock` and `ReleaseAfterFailure` steps: end every block this execution placed. An
 * address another live incident still blocks stays in the IP set. Running it again releases nothing more.
 */
export function createReleaseHandler(deps: ReleaseHandlerDeps): (input: ReleaseInput) => Promise<ReleaseOutput> {
  return async (raw) => {
    const input = readObject(raw, 'input');
    readFinding(input.finding);
    const executionName = readExecutionName(input.executionName);
    const now = deps.clock.now();
    const released = await releaseBlocks(await deps.registry.byExecution(executionName), now, deps);
    return { released: released.map((r) => r.cidr), releasedAt: now.toISOString() };
  };
}
