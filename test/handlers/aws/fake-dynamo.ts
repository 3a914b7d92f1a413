/**
 * A one-table DynamoDB behind aws-sdk-client-mock that keeps the real API's rules for the calls the
 * suppression store makes: the condition is checked before the write, a failed check raises
 * ConditionalCheckFailedException (with the old item only when ReturnValuesOnConditionCheckFailure
 * is ALL_OLD), and nothing is written then. It knows exactly the expressions the store sends; a
 * changed expression fails loudly here rather than passing unchecked.
 */
import { ConditionalCheckFailedException, DynamoDBClient, GetItemCommand, PutItemCommand, UpdateItemCommand, type AttributeValue } from '@aws-sdk/client-dynamodb';
import { mockClient } from 'aws-sdk-client-mock';

type Item = Record<string, AttributeValue>;

const CLAIM = 'attribute_not_exists(pk) OR expiresAt <= :now';
const REPEAT_CONDITION = 'attribute_exists(pk) AND findingId <> :finding AND (attribute_not_exists(lastFindingId) OR lastFindingId <> :finding)';
const REPEAT_UPDATE = 'SET repeats = repeats + :one, lastFindingId = :finding, lastSeenAt = :seen';

/** `returnsOldItem: false` plays a DynamoDB that ignores ReturnValuesOnConditionCheckFailure (older DynamoDB Local). */
export function fakeDynamoTable(tableName: string, options: { readonly returnsOldItem?: boolean } = {}) {
  const items = new Map<string, Item>();
  const mock = mockClient(DynamoDBClient);
  const key = (k: Item | undefined): string => {
    const pk = k?.pk?.S;
    if (pk === undefined) throw new Error('ValidationException: the key must have pk (S)');
    return pk;
  };
  const table = (name: string | undefined): void => {
    if (name !== tableName) throw new Error(`ResourceNotFoundException: Requested resource not found: Table: ${String(name)} not found`);
  };
  const failed = (old: Item | undefined, returnOld: string | undefined): never => {
    throw new ConditionalCheckFailedException({ message: 'The conditional request failed', $metadata: { httpStatusCode: 400 }, ...(returnOld === 'ALL_OLD' && old !== undefined && options.returnsOldItem !== false ? { Item: old } : {}) });
  };
  const num = (v: AttributeValue | undefined, what: string): number => {
    if (v?.N === undefined) throw new Error(`ValidationException: ${what} is not a number`);
    return Number(v.N);
  };

  mock.on(PutItemCommand).callsFake((input: { TableName?: string; Item?: Item; ConditionExpression?: string; ExpressionAttributeValues?: Item; ReturnValuesOnConditionCheckFailure?: string }) => {
    table(input.TableName);
    const k = key(input.Item);
    const old = items.get(k);
    if (input.ConditionExpression !== undefined) {
      if (input.ConditionExpression !== CLAIM) throw new Error(`fake DynamoDB does not know the condition ${input.ConditionExpression}`);
      const holds = old === undefined || num(old.expiresAt, 'expiresAt') <= num(input.ExpressionAttributeValues?.[':now'], ':now');
      if (!holds) failed(old, input.ReturnValuesOnConditionCheckFailure);
    }
    items.set(k, structuredClone(input.Item as Item));
    return {};
  });

  mock.on(UpdateItemCommand).callsFake((input: { TableName?: string; Key?: Item; UpdateExpression?: string; ConditionExpression?: string; ExpressionAttributeValues?: Item; ReturnValuesOnConditionCheckFailure?: string }) => {
    table(input.TableName);
    const k = key(input.Key);
    const old = items.get(k);
    if (input.ConditionExpression !== REPEAT_CONDITION || input.UpdateExpression !== REPEAT_UPDATE) throw new Error(`fake DynamoDB does not know ${input.UpdateExpression} / ${input.ConditionExpression}`);
    const values = input.ExpressionAttributeValues ?? {};
    const finding = values[':finding']?.S;
    const holds = old !== undefined && old.findingId?.S !== finding && (old.lastFindingId === undefined || old.lastFindingId.S !== finding);
    if (!holds) failed(old, input.ReturnValuesOnConditionCheckFailure);
    const current = old as Item;
    items.set(k, { ...current, repeats: { N: String(num(current.repeats, 'repeats') + num(values[':one'], ':one')) }, lastFindingId: values[':finding'] as AttributeValue, lastSeenAt: values[':seen'] as AttributeValue });
    return {};
  });

  mock.on(GetItemCommand).callsFake((input: { TableName?: string; Key?: Item }) => {
    table(input.TableName);
    const item = items.get(key(input.Key));
    return item === undefined ? {} : { Item: structuredClone(item) };
  });

  return { mock, items, client: new DynamoDBClient({ region: 'us-east-1' }) };
}
