import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { DEFAULT_CONFIG } from '../../../core/detection/config';
import { DEFAULT_INCIDENT_CONFIG } from '../../../core/policy/incident-config';
import { SAMPLE_VPC } from '../../../core/sample/generate';
import { defaultNetworkAclIdOf } from '../../../local/adapters/network-acl';
import { renderRunSummary } from '../../../local/runtime/render-summary';
import { runLocal } from '../../../local/runtime/runtime';
import { runSummary, type RunSummary } from '../../../local/runtime/summary';
import { writeSample } from '../../../local/sample/write';

jest.setTimeout(120_000);

let dir: string;
let summary: RunSummary;
const acl = defaultNetworkAclIdOf(SAMPLE_VPC.vpcId);

beforeAll(async () => {
  dir = await mkdtemp(path.join(tmpdir(), 'flowir-nacl-'));
  const sample = (await writeSample(path.join(dir, 'sample'), { records: 3000, seed: 5 })).s3Root;
  const run = await runLocal({ inputs: [sample], config: DEFAULT_CONFIG, incident: DEFAULT_INCIDENT_CONFIG, windowSeconds: 3600, until: 1763805600, decide: 'approve', stateDir: path.join(dir, 'state') });
  summary = runSummary(run);
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

const isPrivate = (a: string): boolean => /^(10\.|192\.168\.|172\.(1[6-9]|2\d|3[01])\.)/.test(a) || /^f[cd]/i.test(a);

describe('network ACL containment in a local run on the sample (approve)', () => {
  it('denies every CRITICAL external source in the ACL of its targeted subnet and in its WAF IP set: CONTAINED', () => {
    const critical = summary.executions.filter((e) => e.finding.severity === 'CRITICAL' && !isPrivate(e.finding.source));
    expect(critical.length).toBeGreaterThanOrEqual(2);
    for (const e of critical) {
      const cidr = e.finding.source.includes(':') ? `${e.finding.source}/128` : `${e.finding.source}/32`;
      expect([e.finding.id, e.outcome]).toEqual([e.finding.id, 'CONTAINED']);
      expect(e.containment?.blocked).toEqual([cidr]);
      expect(e.containment?.contained).toBe(true);
      expect(e.containment?.networkAclEntries).toEqual([{ networkAclId: acl, ruleNumber: expect.any(Number) as unknown, cidr }]);
      const n = e.containment?.networkAclEntries[0]?.ruleNumber ?? 0;
      expect(n >= 1 && n <= 99).toBe(true);
      expect(e.containment?.releasedAt).not.toBeNull();
    }
  });

  it('denies no private source, and blocks no WARNING finding', () => {
    for (const e of summary.executions.filter((x) => isPrivate(x.finding.source))) {
      expect(e.outcome).toBe('GUARDED');
      expect(e.containment?.blocked ?? []).toEqual([]);
      expect(e.containment?.networkAclEntries ?? []).toEqual([]);
    }
    const warnings = summary.executions.filter((e) => e.finding.severity === 'WARNING');
    expect(warnings.length).toBeGreaterThan(0);
    for (const e of warnings) {
      expect(e.outcome).toBe('NOTIFIED');
      expect(e.containment?.blocked ?? []).toEqual([]);
      expect(e.containment?.networkAclEntries ?? []).toEqual([]);
    }
  });

  it('leaves no flowir entry in the ACL and nothing in the ledger after the (fast-forwarded) expiry', async () => {
    const state = JSON.parse(await readFile(path.join(dir, 'state', 'network-acls.json'), 'utf8')) as { networkAcls: Array<{ networkAclId: string; entries: Array<{ ruleNumber: number; egress: boolean }> }> };
    const numbers = state.networkAcls.find((a) => a.networkAclId === acl)?.entries.map((e) => `${e.egress ? 'out' : 'in'} ${e.ruleNumber}`).sort();
    expect(numbers).toEqual(['in 100', 'in 101', 'in 32767', 'in 32768', 'out 100', 'out 101', 'out 32767', 'out 32768']);
    const ledger = JSON.parse(await readFile(path.join(dir, 'state', 'acl-ledger.json'), 'utf8')) as { holdings: unknown[] };
    expect(ledger.holdings).toEqual([]);
  });

  it('names the entries in --json (each containment has networkAclEntries) and in the text summary', () => {
    for (const e of summary.executions) if (e.containment !== null) expect(Array.isArray(e.containment.networkAclEntries)).toBe(true);
    const text = renderRunSummary(summary);
    expect(text).toMatch(new RegExp(`denied in network ACL ${acl} #\\d+ 203\\.0\\.113\\.50/32`));
  });
});
