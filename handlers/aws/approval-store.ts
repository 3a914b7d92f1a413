import { ConditionalCheckFailedException } from '@aws-sdk/client-dynamodb';
import { GetCommand, PutCommand, UpdateCommand, type DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import type { Decision } from '../../workflows/contract';
import type { ApprovalStore, PendingApproval } from '../ports';

/** The approval table's key schema, for the CDK table definition. */
export const APPROVAL_TABLE_SCHEMA = {
  partitionKey: 'approvalId',
  /** TTL attribute (epoch seconds): items go this long after the approval expires. */
  ttlAttribute: 'ttl',
} as const;

/** Kept after expiry so a late click still gets "already decided" or "expired", not "unknown link". */
export const APPROVAL_RETENTION_SECONDS = 30 * 86400;

/** An item in the approval table that is not a pending approval. */
export class ApprovalItemError extends Error {
  override readonly name = 'ApprovalItemError';
}

/**
 * Pending approvals in DynamoDB, task token included: it stays server-side, never in a link.
 * `decide` is a conditional update, so of two concurrent clicks exactly one records its decision.
 */
export class DynamoApprovalStore implements ApprovalStore {
  constructor(
    private readonly client: DynamoDBDocumentClient,
    private readonly tableName: string,
  ) {}

  async save(approval: PendingApproval): Promise<void> {
    const item = { ...(JSON.parse(JSON.stringify(approval)) as Record<string, unknown>), [APPROVAL_TABLE_SCHEMA.ttlAttribute]: Math.floor(Date.parse(approval.expiresAt) / 1000) + APPROVAL_RETENTION_SECONDS };
    try {
      await this.client.send(new PutCommand({ TableName: this.tableName, Item: item, ConditionExpression: 'attribute_not_exists(#id)', ExpressionAttributeNames: { '#id': APPROVAL_TABLE_SCHEMA.partitionKey } }));
    } catch (e) {
      // The id derives from the task token, so this is a retried request: keep the first (it may be decided).
      if (!(e instanceof ConditionalCheckFailedException)) throw e;
    }
  }

  async get(approvalId: string): Promise<PendingApproval | undefined> {
    const out = await this.client.send(new GetCommand({ TableName: this.tableName, Key: { [APPROVAL_TABLE_SCHEMA.partitionKey]: approvalId }, ConsistentRead: true }));
    return out.Item === undefined ? undefined : toPendingApproval(out.Item, this.tableName);
  }

  async decide(approvalId: string, decision: Decision): Promise<boolean> {
    try {
      await this.client.send(
        new UpdateCommand({
          TableName: this.tableName,
          Key: { [APPROVAL_TABLE_SCHEMA.partitionKey]: approvalId },
          UpdateExpression: 'SET #d = :d, #at = :at',
          ConditionExpression: 'attribute_exists(#id) AND attribute_not_exists(#d)',
          ExpressionAttributeNames: { '#id': APPROVAL_TABLE_SCHEMA.partitionKey, '#d': 'decision', '#at': 'decidedAt' },
          ExpressionAttributeValues: { ':d': { ...decision }, ':at': decision.at },
        }),
      );
      return true;
    } catch (e) {
      if (e instanceof ConditionalCheckFailedException) return false;
      throw e;
    }
  }
}

function toPendingApproval(item: Record<string, unknown>, table: string): PendingApproval {
  const where = `${table} item ${JSON.stringify(item.approvalId)}`;
  const fail = (field: string, what: string): never => {
    throw new ApprovalItemError(`${where}: ${field} is not ${what}`);
  };
  for (const f of ['approvalId', 'taskToken', 'executionName', 'expiresAt', 'createdAt']) if (typeof item[f] !== 'string') fail(f, 'a string');
  if (typeof item.finding !== 'object' || item.finding === null) fail('finding', 'a map');
  if (typeof item.view !== 'object' || item.view === null || Array.isArray(item.view)) fail('view', 'a map');
  if (!Array.isArray(item.approvers) || !item.approvers.every((a) => typeof a === 'string')) fail('approvers', 'a list of strings');
  if (item.decidedAt !== undefined && typeof item.decidedAt !== 'string') fail('decidedAt', 'a string');
  if (item.decision !== undefined && (typeof item.decision !== 'object' || item.decision === null)) fail('decision', 'a map');
  const approval: Record<string, unknown> = { ...item };
  delete approval[APPROVAL_TABLE_SCHEMA.ttlAttribute];
  return approval as unknown as PendingApproval;
}
