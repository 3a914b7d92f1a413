import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { DEFAULT_CONFIG } from '../../../core/detection/config';
import { DEFAULT_INCIDENT_CONFIG } from '../../../core/policy/incident-config';
import { runLocal } from '../../../local/runtime/runtime';
import { runSummary } from '../../../local/runtime/summary';
import { scannerLog } from './scanners';

let dir: string;
beforeAll(async () => {
  dir = await mkdtemp(path.join(tmpdir(), 'flowir-cap-'));
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

describe('the hourly block cap in a local run', () => {
  it('50 port scanners at once, policy auto, cap 20: exactly 20 CONTAINED, the rest GUARDED by the cap, every execution SUCCEEDED', async () => {
    const end = 1763805600;
    const input = path.join(dir, 'scan.log');
    await writeFile(input, scannerLog(50, end));
    const incident = { ...DEFAULT_INCIDENT_CONFIG, maxBlocksPerHour: 20, policy: { ...DEFAULT_INCIDENT_CONFIG.policy, byDetection: { PORT_SCAN: 'auto' as const } } };
    const run = await runLocal({ inputs: [input], config: DEFAULT_CONFIG, incident, windowSeconds: 3600, until: end, stateDir: path.join(dir, 'state') });
    const summary = runSummary(run);

    expect(summary.findings).toHaveLength(50);
    expect(summary.executions.every((e) => e.status === 'SUCCEEDED')).toBe(true);
    const outcomes = summary.executions.map((e) => e.outcome);
    expect(outcomes.filter((o) => o === 'CONTAINED')).toHaveLength(20);
    const guarded = summary.executions.filter((e) => e.outcome === 'GUARDED');
    expect(guarded).toHaveLength(30);
    expect(guarded.every((e) => e.containment?.guardrail === 'rate-limit')).toBe(true);
  });
});
