import { blockTargetFor, checkGuardrails, rateLimitRefusal, type GuardrailRefusal } from '../core/containment/guardrails';
import { planAdd } from '../core/containment/ip-set';
import { INCIDENT_CONFIG_LIMITS } from '../core/policy/incident-config';
import type { BlockInput, BlockOutput } from '../workflows/contract';
import { changeIpSet, DEFAULT_LOCK_RETRY, type LockRetryPolicy } from './containment/ip-set-update';
import type { GuardrailSettings, IpSetPair } from './containment/settings';
import { readExecutionName, readFinding, readObject, readWholeNumber } from './containment/task-input';
import { budgetHour, IpSetLimitError, type BlockBudget, type BlockRecord, type BlockRegistry, type Clock, type IpSetPort } from './ports';

export interface BlockDeps {
  readonly ipSets: IpSetPair;
  readonly ipSet: IpSetPort;
  readonly registry: BlockRegistry;
  /** The hourly cap, counted atomically across concurrent incidents. */
  readonly budget: BlockBudget;
  readonly guardrails: GuardrailSettings;
  readonly clock: Clock;
  readonly retry?: LockRetryPolicy;
}

/**
 * The `BlockSource` step: re-check every guardrail (the hourly cap and the IP set's size can have
 * changed since the policy step), take one block of the hour's cap (atomically: at most
 * `maxBlocksPerHour` per UTC clock hour, however many incidents block at once), record the block,
 * then add the source to its WAF IP set. A block the IP set then refuses keeps its count: the cap
 * errs on the side of fewer blocks.
 *
 * The record is written before the IP set so that an address is never in the set without a record
 * that the sweeper would release. Running the step again for the same execution changes nothing
 * and returns the same block.
 */
export function createBlockHandler(deps: BlockDeps): (input: BlockInput) => Promise<BlockOutput> {
  const retry = deps.retry ?? DEFAULT_LOCK_RETRY;
  return async (raw) => {
    const input = readObject(raw, 'input');
    const { doc: finding } = readFinding(input.finding);
    const executionName = readExecutionName(input.executionName);
    const { min, max } = INCIDENT_CONFIG_LIMITS.blockDurationSeconds;
    const blockSeconds = readWholeNumber(input.blockSeconds, 'blockSeconds', min, max);

    const now = deps.clock.now();
    const target = blockTargetFor(finding.source);
    const previous = target === undefined ? undefined : (await deps.registry.byExecution(executionName)).find((r) => r.cidr === target.cidr);
    // The ranges first; the cap is taken only for a block that may happen.
    const decision = checkGuardrails({
      source: finding.source,
      allowlist: deps.guardrails.neverBlock,
      vpcCidrs: deps.guardrails.vpcCidrs,
      allowPrivate: deps.guardrails.allowPrivate,
      blocksInLastHour: 0,
      maxBlocksPerHour: deps.guardrails.maxBlocksPerHour,
      alreadyBlocked: previous !== undefined,
    });
    if (!decision.allowed) return guarded(decision.refusal);
    // A retried step whose block is recorded took its count the first time.
    if (previous === undefined) {
      const max = deps.guardrails.maxBlocksPerHour;
      const taken = await deps.budget.take(now, max);
      if (!taken.taken) return guarded(rateLimitRefusal(taken.used, max, `this hour (since ${budgetHour(now).slice(11)}:00 UTC)`));
    }

    const set = deps.ipSets[decision.target.ipSet];
    const record: BlockRecord = previous ?? {
      cidr: decision.target.cidr,
      ipSet: set,
      executionName,
      findingId: finding.id,
      blockedAt: now.toISOString(),
      expiresAt: new Date(now.getTime() + blockSeconds * 1000).toISOString(),
    };
    if (previous === undefined) await deps.registry.put(record);

    let refusal: GuardrailRefusal | undefined;
    try {
      refusal = await changeIpSet(
        deps.ipSet,
        record.ipSet,
        (addresses) => {
          const plan = planAdd(addresses, record.cidr);
          if (!plan.ok) return { write: null, result: plan.refusal };
          if (plan.changed) return { write: plan.addresses, result: undefined };
          // Already there. A first block still writes the list unchanged: the new lock token makes a
          // release that read the set before this record existed retry, see the record, and keep the address.
          const touch = previous === undefined && plan.coveredBy === null;
          return { write: touch ? plan.addresses : null, result: undefined };
        },
        retry,
      );
    } catch (e) {
      if (!(e instanceof IpSetLimitError)) throw e;
      refusal = { guardrail: 'ip-set-limit', reason: `WAF refused to add ${record.cidr} to IP set ${record.ipSet.name}: ${e.message}`, matched: null };
    }
    if (refusal !== undefined) {
      await deps.registry.remove(record.cidr, executionName);
      return guarded(refusal);
    }

    return {
      status: 'blocked',
      blocked: [record.cidr],
      ipSet: { name: record.ipSet.name, id: record.ipSet.id, scope: record.ipSet.scope },
      blockedAt: record.blockedAt,
      expiresAt: record.expiresAt,
      durationSeconds: Math.round((Date.parse(record.expiresAt) - Date.parse(record.blockedAt)) / 1000),
    };
  };
}

function guarded(refusal: GuardrailRefusal): BlockOutput {
  return { status: 'guarded', guardrail: refusal.guardrail, reason: refusal.reason };
}
