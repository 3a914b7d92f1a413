import { CidrError, CidrSet, parseAddress } from '../flowlog/address';
import { effectiveAddress, embeddedIpv4Of, specialRangeOf, type EmbeddedIpv4 } from './special-ranges';

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

/**
 * The `/32` or `/128` CIDR and IP set for an address (IPv4-mapped IPv6 goes to the IPv4 set); undefined if not an address.
 *
 * The other IPv6 forms that carry an IPv4 address (IPv4-compatible, NAT64, 6to4, Teredo) are judged
 * by that address ({@link checkGuardrails}) but blocked as what was seen: the IPv6 address, `/128`.
 * Blocking the IPv4 address instead would block more than the detected peer: a 6to4 address's
 * IPv4 is the whole site's router, a Teredo client's is its NAT's public address, shared by every
 * host behind it, and a NAT64 address is how an IPv4 host appears only inside a translated network.
 * An IPv4-mapped address is the IPv4 peer itself, as a dual-stack socket spells it.
 */
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

/** One address a guardrail judges: the source itself, or an IPv4 address it carries. */
interface Judged {
  readonly address: string;
  readonly carried?: EmbeddedIpv4;
}

/**
 * Whether a source may be blocked (DESIGN §5), checked in this order: it must be an address; not
 * allowlisted; not in the VPC's own CIDRs; not a range that cannot be a source on the internet
 * (never); not private unless allowed; and within the hourly cap. The WAF IP set limit is checked
 * when planning the update ({@link planAdd}), since it needs the set's current contents.
 *
 * An IPv6 source that carries an IPv4 address ({@link embeddedIpv4Of}: IPv4-compatible, NAT64,
 * 6to4, Teredo) is judged as itself and as that IPv4 address at each step, so `64:ff9b::10.0.0.1`
 * is private, `2002:c633:6414::1` is allowlisted with 198.51.100.0/24, and `::10.0.3.4` is the
 * VPC's own; the reason names the address carried and the form.
 */
export function checkGuardrails(input: GuardrailInput): GuardrailDecision {
  const refuse = (guardrail: GuardrailId, reason: string, matched: string | null = null): GuardrailDecision => ({ allowed: false, refusal: { guardrail, reason, matched } });
  const target = blockTargetFor(input.source);
  if (target === undefined) return refuse('invalid-address', `"${input.source}" is not an IPv4 or IPv6 address`);

  const judged: readonly Judged[] = [{ address: target.address }, ...embeddedIpv4Of(target.address).map((carried) => ({ address: carried.ipv4, carried }))];
  const subject = (j: Judged): string => (j.carried === undefined ? target.address : `${target.address} carries ${j.address} (${j.carried.form}), which`);

  const allowlist = cidrSet(input.allowlist, 'allowlist');
  for (const j of judged) {
    const allowed = allowlist.match(j.address);
    if (allowed) return refuse('allowlisted', `${subject(j)} is in the allowlisted range ${allowed.text}`, allowed.text);
  }

  const vpcCidrs = cidrSet(input.vpcCidrs, 'vpcCidrs');
  for (const j of judged) {
    const vpc = vpcCidrs.match(j.address);
    if (vpc) return refuse('vpc-cidr', `${subject(j)} is in the VPC's own range ${vpc.text}`, vpc.text);
  }

  const special = judged.map((j) => [j, specialRangeOf(j.address)] as const);
  for (const [j, range] of special) {
    if (range?.kind === 'not-a-host') return refuse('not-a-host', `${subject(j)} is in ${range.cidr} (${range.name}): ${range.why}`, range.cidr);
  }
  for (const [j, range] of special) {
    if (range?.kind === 'private' && !input.allowPrivate) {
      return refuse('private-range', `${subject(j)} is in ${range.cidr} (${range.name}: ${range.why}); private ranges are blocked only when the config sets allowPrivate`, range.cidr);
    }
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
