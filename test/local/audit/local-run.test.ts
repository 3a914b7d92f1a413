/**
 * `flowir run` end to end (sample flow logs with planted incidents, the real handlers, the approval
 * endpoint answered over HTTP), then `flowir audit` over its state dir: the audit's account of each
 * incident must agree with what the run itself reported, and every evidence object must verify.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { DEFAULT_CONFIG } from '../../../core/detection/config';
import { DEFAULT_INCIDENT_CONFIG } from '../../../core/policy/incident-config';
import { runLocal } from '../../../local/runtime/runtime';
import { runSummary, type RunSummary } from '../../../local/runtime/summary';
import { writeSample } from '../../../local/sample/write';
import { readExecutionHistory, listExecutionHistories } from '../../../local/history';
import { ACCOUNT, fakeStepFunctions, REGION } from './aws-shape';
import { audit, auditJson, listJson } from './cli';

const sampleDir = mkdtempSync(path.join(tmpdir(), 'flowir-audit-sample-'));
const stateDirs: string[] = [];
afterAll(() => {
  for (const dir of [sampleDir, ...stateDirs]) rmSync(dir, { recursive: true, force: true });
});

async function run(decide: 'approve' | 'reject' | undefined, approvalTimeoutSeconds = 3600): Promise<{ stateDir: string; summary: RunSummary }> {
  const stateDir = mkdtempSync(path.join(tmpdir(), 'flowir-audit-run-'));
  stateDirs.push(stateDir);
  const r = await runLocal({
    inputs: [path.join(sampleDir, 's3')],
    config: DEFAULT_CONFIG,
    incident: { ...DEFAULT_INCIDENT_CONFIG, approvalTimeoutSeconds },
    windowSeconds: DEFAULT_CONFIG.windowSeconds,
    stateDir,
    ...(decide !== undefined ? { decide } : {}),
  });
  return { stateDir, summary: runSummary(r) };
}

beforeAll(async () => {
  await writeSample(sampleDir, { records: 2000 });
});

/** The audit of every incident the run started agrees with the run's own summary. */
async function expectAuditAgrees(stateDir: string, summary: RunSummary): Promise<void> {
  const { code, listing } = await listJson(['--state-dir', stateDir]);
  expect(code).toBe(0);
  const started = summary.executions.filter((e) => e.name !== null);
  expect(listing.executions.map((e) => e.name).sort()).toEqual(started.map((e) => e.name).sort());
  for (const e of started) {
    const { code: one, report } = await auditJson([e.name ?? '', '--state-dir', stateDir]);
    expect([e.name, one, report.evidence.verdict]).toEqual([e.name, 0, 'verified']);
    expect([e.name, report.story.outcome]).toEqual([e.name, e.outcome]);
    expect(report.story.finding).toEqual(e.finding);
    const d = report.story.approval?.decision ?? null;
    expect(d === null ? null : { decision: d.decision, approver: d.approver, at: d.at, comment: d.comment }).toEqual(e.decision);
    const c = report.story.containment;
    expect(c?.status === 'blocked' ? c.blocked : []).toEqual(e.containment?.blocked ?? []);
    if (c?.status === 'blocked') {
      expect(c.blockedAt).toBe(e.containment?.blockedAt);
      expect(report.story.release?.releasedAt).toBe(e.containment?.releasedAt);
      expect(report.story.expiry?.fastForward).not.toBeNull();
    }
    expect(report.story.ticket?.ticketId ?? null).toBe(e.containment?.ticket ?? null);
    // The rule's query as it ran, from the detection execution that opened the incident.
    expect(report.story.detection?.rule?.queryString).toMatch(/stats /);
    expect(report.story.timeline[0]?.kind).toBe('detection');
    expect(report.story.timeline[report.story.timeline.length - 1]?.title).toBe(`Outcome: ${e.outcome}`);
  }
}

describe('flowir audit after flowir run', () => {
  it('--decide approve: contained, guarded and notified incidents, as the run reported them', async () => {
    const { stateDir, summary } = await run('approve');
    expect(new Set(summary.executions.map((e) => e.outcome))).toEqual(new Set(['CONTAINED', 'GUARDED', 'NOTIFIED']));
    await expectAuditAgrees(stateDir, summary);

    // The same executions served by Step Functions: the detection execution is found among the
    // other state machines' executions started shortly before, and its query read from its history.
    const machineArn = (name: string): string => `arn:aws:states:${REGION}:${ACCOUNT}:stateMachine:${name}`;
    const docs = await Promise.all((await listExecutionHistories(stateDir)).map(async (h) => ({ doc: await readExecutionHistory(h.file), stateMachineArn: machineArn(h.stateMachineName) })));
    const sfn = fakeStepFunctions(docs, { pageSize: 25, listPageSize: 3 });
    try {
      const contained = summary.executions.find((e) => e.outcome === 'CONTAINED')?.name ?? '';
      const local = (await auditJson([contained, '--state-dir', stateDir])).report;
      const aws = (await auditJson([contained, '--aws', '--state-machine', machineArn('incident'), '--state-machine', machineArn('security'), '--state-machine', machineArn('anomaly')])).report;
      expect(aws.story.detection?.executionName).toBe(local.story.detection?.executionName);
      expect(aws.story.detection?.rule).toEqual(local.story.detection?.rule);
      expect(aws.story.outcome).toBe('CONTAINED');
    } finally {
      sfn.mock.restore();
    }

    // A detection execution is not an incident: the audit says which incidents it started.
    const detection = (await listExecutionHistories(stateDir)).find((h) => h.stateMachineName === 'security');
    const r = await audit([detection?.name ?? '', '--state-dir', stateDir]);
    expect(r.code).toBe(1);
    expect(r.stderr).toContain(`"${detection?.name}" is a detection execution (security); the audit tells the story of incident executions. It started: `);
    expect(r.stderr).toContain(summary.executions.find((e) => e.outcome === 'CONTAINED')?.name ?? '?');
  });

  it('--decide reject: rejected, as the run reported it, with the approver, comment and address', async () => {
    const { stateDir, summary } = await run('reject');
    expect(summary.executions.some((e) => e.outcome === 'REJECTED')).toBe(true);
    await expectAuditAgrees(stateDir, summary);
    const rejected = summary.executions.find((e) => e.outcome === 'REJECTED');
    const { report } = await auditJson([rejected?.name ?? '', '--state-dir', stateDir]);
    expect(report.story.approval?.decision).toEqual(expect.objectContaining({ decision: 'reject', approver: 'local-cli', comment: 'decided by flowir run --decide reject', sourceIp: '127.0.0.1' }));
  });

  it('nobody decides within the approval timeout: timed out, escalated, as the run reported it', async () => {
    const { stateDir, summary } = await run(undefined, 1);
    expect(summary.executions.some((e) => e.outcome === 'TIMED_OUT')).toBe(true);
    await expectAuditAgrees(stateDir, summary);
  });
});
