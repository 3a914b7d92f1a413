import type { DeleteItemCommandInput, DeleteItemCommandOutput } from '@aws-sdk/client-dynamodb';
import type { LocalAdapters } from '../adapters';

export class UnsupportedDeleteError extends Error {
  override readonly name = 'DynamoDB.ValidationException';
}

/**
 * The detection workflow's ReleaseClaim task (`arn:aws:states:::dynamodb:deleteItem`) on the local
 * suppression store. It understands exactly the request the workflow sends (the item's `pk`, the
 * condition on its `executionName`) and refuses any other, so a changed workflow fails here too.
 */
export async function releaseClaim(adapters: LocalAdapters, input: DeleteItemCommandInput): Promise<DeleteItemCommandOutput> {
  const key = input.Key?.pk?.S;
  const name = input.ExpressionAttributeValues?.[':name']?.S;
  if (key === undefined || name === undefined || input.ConditionExpression !== 'executionName = :name' || Object.keys(input.Key ?? {}).length !== 1) {
    throw new UnsupportedDeleteError(`the local suppression store deletes by {pk} with "executionName = :name" only; got ${JSON.stringify({ Key: input.Key, ConditionExpression: input.ConditionExpression })}`);
  }
  await adapters.suppression.release(key, name);
  return { $metadata: {} };
}
