import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { DeleteItem$, type DeleteItemCommandInput } from '@aws-sdk/client-dynamodb';
import type { LocalAdapters } from '../../../local/adapters';
import { FileSuppressionStore } from '../../../local/adapters/suppression-store';
import { sdkIntegration } from '../../../local/aws-shape';
import { releaseClaim } from '../../../local/runtime/release-claim';

let dir: string;
let store: FileSuppressionStore;
let task: (parameters: unknown) => Promise<unknown>;
const entry = (executionName: string) => ({ key: 'PORT_SCAN#203.0.113.50', findingId: 'PORT_SCAN:203.0.113.50:1763805600', executionName, openedAt: '2025-11-22T10:01:00.000Z', expiresAt: '2025-11-23T12:01:00.000Z', repeats: 0 });
// The parameters the detection workflow's ReleaseClaim state sends (DynamoDB DeleteItem, as Step Functions passes them).
const parameters = (name: string, extra: Record<string, unknown> = {}) => ({
  TableName: 'flowir-dev-suppression',
  Key: { pk: { S: 'PORT_SCAN#203.0.113.50' } },
  ConditionExpression: 'executionName = :name',
  ExpressionAttributeValues: { ':name': { S: name } },
  ...extra,
});

beforeEach(async () => {
  dir = await mkdtemp(path.join(tmpdir(), 'flowir-release-'));
  store = new FileSuppressionStore(path.join(dir, 'suppression.json'));
  task = sdkIntegration(DeleteItem$, (input: DeleteItemCommandInput) => releaseClaim({ suppression: store } as unknown as LocalAdapters, input));
});
afterEach(async () => {
  await rm(dir, { recursive: true, force: true });
});

describe('ReleaseClaim on the local suppression store (DynamoDB DeleteItem with a condition)', () => {
  it("deletes the claim of the execution that holds it, so the next run's claim wins", async () => {
    await store.claim(entry('PORT_SCAN-203-0-113-50-1763805600'), '2025-11-22T10:01:00.000Z');
    await expect(task(parameters('PORT_SCAN-203-0-113-50-1763805600'))).resolves.toEqual({});
    expect(await store.get('PORT_SCAN#203.0.113.50')).toBeUndefined();
    await expect(store.claim(entry('PORT_SCAN-203-0-113-50-1763809200'), '2025-11-22T11:01:00.000Z')).resolves.toEqual({ claimed: true });
  });

  it("refuses, as DynamoDB's failed condition does, when another execution holds the key or none does", async () => {
    await store.claim(entry('PORT_SCAN-203-0-113-50-1763809200'), '2025-11-22T11:01:00.000Z');
    await expect(task(parameters('PORT_SCAN-203-0-113-50-1763805600'))).rejects.toMatchObject({ name: 'DynamoDB.ConditionalCheckFailedException' });
    expect((await store.get('PORT_SCAN#203.0.113.50'))?.executionName).toBe('PORT_SCAN-203-0-113-50-1763809200');
    await rm(path.join(dir, 'suppression.json'));
    await expect(task(parameters('PORT_SCAN-203-0-113-50-1763809200'))).rejects.toMatchObject({ name: 'DynamoDB.ConditionalCheckFailedException' });
  });

  it('refuses a request it does not understand rather than guessing, and a parameter DeleteItem does not have', async () => {
    await expect(task(parameters('x', { ConditionExpression: 'attribute_exists(pk)' }))).rejects.toMatchObject({ name: 'DynamoDB.ValidationException' });
    await expect(task(parameters('x', { Keys: {} }))).rejects.toThrow('has no parameter "Keys"');
  });
});
