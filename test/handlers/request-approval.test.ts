import { verifyApprovalLink } from '../../core/approval/link';
import { approvalIdFor, checkBaseUrl, createRequestApprovalHandler, toKeySet } from '../../handlers/request-approval';
import { approvalWorld, APPROVERS, BASE_URL, RecordingNotifier, StaticKeys, tokenOf } from './mocks/approval-world';
import { evidence, finding, T0 } from './mocks/fixtures';
import { generateKeySet } from '../../core/approval/keys';

describe('request-approval handler', () => {
  it('stores the approval with its task token and sends one signed link per approver, without the token', async () => {
    const w = approvalWorld();
    const { ack, taskToken, links, notice } = await w.request();

    expect(ack).toEqual({ approvalId: approvalIdFor(taskToken), approvers: 2, expiresAt: '2025-11-22T11:05:00Z', messageId: 'm-1' });
    const stored = await w.store.get(ack.approvalId);
    expect(stored).toMatchObject({ taskToken, approvers: APPROVERS, expiresAt: '2025-11-22T11:05:00.000Z', createdAt: T0.toISOString(), finding: finding('203.0.113.50') });

    const keys = toKeySet(await w.keys.keys());
    expect([...links.keys()]).toEqual(APPROVERS);
    for (const [approver, url] of links) {
      expect(url.origin + url.pathname).toBe(`${BASE_URL}/approval`);
      const verified = verifyApprovalLink(tokenOf(url), keys, T0.getTime() / 1000);
      expect(verified).toMatchObject({ ok: true, claims: { approvalId: ack.approvalId, incidentId: finding('203.0.113.50').id, approver, expiresAt: T0.getTime() / 1000 + 3600 } });
      expect(url.href).not.toContain(taskToken.slice(0, 20));
      expect(notice?.text).toContain(url.href);
    }
    expect(notice?.topic).toBe('critical');
    expect(notice?.subject).toBe('[flowir] APPROVAL NEEDED: Port scan from 203.0.113.50');
    expect(notice?.text).toContain('Please approve or reject before 2025-11-22T11:05:00Z (1 hour)');
    expect(notice?.text).toContain('Does not stop: SSH, RDP, SMB or any other non-HTTP traffic');
    expect(JSON.stringify(notice?.data)).not.toContain(taskToken);
  });

  it('stores what the page shows: evidence, what each action stops and does not, and the guard', async () => {
    const w = approvalWorld();
    const { ack } = await w.request(finding('198.51.100.77', 'SUSPICIOUS_PORT_ACCESS'));
    const view = (await w.store.get(ack.approvalId))?.view as Record<string, unknown>;
    expect(view.evidence).toEqual(evidence());
    expect(view.proposal).toMatchObject({ blockDurationSeconds: 86400, gaps: [expect.stringContaining('port 22 (SSH)')] });
    expect(view.guard).toEqual({ allowed: true, guardrail: null, reason: null });
  });

  it('keeps the first approval when the invocation is retried with the same task token', async () => {
    const w = approvalWorld();
    const { ack, input } = await w.request();
    await w.store.decide(ack.approvalId, { decision: 'reject', approver: 'bob@example.com', at: '2025-11-22T10:06:00Z', comment: null, sourceIp: null });
    w.clock.advance(30);
    const again = await w.requestApproval(input);
    expect(again.approvalId).toBe(ack.approvalId);
    expect((await w.store.get(ack.approvalId))?.decision?.decision).toBe('reject');
  });

  it('refuses to ask anyone to approve a block a guardrail already refuses', async () => {
    const w = approvalWorld();
    const { input } = await w.request();
    await expect(w.requestApproval({ ...input, taskToken: w.sfn.issueToken(), policy: { ...input.policy, guard: { allowed: false, guardrail: 'private-range', reason: 'private' } } })).rejects.toThrow(/guardrail private-range/);
  });

  it('checks its configuration when it is created', () => {
    const deps = { store: approvalWorld().store, notifier: new RecordingNotifier(), keys: new StaticKeys(generateKeySet()), clock: { now: () => T0 }, networkAclDeny: [] };
    expect(() => createRequestApprovalHandler({ ...deps, approvers: [], baseUrl: BASE_URL })).toThrow(/no approvers configured/);
    expect(() => createRequestApprovalHandler({ ...deps, approvers: ['a@x.org', 'a@x.org'], baseUrl: BASE_URL })).toThrow(/twice/);
    expect(() => createRequestApprovalHandler({ ...deps, approvers: ['a@x.org'], baseUrl: 'http://approvals.example.com' })).toThrow(/must use https/);
    expect(checkBaseUrl('http://127.0.0.1:8080/')).toBe('http://127.0.0.1:8080');
    expect(checkBaseUrl('https://x.example.com/prod/')).toBe('https://x.example.com/prod');
  });
});
