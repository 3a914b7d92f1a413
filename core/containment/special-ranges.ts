import { cidrContains, parseAddress, parseCidr, type Cidr, type ParsedAddress } from '../flowlog/address';

/**
 * - `private`: internal address space; blocked only when the config allows private ranges
 *   (to contain a compromised host inside the network).
 * - `not-a-host`: no peer on the internet has this address as a source; a flow "from" it is spoofed,
 *   an artefact or your own plumbing, so a block would stop nobody and could break something. Never
 *   blocked.
 */
export type SpecialRangeKind = 'private' | 'not-a-host';

export interface SpecialRange {
  readonly cidr: string;
  readonly name: string;
  readonly kind: SpecialRangeKind;
  readonly why: string;
}

/*
 * Sources: the IANA IPv4 Special-Purpose Address Registry
 * (https://www.iana.org/assignments/iana-ipv4-special-registry/) and the IANA IPv6 Special-Purpose
 * Address Registry (https://www.iana.org/assignments/iana-ipv6-special-registry/), both set up by
 * RFC 6890 (BCP 153) and updated since (RFC 8190 and the RFCs named per entry). An entry whose
 * "Globally Reachable" is False, or whose "Source" is False, cannot be the source of a packet that
 * reached us from the internet: it is `not-a-host` here, never blocked. Two exceptions, both from
 * DESIGN §5:
 * - the private ranges (RFC 1918, RFC 6598, loopback, link-local, fc00::/7) are `private`: blocked
 *   only with allowPrivate, to contain your own compromised hosts;
 * - the documentation ranges 192.0.2.0/24, 198.51.100.0/24, 203.0.113.0/24 (RFC 5737) and
 *   2001:db8::/32 (RFC 3849) are absent on purpose: they count as public, so examples and tests
 *   behave like the internet. 3fff::/20 (documentation too, RFC 9637, 2024) is not in DESIGN's list
 *   and is treated as the registry says: not globally reachable.
 * Multicast (224.0.0.0/4, ff00::/8) is not in the special-purpose registries (it has registries of
 * its own) but is never a sender. The IPv6 transition forms that carry an IPv4 address
 * (IPv4-mapped, IPv4-compatible, NAT64 64:ff9b::/96, 6to4, Teredo) are judged by that IPv4 address:
 * see {@link embeddedIpv4Of}.
 */
const IPV4_REGISTRY = 'the IANA IPv4 Special-Purpose Address Registry';
const IPV6_REGISTRY = 'the IANA IPv6 Special-Purpose Address Registry';
const notGlobal = (registry: string, what: string): string => `${what}; ${registry} marks it not globally reachable, so no peer on the internet sends from it: a flow "from" it is spoofed, or local`;
const notSource = (registry: string, what: string): string => `${what}; ${registry} marks it invalid as a source, so a flow "from" it is spoofed or an artefact`;

/**
 * Ranges containment treats specially. The most specific range holding an address is the one that
 * counts (192.0.0.8/32 within 192.0.0.0/29 within 192.0.0.0/24), and {@link GLOBALLY_REACHABLE}
 * carves public blocks back out of the non-global ones.
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
  // IPv4 Special-Purpose Address Registry, the entries not above.
  { cidr: '192.0.0.0/24', name: 'IETF protocol assignments (RFC 6890)', kind: 'not-a-host', why: notSource(IPV4_REGISTRY, 'usable only through a more specific assignment') },
  { cidr: '192.0.0.0/29', name: 'IPv4 service continuity prefix (DS-Lite, RFC 7335)', kind: 'not-a-host', why: notGlobal(IPV4_REGISTRY, 'the inside of a DS-Lite or 464XLAT tunnel') },
  { cidr: '192.0.0.8/32', name: 'IPv4 dummy address (RFC 7600)', kind: 'not-a-host', why: notGlobal(IPV4_REGISTRY, 'a placeholder source of hosts with no IPv4 address of their own') },
  { cidr: '192.0.0.170/32', name: 'NAT64/DNS64 discovery (RFC 8880)', kind: 'not-a-host', why: notSource(IPV4_REGISTRY, 'a DNS name target, never on the wire') },
  { cidr: '192.0.0.171/32', name: 'NAT64/DNS64 discovery (RFC 8880)', kind: 'not-a-host', why: notSource(IPV4_REGISTRY, 'a DNS name target, never on the wire') },
  { cidr: '192.88.99.0/24', name: '6to4 relay anycast, deprecated (RFC 7526)', kind: 'not-a-host', why: `deprecated in 2015 and no longer assigned; ${IPV4_REGISTRY} lists it as terminated, so no peer on the internet sends from it` },
  { cidr: '192.88.99.2/32', name: '6a44 relay anycast (RFC 6751)', kind: 'not-a-host', why: notGlobal(IPV4_REGISTRY, 'a relay inside one provider\'s network') },
  { cidr: '198.18.0.0/15', name: 'benchmarking (RFC 2544)', kind: 'not-a-host', why: notGlobal(IPV4_REGISTRY, 'set aside for test labs') },
  // IPv6 Special-Purpose Address Registry, the entries not above.
  { cidr: '64:ff9b:1::/48', name: 'local-use IPv4/IPv6 translation (RFC 8215)', kind: 'not-a-host', why: notGlobal(IPV6_REGISTRY, 'only your own translator uses it') },
  { cidr: '100::/64', name: 'discard-only (RFC 6666)', kind: 'not-a-host', why: notGlobal(IPV6_REGISTRY, 'a black hole for remotely triggered discards') },
  { cidr: '100:0:0:1::/64', name: 'dummy IPv6 prefix (RFC 9780)', kind: 'not-a-host', why: notGlobal(IPV6_REGISTRY, 'a placeholder, never routed') },
  { cidr: '2001::/23', name: 'IETF protocol assignments (RFC 2928)', kind: 'not-a-host', why: notSource(IPV6_REGISTRY, 'usable only through a more specific assignment') },
  { cidr: '2001:2::/48', name: 'benchmarking (RFC 5180)', kind: 'not-a-host', why: notGlobal(IPV6_REGISTRY, 'set aside for test labs') },
  { cidr: '2001:10::/28', name: 'ORCHID, deprecated (RFC 4843)', kind: 'not-a-host', why: `its assignment ended in 2014 (${IPV6_REGISTRY}), and ORCHIDs were never routable: no peer on the internet sends from it` },
  { cidr: '3fff::/20', name: 'documentation (RFC 9637)', kind: 'not-a-host', why: notSource(IPV6_REGISTRY, 'for examples only') },
  { cidr: '5f00::/16', name: 'SRv6 segment identifiers (RFC 9602)', kind: 'not-a-host', why: notGlobal(IPV6_REGISTRY, 'labels inside one segment-routing domain') },
];

/**
 * Blocks inside a non-global range above that the registries mark globally reachable (or, for
 * Teredo, judge by what they carry): an address in one of them is not special.
 */
export const GLOBALLY_REACHABLE: readonly { readonly cidr: string; readonly name: string }[] = [
  { cidr: '192.0.0.9/32', name: 'Port Control Protocol anycast (RFC 7723)' },
  { cidr: '192.0.0.10/32', name: 'TURN anycast (RFC 8155)' },
  { cidr: '2001::/32', name: 'Teredo (RFC 4380): judged by the IPv4 addresses it carries' },
  { cidr: '2001:1::1/128', name: 'Port Control Protocol anycast (RFC 7723)' },
  { cidr: '2001:1::2/128', name: 'TURN anycast (RFC 8155)' },
  { cidr: '2001:1::3/128', name: 'DNS-SD service registration protocol anycast (RFC 9665)' },
  { cidr: '2001:3::/32', name: 'AMT (RFC 7450)' },
  { cidr: '2001:4:112::/48', name: 'AS112-v6 (RFC 7535)' },
  { cidr: '2001:20::/28', name: 'ORCHIDv2 (RFC 7343)' },
  { cidr: '2001:30::/28', name: 'drone remote ID entity tags (RFC 9374)' },
];

type Entry = readonly [Cidr, SpecialRange | undefined];
const ENTRIES: readonly Entry[] = [...SPECIAL_RANGES.map((r): Entry => [parseCidr(r.cidr), r]), ...GLOBALLY_REACHABLE.map((g): Entry => [parseCidr(g.cidr), undefined])];

function rangeOfParsed(address: ParsedAddress): SpecialRange | undefined {
  let best: Entry | undefined;
  for (const entry of ENTRIES) if (cidrContains(entry[0], address) && (best === undefined || entry[0].prefix > best[0].prefix)) best = entry;
  return best?.[1];
}

/**
 * The special range holding an address, if any: the most specific one. An IPv4-mapped IPv6
 * address is judged as its IPv4 address; for the IPv4 addresses other IPv6 forms carry, see
 * {@link embeddedIpv4Of}.
 */
export function specialRangeOf(address: string): SpecialRange | undefined {
  const effective = effectiveAddress(address);
  const parsed = effective === undefined ? undefined : parseAddress(effective);
  return parsed === undefined ? undefined : rangeOfParsed(parsed);
}

/**
 * The address a block must target: canonical text, and an IPv4-mapped IPv6 address (`::ffff:a.b.c.d`)
 * as its IPv4 address, since that is how the peer reaches IPv4 front doors and how guardrails
 * must judge it (otherwise `::ffff:10.0.0.5` would pass as public IPv6). Undefined when not an address.
 */
export function effectiveAddress(address: string): string | undefined {
  const parsed = parseAddress(address.trim());
  if (parsed === undefined) return undefined;
  if (parsed.version === 6 && parsed.value >> 32n === 0xffffn) return ipv4Text(parsed.value & 0xffffffffn);
  return parsed.text;
}

/** An IPv4 address carried inside an IPv6 address, and where. */
export interface EmbeddedIpv4 {
  readonly ipv4: string;
  /** The form and where the IPv4 address sits in it, e.g. "6to4, 2002::/16, bits 16–47, RFC 3056". */
  readonly form: string;
  /** The IPv6 prefix of the form. */
  readonly prefix: string;
}

const NAT64_WKP = 0x0064ff9b_0000_0000_0000_0000n; // 64:ff9b::/96, shifted right by 32
const TEREDO = 0x2001_0000n; // 2001::/32, shifted right by 96
const SIX_TO_FOUR = 0x2002n; // 2002::/16, shifted right by 112
const LOW32 = 0xffffffffn;

function ipv4Text(value: bigint): string {
  const v = Number(value & LOW32);
  return [v >>> 24, (v >>> 16) & 255, (v >>> 8) & 255, v & 255].join('.');
}

/**
 * The IPv4 addresses an IPv6 address carries, in the transition forms whose IPv4 address sits at a
 * fixed place; [] for any other address (and for IPv4 ones):
 * - IPv4-mapped `::ffff:0:0/96` (RFC 4291 §2.5.5.2), the last 32 bits;
 * - IPv4-compatible `::/96` (deprecated, RFC 4291 §2.5.5.1), the last 32 bits; not `::` and `::1`,
 *   the unspecified and loopback addresses;
 * - NAT64 well-known prefix `64:ff9b::/96` (RFC 6052 §2.1), the last 32 bits;
 * - 6to4 `2002::/16` (RFC 3056 §2), bits 16–47: the 6to4 site's router;
 * - Teredo `2001::/32` (RFC 4380 §4): the client's public (NAT) address is the last 32 bits, each
 *   inverted; the Teredo server's address is bits 32–63. Both are returned, the client first.
 * The local-use translation prefix `64:ff9b:1::/48` (RFC 8215) is not read: where its IPv4 address
 * sits depends on the prefix length each operator chose (RFC 6052 §2.2), and the registry marks
 * it not globally reachable anyway (see {@link SPECIAL_RANGES}).
 */
export function embeddedIpv4Of(address: string): EmbeddedIpv4[] {
  const parsed = parseAddress(address.trim());
  if (parsed === undefined || parsed.version !== 6) return [];
  const v = parsed.value;
  if (v >> 32n === 0xffffn) return [{ ipv4: ipv4Text(v), form: 'IPv4-mapped, ::ffff:0:0/96, RFC 4291', prefix: '::ffff:0:0/96' }];
  if (v >> 32n === 0n) return v > 1n ? [{ ipv4: ipv4Text(v), form: 'IPv4-compatible, ::/96, deprecated by RFC 4291', prefix: '::/96' }] : [];
  if (v >> 32n === NAT64_WKP) return [{ ipv4: ipv4Text(v), form: 'NAT64, 64:ff9b::/96, RFC 6052', prefix: '64:ff9b::/96' }];
  if (v >> 112n === SIX_TO_FOUR) return [{ ipv4: ipv4Text(v >> 80n), form: '6to4, 2002::/16, bits 16–47, RFC 3056', prefix: '2002::/16' }];
  if (v >> 96n === TEREDO) {
    return [
      { ipv4: ipv4Text(v ^ LOW32), form: 'Teredo client, 2001::/32, the last 32 bits inverted, RFC 4380', prefix: '2001::/32' },
      { ipv4: ipv4Text(v >> 64n), form: 'Teredo server, 2001::/32, bits 32–63, RFC 4380', prefix: '2001::/32' },
    ];
  }
  return [];
}
