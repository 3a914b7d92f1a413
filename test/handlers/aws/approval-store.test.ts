import { DynamoApprovalStore } from '../../../handlers/aws/approval-store';
import type { PendingApproval } from '../../../handlers/ports';
import type { Decision } from '../../../workflows/contract';
import { fakeApprovalTable } from '../mocks/fake-documents';
import { evidence, finding } from '../mocks/fixtures';

const TABLE = 'flowir-test-approvals';

const pending: PendingApproval = {
  approvalId: 'appr-1',
  taskToken: 'AQB-task-token',
  executionName: 'PORT_SCAN-203-0-113-50-1763805600',
  finding: finding('203.0.113.50'),
  view: { evidence: evidence(), note: null },
  approvers: ['alice@example.com', 'bob@example.com'],
  expiresAt: '2025-11-22T11:05:00.000Z',
  createdAt: '2025-11-22T10:05:00.000Z',
};

const approve: Decision = { decision: 'approve', approver: 'alice@example.com', at: '2025-11-22T10:07:00Z', comment: null, sourceIp: '192.0.2.10' };
const reject: Decision = { decision: 'reject', approver: 'bob@example.com', at: '2025-11-22T10:07:01Z', comment: 'false positive', sourceIp: null };

describe('DynamoApprovalStore', () => {
  it('keeps the approval, task token included, and reads it back as saved', async () => {
    const table = fakeApprovalTable(TABLE);
    const store = new DynamoApprovalStore(table.client, TABLE);
    await store.save(pending);
    expect(await store.get('appr-1')).toEqual(pending);
    expect(await store.get('appr-2')).toBeUndefined();
    // The TTL is the expiry plus the retention, so late clicks still find the approval.
    expect(table.items()[0]?.ttl).toBe(Date.parse(pending.expiresAt) / 1000 + 30 * 86400);
  });

  it('records a decision once: the second, even from another approver, is refused and changes nothing', async () => {
    const table = fakeApprovalTable(TABLE);
    const store = new DynamoApprovalStore(table.client, TABLE);
    await store.save(pending);
    expect(await store.decide('appr-1', approve)).toBe(true);
    expect(await store.decide('appr-1', reject)).toBe(false);
    expect(await store.get('appr-1')).toEqual({ ...pending, decision: approve, decidedAt: approve.at });
  });

  it('lets exactly one of two simultaneous decisions through', async () => {
    const table = fakeApprovalTable(TABLE);
    const store = new DynamoApprovalStore(table.client, TABLE);
    await store.save(pending);
    const results = await Promise.all([store.decide('appr-1', approve), store.decide('appr-1', reject)]);
    expect(results.filter(Boolean)).toHaveLength(1);
  });

  it('does not decide an approval that was never saved', async () => {
    const store = new DynamoApprovalStore(fakeApprovalTable(TABLE).client, TABLE);
    expect(await store.decide('nope', approve)).toBe(false);
  });

  it('keeps the first copy when a retried request saves the same approval again', async () => {
    const table = fakeApprovalTable(TABLE);
    const store = new DynamoApprovalStore(table.client, TABLE);
    await store.save(pending);
    await store.decide('appr-1', approve);
    await store.save({ ...pending, createdAt: '2025-11-22T10:06:00.000Z' });
    expect(await store.get('appr-1')).toMatchObject({ createdAt: pending.createdAt, decision: approve });
  });
});
