/**
 * Network ACLs on EC2 (@aws-sdk/client-ec2). EC2 models none of its errors: SDK v3 raises an
 * EC2ServiceException whose `name` (and `Code`) is the EC2 error code, which is what is matched
 * here (EC2 API Reference, Error codes, https://docs.aws.amazon.com/AWSEC2/latest/APIReference/errors-overview.html).
 */
import {
  CreateNetworkAclEntryCommand,
  DeleteNetworkAclEntryCommand,
  DescribeNetworkAclsCommand,
  DescribeNetworkInterfacesCommand,
  type EC2Client,
  type NetworkAcl,
  type NetworkAclEntry as Ec2NetworkAclEntry,
  type NetworkInterface,
} from '@aws-sdk/client-ec2';
import { parseCidr } from '../../core/flowlog/address';
import {
  NetworkAclEntryExistsError,
  NetworkAclEntryNotFoundError,
  NetworkAclLimitError,
  NetworkAclNotFoundError,
  type NetworkAclAssociation,
  type NetworkAclEntry,
  type NetworkAclPort,
} from '../ports/network-acl';

/** EC2 accepts up to 200 values in one filter. */
const FILTER_VALUES = 200;
/** DescribeNetworkAcls and DescribeNetworkInterfaces take MaxResults from 5 to 1000. */
const PAGE_SIZE = 1000;
const MAX_PAGES = 100;

/** EC2 answered with something flowir cannot use (an entry without a rule number or CIDR, too many pages). */
export class NetworkAclResponseError extends Error {
  override readonly name = 'NetworkAclResponseError';
}

/** The EC2 error code of a failed call, if it is one. */
export function ec2ErrorCode(e: unknown): string | undefined {
  if (typeof e !== 'object' || e === null) return undefined;
  const { Code, name } = e as { Code?: unknown; name?: unknown };
  if (typeof Code === 'string' && Code !== '') return Code;
  return typeof name === 'string' ? name : undefined;
}

function translate(e: unknown, what: string): unknown {
  const code = ec2ErrorCode(e);
  const message = `${what}: ${e instanceof Error ? e.message : String(e)}`;
  switch (code) {
    case 'NetworkAclEntryAlreadyExists':
      return new NetworkAclEntryExistsError(message, { cause: e });
    case 'NetworkAclEntryLimitExceeded':
      return new NetworkAclLimitError(message, { cause: e });
    case 'InvalidNetworkAclEntry.NotFound':
      return new NetworkAclEntryNotFoundError(message, { cause: e });
    case 'InvalidNetworkAclID.NotFound':
      return new NetworkAclNotFoundError(message, { cause: e });
    default:
      return e;
  }
}

export class Ec2NetworkAclPort implements NetworkAclPort {
  constructor(private readonly ec2: EC2Client) {}

  async describe(networkAclId: string): Promise<NetworkAclEntry[]> {
    const acls = await this.networkAcls({ Name: 'network-acl-id', Values: [networkAclId] });
    const acl = acls.find((a) => a.NetworkAclId === networkAclId);
    if (acl === undefined) throw new NetworkAclNotFoundError(`network ACL ${networkAclId} does not exist (DescribeNetworkAcls found none)`);
    return (acl.Entries ?? []).map((e, i) => toEntry(e, `${networkAclId} Entries[${i}]`));
  }

  async createEntry(networkAclId: string, entry: NetworkAclEntry): Promise<void> {
    const cidr = parseCidr(entry.cidr);
    try {
      await this.ec2.send(
        new CreateNetworkAclEntryCommand({
          NetworkAclId: networkAclId,
          RuleNumber: entry.ruleNumber,
          Protocol: entry.protocol,
          RuleAction: entry.ruleAction,
          Egress: entry.egress,
          ...(cidr.version === 4 ? { CidrBlock: cidr.text } : { Ipv6CidrBlock: cidr.text }),
        }),
      );
    } catch (e) {
      throw translate(e, `CreateNetworkAclEntry ${networkAclId} #${entry.ruleNumber} (${entry.egress ? 'egress' : 'ingress'}) ${entry.ruleAction} ${cidr.text}`);
    }
  }

  async deleteEntry(networkAclId: string, ruleNumber: number, egress: boolean): Promise<void> {
    try {
      await this.ec2.send(new DeleteNetworkAclEntryCommand({ NetworkAclId: networkAclId, RuleNumber: ruleNumber, Egress: egress }));
    } catch (e) {
      throw translate(e, `DeleteNetworkAclEntry ${networkAclId} #${ruleNumber} (${egress ? 'egress' : 'ingress'})`);
    }
  }

  /**
   * By filter rather than by id, as the inventory does: DescribeNetworkInterfaces with
   * NetworkInterfaceIds fails the whole call when one interface is gone, and the others still need
   * their ACLs.
   */
  async aclsForInterfaces(interfaceIds: readonly string[]): Promise<NetworkAclAssociation[]> {
    const ids = [...new Set(interfaceIds)];
    if (ids.length === 0) return [];
    const enis: NetworkInterface[] = [];
    for (const chunk of chunks(ids, FILTER_VALUES)) {
      enis.push(
        ...(await pages('DescribeNetworkInterfaces', async (NextToken) => {
          const out = await this.ec2.send(new DescribeNetworkInterfacesCommand({ Filters: [{ Name: 'network-interface-id', Values: chunk }], MaxResults: PAGE_SIZE, ...(NextToken ? { NextToken } : {}) }));
          return { items: out.NetworkInterfaces ?? [], next: out.NextToken };
        })),
      );
    }
    const interfacesBySubnet = new Map<string, Set<string>>();
    for (const e of enis) {
      if (e.NetworkInterfaceId === undefined || e.SubnetId === undefined) continue;
      const set = interfacesBySubnet.get(e.SubnetId) ?? new Set<string>();
      set.add(e.NetworkInterfaceId);
      interfacesBySubnet.set(e.SubnetId, set);
    }
    const subnetIds = [...interfacesBySubnet.keys()];
    const out = new Map<string, { vpcId: string | null; subnets: Set<string>; interfaces: Set<string> }>();
    for (const chunk of chunks(subnetIds, FILTER_VALUES)) {
      for (const acl of await this.networkAcls({ Name: 'association.subnet-id', Values: chunk })) {
        if (acl.NetworkAclId === undefined) continue;
        for (const a of acl.Associations ?? []) {
          if (a.SubnetId === undefined || !interfacesBySubnet.has(a.SubnetId)) continue;
          const entry = out.get(acl.NetworkAclId) ?? { vpcId: acl.VpcId ?? null, subnets: new Set<string>(), interfaces: new Set<string>() };
          entry.subnets.add(a.SubnetId);
          for (const i of interfacesBySubnet.get(a.SubnetId) ?? []) entry.interfaces.add(i);
          out.set(acl.NetworkAclId, entry);
        }
      }
    }
    return [...out.entries()]
      .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))
      .map(([networkAclId, v]) => ({ networkAclId, vpcId: v.vpcId, subnetIds: [...v.subnets].sort(), interfaceIds: [...v.interfaces].sort() }));
  }

  private async networkAcls(filter: { Name: string; Values: string[] }): Promise<NetworkAcl[]> {
    return pages('DescribeNetworkAcls', async (NextToken) => {
      try {
        const out = await this.ec2.send(new DescribeNetworkAclsCommand({ Filters: [filter], MaxResults: PAGE_SIZE, ...(NextToken ? { NextToken } : {}) }));
        return { items: out.NetworkAcls ?? [], next: out.NextToken };
      } catch (e) {
        throw translate(e, `DescribeNetworkAcls ${filter.Name}=${filter.Values.join(',')}`);
      }
    });
  }
}

function toEntry(e: Ec2NetworkAclEntry, where: string): NetworkAclEntry {
  const cidr = e.CidrBlock ?? e.Ipv6CidrBlock;
  if (e.RuleNumber === undefined || cidr === undefined || e.Protocol === undefined || (e.RuleAction !== 'allow' && e.RuleAction !== 'deny')) {
    throw new NetworkAclResponseError(`${where}: expected RuleNumber, Protocol, RuleAction (allow or deny) and CidrBlock or Ipv6CidrBlock, got ${JSON.stringify(e)}`);
  }
  return { ruleNumber: e.RuleNumber, egress: e.Egress === true, ruleAction: e.RuleAction, protocol: e.Protocol, cidr };
}

async function pages<T>(operation: string, fetch: (token: string | undefined) => Promise<{ items: T[]; next: string | undefined }>): Promise<T[]> {
  const all: T[] = [];
  let token: string | undefined;
  for (let page = 0; page < MAX_PAGES; page++) {
    const { items, next } = await fetch(token);
    all.push(...items);
    if (next === undefined || next === '') return all;
    token = next;
  }
  throw new NetworkAclResponseError(`${operation}: more than ${MAX_PAGES} pages`);
}

function chunks<T>(items: readonly T[], size: number): T[][] {
  const out: T[][] = [];
  for (let i = 0; i < items.length; i += size) out.push(items.slice(i, i + size));
  return out;
}
