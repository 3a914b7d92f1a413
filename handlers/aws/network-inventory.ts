/** The network inventory on EC2: the interfaces a source reached and the inbound rules of their security groups. */
import { DescribeNetworkInterfacesCommand, DescribeSecurityGroupsCommand, type EC2Client, type IpPermission, type NetworkInterface, type SecurityGroup } from '@aws-sdk/client-ec2';
import type { InterfaceInfo, NetworkInventory } from '../ports';

/** EC2 accepts up to 200 values in one filter. */
const FILTER_VALUES = 200;
const MAX_PAGES = 100;

export class NetworkInventoryError extends Error {
  override readonly name = 'NetworkInventoryError';
}

/**
 * Describe by filter rather than by id: DescribeNetworkInterfaces with NetworkInterfaceIds fails
 * the whole call when one interface has been deleted since the traffic, and evidence wants the
 * rest. Interfaces (and groups) that no longer exist are simply absent from the answer.
 */
export class Ec2NetworkInventory implements NetworkInventory {
  constructor(private readonly ec2: EC2Client) {}

  async interfaces(interfaceIds: readonly string[]): Promise<InterfaceInfo[]> {
    const ids = [...new Set(interfaceIds)];
    if (ids.length === 0) return [];
    const enis: NetworkInterface[] = [];
    for (const chunk of chunks(ids, FILTER_VALUES)) {
      enis.push(
        ...(await this.pages('DescribeNetworkInterfaces', async (NextToken) => {
          const out = await this.ec2.send(new DescribeNetworkInterfacesCommand({ Filters: [{ Name: 'network-interface-id', Values: chunk }], MaxResults: 1000, ...(NextToken ? { NextToken } : {}) }));
          return { items: out.NetworkInterfaces ?? [], next: out.NextToken };
        })),
      );
    }
    const groupIds = [...new Set(enis.flatMap((e) => (e.Groups ?? []).map((g) => g.GroupId).filter((g): g is string => g !== undefined)))];
    const groups = new Map<string, SecurityGroup>();
    for (const chunk of chunks(groupIds, FILTER_VALUES)) {
      const found = await this.pages('DescribeSecurityGroups', async (NextToken) => {
        const out = await this.ec2.send(new DescribeSecurityGroupsCommand({ Filters: [{ Name: 'group-id', Values: chunk }], MaxResults: 1000, ...(NextToken ? { NextToken } : {}) }));
        return { items: out.SecurityGroups ?? [], next: out.NextToken };
      });
      for (const g of found) if (g.GroupId !== undefined) groups.set(g.GroupId, g);
    }
    const order = new Map(ids.map((id, i) => [id, i]));
    return enis
      .filter((e): e is NetworkInterface & { NetworkInterfaceId: string } => e.NetworkInterfaceId !== undefined)
      .sort((a, b) => (order.get(a.NetworkInterfaceId) ?? 0) - (order.get(b.NetworkInterfaceId) ?? 0))
      .map((e) => ({
        interfaceId: e.NetworkInterfaceId,
        privateAddresses: [
          ...(e.PrivateIpAddresses ?? []).map((p) => p.PrivateIpAddress),
          ...(e.Ipv6Addresses ?? []).map((p) => p.Ipv6Address),
        ].filter((a): a is string => a !== undefined),
        securityGroups: (e.Groups ?? []).map((ref) => {
          const id = ref.GroupId ?? '';
          const group = groups.get(id);
          return {
            id,
            name: ref.GroupName ?? group?.GroupName ?? '',
            // A group deleted after the traffic has no rules to show; say so rather than show none.
            inboundRules: group === undefined ? ['(security group no longer exists)'] : (group.IpPermissions ?? []).flatMap(describePermission),
          };
        }),
      }));
  }

  private async pages<T>(operation: string, fetch: (token: string | undefined) => Promise<{ items: T[]; next: string | undefined }>): Promise<T[]> {
    const all: T[] = [];
    let token: string | undefined;
    for (let page = 0; page < MAX_PAGES; page++) {
      const { items, next } = await fetch(token);
      all.push(...items);
      if (next === undefined || next === '') return all;
      token = next;
    }
    throw new NetworkInventoryError(`${operation}: more than ${MAX_PAGES} pages`);
  }
}

function chunks<T>(items: readonly T[], size: number): T[][] {
  const out: T[][] = [];
  for (let i = 0; i < items.length; i += size) out.push(items.slice(i, i + size));
  return out;
}

const PROTOCOL_NAMES: Readonly<Record<string, string>> = { '-1': 'all', '6': 'tcp', '17': 'udp', '1': 'icmp', '58': 'icmpv6' };

/** One line per source of an inbound permission: `tcp 22 from 0.0.0.0/0 (office)`, `all traffic from sg-0abc`. */
export function describePermission(p: IpPermission): string[] {
  const protocol = PROTOCOL_NAMES[p.IpProtocol ?? '-1'] ?? (p.IpProtocol as string);
  let what: string;
  if (protocol === 'all') what = 'all traffic';
  else if (protocol === 'icmp' || protocol === 'icmpv6') {
    const type = p.FromPort === undefined || p.FromPort === -1 ? 'all' : String(p.FromPort);
    const code = p.ToPort === undefined || p.ToPort === -1 ? 'all' : String(p.ToPort);
    what = type === 'all' ? `${protocol} all` : `${protocol} type ${type} code ${code}`;
  } else if (p.FromPort === undefined || p.ToPort === undefined || (p.FromPort <= 0 && p.ToPort >= 65535) || p.FromPort === -1) what = `${protocol} all ports`;
  else what = p.FromPort === p.ToPort ? `${protocol} ${p.FromPort}` : `${protocol} ${p.FromPort}-${p.ToPort}`;
  const note = (d: string | undefined): string => (d ? ` (${d})` : '');
  const sources = [
    ...(p.IpRanges ?? []).map((r) => `${r.CidrIp ?? '?'}${note(r.Description)}`),
    ...(p.Ipv6Ranges ?? []).map((r) => `${r.CidrIpv6 ?? '?'}${note(r.Description)}`),
    ...(p.UserIdGroupPairs ?? []).map((g) => `${g.GroupId ?? '?'}${note(g.Description)}`),
    ...(p.PrefixListIds ?? []).map((l) => `${l.PrefixListId ?? '?'}${note(l.Description)}`),
  ];
  return sources.length === 0 ? [`${what} from (no source)`] : sources.map((s) => `${what} from ${s}`);
}
