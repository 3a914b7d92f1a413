/**
 * Where `flowir run` serves its approval pages and which host its links name. Pure (the network
 * interfaces are passed in), so every case is testable without binding anything but loopback.
 */
import { BlockList, isIP } from 'node:net';
import type { NetworkInterfaceInfo } from 'node:os';

export const DEFAULT_APPROVAL_HOST = '127.0.0.1';

/** The interfaces table, as `os.networkInterfaces()` returns it. */
export type InterfaceTable = Readonly<Record<string, readonly NetworkInterfaceInfo[] | undefined>>;

export interface ApprovalHost {
  /** What the server listens on (an address or a name, without brackets). */
  readonly bind: string;
  /** The host part of the links (IPv6 in brackets). */
  readonly linkHost: string;
  /** Only this machine can reach the pages. */
  readonly loopback: boolean;
  /** A plain warning for stderr when the pages are reachable from the network; null on loopback. */
  readonly warning: string | null;
  /** How the link host was chosen for a wildcard bind; null otherwise. */
  readonly note: string | null;
}

export class ApprovalHostError extends Error {
  override readonly name = 'ApprovalHostError';
}

const HOSTNAME = /^(?=.{1,253}$)[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?(?:\.[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?)*\.?$/i;

const LOOPBACK = new BlockList();
LOOPBACK.addSubnet('127.0.0.0', 8, 'ipv4');
LOOPBACK.addAddress('::1', 'ipv6');
LOOPBACK.addSubnet('::ffff:127.0.0.0', 104, 'ipv6');

/** 127.0.0.0/8, ::1 (any spelling), ::ffff:127.x.y.z, `localhost` and names under `.localhost` (RFC 6761). */
export function isLoopbackHost(host: string): boolean {
  const h = unbracket(host).toLowerCase();
  if (h === 'localhost' || h.endsWith('.localhost')) return true;
  const family = isIP(h);
  return family !== 0 && LOOPBACK.check(h, family === 4 ? 'ipv4' : 'ipv6');
}

/**
 * Resolve `--host`. A concrete address or name is used as given, for the bind and the links. The
 * wildcards `0.0.0.0` and `::` listen everywhere, but a link cannot name "everywhere": it gets the
 * first non-internal IPv4 address of this machine (for `::` a global IPv6 one if there is no IPv4),
 * and 127.0.0.1 (or ::1) when the machine has no network address at all.
 */
export function resolveApprovalHost(host: string, interfaces: InterfaceTable): ApprovalHost {
  const bind = unbracket(host.trim());
  if (bind === '' || bind.includes('%') || (isIP(bind) === 0 && !HOSTNAME.test(bind))) {
    throw new ApprovalHostError(`--host: expected an IP address or a host name (e.g. 127.0.0.1, 192.168.1.20, ::1, mylaptop.local), got "${host}"`);
  }
  const wildcard = bind === '0.0.0.0' || (isIP(bind) === 6 && /^[0:]+$/.test(bind));
  if (!wildcard) {
    const loopback = isLoopbackHost(bind);
    return { bind, linkHost: linkHostOf(bind), loopback, warning: loopback ? null : exposureWarning(bind), note: null };
  }
  const all = Object.values(interfaces).flatMap((list) => list ?? []);
  const v4 = all.find((i) => i.family === 'IPv4' && !i.internal);
  // Link-local IPv6 (fe80::/10) needs a zone id that differs per machine: not usable in a link.
  const v6 = bind === '0.0.0.0' ? undefined : all.find((i) => i.family === 'IPv6' && !i.internal && !/^fe[89ab]/i.test(i.address));
  const chosen = v4 ?? v6;
  const fallback = bind === '0.0.0.0' ? '127.0.0.1' : '::1';
  const linkAddress = chosen?.address ?? fallback;
  const note =
    chosen === undefined
      ? `listening on every interface (${bind}), but this machine has no network address: the links use ${fallback}`
      : `listening on every interface (${bind}); the links use ${linkAddress} (the first non-internal ${chosen.family} address, interface ${interfaceOf(interfaces, chosen)}); give --host that address or another to choose`;
  return { bind, linkHost: linkHostOf(linkAddress), loopback: false, warning: exposureWarning(bind), note };
}

function exposureWarning(bind: string): string {
  return (
    `the approval pages listen on ${bind}, not only on this machine: anyone who can reach it on that network can open them, ` +
    'over plain HTTP (not encrypted). The links are still signed and single-use, but whoever sees a link first can use it. ' +
    `Leave out --host (${DEFAULT_APPROVAL_HOST}) to keep them on this machine.`
  );
}

function unbracket(host: string): string {
  return host.startsWith('[') && host.endsWith(']') ? host.slice(1, -1) : host;
}

function linkHostOf(host: string): string {
  return isIP(host) === 6 ? `[${host}]` : host;
}

function interfaceOf(interfaces: InterfaceTable, info: NetworkInterfaceInfo): string {
  return Object.entries(interfaces).find(([, list]) => list?.includes(info))?.[0] ?? '?';
}
