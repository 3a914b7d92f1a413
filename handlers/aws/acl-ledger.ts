/**
 * flowir's network ACL ledger on DynamoDB: one item per (ACL, CIDR, execution) holding of a deny
 * entry, with its rule number and expiry, in the block table under its own partition (as the hourly
 * budget counters and the ACL leases are). The updater reads and writes it under the ACL's lease.
 */
import { DeleteCommand, PutCommand, QueryCommand, type DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { parseCidr } from '../../core/flowlog/address';
import type { NetworkAclHolding, NetworkAclHoldings } from '../ports/network-acl';
import { BlockItemError, BLOCK_TABLE_SCHEMA } from './block-registry';

/**
 * A partition key no address can have; the sort key is `<acl id>|<cidr>|<execution>`, which no
 * execution name or hour looks like. The items carry no `kind`, so the byTime index (WAF expiry
 * sweep) never holds them, and no `executionName` attribute of the table's sort key name other
 * than the composite, so the byExecution index never mixes them with WAF blocks.
 */
export const LEDGER_PARTITION = '#nacl-ledger';

function sortKey(networkAclId: string, cidr: string, executionName: string): string {
  return `${networkAclId}|${parseCidr(cidr).text}|${executionName}`;
}

export class DynamoNetworkAclLedger implements NetworkAclHoldings {
  constructor(
    private readonly client: DynamoDBDocumentClient,
    private readonly tableName: string,
  ) {}

  private key(networkAclId: string, cidr: string, executionName: string): Record<string, string> {
    return { [BLOCK_TABLE_SCHEMA.partitionKey]: LEDGER_PARTITION, [BLOCK_TABLE_SCHEMA.sortKey]: sortKey(networkAclId, cidr, executionName) };
  }

  async holdings(networkAclId: string): Promise<readonly NetworkAclHolding[]> {
    return (await this.query(`${networkAclId}|`)).filter((h) => h.networkAclId === networkAclId);
  }

  async all(): Promise<readonly NetworkAclHolding[]> {
    return this.query(null);
  }

  async record(h: NetworkAclHolding): Promise<void> {
    await this.client.send(
      new PutCommand({
        TableName: this.tableName,
        Item: { ...this.key(h.networkAclId, h.cidr, h.executionName), networkAclId: h.networkAclId, cidr: parseCidr(h.cidr).text, holder: h.executionName, ruleNumber: h.ruleNumber, expiresAt: new Date(Date.parse(h.expiresAt)).toISOString() },
      }),
    );
  }

  async forget(networkAclId: string, cidr: string, executionName: string): Promise<void> {
    await this.client.send(new DeleteCommand({ TableName: this.tableName, Key: this.key(networkAclId, cidr, executionName) }));
  }

  /** Strongly consistent: the next lease holder must see what the last one wrote. */
  private async query(prefix: string | null): Promise<NetworkAclHolding[]> {
    const out: NetworkAclHolding[] = [];
    let start: Record<string, unknown> | undefined;
    do {
      const page = await this.client.send(
        new QueryCommand({
          TableName: this.tableName,
          KeyConditionExpression: prefix === null ? '#p = :p' : '#p = :p AND begins_with(#s, :s)',
          ExpressionAttributeNames: { '#p': BLOCK_TABLE_SCHEMA.partitionKey, ...(prefix === null ? {} : { '#s': BLOCK_TABLE_SCHEMA.sortKey }) },
          ExpressionAttributeValues: { ':p': LEDGER_PARTITION, ...(prefix === null ? {} : { ':s': prefix }) },
          ConsistentRead: true,
          ExclusiveStartKey: start,
        }),
      );
      for (const item of page.Items ?? []) out.push(toHolding(item, this.tableName));
      start = page.LastEvaluatedKey;
    } while (start !== undefined);
    return out;
  }
}

function toHolding(item: Record<string, unknown>, table: string): NetworkAclHolding {
  const where = `${table} ledger item ${JSON.stringify(item[BLOCK_TABLE_SCHEMA.sortKey])}`;
  const { networkAclId, cidr, holder, ruleNumber, expiresAt } = item;
  if (typeof networkAclId !== 'string' || typeof cidr !== 'string' || typeof holder !== 'string' || typeof ruleNumber !== 'number' || typeof expiresAt !== 'string' || Number.isNaN(Date.parse(expiresAt))) {
    throw new BlockItemError(`${where}: expected networkAclId, cidr, holder, ruleNumber and expiresAt (ISO 8601)`);
  }
  return { networkAclId, cidr, executionName: holder, ruleNumber, expiresAt };
}
