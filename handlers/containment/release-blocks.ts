import { planRemove } from '../../core/containment/ip-set';
import type { NetworkAclPlanOptions } from '../../core/containment/network-acl';
import type { NetworkAclEntryRef } from '../../workflows/contract';
import type { BlockRecord, BlockRegistry, IpSetPort, IpSetRef } from '../ports';
import type { NetworkAclHolding, NetworkAclHoldings } from '../ports/network-acl';
import { changeIpSet, DEFAULT_LOCK_RETRY, type LockRetryPolicy } from './ip-set-update';
import { removeNetworkAclDeny, type NetworkAclUpdateDeps } from './network-acl-update';

/** What network ACL containment needs: the ACLs, the per-ACL lease, the ledger (block registry) and the rule-number plan. */
export interface NetworkAclContainment extends Omit<NetworkAclUpdateDeps, 'ledger'> {
  readonly ledger: NetworkAclHoldings;
  readonly plan?: NetworkAclPlanOptions;
}

export interface ReleaseDeps {
  readonly ipSet: IpSetPort;
  readonly registry: BlockRegistry;
  readonly retry?: LockRetryPolicy;
  /** Network ACL entries are released with the WAF blocks when given. */
  readonly networkAcl?: NetworkAclContainment;
}

/**
 * End these network ACL holdings: each entry is deleted unless another execution's live block still
 * holds it, then the holding is forgotten (see removeNetworkAclDeny). Released one at a time, each
 * under its ACL's lease. Returns the holdings ended.
 */
export async function releaseNetworkAclHoldings(holdings: readonly NetworkAclHolding[], deps: ReleaseDeps): Promise<NetworkAclEntryRef[]> {
  const nacl = deps.networkAcl;
  if (nacl === undefined) return [];
  const out: NetworkAclEntryRef[] = [];
  for (const h of holdings) {
    await removeNetworkAclDeny(nacl, { networkAclId: h.networkAclId, cidr: h.cidr, executionName: h.executionName });
    out.push({ networkAclId: h.networkAclId, ruleNumber: h.ruleNumber, cidr: h.cidr });
  }
  return out;
}

/**
 * End the given blocks: take each address out of its IP set unless another live block (another
 * execution's, not yet expired) still needs it, then delete the records. One update per IP set.
 *
 * The IP set is changed before the records are deleted, so a crash in between leaves a record the
 * sweeper finds again, never an address nobody will remove. Whether another block needs an address
 * is read inside the lock-token loop: a block placed meanwhile writes the set, which makes this
 * update stale, so the next attempt sees its record. Idempotent: released blocks are simply absent.
 */
export async function releaseBlocks(records: readonly BlockRecord[], now: Date, deps: ReleaseDeps): Promise<BlockRecord[]> {
  const bySet = new Map<string, { set: IpSetRef; records: BlockRecord[] }>();
  for (const r of records) {
    const key = `${r.ipSet.scope}/${r.ipSet.id}`;
    const group = bySet.get(key) ?? { set: r.ipSet, records: [] };
    group.records.push(r);
    bySet.set(key, group);
  }
  const released: BlockRecord[] = [];
  for (const { set, records: group } of bySet.values()) {
    const ending = new Set(group.map(key));
    await changeIpSet(
      deps.ipSet,
      set,
      async (addresses) => {
        let list: readonly string[] = addresses;
        let changed = false;
        for (const cidr of new Set(group.map((r) => r.cidr))) {
          const others = (await deps.registry.byCidr(cidr)).filter((o) => !ending.has(key(o)) && Date.parse(o.expiresAt) > now.getTime());
          if (others.length > 0) continue;
          const plan = planRemove(list, cidr);
          list = plan.addresses;
          changed ||= plan.changed;
        }
        return { write: changed ? list : null, result: undefined };
      },
      deps.retry ?? DEFAULT_LOCK_RETRY,
    );
    for (const r of group) {
      await deps.registry.remove(r.cidr, r.executionName);
      released.push(r);
    }
  }
  return released;
}

function key(r: BlockRecord): string {
  return `${r.cidr}\n${r.executionName}`;
}
