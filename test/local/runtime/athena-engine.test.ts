/**
 * `flowir run --engine athena` runs the athena engine's own state machine (StartAthenaQuery .sync,
 * ToFindings paging Athena's GetQueryResults) with the compiled SQL executed by DuckDB, and reaches
 * the same findings and outcomes as the Logs Insights engine on the same flow logs.
 */
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { DEFAULT_CONFIG } from '../../../core/detection/config';
import { DEFAULT_INCIDENT_CONFIG } from '../../../core/policy/incident-config';
import { listExecutionHistories } from '../../../local/history/store';
import { runLocal } from '../../../local/runtime/runtime';
import { runSummary } from '../../../local/runtime/summary';
import { writeSample } from '../../../local/sample/write';

let dir: string;
let sample: string;
beforeAll(async () => {
  dir = await mkdtemp(path.join(tmpdir(), 'flowir-athena-run-'));
  sample = (await writeSample(path.join(dir, 'sample'), { records: 3000, seed: 11 })).s3Root;
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

interface HistoryEvent {
  readonly type: string;
  readonly stateEnteredEventDetails?: { readonly name: string };
  readonly taskSucceededEventDetails?: { readonly resourceType: string; readonly resource: string; readonly output: string };
}

describe('the athena engine, run locally', () => {
  it('finds and contains what the logs-insights engine does, through its own state machine', async () => {
    const run = (engine: 'logs-insights' | 'athena') =>
      runLocal({ inputs: [sample], config: DEFAULT_CONFIG, incident: DEFAULT_INCIDENT_CONFIG, windowSeconds: 3600, until: 1763805600, decide: 'approve', stateDir: path.join(dir, engine), engine });
    const athena = runSummary(await run('athena'));
    const insights = runSummary(await run('logs-insights'));

    const story = (s: typeof athena) => s.executions.map((e) => `${e.finding.id} ${e.status} ${e.outcome}`).sort();
    expect(athena.executions.length).toBeGreaterThan(0);
    expect(story(athena)).toEqual(story(insights));
    expect(athena.detections.every((d) => d.status === 'SUCCEEDED')).toBe(true);

    // The athena definition ran: StartAthenaQuery answered as the .sync integration does (GetQueryExecution's
    // response, PascalCase), and no Logs Insights query state was entered.
    const histories = (await listExecutionHistories(path.join(dir, 'athena'))).filter((h) => h.stateMachineName !== 'incident');
    const events = (await Promise.all(histories.map(async (h) => (JSON.parse(await readFile(h.file, 'utf8')) as { events: HistoryEvent[] }).events))).flat();
    const entered = new Set(events.flatMap((e) => (e.stateEnteredEventDetails ? [e.stateEnteredEventDetails.name] : [])));
    expect(entered.has('StartAthenaQuery')).toBe(true);
    expect(entered.has('StartQuery')).toBe(false);
    const sync = events.flatMap((e) => (e.taskSucceededEventDetails?.resource === 'startQueryExecution.sync' ? [JSON.parse(e.taskSucceededEventDetails.output) as { QueryExecution: { Status: { State: string } } }] : []));
    expect(sync.length).toBe(4);
    expect(sync.every((o) => o.QueryExecution.Status.State === 'SUCCEEDED')).toBe(true);
  }, 120_000);
});
