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
  readonly taskScheduledEventDetails?: { readonly resourceType: string; readonly resource: string; readonly parameters: string };
  readonly taskSucceededEventDetails?: { readonly resourceType: string; readonly resource: string; readonly output: string };
}

describe("a local run's aws-sdk tasks answer in Step Functions' shape", () => {
  it('StartQuery is sent and answered in PascalCase in the recorded history, and every finding still opens its incident', async () => {
    const sample = (await writeSample(path.join(dir, 'sample'), { records: 3000, seed: 5 })).s3Root;
    const stateDir = path.join(dir, 'state');
    const run = await runLocal({ inputs: [sample], config: DEFAULT_CONFIG, incident: DEFAULT_INCIDENT_CONFIG, windowSeconds: 3600, until: 1763805600, decide: 'approve', stateDir });
    const summary = runSummary(run);

    const detections = (await listExecutionHistories(stateDir)).filter((h) => h.stateMachineName !== 'incident');
    expect(detections.length).toBe(2);
    const sent: unknown[] = [];
    const answered: unknown[] = [];
    for (const h of detections) {
      const doc = JSON.parse(await readFile(h.file, 'utf8')) as { status: string; events: HistoryEvent[] };
      expect(doc.status).toBe('SUCCEEDED');
      for (const e of doc.events) {
        const s = e.taskScheduledEventDetails;
        if (s?.resourceType === 'aws-sdk:cloudwatchlogs' && s.resource === 'startQuery') sent.push(JSON.parse(s.parameters));
        const d = e.taskSucceededEventDetails;
        if (d?.resourceType === 'aws-sdk:cloudwatchlogs' && d.resource === 'startQuery') answered.push(JSON.parse(d.output));
      }
    }
    // One query per enabled rule (two per schedule), each sent and answered as Step Functions' aws-sdk integration does.
    expect(sent).toHaveLength(4);
    for (const p of sent) expect(Object.keys(p as object).sort()).toEqual(['EndTime', 'Limit', 'LogGroupName', 'QueryString', 'StartTime']);
    expect(answered).toHaveLength(4);
    for (const r of answered) expect(Object.keys(r as object)).toEqual(['QueryId']);
    // GetQueryResults is ToFindings' own SDK call (a state could not carry 10,000 rows): no state runs it.
    const everyResource = (await Promise.all(detections.map(async (h) => (JSON.parse(await readFile(h.file, 'utf8')) as { events: HistoryEvent[] }).events))).flat();
    expect(everyResource.some((e) => e.taskScheduledEventDetails?.resource === 'getQueryResults')).toBe(false);

    // Defect 1 of the fidelity issue: every finding reaches an incident (none lost to a shape mismatch).
    expect(summary.executions.map((e) => e.finding.id).sort()).toEqual(summary.findings.map((f) => f.id).sort());
    expect(summary.executions.every((e) => e.status === 'SUCCEEDED')).toBe(true);
    // And the findings records say so: every finding over threshold is listed, each new one with its execution.
    const listed = run.findingsRecords.flatMap((r) => r.findings.map((f) => f.finding.id)).sort();
    expect(listed).toEqual(summary.findings.map((f) => f.id).sort());
  });
});
