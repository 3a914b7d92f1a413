/**
 * Every path of the incident workflow, played through the synthesized state machine and recorded
 * as `flowir run` records it, then told back by `flowir audit`: from the local state dir, from
 * Step Functions (paginated GetExecutionHistory of the same execution, as the deployed machine
 * writes it), and from the history exported to the evidence bucket.
 */
import { readdirSync, readFileSync } from 'node:fs';
import * as path from 'node:path';
import type { IncidentAudit } from '../../../local/audit/audit';
import { fakeS3Bucket } from '../../handlers/aws/fake-s3';
import { awsEvents, exportedDocument, fakeStepFunctions, INCIDENT_MACHINE_ARN } from './aws-shape';
import { auditJson } from './cli';
import { APPROVER, APPROVER_IP, playScenario, type Path, type PlayedScenario } from './scenario';

const EXPECTED_KINDS: Record<Path, string[]> = {
  contained: ['detection', 'finding', 'evidence', 'notification', 'policy', 'approval', 'approval', 'containment', 'ticket', 'expiry', 'expiry', 'release', 'outcome'],
  rejected: ['detection', 'finding', 'evidence', 'notification', 'policy', 'approval', 'approval', 'outcome'],
  'timed-out': ['detection', 'finding', 'evidence', 'notification', 'policy', 'approval', 'approval', 'notification', 'ticket', 'outcome'],
  notified: ['detection', 'finding', 'evidence', 'notification', 'policy', 'containment', 'ticket', 'outcome'],
  guarded: ['detection', 'finding', 'evidence', 'notification', 'policy', 'containment', 'ticket', 'outcome'],
  unconfirmed: ['detection', 'finding', 'evidence', 'evidence', 'outcome'],
  failed: ['detection', 'finding', 'evidence', 'notification', 'policy', 'approval', 'approval', 'failure', 'release', 'notification', 'failure', 'outcome'],
};

const OUTCOME: Record<Path, string> = { contained: 'CONTAINED', rejected: 'REJECTED', 'timed-out': 'TIMED_OUT', notified: 'NOTIFIED', guarded: 'GUARDED', unconfirmed: 'UNCONFIRMED', failed: 'FAILED' };
const PATHS = Object.keys(OUTCOME) as Path[];

const played = new Map<Path, PlayedScenario>();
beforeAll(async () => {
  for (const p of PATHS) played.set(p, await playScenario(p));
});

function scenario(p: Path): PlayedScenario {
  const s = played.get(p);
  if (s === undefined) throw new Error(`scenario ${p} was not played`);
  return s;
}

const titles = (r: IncidentAudit, kind: string): string[] => r.story.timeline.filter((e) => e.kind === kind).map((e) => e.title);
const fact = (r: IncidentAudit, kind: string, label: string): string[] => r.story.timeline.filter((e) => e.kind === kind).flatMap((e) => e.facts.filter((f) => f.label === label).map((f) => f.value));

/** What happened, as the scenario saw it, checked against the story the audit tells. */
function expectStoryOf(s: PlayedScenario, r: IncidentAudit): void {
  expect(r.story.execution.name).toBe(s.executionName);
  expect(r.story.outcome).toBe(OUTCOME[s.path]);
  expect(r.story.timeline.map((e) => e.kind)).toEqual(EXPECTED_KINDS[s.path]);
  expect(r.story.finding).toEqual(s.finding);
  // The timeline is in the order things happened.
  const dated = r.story.timeline.map((e) => e.at).filter((t): t is string => t !== null).map((t) => Date.parse(t));
  expect(dated).toEqual([...dated].sort((a, b) => a - b));

  if (s.decision !== null && s.path !== 'timed-out') {
    expect(r.story.approval?.decision).toEqual(s.decision);
    const verb = s.decision.decision === 'approve' ? 'Approved' : 'Rejected';
    expect(titles(r, 'approval')).toContain(`${verb} by ${APPROVER}`);
    expect(fact(r, 'approval', 'from')).toEqual([APPROVER_IP]);
    expect(fact(r, 'approval', 'comment')).toEqual([s.decision.comment]);
    expect(fact(r, 'approval', 'decided at')).toEqual([s.decision.at]);
  }
  if (s.block?.status === 'blocked') {
    expect(r.story.containment).toEqual(s.block);
    expect(titles(r, 'containment')).toEqual([`Blocked ${s.block.blocked.join(', ')} in WAF IP set flowir-blocklist-v4`]);
    expect(fact(r, 'containment', 'expires at')).toEqual([s.block.expiresAt]);
    expect(r.story.release?.released).toEqual(s.block.blocked);
  } else {
    expect(r.story.containment).toBeNull();
  }
  expect(r.story.ticket?.ticketId ?? null).toBe(s.ticketId);
  if (s.ticketId !== null) expect(titles(r, 'ticket')).toEqual([`Ticket ${s.ticketId} opened (security-group review)`]);
}

describe('flowir audit tells each workflow path from a local run', () => {
  it.each(PATHS)('%s', async (p) => {
    const s = scenario(p);
    const { code, report } = await auditJson([s.executionName, '--state-dir', s.stateDir]);
    expect(code).toBe(0);
    expectStoryOf(s, report);
    expect(report.story.execution.origin).toBe('local');
    expect(report.evidence.verdict).toBe('verified');
    expect(report.evidence.objects.map((o) => [o.key.split('/').pop(), o.status])).toEqual([
      ['query.json', 'verified'],
      ['records.log.gz', 'verified'],
      ['recount.json', 'verified'],
      ['security-groups.json', 'verified'],
      ['summary.json', 'verified'],
    ]);
    expect(report.evidence.recount?.value).toBe(p === 'unconfirmed' ? '40' : '60');
  });

  it('contained: the expiry wait is said to be fast-forwarded on the simulated clock, by the block duration', async () => {
    const { report } = await auditJson([scenario('contained').executionName, '--state-dir', scenario('contained').stateDir]);
    const expiry = report.story.timeline.filter((e) => e.kind === 'expiry');
    expect(expiry[1]?.title).toBe('Block expired — the wait was fast-forwarded on the local simulated clock (24 h)');
    expect(report.story.expiry?.fastForward?.seconds).toBeCloseTo(86400, 0);
    // On the simulated clock the release is a day after the block.
    expect(Date.parse(report.story.release?.releasedAt ?? '') - Date.parse(report.story.containment?.status === 'blocked' ? report.story.containment.blockedAt : '')).toBeGreaterThanOrEqual(86399_000);
  });

  it('contained: approvers and notice subjects come from the outbox, never the approval link itself', async () => {
    const r = await auditJson([scenario('contained').executionName, '--state-dir', scenario('contained').stateDir]);
    expect(fact(r.report, 'approval', 'approvers')).toEqual([APPROVER]);
    expect(fact(r.report, 'notification', 'subject')).toEqual(['[flowir] CRITICAL Port scan from 203.0.113.50']);
    expect(JSON.stringify(r.report)).not.toContain('secret-token');
  });

  it('timed out: no decision, the timeout and the escalation are told', async () => {
    const { report } = await auditJson([scenario('timed-out').executionName, '--state-dir', scenario('timed-out').stateDir]);
    expect(report.story.approval?.decision).toBeNull();
    expect(report.story.approval?.timedOutAt).not.toBeNull();
    expect(titles(report, 'approval')).toEqual(['Approval requested', 'No decision within 1 s: timed out']);
    expect(titles(report, 'notification')).toContain('Escalation: nobody decided in time sent to the critical topic');
  });

  it('guarded: the guardrail and its reason are told, and nothing was put to an approver', async () => {
    const { report } = await auditJson([scenario('guarded').executionName, '--state-dir', scenario('guarded').stateDir]);
    expect(titles(report, 'containment')).toEqual(['Not blocked: guardrail allowlist (never put to an approver)']);
    expect(fact(report, 'containment', 'reason')).toEqual(['the source is in the allowlist 203.0.113.0/24']);
    expect(report.story.approval).toBeNull();
  });

  it('failed: the failing step, its error and cause, the release after it and the failure notice', async () => {
    const { report } = await auditJson([scenario('failed').executionName, '--state-dir', scenario('failed').stateDir]);
    expect(report.story.execution.status).toBe('FAILED');
    expect(report.story.failures).toEqual([expect.objectContaining({ state: 'BlockSource', error: 'WAFUnavailableException', cause: 'WAF is unavailable in us-east-1', retried: false })]);
    expect(titles(report, 'failure')).toEqual(['BlockSource failed: WAFUnavailableException', 'Execution failed: IncidentFailed']);
    expect(fact(report, 'failure', 'then')).toEqual([expect.stringMatching(/^caught( \(States\.ALL\))? → RecordFailure$/)]);
    expect(titles(report, 'notification')).toContain('Failure notice sent to the critical topic');
  });

  it('unconfirmed: the exact recount under the threshold closes it, and the recount is re-done from the raw records', async () => {
    const { report } = await auditJson([scenario('unconfirmed').executionName, '--state-dir', scenario('unconfirmed').stateDir]);
    expect(report.story.evidence?.confirmed).toBe(false);
    expect(report.evidence.recount).toEqual(expect.objectContaining({ value: '40', recorded: '40', stored: '40', reported: '60', threshold: 50, confirmed: false }));
  });

  it('retried failures are told with their cause, and the block that followed', async () => {
    const s = await playScenario('contained', { staleLocks: 2 });
    const { code, report } = await auditJson([s.executionName, '--state-dir', s.stateDir]);
    expect(code).toBe(0);
    expect(report.story.outcome).toBe('CONTAINED');
    expect(report.story.failures.map((f) => [f.state, f.error, f.cause, f.retried])).toEqual([
      ['BlockSource', 'IpSetBusyError', 'the IP set stayed busy (lock token changed on every try)', true],
      ['BlockSource', 'IpSetBusyError', 'the IP set stayed busy (lock token changed on every try)', true],
    ]);
    expect(report.story.timeline.filter((e) => e.kind === 'failure' || e.kind === 'containment').map((e) => [e.title, e.tone])).toEqual([
      ['BlockSource failed: IpSetBusyError', 'warn'],
      ['BlockSource failed: IpSetBusyError', 'warn'],
      ['Blocked 203.0.113.50/32 in WAF IP set flowir-blocklist-v4', 'good'],
    ]);
    expect(fact(report, 'failure', 'then')).toEqual(['retried', 'retried']);
  });

  it('a failure before any evidence was taken: told, and the evidence is "none", not a failed check', async () => {
    const s = await playScenario('failed', { evidenceFails: true });
    const { code, report } = await auditJson([s.executionName, '--state-dir', s.stateDir]);
    expect(code).toBe(0);
    expect(report.story.outcome).toBe('FAILED');
    expect(report.story.timeline.map((e) => e.kind)).toEqual(['detection', 'finding', 'failure', 'release', 'notification', 'failure', 'outcome']);
    expect(report.story.failures.map((f) => [f.state, f.error, f.cause])).toEqual([['SnapshotEvidence', 'LogsAccessDenied', 'AccessDenied: logs:StartQuery on /aws/vpc/flowlogs/dev']]);
    expect(report.evidence.verdict).toBe('none');
    expect(report.evidence.note).toBe('the execution took no evidence (it ended before SnapshotEvidence finished)');
  });

  it('finds an execution by its finding id too', async () => {
    const s = scenario('rejected');
    const { code, report } = await auditJson([s.finding.id, '--state-dir', s.stateDir]);
    expect(code).toBe(0);
    expect(report.story.execution.name).toBe(s.executionName);
  });
});

/** The incident's evidence objects, as they would sit in the evidence bucket. */
function putEvidence(objects: Map<string, { body: Buffer; contentType: string | undefined }>, s: PlayedScenario): void {
  const dir = path.join(s.stateDir, 'evidence', 'incidents', s.executionName);
  for (const f of readdirSync(dir)) objects.set(`incidents/${s.executionName}/${f}`, { body: readFileSync(path.join(dir, f)), contentType: undefined });
}

describe('flowir audit --aws tells the same story from Step Functions histories', () => {
  it.each(PATHS)('%s (history in pages of 7 events)', async (p) => {
    const s = scenario(p);
    const sfn = fakeStepFunctions([{ doc: s.document, stateMachineArn: INCIDENT_MACHINE_ARN }], { pageSize: 7 });
    const s3 = fakeS3Bucket('flowir-evidence');
    putEvidence(s3.objects, s);
    try {
      const { code, report } = await auditJson([s.executionName, '--aws', '--state-machine', INCIDENT_MACHINE_ARN, '--evidence-bucket', 'flowir-evidence']);
      expect(code).toBe(0);
      expect(report.story.execution.origin).toBe('step-functions');
      expectStoryOf(s, report);
      // Every page was asked for, with the state data, one after the other.
      const pages = sfn.historyCalls.filter((c) => c.executionArn.endsWith(`:${s.executionName}`));
      expect(pages.length).toBe(Math.ceil(awsEvents(s.document).length / 7));
      expect(pages.length).toBeGreaterThan(2);
      // As the deployed machine writes it: Lambda events for the Lambda-ARN tasks, TaskSubmitted for the token task.
      const types = new Set(awsEvents(s.document).map((e) => e.type));
      expect([types.has('LambdaFunctionScheduled'), types.has('TaskScheduled')]).toEqual([true, s.calls.includes('RequestApproval')]);
      expect(types.has('TaskSubmitted')).toBe(s.calls.includes('RequestApproval'));
      expect(pages.every((c) => c.includeExecutionData === true)).toBe(true);
      expect(pages[0]?.nextToken).toBeUndefined();
      expect(report.evidence.verdict).toBe('verified');
      expect(report.evidence.store).toBe('s3://flowir-evidence');

      // Same story as the local history, but for what only a local run knows (outbox copies, the simulated clock).
      const local = (await auditJson([s.executionName, '--state-dir', s.stateDir])).report;
      const comparable = (r: IncidentAudit) => r.story.timeline.map((e) => [e.at, e.kind, e.kind === 'expiry' ? '' : e.title]);
      expect(comparable(report)).toEqual(comparable(local));
    } finally {
      sfn.mock.restore();
      s3.mock.restore();
    }
  });

  it('an execution Step Functions no longer has (older than 90 days) is read from the exported history', async () => {
    const s = scenario('contained');
    const sfn = fakeStepFunctions([]);
    const s3 = fakeS3Bucket('flowir-evidence');
    putEvidence(s3.objects, s);
    s3.objects.set(`executions/flowir-dev-incident/${s.executionName}.json`, { body: Buffer.from(exportedDocument(s.document, INCIDENT_MACHINE_ARN)), contentType: 'application/json' });
    try {
      const viaAws = await auditJson([s.executionName, '--aws', '--state-machine', INCIDENT_MACHINE_ARN, '--evidence-bucket', 'flowir-evidence']);
      expect(viaAws.code).toBe(0);
      expect(viaAws.report.story.execution.origin).toBe('exported');
      expectStoryOf(s, viaAws.report);
      const direct = await auditJson([s.executionName, '--evidence-bucket', 'flowir-evidence']);
      expect(direct.code).toBe(0);
      expect(direct.report.story.execution.location).toBe(`s3://flowir-evidence/executions/flowir-dev-incident/${s.executionName}.json`);
      expectStoryOf(s, direct.report);
      expect(direct.report.evidence.verdict).toBe('verified');
    } finally {
      sfn.mock.restore();
      s3.mock.restore();
    }
  });

  it('without --evidence-bucket the story is told and the evidence is said to be unchecked', async () => {
    const s = scenario('rejected');
    const sfn = fakeStepFunctions([{ doc: s.document, stateMachineArn: INCIDENT_MACHINE_ARN }]);
    try {
      const { code, report } = await auditJson([s.executionName, '--aws', '--state-machine', INCIDENT_MACHINE_ARN]);
      expect(code).toBe(0);
      expectStoryOf(s, report);
      expect(report.evidence.verdict).toBe('unchecked');
    } finally {
      sfn.mock.restore();
    }
  });
});
