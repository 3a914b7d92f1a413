import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { DEFAULT_CONFIG } from '../../../core/detection/config';
import { DEFAULT_INCIDENT_CONFIG } from '../../../core/policy/incident-config';
import { runLocal } from '../../../local/runtime/runtime';
import { runSummary } from '../../../local/runtime/summary';

let dir: string;
beforeAll(async () => {
  dir = await mkdtemp(path.join(tmpdir(), 'flowir-cap-'));
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

/** `sources` public scanners, each rejected on 60 ports of one host in the hour before `end` (v2 records). */
function scanners(sources: number, end: number): string {
  const lines = ['version account-id interface-id srcaddr dstaddr srcport dstport protocol packets bytes start end action log-status'];
  for (let s = 0; s < sources; s++) {
    for (let p = 0; p < 60; p++) {
      const t = end - 3000 + ((s * 7 + p) % 2900);
      lines.push(`2 123456789012 eni-0a1b2c3d4e5f60001 45.10.${Math.floor(s / 200)}.${(s % 200) + 1} 10.0.1.10 ${40000 + p} ${1000 + p} 6 1 40 ${t} ${t + 5} REJECT OK`);
    }
  }
  return `${lines.join('\n')}\n`;
}

describe('the hourly block cap in a local run', () => {
  it('50 port scanners at once, policy auto, cap 20: exactly 20 CONTAINED, the rest GUARDED by the cap, every execution SUCCEEDED', async () => {
    const end = 1763805600;
    const input = path.join(dir, 'scan.log');
    await writeFile(input, scanners(50, end));
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
