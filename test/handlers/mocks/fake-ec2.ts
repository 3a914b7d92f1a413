/**
 * The AWS side of network ACL containment behind aws-sdk-client-mock: EC2 (fakeEc2) and the
 * DynamoDB lease table (fakeLeaseTable).
 *
 * EC2 network ACLs and network interfaces, keeping the rules of the
 * real API that network ACL containment depends on:
 * - CreateNetworkAclEntry: RuleNumber 1 to 32766; unique per ACL and direction, else
 *   `NetworkAclEntryAlreadyExists`; at most `quota` rules per ACL, direction and IP version, the
 *   default deny rules (32767, 32768) included, else `NetworkAclEntryLimitExceeded`; exactly one
 *   of CidrBlock (IPv4) and Ipv6CidrBlock (IPv6), stored in canonical form; no update call exists;
 * - DeleteNetworkAclEntry: a missing entry is `InvalidNetworkAclEntry.NotFound`; the default deny
 *   rules cannot be deleted;
 * - an unknown ACL is `InvalidNetworkAclID.NotFound`;
 * - DescribeNetworkAcls / DescribeNetworkInterfaces: by filter (absent ids are simply not
 *   returned), MaxResults 5 to 1000, at most 200 values per filter, paged with NextToken.
 * Errors are EC2ServiceException with `name` and `Code` set to the EC2 code, as SDK v3 raises
 * EC2's unmodelled errors. Every call yields to the event loop first, so concurrent callers
 * interleave as they would over a network.
 */
import {
  CreateNetworkAclEntryCommand,
  DeleteNetworkAclEntryCommand,
  DescribeNetworkAclsCommand,
  DescribeNetworkInterfacesCommand,
  EC2Client,
  EC2ServiceException,
  type Filter,
  type NetworkAcl,
} from '@aws-sdk/client-ec2';
import { ConditionalCheckFailedException, DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { DeleteCommand, DynamoDBDocumentClient, PutCommand } from '@aws-sdk/lib-dynamodb';
import { mockClient } from 'aws-sdk-client-mock';
import { parseCidr } from '../../../core/flowlog/address';
import type { NetworkAclEntry } from '../../../handlers/ports/network-acl';

const tick = (): Promise<void> => new Promise((resolve) => setImmediate(resolve));

export function ec2Error(code: string, message: string): EC2ServiceException {
  const e = new EC2ServiceException({ name: code, $fault: 'client', $metadata: { httpStatusCode: 400 }, message });
  Object.assign(e, { Code: code });
  return e;
}

export interface FakeAcl {
  readonly networkAclId: string;
  readonly vpcId: string;
  readonly isDefault: boolean;
  readonly subnetIds: string[];
  entries: NetworkAclEntry[];
}

export interface FakeEc2Seed {
  readonly networkAcls: ReadonlyArray<{ readonly networkAclId: string; readonly vpcId?: string; readonly isDefault?: boolean; readonly subnetIds?: readonly string[]; readonly entries: readonly NetworkAclEntry[] }>;
  readonly interfaces?: ReadonlyArray<{ readonly interfaceId: string; readonly subnetId: string; readonly vpcId?: string }>;
}

/** EC2's default ACL rules, both directions (https://docs.aws.amazon.com/vpc/latest/userguide/default-network-acl.html). */
export function defaultAclEntries(ipv6 = false): NetworkAclEntry[] {
  const out: NetworkAclEntry[] = [];
  for (const egress of [false, true]) {
    out.push({ ruleNumber: 100, egress, ruleAction: 'allow', protocol: '-1', cidr: '0.0.0.0/0' });
    if (ipv6) out.push({ ruleNumber: 101, egress, ruleAction: 'allow', protocol: '-1', cidr: '::/0' });
    out.push({ ruleNumber: 32767, egress, ruleAction: 'deny', protocol: '-1', cidr: '0.0.0.0/0' });
    if (ipv6) out.push({ ruleNumber: 32768, egress, ruleAction: 'deny', protocol: '-1', cidr: '::/0' });
  }
  return out;
}

type CreateInput = { NetworkAclId?: string; RuleNumber?: number; Protocol?: string; RuleAction?: string; Egress?: boolean; CidrBlock?: string; Ipv6CidrBlock?: string; PortRange?: unknown; IcmpTypeCode?: unknown };

/** `everyInstance`: mock every EC2Client (a Lambda entry module creates its own), not just the one returned. */
export function fakeEc2(seed: FakeEc2Seed, options: { readonly quota?: number; readonly pageSize?: number; readonly everyInstance?: boolean } = {}) {
  const quota = options.quota ?? 20;
  const pageSize = options.pageSize ?? 1000;
  const client = new EC2Client({ region: 'us-east-1' });
  const mock = mockClient(options.everyInstance === true ? EC2Client : client);
  const acls = new Map<string, FakeAcl>(
    seed.networkAcls.map((a) => [a.networkAclId, { networkAclId: a.networkAclId, vpcId: a.vpcId ?? 'vpc-0a1b2c3d4e5f67890', isDefault: a.isDefault ?? false, subnetIds: [...(a.subnetIds ?? [])], entries: a.entries.map((e) => ({ ...e })) }]),
  );
  const interfaces = (seed.interfaces ?? []).map((i) => ({ ...i }));
  const stats = { describes: 0, creates: 0, deletes: 0, refused: {} as Record<string, number>, maxConcurrentCreates: 0 };
  const faults: Array<{ readonly op: 'create' | 'delete' | 'describe'; readonly code: string }> = [];
  const beforeCreate: Array<(input: CreateInput) => void> = [];
  let creating = 0;

  const refuse = (code: string, message: string): never => {
    stats.refused[code] = (stats.refused[code] ?? 0) + 1;
    throw ec2Error(code, message);
  };
  const injected = (op: 'create' | 'delete' | 'describe'): void => {
    const i = faults.findIndex((f) => f.op === op);
    if (i === -1) return;
    const code = faults.splice(i, 1)[0]?.code ?? 'InternalError';
    refuse(code, `injected ${code}`);
  };
  const acl = (id: string | undefined): FakeAcl => {
    const a = acls.get(id ?? '');
    if (a === undefined) return refuse('InvalidNetworkAclID.NotFound', `The networkAcl ID '${String(id)}' does not exist`);
    return a;
  };
  const filterValues = (filters: Filter[] | undefined): { name: string; values: string[] } => {
    const only = filters?.length === 1 ? filters[0] : undefined;
    if (only === undefined) throw new Error('fake EC2 expects exactly one filter');
    const values = only.Values ?? [];
    if (values.length > 200) refuse('InvalidParameterValue', 'The maximum number of filter values specified on a single call is 200');
    return { name: only.Name ?? '', values };
  };
  const page = <T>(items: T[], token: string | undefined, max: number | undefined) => {
    if (max !== undefined && (max < 5 || max > 1000)) refuse('InvalidParameterValue', 'MaxResults must be between 5 and 1000');
    const from = token === undefined ? 0 : Number(token);
    const size = Math.min(pageSize, max ?? 1000);
    return { items: items.slice(from, from + size), next: from + size < items.length ? String(from + size) : undefined };
  };
  const toEc2 = (a: FakeAcl): NetworkAcl => ({
    NetworkAclId: a.networkAclId,
    VpcId: a.vpcId,
    IsDefault: a.isDefault,
    OwnerId: '123456789012',
    Associations: a.subnetIds.map((s, i) => ({ NetworkAclAssociationId: `aclassoc-${a.networkAclId.slice(4)}${i}`, NetworkAclId: a.networkAclId, SubnetId: s })),
    Entries: [...a.entries]
      .sort((x, y) => Number(x.egress) - Number(y.egress) || x.ruleNumber - y.ruleNumber)
      .map((e) => ({ RuleNumber: e.ruleNumber, Egress: e.egress, RuleAction: e.ruleAction, Protocol: e.protocol, ...(e.cidr.includes(':') ? { Ipv6CidrBlock: e.cidr } : { CidrBlock: e.cidr }) })),
    Tags: [],
  });

  mock.on(DescribeNetworkAclsCommand).callsFake(async (input: { Filters?: Filter[]; NetworkAclIds?: string[]; NextToken?: string; MaxResults?: number }) => {
    await tick();
    stats.describes++;
    injected('describe');
    if (input.NetworkAclIds !== undefined) throw new Error('fake EC2: describe network ACLs by filter');
    const f = filterValues(input.Filters);
    let found: FakeAcl[];
    if (f.name === 'network-acl-id') found = [...acls.values()].filter((a) => f.values.includes(a.networkAclId));
    else if (f.name === 'association.subnet-id') found = [...acls.values()].filter((a) => a.subnetIds.some((s) => f.values.includes(s)));
    else throw new Error(`fake EC2 does not know the filter ${f.name}`);
    const p = page(found, input.NextToken, input.MaxResults);
    return { NetworkAcls: p.items.map(toEc2), ...(p.next !== undefined ? { NextToken: p.next } : {}) };
  });

  mock.on(DescribeNetworkInterfacesCommand).callsFake(async (input: { Filters?: Filter[]; NetworkInterfaceIds?: string[]; NextToken?: string; MaxResults?: number }) => {
    await tick();
    if (input.NetworkInterfaceIds !== undefined && input.MaxResults !== undefined) refuse('InvalidParameterCombination', 'NetworkInterfaceIds and MaxResults cannot be combined');
    const f = filterValues(input.Filters);
    if (f.name !== 'network-interface-id') throw new Error(`fake EC2 does not know the filter ${f.name}`);
    const p = page(
      interfaces.filter((i) => f.values.includes(i.interfaceId)),
      input.NextToken,
      input.MaxResults,
    );
    return {
      NetworkInterfaces: p.items.map((i) => ({ NetworkInterfaceId: i.interfaceId, SubnetId: i.subnetId, VpcId: i.vpcId ?? 'vpc-0a1b2c3d4e5f67890', Status: 'in-use' as const })),
      ...(p.next !== undefined ? { NextToken: p.next } : {}),
    };
  });

  mock.on(CreateNetworkAclEntryCommand).callsFake(async (input: CreateInput) => {
    creating++;
    stats.maxConcurrentCreates = Math.max(stats.maxConcurrentCreates, creating);
    try {
      await tick();
      for (const hook of beforeCreate.splice(0)) hook(input);
      injected('create');
      const a = acl(input.NetworkAclId);
      const n = input.RuleNumber;
      if (n === undefined || !Number.isInteger(n) || n < 1 || n > 32766) refuse('InvalidParameterValue', `Invalid value '${String(n)}' for ruleNumber. It must be an integer from 1 to 32766`);
      if (input.RuleAction !== 'allow' && input.RuleAction !== 'deny') refuse('InvalidParameterValue', `Invalid value '${String(input.RuleAction)}' for ruleAction`);
      if (input.Protocol === undefined || !/^(-1|\d{1,3})$/.test(input.Protocol)) refuse('InvalidParameterValue', `Invalid value '${String(input.Protocol)}' for protocol`);
      if ((input.CidrBlock === undefined) === (input.Ipv6CidrBlock === undefined)) refuse('MissingParameter', 'Either CidrBlock or Ipv6CidrBlock must be specified, not both');
      const text = (input.CidrBlock ?? input.Ipv6CidrBlock) as string;
      let cidr;
      try {
        cidr = parseCidr(text);
      } catch {
        return refuse('InvalidParameterValue', `Value (${text}) for parameter cidrBlock is invalid`);
      }
      if ((input.CidrBlock !== undefined && cidr.version !== 4) || (input.Ipv6CidrBlock !== undefined && cidr.version !== 6) || !text.includes('/')) refuse('InvalidParameterValue', `Value (${text}) for parameter cidrBlock is invalid`);
      const egress = input.Egress === true;
      if (a.entries.some((e) => e.egress === egress && e.ruleNumber === n)) refuse('NetworkAclEntryAlreadyExists', `The network acl entry identified by ${String(n)} already exists.`);
      const sameKind = a.entries.filter((e) => e.egress === egress && parseCidr(e.cidr).version === cidr.version).length;
      if (sameKind >= quota) refuse('NetworkAclEntryLimitExceeded', `The maximum number of network acl entries has been reached.`);
      a.entries.push({ ruleNumber: n as number, egress, ruleAction: input.RuleAction as 'allow' | 'deny', protocol: input.Protocol as string, cidr: cidr.text });
      stats.creates++;
      return {};
    } finally {
      creating--;
    }
  });

  mock.on(DeleteNetworkAclEntryCommand).callsFake(async (input: { NetworkAclId?: string; RuleNumber?: number; Egress?: boolean }) => {
    await tick();
    injected('delete');
    const a = acl(input.NetworkAclId);
    if (input.Egress === undefined || input.RuleNumber === undefined) refuse('MissingParameter', 'NetworkAclId, RuleNumber and Egress are required');
    if ((input.RuleNumber as number) > 32766) refuse('InvalidParameterValue', `Invalid value '${String(input.RuleNumber)}' for ruleNumber`);
    const i = a.entries.findIndex((e) => e.egress === input.Egress && e.ruleNumber === input.RuleNumber);
    if (i === -1) refuse('InvalidNetworkAclEntry.NotFound', `The specified rule does not exist in this network acl: ${String(input.RuleNumber)}`);
    a.entries.splice(i, 1);
    stats.deletes++;
    return {};
  });

  return {
    client,
    mock,
    stats,
    /** The ACL as EC2 holds it now (tests read and seed it directly). */
    acl: (id: string): FakeAcl => {
      const a = acls.get(id);
      if (a === undefined) throw new Error(`no fake network ACL ${id}`);
      return a;
    },
    /** The next call of `op` fails with this EC2 error code (once). */
    failNext: (op: 'create' | 'delete' | 'describe', code: string): void => {
      faults.push({ op, code });
    },
    /** Run `hook` just before the next CreateNetworkAclEntry is judged (e.g. another writer takes its rule number). */
    beforeNextCreate: (hook: (input: CreateInput) => void): void => {
      beforeCreate.push(hook);
    },
  };
}

/**
 * The lease table the network ACL updater uses on AWS (handlers/aws/acl-lease.ts), behind
 * aws-sdk-client-mock on one DynamoDBDocumentClient: a conditional PutItem succeeds only while no
 * item is there or its `expiresAt` has passed (checked and written in one step, as DynamoDB does),
 * a failed one raises ConditionalCheckFailedException carrying the old item in raw attribute
 * values when ALL_OLD was asked for; DeleteItem's condition on the owner is checked likewise. Only
 * the exact expressions the adapter sends are understood.
 */
export function fakeLeaseTable(tableName: string, keys: { readonly partitionKey: string; readonly sortKey: string } = { partitionKey: 'cidr', sortKey: 'executionName' }) {
  const client = DynamoDBDocumentClient.from(new DynamoDBClient({ region: 'us-east-1' }));
  const mock = mockClient(client);
  const items = new Map<string, Record<string, unknown>>();
  const stats = { puts: 0, refusals: 0, deletes: 0 };
  const keyOf = (k: Record<string, unknown> | undefined): string => {
    const pk = k?.[keys.partitionKey];
    const sk = k?.[keys.sortKey];
    if (typeof pk !== 'string' || typeof sk !== 'string') throw new Error(`ValidationException: the key must have ${keys.partitionKey} and ${keys.sortKey} (strings)`);
    return `${pk}\n${sk}`;
  };
  const table = (name: string | undefined): void => {
    if (name !== tableName) throw new Error(`ResourceNotFoundException: Requested resource not found (table ${String(name)})`);
  };
  const failed = (old: Record<string, unknown> | undefined, returnOld: boolean): never => {
    stats.refusals++;
    throw new ConditionalCheckFailedException({
      message: 'The conditional request failed',
      $metadata: { httpStatusCode: 400 },
      ...(returnOld && old !== undefined ? { Item: { owner: { S: String(old.owner) }, expiresAt: { N: String(old.expiresAt) } } } : {}),
    });
  };
  mock.on(PutCommand).callsFake(async (input: { TableName?: string; Item?: Record<string, unknown>; ConditionExpression?: string; ExpressionAttributeNames?: Record<string, string>; ExpressionAttributeValues?: Record<string, unknown>; ReturnValuesOnConditionCheckFailure?: string }) => {
    await tick();
    table(input.TableName);
    const names = input.ExpressionAttributeNames ?? {};
    if (input.ConditionExpression !== 'attribute_not_exists(#pk) OR #expiresAt < :now' || names['#pk'] !== keys.partitionKey || names['#expiresAt'] !== 'expiresAt') {
      throw new Error(`fake DynamoDB does not know the condition ${String(input.ConditionExpression)} with ${JSON.stringify(names)}`);
    }
    const now = input.ExpressionAttributeValues?.[':now'];
    if (typeof now !== 'number') throw new Error('ValidationException: :now must be a number');
    const key = keyOf(input.Item);
    const old = items.get(key);
    if (old !== undefined && !((old.expiresAt as number) < now)) failed(old, input.ReturnValuesOnConditionCheckFailure === 'ALL_OLD');
    items.set(key, structuredClone(input.Item as Record<string, unknown>));
    stats.puts++;
    return {};
  });
  mock.on(DeleteCommand).callsFake(async (input: { TableName?: string; Key?: Record<string, unknown>; ConditionExpression?: string; ExpressionAttributeNames?: Record<string, string>; ExpressionAttributeValues?: Record<string, unknown> }) => {
    await tick();
    table(input.TableName);
    if (input.ConditionExpression !== '#owner = :owner' || input.ExpressionAttributeNames?.['#owner'] !== 'owner') throw new Error(`fake DynamoDB does not know the condition ${String(input.ConditionExpression)}`);
    const key = keyOf(input.Key);
    const old = items.get(key);
    if (old === undefined || old.owner !== input.ExpressionAttributeValues?.[':owner']) failed(old, false);
    items.delete(key);
    stats.deletes++;
    return {};
  });
  return { client, mock, items, stats };
}
