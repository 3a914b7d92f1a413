/**
 * Planning network ACL deny entries: pure functions over what DescribeNetworkAcls reports and what
 * flowir's registry says it placed. The handlers (handlers/containment/network-acl-update.ts) read,
 * plan and write under a per-ACL lease; nothing here talks to EC2.
 *
 * AWS facts this relies on (checked against AWS documentation):
 * - "Rules per network ACL": 20 by default, "a one-way quota", "enforced separately for IPv4 rules
 *   and IPv6 rules", and it "includes the default deny rules (rule number 32767 for IPv4 and 32768
 *   for IPv6 ...)"; it "can be increased up to a maximum of 40". Amazon VPC quotas, Network ACLs
 *   (https://docs.aws.amazon.com/vpc/latest/userguide/amazon-vpc-limits.html; source text in
 *   awsdocs/amazon-vpc-user-guide doc_source/amazon-vpc-limits.md).
 * - Entries are evaluated lowest rule number first; "as soon as a rule matches traffic, it's
 *   applied regardless of any higher-numbered rule that might contradict it" (VPC User Guide,
 *   Network ACL rules, https://docs.aws.amazon.com/vpc/latest/userguide/nacl-rules.html).
 * - CreateNetworkAclEntry: RuleNumber is 1 to 32766 (32767 to 65535 reserved); Protocol "-1" means
 *   all protocols, and then every port; an IPv6 range goes in Ipv6CidrBlock, not CidrBlock; "after
 *   you add an entry, you can't modify it; you must either replace it, or create an entry and
 *   delete the old one" (EC2 API Reference, CreateNetworkAclEntry,
 *   https://docs.aws.amazon.com/AWSEC2/latest/APIReference/API_CreateNetworkAclEntry.html).
 */
import { CidrError, cidrContains, parseCidr, type Cidr } from '../flowlog/address';
import type { GuardrailRefusal } from './guardrails';

/** AWS's default "Rules per network ACL": per direction and per IP version, the default deny included. */
export const NACL_DEFAULT_QUOTA = 20;
/** The most "Rules per network ACL" can be raised to. */
export const NACL_MAX_QUOTA = 40;
/** The highest rule number CreateNetworkAclEntry accepts; 32767 (IPv4) and 32768 (IPv6) are the default deny rules. */
export const NACL_MAX_RULE_NUMBER = 32766;
/** All protocols (and so all ports). */
export const ALL_PROTOCOLS = '-1';

/**
 * One entry of a network ACL as DescribeNetworkAcls reports it. `cidr` holds the IPv4 `CidrBlock`
 * or the IPv6 `Ipv6CidrBlock`, whichever the entry has; the version follows from the text.
 */
export interface NetworkAclEntry {
  readonly ruleNumber: number;
  readonly egress: boolean;
  readonly ruleAction: 'allow' | 'deny';
  /** IANA protocol number as text, or "-1" for all. */
  readonly protocol: string;
  readonly cidr: string;
}

/**
 * A deny entry flowir's registry says flowir placed. An ACL entry is flowir's only when one of
 * these names its rule number and its CIDR, and it is an inbound all-protocol deny: a number
 * reused by someone else after flowir's entry went away is not flowir's.
 */
export interface NetworkAclOwnedEntry {
  readonly ruleNumber: number;
  readonly cidr: string;
}

export interface NetworkAclPlanOptions {
  /** The account's "Rules per network ACL" quota (default {@link NACL_DEFAULT_QUOTA}, at most {@link NACL_MAX_QUOTA}). */
  readonly quota?: number;
  /** Rule numbers flowir may use for its deny entries (default 1 to 99, ahead of the usual allow rules at 100 and up). */
  readonly firstRuleNumber?: number;
  readonly lastRuleNumber?: number;
}

/**
 * What to do for one source on one ACL:
 * - `changed: true`: create `entry` (rule `ruleNumber`);
 * - `changed: false` with `ruleNumber`: flowir's own entry already denies the source (reuse it);
 * - `changed: false` with `coveredBy`: an entry flowir did not create already denies the source,
 *   ahead of every allow entry that admits it; flowir adds nothing and owns nothing here;
 * - `ok: false`: refused (guardrail `nacl-budget` or `nacl-rule-order`).
 */
export type NetworkAclDenyPlan =
  | { readonly ok: true; readonly changed: true; readonly cidr: string; readonly ruleNumber: number; readonly entry: NetworkAclEntry }
  | { readonly ok: true; readonly changed: false; readonly cidr: string; readonly ruleNumber: number; readonly coveredBy: null }
  | { readonly ok: true; readonly changed: false; readonly cidr: string; readonly ruleNumber: null; readonly coveredBy: { readonly ruleNumber: number; readonly cidr: string } }
  | { readonly ok: false; readonly cidr: string; readonly refusal: GuardrailRefusal };

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

interface Range {
  readonly quota: number;
  readonly first: number;
  readonly last: number;
}

function range(options: NetworkAclPlanOptions): Range {
  const quota = options.quota ?? NACL_DEFAULT_QUOTA;
  const first = options.firstRuleNumber ?? 1;
  const last = options.lastRuleNumber ?? 99;
  if (!Number.isInteger(quota) || quota < 1 || quota > NACL_MAX_QUOTA) throw new NetworkAclError(`quota: expected a whole number from 1 to ${NACL_MAX_QUOTA} (AWS's most rules per network ACL), got ${String(quota)}`);
  if (!Number.isInteger(first) || !Number.isInteger(last) || first < 1 || last > NACL_MAX_RULE_NUMBER || first > last) {
    throw new NetworkAclError(`rule numbers: expected 1 <= firstRuleNumber <= lastRuleNumber <= ${NACL_MAX_RULE_NUMBER}, got ${String(first)} to ${String(last)}`);
  }
  return { quota, first, last };
}

/** The `/32` or `/128` a deny is for (a bare address is taken as its host CIDR); anything wider is refused as a programming error. */
function hostCidr(text: string): Cidr {
  const c = parse(text, 'cidr');
  if (c.prefix !== (c.version === 4 ? 32 : 128)) throw new NetworkAclError(`cidr: flowir denies single sources (/32 or /128), got ${text}`);
  return c;
}

interface Parsed {
  readonly entry: NetworkAclEntry;
  readonly cidr: Cidr;
}

function inboundOf(entries: readonly NetworkAclEntry[]): Parsed[] {
  return entries.flatMap((entry, i) => (entry.egress ? [] : [{ entry, cidr: parse(entry.cidr, `entries[${i}].cidr`) }]));
}

function ownedKeys(owned: readonly NetworkAclOwnedEntry[]): Set<string> {
  return new Set(owned.map((o, i) => `${o.ruleNumber} ${parse(o.cidr, `owned[${i}].cidr`).text}`));
}

/** Whether an inbound entry is flowir's: the registry names its number and CIDR, and it is what flowir creates. */
function isOwn(p: Parsed, keys: ReadonlySet<string>): boolean {
  return p.entry.ruleAction === 'deny' && p.entry.protocol === ALL_PROTOCOLS && keys.has(`${p.entry.ruleNumber} ${p.cidr.text}`);
}

/**
 * Plan the inbound deny of one source (`/32`, or `/128`: an `Ipv6CidrBlock` entry), all protocols.
 *
 * 1. Already denied: flowir's own entry for this CIDR, or a numbered deny of all protocols whose
 *    CIDR holds the source, ahead of every allow entry that admits it, means nothing to add
 *    (idempotent). The default deny rules do not count: flowir places its entry even where no
 *    allow admits the source today.
 * 2. Quota: the ACL holds at most `quota` inbound entries of the source's IP version, the default
 *    deny included (IPv4 and IPv6 counted apart); a full ACL refuses with `nacl-budget`.
 * 3. Order: the deny must come before every allow entry that admits the source (any protocol:
 *    an allow of tcp/22 from 0.0.0.0/0 lets SSH through ahead of a later deny), so its number must
 *    be below the lowest such allow; flowir takes the lowest free number of its range that is.
 *    None (the range starts at or above that allow, or its free numbers do) refuses with
 *    `nacl-rule-order`.
 *
 * Entries flowir did not create are never planned for deletion and never reused as flowir's; they
 * only take up numbers and quota.
 *
 * A full ACL refuses; it does not evict flowir's oldest entry. Evicting would lift a live block on
 * a source judged CRITICAL before its expiry, silently, in another incident than the one asking;
 * and it would let an attacker with a few dozen addresses flush the block on the one that matters
 * just by being detected from the others. A refusal is a GUARDED outcome that says why (the WAF
 * block still applies to the HTTP front doors), and the operator can raise the quota (to 40).
 */
export function planNetworkAclDeny(entries: readonly NetworkAclEntry[], cidr: string, owned: readonly NetworkAclOwnedEntry[], options: NetworkAclPlanOptions = {}): NetworkAclDenyPlan {
  const { quota, first, last } = range(options);
  const deny = hostCidr(cidr);
  const source = { version: deny.version, text: deny.text, value: deny.network };
  const keys = ownedKeys(owned);
  const inbound = inboundOf(entries);

  const admitting = inbound.filter((p) => p.entry.ruleAction === 'allow' && cidrContains(p.cidr, source));
  const firstAllow = Math.min(...admitting.map((p) => p.entry.ruleNumber));
  const effective = (p: Parsed): boolean => p.entry.ruleAction === 'deny' && p.entry.protocol === ALL_PROTOCOLS && p.entry.ruleNumber < firstAllow && cidrContains(p.cidr, source);

  const mine = inbound.find((p) => isOwn(p, keys) && p.cidr.text === deny.text && effective(p));
  if (mine) return { ok: true, changed: false, cidr: deny.text, ruleNumber: mine.entry.ruleNumber, coveredBy: null };
  // The default deny rules (32767, 32768) are the fallback for what no allow admits, not a decision
  // about this source: an allow added later would undo them. Only a numbered entry covers.
  const covering = inbound.filter((p) => !isOwn(p, keys) && p.entry.ruleNumber <= NACL_MAX_RULE_NUMBER && effective(p)).sort((a, b) => a.entry.ruleNumber - b.entry.ruleNumber)[0];
  if (covering) return { ok: true, changed: false, cidr: deny.text, ruleNumber: null, coveredBy: { ruleNumber: covering.entry.ruleNumber, cidr: covering.cidr.text } };

  const sameVersion = inbound.filter((p) => p.cidr.version === deny.version).length;
  if (sameVersion >= quota) {
    return {
      ok: false,
      cidr: deny.text,
      refusal: {
        guardrail: 'nacl-budget',
        reason: `the network ACL already has ${sameVersion} inbound IPv${deny.version} rules (default deny included), its quota of ${quota}; flowir does not evict a live block to make room`,
        matched: String(quota),
      },
    };
  }

  const used = new Set(inbound.map((p) => p.entry.ruleNumber));
  const below = Math.min(last, firstAllow - 1);
  for (let n = first; n <= below; n++) {
    if (!used.has(n)) return { ok: true, changed: true, cidr: deny.text, ruleNumber: n, entry: { ruleNumber: n, egress: false, ruleAction: 'deny', protocol: ALL_PROTOCOLS, cidr: deny.text } };
  }
  return {
    ok: false,
    cidr: deny.text,
    refusal: {
      guardrail: 'nacl-rule-order',
      reason:
        firstAllow === Infinity
          ? `no free rule number from ${first} to ${last}`
          : firstAllow <= first
            ? `allow entry #${firstAllow} admits ${deny.text} and comes before flowir's rule numbers (${first} to ${last}), so a deny there would do nothing`
            : `no free rule number from ${first} to ${below} comes before allow entry #${firstAllow}, which admits ${deny.text}`,
      matched: firstAllow === Infinity ? null : String(firstAllow),
    },
  };
}

/**
 * The rule numbers to delete when flowir's block on this CIDR ends: inbound all-protocol denies of
 * exactly that CIDR that the registry names (number and CIDR). Anything else, including a deny of
 * the same CIDR flowir did not create, stays. Idempotent: none left means nothing to delete.
 */
export function planNetworkAclRemove(entries: readonly NetworkAclEntry[], cidr: string, owned: readonly NetworkAclOwnedEntry[]): number[] {
  const release = hostCidr(cidr);
  const keys = ownedKeys(owned);
  return inboundOf(entries)
    .filter((p) => isOwn(p, keys) && p.cidr.text === release.text)
    .map((p) => p.entry.ruleNumber)
    .sort((a, b) => a - b);
}

/** How an ACL and flowir's registry compare (for the sweeper). */
export interface NetworkAclReconciliation {
  /** Registry entries whose entry is in the ACL. */
  readonly present: NetworkAclOwnedEntry[];
  /** Registry entries with no such entry in the ACL (deleted by hand, or a placement that never finished): forget them. */
  readonly missing: NetworkAclOwnedEntry[];
  /**
   * Inbound all-protocol denies of a single host, in flowir's rule-number range, that the registry
   * does not name: they look like flowir's but nothing says so. Reported, never touched.
   */
  readonly unregistered: NetworkAclEntry[];
}

/** Compare an ACL's entries with the registry's (see {@link NetworkAclReconciliation}). */
export function reconcileNetworkAcl(entries: readonly NetworkAclEntry[], owned: readonly NetworkAclOwnedEntry[], options: NetworkAclPlanOptions = {}): NetworkAclReconciliation {
  const { first, last } = range(options);
  const keys = ownedKeys(owned);
  const inbound = inboundOf(entries);
  const presentKeys = new Set(inbound.filter((p) => isOwn(p, keys)).map((p) => `${p.entry.ruleNumber} ${p.cidr.text}`));
  const present: NetworkAclOwnedEntry[] = [];
  const missing: NetworkAclOwnedEntry[] = [];
  owned.forEach((o, i) => {
    const k = `${o.ruleNumber} ${parse(o.cidr, `owned[${i}].cidr`).text}`;
    (presentKeys.has(k) ? present : missing).push(o);
  });
  const unregistered = inbound
    .filter((p) => !isOwn(p, keys) && p.entry.ruleAction === 'deny' && p.entry.protocol === ALL_PROTOCOLS && p.entry.ruleNumber >= first && p.entry.ruleNumber <= last && p.cidr.prefix === (p.cidr.version === 4 ? 32 : 128))
    .map((p) => p.entry);
  return { present, missing, unregistered };
}
