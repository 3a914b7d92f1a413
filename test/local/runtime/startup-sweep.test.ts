import { mkdtemp, readdir, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { DEFAULT_CONFIG } from '../../../core/detection/config';
import { DEFAULT_INCIDENT_CONFIG } from '../../../core/policy/incident-config';
import { createLocalAdapters, openStateDir } from '../../../local/adapters';
import { runLocal } from '../../../local/runtime/runtime';
import { runSummary } from '../../../local/runtime/summary';

const PLAIN = path.join(__dirname, '..', '..', 'fixtures', 'flowlogs', 'plain', 'exported-from-cloudwatch-v2.log');
const V4 = { name: 'flowir-blocklist-v4', id: 'local-v4', scope: 'REGIONAL', version: 4 } as const;

let dir: string;
beforeAll(async () => {
  dir = await mkdtemp(path.join(tmpdir(), 'flowir-startup-sweep-'));
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

describe('a run starts by sweeping what an earlier, killed run left', () => {
  it('releases the orphan block (record and IP set address), removes stray temporary files, and says so', async () => {
    const stateDir = path.join(dir, 'state');
    await openStateDir(stateDir);
    // What kill -9 right after an approval leaves: the block recorded and the address in the IP set, nobody to release it.
    const earlier = createLocalAdapters({ stateDir, inputs: [] });
    const now = Date.now();
    await earlier.blocks.put({ cidr: '203.0.113.50/32', ipSet: V4, executionName: 'PORT_SCAN-203-0-113-50-1763805600', findingId: 'PORT_SCAN:203.0.113.50:1763805600', blockedAt: new Date(now - 60_000).toISOString(), expiresAt: new Date(now + 86_400_000).toISOString() });
    const snap = await earlier.ipSets.get(V4);
    await earlier.ipSets.update(V4, [...snap.addresses, '203.0.113.50/32'], snap.lockToken);
    await writeFile(path.join(stateDir, '.blocks.json.4242.0123456789ab.tmp'), '{"blocks": [');

    const run = await runLocal({ inputs: [PLAIN], config: DEFAULT_CONFIG, incident: DEFAULT_INCIDENT_CONFIG, windowSeconds: 3600, stateDir, decide: 'approve' });

    expect(run.startupSweep.released).toEqual([{ cidr: '203.0.113.50/32', executionName: 'PORT_SCAN-203-0-113-50-1763805600', reason: 'run-ended' }]);
    expect(run.startupSweep.removedTempFiles).toEqual(['.blocks.json.4242.0123456789ab.tmp']);
    expect((await run.adapters.ipSets.get(V4)).addresses).not.toContain('203.0.113.50/32');
    expect(await run.adapters.blocks.byExecution('PORT_SCAN-203-0-113-50-1763805600')).toEqual([]);
    expect((await readdir(stateDir)).filter((f) => f.endsWith('.tmp'))).toEqual([]);
    expect(runSummary(run).startupSweep).toEqual(run.startupSweep);
  }, 60_000);
});
