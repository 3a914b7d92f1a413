import { mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { DEFAULT_CONFIG, parseConfig, type FlowirConfig } from '../../../core/detection/config';
import { DEFAULT_INCIDENT_CONFIG, parseIncidentConfig, type IncidentConfig } from '../../../core/policy/incident-config';
import { runLocal, type LocalRunOptions } from '../../../local/runtime/runtime';
import { runSummary, anyFailed, type ExecutionSummary } from '../../../local/runtime/summary';
import { writeSample } from '../../../local/sample/write';

let dir: string;
let sample: string;
beforeAll(async () => {
  dir = await mkdtemp(path.join(tmpdir(), 'flowir-run-'));
  sample = (await writeSample(path.join(dir, 'sample'), { records: 3000, seed: 5 })).s3Root;
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

let n = 0;
async function run(options: Partial<LocalRunOptions> & { config?: FlowirConfig; incident?: IncidentConfig } = {}) {
  const stateDir = options.stateDir ?? path.join(dir, `state-${++n}`);
  const result = await runLocal({ inputs: [sample], config: DEFAULT_CONFIG, incident: DEFAULT_INCIDENT_CONFIG, windowSeconds: 3600, until: 1763805600, decide: 'approve', ...options, stateDir });
  const summary = runSummary(result);
  const bySource = new Map<string, ExecutionSummary>(summary.executions.map((e) => [`${e.finding.detection} ${e.finding.source}`, e]));
  return { result, summary, bySource, stateDir };
}

describe('flowir run (the synthesized workflows, the handlers, local adapters)', () => {
  it('approve: one incident per finding; exactly the CRITICAL external sources blocked, then released; a ticket each', async () => {
    const { result, summary, bySource, stateDir } = await run();
    expect(anyFailed(result)).toBe(false);
    expect(summary.executions).toHaveLength(summary.findings.length);
    expect(summary.executions.every((e) => e.status === 'SUCCEEDED')).toBe(true);
    const blocked = summary.executions.flatMap((e) => e.containment?.blocked ?? []).sort();
    expect(blocked).toEqual(['198.51.100.23/32', '2001:db8:bad::50/128', '203.0.113.50/32']);
    for (const e of summary.executions) {
      expect(e.containment?.ticket).toMatch(/^OI-/);
      expect(e.evidence).not.toBeNull();
    }
    expect(bySource.get('PORT_SCAN 198.51.100.23')?.decision?.approver).toBe('local-cli');
    expect(bySource.get('PORT_SCAN 10.0.99.9')?.outcome).toBe('GUARDED');
    expect(bySource.get('PORT_SCAN 10.0.99.9')?.containment?.guardrail).toBe('private-range');
    expect(bySource.get('HIGH_TRAFFIC_VOLUME 192.0.2.10')?.outcome).toBe('NOTIFIED');
    // Released after the (fast-forwarded) expiry: the IP sets are empty again.
    const v4 = JSON.parse(await readFile(path.join(stateDir, 'waf', 'flowir-blocklist-v4.json'), 'utf8')) as { addresses: string[] };
    expect(v4.addresses).toEqual([]);
    const released = bySource.get('PORT_SCAN 198.51.100.23')?.containment;
    expect(Date.parse(released?.releasedAt ?? '') - Date.parse(released?.blockedAt ?? '')).toBeGreaterThanOrEqual(DEFAULT_INCIDENT_CONFIG.blockDurationSeconds * 1000);
    // Every notice went to the outbox, the approval ones with their links.
    const outbox = await readdir(path.join(stateDir, 'outbox'));
    const approvals = (await Promise.all(outbox.map(async (f) => JSON.parse(await readFile(path.join(stateDir, 'outbox', f), 'utf8')) as { data: { kind: string } }))).filter((m) => m.data.kind === 'approval');
    expect(approvals).toHaveLength(3);
  });

  it('reject: nothing blocked, REJECTED recorded with the approver', async () => {
    const { summary } = await run({ decide: 'reject' });
    const critical = summary.executions.filter((e) => e.finding.severity === 'CRITICAL' && e.outcome !== 'GUARDED');
    expect(critical.map((e) => e.outcome)).toEqual(['REJECTED', 'REJECTED', 'REJECTED']);
    expect(summary.executions.flatMap((e) => e.containment?.blocked ?? [])).toEqual([]);
  });

  it('approval timeout: escalated, nothing blocked, TIMED_OUT', async () => {
    const { summary, stateDir } = await run({ decide: undefined, incident: { ...DEFAULT_INCIDENT_CONFIG, approvalTimeoutSeconds: 1 } });
    const critical = summary.executions.filter((e) => e.finding.severity === 'CRITICAL' && e.outcome !== 'GUARDED');
    expect(critical.map((e) => e.outcome)).toEqual(['TIMED_OUT', 'TIMED_OUT', 'TIMED_OUT']);
    expect(critical.every((e) => e.containment?.blocked.length === 0)).toBe(true);
    const outbox = await readdir(path.join(stateDir, 'outbox'));
    const kinds = await Promise.all(outbox.map(async (f) => (JSON.parse(await readFile(path.join(stateDir, 'outbox', f), 'utf8')) as { data: { kind: string } }).data.kind));
    expect(kinds.filter((k) => k === 'escalation')).toHaveLength(3);
  });

  it('auto policy contains CRITICAL findings with no one asked', async () => {
    const incident = parseIncidentConfig({ policy: { CRITICAL: 'auto' } });
    const { summary } = await run({ decide: undefined, incident });
    const contained = summary.executions.filter((e) => e.outcome === 'CONTAINED');
    expect(contained).toHaveLength(3);
    expect(contained.every((e) => e.decision === null)).toBe(true);
    expect(summary.approvalLinks).toBe(0);
  });

  it('an allowlisted source opens no incident; a private one is never blocked', async () => {
    const config = parseConfig({ allowlist: ['198.51.100.0/24'] });
    const { summary } = await run({ config });
    expect(summary.executions.map((e) => e.finding.source)).not.toContain('198.51.100.23');
    expect(summary.executions.flatMap((e) => e.containment?.blocked ?? []).sort()).toEqual(['2001:db8:bad::50/128', '203.0.113.50/32']);
  });

  it('a repeated finding is suppressed while its incident is recent', async () => {
    const first = await run();
    const second = await run({ stateDir: first.stateDir });
    expect(second.summary.executions.length).toBe(first.summary.executions.length);
    const rows = (xs: typeof first.summary.executions, outcome?: string) => xs.map((e) => [e.finding.id, outcome ?? e.outcome, outcome === undefined ? e.name : null]).sort();
    expect(rows(second.summary.executions)).toEqual(rows(first.summary.executions, 'SUPPRESSED'));
  });

  it('a WAF failure is caught and recorded: FAILED, notified, nothing left blocked', async () => {
    const stateDir = path.join(dir, 'broken-waf');
    // The IP set file cannot be parsed: every WAF call fails.
    await writeFile(path.join(await mkdtempIn(stateDir, 'waf'), 'flowir-blocklist-v4.json'), '{ not json');
    const { result, bySource } = await run({ stateDir });
    expect(anyFailed(result)).toBe(true);
    const failed = bySource.get('PORT_SCAN 198.51.100.23');
    expect(failed?.status).toBe('FAILED');
    expect(failed?.outcome).toBe('FAILED');
    expect(failed?.error).toMatch(/IncidentFailed/);
    // IPv6 set was fine: that incident still completed.
    expect(bySource.get('PORT_SCAN 2001:db8:bad::50')?.outcome).toBe('CONTAINED');
  });
});

async function mkdtempIn(root: string, sub: string): Promise<string> {
  const { mkdir } = await import('node:fs/promises');
  const d = path.join(root, sub);
  await mkdir(d, { recursive: true });
  return d;
}
