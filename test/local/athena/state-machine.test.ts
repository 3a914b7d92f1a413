/**
 * The StartAthenaQuery state exactly as `cdk deploy` ships it (engine athena: Parameters,
 * ResultSelector, ResultPath, Retry and Catch), run by the local Step Functions with the local
 * Athena's `.sync` task: its ResultSelector finds `$.QueryExecution.QueryExecutionId` in what the task
 * returns, and a failed query ends in the state's Catch.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { DEFAULT_CONFIG } from '../../../core/detection/config';
import { compileAthena } from '../../../core/detection/compile';
import { FlowLogFormat } from '../../../core/flowlog/format';
import { synthesizeFlowirDefinitions } from '../../../infra/definitions';
import { createLocalAthena, DEFAULT_LOCAL_ATHENA_TABLE, type LocalAthena } from '../../../local/athena';
import { LocalStepFunctions, type ExecutionRecord } from '../../../local/runtime/engine';
import { writeSample } from '../../../local/sample/write';
import { DETECTION_TASKS } from '../../../workflows/contract';

type State = Record<string, unknown> & { Type?: string; Next?: string; Catch?: { Next: string }[] };

/** The named state anywhere in a definition (the Map's item processor included). */
function findState(node: unknown, name: string): State | undefined {
  if (typeof node !== 'object' || node === null) return undefined;
  for (const [k, v] of Object.entries(node as Record<string, unknown>)) {
    if (k === name && typeof v === 'object' && v !== null && (v as State).Type === 'Task') return v as State;
    const found = findState(v, name);
    if (found !== undefined) return found;
  }
  return undefined;
}

const WINDOW = { start: 1763802000, end: 1763805600 };
let dir: string;
let athena: LocalAthena;
let engine: LocalStepFunctions;
let state: State;

beforeAll(async () => {
  dir = await mkdtemp(path.join(tmpdir(), 'flowir-local-athena-sfn-'));
  const written = await writeSample(path.join(dir, 'sample'), { records: 3000, seed: 8, format: 'v5', until: WINDOW.end });
  athena = await createLocalAthena({ inputs: [written.s3Root], format: 'v2' });
  const definitions = synthesizeFlowirDefinitions({ engine: 'athena' });
  state = findState(definitions.detection.security, DETECTION_TASKS.startAthenaQuery) as State;
  expect(state).toMatchObject({ Resource: 'arn:aws:states:::athena:startQueryExecution.sync', ResultSelector: { 'queryId.$': '$.QueryExecution.QueryExecutionId' }, ResultPath: '$.query' });
  // The state as deployed; what follows it (ToFindings, RuleFailed) stands in as Pass states.
  const next = state.Next as string;
  const caught = (state.Catch?.[0] as { Next: string }).Next;
  engine = new LocalStepFunctions({ tasksFor: () => ({ [DETECTION_TASKS.startAthenaQuery]: athena.tasks[DETECTION_TASKS.startAthenaQuery] }) });
  engine.register('athena-query', { StartAt: DETECTION_TASKS.startAthenaQuery, States: { [DETECTION_TASKS.startAthenaQuery]: state, [next]: { Type: 'Pass', End: true }, [caught]: { Type: 'Pass', End: true } } } as never);
}, 60_000);
afterAll(async () => {
  await athena.close();
  await rm(dir, { recursive: true, force: true });
});

async function execute(name: string, queryString: string): Promise<ExecutionRecord> {
  const execution = engine.start('athena-query', name, { rule: { detection: 'PORT_SCAN', window: WINDOW, queryString } });
  await execution.done;
  return execution;
}

it('hands on the query execution id, by which the results port reads the rows', async () => {
  const sql = compileAthena('PORT_SCAN', { config: DEFAULT_CONFIG, table: DEFAULT_LOCAL_ATHENA_TABLE, window: WINDOW, format: FlowLogFormat.V2 });
  const execution = await execute('ok', sql);
  expect(execution.status).toBe('SUCCEEDED');
  const output = execution.output as { query: { queryId: string } };
  expect(output.query.queryId).toMatch(/^[0-9a-f-]{36}$/);
  const rows = await athena.results.rows(output.query.queryId);
  expect(rows[0]).toEqual({ Data: [{ VarCharValue: 'srcaddr' }, { VarCharValue: 'value' }] });
  expect(rows.length).toBeGreaterThan(1);
});

it('a failed query ends in the Catch with the error and its cause recorded', async () => {
  const execution = await execute('failed', 'SELECT nope FROM vpc_flow_logs');
  expect(execution.status).toBe('SUCCEEDED');
  const error = (execution.output as { error: { Error: string; Cause: string } }).error;
  expect(error.Error).toBe('States.TaskFailed');
  expect(JSON.parse(error.Cause)).toMatchObject({ Status: { State: 'FAILED' } });
});
