import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import aslValidator from 'asl-validator';
import { synthesizeFlowirDefinitions } from '../../infra/definitions';
import { LocalStepFunctions, type ExecutionRecord, type TaskFn } from '../../local/runtime/engine';
import { DETECTION_TASKS, INCIDENT_TASKS } from '../../workflows/contract';
import type { AslDefinition } from '../../workflows/resolve';
import { synthesizeStandaloneWorkflows } from '../../workflows/standalone';

const deployed = synthesizeFlowirDefinitions();
const deployedAthena = synthesizeFlowirDefinitions({ engine: 'athena' });
const standalone = synthesizeStandaloneWorkflows();
const standaloneAthena = synthesizeStandaloneWorkflows({ engine: 'athena' });

const all = (w: typeof deployed): Array<[string, AslDefinition]> => [
  ['incident', w.incident],
  ['anomaly', w.detection.anomaly],
  ['security', w.detection.security],
];

/** Every Task state, nested ones (Map item processors) included. */
function tasksOf(states: Record<string, unknown>): Array<[string, Record<string, unknown>]> {
  return Object.entries(states).flatMap(([name, raw]) => {
    const s = raw as Record<string, unknown> & { Type: string; ItemProcessor?: { States: Record<string, unknown> } };
    return [...(s.Type === 'Task' ? [[name, s] as [string, Record<string, unknown>]] : []), ...(s.ItemProcessor ? tasksOf(s.ItemProcessor.States) : [])];
  });
}

const RESOURCE_ARN = /^arn:aws:(lambda:[a-z0-9-]+:\d{12}:function|states:[a-z0-9-]+:\d{12}:stateMachine):[A-Za-z0-9_-]{1,80}$/;
/** Parameters that name a resource of the deployment (the standalone stack has stand-ins). */
const RESOURCE_NAME_KEYS = ['LogGroupName', 'WorkGroup', 'Database', 'TableName'];

/** A definition with the resources it names blanked out: ARNs of functions and state machines, log group, workgroup, database. */
function withoutResources(value: unknown, key = ''): unknown {
  if (typeof value === 'string') return RESOURCE_ARN.test(value) || RESOURCE_NAME_KEYS.includes(key) ? '<resource>' : value;
  if (Array.isArray(value)) return value.map((v) => withoutResources(v));
  if (value !== null && typeof value === 'object') return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, withoutResources(v, k)]));
  return value;
}

describe('synthesizeFlowirDefinitions: the definitions of the deployed stack', () => {
  it.each([
    ['logs-insights', deployed],
    ['athena', deployedAthena],
  ] as const)('%s: every definition is valid ASL', (_engine, w) => {
    for (const [name, definition] of all(w)) {
      // asl-validator fills in defaults on the document it checks.
      const r = aslValidator(structuredClone(definition), { checkPaths: true, checkArn: true });
      expect([name, r.errors]).toEqual([name, []]);
    }
  });

  it.each([
    ['logs-insights', deployed, standalone],
    ['athena', deployedAthena, standaloneAthena],
  ] as const)('%s: state by state the standalone workflows, but for the resources they name', (_engine, d, s) => {
    for (const [[name, ours], [, theirs]] of all(d).map((pair, i) => [pair, all(s)[i] as [string, AslDefinition]] as const)) {
      expect([name, ours.StartAt]).toEqual([name, theirs.StartAt]);
      expect(Object.keys(ours.States).sort()).toEqual(Object.keys(theirs.States).sort());
      for (const state of Object.keys(theirs.States)) expect([name, state, withoutResources(ours.States[state])]).toEqual([name, state, withoutResources(theirs.States[state])]);
    }
  });

  it('every Task names a deployed function or state machine by a valid ARN', () => {
    const named: string[] = [];
    for (const [machine, definition] of all(deployed)) {
      for (const [name, task] of tasksOf(definition.States)) {
        const resource = String(task.Resource);
        expect([machine, name, /^arn:aws:(states|lambda):/.test(resource)]).toEqual([machine, name, true]);
        const params = (task.Parameters ?? {}) as Record<string, unknown>;
        for (const arn of [resource, params.FunctionName, params.StateMachineArn].filter((a): a is string => typeof a === 'string' && RESOURCE_ARN.test(a))) named.push(arn.split(':').pop() as string);
      }
    }
    expect([...new Set(named)].sort()).toEqual(
      ['evidence', 'notify', 'policy', 'request-approval', 'block', 'ticket', 'release', 'plan-window', 'to-findings', 'start-incidents'].map((n) => `flowir-dev-${n}`).sort(),
    );
  });

  it('takes the CDK context, from any working directory (the CLI runs anywhere)', () => {
    const elsewhere = mkdtempSync(join(tmpdir(), 'flowir-defs-'));
    const cwd = process.cwd();
    let custom: ReturnType<typeof synthesizeFlowirDefinitions>;
    try {
      process.chdir(elsewhere);
      custom = synthesizeFlowirDefinitions({ envName: 'demo', approvalTimeout: '5m' });
    } finally {
      process.chdir(cwd);
      rmSync(elsewhere, { recursive: true, force: true });
    }
    expect((custom.incident.States[INCIDENT_TASKS.approval] as { TimeoutSeconds: number }).TimeoutSeconds).toBe(300);
    expect((deployed.incident.States[INCIDENT_TASKS.approval] as { TimeoutSeconds: number }).TimeoutSeconds).toBe(3600);
    expect((custom.incident.States[INCIDENT_TASKS.evidence] as { Resource: string }).Resource).toBe('arn:aws:lambda:us-east-1:123456789012:function:flowir-demo-evidence');
  });
});

describe('the deployed definitions run in the local engine', () => {
  const finding = { id: 'PORT_SCAN:203.0.113.50:1763805600', detection: 'PORT_SCAN', severity: 'CRITICAL', source: '203.0.113.50', port: null, value: 171, threshold: 50, window: { start: 1763802000, end: 1763805600 } };

  async function run(definition: AslDefinition, name: string, input: unknown, tasks: Record<string, TaskFn>, waits: Record<string, number>): Promise<{ execution: ExecutionRecord; calls: string[] }> {
    const calls: string[] = [];
    const engine = new LocalStepFunctions({
      tasksFor: () => Object.fromEntries(Object.entries(tasks).map(([state, fn]) => [state, async (i: unknown) => (calls.push(state), fn(i))])),
      waitOverrides: waits,
    });
    engine.register('machine', definition);
    const execution = engine.start('machine', name, input);
    await engine.idle();
    return { execution, calls };
  }

  it('incident, approved: contained, then released', async () => {
    const { execution, calls } = await run(
      deployed.incident,
      'PORT_SCAN-203-0-113-50-1763805600',
      { finding },
      {
        [INCIDENT_TASKS.evidence]: async () => ({ manifestKey: 'incidents/x/manifest.json', recount: 171, confirmed: true, summary: { interfaces: ['eni-0a1b2c3d4e5f60718'] } }),
        [INCIDENT_TASKS.notify]: async () => ({ topic: 'critical', messageId: 'm1' }),
        [INCIDENT_TASKS.policy]: async () => ({ policy: 'approve', guard: { allowed: true, guardrail: null, reason: null }, approvalTimeoutSeconds: 3600, blockSeconds: 86400 }),
        [INCIDENT_TASKS.approval]: async () => ({ decision: 'approve', approver: 'alice@example.com', at: '2025-11-22T10:00:07Z', comment: null, sourceIp: '192.0.2.1' }),
        [INCIDENT_TASKS.block]: async () => ({
          status: 'blocked',
          blocked: ['203.0.113.50/32'],
          ipSet: { name: 'v4', id: 'id', scope: 'REGIONAL' },
          blockedAt: '2025-11-22T10:00:08Z',
          expiresAt: '2025-11-23T10:00:08Z',
          durationSeconds: 86400,
          contained: true,
          uncontainedReason: null,
          networkAclEntries: [{ networkAclId: 'acl-0a', ruleNumber: 1, cidr: '203.0.113.50/32' }],
          networkAclCovered: [],
          networkAclRefusals: [],
        }),
        [INCIDENT_TASKS.ticket]: async () => ({ ticketId: 'OI-1', url: null }),
        [INCIDENT_TASKS.release]: async () => ({ released: ['203.0.113.50/32'], releasedAt: '2025-11-23T10:00:08Z' }),
        [INCIDENT_TASKS.escalate]: async () => ({ topic: 'critical', messageId: 'm2' }),
        [INCIDENT_TASKS.releaseAfterFailure]: async () => ({ released: [], releasedAt: '2025-11-22T10:00:09Z' }),
        [INCIDENT_TASKS.notifyFailure]: async () => ({ topic: 'critical', messageId: 'm3' }),
      },
      { WaitForExpiry: 0 },
    );
    expect(execution.status).toBe('SUCCEEDED');
    expect((execution.output as { outcome: string }).outcome).toBe('CONTAINED');
    expect(calls).toEqual(['SnapshotEvidence', 'NotifyFinding', 'DecidePolicy', 'RequestApproval', 'BlockSource', 'OpenTicket', 'ReleaseBlock']);
  });

  it('detection: one incident started per new finding', async () => {
    const window = { start: 1763802000, end: 1763805600 };
    const batches: unknown[] = [];
    const rule = { detection: 'PORT_SCAN', window, queryString: 'q', queryStart: window.start - 60, queryEnd: window.end + 60 };
    const batch = { key: 'detections/security-1763805600/PORT_SCAN/batch-0001.json', sha256: 'a'.repeat(64), count: 1 };
    const { execution } = await run(
      deployed.detection.security,
      'security-1763805600',
      { group: 'security', scheduledTime: '2025-11-22T10:10:00Z' },
      {
        [DETECTION_TASKS.plan]: async () => ({ group: 'security', window, rules: [rule] }),
        [DETECTION_TASKS.startQuery]: async () => ({ QueryId: 'q-1' }),
        [DETECTION_TASKS.toFindings]: async () => ({
          status: 'Complete',
          detection: 'PORT_SCAN',
          window,
          rows: 1,
          limitReached: false,
          statistics: null,
          counts: { overThreshold: 1, allowlisted: 0, suppressed: 0, new: 1 },
          record: { key: 'detections/security-1763805600/PORT_SCAN/findings.json', sha256: 'b'.repeat(64) },
          batches: [batch],
        }),
        [DETECTION_TASKS.startIncidents]: async (input) => {
          batches.push(input);
          const name = 'PORT_SCAN-203-0-113-50-1763805600';
          return { batch: batch.key, started: [{ executionName: name, executionArn: `arn:aws:states:us-east-1:123456789012:execution:flowir-dev-incident:${name}` }], alreadyStarted: [], notStarted: [], counts: { started: 1, alreadyStarted: 0, notStarted: 0 }, failed: false };
        },
        [DETECTION_TASKS.stopQuery]: async () => ({}),
      },
      { WaitForQuery: 0 },
    );
    expect(execution.status).toBe('SUCCEEDED');
    expect(batches).toEqual([{ batch }]);
  });
});
