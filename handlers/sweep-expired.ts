import { releaseBlocks, releaseNetworkAclHoldings, type ReleaseDeps } from './containment/release-blocks';
import { describe, readExecutionName, readObject, TaskInputError } from './containment/task-input';
import type { BlockRecord, Clock } from './ports';

/** Execution statuses after which the execution will never release its own blocks. */
export const ENDED_WITHOUT_RELEASE = ['ABORTED', 'FAILED', 'TIMED_OUT'] as const;

/**
 * What wakes the sweeper: the EventBridge schedule (`Scheduled Event`), a Step Functions
 * `Execution Status Change` event, or a manual invocation with `{}`.
 */
export type SweepEvent = Record<string, unknown>;

export interface SweepOutput {
  /** The execution whose end triggered this sweep, when it ended without releasing. */
  readonly endedExecution: string | null;
  /** Released blocks, `cidr` and the execution that placed it. */
  readonly released: ReadonlyArray<{ readonly cidr: string; readonly executionName: string; readonly reason: 'expired' | 'execution-ended' }>;
  /** Network ACL holdings ended (entry deleted unless another live block holds it). */
  readonly releasedNetworkAclEntries?: ReadonlyArray<{ readonly networkAclId: string; readonly ruleNumber: number; readonly cidr: string; readonly executionName: string; readonly reason: 'expired' | 'execution-ended' }>;
  readonly sweptAt: string;
}

export interface SweepDeps extends ReleaseDeps {
  readonly clock: Clock;
}

/**
 * Release every expired block, and every block of an execution that ended ABORTED, FAILED or
 * TIMED_OUT, so that no block outlives its incident (an execution stopped during its wait would
 * otherwise leave its address blocked for good).
 */
export function createSweepHandler(deps: SweepDeps): (event: SweepEvent) => Promise<SweepOutput> {
  return async (raw) => {
    const event = readObject(raw, 'event');
    const ended = endedExecution(event);
    const now = deps.clock.now();
    const expired = await deps.registry.expired(now.toISOString());
    const ofEnded = ended === null ? [] : await deps.registry.byExecution(ended);
    const reasons = new Map<string, 'expired' | 'execution-ended'>();
    const all: BlockRecord[] = [];
    for (const [records, reason] of [[ofEnded, 'execution-ended'], [expired, 'expired']] as const) {
      for (const r of records) {
        const k = `${r.cidr}\n${r.executionName}`;
        if (reasons.has(k)) continue;
        reasons.set(k, reason);
        all.push(r);
      }
    }
    const released = await releaseBlocks(all, now, deps);
    const acl = deps.networkAcl === undefined ? undefined : await sweepNetworkAcls(deps, ended, now);
    return {
      endedExecution: ended,
      released: released.map((r) => ({ cidr: r.cidr, executionName: r.executionName, reason: reasons.get(`${r.cidr}\n${r.executionName}`) ?? 'expired' })),
      ...(acl === undefined ? {} : { releasedNetworkAclEntries: acl }),
      sweptAt: now.toISOString(),
    };
  };
}

/** End the ACL holdings of the ended execution and every expired one, as for the WAF blocks. */
async function sweepNetworkAcls(deps: SweepDeps, ended: string | null, now: Date): Promise<NonNullable<SweepOutput['releasedNetworkAclEntries']>> {
  const holdings = (await deps.networkAcl?.ledger.all()) ?? [];
  const out: Array<NonNullable<SweepOutput['releasedNetworkAclEntries']>[number]> = [];
  for (const h of holdings) {
    const reason = h.executionName === ended ? 'execution-ended' : Date.parse(h.expiresAt) <= now.getTime() ? 'expired' : null;
    if (reason === null) continue;
    await releaseNetworkAclHoldings([h], deps);
    out.push({ networkAclId: h.networkAclId, ruleNumber: h.ruleNumber, cidr: h.cidr, executionName: h.executionName, reason });
  }
  return out;
}

/** The execution an `Execution Status Change` event reports as ended without release; null for other events. */
function endedExecution(event: Record<string, unknown>): string | null {
  if (event['detail-type'] !== 'Step Functions Execution Status Change') return null;
  const detail = readObject(event.detail, 'event.detail');
  if (typeof detail.status !== 'string') throw new TaskInputError('event.detail.status', `expected an execution status, got ${describe(detail.status)}`);
  if (!(ENDED_WITHOUT_RELEASE as readonly string[]).includes(detail.status)) return null;
  return readExecutionName(detail.name, 'event.detail.name');
}
