import aslValidator from 'asl-validator';
import { DETECTION_TASKS, FINDINGS_BATCH_SIZE, type StartIncidentsOutput, type ToFindingsOutput } from '../../workflows/contract';
import { synthesizeStandaloneWorkflows } from '../../workflows/standalone';
import { LocalStepFunctions, type LocalEvent, type TaskFn } from '../../local/runtime/engine';

const workflows = synthesizeStandaloneWorkflows();
const athenaWorkflows = synthesizeStandaloneWorkflows({ engine: 'athena' });
const window = { start: 1763802000, end: 1763805600 };
const rule = (detection: string) => ({ detection, window, queryString: `query ${detection}`, queryStart: window.start - 60, queryEnd: window.end + 60 });
const EXECUTION = 'security-1763805600';
const nameOf = (source: string): string => `PORT_SCAN-${source.replace(/\./g, '-')}-1763805600`;

/** ToFindings' answer (workflows/contract.ts) for a rule with `fresh` new findings, in batches as it writes them. */
function findingsOutput(detection: string, fresh: number, extra: Partial<ToFindingsOutput> = {}): ToFindingsOutput {
  const batches = Array.from({ length: Math.ceil(fresh / FINDINGS_BATCH_SIZE) }, (_, i) => ({
    key: `detections/${EXECUTION}/${detection}/batch-${String(i + 1).padStart(4, '0')}.json`,
    sha256: 'a'.repeat(64),
    count: Math.min(FINDINGS_BATCH_SIZE, fresh - i * FINDINGS_BATCH_SIZE),
  }));
  return {
    status: 'Complete',
    detection: detection as ToFindingsOutput['detection'],
    window,
    rows: fresh,
    limitReached: false,
    statistics: null,
    counts: { overThreshold: fresh, allowlisted: 0, suppressed: 0, new: fresh },
    record: { key: `detections/${EXECUTION}/${detection}/findings.json`, sha256: 'b'.repeat(64) },
    batches,
    ...extra,
  };
}

/** A StartIncidents that starts `count` incidents of the batch, the n-th source 198.51.<batch>.<n>. */
const startAll = (input: unknown): StartIncidentsOutput => {
  const batch = (input as { batch: { key: string; count: number } }).batch;
  const b = Number(/batch-(\d+)/.exec(batch.key)?.[1] ?? 0);
  const started = Array.from({ length: batch.count }, (_, i) => ({ executionName: nameOf(`198.51.${b}.${i}`), executionArn: `arn:aws:states:us-east-1:123456789012:execution:incident:${nameOf(`198.51.${b}.${i}`)}` }));
  return { batch: batch.key, started, alreadyStarted: [], notStarted: [], counts: { started: started.length, alreadyStarted: 0, notStarted: 0 }, failed: false };
};

async function run(script: Partial<Record<string, TaskFn>>, definition = workflows.detection.security) {
  const events: LocalEvent[] = [];
  const stopped: string[] = [];
  const toFindingsInputs: unknown[] = [];
  const batchesStarted: string[] = [];
  let polls = 0;
  const base: Record<string, TaskFn> = {
    [DETECTION_TASKS.plan]: async () => ({ group: 'security', window, rules: [rule('PORT_SCAN'), rule('SUSPICIOUS_PORT_ACCESS')] }),
    [DETECTION_TASKS.startQuery]: async (input) => ({ QueryId: `q-${(input as { QueryString: string }).QueryString}` }),
    // Every other poll the query is still running, as a real one is for a while.
    [DETECTION_TASKS.toFindings]: async (input) => (++polls % 2 === 1 ? { status: 'Running' } : findingsOutput((input as { rule: { detection: string } }).rule.detection, 0)),
    [DETECTION_TASKS.startIncidents]: async (input) => startAll(input),
    [DETECTION_TASKS.stopQuery]: async (input) => {
      stopped.push((input as { QueryId: string }).QueryId);
      return {};
    },
  };
  const tasks = { ...base, ...script } as Record<string, TaskFn>;
  const recordingTasks: Record<string, TaskFn> = {
    ...tasks,
    [DETECTION_TASKS.toFindings]: async (input) => {
      toFindingsInputs.push(input);
      return (tasks[DETECTION_TASKS.toFindings] as TaskFn)(input);
    },
    [DETECTION_TASKS.startIncidents]: async (input) => {
      batchesStarted.push((input as { batch: { key: string } }).batch.key);
      return (tasks[DETECTION_TASKS.startIncidents] as TaskFn)(input);
    },
  };
  const engine = new LocalStepFunctions({ tasksFor: () => recordingTasks, waitOverrides: { WaitForQuery: 0 }, retryIntervalOverrides: { [DETECTION_TASKS.startIncidents]: 1 }, onEvent: (_e, ev) => events.push(ev) });
  engine.register('security', definition);
  const execution = engine.start('security', EXECUTION, { group: 'security', window });
  await engine.idle();
  const entered = events.filter((e) => e.type === 'StateEntered').map((e) => (e as { state: { name: string } }).state.name);
  return { execution, entered, stopped, toFindingsInputs, batchesStarted, events };
}

type RuleResult = { detection: string; failed: boolean; counts?: { new: number }; started?: Array<{ counts: { started: number }; failed: boolean }> };
const rulesOf = (output: unknown): RuleResult[] => (output as { results: { rules: RuleResult[] } }).results.rules;

describe('detection workflow (synthesized from CDK, run by aws-local-stepfunctions)', () => {
  it('is valid ASL, for both engines', () => {
    for (const d of [workflows.detection.security, athenaWorkflows.detection.anomaly]) {
      const r = aslValidator(d, { checkPaths: true, checkArn: true });
      expect(r.errors).toEqual([]);
    }
  });

  it('no findings: every rule polls ToFindings until its query completes, and the run succeeds without incidents', async () => {
    const { execution, entered, toFindingsInputs, batchesStarted } = await run({});
    expect(execution.status).toBe('SUCCEEDED');
    expect(batchesStarted).toEqual([]);
    expect(entered.filter((n) => n === 'StartQuery')).toHaveLength(2);
    expect(entered.filter((n) => n === 'CountPoll').length).toBeGreaterThanOrEqual(1);
    expect(entered).toContain('NoNewFindings');
    // ToFindings gets the query id and the execution whose folder it files the findings in; never rows.
    expect(toFindingsInputs).toContainEqual({ rule: rule('PORT_SCAN'), execution: EXECUTION, logsInsightsQueryId: 'q-query PORT_SCAN' });
    expect(toFindingsInputs.every((i) => !('rows' in (i as object)))).toBe(true);
  });

  it('opens the incidents batch by batch: 250 new findings are three StartIncidents calls', async () => {
    const { execution, batchesStarted } = await run({
      [DETECTION_TASKS.toFindings]: async (input) => findingsOutput((input as { rule: { detection: string } }).rule.detection, (input as { rule: { detection: string } }).rule.detection === 'PORT_SCAN' ? 250 : 0),
    });
    expect(execution.status).toBe('SUCCEEDED');
    expect(batchesStarted.sort()).toEqual([1, 2, 3].map((i) => `detections/${EXECUTION}/PORT_SCAN/batch-000${i}.json`));
    const portScan = rulesOf(execution.output).find((r) => r.detection === 'PORT_SCAN');
    expect(portScan?.started?.map((b) => b.counts.started)).toEqual([100, 100, 50]);
    expect(portScan?.failed).toBe(false);
  });

  it('10,000 new findings (the query limit) open in 100 batches, within the payload and history limits', async () => {
    const { execution, batchesStarted, events } = await run({
      [DETECTION_TASKS.plan]: async () => ({ group: 'security', window, rules: [rule('PORT_SCAN')] }),
      [DETECTION_TASKS.toFindings]: async () => findingsOutput('PORT_SCAN', 10_000, { limitReached: true, rows: 10_000 }),
    });
    expect(batchesStarted).toHaveLength(100);
    // Step Functions stops a Standard execution at 25,000 history events; this one is far below.
    expect(events.length).toBeLessThan(2_000);
    // The result held as many rows as a query returns: its incidents opened, and the rule fails, so the alarm says so.
    const ran = events.find((e) => e.type === 'StateExited' && (e as { state: { name: string } }).state.name === 'RunRules') as { state: { output: unknown } } | undefined;
    const [portScan] = rulesOf(ran?.state.output);
    expect(portScan?.started).toHaveLength(100);
    expect(portScan?.counts?.new).toBe(10_000);
    expect(portScan?.failed).toBe(true);
    expect(execution.status).toBe('FAILED');
    expect(execution.error).toBe('DetectionIncomplete');
  });

  it('an incident that could not be started fails the rule and the run: never a silent loss', async () => {
    const { execution, entered } = await run({
      [DETECTION_TASKS.toFindings]: async (input) => findingsOutput((input as { rule: { detection: string } }).rule.detection, 2),
      [DETECTION_TASKS.startIncidents]: async (input) => {
        const ok = startAll(input);
        const [first, ...rest] = ok.started;
        return { ...ok, started: rest, notStarted: [{ executionName: first?.executionName ?? '', error: 'StepFunctions.AccessDeniedException: denied', claimReleased: true }], counts: { started: rest.length, alreadyStarted: 0, notStarted: 1 }, failed: true };
      },
    });
    expect(entered).toContain('RuleDoneWithIncidents');
    expect(execution.status).toBe('FAILED');
    expect(execution.error).toBe('DetectionIncomplete');
  });

  it('StartIncidents itself failing (after its retries) is recorded per batch and fails the run', async () => {
    const { execution, entered, events } = await run({
      [DETECTION_TASKS.toFindings]: async (input) => findingsOutput((input as { rule: { detection: string } }).rule.detection, 1),
      [DETECTION_TASKS.startIncidents]: async () => {
        throw Object.assign(new Error('Rate exceeded'), { name: 'Lambda.TooManyRequestsException' });
      },
    });
    // The transient Lambda error is retried (MaxAttempts 3: three retries) in each rule before the Catch takes it.
    expect(events.filter((e) => e.type === 'StateRetried' && (e as { state?: { name?: string } }).state?.name === DETECTION_TASKS.startIncidents).length).toBe(2 * 3);
    expect(entered).toContain('BatchNotStarted');
    expect(execution.status).toBe('FAILED');
  });

  it('a query that never finishes is bounded: stopped, recorded per rule, and the run fails at the end', async () => {
    const { execution, entered, stopped } = await run({ [DETECTION_TASKS.toFindings]: async () => ({ status: 'Running' }) });
    expect(entered.filter((n) => n === 'CountPoll')).toHaveLength(2 * 60);
    // Each query left running is stopped, freeing its concurrent-query slot.
    expect(stopped.sort()).toEqual(['q-query PORT_SCAN', 'q-query SUSPICIOUS_PORT_ACCESS']);
    expect(entered).toContain('QueryDidNotFinish');
    expect(execution.status).toBe('FAILED');
    expect(execution.error).toBe('DetectionIncomplete');
  });

  it('a query that finished just as it was stopped: StopQuery fails, the rule is still recorded as not finished', async () => {
    const { execution, entered } = await run({
      [DETECTION_TASKS.toFindings]: async () => ({ status: 'Scheduled' }),
      [DETECTION_TASKS.stopQuery]: async () => {
        throw Object.assign(new Error('query is not running'), { name: 'CloudWatchLogs.InvalidParameterException' });
      },
    });
    expect(entered).toContain('QueryDidNotFinish');
    expect(execution.error).toBe('DetectionIncomplete');
  });

  it('a failing rule (a query that failed, a bad row) does not stop the others', async () => {
    const { execution, entered, batchesStarted } = await run({
      [DETECTION_TASKS.toFindings]: async (input) => {
        if ((input as { rule: { detection: string } }).rule.detection === 'SUSPICIOUS_PORT_ACCESS') throw Object.assign(new Error('query ended Failed'), { name: 'QueryNotCompleteError' });
        return findingsOutput('PORT_SCAN', 1);
      },
    });
    expect(batchesStarted).toEqual([`detections/${EXECUTION}/PORT_SCAN/batch-0001.json`]);
    expect(entered).toContain('RuleFailed');
    expect(execution.status).toBe('FAILED');
  });
});

describe('detection workflow, athena engine', () => {
  it('hands ToFindings the query execution id, not a page of rows, and opens the incidents', async () => {
    const queries: string[] = [];
    const { execution, toFindingsInputs, batchesStarted, entered } = await run(
      {
        // StartQueryExecution.sync: its output is the GetQueryExecution response (docs/aws-facts.md §4).
        [DETECTION_TASKS.startAthenaQuery]: async (input) => {
          const sql = (input as { QueryString: string }).QueryString;
          queries.push(sql);
          return { QueryExecution: { QueryExecutionId: `qe-${sql.split(' ')[1]}`, Status: { State: 'SUCCEEDED', SubmissionDateTime: 1763805620000 } } };
        },
        [DETECTION_TASKS.toFindings]: async (input) => {
          const detection = (input as { rule: { detection: string } }).rule.detection;
          return findingsOutput(detection, detection === 'PORT_SCAN' ? 2 : 0);
        },
      },
      athenaWorkflows.detection.security,
    );
    expect(execution.status).toBe('SUCCEEDED');
    expect(queries.sort()).toEqual(['query PORT_SCAN', 'query SUSPICIOUS_PORT_ACCESS']);
    expect(toFindingsInputs).toHaveLength(2);
    expect(toFindingsInputs).toEqual(
      expect.arrayContaining([
        { rule: rule('PORT_SCAN'), execution: EXECUTION, athenaQueryExecutionId: 'qe-PORT_SCAN' },
        { rule: rule('SUSPICIOUS_PORT_ACCESS'), execution: EXECUTION, athenaQueryExecutionId: 'qe-SUSPICIOUS_PORT_ACCESS' },
      ]),
    );
    expect(entered).not.toContain('WaitForQuery');
    expect(batchesStarted).toEqual([`detections/${EXECUTION}/PORT_SCAN/batch-0001.json`]);
  });

  it('a result too large for ToFindings fails the rule, recorded, and the run', async () => {
    const { execution, entered, batchesStarted } = await run(
      {
        [DETECTION_TASKS.startAthenaQuery]: async () => ({ QueryExecution: { QueryExecutionId: 'qe-1', Status: { State: 'SUCCEEDED' } } }),
        [DETECTION_TASKS.toFindings]: async () => {
          throw Object.assign(new Error('Athena query qe-1: more than 10000 result rows'), { name: 'TooManyResultRowsError' });
        },
      },
      athenaWorkflows.detection.security,
    );
    expect(batchesStarted).toEqual([]);
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
