/**
 * The per-ACL lease on DynamoDB: one item per network ACL, taken with a conditional PutItem that
 * succeeds only when no lease is there or the one there has expired. DynamoDB evaluates the
 * condition and writes in one step, so of concurrent callers exactly one gets the lease
 * (https://docs.aws.amazon.com/amazondynamodb/latest/developerguide/Expressions.ConditionExpressions.html).
 */
import { ConditionalCheckFailedException } from '@aws-sdk/client-dynamodb';
import { DeleteCommand, PutCommand, type DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { systemClock, type Clock } from '../ports';
import type { AclLease, AclLeaseGrant } from '../ports/network-acl';
import { BLOCK_TABLE_SCHEMA } from './block-registry';

/**
 * By default the leases share the block table, as the hourly budget counters do, under a partition
 * key no address can have; their sort key is `acl-lease:<acl id>`, which no execution name looks like.
 * They carry no `kind`, so the byTime index (expiry sweep) never holds them. Released leases are
 * deleted; one that outlived its holder stays until the next holder overwrites it (one small item per ACL).
 */
export const LEASE_PARTITION = '#acl-lease';

export interface LeaseTableKeys {
  readonly partitionKey: string;
  readonly sortKey: string;
}

export class DynamoAclLease implements AclLease {
  constructor(
    private readonly client: DynamoDBDocumentClient,
    private readonly tableName: string,
    private readonly keys: LeaseTableKeys = BLOCK_TABLE_SCHEMA,
    private readonly clock: Clock = systemClock,
  ) {}

  private key(networkAclId: string): Record<string, string> {
    return { [this.keys.partitionKey]: LEASE_PARTITION, [this.keys.sortKey]: `acl-lease:${networkAclId}` };
  }

  /**
   * PutItem with `attribute_not_exists(pk) OR expiresAt < :now` (`pk` the table's partition key;
   * times in epoch milliseconds). On a failed condition the holder is read from the old item
   * (ReturnValuesOnConditionCheckFailure ALL_OLD), without a second call.
   */
  async acquire(networkAclId: string, owner: string, ttlSeconds: number): Promise<AclLeaseGrant> {
    if (!Number.isFinite(ttlSeconds) || ttlSeconds <= 0) throw new RangeError(`ttlSeconds: expected a positive number, got ${String(ttlSeconds)}`);
    const now = this.clock.now().getTime();
    const expiresAt = now + Math.round(ttlSeconds * 1000);
    try {
      await this.client.send(
        new PutCommand({
          TableName: this.tableName,
          Item: { ...this.key(networkAclId), networkAclId, owner, expiresAt, acquiredAt: new Date(now).toISOString() },
          ConditionExpression: 'attribute_not_exists(#pk) OR #expiresAt < :now',
          ExpressionAttributeNames: { '#pk': this.keys.partitionKey, '#expiresAt': 'expiresAt' },
          ExpressionAttributeValues: { ':now': now },
          ReturnValuesOnConditionCheckFailure: 'ALL_OLD',
        }),
      );
      return { acquired: true, expiresAt: new Date(expiresAt) };
    } catch (e) {
      if (!(e instanceof ConditionalCheckFailedException)) throw e;
      // Raw attribute values: the document client does not unmarshall an exception's item.
      const old = e.Item;
      const heldBy = old?.owner?.S ?? null;
      const until = old?.expiresAt?.N !== undefined ? new Date(Number(old.expiresAt.N)) : null;
      return { acquired: false, heldBy, expiresAt: until };
    }
  }

  /** DeleteItem only while `owner` still holds it: a lease that expired and was taken by another is theirs. */
  async release(networkAclId: string, owner: string): Promise<void> {
    try {
      await this.client.send(
        new DeleteCommand({ TableName: this.tableName, Key: this.key(networkAclId), ConditionExpression: '#owner = :owner', ExpressionAttributeNames: { '#owner': 'owner' }, ExpressionAttributeValues: { ':owner': owner } }),
      );
    } catch (e) {
      if (!(e instanceof ConditionalCheckFailedException)) throw e;
    }
  }
}
