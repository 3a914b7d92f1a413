/**
 * `flowir run` with two approvers: the outbox (the local SNS) holds, per incident asking for a
 * decision, one approval-topic notice per approver, addressed by its `approver` attribute and
 * carrying that approver's link only, and one link-free summary on the critical topic, as the
 * deployed topics deliver them; `--decide` still answers through the approval endpoint, once.
 */
import { mkdtemp, readdir, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { DEFAULT_CONFIG } from '../../../core/detection/config';
import { DEFAULT_INCIDENT_CONFIG } from '../../../core/policy/incident-config';
import { verifyApprovalLink } from '../../../core/approval/link';
import type { OutboxMessage } from '../../../local/adapters/outbox';
import { FileSigningKeyProvider } from '../../../local/adapters/signing-keys';
import { StateDir } from '../../../local/adapters/state-dir';
import { toKeySet } from '../../../handlers/request-approval';
import { runLocal, type ApprovalLink } from '../../../local/runtime/runtime';
import { runSummary } from '../../../local/runtime/summary';
import { auditOne } from '../../../local/audit/audit';
import { LocalAuditSource } from '../../../local/audit/local-source';
import { writeSample } from '../../../local/sample/write';

const APPROVERS = ['alice@example.com', 'bob@example.com'];
let dir: string;
let sample: string;
beforeAll(async () => {
  dir = await mkdtemp(path.join(tmpdir(), 'flowir-approval-notices-'));
  sample = (await writeSample(path.join(dir, 'sample'), { records: 3000, seed: 5 })).s3Root;
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

const linksIn = (text: string): URL[] => [...text.matchAll(/https?:\/\/\S+\/approval\?token=\S+/g)].map((m) => new URL(m[0]));

describe('flowir run: approval notices', () => {
  it('writes one notice per approver with their own link only, and a link-free summary to the critical topic', async () => {
    const stateDir = path.join(dir, 'state');
    const printed: ApprovalLink[] = [];
    const result = await runLocal({
      inputs: [sample],
      config: DEFAULT_CONFIG,
      incident: DEFAULT_INCIDENT_CONFIG,
      windowSeconds: 3600,
      until: 1763805600,
      decide: 'approve',
      approvers: APPROVERS,
      stateDir,
      onApprovalLink: (l) => printed.push(l),
    });
    const summary = runSummary(result);
    const asked = summary.executions.filter((e) => e.decision !== null);
    expect(asked).toHaveLength(3);
    // One decision per incident, by one of its approvers, through the endpoint.
    for (const e of asked) expect([e.outcome, APPROVERS.includes(e.decision?.approver ?? '')]).toEqual(['CONTAINED', true]);

    const outboxDir = path.join(stateDir, 'outbox');
    const files = (await readdir(outboxDir)).sort();
    const notices = await Promise.all(files.map(async (f) => ({ file: f, message: JSON.parse(await readFile(path.join(outboxDir, f), 'utf8')) as OutboxMessage })));
    const keys = toKeySet(await new FileSigningKeyProvider(new StateDir(stateDir).keys).keys());
    const now = Math.floor(Date.now() / 1000);

    const approvalNotices = notices.filter((n) => n.message.topic === 'approval');
    expect(approvalNotices).toHaveLength(asked.length * APPROVERS.length);
    for (const { file, message } of approvalNotices) {
      expect(file).toMatch(/-approval\.json$/);
      const approver = message.topic === 'approval' ? message.approver : '';
      expect(message.messageAttributes).toEqual({ approver: { DataType: 'String', StringValue: approver } });
      // The link in the text and in the data: this approver's, and nobody else's.
      const inData = (message.data.links as Array<{ approver: string; url: string }>).map((l) => new URL(l.url));
      const named = [...linksIn(message.text), ...inData].map((u) => {
        const v = verifyApprovalLink(u.searchParams.get('token'), keys, now);
        return v.ok ? v.claims.approver : v.refusal.reason;
      });
      expect([file, named]).toEqual([file, [approver, approver]]);
    }
    // Per incident: each approver exactly once.
    const byExecution = new Map<string, string[]>();
    for (const { message } of approvalNotices) {
      const name = String(message.data.executionName);
      byExecution.set(name, [...(byExecution.get(name) ?? []), message.topic === 'approval' ? message.approver : '?'].sort());
    }
    expect([...byExecution.values()]).toEqual(asked.map(() => APPROVERS));

    // Everything on the alert topics is free of links; each incident asked has its summary there.
    for (const { file, message } of notices.filter((n) => n.message.topic !== 'approval')) expect([file, linksIn(message.text), JSON.stringify(message.data).includes('token=')]).toEqual([file, [], false]);
    const summaries = notices.filter((n) => n.message.data.kind === 'approval-requested');
    expect(summaries.map((n) => [n.message.topic, n.message.data.approvers])).toEqual(asked.map(() => ['critical', APPROVERS]));

    // What the run printed (and answered) is what the approvers were sent.
    expect(printed.map((l) => l.approver).sort()).toEqual(asked.flatMap(() => APPROVERS).sort());
    const sent = new Set(approvalNotices.flatMap((n) => linksIn(n.message.text).map((u) => u.href)));
    for (const l of printed) expect(sent.has(new URL(l.url).href)).toBe(true);

    // The audit names every approver asked (each had a notice of their own), and one decision.
    for (const e of asked) {
      const audit = await auditOne(new LocalAuditSource(stateDir), e.name ?? '');
      expect([e.name, audit.story.approval?.approvers]).toEqual([e.name, APPROVERS]);
      expect(audit.story.timeline.filter((t) => /^(Approved|Rejected) by /.test(t.title))).toHaveLength(1);
    }
  }, 60_000);
});
