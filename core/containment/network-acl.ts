import { CidrError, cidrContains, parseCidr, type Cidr } from '../flowlog/address';
import type { GuardrailRefusal } from './guardrails';

/**
 * AWS's default quota of rules per network ACL and direction; it counts IPv4 and IPv6 rules and
 * the default deny rules (32767, 32768).
 */
export const NACL_RULE_BUDGET = 20;

/** One entry of a network ACL as DescribeNetworkAcls reports it (IPv4 or IPv6 CIDR in `cidr`). */
export interface NetworkAclEntry {
  readonly ruleNumber: number;
  readonly egress: boolean;
  readonly ruleAction: 'allow' | 'deny';
  readonly cidr: string;
}

export interface NetworkAclPlanOptions {
  /** Entries allowed per direction (default {@link NACL_RULE_BUDGET}). */
  readonly budget?: number;
  /** Rule numbers flowir may use for deny entries (default 1 to 99, ahead of the usual allow rules at 100+). */
  readonly firstRuleNumber?: number;
  readonly lastRuleNumber?: number;
}

export type NetworkAclDenyPlan =
  | { readonly ok: true; readonly ruleNumber: number; readonly cidr: string; readonly changed: boolean }
  | { readonly ok: false; readonly refusal: GuardrailRefusal };

export class NetworkAclError extends Error {
  override readonly name = 'NetworkAclError';
}

function parse(text: string, where: string): Cidr {
  try {
    return parseCidr(text);
  } catch (e) {
    throw new NetworkAclError(`${where}: ${e instanceof CidrError ? e.message : String(e)}`);
  }
}

/**
 * Plan an inbound deny entry for a CIDR. Entries are evaluated lowest number first, so the deny
 * must come before every allow entry that admits the source, or it would do nothing; and the
 * ACL's entry budget must have room. An existing inbound deny for the same CIDR is reused.
 */
export function planNetworkAclDeny(entries: readonly NetworkAclEntry[], cidr: string, options: NetworkAclPlanOptions = {}): NetworkAclDenyPlan {
  const budget = options.budget ?? NACL_RULE_BUDGET;
  const first = options.firstRuleNumber ?? 1;
  const last = options.lastRuleNumber ?? 99;
  if (!Number.isInteger(first) || !Number.isInteger(last) || first < 1 || last > 32766 || first > last) {
    throw new NetworkAclError(`rule numbers: expected 1 <= firstRuleNumber <= lastRuleNumber <= 32766, got ${first} to ${last}`);
  }
  const deny = parse(cidr, 'cidr');
  const inbound = entries.map((e, i) => ({ entry: e, cidr: parse(e.cidr, `entries[${i}].cidr`) })).filter((e) => !e.entry.egress);
  const existing = inbound.find((e) => e.entry.ruleAction === 'deny' && e.cidr.text === deny.text);
  if (existing) return { ok: true, ruleNumber: existing.entry.ruleNumber, cidr: deny.text, changed: false };
  if (inbound.length >= budget) {
    return { ok: false, refusal: { guardrail: 'nacl-budget', reason: `the network ACL already has ${inbound.length} inbound entries, its budget of ${budget}`, matched: String(budget) } };
  }
  const network = { version: deny.version, text: deny.text, value: deny.network };
  const admitting = inbound.filter((e) => e.entry.ruleAction === 'allow' && e.cidr.prefix <= deny.prefix && cidrContains(e.cidr, network));
  const firstAllow = Math.min(...admitting.map((e) => e.entry.ruleNumber));
  const used = new Set(inbound.map((e) => e.entry.ruleNumber));
  for (let n = first; n <= last && n < firstAllow; n++) {
    if (!used.has(n)) return { ok: true, ruleNumber: n, cidr: deny.text, changed: true };
  }
  return {
    ok: false,
    refusal: {
      guardrail: 'nacl-rule-order',
      reason:
        firstAllow === Infinity
          ? `no free rule number from ${first} to ${last}`
          : `no free rule number from ${first} to ${last} comes before allow entry #${firstAllow}, which admits ${deny.text}`,
      matched: firstAllow === Infinity ? null : String(firstAllow),
    },
  };
}

/** The inbound deny entries to delete when a block on this CIDR ends (flowir's own entries only: exact CIDR). */
export function planNetworkAclRelease(entries: readonly NetworkAclEntry[], cidr: string): number[] {
  const release = parse(cidr, 'cidr');
  return entries.filter((e, i) => !e.egress && e.ruleAction === 'deny' && parse(e.cidr, `entries[${i}].cidr`).text === release.text).map((e) => e.ruleNumber);
}
