/** The hourly block cap on DynamoDB: one counter item per UTC clock hour in the block table. */
import { ConditionalCheckFailedException } from '@aws-sdk/client-dynamodb';
import { GetCommand, UpdateCommand, type DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { budgetHour, type BlockBudget } from '../ports';
import { BLOCK_TABLE_SCHEMA } from './block-registry';

/**
 * The counter items share the block table under a partition key no address can have. They carry no
 * `kind` attribute, so the byTime index (expiry sweep) never holds them; their sort key is the hour,
 * which no execution name looks like, so no execution's blocks include them. The table has no TTL (a
 * block record must never vanish), so the counters stay: one small item per hour with a block.
 */
export const BUDGET_PARTITION = '#block-budget';

export class DynamoBlockBudget implements BlockBudget {
  constructor(
    private readonly client: DynamoDBDocumentClient,
    private readonly tableName: string,
  ) {}

  /**
   * One UpdateItem: `ADD blocks 1` only while `blocks < max` (or the item is new). DynamoDB checks
   * the condition and writes in one step, so concurrent calls cannot both take the last block
   * (https://docs.aws.amazon.com/amazondynamodb/latest/developerguide/Expressions.ConditionExpressions.html).
   */
  async take(at: Date, max: number): ReturnType<BlockBudget['take']> {
    const Key = { [BLOCK_TABLE_SCHEMA.partitionKey]: BUDGET_PARTITION, [BLOCK_TABLE_SCHEMA.sortKey]: budgetHour(at) };
    try {
      const out = await this.client.send(
        new UpdateCommand({
          TableName: this.tableName,
          Key,
          UpdateExpression: 'ADD blocks :one',
          ConditionExpression: 'attribute_not_exists(blocks) OR blocks < :max',
          ExpressionAttributeValues: { ':one': 1, ':max': max },
          ReturnValues: 'UPDATED_NEW',
        }),
      );
      return { taken: true, used: Number((out.Attributes as { blocks?: unknown } | undefined)?.blocks ?? 1) };
    } catch (e) {
      if (!(e instanceof ConditionalCheckFailedException)) throw e;
      const held = await this.client.send(new GetCommand({ TableName: this.tableName, Key, ConsistentRead: true }));
      return { taken: false, used: Number((held.Item as { blocks?: unknown } | undefined)?.blocks ?? max) };
    }
  }
}
