/**
 * IPv4 / IPv6 parsing into canonical text (RFC 5952 for IPv6) and CIDR membership.
 * Pure functions over strings: no DNS, no network.
 */

export type IpVersion = 4 | 6;

export interface ParsedAddress {
  readonly version: IpVersion;
  /** Canonical text form. */
  readonly text: string;
  /** The address as an unsigned integer (32 or 128 bits). */
  readonly value: bigint;
}

function parseIpv4Value(text: string): number | undefined {
  const parts = text.split('.');
  if (parts.length !== 4) return undefined;
  let value = 0;
  for (const part of parts) {
    if (part.length === 0 || part.length > 3 || !/^\d+$/.test(part)) return undefined;
    if (part.length > 1 && part[0] === '0') return undefined; // leading zeros are ambiguous (octal)
    const n = Number(part);
    if (n > 255) return undefined;
    value = value * 256 + n;
  }
  return value;
}

function ipv4Text(value: number): string {
  return [value >>> 24, (value >>> 16) & 255, (value >>> 8) & 255, value & 255].join('.');
}

function parseIpv6Hextets(text: string): number[] | undefined {
  if (text.length < 2 || text.length > 45) return undefined;
  let head = text;
  let tailV4: number[] = [];
  const lastColon = text.lastIndexOf(':');
  if (text.indexOf('.', lastColon) !== -1) {
    const v4 = parseIpv4Value(text.slice(lastColon + 1));
    if (v4 === undefined) return undefined;
    tailV4 = [v4 >>> 16, v4 & 0xffff];
    const prefix = text.slice(0, lastColon + 1);
    head = prefix.endsWith('::') ? prefix : prefix.slice(0, -1);
  }
  const doubleAt = head.indexOf('::');
  if (doubleAt !== -1 && head.indexOf('::', doubleAt + 1) !== -1) return undefined;
  const parseGroups = (s: string): number[] | undefined => {
    if (s === '') return [];
    const groups: number[] = [];
    for (const g of s.split(':')) {
      if (!/^[0-9a-fA-F]{1,4}$/.test(g)) return undefined;
      groups.push(parseInt(g, 16));
    }
    return groups;
  };
  const want = 8 - tailV4.length;
  let groups: number[];
  if (doubleAt === -1) {
    const all = parseGroups(head);
    if (!all || all.length !== want) return undefined;
    groups = all;
  } else {
    const left = parseGroups(head.slice(0, doubleAt));
    const right = parseGroups(head.slice(doubleAt + 2));
    if (!left || !right) return undefined;
    const fill = want - left.length - right.length;
    if (fill < 1) return undefined;
    groups = [...left, ...new Array<number>(fill).fill(0), ...right];
  }
  return [...groups, ...tailV4];
}

function ipv6Text(hextets: readonly number[]): string {
  // RFC 5952: lower case, no leading zeros, the longest run (>= 2) of zero groups compressed (first on a tie).
  let bestStart = -1;
  let bestLen = 0;
  for (let i = 0; i < 8; ) {
    if (hextets[i] !== 0) {
      i++;
      continue;
    }
    let j = i;
    while (j < 8 && hextets[j] === 0) j++;
    if (j - i > bestLen) {
      bestStart = i;
      bestLen = j - i;
    }
    i = j;
  }
  const hex = (from: number, to: number): string[] => hextets.slice(from, to).map((h) => h.toString(16));
  const isMapped = hextets.slice(0, 5).every((h) => h === 0) && hextets[5] === 0xffff;
  if (isMapped) {
    const v4 = ((hextets[6] ?? 0) << 16) + (hextets[7] ?? 0);
    return `::ffff:${ipv4Text(v4 >>> 0)}`;
  }
  if (bestLen < 2) return hex(0, 8).join(':');
  return `${hex(0, bestStart).join(':')}::${hex(bestStart + bestLen, 8).join(':')}`;
}

/** Parse an IPv4 or IPv6 address; undefined when the text is not one. */
export function parseAddress(text: string): ParsedAddress | undefined {
  if (text.includes(':')) {
    const hextets = parseIpv6Hextets(text);
    if (!hextets) return undefined;
    let value = 0n;
    for (const h of hextets) value = (value << 16n) | BigInt(h);
    return { version: 6, text: ipv6Text(hextets), value };
  }
  const v4 = parseIpv4Value(text);
  if (v4 === undefined) return undefined;
  return { version: 4, text: ipv4Text(v4), value: BigInt(v4) };
}

/** Canonical text of an address, or undefined when it is not one. */
export function canonicalAddress(text: string): string | undefined {
  // Fast path: canonical dotted quads are by far the most common input.
  if (!text.includes(':')) {
    const v4 = parseIpv4Value(text);
    return v4 === undefined ? undefined : text;
  }
  return parseAddress(text)?.text;
}

export interface Cidr {
  readonly text: string;
  readonly version: IpVersion;
  readonly network: bigint;
  readonly prefix: number;
}

export class CidrError extends Error {
  override readonly name = 'CidrError';
}

export function parseCidr(text: string): Cidr {
  const slash = text.indexOf('/');
  const addrText = slash === -1 ? text : text.slice(0, slash);
  const addr = parseAddress(addrText.trim());
  if (!addr) throw new CidrError(`"${text}" is not an IPv4 or IPv6 CIDR`);
  const bits = addr.version === 4 ? 32 : 128;
  const prefixText = slash === -1 ? String(bits) : text.slice(slash + 1).trim();
  if (!/^\d{1,3}$/.test(prefixText) || Number(prefixText) > bits) {
    throw new CidrError(`"${text}" has an invalid prefix length (0 to ${bits})`);
  }
  const prefix = Number(prefixText);
  const hostBits = BigInt(bits - prefix);
  const network = (addr.value >> hostBits) << hostBits;
  return { text: `${addr.version === 4 ? ipv4Text(Number(network)) : ipv6Text(toHextets(network))}/${prefix}`, version: addr.version, network, prefix };
}

function toHextets(value: bigint): number[] {
  const out: number[] = [];
  for (let i = 7; i >= 0; i--) out.push(Number((value >> BigInt(i * 16)) & 0xffffn));
  return out;
}

export function cidrContains(cidr: Cidr, address: ParsedAddress): boolean {
  if (cidr.version !== address.version) return false;
  const bits = cidr.version === 4 ? 32 : 128;
  const hostBits = BigInt(bits - cidr.prefix);
  return (address.value >> hostBits) << hostBits === cidr.network;
}

/** A set of CIDRs with a membership test on address text. */
export class CidrSet {
  private readonly cidrs: readonly Cidr[];
  constructor(cidrs: readonly (string | Cidr)[]) {
    this.cidrs = cidrs.map((c) => (typeof c === 'string' ? parseCidr(c) : c));
  }
  get size(): number {
    return this.cidrs.length;
  }
  /** The first CIDR containing the address, if any. */
  match(addressText: string): Cidr | undefined {
    const addr = parseAddress(addressText);
    if (!addr) return undefined;
    return this.cidrs.find((c) => cidrContains(c, addr));
  }
  has(addressText: string): boolean {
    return this.match(addressText) !== undefined;
  }
}
