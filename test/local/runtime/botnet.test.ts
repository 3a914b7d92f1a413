/**
 * Issue 12's done-when for large results: 900 external scanners in one hour, each REJECTed on 60
 * ports. Every finding is carried by an incident, every execution SUCCEEDED, and no state payload
 * passed 262,144 bytes (the local engine fails an execution that does, as Step Functions does).
 */
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { DEFAULT_CONFIG } from '../../../core/detection/config';
import { DEFAULT_INCIDENT_CONFIG } from '../../../core/policy/incident-config';
import { listExecutionHistories } from '../../../local/history/store';
import { runLocal } from '../../../local/runtime/runtime';
import { runSummary } from '../../../local/runtime/summary';
import { scannerLog } from './scanners';

let dir: string;
beforeAll(async () => {
  dir = await mkdtemp(path.join(tmpdir(), 'flowir-botnet-'));
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

describe('a botnet: 900 port scanners in one window', () => {
  it('flowir run --decide approve opens an incident for each of the 900, every execution SUCCEEDED, no payload over the limit', async () => {
    const end = 1763805600;
    const input = path.join(dir, 'botnet.log');
    await writeFile(input, scannerLog(900, end));
    const stateDir = path.join(dir, 'state');
    const run = await runLocal({ inputs: [input], config: DEFAULT_CONFIG, incident: DEFAULT_INCIDENT_CONFIG, windowSeconds: 3600, until: end, decide: 'approve', stateDir });
    const summary = runSummary(run);

    expect(summary.findings).toHaveLength(900);
    expect(summary.detections.map((d) => d.status)).toEqual(['SUCCEEDED', 'SUCCEEDED']);
    expect(summary.executions).toHaveLength(900);
    expect(summary.executions.every((e) => e.status === 'SUCCEEDED')).toBe(true);
    expect(summary.executions.map((e) => e.finding.id).sort()).toEqual(summary.findings.map((f) => f.id).sort());
    // The hourly cap (20) contained the first and guarded the rest: an outcome for each, none lost.
    expect(summary.executions.filter((e) => e.outcome === 'CONTAINED')).toHaveLength(20);
    expect(summary.executions.filter((e) => e.outcome === 'GUARDED')).toHaveLength(880);

    // The detection's record of the rule: nine batches of 100, each started whole.
    const security = (await listExecutionHistories(stateDir)).find((h) => h.stateMachineName === 'security');
    const doc = JSON.parse(await readFile(security?.file ?? '', 'utf8')) as { events: Array<Record<string, unknown>> };
    const largest = Math.max(...doc.events.map((e) => Buffer.byteLength(JSON.stringify(e), 'utf8')));
    expect(largest).toBeLessThan(262_144);
    const portScan = run.findingsRecords.find((r) => r.detection === 'PORT_SCAN');
    expect(portScan?.findings.filter((f) => f.disposition === 'new')).toHaveLength(900);
  }, 120_000);
});
