import { ConditionalCheckFailedException, DeleteItemCommand, GetItemCommand, PutItemCommand, ProvisionedThroughputExceededException, UpdateItemCommand, type AttributeValue } from '@aws-sdk/client-dynamodb';
import 'aws-sdk-client-mock-jest';
import { DEFAULT_CONFIG } from '../../../core/detection/config';
import { maxIncidentSeconds } from '../../../core/incident';
import { DEFAULT_INCIDENT_CONFIG } from '../../../core/policy';
import { DynamoSuppressionStore, SuppressionStoreError } from '../../../handlers/aws/suppression-store';
import type { SuppressionEntry } from '../../../handlers/ports';
import { createStartIncidentsHandler } from '../../../handlers/start-incidents';
import { createToFindingsHandler } from '../../../handlers/to-findings';
import { complete, filed, MemoryObjectStore, RecordingMetrics, ScriptedLogsInsights, SettableClock } from '../fakes/ports';
import { fakeDynamoTable } from './fake-dynamo';

const TABLE = 'flowir-dev-suppression';
const entry: SuppressionEntry = {
  key: 'PORT_SCAN#203.0.113.50',
  findingId: 'PORT_SCAN:203.0.113.50:1763805600',
  executionName: 'PORT_SCAN-203-0-113-50-1763805600',
  openedAt: '2025-11-22T10:01:00.000Z',
  expiresAt: '2025-11-23T12:01:00.000Z',
  repeats: 0,
};

/**
 * DeleteItem on the fake table, as DynamoDB does it: the condition is evaluated on the item as it is
 * (a missing item has no attributes, so `executionName = :name` is false); a failed condition is
 * ConditionalCheckFailedException and deletes nothing
 * (https://docs.aws.amazon.com/amazondynamodb/latest/APIReference/API_DeleteItem.html). fake-dynamo
 * knows PutItem, UpdateItem and GetItem only; it knows exactly one condition here too.
 */
function honourDeleteItem(fake: ReturnType<typeof fakeDynamoTable>): void {
  fake.mock.on(DeleteItemCommand).callsFake((input: { TableName?: string; Key?: Record<string, AttributeValue>; ConditionExpression?: string; ExpressionAttributeValues?: Record<string, AttributeValue> }) => {
    if (input.TableName !== TABLE) throw new Error(`ResourceNotFoundException: Requested resource not found: Table: ${String(input.TableName)} not found`);
    const k = input.Key?.pk?.S;
    if (k === undefined) throw new Error('ValidationException: the key must have pk (S)');
    if (input.ConditionExpression !== 'executionName = :name') throw new Error(`fake DynamoDB does not know the condition ${String(input.ConditionExpression)}`);
    const name = input.ExpressionAttributeValues?.[':name']?.S;
    if (name === undefined) throw new Error('ValidationException: :name is not a string value');
    const item = fake.items.get(k);
    if (item === undefined || item.executionName?.S !== name) throw new ConditionalCheckFailedException({ message: 'The conditional request failed', $metadata: { httpStatusCode: 400 } });
    fake.items.delete(k);
    return {};
  });
}

describe('DynamoSuppressionStore', () => {
  let fake: ReturnType<typeof fakeDynamoTable>;
  let clock: SettableClock;
  let store: DynamoSuppressionStore;
  beforeEach(() => {
    fake = fakeDynamoTable(TABLE);
    clock = new SettableClock(new Date('2025-11-22T10:11:00Z'));
    store = new DynamoSuppressionStore(fake.client, TABLE, clock);
    honourDeleteItem(fake);
  });
  afterEach(() => fake.mock.restore());

  it('claims an absent key with a conditional PutItem, expiresAt in epoch seconds for the TTL', async () => {
    await expect(store.claim(entry, '2025-11-22T10:01:00.000Z')).resolves.toEqual({ claimed: true });
    expect(fake.mock).toHaveReceivedCommandWith(PutItemCommand, {
      TableName: TABLE,
      ConditionExpression: 'attribute_not_exists(pk) OR expiresAt <= :now',
      ExpressionAttributeValues: { ':now': { N: String(Date.parse('2025-11-22T10:01:00Z') / 1000) } },
      ReturnValuesOnConditionCheckFailure: 'ALL_OLD',
    });
    expect(fake.items.get(entry.key)).toEqual({
      pk: { S: entry.key },
      findingId: { S: entry.findingId },
      executionName: { S: entry.executionName },
      openedAt: { S: entry.openedAt },
      expiresAt: { N: String(Date.parse(entry.expiresAt) / 1000) },
      repeats: { N: '0' },
    });
  });

  it('loses a claim to a live entry and says which incident holds the key', async () => {
    await store.claim(entry, '2025-11-22T10:01:00.000Z');
    const other = { ...entry, findingId: 'PORT_SCAN:203.0.113.50:1763806200', executionName: 'PORT_SCAN-203-0-113-50-1763806200' };
    await expect(store.claim(other, '2025-11-22T10:11:00.000Z')).resolves.toEqual({ claimed: false, existing: entry });
    // The failed check wrote nothing.
    expect(fake.items.get(entry.key)?.findingId).toEqual({ S: entry.findingId });
  });

  it('lets exactly one of two racing claims win', async () => {
    const a = { ...entry, findingId: 'PORT_SCAN:203.0.113.50:1763806200', executionName: 'A' };
    const b = { ...entry, findingId: 'PORT_SCAN:203.0.113.50:1763806201', executionName: 'B' };
    const results = await Promise.all([store.claim(a, '2025-11-22T10:11:00Z'), store.claim(b, '2025-11-22T10:11:00Z')]);
    expect(results.filter((r) => r.claimed)).toHaveLength(1);
    const loser = results.find((r) => !r.claimed);
    expect(loser !== undefined && !loser.claimed ? loser.existing.executionName : undefined).toBe(fake.items.get(entry.key)?.executionName?.S);
  });

  it('takes over an entry at its expiry exactly (it suppresses while now < expiresAt)', async () => {
    await store.claim(entry, '2025-11-22T10:01:00.000Z');
    const next = { ...entry, findingId: 'PORT_SCAN:203.0.113.50:1763899200', executionName: 'PORT_SCAN-203-0-113-50-1763899200' };
    await expect(store.claim(next, '2025-11-23T12:00:59.000Z')).resolves.toMatchObject({ claimed: false });
    await expect(store.claim(next, '2025-11-23T12:01:00.000Z')).resolves.toEqual({ claimed: true });
    expect(fake.items.get(entry.key)?.executionName).toEqual({ S: next.executionName });
  });

  it('reads the holder with a consistent GetItem when the failed check returns no item', async () => {
    fake.mock.restore();
    fake = fakeDynamoTable(TABLE, { returnsOldItem: false });
    store = new DynamoSuppressionStore(fake.client, TABLE, clock);
    await store.claim(entry, '2025-11-22T10:01:00.000Z');
    const other = { ...entry, findingId: 'PORT_SCAN:203.0.113.50:1763806200' };
    await expect(store.claim(other, '2025-11-22T10:11:00.000Z')).resolves.toEqual({ claimed: false, existing: entry });
    expect(fake.mock).toHaveReceivedCommandWith(GetItemCommand, { TableName: TABLE, Key: { pk: { S: entry.key } }, ConsistentRead: true });
  });

  it('counts each later finding once on the holding incident', async () => {
    await store.claim(entry, '2025-11-22T10:01:00.000Z');
    await store.recordRepeat(entry.key, 'PORT_SCAN:203.0.113.50:1763806200');
    await store.recordRepeat(entry.key, 'PORT_SCAN:203.0.113.50:1763806200');
    // The finding that opened the incident is not a repeat of it.
    await store.recordRepeat(entry.key, entry.findingId);
    expect(fake.items.get(entry.key)).toMatchObject({ repeats: { N: '1' }, lastFindingId: { S: 'PORT_SCAN:203.0.113.50:1763806200' }, lastSeenAt: { S: '2025-11-22T10:11:00.000Z' } });
    expect(fake.mock).toHaveReceivedCommandTimes(UpdateItemCommand, 3);
  });

  it('refuses to record a repeat on a key no incident holds', async () => {
    const run = store.recordRepeat('PORT_SCAN#192.0.2.1', 'PORT_SCAN:192.0.2.1:1763806200');
    await expect(run).rejects.toBeInstanceOf(SuppressionStoreError);
    await expect(run).rejects.toThrow(`${TABLE} PORT_SCAN#192.0.2.1: no incident holds this key`);
  });

  it('passes other DynamoDB errors on for the state to retry', async () => {
    fake.mock.on(PutItemCommand).rejects(new ProvisionedThroughputExceededException({ message: 'slow down', $metadata: {} }));
    await expect(store.claim(entry, '2025-11-22T10:01:00.000Z')).rejects.toBeInstanceOf(ProvisionedThroughputExceededException);
  });

  it('refuses an entry whose times are not ISO 8601', async () => {
    await expect(store.claim({ ...entry, expiresAt: 'tomorrow' }, '2025-11-22T10:01:00.000Z')).rejects.toThrow(new SuppressionStoreError('expiresAt: "tomorrow" is not an ISO 8601 time'));
  });

  it('releases a claim with a DeleteItem conditioned on the execution that holds it', async () => {
    await store.claim(entry, '2025-11-22T10:01:00.000Z');
    await store.release(entry.key, entry.executionName);
    expect(fake.mock).toHaveReceivedCommandWith(DeleteItemCommand, {
      TableName: TABLE,
      Key: { pk: { S: entry.key } },
      ConditionExpression: 'executionName = :name',
      ExpressionAttributeValues: { ':name': { S: entry.executionName } },
    });
    expect(fake.items.has(entry.key)).toBe(false);
    // Released: the next finding of the key claims it at once.
    const next = { ...entry, findingId: 'PORT_SCAN:203.0.113.50:1763806200', executionName: 'PORT_SCAN-203-0-113-50-1763806200' };
    await expect(store.claim(next, '2025-11-22T10:11:00.000Z')).resolves.toEqual({ claimed: true });
  });

  it('refuses to release a claim another execution holds, or one that is gone: ConditionalCheckFailedException, nothing deleted', async () => {
    const other = { ...entry, findingId: 'PORT_SCAN:203.0.113.50:1763809200', executionName: 'PORT_SCAN-203-0-113-50-1763809200' };
    await store.claim(other, '2025-11-22T10:01:00.000Z');
    await expect(store.release(entry.key, entry.executionName)).rejects.toBeInstanceOf(ConditionalCheckFailedException);
    expect(fake.items.get(entry.key)?.executionName).toEqual({ S: other.executionName });
    await expect(store.release('PORT_SCAN#192.0.2.1', 'PORT_SCAN-192-0-2-1-1763805600')).rejects.toBeInstanceOf(ConditionalCheckFailedException);
  });

  it('suppresses across detection runs when ToFindings uses it', async () => {
    const metrics = new RecordingMetrics();
    const objects = new MemoryObjectStore();
    const logs = new ScriptedLogsInsights();
    clock.set('2025-11-22T10:01:00Z');
    const handler = createToFindingsHandler({
      config: { detection: DEFAULT_CONFIG, suppression: { suppressionSeconds: DEFAULT_INCIDENT_CONFIG.suppressionSeconds, maxOpenSeconds: maxIncidentSeconds(DEFAULT_INCIDENT_CONFIG) } },
      suppressions: store,
      metrics,
      clock,
      store: objects,
      logsInsights: logs,
    });
    const run = async (end: number) =>
      complete(
        await handler({
          rule: { detection: 'PORT_SCAN', window: { start: end - 3600, end }, queryString: 'q', queryStart: end - 3660, queryEnd: end + 60 },
          execution: `security-${end}`,
          logsInsightsQueryId: logs.script(`li-${end}`, {
            status: 'Complete',
            results: [
              [
                { field: 'srcaddr', value: '203.0.113.50' },
                { field: 'value', value: '171' },
              ],
            ],
          }),
        }),
      );
    expect((await run(1763805600)).counts).toMatchObject({ suppressed: 0, new: 1 });
    clock.advance(600);
    const second = await run(1763806200);
    expect(second).toMatchObject({ counts: { suppressed: 1, new: 0 }, batches: [] });
    expect((await filed(objects, second)).record.findings).toEqual([expect.objectContaining({ disposition: 'suppressed', executionName: 'PORT_SCAN-203-0-113-50-1763805600' })]);
    expect(fake.items.get('PORT_SCAN#203.0.113.50')?.repeats).toEqual({ N: '1' });

    // An incident that cannot start gives its key back through this store, for the next run to find.
    // 26 hours after the claim (its expiresAt): the next window's finding claims the key again.
    clock.set('2025-11-23T12:01:00Z');
    const third = await run(1763899200);
    const start = createStartIncidentsHandler({ store: objects, suppressions: store, starter: { start: async () => Promise.reject(new Error('StateMachineDeleting')) } });
    const [batch] = third.batches;
    if (batch === undefined) throw new Error('expected a batch: the window is past the suppression');
    expect((await start({ batch })).notStarted).toEqual([expect.objectContaining({ claimReleased: true })]);
    expect(fake.items.has('PORT_SCAN#203.0.113.50')).toBe(false);
  });
});
