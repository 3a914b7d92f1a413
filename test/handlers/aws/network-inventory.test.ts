import { DescribeNetworkInterfacesCommand, DescribeSecurityGroupsCommand, EC2Client, type Filter, type NetworkInterface, type SecurityGroup } from '@aws-sdk/client-ec2';
import { mockClient } from 'aws-sdk-client-mock';
import 'aws-sdk-client-mock-jest';
import { describePermission, Ec2NetworkInventory } from '../../../handlers/aws/network-inventory';

/** EC2 as the inventory uses it: describe by filter (absent ids are simply not returned), paged by NextToken. */
function fakeEc2(enis: NetworkInterface[], groups: SecurityGroup[], pageSize = 2) {
  const mock = mockClient(EC2Client);
  const page = <T>(items: T[], token: string | undefined, max: number | undefined) => {
    if (max !== undefined && (max < 5 || max > 1000)) throw new Error('InvalidParameterValue: MaxResults must be between 5 and 1000');
    const from = token === undefined ? 0 : Number(token);
    const size = Math.min(pageSize, max ?? Infinity);
    return { items: items.slice(from, from + size), next: from + size < items.length ? String(from + size) : undefined };
  };
  const values = (filters: Filter[] | undefined, name: string): string[] => {
    const f = filters?.find((x) => x.Name === name);
    if (f === undefined) throw new Error(`fake EC2 expects a ${name} filter`);
    if ((f.Values ?? []).length > 200) throw new Error('InvalidParameterValue: too many filter values');
    return f.Values ?? [];
  };
  mock.on(DescribeNetworkInterfacesCommand).callsFake((input: { Filters?: Filter[]; NextToken?: string; MaxResults?: number; NetworkInterfaceIds?: string[] }) => {
    if (input.NetworkInterfaceIds !== undefined && input.MaxResults !== undefined) throw new Error('InvalidParameterCombination');
    const ids = values(input.Filters, 'network-interface-id');
    const p = page(enis.filter((e) => ids.includes(e.NetworkInterfaceId ?? '')), input.NextToken, input.MaxResults);
    return { NetworkInterfaces: p.items, ...(p.next !== undefined ? { NextToken: p.next } : {}) };
  });
  mock.on(DescribeSecurityGroupsCommand).callsFake((input: { Filters?: Filter[]; NextToken?: string; MaxResults?: number }) => {
    const ids = values(input.Filters, 'group-id');
    const p = page(groups.filter((g) => ids.includes(g.GroupId ?? '')), input.NextToken, input.MaxResults);
    return { SecurityGroups: p.items, ...(p.next !== undefined ? { NextToken: p.next } : {}) };
  });
  return { mock, client: new EC2Client({ region: 'us-east-1' }) };
}

const eni = (id: string, address: string, groups: Array<[string, string]>): NetworkInterface => ({
  NetworkInterfaceId: id,
  PrivateIpAddresses: [{ PrivateIpAddress: address, Primary: true }],
  Ipv6Addresses: id === 'eni-0b' ? [{ Ipv6Address: '2600:1f18:4a3:6a00::20' }] : [],
  Groups: groups.map(([GroupId, GroupName]) => ({ GroupId, GroupName })),
});

const web: SecurityGroup = {
  GroupId: 'sg-0web',
  GroupName: 'web',
  IpPermissions: [
    { IpProtocol: 'tcp', FromPort: 443, ToPort: 443, IpRanges: [{ CidrIp: '0.0.0.0/0' }], Ipv6Ranges: [{ CidrIpv6: '::/0' }] },
    { IpProtocol: 'tcp', FromPort: 22, ToPort: 22, IpRanges: [{ CidrIp: '203.0.113.0/24', Description: 'vendor' }] },
  ],
};
const admin: SecurityGroup = {
  GroupId: 'sg-0admin',
  GroupName: 'admin',
  IpPermissions: [
    { IpProtocol: '-1', UserIdGroupPairs: [{ GroupId: 'sg-0bastion' }] },
    { IpProtocol: 'udp', FromPort: 1024, ToPort: 65535, PrefixListIds: [{ PrefixListId: 'pl-0abc' }] },
    { IpProtocol: 'icmp', FromPort: 8, ToPort: -1, IpRanges: [{ CidrIp: '10.0.0.0/8' }] },
  ],
};

describe('Ec2NetworkInventory', () => {
  let fake: ReturnType<typeof fakeEc2>;
  afterEach(() => fake.mock.restore());

  it('describes the interfaces and the inbound rules of their groups, over every page, in the order asked', async () => {
    fake = fakeEc2([eni('eni-0a', '10.0.1.20', [['sg-0web', 'web']]), eni('eni-0b', '10.0.1.21', [['sg-0web', 'web'], ['sg-0admin', 'admin']]), eni('eni-0c', '10.0.1.22', [])], [web, admin]);
    const out = await new Ec2NetworkInventory(fake.client).interfaces(['eni-0c', 'eni-0b', 'eni-0a', 'eni-0b']);
    expect(out).toEqual([
      { interfaceId: 'eni-0c', privateAddresses: ['10.0.1.22'], securityGroups: [] },
      {
        interfaceId: 'eni-0b',
        privateAddresses: ['10.0.1.21', '2600:1f18:4a3:6a00::20'],
        securityGroups: [
          { id: 'sg-0web', name: 'web', inboundRules: ['tcp 443 from 0.0.0.0/0', 'tcp 443 from ::/0', 'tcp 22 from 203.0.113.0/24 (vendor)'] },
          { id: 'sg-0admin', name: 'admin', inboundRules: ['all traffic from sg-0bastion', 'udp 1024-65535 from pl-0abc', 'icmp type 8 code all from 10.0.0.0/8'] },
        ],
      },
      { interfaceId: 'eni-0a', privateAddresses: ['10.0.1.20'], securityGroups: [{ id: 'sg-0web', name: 'web', inboundRules: ['tcp 443 from 0.0.0.0/0', 'tcp 443 from ::/0', 'tcp 22 from 203.0.113.0/24 (vendor)'] }] },
    ]);
    expect(fake.mock).toHaveReceivedCommandTimes(DescribeNetworkInterfacesCommand, 2);
    expect(fake.mock).toHaveReceivedCommandWith(DescribeSecurityGroupsCommand, { Filters: [{ Name: 'group-id', Values: ['sg-0web', 'sg-0admin'] }] });
  });

  it('leaves out interfaces deleted since, and says when a group no longer exists', async () => {
    fake = fakeEc2([eni('eni-0a', '10.0.1.20', [['sg-0gone', 'old']])], []);
    expect(await new Ec2NetworkInventory(fake.client).interfaces(['eni-0deleted', 'eni-0a'])).toEqual([
      { interfaceId: 'eni-0a', privateAddresses: ['10.0.1.20'], securityGroups: [{ id: 'sg-0gone', name: 'old', inboundRules: ['(security group no longer exists)'] }] },
    ]);
  });

  it('asks EC2 nothing for no interfaces, and at most 200 ids per filter', async () => {
    fake = fakeEc2([], []);
    const inventory = new Ec2NetworkInventory(fake.client);
    expect(await inventory.interfaces([])).toEqual([]);
    expect(fake.mock).toHaveReceivedCommandTimes(DescribeNetworkInterfacesCommand, 0);
    await inventory.interfaces(Array.from({ length: 450 }, (_, i) => `eni-${i}`));
    expect(fake.mock).toHaveReceivedCommandTimes(DescribeNetworkInterfacesCommand, 3);
  });

  it('describes each kind of permission in words', () => {
    expect(describePermission({ IpProtocol: 'tcp', FromPort: 0, ToPort: 65535, IpRanges: [{ CidrIp: '10.0.0.0/16' }] })).toEqual(['tcp all ports from 10.0.0.0/16']);
    expect(describePermission({ IpProtocol: '50', IpRanges: [{ CidrIp: '192.0.2.0/24' }] })).toEqual(['50 all ports from 192.0.2.0/24']);
    expect(describePermission({ IpProtocol: 'icmpv6', FromPort: -1, ToPort: -1, Ipv6Ranges: [{ CidrIpv6: '::/0' }] })).toEqual(['icmpv6 all from ::/0']);
    expect(describePermission({ IpProtocol: 'tcp', FromPort: 3389, ToPort: 3389 })).toEqual(['tcp 3389 from (no source)']);
  });
});
