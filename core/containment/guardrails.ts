import { CidrError, CidrSet, parseAddress } from '../flowlog/address';
import { effectiveAddress, specialRangeOf } from './special-ranges';

/** Which guardrail refused a containment (the GUARDED outcome records it). */
export type GuardrailId =
  | 'invalid-address'
  | 'allowlisted'
  | 'vpc-cidr'
  | 'not-a-host'
  | 'private-range'
  | 'rate-limit'
  | 'ip-set-limit'
  | 'nacl-budget'
  | 'nacl-rule-order';

/** A refusal in plain data: which guardrail, why in words, and the CIDR or limit that matched. */
export interface GuardrailRefusal {
  readonly guardrail: GuardrailId;
  readonly reason: string;
  readonly matched: string | null;
}

/** The WAF IP set a block goes into. */
export type IpSetVersion = 'IPV4' | 'IPV6';

/** What a block targets: one address as a `/32` (IPv4) or `/128` (IPv6) CIDR, in its IP set. */
export interface BlockTarget {
  readonly address: string;
  readonly cidr: string;
  readonly ipSet: IpSetVersion;
}

export interface GuardrailInput {
  /** The finding's source address. */
  readonly source: string;
  /** The detection allowlist plus the incident config's `neverBlock`. */
  readonly allowlist: readonly string[];
  /** The VPC's own CIDRs (IPv4 and IPv6). */
  readonly vpcCidrs: readonly string[];
  readonly allowPrivate: boolean;
  /** Blocks flowir made in the hour before `now` (see {@link countRecentBlocks}). */
  readonly blocksInLastHour: number;
  readonly maxBlocksPerHour: number;
  /** The source is already blocked (a retried step): re-applying it adds nothing, so the hourly cap does not apply. */
  readonly alreadyBlocked?: boolean;
}

export type GuardrailDecision = { readonly allowed: true; readonly target: BlockTarget } | { readonly allowed: false; readonly refusal: GuardrailRefusal };

export class GuardrailInputError extends Error {
  override readonly name = 'GuardrailInputError';
}

/** The `/32` or `/128` CIDR and IP set for an address (IPv4-mapped IPv6 goes to the IPv4 set); undefined if not an address. */
export function blockTargetFor(address: string): BlockTarget | undefined {
  const effective = effectiveAddress(address);
  const parsed = effective === undefined ? undefined : parseAddress(effective);
  if (parsed === undefined) return undefined;
  return parsed.version === 4 ? { address: parsed.text, cidr: `${parsed.text}/32`, ipSet: 'IPV4' } : { address: parsed.text, cidr: `${parsed.text}/128`, ipSet: 'IPV6' };
}

/** Blocks made in the last hour: times in `(now - 3600, now]`. */
export function countRecentBlocks(blockTimes: readonly number[], now: number): number {
  return blockTimes.filter((t) => t > now - 3600 && t <= now).length;
}

function cidrSet(cidrs: readonly string[], what: string): CidrSet {
  try {
    return new CidrSet(cidrs);
  } catch (e) {
    throw new GuardrailInputError(`${what}: ${e instanceof CidrError ? e.message : String(e)}`);
  }
}

/**
 * Whether a source may be blocked (DESIGN §5), checked in this order: it must be an address; not
 * allowlisted; not in the VPC's own CIDRs; not a non-host range (never); not private unless
 * allowed; and within the hourly cap. The WAF IP set limit is checked when planning the update
 * ({@link planAdd}), since it needs the set's current contents.
 */
export function checkGuardrails(input: GuardrailInput): GuardrailDecision {
  const refuse = (guardrail: GuardrailId, reason: string, matched: string | null = null): GuardrailDecision => ({ allowed: false, refusal: { guardrail, reason, matched } });
  const target = blockTargetFor(input.source);
  if (target === undefined) return refuse('invalid-address', `"${input.source}" is not an IPv4 or IPv6 address`);

  const allowed = cidrSet(input.allowlist, 'allowlist').match(target.address);
  if (allowed) return refuse('allowlisted', `${target.address} is in the allowlisted range ${allowed.text}`, allowed.text);

  const vpc = cidrSet(input.vpcCidrs, 'vpcCidrs').match(target.address);
  if (vpc) return refuse('vpc-cidr', `${target.address} is in the VPC's own range ${vpc.text}`, vpc.text);

  const special = specialRangeOf(target.address);
  if (special?.kind === 'not-a-host') return refuse('not-a-host', `${target.address} is in ${special.cidr} (${special.name}): ${special.why}`, special.cidr);
  if (special?.kind === 'private' && !input.allowPrivate) {
    return refuse('private-range', `${target.address} is in ${special.cidr} (${special.name}: ${special.why}); private ranges are blocked only when the config sets allowPrivate`, special.cidr);
  }

  if (!Number.isInteger(input.maxBlocksPerHour) || input.maxBlocksPerHour < 1) throw new GuardrailInputError(`maxBlocksPerHour: expected a whole number of at least 1, got ${String(input.maxBlocksPerHour)}`);
  if (!Number.isInteger(input.blocksInLastHour) || input.blocksInLastHour < 0) throw new GuardrailInputError(`blocksInLastHour: expected a whole number of at least 0, got ${String(input.blocksInLastHour)}`);
  if (input.alreadyBlocked !== true && input.blocksInLastHour >= input.maxBlocksPerHour) return { allowed: false, refusal: rateLimitRefusal(input.blocksInLastHour, input.maxBlocksPerHour, 'in the last hour') };
  return { allowed: true, target };
}

/** The hourly cap's refusal: `made` blocks counted `when` (e.g. "this hour, since 21:00 UTC") reach `max`. */
export function rateLimitRefusal(made: number, max: number, when: string): GuardrailRefusal {
  // Counts as flowir prints them everywhere (12,247): the reason reaches the run summary and the audit.
  const count = made === 1 ? `1 block ${when} reaches` : `${made.toLocaleString('en-US')} blocks ${when} reach`;
  return { guardrail: 'rate-limit', reason: `${count} the cap of ${max.toLocaleString('en-US')} per hour`, matched: String(max) };
}
