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
beforeAll(async () => {
  dir = await mkdtemp(path.join(tmpdir(), 'flowir-shapes-'));
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

interface HistoryEvent {
  readonly type: string;
  readonly taskSucceededEventDetails?: { readonly resourceType: string; readonly resource: string; readonly output: string };
}

describe("a local run's aws-sdk tasks answer in Step Functions' shape", () => {
  it('GetQueryResults rows are [{Field, Value}] in the recorded history, and every finding still opens its incident', async () => {
    const sample = (await writeSample(path.join(dir, 'sample'), { records: 3000, seed: 5 })).s3Root;
    const stateDir = path.join(dir, 'state');
    const run = await runLocal({ inputs: [sample], config: DEFAULT_CONFIG, incident: DEFAULT_INCIDENT_CONFIG, windowSeconds: 3600, until: 1763805600, decide: 'approve', stateDir });
    const summary = runSummary(run);

    const detections = (await listExecutionHistories(stateDir)).filter((h) => h.stateMachineName !== 'incident');
    expect(detections.length).toBe(2);
    const results: unknown[] = [];
    for (const h of detections) {
      const doc = JSON.parse(await readFile(h.file, 'utf8')) as { status: string; events: HistoryEvent[] };
      expect(doc.status).toBe('SUCCEEDED');
      for (const e of doc.events) {
        const d = e.taskSucceededEventDetails;
        if (d?.resourceType === 'aws-sdk:cloudwatchlogs' && d.resource === 'getQueryResults') results.push(JSON.parse(d.output));
      }
    }
    expect(results.length).toBeGreaterThan(0);
    const rows = results.flatMap((r) => (r as { Results: unknown[] }).Results);
    expect(rows.length).toBe(summary.findings.length);
    for (const r of results) expect(Object.keys(r as object).sort()).toEqual(['Results', 'Status']);
    for (const row of rows as Array<Array<Record<string, unknown>>>) for (const cell of row) expect(Object.keys(cell).sort()).toEqual(['Field', 'Value']);

    // Defect 1 of the fidelity issue: every finding reaches an incident (none lost to a shape mismatch).
    expect(summary.executions.map((e) => e.finding.id).sort()).toEqual(summary.findings.map((f) => f.id).sort());
    expect(summary.executions.every((e) => e.status === 'SUCCEEDED')).toBe(true);
  });
});
