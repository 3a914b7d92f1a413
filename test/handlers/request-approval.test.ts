import { PublishCommand } from '@aws-sdk/client-sns';
import 'aws-sdk-client-mock-jest';
import { verifyApprovalLink } from '../../core/approval/link';
import { SnsNotifier } from '../../handlers/aws/notifier-sns';
import { approvalIdFor, checkBaseUrl, createRequestApprovalHandler, toKeySet } from '../../handlers/request-approval';
import { approvalWorld, APPROVERS, BASE_URL, RecordingNotifier, StaticKeys, tokenOf } from './mocks/approval-world';
import { fakeSns } from './mocks/fake-services';
import { evidence, finding, T0 } from './mocks/fixtures';
import { generateKeySet } from '../../core/approval/keys';

const TOPICS = {
  warning: 'arn:aws:sns:us-east-1:123456789012:flowir-test-warning',
  critical: 'arn:aws:sns:us-east-1:123456789012:flowir-test-critical',
  approval: 'arn:aws:sns:us-east-1:123456789012:flowir-test-approval',
};

/** Every approval link in a text, as URLs. */
const linksIn = (text: string): URL[] => [...text.matchAll(/https?:\/\/\S+\/approval\?token=\S+/g)].map((m) => new URL(m[0]));

describe('request-approval handler', () => {
  it('stores the approval with its task token and sends each approver a notice of their own with their signed link only, without the token', async () => {
    const w = approvalWorld();
    const { ack, taskToken, links, approverNotices, summary, sent } = await w.request();

    expect(ack).toEqual({ approvalId: approvalIdFor(taskToken), approvers: 2, expiresAt: '2025-11-22T11:05:00Z', messageId: 'm-3', approverMessageIds: ['m-1', 'm-2'] });
    const stored = await w.store.get(ack.approvalId);
    expect(stored).toMatchObject({ taskToken, approvers: APPROVERS, expiresAt: '2025-11-22T11:05:00.000Z', createdAt: T0.toISOString(), finding: finding('203.0.113.50') });

    const keys = toKeySet(await w.keys.keys());
    expect(sent.map((n) => [n.topic, n.approver])).toEqual([['approval', APPROVERS[0]], ['approval', APPROVERS[1]], ['critical', undefined]]);
    expect([...links.keys()]).toEqual(APPROVERS);
    for (const [approver, notice] of approverNotices) {
      // The text holds exactly one link, this approver's, signed for them; the data the same one.
      const inText = linksIn(notice.text);
      expect(inText).toHaveLength(1);
      const url = inText[0] as URL;
      expect(notice.data.links).toEqual([{ approver, url: url.href }]);
      expect(url.origin + url.pathname).toBe(`${BASE_URL}/approval`);
      const verified = verifyApprovalLink(tokenOf(url), keys, T0.getTime() / 1000);
      expect(verified).toMatchObject({ ok: true, claims: { approvalId: ack.approvalId, incidentId: finding('203.0.113.50').id, approver, expiresAt: T0.getTime() / 1000 + 3600 } });
      expect(url.href).not.toContain(taskToken.slice(0, 20));
      expect(notice.subject).toBe('[flowir] APPROVAL NEEDED: Port scan from 203.0.113.50');
      expect(notice.text).toContain('Please approve or reject before 2025-11-22T11:05:00Z (1 hour)');
      expect(notice.text).toContain('Does not stop: SSH, RDP, SMB or any other non-HTTP traffic');
      expect(notice.text).toContain(`Your decision link, ${approver}`);
      for (const other of APPROVERS.filter((a) => a !== approver)) expect(notice.text).not.toContain((links.get(other) as URL).searchParams.get('token'));
      expect(JSON.stringify(notice)).not.toContain(taskToken);
    }
    // The critical topic hears of the request, and from whom, but gets no link.
    expect(summary?.subject).toBe('[flowir] Approval requested: Port scan from 203.0.113.50');
    expect(summary?.text).toContain(`asked ${APPROVERS.join(', ')} to approve or reject before 2025-11-22T11:05:00Z`);
    expect(summary?.text).toContain('Does not stop: SSH, RDP, SMB or any other non-HTTP traffic');
    expect(linksIn(summary?.text ?? '')).toEqual([]);
    expect(JSON.stringify(summary?.data)).not.toContain('token=');
    expect(summary?.data).toMatchObject({ kind: 'approval-requested', approvalId: ack.approvalId, approvers: APPROVERS });
    expect(JSON.stringify(summary)).not.toContain(taskToken);
  });

  it('over SNS: one Publish per approver on the approval topic, addressed by the approver attribute and holding that approver’s link only, and a link-free one on the critical topic', async () => {
    const sns = fakeSns(Object.values(TOPICS));
    const w = approvalWorld({ notifier: new SnsNotifier(sns.client, TOPICS) });
    const { ack } = await w.request();
    const keys = toKeySet(await w.keys.keys());

    expect(sns.mock).toHaveReceivedCommandTimes(PublishCommand, 3);
    const toApprovers = sns.published.filter((p) => p.topicArn === TOPICS.approval);
    expect(toApprovers).toHaveLength(2);
    for (const [i, approver] of APPROVERS.entries()) {
      const p = toApprovers[i];
      expect(p?.attributes).toEqual({ approver: { DataType: 'String', StringValue: approver } });
      // A plain String message: SNS sends message attributes only then, not with MessageStructure json.
      expect(p?.structure).toBeUndefined();
      const found = linksIn(p?.message ?? '');
      expect(found).toHaveLength(1);
      const verified = verifyApprovalLink(tokenOf(found[0] as URL), keys, T0.getTime() / 1000);
      expect(verified).toMatchObject({ ok: true, claims: { approvalId: ack.approvalId, approver } });
    }
    const critical = sns.published.filter((p) => p.topicArn === TOPICS.critical);
    expect(critical).toHaveLength(1);
    expect(critical[0]?.attributes).toBeUndefined();
    expect(critical[0]?.message).not.toContain('token=');
    expect(ack.messageId).toBe(critical[0]?.messageId);
    expect(ack.approverMessageIds).toEqual(toApprovers.map((p) => p.messageId));
  });

  it('sends each of many approvers only their own link', async () => {
    const many = Array.from({ length: 12 }, (_, i) => `approver-${i}@example.com`);
    const w = approvalWorld({ approvers: many });
    const { approverNotices, summary } = await w.request();
    const keys = toKeySet(await w.keys.keys());
    expect([...approverNotices.keys()]).toEqual(many);
    for (const [approver, notice] of approverNotices) {
      const named = linksIn(notice.text).map((u) => {
        const v = verifyApprovalLink(tokenOf(u), keys, T0.getTime() / 1000);
        return v.ok ? v.claims.approver : v.refusal.reason;
      });
      expect([approver, named]).toEqual([approver, [approver]]);
    }
    expect(summary?.text).not.toContain('token=');
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
    // One mailbox in two spellings would get two links, each deciding as another approver.
    expect(() => createRequestApprovalHandler({ ...deps, approvers: ['a@x.org', 'A@X.org'], baseUrl: BASE_URL })).toThrow(/twice/);
    expect(() => createRequestApprovalHandler({ ...deps, approvers: ['a@x.org'], baseUrl: 'http://approvals.example.com' })).toThrow(/must use https/);
    expect(checkBaseUrl('http://127.0.0.1:8080/')).toBe('http://127.0.0.1:8080');
    expect(checkBaseUrl('https://x.example.com/prod/')).toBe('https://x.example.com/prod');
    // Plain http off loopback only by the local runtime's explicit opt-in (flowir run --host), never by default.
    expect(() => checkBaseUrl('http://192.0.2.7:8080')).toThrow(/must use https/);
    expect(checkBaseUrl('http://192.0.2.7:8080', { allowPlainHttp: true })).toBe('http://192.0.2.7:8080');
    expect(() => checkBaseUrl('ftp://192.0.2.7', { allowPlainHttp: true })).toThrow(/must use https/);
  });
});
