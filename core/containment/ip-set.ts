import { CidrError, cidrContains, parseCidr, type Cidr } from '../flowlog/address';
import type { GuardrailRefusal } from './guardrails';

/** WAF's limit on addresses (CIDRs) per IP set. */
export const WAF_IP_SET_LIMIT = 10_000;

/**
 * An update plan for one IP set. `addresses` is the full list to send with `UpdateIPSet` (it
 * replaces the set); when `changed` is false no update is needed and the list is returned as read.
 */
export type IpSetPlan =
  | { readonly ok: true; readonly addresses: string[]; readonly changed: boolean; readonly coveredBy: string | null }
  | { readonly ok: false; readonly refusal: GuardrailRefusal };

export class IpSetError extends Error {
  override readonly name = 'IpSetError';
}

function parseEntry(text: string, where: string): Cidr {
  try {
    return parseCidr(text);
  } catch (e) {
    throw new IpSetError(`${where}: ${e instanceof CidrError ? e.message : String(e)}`);
  }
}

// Keyed by canonical value, so one CIDR spelled two ways counts once toward the limit.
function readSet(current: readonly string[], version: 4 | 6): Cidr[] {
  const seen = new Map<string, Cidr>();
  current.forEach((text, i) => {
    const c = parseEntry(text, `current[${i}]`);
    if (c.version !== version) throw new IpSetError(`current[${i}]: "${text}" is IPv${c.version}, but the set holds IPv${version} addresses`);
    if (!seen.has(c.text)) seen.set(c.text, c);
  });
  return [...seen.values()];
}

/**
 * Add a CIDR to an IP set's address list. Entries are compared by value, so whatever text WAF
 * returns (expanded or upper-case IPv6) matches; a changed list is written in canonical text
 * (RFC 5952 for IPv6, host bits cleared, which WAF requires), each value once. Idempotent: a CIDR
 * already present, or inside a broader entry, changes nothing. Refuses (guardrail `ip-set-limit`)
 * when the set would pass `limit` entries.
 */
export function planAdd(current: readonly string[], cidr: string, limit: number = WAF_IP_SET_LIMIT): IpSetPlan {
  const add = parseEntry(cidr, 'cidr');
  const set = readSet(current, add.version);
  const network = { version: add.version, text: add.text, value: add.network };
  const covering = set.find((c) => c.prefix <= add.prefix && cidrContains(c, network));
  if (covering) return { ok: true, addresses: [...current], changed: false, coveredBy: covering.text === add.text ? null : covering.text };
  if (set.length + 1 > limit) {
    return {
      ok: false,
      refusal: { guardrail: 'ip-set-limit', reason: `the IPv${add.version} IP set holds ${set.length === 1 ? '1 entry' : `${set.length.toLocaleString('en-US')} entries`}; adding ${add.text} would pass its limit of ${limit.toLocaleString('en-US')}`, matched: String(limit) },
    };
  }
  return { ok: true, addresses: [...set.map((c) => c.text), add.text], changed: true, coveredBy: null };
}

/**
 * Remove a CIDR (every entry of that value) from an IP set's address list. Broader entries that
 * contain it are left alone: flowir removes only what it added. Idempotent: absent means unchanged.
 */
export function planRemove(current: readonly string[], cidr: string): { readonly addresses: string[]; readonly changed: boolean } {
  const remove = parseEntry(cidr, 'cidr');
  const set = readSet(current, remove.version);
  if (!set.some((c) => c.text === remove.text)) return { addresses: [...current], changed: false };
  return { addresses: set.filter((c) => c.text !== remove.text).map((c) => c.text), changed: true };
}
