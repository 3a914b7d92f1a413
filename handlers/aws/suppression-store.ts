/**
 * The suppression store on DynamoDB. One item per (detection, source[, port]) key; a conditional
 * PutItem lets exactly one detection run open an incident for a key while its item is live, however
 * many runs race for it.
 */
import { ConditionalCheckFailedException, DeleteItemCommand, GetItemCommand, PutItemCommand, UpdateItemCommand, type AttributeValue, type DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { systemClock, type Clock, type SuppressionEntry, type SuppressionStore } from '../ports';

/** The table's key and TTL attribute: the CDK table must use these names. */
export const SUPPRESSION_TABLE = {
  partitionKey: 'pk',
  /** Epoch seconds; also the table's TTL attribute, so DynamoDB deletes an item some time after it stops suppressing. */
  ttlAttribute: 'expiresAt',
} as const;

export class SuppressionStoreError extends Error {
  override readonly name = 'SuppressionStoreError';
}

type Item = Record<string, AttributeValue>;

const S = (v: string): AttributeValue => ({ S: v });
const N = (v: number): AttributeValue => ({ N: String(v) });
const epochSeconds = (iso: string, what: string): number => {
  const ms = Date.parse(iso);
  if (!Number.isFinite(ms)) throw new SuppressionStoreError(`${what}: "${iso}" is not an ISO 8601 time`);
  return Math.floor(ms / 1000);
};

// Claims race, and an item can vanish (TTL) between a failed claim and the read of its holder.
const MAX_CLAIM_ATTEMPTS = 3;

export class DynamoSuppressionStore implements SuppressionStore {
  constructor(
    private readonly dynamo: DynamoDBClient,
    private readonly table: string,
    private readonly clock: Clock = systemClock,
  ) {}

  /**
   * Write the entry if no item holds the key, or the item has stopped suppressing. An item
   * suppresses while now < expiresAt (core/incident isSuppressing), so the write condition is
   * `expiresAt <= :now`: at expiresAt exactly a new incident may open.
   */
  async claim(entry: SuppressionEntry, nowIso: string): ReturnType<SuppressionStore['claim']> {
    const now = epochSeconds(nowIso, 'now');
    const item: Item = {
      pk: S(entry.key),
      findingId: S(entry.findingId),
      executionName: S(entry.executionName),
      openedAt: S(entry.openedAt),
      expiresAt: N(epochSeconds(entry.expiresAt, 'expiresAt')),
      repeats: N(entry.repeats),
    };
    for (let attempt = 1; attempt <= MAX_CLAIM_ATTEMPTS; attempt++) {
      try {
        await this.dynamo.send(
          new PutItemCommand({
            TableName: this.table,
            Item: item,
            ConditionExpression: 'attribute_not_exists(pk) OR expiresAt <= :now',
            ExpressionAttributeValues: { ':now': N(now) },
            ReturnValuesOnConditionCheckFailure: 'ALL_OLD',
          }),
        );
        return { claimed: true };
      } catch (e) {
        if (!(e instanceof ConditionalCheckFailedException)) throw e;
        const holder = e.Item ?? (await this.read(entry.key));
        if (holder !== undefined) return { claimed: false, existing: toEntry(holder, this.table) };
      }
    }
    throw new SuppressionStoreError(`${this.table} ${entry.key}: the claim failed ${MAX_CLAIM_ATTEMPTS} times, each time for an item that was then gone`);
  }

  /**
   * Count a later finding on the incident that holds the key. Recording the same finding twice (a
   * retried state) counts it once; a key with no item is an error, since then nothing suppresses it.
   */
  async recordRepeat(key: string, findingId: string): Promise<void> {
    try {
      await this.dynamo.send(
        new UpdateItemCommand({
          TableName: this.table,
          Key: { pk: S(key) },
          UpdateExpression: 'SET repeats = repeats + :one, lastFindingId = :finding, lastSeenAt = :seen',
          ConditionExpression: 'attribute_exists(pk) AND findingId <> :finding AND (attribute_not_exists(lastFindingId) OR lastFindingId <> :finding)',
          ExpressionAttributeValues: { ':one': N(1), ':finding': S(findingId), ':seen': S(this.clock.now().toISOString()) },
          ReturnValuesOnConditionCheckFailure: 'ALL_OLD',
        }),
      );
    } catch (e) {
      if (!(e instanceof ConditionalCheckFailedException)) throw e;
      const current = e.Item;
      if (current === undefined) throw new SuppressionStoreError(`${this.table} ${key}: no incident holds this key, so the repeat of ${findingId} cannot be recorded on one`, { cause: e });
      // Already recorded (the finding that opened it, or the latest repeat): nothing to add.
    }
  }

  /** Delete the item only while `executionName` holds it; ConditionalCheckFailedException otherwise. */
  async release(key: string, executionName: string): Promise<void> {
    await this.dynamo.send(
      new DeleteItemCommand({
        TableName: this.table,
        Key: { pk: S(key) },
        ConditionExpression: 'executionName = :name',
        ExpressionAttributeValues: { ':name': S(executionName) },
      }),
    );
  }

  private async read(key: string): Promise<Item | undefined> {
    const out = await this.dynamo.send(new GetItemCommand({ TableName: this.table, Key: { pk: S(key) }, ConsistentRead: true }));
    return out.Item;
  }
}

function toEntry(item: Item, table: string): SuppressionEntry {
  const text = (name: string): string => {
    const v = item[name]?.S;
    if (v === undefined) throw new SuppressionStoreError(`${table} item ${item.pk?.S ?? '?'}: attribute ${name} is missing or not a string`);
    return v;
  };
  const number = (name: string): number => {
    const v = item[name]?.N;
    const n = v === undefined ? NaN : Number(v);
    if (!Number.isSafeInteger(n)) throw new SuppressionStoreError(`${table} item ${item.pk?.S ?? '?'}: attribute ${name} is missing or not a whole number`);
    return n;
  };
  return {
    key: text('pk'),
    findingId: text('findingId'),
    executionName: text('executionName'),
    openedAt: text('openedAt'),
    expiresAt: new Date(number('expiresAt') * 1000).toISOString(),
    repeats: number('repeats'),
  };
}
