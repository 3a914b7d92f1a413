import { blockTargetFor, checkGuardrails, rateLimitRefusal, type GuardrailRefusal } from '../core/containment/guardrails';
import { HTTP_PORTS, PORT_NAMES } from '../core/containment/actions';
import { planAdd } from '../core/containment/ip-set';
import { DEFAULT_INCIDENT_CONFIG, INCIDENT_CONFIG_LIMITS } from '../core/policy/incident-config';
import type { BlockInput, BlockOutput, FindingDoc, NetworkAclEntryRef, NetworkAclRefusal } from '../workflows/contract';
import { changeIpSet, DEFAULT_LOCK_RETRY, type LockRetryPolicy } from './containment/ip-set-update';
import { placeNetworkAclDeny } from './containment/network-acl-update';
import type { NetworkAclContainment } from './containment/release-blocks';
import type { GuardrailSettings, IpSetPair } from './containment/settings';
import { describe, readExecutionName, readFinding, readObject, readWholeNumber, TaskInputError } from './containment/task-input';
import { budgetHour, IpSetLimitError, type BlockBudget, type BlockRecord, type BlockRegistry, type Clock, type IpSetPort } from './ports';

export type { NetworkAclContainment } from './containment/release-blocks';

export interface BlockDeps {
  readonly ipSets: IpSetPair;
  readonly ipSet: IpSetPort;
  readonly registry: BlockRegistry;
  /** The hourly cap, counted atomically across concurrent incidents. */
  readonly budget: BlockBudget;
  readonly guardrails: GuardrailSettings;
  readonly clock: Clock;
  readonly retry?: LockRetryPolicy;
  /** Network ACL deny (for the detections in `guardrails.networkAclDeny`); without it those blocks are WAF only, and say so. */
  readonly networkAcl?: NetworkAclContainment;
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
    const interfaces = readInterfaces(input.interfaces);

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

    const nacl = await denyInNetworkAcls(deps, finding, record, interfaces);
    return {
      status: 'blocked',
      blocked: [record.cidr],
      ipSet: { name: record.ipSet.name, id: record.ipSet.id, scope: record.ipSet.scope },
      blockedAt: record.blockedAt,
      expiresAt: record.expiresAt,
      durationSeconds: Math.round((Date.parse(record.expiresAt) - Date.parse(record.blockedAt)) / 1000),
      ...nacl,
    };
  };
}

interface NetworkAclResult {
  readonly contained: boolean;
  readonly uncontainedReason: string | null;
  readonly networkAclEntries: NetworkAclEntryRef[];
  readonly networkAclCovered: NetworkAclEntryRef[];
  readonly networkAclRefusals: NetworkAclRefusal[];
}

/**
 * Deny the source in the network ACL of every targeted subnet, for the detections configured, and
 * say whether the block as a whole stops the detected traffic:
 * - ACL deny on for the detection: contained only when every targeted ACL denies the source
 *   (flowir's entry or one already there). A refused ACL (full, or an allow ahead of flowir's rule
 *   numbers) or none found leaves the incident GUARDED with the reasons; the WAF block stands.
 * - ACL deny off: the WAF block stops only traffic to HTTP(S) front doors, so contained only for a
 *   finding on port 80 or 443 (a port scan, SSH/RDP and the like, or a finding with no port, are not).
 * Placement is idempotent (a retried step reuses its entries); a busy ACL throws, so the step retries.
 */
async function denyInNetworkAcls(deps: BlockDeps, finding: FindingDoc, record: BlockRecord, interfaces: readonly string[]): Promise<NetworkAclResult> {
  const wanted = (deps.guardrails.networkAclDeny ?? DEFAULT_INCIDENT_CONFIG.networkAclDeny).includes(finding.detection);
  const entries: NetworkAclEntryRef[] = [];
  const covered: NetworkAclEntryRef[] = [];
  const refusals: NetworkAclRefusal[] = [];
  const wafOnly = (why: string): NetworkAclResult => {
    const http = finding.port !== null && HTTP_PORTS.has(finding.port);
    return { contained: http, uncontainedReason: http ? null : `${wafGap(finding)}; ${why}`, networkAclEntries: entries, networkAclCovered: covered, networkAclRefusals: refusals };
  };
  if (!wanted) return wafOnly(`network ACL deny is off for ${finding.detection} (incident.networkAclDeny)`);
  const nacl = deps.networkAcl;
  if (nacl === undefined) return wafOnly('this deployment has no network ACL access');
  const acls = await nacl.acls.aclsForInterfaces(interfaces);
  if (acls.length === 0) {
    const reason = interfaces.length === 0 ? 'the evidence names no targeted interface' : `no network ACL is associated with the subnets of the targeted interfaces (${interfaces.join(', ')})`;
    refusals.push({ networkAclId: null, guardrail: 'nacl-not-found', reason });
    return { ...wafOnly(reason), contained: false };
  }
  for (const acl of acls) {
    const out = await placeNetworkAclDeny(nacl, { networkAclId: acl.networkAclId, cidr: record.cidr, executionName: record.executionName, expiresAt: record.expiresAt, ...(nacl.plan ? { plan: nacl.plan } : {}) });
    if (!out.ok) refusals.push({ networkAclId: acl.networkAclId, guardrail: out.refusal.guardrail, reason: out.refusal.reason });
    else if (out.ruleNumber !== null) entries.push({ networkAclId: acl.networkAclId, ruleNumber: out.ruleNumber, cidr: out.cidr });
    else covered.push({ networkAclId: acl.networkAclId, ruleNumber: out.coveredBy.ruleNumber, cidr: out.coveredBy.cidr });
  }
  if (refusals.length === 0) return { contained: true, uncontainedReason: null, networkAclEntries: entries, networkAclCovered: covered, networkAclRefusals: refusals };
  const why = refusals.map((r) => `network ACL ${r.networkAclId ?? '(none)'}: ${r.reason} (${r.guardrail})`).join('; ');
  return { contained: false, uncontainedReason: `${wafGap(finding)}; not denied in ${why}`, networkAclEntries: entries, networkAclCovered: covered, networkAclRefusals: refusals };
}

/** What the WAF block leaves open for this finding, in words. */
function wafGap(finding: FindingDoc): string {
  if (finding.port !== null) {
    const name = PORT_NAMES[finding.port];
    return HTTP_PORTS.has(finding.port) ? `the WAF block covers port ${finding.port}${name ? ` (${name})` : ''} at the HTTP(S) front doors only` : `the WAF block does not stop port ${finding.port}${name ? ` (${name})` : ''}: WAF sees only HTTP(S) requests at the front doors`;
  }
  return finding.detection === 'PORT_SCAN' ? 'the WAF block does not stop a port scan: WAF sees only HTTP(S) requests at the front doors' : 'the WAF block stops only HTTP(S) requests at the front doors, not the other traffic of this finding';
}

function readInterfaces(value: unknown): string[] {
  if (value === undefined || value === null) return [];
  if (!Array.isArray(value) || !value.every((v) => typeof v === 'string')) throw new TaskInputError('interfaces', `expected an array of interface ids, got ${describe(value)}`);
  return value as string[];
}

function guarded(refusal: GuardrailRefusal): BlockOutput {
  return { status: 'guarded', guardrail: refusal.guardrail, reason: refusal.reason };
}
