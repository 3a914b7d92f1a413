/**
 * Placing and removing flowir's network ACL deny entries, one ACL at a time.
 *
 * Network ACL entries have no lock token (unlike WAF IP sets, see ip-set-update.ts): two writers
 * that read the same entries pick the same free rule number, or both take the last slot of the
 * quota. So every read-plan-write on an ACL runs under that ACL's lease ({@link AclLease}), and the
 * registry ({@link NetworkAclLedger}) is read and written inside it, so the next holder sees every
 * entry the last one made. EC2 remains the last word: a rule number taken meanwhile by someone
 * outside flowir (NetworkAclEntryAlreadyExists) means read again and re-plan, a bounded number of
 * times; a full ACL (NetworkAclEntryLimitExceeded) is the same refusal the plan gives.
 *
 * Order of writes, so that a crash never leaves an entry nobody will delete (the failure of peers
 * that keep ACLs and a table apart, e.g. amazon-guardduty-waf-acl issue #4, "Repeated NACLs and
 * Unregistered in DynamoDB"): placing records the holding first, then creates the entry; removing
 * deletes the entry first, then forgets the holding. A crash in between leaves a holding without an
 * entry, which the next release or the sweeper forgets; never an entry without a holding.
 */
import { randomUUID } from 'node:crypto';
import type { GuardrailRefusal } from '../../core/containment/guardrails';
import { planNetworkAclDeny, planNetworkAclRemove, type NetworkAclOwnedEntry, type NetworkAclPlanOptions } from '../../core/containment/network-acl';
import { parseCidr } from '../../core/flowlog/address';
import { systemClock, type Clock } from '../ports';
import { NetworkAclEntryExistsError, NetworkAclEntryNotFoundError, NetworkAclLimitError, type AclLease, type AclLeaseGrant, type NetworkAclLedger, type NetworkAclPort } from '../ports/network-acl';
import type { LockRetryPolicy } from './ip-set-update';

export interface NetworkAclUpdatePolicy {
  /** Attempts to take the ACL's lease; every attempt after the first waits a full-jitter backoff. */
  readonly lease: LockRetryPolicy;
  /** How long a lease lasts if its holder never gives it back. */
  readonly leaseSeconds: number;
  /** No write starts with less than this left on the lease (the holder lets it go and tries again). */
  readonly leaseMarginMs: number;
  /** Re-reads after NetworkAclEntryAlreadyExists within one lease. */
  readonly maxConflicts: number;
}

export const DEFAULT_NETWORK_ACL_POLICY: NetworkAclUpdatePolicy = {
  lease: { maxAttempts: 30, baseDelayMs: 100, maxDelayMs: 2000, sleep: (ms) => new Promise((resolve) => setTimeout(resolve, ms)), random: Math.random },
  leaseSeconds: 30,
  leaseMarginMs: 5000,
  maxConflicts: 3,
};

export interface NetworkAclUpdateDeps {
  readonly acls: NetworkAclPort;
  readonly lease: AclLease;
  readonly ledger: NetworkAclLedger;
  /** Now, for whether another execution's holding is still live. */
  readonly clock?: Clock;
  /**
   * The clock the lease's expiry is on (default `clock`). Locally each execution has its own
   * simulated clock, fast-forwarded past its block's expiry, while the lease is shared: it runs on real time.
   */
  readonly leaseClock?: Clock;
  readonly policy?: NetworkAclUpdatePolicy;
}

/** The ACL's lease could not be had, or rule numbers kept being taken under it: the ACL is too busy now (the workflow may retry the step). */
export class NetworkAclBusyError extends Error {
  override readonly name = 'NetworkAclBusyError';
}

/** The lease ran (nearly) out before a write: let it go and start over. */
class LeaseExpiredError extends Error {
  override readonly name = 'LeaseExpiredError';
}

export interface NetworkAclDenyRequest {
  readonly networkAclId: string;
  /** The source as a `/32` or `/128` (see blockTargetFor). */
  readonly cidr: string;
  /** The execution the block belongs to: its holding, and the lease owner's name. */
  readonly executionName: string;
  /** When the block ends (ISO 8601), recorded with the holding. */
  readonly expiresAt: string;
  readonly plan?: NetworkAclPlanOptions;
}

/**
 * - `ruleNumber` set: flowir's entry denies the source (`changed`: this call created it), and this
 *   execution holds it;
 * - `coveredBy`: an entry flowir did not create already denies the source; nothing is held;
 * - `ok: false`: refused (GUARDED), nothing placed or held.
 */
export type NetworkAclDenyOutcome =
  | { readonly ok: true; readonly networkAclId: string; readonly cidr: string; readonly ruleNumber: number; readonly changed: boolean; readonly coveredBy: null }
  | { readonly ok: true; readonly networkAclId: string; readonly cidr: string; readonly ruleNumber: null; readonly changed: false; readonly coveredBy: { readonly ruleNumber: number; readonly cidr: string } }
  | { readonly ok: false; readonly networkAclId: string; readonly cidr: string; readonly refusal: GuardrailRefusal };

/**
 * Deny one source on one ACL (see planNetworkAclDeny for where the entry goes and when it is
 * refused). Idempotent: placing the same source again, from this execution or another, reuses
 * flowir's entry and only records the holding. A full ACL is refused, never made room in.
 */
export async function placeNetworkAclDeny(deps: NetworkAclUpdateDeps, request: NetworkAclDenyRequest): Promise<NetworkAclDenyOutcome> {
  const { networkAclId, executionName, expiresAt } = request;
  const cidr = parseCidr(request.cidr).text;
  const policy = deps.policy ?? DEFAULT_NETWORK_ACL_POLICY;
  return underLease(deps, networkAclId, executionName, async (check) => {
    const owned: NetworkAclOwnedEntry[] = (await deps.ledger.holdings(networkAclId)).map((h) => ({ ruleNumber: h.ruleNumber, cidr: h.cidr }));
    // A holding this call recorded, whose entry may not exist (create refused): forgotten unless the ACL has it.
    let recorded: number | null = null;
    const forgetUnplaced = async (entries: readonly { ruleNumber: number; egress: boolean; cidr: string }[]): Promise<void> => {
      if (recorded === null) return;
      const n = recorded;
      if (!entries.some((e) => !e.egress && e.ruleNumber === n && sameCidr(e.cidr, cidr))) await deps.ledger.forget(networkAclId, cidr, executionName);
    };
    for (let conflict = 0; conflict <= policy.maxConflicts; conflict++) {
      const entries = await deps.acls.describe(networkAclId);
      const plan = planNetworkAclDeny(entries, cidr, owned, request.plan);
      if (!plan.ok) {
        await forgetUnplaced(entries);
        return { ok: false, networkAclId, cidr, refusal: plan.refusal };
      }
      if (!plan.changed && plan.ruleNumber === null) {
        await forgetUnplaced(entries);
        return { ok: true, networkAclId, cidr, ruleNumber: null, changed: false, coveredBy: plan.coveredBy };
      }
      check();
      await deps.ledger.record({ networkAclId, ruleNumber: plan.ruleNumber, cidr, executionName, expiresAt });
      if (!plan.changed) return { ok: true, networkAclId, cidr, ruleNumber: plan.ruleNumber, changed: false, coveredBy: null };
      recorded = plan.ruleNumber;
      // Ours from now on: if the create went through but its answer was lost (the SDK retries and
      // meets NetworkAclEntryAlreadyExists), the next read finds the entry and reuses it.
      owned.push({ ruleNumber: plan.ruleNumber, cidr });
      try {
        check();
        await deps.acls.createEntry(networkAclId, plan.entry);
        return { ok: true, networkAclId, cidr, ruleNumber: plan.ruleNumber, changed: true, coveredBy: null };
      } catch (e) {
        if (e instanceof NetworkAclEntryExistsError) continue;
        if (e instanceof NetworkAclLimitError) {
          await deps.ledger.forget(networkAclId, cidr, executionName);
          const quota = request.plan?.quota;
          return {
            ok: false,
            networkAclId,
            cidr,
            refusal: { guardrail: 'nacl-budget', reason: `EC2 refused the entry: the network ACL holds its quota of inbound IPv${cidr.includes(':') ? 6 : 4} rules (NetworkAclEntryLimitExceeded${quota !== undefined ? `; flowir was configured for ${quota}` : ''})`, matched: quota === undefined ? null : String(quota) },
          };
        }
        await deps.ledger.forget(networkAclId, cidr, executionName).catch(() => undefined);
        throw e;
      }
    }
    await forgetUnplaced(await deps.acls.describe(networkAclId));
    throw new NetworkAclBusyError(`network ACL ${networkAclId}: the rule number chosen for ${cidr} was taken by another writer ${policy.maxConflicts + 1} times in a row`);
  });
}

export interface NetworkAclRemoveRequest {
  readonly networkAclId: string;
  readonly cidr: string;
  readonly executionName: string;
}

export interface NetworkAclRemoveOutcome {
  readonly networkAclId: string;
  readonly cidr: string;
  /** Rule numbers deleted by this call. */
  readonly deleted: number[];
  /** Other executions whose live blocks still hold the entry, so it stays (sorted). */
  readonly keptFor: string[];
}

/**
 * End this execution's hold on the deny of `cidr` in one ACL: delete flowir's entries for it unless
 * another execution's block (not yet expired) still holds them, then forget the holding. Only
 * entries the registry names are deleted. Idempotent: nothing held, nothing to delete.
 */
export async function removeNetworkAclDeny(deps: NetworkAclUpdateDeps, request: NetworkAclRemoveRequest): Promise<NetworkAclRemoveOutcome> {
  const { networkAclId, executionName } = request;
  const cidr = parseCidr(request.cidr).text;
  const clock = deps.clock ?? systemClock;
  return underLease(deps, networkAclId, executionName, async (check) => {
    const holdings = (await deps.ledger.holdings(networkAclId)).filter((h) => sameCidr(h.cidr, cidr));
    const now = clock.now().getTime();
    const keptFor = [...new Set(holdings.filter((h) => h.executionName !== executionName && Date.parse(h.expiresAt) > now).map((h) => h.executionName))].sort();
    const deleted: number[] = [];
    if (keptFor.length === 0) {
      const numbers = planNetworkAclRemove(await deps.acls.describe(networkAclId), cidr, holdings);
      for (const n of numbers) {
        check();
        try {
          await deps.acls.deleteEntry(networkAclId, n, false);
          deleted.push(n);
        } catch (e) {
          if (!(e instanceof NetworkAclEntryNotFoundError)) throw e;
        }
      }
    }
    await deps.ledger.forget(networkAclId, cidr, executionName);
    return { networkAclId, cidr, deleted, keptFor };
  });
}

function sameCidr(a: string, b: string): boolean {
  try {
    return parseCidr(a).text === parseCidr(b).text;
  } catch {
    return false;
  }
}

/** Run `work` holding the ACL's lease; `check()` throws when too little of it is left for a write. */
async function underLease<T>(deps: NetworkAclUpdateDeps, networkAclId: string, holder: string, work: (check: () => void) => Promise<T>): Promise<T> {
  const policy = deps.policy ?? DEFAULT_NETWORK_ACL_POLICY;
  const clock = deps.leaseClock ?? deps.clock ?? systemClock;
  const retry = policy.lease;
  let last: AclLeaseGrant | undefined;
  let expired = 0;
  for (let attempt = 0; attempt < retry.maxAttempts; attempt++) {
    if (attempt > 0) await retry.sleep(Math.floor(retry.random() * Math.min(retry.maxDelayMs, retry.baseDelayMs * 2 ** (attempt - 1))));
    const owner = `${holder}/${randomUUID()}`;
    const grant = await deps.lease.acquire(networkAclId, owner, policy.leaseSeconds);
    if (!grant.acquired) {
      last = grant;
      continue;
    }
    const until = grant.expiresAt.getTime();
    const check = (): void => {
      if (clock.now().getTime() + policy.leaseMarginMs >= until) throw new LeaseExpiredError(`the lease on ${networkAclId} ends at ${grant.expiresAt.toISOString()}`);
    };
    let result: T;
    try {
      result = await work(check);
    } catch (e) {
      await deps.lease.release(networkAclId, owner).catch(() => undefined);
      if (e instanceof LeaseExpiredError) {
        expired++;
        continue;
      }
      throw e;
    }
    await deps.lease.release(networkAclId, owner);
    return result;
  }
  const held = last !== undefined && !last.acquired && last.heldBy !== null ? ` (held by ${last.heldBy}${last.expiresAt ? ` until ${last.expiresAt.toISOString()}` : ''})` : '';
  throw new NetworkAclBusyError(`network ACL ${networkAclId}: no lease after ${retry.maxAttempts} attempts${held}${expired > 0 ? `; ${expired} lease(s) ran out before a write` : ''}`);
}
