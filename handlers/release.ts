import type { ReleaseInput, ReleaseOutput } from '../workflows/contract';
import { releaseBlocks, releaseNetworkAclHoldings, type ReleaseDeps } from './containment/release-blocks';
import { readExecutionName, readFinding, readObject } from './containment/task-input';
import type { Clock } from './ports';

export interface ReleaseHandlerDeps extends ReleaseDeps {
  readonly clock: Clock;
}

/**
 * The `ReleaseBlock` and `ReleaseAfterFailure` steps: end every block this execution placed, in the
 * WAF IP set and in the network ACLs. An address another live incident still blocks stays. Running it again releases nothing more.
 */
export function createReleaseHandler(deps: ReleaseHandlerDeps): (input: ReleaseInput) => Promise<ReleaseOutput> {
  return async (raw) => {
    const input = readObject(raw, 'input');
    readFinding(input.finding);
    const executionName = readExecutionName(input.executionName);
    const now = deps.clock.now();
    const released = await releaseBlocks(await deps.registry.byExecution(executionName), now, deps);
    // The ACL entries after the WAF block: a failure here leaves their holdings for the sweeper.
    const holdings = deps.networkAcl === undefined ? [] : (await deps.networkAcl.ledger.all()).filter((h) => h.executionName === executionName);
    const entries = await releaseNetworkAclHoldings(holdings, deps);
    return { released: released.map((r) => r.cidr), ...(deps.networkAcl === undefined ? {} : { releasedNetworkAclEntries: entries }), releasedAt: now.toISOString() };
  };
}
