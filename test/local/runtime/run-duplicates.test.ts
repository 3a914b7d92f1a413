import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { DEFAULT_CONFIG } from '../../../core/detection/config';
import { DEFAULT_INCIDENT_CONFIG } from '../../../core/policy/incident-config';
import { runLocal } from '../../../local/runtime/runtime';
import { writeSample } from '../../../local/sample/write';

let dir: string;
beforeAll(async () => {
  dir = await mkdtemp(path.join(tmpdir(), 'flowir-run-dups-'));
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

describe('flowir run over a folder holding the same records twice (the sample: S3 layout and plain file)', () => {
  it('counts them once, and says so on its progress lines as scan does', async () => {
    const sample = await writeSample(path.join(dir, 'sample'), { records: 3000, seed: 5 });
    const lines: string[] = [];
    const once = await runLocal({ inputs: [sample.s3Root], config: DEFAULT_CONFIG, incident: DEFAULT_INCIDENT_CONFIG, windowSeconds: 3600, until: 1763805600, decide: 'approve', stateDir: path.join(dir, 'a') });
    const both = await runLocal({ inputs: [path.join(dir, 'sample')], config: DEFAULT_CONFIG, incident: DEFAULT_INCIDENT_CONFIG, windowSeconds: 3600, until: 1763805600, decide: 'approve', stateDir: path.join(dir, 'b'), progress: (l) => lines.push(l) });
    expect(both.scan.findings).toEqual(once.scan.findings);
    expect(both.scan.records.inWindow).toBe(once.scan.records.inWindow);
    expect(lines.some((l) => l.includes('hold the same records as others'))).toBe(true);
    expect(lines.find((l) => l.startsWith('window '))).toMatch(/: [\d,]+ records, \d+ findings over threshold$/);
  });
});
