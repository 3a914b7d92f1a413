import { DeleteCommand, PutCommand, QueryCommand, type DynamoDBDocumentClient, type QueryCommandInput } from '@aws-sdk/lib-dynamodb';
import type { BlockRecord, BlockRegistry, IpSetRef } from '../ports';

/**
 * The block table's key schema, for the CDK table definition. One item per (CIDR, execution):
 * the same address blocked by two incidents is two items, and released when the last one ends.
 * No TTL: an item may only disappear once its address is out of the IP set.
 */
export const BLOCK_TABLE_SCHEMA = {
  partitionKey: 'cidr',
  sortKey: 'executionName',
  /** GSI: an execution's blocks (release). */
  byExecution: { indexName: 'byExecution', partitionKey: 'executionName', sortKey: 'cidr' },
  /** GSI over every block by time placed (hourly cap, expiry sweep); `kind` is the constant `block`. */
  byTime: { indexName: 'byTime', partitionKey: 'kind', sortKey: 'blockedAt' },
} as const;

const KIND = 'block';

/** An item in the block table that is not a block record (hand-edited or from another version). */
export class BlockItemError extends Error {
  override readonly name = 'BlockItemError';
}

/** Blocks in DynamoDB (see {@link BLOCK_TABLE_SCHEMA}). Times are stored as ISO 8601 in UTC, which sort as text. */
export class DynamoBlockRegistry implements BlockRegistry {
  constructor(
    private readonly client: DynamoDBDocumentClient,
    private readonly tableName: string,
  ) {}

  async put(block: BlockRecord): Promise<void> {
    await this.client.send(
      new PutCommand({
        TableName: this.tableName,
        Item: { ...block, blockedAt: iso(block.blockedAt), expiresAt: iso(block.expiresAt), ipSet: { ...block.ipSet }, kind: KIND },
      }),
    );
  }

  async byExecution(executionName: string): Promise<BlockRecord[]> {
    const i = BLOCK_TABLE_SCHEMA.byExecution;
    return this.query({ IndexName: i.indexName, KeyConditionExpression: '#e = :e', ExpressionAttributeNames: { '#e': i.partitionKey }, ExpressionAttributeValues: { ':e': executionName } });
  }

  async byCidr(cidr: string): Promise<BlockRecord[]> {
    return this.query({ KeyConditionExpression: '#c = :c', ExpressionAttributeNames: { '#c': BLOCK_TABLE_SCHEMA.partitionKey }, ExpressionAttributeValues: { ':c': cidr }, ConsistentRead: true });
  }

  async expired(nowIso: string): Promise<BlockRecord[]> {
    const i = BLOCK_TABLE_SCHEMA.byTime;
    return this.query({
      IndexName: i.indexName,
      KeyConditionExpression: '#k = :k',
      FilterExpression: '#x <= :now',
      ExpressionAttributeNames: { '#k': i.partitionKey, '#x': 'expiresAt' },
      ExpressionAttributeValues: { ':k': KIND, ':now': iso(nowIso) },
    });
  }

  async remove(cidr: string, executionName: string): Promise<void> {
    await this.client.send(new DeleteCommand({ TableName: this.tableName, Key: { [BLOCK_TABLE_SCHEMA.partitionKey]: cidr, [BLOCK_TABLE_SCHEMA.sortKey]: executionName } }));
  }

  async countSince(sinceIso: string): Promise<number> {
    const i = BLOCK_TABLE_SCHEMA.byTime;
    let count = 0;
    let start: Record<string, unknown> | undefined;
    do {
      const out = await this.client.send(
        new QueryCommand({
          TableName: this.tableName,
          IndexName: i.indexName,
          Select: 'COUNT',
          KeyConditionExpression: '#k = :k AND #t >= :since',
          ExpressionAttributeNames: { '#k': i.partitionKey, '#t': i.sortKey },
          ExpressionAttributeValues: { ':k': KIND, ':since': iso(sinceIso) },
          ExclusiveStartKey: start,
        }),
      );
      count += out.Count ?? 0;
      start = out.LastEvaluatedKey;
    } while (start !== undefined);
    return count;
  }

  private async query(input: Omit<QueryCommandInput, 'TableName'>): Promise<BlockRecord[]> {
    const records: BlockRecord[] = [];
    let start: Record<string, unknown> | undefined;
    do {
      const out = await this.client.send(new QueryCommand({ ...input, TableName: this.tableName, ExclusiveStartKey: start }));
      for (const item of out.Items ?? []) records.push(toBlockRecord(item, this.tableName));
      start = out.LastEvaluatedKey;
    } while (start !== undefined);
    return records;
  }
}

function iso(text: string): string {
  const t = Date.parse(text);
  if (Number.isNaN(t)) throw new BlockItemError(`"${text}" is not an ISO 8601 time`);
  return new Date(t).toISOString();
}

function toBlockRecord(item: Record<string, unknown>, table: string): BlockRecord {
  const where = `${table} item ${JSON.stringify(item.cidr)}/${JSON.stringify(item.executionName)}`;
  const text = (field: string): string => {
    const v = item[field];
    if (typeof v !== 'string' || v === '') throw new BlockItemError(`${where}: ${field} is not a string`);
    return v;
  };
  const set = item.ipSet;
  if (typeof set !== 'object' || set === null) throw new BlockItemError(`${where}: ipSet is not a map`);
  const s = set as Record<string, unknown>;
  if (typeof s.name !== 'string' || typeof s.id !== 'string' || (s.scope !== 'REGIONAL' && s.scope !== 'CLOUDFRONT') || (s.version !== 4 && s.version !== 6)) {
    throw new BlockItemError(`${where}: ipSet needs name, id, scope (REGIONAL or CLOUDFRONT) and version (4 or 6)`);
  }
  const ipSet: IpSetRef = { name: s.name, id: s.id, scope: s.scope, version: s.version };
  return { cidr: text('cidr'), ipSet, executionName: text('executionName'), findingId: text('findingId'), blockedAt: text('blockedAt'), expiresAt: text('expiresAt') };
}
