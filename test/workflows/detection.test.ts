import aslValidator from 'asl-validator';
import { DETECTION_TASKS } from '../../workflows/contract';
import { synthesizeStandaloneWorkflows } from '../../workflows/standalone';
import { LocalStepFunctions, ExecutionAlreadyExistsError, type LocalEvent, type TaskFn } from '../../local/runtime/engine';

const workflows = synthesizeStandaloneWorkflows();
const athenaWorkflows = synthesizeStandaloneWorkflows({ engine: 'athena' });
const window = { start: 1763802000, end: 1763805600 };
const rule = (detection: string) => ({ detection, window, queryString: `query ${detection}`, queryStart: window.start - 60, queryEnd: window.end + 60 });
const newFinding = (source: string) => ({
  finding: { id: `PORT_SCAN:${source}:1763805600`, detection: 'PORT_SCAN', severity: 'CRITICAL', source, port: null, value: 60, threshold: 50, window },
  executionName: `PORT_SCAN-${source.replace(/\./g, '-')}-1763805600`,
  suppressionKey: `PORT_SCAN#${source}`,
});

async function run(script: Partial<Record<string, TaskFn>>, existing: string[] = [], definition = workflows.detection.security) {
  const events: LocalEvent[] = [];
  const started: string[] = [];
  const released: unknown[] = [];
  const stopped: string[] = [];
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
    [DETECTION_TASKS.releaseClaim]: async (input) => {
      released.push(input);
      return {};
    },
    [DETECTION_TASKS.stopQuery]: async (input) => {
      stopped.push((input as { QueryId: string }).QueryId);
      return { Success: true };
    },
  };
  const engine = new LocalStepFunctions({
    tasksFor: () => ({ ...base, ...script }) as Record<string, TaskFn>,
    waitOverrides: { WaitForQuery: 0 },
    onEvent: (_e, ev) => events.push(ev),
  });
  engine.register('security', definition);
  const execution = engine.start('security', 'security-1763805600', { group: 'security', window });
  await engine.idle();
  const entered = events.filter((e) => e.type === 'StateEntered').map((e) => (e as { state: { name: string } }).state.name);
  return { execution, started, entered, released, stopped };
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

  it('an incident that cannot be started: its claim is released (only if still its own) and the run fails, never a silent loss', async () => {
    const { execution, started, entered, released } = await run({
      [DETECTION_TASKS.toFindings]: async (input) =>
        (input as { rule: { detection: string } }).rule.detection === 'PORT_SCAN'
          ? { detection: 'PORT_SCAN', window, newFindings: [newFinding('203.0.113.50'), newFinding('198.51.100.23')], suppressed: [], allowlisted: [] }
          : { detection: 'SUSPICIOUS_PORT_ACCESS', window, newFindings: [], suppressed: [], allowlisted: [] },
      [DETECTION_TASKS.startIncident]: async (input) => {
        const name = (input as { Name: string }).Name;
        if (name.includes('203-0-113-50')) throw Object.assign(new Error('Rate exceeded'), { name: 'StepFunctions.AccessDeniedException' });
        return { ExecutionArn: `arn:aws:states:us-east-1:123456789012:execution:incident:${name}`, StartDate: '2025-11-22T10:00:00Z' };
      },
    });
    expect(started).toEqual([]);
    expect(released).toEqual([
      expect.objectContaining({ Key: { pk: { S: 'PORT_SCAN#203.0.113.50' } }, ConditionExpression: 'executionName = :name', ExpressionAttributeValues: { ':name': { S: 'PORT_SCAN-203-0-113-50-1763805600' } } }),
    ]);
    expect(entered).toContain('IncidentNotStarted');
    expect(execution.status).toBe('FAILED');
    expect(execution.error).toBe('DetectionIncomplete');
  });

  it('an incident not started whose claim cannot be released either: recorded as such, and the run fails', async () => {
    const { execution, entered } = await run({
      [DETECTION_TASKS.toFindings]: async () => ({ detection: 'PORT_SCAN', window, newFindings: [newFinding('203.0.113.50')], suppressed: [], allowlisted: [] }),
      [DETECTION_TASKS.startIncident]: async () => {
        throw Object.assign(new Error('denied'), { name: 'StepFunctions.AccessDeniedException' });
      },
      [DETECTION_TASKS.releaseClaim]: async () => {
        throw Object.assign(new Error('The conditional request failed'), { name: 'DynamoDB.ConditionalCheckFailedException' });
      },
    });
    expect(entered).toContain('IncidentNotStartedClaimKept');
    expect(entered).not.toContain('IncidentNotStarted');
    expect(execution.status).toBe('FAILED');
  });

  it('a query that never finishes is bounded: recorded per rule, and the run fails at the end', async () => {
    const { execution, entered, stopped } = await run({ [DETECTION_TASKS.getQueryResults]: async () => ({ Status: 'Running', Results: [] }) });
    expect(entered.filter((n) => n === 'CountPoll')).toHaveLength(2 * 60);
    // Each query left running is stopped, freeing its concurrent-query slot.
    expect(stopped.sort()).toEqual(['q-query PORT_SCAN', 'q-query SUSPICIOUS_PORT_ACCESS']);
    expect(entered).toContain('QueryDidNotFinish');
    expect(execution.status).toBe('FAILED');
    expect(execution.error).toBe('DetectionIncomplete');
  });

  it('a query that finished just as it was stopped: StopQuery fails, the rule is still recorded as not finished', async () => {
    const { execution, entered } = await run({
      [DETECTION_TASKS.getQueryResults]: async () => ({ Status: 'Running', Results: [] }),
      [DETECTION_TASKS.stopQuery]: async () => {
        throw Object.assign(new Error('query is not running'), { name: 'CloudWatchLogs.InvalidParameterException' });
      },
    });
    expect(entered).toContain('QueryDidNotFinish');
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

describe('detection workflow, athena engine', () => {
  it('hands ToFindings the query execution id, not a page of rows, and starts the incidents', async () => {
    const queries: string[] = [];
    const toFindingsInputs: unknown[] = [];
    const { execution, started, entered } = await run(
      {
        // StartQueryExecution.sync: its output is the GetQueryExecution response (docs/aws-facts.md §4).
        [DETECTION_TASKS.startAthenaQuery]: async (input) => {
          const sql = (input as { QueryString: string }).QueryString;
          queries.push(sql);
          return { QueryExecution: { QueryExecutionId: `qe-${sql.split(' ')[1]}`, Status: { State: 'SUCCEEDED', SubmissionDateTime: 1763805620000 } } };
        },
        [DETECTION_TASKS.toFindings]: async (input) => {
          toFindingsInputs.push(input);
          const detection = (input as { rule: { detection: string } }).rule.detection;
          return detection === 'PORT_SCAN'
            ? { detection, window, newFindings: [newFinding('203.0.113.50'), newFinding('198.51.100.23')], suppressed: [], allowlisted: [] }
            : { detection, window, newFindings: [], suppressed: [], allowlisted: [] };
        },
      },
      [],
      athenaWorkflows.detection.security,
    );
    expect(execution.status).toBe('SUCCEEDED');
    expect(queries.sort()).toEqual(['query PORT_SCAN', 'query SUSPICIOUS_PORT_ACCESS']);
    expect(toFindingsInputs).toHaveLength(2);
    expect(toFindingsInputs).toEqual(
      expect.arrayContaining([
        { rule: rule('PORT_SCAN'), athenaQueryExecutionId: 'qe-PORT_SCAN' },
        { rule: rule('SUSPICIOUS_PORT_ACCESS'), athenaQueryExecutionId: 'qe-SUSPICIOUS_PORT_ACCESS' },
      ]),
    );
    // No state between the query and ToFindings carries rows.
    expect(entered).not.toContain('GetAthenaResults');
    expect(started.sort()).toEqual(['PORT_SCAN-198-51-100-23-1763805600', 'PORT_SCAN-203-0-113-50-1763805600']);
  });

  it('a result too large for ToFindings fails the rule, recorded, and the run', async () => {
    const { execution, entered, started } = await run(
      {
        [DETECTION_TASKS.startAthenaQuery]: async () => ({ QueryExecution: { QueryExecutionId: 'qe-1', Status: { State: 'SUCCEEDED' } } }),
        [DETECTION_TASKS.toFindings]: async () => {
          throw Object.assign(new Error('Athena query qe-1: more than 10000 result rows'), { name: 'TooManyResultRowsError' });
        },
      },
      [],
      athenaWorkflows.detection.security,
    );
    expect(started).toEqual([]);
    expect(entered).toContain('RuleFailed');
    expect(execution.status).toBe('FAILED');
    expect(execution.error).toBe('DetectionIncomplete');
  });
});

describe('detection workflow with every rule of the schedule disabled', () => {
  it('succeeds without running a query', async () => {
    const { execution, entered } = await run({ [DETECTION_TASKS.plan]: async () => ({ group: 'security', window, rules: [] }) });
    expect(execution.status).toBe('SUCCEEDED');
    expect(entered).not.toContain('StartQuery');
  });
});
