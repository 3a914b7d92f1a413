/**
 * DynamoDB tables behind aws-sdk-client-mock (one DynamoDBDocumentClient instance each), keeping
 * the real API's rules for the calls the block registry and the approval store make: conditions
 * are checked before a write and a failed one raises ConditionalCheckFailedException and writes
 * nothing; queries return items in sort-key order, a page at a time (`Limit` counts items read
 * before the filter, so a page can come back empty with a LastEvaluatedKey); a consistent read on
 * a global secondary index is refused; an undefined value anywhere in an item is refused as the
 * document marshaller does. Only the exact expressions the adapters send are understood: a changed
 * expression fails loudly here instead of passing unchecked.
 */
import { ConditionalCheckFailedException, DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { DeleteCommand, DynamoDBDocumentClient, GetCommand, PutCommand, QueryCommand, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import { mockClient, type AwsClientStub } from 'aws-sdk-client-mock';

type Item = Record<string, unknown>;
const tick = (): Promise<void> => new Promise((resolve) => setImmediate(resolve));

function documentClient(): DynamoDBDocumentClient {
  return DynamoDBDocumentClient.from(new DynamoDBClient({ region: 'us-east-1' }));
}

function checkDefined(value: unknown, where: string): void {
  if (value === undefined) throw new Error(`Pass options.removeUndefinedValues=true to remove undefined values from map/array/set (${where}).`);
  if (Array.isArray(value)) value.forEach((v, i) => checkDefined(v, `${where}[${i}]`));
  else if (typeof value === 'object' && value !== null && !Buffer.isBuffer(value)) for (const [k, v] of Object.entries(value)) checkDefined(v, `${where}.${k}`);
}

function table(expected: string, name: string | undefined): void {
  if (name !== expected) throw new Error(`ResourceNotFoundException: Requested resource not found (table ${String(name)})`);
}

function conditionFailed(): never {
  throw new ConditionalCheckFailedException({ message: 'The conditional request failed', $metadata: { httpStatusCode: 400 } });
}

interface QueryInput {
  TableName?: string;
  IndexName?: string;
  KeyConditionExpression?: string;
  FilterExpression?: string;
  ExpressionAttributeNames?: Record<string, string>;
  ExpressionAttributeValues?: Record<string, unknown>;
  ExclusiveStartKey?: Record<string, unknown>;
  ConsistentRead?: boolean;
  Select?: string;
  Limit?: number;
}

type Call = (input: never) => Promise<Record<string, unknown>>;
interface TableBehaviour {
  readonly tableName: string;
  readonly calls: Partial<Record<'put' | 'get' | 'update' | 'delete' | 'query', Call>>;
  items(): Item[];
}

/** The block table of handlers/aws/block-registry.ts: key (cidr, executionName), GSIs byExecution and byTime. */
export function fakeBlockTable(tableName: string, options: { readonly pageSize?: number } = {}) {
  const client = documentClient();
  const mock = mockClient(client);
  const table = blockTable(tableName, options);
  attach(mock, [table]);
  return { client, mock, items: table.items };
}

/** The approval table of handlers/aws/approval-store.ts: key approvalId. */
export function fakeApprovalTable(tableName: string) {
  const client = documentClient();
  const mock = mockClient(client);
  const table = approvalTable(tableName);
  attach(mock, [table]);
  return { client, mock, items: table.items };
}

/** Both tables on every DynamoDBDocumentClient (for Lambda entry modules, which create their own clients). */
export function fakeDocumentTablesEverywhere(names: { readonly blocks: string; readonly approvals: string }) {
  const mock = mockClient(DynamoDBDocumentClient);
  const blocks = blockTable(names.blocks, {});
  const approvals = approvalTable(names.approvals);
  attach(mock, [blocks, approvals]);
  return { mock, blocks: blocks.items, approvals: approvals.items };
}

function attach(mock: AwsClientStub<DynamoDBDocumentClient>, tables: readonly TableBehaviour[]): void {
  const dispatch =
    (op: keyof TableBehaviour['calls']) =>
    (input: { TableName?: string }): Promise<Record<string, unknown>> => {
      const t = tables.find((x) => x.tableName === input.TableName);
      if (t === undefined) throw new Error(`ResourceNotFoundException: Requested resource not found (table ${String(input.TableName)})`);
      const call = t.calls[op];
      if (call === undefined) throw new Error(`fake table ${t.tableName} does not expect ${op}`);
      return call(input as never);
    };
  mock.on(PutCommand).callsFake(dispatch('put'));
  mock.on(GetCommand).callsFake(dispatch('get'));
  mock.on(UpdateCommand).callsFake(dispatch('update'));
  mock.on(DeleteCommand).callsFake(dispatch('delete'));
  mock.on(QueryCommand).callsFake(dispatch('query'));
}

function blockTable(tableName: string, options: { readonly pageSize?: number }): TableBehaviour {
  const items = new Map<string, Item>();
  const pk = (i: Item): string => `${String(i.cidr)}\n${String(i.executionName)}`;
  const pageSize = options.pageSize ?? 1000;

  const put = async (input: { TableName?: string; Item?: Item; ConditionExpression?: string }) => {
    await tick();
    table(tableName, input.TableName);
    if (input.ConditionExpression !== undefined) throw new Error(`fake block table does not know the condition ${input.ConditionExpression}`);
    checkDefined(input.Item, 'Item');
    const item = structuredClone(input.Item as Item);
    if (typeof item.cidr !== 'string' || typeof item.executionName !== 'string') throw new Error('ValidationException: One or more parameter values were invalid: Missing the key cidr or executionName in the item');
    items.set(pk(item), item);
    return {};
  };

  const remove = async (input: { TableName?: string; Key?: Item }) => {
    await tick();
    table(tableName, input.TableName);
    const k = input.Key ?? {};
    if (Object.keys(k).sort().join(',') !== 'cidr,executionName') throw new Error('ValidationException: The provided key element does not match the schema');
    items.delete(pk(k));
    return {};
  };

  const query = async (input: QueryInput) => {
    await tick();
    table(tableName, input.TableName);
    const names = input.ExpressionAttributeNames ?? {};
    const values = input.ExpressionAttributeValues ?? {};
    checkDefined(values, 'ExpressionAttributeValues');
    let matching: Item[];
    let order: (i: Item) => string;
    const all = [...items.values()];
    const condition = `${input.IndexName ?? ''}|${input.KeyConditionExpression}|${JSON.stringify(names)}`;
    if (input.IndexName !== undefined && input.ConsistentRead === true) throw new Error('ValidationException: Consistent reads are not supported on global secondary indexes');
    switch (condition) {
      case `|#c = :c|${JSON.stringify({ '#c': 'cidr' })}`:
        matching = all.filter((i) => i.cidr === values[':c']);
        order = (i) => String(i.executionName);
        break;
      case `byExecution|#e = :e|${JSON.stringify({ '#e': 'executionName' })}`:
        matching = all.filter((i) => i.executionName === values[':e']);
        order = (i) => `${String(i.cidr)}\n${String(i.executionName)}`;
        break;
      case `byTime|#k = :k|${JSON.stringify({ '#k': 'kind', '#x': 'expiresAt' })}`:
        matching = all.filter((i) => i.kind === values[':k']);
        order = (i) => `${String(i.blockedAt)}\n${pk(i)}`;
        break;
      case `byTime|#k = :k AND #t >= :since|${JSON.stringify({ '#k': 'kind', '#t': 'blockedAt' })}`:
        matching = all.filter((i) => i.kind === values[':k'] && String(i.blockedAt) >= String(values[':since']));
        order = (i) => `${String(i.blockedAt)}\n${pk(i)}`;
        break;
      default:
        throw new Error(`fake block table does not know the query ${condition}`);
    }
    matching.sort((a, b) => (order(a) < order(b) ? -1 : order(a) > order(b) ? 1 : 0));
    let start = 0;
    if (input.ExclusiveStartKey !== undefined) {
      const after = pk(input.ExclusiveStartKey);
      start = matching.findIndex((i) => pk(i) === after) + 1;
      if (start === 0) throw new Error('ValidationException: The provided starting key is invalid');
    }
    const limit = Math.min(pageSize, input.Limit ?? Infinity);
    const page = matching.slice(start, start + limit);
    const more = start + limit < matching.length;
    const last = page[page.length - 1];
    const lastKey = more && last !== undefined ? { cidr: last.cidr, executionName: last.executionName, ...(input.IndexName === 'byTime' ? { kind: last.kind, blockedAt: last.blockedAt } : {}) } : undefined;
    let result = page;
    if (input.FilterExpression !== undefined) {
      if (input.FilterExpression !== '#x <= :now') throw new Error(`fake block table does not know the filter ${input.FilterExpression}`);
      result = page.filter((i) => String(i.expiresAt) <= String(values[':now']));
    }
    if (input.Select === 'COUNT') return { Count: result.length, ScannedCount: page.length, ...(lastKey ? { LastEvaluatedKey: lastKey } : {}) };
    return { Items: structuredClone(result), Count: result.length, ScannedCount: page.length, ...(lastKey ? { LastEvaluatedKey: lastKey } : {}) };
  };

  // The hourly cap's counter (handlers/aws/block-budget.ts). As DynamoDB does: `ADD` on a missing item
  // creates it with the value, the condition is evaluated against the item as it is before the update
  // and the two happen as one, and a failed condition writes nothing
  // (https://docs.aws.amazon.com/amazondynamodb/latest/developerguide/Expressions.UpdateExpressions.html#Expressions.UpdateExpressions.ADD).
  const update = async (input: { TableName?: string; Key?: Item; UpdateExpression?: string; ConditionExpression?: string; ExpressionAttributeValues?: Record<string, unknown>; ReturnValues?: string }) => {
    await tick();
    table(tableName, input.TableName);
    if (input.UpdateExpression !== 'ADD blocks :one' || input.ConditionExpression !== 'attribute_not_exists(blocks) OR blocks < :max') throw new Error(`fake block table does not know ${input.UpdateExpression} / ${input.ConditionExpression}`);
    const k = input.Key ?? {};
    if (Object.keys(k).sort().join(',') !== 'cidr,executionName') throw new Error('ValidationException: The provided key element does not match the schema');
    const values = input.ExpressionAttributeValues ?? {};
    const old = items.get(pk(k));
    const current = old?.blocks;
    if (current !== undefined && !(typeof current === 'number' && current < Number(values[':max']))) conditionFailed();
    const blocks = (typeof current === 'number' ? current : 0) + Number(values[':one']);
    items.set(pk(k), { ...(old ?? k), blocks });
    return input.ReturnValues === 'UPDATED_NEW' ? { Attributes: { blocks } } : {};
  };

  const get = async (input: { TableName?: string; Key?: Item }) => {
    await tick();
    table(tableName, input.TableName);
    const item = items.get(pk(input.Key ?? {}));
    return item === undefined ? {} : { Item: structuredClone(item) };
  };

  return { tableName, calls: { put, delete: remove, query, update, get } as TableBehaviour['calls'], items: (): Item[] => [...items.values()] };
}

function approvalTable(tableName: string): TableBehaviour {
  const items = new Map<string, Item>();

  const put = async (input: { TableName?: string; Item?: Item; ConditionExpression?: string; ExpressionAttributeNames?: Record<string, string> }) => {
    await tick();
    table(tableName, input.TableName);
    checkDefined(input.Item, 'Item');
    const item = structuredClone(input.Item as Item);
    const id = item.approvalId;
    if (typeof id !== 'string') throw new Error('ValidationException: Missing the key approvalId in the item');
    if (input.ConditionExpression !== 'attribute_not_exists(#id)' || input.ExpressionAttributeNames?.['#id'] !== 'approvalId') throw new Error(`fake approval table does not know the condition ${input.ConditionExpression}`);
    if (items.has(id)) conditionFailed();
    items.set(id, item);
    return {};
  };

  const get = async (input: { TableName?: string; Key?: Item }) => {
    await tick();
    table(tableName, input.TableName);
    const item = items.get(String(input.Key?.approvalId));
    return item === undefined ? {} : { Item: structuredClone(item) };
  };

  const update = async (input: { TableName?: string; Key?: Item; UpdateExpression?: string; ConditionExpression?: string; ExpressionAttributeNames?: Record<string, string>; ExpressionAttributeValues?: Record<string, unknown> }) => {
      await tick();
      table(tableName, input.TableName);
      const names = input.ExpressionAttributeNames ?? {};
      if (
        input.UpdateExpression !== 'SET #d = :d, #at = :at' ||
        input.ConditionExpression !== 'attribute_exists(#id) AND attribute_not_exists(#d)' ||
        JSON.stringify(names) !== JSON.stringify({ '#id': 'approvalId', '#d': 'decision', '#at': 'decidedAt' })
      ) {
        throw new Error(`fake approval table does not know ${input.UpdateExpression} / ${input.ConditionExpression}`);
      }
      checkDefined(input.ExpressionAttributeValues, 'ExpressionAttributeValues');
      const id = String(input.Key?.approvalId);
      const old = items.get(id);
      if (old === undefined || old.decision !== undefined) conditionFailed();
      items.set(id, { ...(old as Item), decision: structuredClone(input.ExpressionAttributeValues?.[':d']), decidedAt: input.ExpressionAttributeValues?.[':at'] });
      return {};
    };

  return { tableName, calls: { put, get, update } as TableBehaviour['calls'], items: (): Item[] => [...items.values()] };
}
