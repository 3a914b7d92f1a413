/**
 * Incident executions for the audit tests: the synthesized incident state machine, run by the local
 * engine, its history recorded by local/history's ExecutionRecorder into a state dir, as `flowir run`
 * does. Evidence and notices come from the real handlers (SnapshotEvidence over a planted port scan,
 * NotifyFinding into the outbox); the tasks that decide the path (policy, approval, block) are
 * scripted per scenario, so every path the workflow has can be played, failures included. The
 * scripted tasks keep the stores the audit cross-checks as the real ones do: the approval in the
 * approval store, the block in the block registry and the WAF IP set, until it is released.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { FlowLogFormat } from '../../../core/flowlog/format';
import { createEvidenceHandler } from '../../../handlers/evidence';
import { createNotifyHandler } from '../../../handlers/notify';
import { FileApprovalStore } from '../../../local/adapters/approval-store';
import { FileBlockRegistry } from '../../../local/adapters/block-registry';
import { SimulatedClock } from '../../../local/adapters/clock';
import { FileIpSetPort } from '../../../local/adapters/ip-set';
import { FileObjectStore } from '../../../local/adapters/object-store';
import { OutboxNotifier } from '../../../local/adapters/outbox';
import { StateDir } from '../../../local/adapters/state-dir';
import { ExecutionRecorder, writeExecutionHistory, type ExecutionHistoryDocument } from '../../../local/history';
import { LocalStepFunctions, type TaskFn } from '../../../local/runtime/engine';
import type { BlockOutput, Decision, FindingDoc, PolicyOutput } from '../../../workflows/contract';
import { INCIDENT_TASKS, INCIDENT_WAITS } from '../../../workflows/contract';
import { synthesizeStandaloneWorkflows } from '../../../workflows/standalone';

export const WINDOW = { start: 1763802000, end: 1763805600 };
export const SOURCE = '203.0.113.50';
export const APPROVER = 'alice@example.com';
export const APPROVER_IP = '198.51.100.7';
export const BLOCK_SECONDS = 86400;

/** The port-scan finding the detection query reported: 60 distinct rejected ports, threshold 50. */
export function portScanFinding(source = SOURCE, value = 60): FindingDoc {
  return { id: `PORT_SCAN:${source}:${WINDOW.end}`, detection: 'PORT_SCAN', severity: 'CRITICAL', source, port: null, value, threshold: 50, window: WINDOW };
}

/** v2 records: the source rejected on `ports` distinct ports inside the window, plus noise from another source. */
export function scanLines(ports: number, source = SOURCE): string[] {
  const lines: string[] = [];
  // Ten seconds apart, closer for a scan of many ports so that every record stays in the window.
  const step = Math.min(10, Math.floor((WINDOW.end - WINDOW.start - 120) / Math.max(ports, 1)));
  for (let i = 0; i < ports; i++) {
    const start = WINDOW.start + 60 + i * step;
    lines.push(`2 123456789012 eni-0abc ${source} 10.0.1.20 40000 ${1000 + i} 6 1 40 ${start} ${start + 5} REJECT OK`);
  }
  return lines;
}

export type Path = 'contained' | 'rejected' | 'timed-out' | 'notified' | 'guarded' | 'unconfirmed' | 'failed';

export interface PlayedScenario {
  readonly path: Path;
  readonly stateDir: string;
  readonly executionName: string;
  readonly finding: FindingDoc;
  readonly document: ExecutionHistoryDocument;
  readonly historyFile: string;
  /** The task states called, in order. */
  readonly calls: readonly string[];
  readonly decision: Decision | null;
  readonly block: BlockOutput | null;
  readonly ticketId: string | null;
}

const workflows = synthesizeStandaloneWorkflows({ approvalTimeoutSeconds: 1 });

function policyFor(p: Path): PolicyOutput {
  const guarded = p === 'guarded';
  return {
    policy: p === 'notified' ? 'notify' : 'approve',
    guard: { allowed: !guarded, guardrail: guarded ? 'allowlist' : null, reason: guarded ? 'the source is in the allowlist 203.0.113.0/24' : null },
    approvalTimeoutSeconds: 1,
    blockSeconds: BLOCK_SECONDS,
  };
}

const made: string[] = [];
// Imported at the top of a test file, so this is a top-level hook of that file: its state dirs go with it.
afterAll(() => {
  for (const dir of made.splice(0)) rmSync(dir, { recursive: true, force: true });
});

export function tempStateDir(): string {
  const dir = mkdtempSync(path.join(tmpdir(), 'flowir-audit-'));
  made.push(dir);
  return dir;
}

/** Play one path of the incident workflow into `stateDir` (a fresh temp dir by default), for a port scan from `source`. */
export async function playScenario(p: Path, options: { readonly stateDir?: string; readonly source?: string; /** BlockSource fails this many times with IpSetBusyError (which the workflow retries) before it succeeds (the workflow retries it). */ readonly staleLocks?: number; /** SnapshotEvidence fails (the execution then fails with no evidence taken). */ readonly evidenceFails?: boolean; /** Distinct ports scanned, the finding's value too (60 by default; 40 for unconfirmed). */ readonly ports?: number } = {}): Promise<PlayedScenario> {
  let staleLocks = options.staleLocks ?? 0;
  const dir = new StateDir(options.stateDir ?? tempStateDir());
  const source = options.source ?? SOURCE;
  const finding = portScanFinding(source, options.ports ?? 60);
  const lines = scanLines(options.ports ?? (p === 'unconfirmed' ? 40 : 60), source);
  const calls: string[] = [];
  let decision: Decision | null = null;
  let block: BlockOutput | null = null;
  let ticketId: string | null = null;
  const recorders = new Map<string, { recorder: ExecutionRecorder; clock: SimulatedClock }>();
  const approvals = new FileApprovalStore(dir.approvals);
  const ipSets = new FileIpSetPort(dir.waf);
  const IP_SET = { name: 'flowir-blocklist-v4', id: 'local-v4', scope: 'REGIONAL', version: 4 } as const;
  const documents = new Map<string, { document: ExecutionHistoryDocument; file: string }>();

  const engine = new LocalStepFunctions({
    tasksFor: (ctx) => {
      const clock = new SimulatedClock();
      const recorder = new ExecutionRecorder({ definition: workflows.incident, stateMachineName: ctx.machine, executionName: ctx.name, executionArn: ctx.arn, clock, region: 'us-east-1', accountId: '123456789012' });
      recorders.set(ctx.name, { recorder, clock });
      const notifier = new OutboxNotifier(dir.outbox, clock);
      const notify = createNotifyHandler({ notifier });
      const evidence = createEvidenceHandler({
        records: { records: async () => ({ format: FlowLogFormat.V2.fields.join(' '), lines, query: `test: srcaddr = ${source}` }) },
        inventory: { interfaces: async () => [] },
        store: new FileObjectStore(dir.evidence),
        clock,
      });
      const tasks: Record<string, TaskFn> = {
        [INCIDENT_TASKS.evidence]: async (input) => {
          if (options.evidenceFails) {
            const e = new Error('AccessDenied: logs:StartQuery on /aws/vpc/flowlogs/dev');
            e.name = 'LogsAccessDenied';
            throw e;
          }
          return evidence(input as never);
        },
        [INCIDENT_TASKS.notify]: (input) => notify(input as never),
        [INCIDENT_TASKS.escalate]: (input) => notify(input as never),
        [INCIDENT_TASKS.notifyFailure]: (input) => notify(input as never),
        [INCIDENT_TASKS.policy]: async () => policyFor(p),
        [INCIDENT_TASKS.approval]: async (input) => {
          const approvalId = `a-${ctx.name.replace(/[^A-Za-z0-9_-]/g, '')}`;
          await approvals.save({ approvalId, taskToken: String((input as { taskToken?: unknown }).taskToken ?? 'token'), executionName: ctx.name, finding, view: {}, approvers: [APPROVER], expiresAt: new Date(clock.now().getTime() + 1000).toISOString(), createdAt: clock.now().toISOString() });
          await notifier.publish({
            topic: 'critical',
            subject: `[flowir] approval needed: block ${source}`,
            text: 'links inside',
            data: { kind: 'approval', executionName: ctx.name, expiresAt: new Date(clock.now().getTime() + 1000).toISOString(), links: [{ approver: APPROVER, url: 'http://127.0.0.1:1/approve?token=secret-token' }] },
          });
          if (p === 'timed-out') return new Promise(() => undefined);
          decision = { decision: p === 'rejected' ? 'reject' : 'approve', approver: APPROVER, at: clock.now().toISOString().replace(/\.\d{3}Z$/, 'Z'), comment: p === 'rejected' ? 'known scanner, <not> a threat' : 'block it', sourceIp: APPROVER_IP };
          await approvals.decide(approvalId, decision);
          return decision;
        },
        [INCIDENT_TASKS.block]: async () => {
          if (staleLocks > 0) {
            staleLocks--;
            const e = new Error('the IP set stayed busy (lock token changed on every try)');
            e.name = 'IpSetBusyError';
            throw e;
          }
          if (p === 'failed') {
            const e = new Error('WAF is unavailable in us-east-1');
            e.name = 'WAFUnavailableException';
            throw e;
          }
          const now = clock.now();
          const blockedAt = now.toISOString();
          const expiresAt = new Date(now.getTime() + BLOCK_SECONDS * 1000).toISOString();
          block = { status: 'blocked', blocked: [`${source}/32`], ipSet: { name: IP_SET.name, id: IP_SET.id, scope: IP_SET.scope }, blockedAt, expiresAt, durationSeconds: BLOCK_SECONDS, contained: true, uncontainedReason: null, networkAclEntries: [], networkAclCovered: [], networkAclRefusals: [] };
          // As BlockSource does: the record first, then the address into the IP set.
          await new FileBlockRegistry(dir.blocks, clock).put({ cidr: `${source}/32`, ipSet: IP_SET, executionName: ctx.name, findingId: finding.id, blockedAt, expiresAt });
          const set = await ipSets.get(IP_SET);
          await ipSets.update(IP_SET, [...set.addresses, `${source}/32`], set.lockToken);
          return block;
        },
        [INCIDENT_TASKS.ticket]: async () => {
          ticketId = `OI-${p.replace('-', '')}`;
          return { ticketId, url: null };
        },
        [INCIDENT_TASKS.release]: async () => {
          if (block?.status === 'blocked') {
            clock.advanceTo(new Date(block.expiresAt), 'block expiry (Wait fast-forwarded on the simulated clock)', INCIDENT_WAITS.expiry);
            // As ReleaseBlock does: the address out of the IP set, then the record marked removed.
            const released = block.blocked;
            const set = await ipSets.get(IP_SET);
            await ipSets.update(IP_SET, set.addresses.filter((a) => !released.includes(a)), set.lockToken);
            for (const cidr of released) await new FileBlockRegistry(dir.blocks, clock).remove(cidr, ctx.name);
          }
          return { released: block?.status === 'blocked' ? block.blocked : [], releasedAt: clock.now().toISOString() };
        },
        [INCIDENT_TASKS.releaseAfterFailure]: async () => ({ released: [], releasedAt: clock.now().toISOString() }),
      };
      const counted = Object.fromEntries(
        Object.entries(tasks).map(([name, fn]) => [
          name,
          (input: unknown) => {
            calls.push(name);
            return fn(input);
          },
        ]),
      );
      return recorder.instrument(counted as never) as unknown as Record<string, TaskFn>;
    },
    waitOverrides: { [INCIDENT_WAITS.expiry]: 0 },
    retryIntervalOverrides: Object.fromEntries(Object.values(INCIDENT_TASKS).map((n) => [n, 0])),
    onEvent: (execution, ev) => recorders.get(execution.name)?.recorder.record(ev),
    onEnd: async (execution) => {
      const r = recorders.get(execution.name);
      if (r === undefined) return;
      const document = r.recorder.document();
      documents.set(execution.name, { document, file: await writeExecutionHistory(dir.root, document) });
    },
  });
  engine.register('incident', workflows.incident);
  const name = `PORT_SCAN-${source.replace(/[.:]/g, '-')}-${WINDOW.end}`;
  engine.start('incident', name, { finding });
  await engine.idle();
  const written = documents.get(name);
  if (written === undefined) throw new Error(`scenario ${p}: no history was written`);
  return { path: p, stateDir: dir.root, executionName: name, finding, document: written.document, historyFile: written.file, calls, decision, block, ticketId };
}
