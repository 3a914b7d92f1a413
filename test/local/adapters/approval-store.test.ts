import * as path from 'node:path';
import type { PendingApproval } from '../../../handlers/ports';
import { ApprovalNotFoundError, ApprovalStoreError, FileApprovalStore } from '../../../local/adapters/approval-store';
import { UnsafeNameError } from '../../../local/adapters/files';
import { approvalIdFor } from '../../../handlers/request-approval';
import type { Decision } from '../../../workflows/contract';
import { useTempDir } from './temp-dir';

const finding = { id: 'PORT_SCAN:203.0.113.50:1763805600', detection: 'PORT_SCAN', severity: 'CRITICAL', source: '203.0.113.50', port: null, value: 171, threshold: 50, window: { start: 1763802000, end: 1763805600 } } as const;
const pending: PendingApproval = {
  approvalId: 'apr-1f2e3d',
  taskToken: 'token-1',
  executionName: 'PORT_SCAN-203-0-113-50-1763805600',
  finding,
  view: { proposed: 'block 203.0.113.50/32 in WAF' },
  approvers: ['alice@example.com', 'bob@example.com'],
  expiresAt: '2025-11-22T11:00:00Z',
  createdAt: '2025-11-22T10:00:00Z',
};
const decision = (who: string, what: 'approve' | 'reject'): Decision => ({ decision: what, approver: who, at: '2025-11-22T10:05:00Z', comment: null, sourceIp: '127.0.0.1' });

describe('FileApprovalStore', () => {
  const tmp = useTempDir();
  const store = (): FileApprovalStore => new FileApprovalStore(path.join(tmp.path, 'approvals'));

  it('saves and reads an approval', async () => {
    await store().save(pending);
    expect(await store().get(pending.approvalId)).toEqual(pending);
    expect(await store().get('apr-unknown')).toBeUndefined();
  });

  it('records only the first of two concurrent decisions', async () => {
    const s = store();
    await s.save(pending);
    const [a, b] = await Promise.all([s.decide(pending.approvalId, decision('alice@example.com', 'approve')), s.decide(pending.approvalId, decision('bob@example.com', 'reject'))]);
    expect([a, b].sort()).toEqual([false, true]);
    const winner = a ? decision('alice@example.com', 'approve') : decision('bob@example.com', 'reject');
    expect(await s.get(pending.approvalId)).toEqual({ ...pending, decision: winner, decidedAt: winner.at });
  });

  it('refuses a second decision later (a reused link) and keeps the first', async () => {
    const s = store();
    await s.save(pending);
    expect(await s.decide(pending.approvalId, decision('alice@example.com', 'approve'))).toBe(true);
    expect(await new FileApprovalStore(path.join(tmp.path, 'approvals')).decide(pending.approvalId, decision('alice@example.com', 'reject'))).toBe(false);
    expect((await s.get(pending.approvalId))?.decision?.decision).toBe('approve');
    await expect(s.save(pending)).rejects.toBeInstanceOf(ApprovalStoreError);
  });

  it('refuses a decision on an approval that does not exist', async () => {
    await expect(store().decide('apr-forged', decision('mallory', 'approve'))).rejects.toBeInstanceOf(ApprovalNotFoundError);
  });

  it('keeps every id approvalIdFor makes, also one that starts with "-"', async () => {
    let token = 0;
    while (!approvalIdFor(`token-${token}`).startsWith('-')) token++;
    const approvalId = approvalIdFor(`token-${token}`);
    const s = store();
    await s.save({ ...pending, approvalId });
    expect(await s.decide(approvalId, decision('alice@example.com', 'approve'))).toBe(true);
    expect((await s.get(approvalId))?.decision?.approver).toBe('alice@example.com');
  });

  it('refuses ids that would leave the folder', async () => {
    await expect(store().get('../keys/approval')).rejects.toBeInstanceOf(UnsafeNameError);
    await expect(store().save({ ...pending, approvalId: '../../x' })).rejects.toBeInstanceOf(UnsafeNameError);
  });
});
