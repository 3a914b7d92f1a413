import { Readable } from 'node:stream';
import { CreateNetworkAclEntryCommand, DescribeNetworkAclsCommand, DescribeNetworkInterfacesCommand, EC2Client } from '@aws-sdk/client-ec2';
import { PutCommand } from '@aws-sdk/lib-dynamodb';
import 'aws-sdk-client-mock-jest';
import { DynamoAclLease, LEASE_PARTITION } from '../../../handlers/aws/acl-lease';
import { Ec2NetworkAclPort, ec2ErrorCode } from '../../../handlers/aws/network-acl';
import { NetworkAclEntryExistsError, NetworkAclEntryNotFoundError, NetworkAclLimitError, NetworkAclNotFoundError, type NetworkAclEntry } from '../../../handlers/ports/network-acl';
import { fixedClock } from '../../local/adapters/temp-dir';
import { defaultAclEntries, ec2Error, fakeEc2, fakeLeaseTable } from '../mocks/fake-ec2';

const deny = (ruleNumber: number, cidr: string): NetworkAclEntry => ({ ruleNumber, egress: false, ruleAction: 'deny', protocol: '-1', cidr });

function world(options: { quota?: number; pageSize?: number } = {}) {
  const ec2 = fakeEc2(
    {
      networkAcls: [
        { networkAclId: 'acl-0default', isDefault: true, subnetIds: ['subnet-01', 'subnet-02'], entries: defaultAclEntries(true) },
        { networkAclId: 'acl-0web', subnetIds: ['subnet-03'], entries: [{ ruleNumber: 100, egress: false, ruleAction: 'allow', protocol: '6', cidr: '0.0.0.0/0' }, ...defaultAclEntries().filter((e) => e.ruleNumber === 32767)] },
      ],
      interfaces: [
        { interfaceId: 'eni-0a', subnetId: 'subnet-01' },
        { interfaceId: 'eni-0b', subnetId: 'subnet-02' },
        { interfaceId: 'eni-0c', subnetId: 'subnet-03' },
        { interfaceId: 'eni-0d', subnetId: 'subnet-01' },
        { interfaceId: 'eni-0e', subnetId: 'subnet-09' },
      ],
    },
    options,
  );
  return { ec2, port: new Ec2NetworkAclPort(ec2.client) };
}

describe('Ec2NetworkAclPort', () => {
  it('describes every entry of both directions, IPv4 from CidrBlock and IPv6 from Ipv6CidrBlock', async () => {
    const { port } = world();
    const entries = await port.describe('acl-0default');
    expect(entries).toHaveLength(8);
    expect(entries).toContainEqual({ ruleNumber: 101, egress: false, ruleAction: 'allow', protocol: '-1', cidr: '::/0' });
    expect(entries).toContainEqual({ ruleNumber: 32767, egress: true, ruleAction: 'deny', protocol: '-1', cidr: '0.0.0.0/0' });
    await expect(port.describe('acl-0gone')).rejects.toThrow(NetworkAclNotFoundError);
  });

  it('creates an all-protocol inbound deny, IPv6 as Ipv6CidrBlock', async () => {
    const { ec2, port } = world();
    await port.createEntry('acl-0default', deny(1, '203.0.113.50/32'));
    await port.createEntry('acl-0default', deny(2, '2001:db8::7/128'));
    expect(ec2.mock).toHaveReceivedCommandWith(CreateNetworkAclEntryCommand, { NetworkAclId: 'acl-0default', RuleNumber: 1, Protocol: '-1', RuleAction: 'deny', Egress: false, CidrBlock: '203.0.113.50/32' });
    expect(ec2.mock).toHaveReceivedCommandWith(CreateNetworkAclEntryCommand, { NetworkAclId: 'acl-0default', RuleNumber: 2, Ipv6CidrBlock: '2001:db8::7/128' });
    const sent = ec2.mock.commandCalls(CreateNetworkAclEntryCommand)[1]?.args[0].input;
    expect(sent?.CidrBlock).toBeUndefined();
    expect(await port.describe('acl-0default')).toContainEqual(deny(2, '2001:db8::7/128'));
  });

  describe('keeps EC2\'s rules and types its errors', () => {
    it('a rule number taken in that direction: NetworkAclEntryExistsError (the same number outbound is another rule)', async () => {
      const { port } = world();
      await port.createEntry('acl-0default', deny(1, '203.0.113.50/32'));
      await expect(port.createEntry('acl-0default', deny(1, '203.0.113.51/32'))).rejects.toThrow(NetworkAclEntryExistsError);
      await expect(port.createEntry('acl-0default', { ...deny(1, '203.0.113.51/32'), egress: true })).resolves.toBeUndefined();
    });

    it('the quota per direction and IP version, the default deny included: NetworkAclLimitError', async () => {
      const { ec2, port } = world();
      // 100 and 32767 are two of the 20 IPv4 inbound rules.
      for (let n = 1; n <= 18; n++) await port.createEntry('acl-0default', deny(n, `203.0.113.${n}/32`));
      await expect(port.createEntry('acl-0default', deny(19, '203.0.113.19/32'))).rejects.toThrow(NetworkAclLimitError);
      // IPv6 is counted apart, and so is outbound.
      await expect(port.createEntry('acl-0default', deny(19, '2001:db8::19/128'))).resolves.toBeUndefined();
      await expect(port.createEntry('acl-0default', { ...deny(19, '203.0.113.19/32'), egress: true })).resolves.toBeUndefined();
      expect(ec2.stats.refused).toEqual({ NetworkAclEntryLimitExceeded: 1 });
    });

    it('a raised quota (40) admits more', async () => {
      const { port } = world({ quota: 40 });
      for (let n = 1; n <= 38; n++) await port.createEntry('acl-0default', deny(n, `203.0.113.${n}/32`));
      await expect(port.createEntry('acl-0default', deny(39, '203.0.113.39/32'))).rejects.toThrow(NetworkAclLimitError);
    });

    it('deleting a missing entry: NetworkAclEntryNotFoundError; an unknown ACL: NetworkAclNotFoundError', async () => {
      const { port } = world();
      await expect(port.deleteEntry('acl-0default', 5, false)).rejects.toThrow(NetworkAclEntryNotFoundError);
      await expect(port.createEntry('acl-0gone', deny(1, '203.0.113.1/32'))).rejects.toThrow(NetworkAclNotFoundError);
      await port.createEntry('acl-0default', deny(5, '203.0.113.5/32'));
      await port.deleteEntry('acl-0default', 5, false);
      expect((await port.describe('acl-0default')).some((e) => e.ruleNumber === 5)).toBe(false);
    });

    it('passes other errors through, and reads the code SDK v3 gives an unmodelled EC2 error', async () => {
      const { ec2, port } = world();
      ec2.failNext('create', 'UnauthorizedOperation');
      await expect(port.createEntry('acl-0default', deny(1, '203.0.113.1/32'))).rejects.toMatchObject({ name: 'UnauthorizedOperation' });
      expect(ec2ErrorCode(ec2Error('InvalidNetworkAclEntry.NotFound', 'x'))).toBe('InvalidNetworkAclEntry.NotFound');
      expect(ec2ErrorCode(new Error('plain'))).toBe('Error');
      expect(ec2ErrorCode('text')).toBeUndefined();
    });
  });

  it.each([
    ['NetworkAclEntryAlreadyExists', NetworkAclEntryExistsError],
    ['NetworkAclEntryLimitExceeded', NetworkAclLimitError],
    ['InvalidNetworkAclID.NotFound', NetworkAclNotFoundError],
  ])('recognises %s as the SDK itself parses it from EC2\'s XML error response', async (code, type) => {
    // No aws-sdk-client-mock here: a request handler answers as EC2 does, so the SDK's own deserializer runs.
    const body = `<?xml version="1.0" encoding="UTF-8"?>\n<Response><Errors><Error><Code>${code}</Code><Message>refused</Message></Error></Errors><RequestID>req-1</RequestID></Response>`;
    const requestHandler = { handle: async () => ({ response: { statusCode: 400, headers: { 'content-type': 'text/xml;charset=UTF-8' }, body: Readable.from([Buffer.from(body)]) } }) };
    const client = new EC2Client({ region: 'us-east-1', credentials: { accessKeyId: 'AKIDEXAMPLE', secretAccessKey: 'example' }, maxAttempts: 1, requestHandler: requestHandler as never });
    await expect(new Ec2NetworkAclPort(client).createEntry('acl-0default', deny(1, '203.0.113.1/32'))).rejects.toThrow(type);
  });

  describe('aclsForInterfaces', () => {
    it('goes from interfaces to subnets to the ACLs associated with them; unknown interfaces and subnets without an answer are absent', async () => {
      const { port } = world();
      expect(await port.aclsForInterfaces(['eni-0a', 'eni-0c', 'eni-0d', 'eni-0e', 'eni-0gone', 'eni-0a'])).toEqual([
        { networkAclId: 'acl-0default', vpcId: 'vpc-0a1b2c3d4e5f67890', subnetIds: ['subnet-01'], interfaceIds: ['eni-0a', 'eni-0d'] },
        { networkAclId: 'acl-0web', vpcId: 'vpc-0a1b2c3d4e5f67890', subnetIds: ['subnet-03'], interfaceIds: ['eni-0c'] },
      ]);
      expect(await port.aclsForInterfaces([])).toEqual([]);
    });

    it('filters by association.subnet-id and pages both calls with NextToken', async () => {
      const { ec2, port } = world({ pageSize: 1 });
      expect((await port.aclsForInterfaces(['eni-0a', 'eni-0b', 'eni-0c'])).map((a) => [a.networkAclId, a.subnetIds])).toEqual([
        ['acl-0default', ['subnet-01', 'subnet-02']],
        ['acl-0web', ['subnet-03']],
      ]);
      expect(ec2.mock.commandCalls(DescribeNetworkInterfacesCommand)).toHaveLength(3);
      expect(ec2.mock.commandCalls(DescribeNetworkAclsCommand)).toHaveLength(2);
      expect(ec2.mock).toHaveReceivedCommandWith(DescribeNetworkAclsCommand, { Filters: [{ Name: 'association.subnet-id', Values: expect.arrayContaining(['subnet-01', 'subnet-02', 'subnet-03']) as unknown as string[] }] });
    });

    it('sends at most 200 values per filter', async () => {
      const { ec2, port } = world();
      const many = Array.from({ length: 450 }, (_, i) => `eni-x${i}`);
      await port.aclsForInterfaces([...many, 'eni-0a']);
      const sizes = ec2.mock.commandCalls(DescribeNetworkInterfacesCommand).map((c) => c.args[0].input.Filters?.[0]?.Values?.length);
      expect(sizes).toEqual([200, 200, 51]);
    });
  });
});

describe('DynamoAclLease', () => {
  const TABLE = 'flowir-test-blocks';

  it('one owner at a time; a refusal names the holder; the lease item sits under its own partition of the block table', async () => {
    const table = fakeLeaseTable(TABLE);
    const clock = fixedClock('2026-12-04T21:00:00.000Z');
    const lease = new DynamoAclLease(table.client, TABLE, undefined, clock);
    expect(await lease.acquire('acl-0a', 'exec-a/1', 30)).toEqual({ acquired: true, expiresAt: new Date('2026-12-04T21:00:30.000Z') });
    expect(await lease.acquire('acl-0a', 'exec-b/1', 30)).toEqual({ acquired: false, heldBy: 'exec-a/1', expiresAt: new Date('2026-12-04T21:00:30.000Z') });
    // Another ACL is another lease.
    expect(await lease.acquire('acl-0b', 'exec-b/1', 30)).toMatchObject({ acquired: true });
    expect(table.mock).toHaveReceivedCommandWith(PutCommand, {
      TableName: TABLE,
      Item: expect.objectContaining({ cidr: LEASE_PARTITION, executionName: 'acl-lease:acl-0a', owner: 'exec-a/1', expiresAt: Date.parse('2026-12-04T21:00:30.000Z') }) as unknown as Record<string, unknown>,
      ConditionExpression: 'attribute_not_exists(#pk) OR #expiresAt < :now',
    });
  });

  it('an expired lease is taken over; release is only by the owner', async () => {
    const table = fakeLeaseTable(TABLE);
    const clock = fixedClock('2026-12-04T21:00:00.000Z');
    const lease = new DynamoAclLease(table.client, TABLE, undefined, clock);
    await lease.acquire('acl-0a', 'exec-a/1', 30);
    clock.set('2026-12-04T21:00:30.000Z');
    expect(await lease.acquire('acl-0a', 'exec-b/1', 30)).toMatchObject({ acquired: false });
    clock.set('2026-12-04T21:00:30.001Z');
    expect(await lease.acquire('acl-0a', 'exec-b/1', 30)).toMatchObject({ acquired: true });
    // The first owner's late release does not free the new owner's lease.
    await lease.release('acl-0a', 'exec-a/1');
    expect(await lease.acquire('acl-0a', 'exec-c/1', 30)).toMatchObject({ acquired: false, heldBy: 'exec-b/1' });
    await lease.release('acl-0a', 'exec-b/1');
    expect(table.items.size).toBe(0);
    expect(await lease.acquire('acl-0a', 'exec-c/1', 30)).toMatchObject({ acquired: true });
  });

  it('of concurrent callers exactly one gets the lease', async () => {
    const table = fakeLeaseTable(TABLE);
    const lease = new DynamoAclLease(table.client, TABLE);
    const grants = await Promise.all(Array.from({ length: 20 }, (_, i) => lease.acquire('acl-0a', `exec-${i}/1`, 30)));
    expect(grants.filter((g) => g.acquired)).toHaveLength(1);
  });
});
