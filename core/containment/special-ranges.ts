import { cidrContains, parseAddress, parseCidr, type Cidr } from '../flowlog/address';

/**
 * - `private`: internal address space; blocked only when the config allows private ranges
 *   (to contain a compromised host inside the network).
 * - `not-a-host`: no real peer has this address as a source; a flow "from" it is spoofed or an
 *   artefact, so a block would stop nobody and could break local plumbing. Never blocked.
 */
export type SpecialRangeKind = 'private' | 'not-a-host';

export interface SpecialRange {
  readonly cidr: string;
  readonly name: string;
  readonly kind: SpecialRangeKind;
  readonly why: string;
}

/**
 * Ranges containment treats specially. The documentation ranges (192.0.2.0/24, 198.51.100.0/24,
 * 203.0.113.0/24, 2001:db8::/32) are deliberately absent: they count as public, so examples and
 * tests behave like the internet.
 */
export const SPECIAL_RANGES: readonly SpecialRange[] = [
  { cidr: '10.0.0.0/8', name: 'private (RFC 1918)', kind: 'private', why: 'internal address space: usually your own hosts' },
  { cidr: '172.16.0.0/12', name: 'private (RFC 1918)', kind: 'private', why: 'internal address space: usually your own hosts' },
  { cidr: '192.168.0.0/16', name: 'private (RFC 1918)', kind: 'private', why: 'internal address space: usually your own hosts' },
  { cidr: '100.64.0.0/10', name: 'shared address space (RFC 6598)', kind: 'private', why: 'carrier-grade NAT space: your own or your provider\'s translated hosts' },
  { cidr: '127.0.0.0/8', name: 'loopback', kind: 'private', why: 'the host itself' },
  { cidr: '169.254.0.0/16', name: 'link-local', kind: 'private', why: 'holds the instance metadata service and Amazon DNS/NTP (169.254.169.254, .253, .123): blocking it breaks instances' },
  { cidr: '::1/128', name: 'loopback', kind: 'private', why: 'the host itself' },
  { cidr: 'fe80::/10', name: 'link-local', kind: 'private', why: 'reachable only on the local link; includes the IPv6 metadata and DNS endpoints' },
  { cidr: 'fc00::/7', name: 'unique local (RFC 4193)', kind: 'private', why: 'internal IPv6 address space: usually your own hosts' },
  { cidr: '0.0.0.0/8', name: '"this network"', kind: 'not-a-host', why: 'only a host without an address (during DHCP) sends from it; as a flow source it is spoofed or an artefact' },
  { cidr: '::/128', name: 'unspecified address', kind: 'not-a-host', why: 'means "no address"; as a flow source it is spoofed or an artefact' },
  { cidr: '224.0.0.0/4', name: 'multicast', kind: 'not-a-host', why: 'names a group, never a sender: a packet from it is spoofed, and blocking it could cut multicast your own hosts use' },
  { cidr: 'ff00::/8', name: 'multicast', kind: 'not-a-host', why: 'names a group, never a sender: a packet from it is spoofed, and blocking it could cut multicast your own hosts use' },
  { cidr: '240.0.0.0/4', name: 'reserved (and broadcast 255.255.255.255)', kind: 'not-a-host', why: 'not routable on the internet: a source here is spoofed or local broadcast' },
];

const PARSED: ReadonlyArray<readonly [SpecialRange, Cidr]> = SPECIAL_RANGES.map((r) => [r, parseCidr(r.cidr)]);

/** The special range holding an address, if any (an IPv4-mapped IPv6 address is judged as its IPv4 address). */
export function specialRangeOf(address: string): SpecialRange | undefined {
  const effective = effectiveAddress(address);
  const parsed = effective === undefined ? undefined : parseAddress(effective);
  if (parsed === undefined) return undefined;
  return PARSED.find(([, cidr]) => cidrContains(cidr, parsed))?.[0];
}

/**
 * The address a block must target: canonical text, and an IPv4-mapped IPv6 address (`::ffff:a.b.c.d`)
 * as its IPv4 address, since that is how the peer reaches IPv4 front doors and how guardrails
 * must judge it (otherwise `::ffff:10.0.0.5` would pass as public IPv6). Undefined when not an address.
 */
export function effectiveAddress(address: string): string | undefined {
  const parsed = parseAddress(address.trim());
  if (parsed === undefined) return undefined;
  if (parsed.version === 6 && parsed.value >> 32n === 0xffffn) {
    const v4 = Number(parsed.value & 0xffffffffn);
    return [v4 >>> 24, (v4 >>> 16) & 255, (v4 >>> 8) & 255, v4 & 255].join('.');
  }
  return parsed.text;
}
