import aslValidator from 'asl-validator';
import { INCIDENT_TASKS } from '../../workflows/contract';
import { synthesizeStandaloneWorkflows } from '../../workflows/standalone';
import { LocalStepFunctions, type LocalEvent, type TaskFn, type ExecutionRecord } from '../../local/runtime/engine';

const workflows = synthesizeStandaloneWorkflows({ approvalTimeoutSeconds: 1 });

const finding = { id: 'PORT_SCAN:203.0.113.50:1763805600', detection: 'PORT_SCAN', severity: 'CRITICAL', source: '203.0.113.50', port: null, value: 171, threshold: 50, window: { start: 1763802000, end: 1763805600 } };
const evidence = (confirmed: boolean) => ({ manifestKey: 'incidents/x/manifest.json', recount: confirmed ? 171 : 12, confirmed, summary: { interfaces: ['eni-0a1b2c3d4e5f60718'] } });
const policy = (p: 'notify' | 'approve' | 'auto', allowed = true) => ({ policy: p, guard: { allowed, guardrail: allowed ? null : 'private-range', reason: allowed ? null : 'private' }, approvalTimeoutSeconds: 1, blockSeconds: 86400 });
const blocked = { status: 'blocked', blocked: ['203.0.113.50/32'], ipSet: { name: 'v4', id: 'id', scope: 'REGIONAL' }, blockedAt: '2025-11-22T10:00:00Z', expiresAt: '2025-11-23T10:00:00Z', durationSeconds: 86400, contained: true, uncontainedReason: null, networkAclEntries: [{ networkAclId: 'acl-0a', ruleNumber: 1, cidr: '203.0.113.50/32' }], networkAclCovered: [], networkAclRefusals: [] };
const decision = (d: 'approve' | 'reject') => ({ decision: d, approver: 'alice@example.com', at: '2025-11-22T10:00:07Z', comment: 'ok', sourceIp: '127.0.0.1' });

type Script = Partial<Record<string, TaskFn>>;

async function run(script: Script) {
  const events: LocalEvent[] = [];
  const calls: string[] = [];
  const base: Record<string, TaskFn> = {
    [INCIDENT_TASKS.evidence]: async () => evidence(true),
    [INCIDENT_TASKS.notify]: async () => ({ topic: 'critical', messageId: 'm1' }),
    [INCIDENT_TASKS.policy]: async () => policy('approve'),
    [INCIDENT_TASKS.approval]: async () => decision('approve'),
    [INCIDENT_TASKS.escalate]: async () => ({ topic: 'critical', messageId: 'm2' }),
    [INCIDENT_TASKS.block]: async () => blocked,
    [INCIDENT_TASKS.ticket]: async () => ({ ticketId: 'OI-1', url: null }),
    [INCIDENT_TASKS.release]: async () => ({ released: ['203.0.113.50/32'], releasedAt: '2025-11-23T10:00:00Z' }),
    [INCIDENT_TASKS.releaseAfterFailure]: async () => ({ released: [], releasedAt: '2025-11-22T10:00:09Z' }),
    [INCIDENT_TASKS.notifyFailure]: async () => ({ topic: 'critical', messageId: 'm3' }),
  };
  const engine = new LocalStepFunctions({
    tasksFor: () =>
      Object.fromEntries(
        Object.entries({ ...base, ...script }).map(([name, fn]) => [
          name,
          async (input: unknown) => {
            calls.push(name);
            return (fn as TaskFn)(input);
          },
        ]),
      ),
    waitOverrides: { WaitForExpiry: 0 },
    retryIntervalOverrides: { BlockSource: 0 },
    onEvent: (_e, ev) => events.push(ev),
  });
  engine.register('incident', workflows.incident);
  const execution: ExecutionRecord = engine.start('incident', 'PORT_SCAN-203-0-113-50-1763805600', { finding });
  await engine.idle();
  const entered = events.filter((e) => e.type === 'StateEntered').map((e) => (e as { state: { name: string } }).state.name);
  return { execution, calls, entered, events };
}

describe('incident workflow (synthesized from CDK, run by aws-local-stepfunctions)', () => {
  it('is valid ASL', () => {
    const r = aslValidator(workflows.incident, { checkPaths: true, checkArn: true });
    expect(r.errors).toEqual([]);
    expect(r.isValid).toBe(true);
  });

  it('every Task has an explicit timeout, a retry and a catch', () => {
    for (const [name, raw] of Object.entries(workflows.incident.States)) {
      const s = raw as { Type: string; TimeoutSeconds?: number; TimeoutSecondsPath?: string; Retry?: unknown[]; Catch?: unknown[] };
      if (s.Type !== 'Task') continue;
      expect([name, s.TimeoutSeconds ?? s.TimeoutSecondsPath]).not.toEqual([name, undefined]);
      expect([name, (s.Retry ?? []).length > 0]).toEqual([name, true]);
      expect([name, (s.Catch ?? []).length > 0]).toEqual([name, true]);
    }
  });

  it('approve: evidence → notice → approval → block → ticket → expiry → release → CONTAINED', async () => {
    const { execution, calls, entered } = await run({});
    expect(execution.status).toBe('SUCCEEDED');
    expect(calls).toEqual(['SnapshotEvidence', 'NotifyFinding', 'DecidePolicy', 'RequestApproval', 'BlockSource', 'OpenTicket', 'ReleaseBlock']);
    expect(entered).toContain('WaitForExpiry');
    const out = execution.output as { outcome: string; decision: { approver: string }; containment: { blocked: string[] }; release: { released: string[] }; ticket: { ticketId: string } };
    expect(out.outcome).toBe('CONTAINED');
    expect(out.decision.approver).toBe('alice@example.com');
    expect(out.containment.blocked).toEqual(['203.0.113.50/32']);
    expect(out.release.released).toEqual(['203.0.113.50/32']);
    expect(out.ticket.ticketId).toBe('OI-1');
  });

  it('reject: no block, no ticket, REJECTED', async () => {
    const { execution, calls } = await run({ [INCIDENT_TASKS.approval]: async () => decision('reject') });
    expect(execution.status).toBe('SUCCEEDED');
    expect(calls).not.toContain('BlockSource');
    expect((execution.output as { outcome: string }).outcome).toBe('REJECTED');
  });

  it('approval timeout: escalation, ticket, no containment, TIMED_OUT', async () => {
    const { execution, calls } = await run({ [INCIDENT_TASKS.approval]: () => new Promise(() => undefined) });
    expect(execution.status).toBe('SUCCEEDED');
    expect(calls).toEqual(['SnapshotEvidence', 'NotifyFinding', 'DecidePolicy', 'RequestApproval', 'Escalate', 'OpenTicket']);
    expect((execution.output as { outcome: string; containment: unknown }).outcome).toBe('TIMED_OUT');
    expect((execution.output as { containment: unknown }).containment).toBeNull();
  });

  it('WAF failure: caught, any block released, failure notified, execution FAILED', async () => {
    let tries = 0;
    const { execution, calls, events } = await run({
      [INCIDENT_TASKS.block]: async () => {
        tries++;
        const e = new Error('WAF is down');
        e.name = 'WAFUnavailableException';
        throw e;
      },
    });
    expect(tries).toBe(1);
    expect(execution.status).toBe('FAILED');
    expect(execution.error).toBe('IncidentFailed');
    expect(calls.slice(-3)).toEqual(['BlockSource', 'ReleaseAfterFailure', 'NotifyFailure']);
    expect(events.some((e) => e.type === 'StateCaught')).toBe(true);
  });

  it('a busy IP set (lock token contention past the handler retries) is retried by the state machine', async () => {
    let tries = 0;
    const { execution } = await run({
      [INCIDENT_TASKS.block]: async () => {
        if (++tries < 3) {
          const e = new Error('stale');
          e.name = 'IpSetBusyError';
          throw e;
        }
        return blocked;
      },
    });
    expect(tries).toBe(3);
    expect((execution.output as { outcome: string }).outcome).toBe('CONTAINED');
  });

  it('a block that does not stop the detected traffic (WAF only, network ACL refused) is GUARDED, and still released at expiry', async () => {
    let blockInput: unknown;
    const { calls, entered, execution } = await run({
      [INCIDENT_TASKS.block]: async (input) => {
        blockInput = input;
        return { ...blocked, contained: false, uncontainedReason: 'the WAF block does not stop a port scan', networkAclEntries: [], networkAclRefusals: [{ networkAclId: 'acl-0a', guardrail: 'nacl-budget', reason: 'full' }] };
      },
    });
    expect(blockInput).toMatchObject({ interfaces: ['eni-0a1b2c3d4e5f60718'] });
    expect(execution.status).toBe('SUCCEEDED');
    expect((execution.output as { outcome: string }).outcome).toBe('GUARDED');
    expect(entered).toContain('WaitForExpiry');
    expect(calls.slice(-2)).toEqual(['OpenTicket', 'ReleaseBlock']);
  });

  it('auto policy contains without asking', async () => {
    const { calls, execution } = await run({ [INCIDENT_TASKS.policy]: async () => policy('auto') });
    expect(calls).not.toContain('RequestApproval');
    expect(calls).toContain('BlockSource');
    expect((execution.output as { outcome: string }).outcome).toBe('CONTAINED');
  });

  it('notify policy files a ticket only', async () => {
    const { calls, execution } = await run({ [INCIDENT_TASKS.policy]: async () => policy('notify') });
    expect(calls).toEqual(['SnapshotEvidence', 'NotifyFinding', 'DecidePolicy', 'OpenTicket']);
    expect((execution.output as { outcome: string }).outcome).toBe('NOTIFIED');
  });

  it('a guarded (private or allowlisted) source is never blocked nor put to an approver', async () => {
    const { calls, execution } = await run({ [INCIDENT_TASKS.policy]: async () => policy('approve', false) });
    expect(calls).not.toContain('RequestApproval');
    expect(calls).not.toContain('BlockSource');
    expect((execution.output as { outcome: string }).outcome).toBe('GUARDED');
  });

  it('an unconfirmed finding closes without a notice', async () => {
    const { calls, execution } = await run({ [INCIDENT_TASKS.evidence]: async () => evidence(false) });
    expect(calls).toEqual(['SnapshotEvidence']);
    expect((execution.output as { outcome: string }).outcome).toBe('UNCONFIRMED');
  });
});
