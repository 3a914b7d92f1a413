import aslValidator from 'asl-validator';
import { DETECTION_TASKS } from '../../workflows/contract';
import { synthesizeStandaloneWorkflows } from '../../workflows/standalone';
import { LocalStepFunctions, ExecutionAlreadyExistsError, type LocalEvent, type TaskFn } from '../../local/runtime/engine';

const workflows = synthesizeStandaloneWorkflows();
const window = { start: 1763802000, end: 1763805600 };
const rule = (detection: string) => ({ detection, window, queryString: `query ${detection}`, queryStart: window.start - 60, queryEnd: window.end + 60 });
const newFinding = (source: string) => ({
  finding: { id: `PORT_SCAN:${source}:1763805600`, detection: 'PORT_SCAN', severity: 'CRITICAL', source, port: null, value: 60, threshold: 50, window },
  executionName: `PORT_SCAN-${source.replace(/\./g, '-')}-1763805600`,
});

async function run(script: Partial<Record<string, TaskFn>>, existing: string[] = []) {
  const events: LocalEvent[] = [];
  const started: string[] = [];
  let polls = 0;
  const base: Record<string, TaskFn> = {
    [DETECTION_TASKS.plan]: async () => ({ group: 'security', window, rules: [rule('PORT_SCAN'), rule('SUSPICIOUS_PORT_ACCESS')] }),
    [DETECTION_TASKS.startQuery]: async (input) => ({ QueryId: `q-${(input as { QueryString: string }).QueryString}` }),
    [DETECTION_TASKS.getQueryResults]: async () => ({ Status: ++polls % 2 === 1 ? 'Running' : 'Complete', Results: [] }),
    [DETECTION_TASKS.toFindings]: async () => ({ detection: 'PORT_SCAN', window, newFindings: [], suppressed: [], allowlisted: [] }),
    [DETECTION_TASKS.startIncident]: async (input) => {
      const name = (input as { Name: string }).Name;
      if (existing.includes(name) || started.includes(name)) throw new ExecutionAlreadyExistsError(name);
      started.push(name);
      return { ExecutionArn: `arn:aws:states:us-east-1:123456789012:execution:incident:${name}`, StartDate: '2025-11-22T10:00:00Z' };
    },
  };
  const engine = new LocalStepFunctions({
    tasksFor: () => ({ ...base, ...script }) as Record<string, TaskFn>,
    waitOverrides: { WaitForQuery: 0 },
    onEvent: (_e, ev) => events.push(ev),
  });
  engine.register('security', workflows.detection.security);
  const execution = engine.start('security', 'security-1763805600', { group: 'security', window });
  await engine.idle();
  const entered = events.filter((e) => e.type === 'StateEntered').map((e) => (e as { state: { name: string } }).state.name);
  return { execution, started, entered };
}

describe('detection workflow (synthesized from CDK, run by aws-local-stepfunctions)', () => {
  it('is valid ASL, for both engines', () => {
    for (const d of [workflows.detection.security, synthesizeStandaloneWorkflows({ engine: 'athena' }).detection.anomaly]) {
      const r = aslValidator(d, { checkPaths: true, checkArn: true });
      expect(r.errors).toEqual([]);
    }
  });

  it('no findings: every rule polls to completion and the run succeeds without incidents', async () => {
    const { execution, started, entered } = await run({});
    expect(execution.status).toBe('SUCCEEDED');
    expect(started).toEqual([]);
    expect(entered.filter((n) => n === 'StartQuery')).toHaveLength(2);
    expect(entered.filter((n) => n === 'CountPoll').length).toBeGreaterThanOrEqual(1);
  });

  it('starts one incident per new finding, named after the finding', async () => {
    const { execution, started } = await run({
      [DETECTION_TASKS.toFindings]: async (input) =>
        (input as { rule: { detection: string } }).rule.detection === 'PORT_SCAN'
          ? { detection: 'PORT_SCAN', window, newFindings: [newFinding('203.0.113.50'), newFinding('198.51.100.23')], suppressed: [], allowlisted: [] }
          : { detection: 'SUSPICIOUS_PORT_ACCESS', window, newFindings: [], suppressed: ['x'], allowlisted: [] },
    });
    expect(execution.status).toBe('SUCCEEDED');
    expect(started.sort()).toEqual(['PORT_SCAN-198-51-100-23-1763805600', 'PORT_SCAN-203-0-113-50-1763805600']);
  });

  it('a re-run of the same window starts nothing twice (ExecutionAlreadyExists is caught)', async () => {
    const { execution, started, entered } = await run(
      { [DETECTION_TASKS.toFindings]: async () => ({ detection: 'PORT_SCAN', window, newFindings: [newFinding('203.0.113.50')], suppressed: [], allowlisted: [] }) },
      ['PORT_SCAN-203-0-113-50-1763805600'],
    );
    expect(execution.status).toBe('SUCCEEDED');
    expect(started).toEqual([]);
    expect(entered).toContain('IncidentAlreadyStarted');
  });

  it('a query that never finishes is bounded: recorded per rule, and the run fails at the end', async () => {
    const { execution, entered } = await run({ [DETECTION_TASKS.getQueryResults]: async () => ({ Status: 'Running', Results: [] }) });
    expect(entered.filter((n) => n === 'CountPoll')).toHaveLength(2 * 60);
    expect(entered).toContain('QueryDidNotFinish');
    expect(execution.status).toBe('FAILED');
    expect(execution.error).toBe('DetectionIncomplete');
  });

  it('a failing rule does not stop the others', async () => {
    const { execution, started, entered } = await run({
      [DETECTION_TASKS.toFindings]: async (input) => {
        if ((input as { rule: { detection: string } }).rule.detection === 'SUSPICIOUS_PORT_ACCESS') throw Object.assign(new Error('bad row'), { name: 'TaskInputError' });
        return { detection: 'PORT_SCAN', window, newFindings: [newFinding('203.0.113.50')], suppressed: [], allowlisted: [] };
      },
    });
    expect(started).toEqual(['PORT_SCAN-203-0-113-50-1763805600']);
    expect(entered).toContain('RuleFailed');
    expect(execution.status).toBe('FAILED');
  });
});

describe('detection workflow with every rule of the schedule disabled', () => {
  it('succeeds without running a query', async () => {
    const { execution, entered } = await run({ [DETECTION_TASKS.plan]: async () => ({ group: 'security', window, rules: [] }) });
    expect(execution.status).toBe('SUCCEEDED');
    expect(entered).not.toContain('StartQuery');
  });
});
