/**
 * An interrupted `flowir run` (the CLI aborts it on SIGINT / SIGTERM): a real local run with
 * approvals pending, one of them approved by a person over HTTP so that its execution blocks the
 * source, and the run interrupted right then. Every unfinished execution must be recorded ABORTED
 * (an ExecutionAborted event closing its history), the block must be released by the sweeper and
 * that release recorded, and `flowir audit` must find the record complete.
 */
import { mkdtemp, readFile, rm, unlink } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { DEFAULT_CONFIG } from '../../../core/detection/config';
import { DEFAULT_INCIDENT_CONFIG } from '../../../core/policy/incident-config';
import { EXIT_CHECK_FAILED } from '../../../local/cli/audit-command';
import { executionHistoryFile, readExecutionHistory, type ExecutionHistoryDocument } from '../../../local/history';
import { runLocal, type ApprovalLink, type LocalRun } from '../../../local/runtime/runtime';
import { runSummary } from '../../../local/runtime/summary';
import { renderInterrupted, renderRunSummary } from '../../../local/runtime/render-summary';
import { writeSample } from '../../../local/sample/write';
import { audit, auditJson, listJson } from '../audit/cli';

let dir: string;
let sample: string;
beforeAll(async () => {
  dir = await mkdtemp(path.join(tmpdir(), 'flowir-interrupt-'));
  sample = (await writeSample(path.join(dir, 'sample'), { records: 3000, seed: 5 })).s3Root;
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

/** Open the page, then post the form, as a person would. */
async function decide(url: string, decision: 'approve' | 'reject'): Promise<number> {
  await (await fetch(url)).text();
  const u = new URL(url);
  const body = new URLSearchParams({ token: u.searchParams.get('token') ?? '', decision, comment: 'seen it' });
  const res = await fetch(`${u.origin}${u.pathname}`, { method: 'POST', body, headers: { 'content-type': 'application/x-www-form-urlencoded', origin: u.origin } });
  await res.text();
  return res.status;
}

interface Interrupted {
  readonly run: LocalRun;
  readonly stateDir: string;
  readonly links: readonly ApprovalLink[];
  readonly approved: ApprovalLink;
  readonly lines: readonly string[];
}

/** Three approvals out, the first approved over HTTP; the run is interrupted as soon as that execution has blocked its source. */
async function interruptedRun(): Promise<Interrupted> {
  const stateDir = path.join(dir, `state-${Math.random().toString(36).slice(2)}`);
  const controller = new AbortController();
  const links: ApprovalLink[] = [];
  const lines: string[] = [];
  let allOut!: () => void;
  const out = new Promise<void>((resolve) => (allOut = resolve));
  const done = runLocal({
    inputs: [sample],
    config: DEFAULT_CONFIG,
    incident: { ...DEFAULT_INCIDENT_CONFIG, approvalTimeoutSeconds: 600 },
    windowSeconds: 3600,
    until: 1763805600,
    stateDir,
    signal: controller.signal,
    onApprovalLink: (l) => {
      links.push(l);
      if (links.length === 3) allOut();
    },
    progress: (line) => {
      lines.push(line);
      // Ctrl-C between the block and its release: the moment a block could be left behind.
      if (/ blocked /.test(line)) controller.abort('SIGINT');
    },
  });
  await out;
  const approved = links.find((l) => l.findingId === 'PORT_SCAN:198.51.100.23:1763805600') as ApprovalLink;
  expect(await decide(approved.url, 'approve')).toBe(200);
  const run = await done;
  return { run, stateDir, links, approved, lines };
}

function history(stateDir: string, name: string): Promise<ExecutionHistoryDocument> {
  return readExecutionHistory(executionHistoryFile(stateDir, 'incident', name));
}

describe('an interrupted flowir run', () => {
  let r: Interrupted;
  beforeAll(async () => {
    r = await interruptedRun();
  });

  it('records every unfinished execution as ABORTED, its history closed by ExecutionAborted', async () => {
    const waiting = r.links.map((l) => l.executionName).sort();
    expect(r.run.interrupted?.reason).toBe('SIGINT');
    expect(r.run.interrupted?.aborted.map((e) => e.name).sort()).toEqual(waiting);
    for (const name of waiting) {
      const doc = await history(r.stateDir, name);
      expect([name, doc.status, doc.events[doc.events.length - 1]?.type]).toEqual([name, 'ABORTED', 'ExecutionAborted']);
      expect(doc.stopDate).not.toBeNull();
    }
    // The two still waiting for a person: their approval task was aborted, nothing after it ran.
    for (const l of r.links.filter((x) => x !== r.approved)) {
      const types = (await history(r.stateDir, l.executionName)).events.map((e) => e.type);
      expect(types.slice(-2)).toEqual(['TaskStateAborted', 'ExecutionAborted']);
      expect(types).not.toContain('TaskSucceeded');
    }
    // The executions that had ended before the interruption are recorded as they ended.
    const others = r.run.incidents.filter((e) => !waiting.includes(e.name));
    expect(others.length).toBeGreaterThan(0);
    for (const e of others) expect((await history(r.stateDir, e.name)).status).toBe('SUCCEEDED');
    expect(r.lines.some((l) => /^interrupted \(SIGINT\): stopping 3 running executions/.test(l))).toBe(true);
  });

  it('releases the block the approved incident made, records the release, and leaves the IP sets as they were', async () => {
    const name = r.approved.executionName;
    const doc = await history(r.stateDir, name);
    // Stopped while its Block task ran, as Step Functions records it: the task's result never reaches the history.
    const entered = doc.events.filter((e) => e.type.endsWith('StateEntered')).map((e) => (e.stateEnteredEventDetails as { name: string }).name);
    expect(entered[entered.length - 1]).toBe('BlockSource');
    expect(doc.events.map((e) => e.type).slice(-4)).toEqual(['LambdaFunctionScheduled', 'LambdaFunctionStarted', 'TaskStateAborted', 'ExecutionAborted']);
    const note = doc.local?.notes.find((n) => n.state === null && /sweep-expired/.test(n.text));
    expect(note?.text).toMatch(/^after the execution ended ABORTED, sweep-expired .* released 198\.51\.100\.23\/32$/);
    const released = (note?.data as { sweep: { released: Array<{ cidr: string; executionName: string; reason: string }> } }).sweep.released;
    expect(released).toEqual([{ cidr: '198.51.100.23/32', executionName: name, reason: 'execution-ended' }]);
    // The IPv4 set held the block and is empty again; the IPv6 set was never touched.
    const v4 = JSON.parse(await readFile(path.join(r.stateDir, 'waf', 'flowir-blocklist-v4.json'), 'utf8')) as { addresses: string[] };
    expect(v4.addresses).toEqual([]);
    await expect(readFile(path.join(r.stateDir, 'waf', 'flowir-blocklist-v6.json'))).rejects.toMatchObject({ code: 'ENOENT' });
    const blocks = JSON.parse(await readFile(path.join(r.stateDir, 'blocks.json'), 'utf8')) as { blocks: Array<{ executionName: string; removedAt?: string }> };
    expect(blocks.blocks.map((b) => [b.executionName, typeof b.removedAt])).toEqual([[name, 'string']]);
  });

  it('says so: the summary and the stderr line name the aborted executions and the released block', () => {
    const summary = runSummary(r.run);
    const approved = summary.executions.find((e) => e.name === r.approved.executionName);
    expect(approved?.status).toBe('ABORTED');
    expect(approved?.containment?.blocked).toEqual(['198.51.100.23/32']);
    expect(approved?.error).toBe('ABORTED: the run was interrupted (SIGINT); the sweeper released 198.51.100.23/32');
    const names = r.links.map((l) => l.executionName);
    expect(renderInterrupted(summary)).toBe(
      `interrupted: 3 executions recorded as ABORTED after SIGINT (${summary.interrupted?.aborted.join(', ')}); its blocks released by the sweeper: 198.51.100.23/32. See them with: flowir audit --state-dir ${r.stateDir}`,
    );
    expect([...(summary.interrupted?.aborted ?? [])].sort()).toEqual([...names].sort());
    const text = renderRunSummary(summary);
    expect(text).toContain(`ABORTED     ${approved?.finding.id} blocked 198.51.100.23/32 (released `);
    expect(text).toContain('ABORTED: the run was stopped before the incident ended');
  });

  it('flowir audit tells each aborted story, the sweeper release included, and passes', async () => {
    const { code, listing } = await listJson(['--state-dir', r.stateDir]);
    expect(code).toBe(0);
    const aborted = listing.executions.filter((e) => e.status === 'ABORTED').map((e) => e.name).sort();
    expect(aborted).toEqual(r.links.map((l) => l.executionName).sort());
    const { report } = await auditJson([r.approved.executionName, '--state-dir', r.stateDir]);
    // The history shows the block only through its release: the sweeper's, recorded in the local history.
    expect(report.story.containment).toBeNull();
    expect(report.story.sweep).toEqual({ released: ['198.51.100.23/32'], at: expect.any(String) });
    const release = report.story.timeline.find((t) => t.kind === 'release');
    expect(release?.title).toBe('After the execution ended ABORTED, the sweeper released 198.51.100.23/32');
    expect(report.story.timeline.map((t) => t.kind).slice(-3)).toEqual(['failure', 'release', 'outcome']);
  });

  it('says ABORTED plainly: the JSON keeps outcome FAILED (the outcome set has no ABORTED) with an error that says it was interrupted', async () => {
    const summary = runSummary(r.run);
    const aborted = summary.executions.filter((e) => e.status === 'ABORTED');
    expect(aborted).toHaveLength(3);
    for (const e of aborted) {
      expect([e.name, e.outcome]).toEqual([e.name, 'FAILED']);
      expect(e.error).toMatch(/^ABORTED: the run was interrupted \(SIGINT\)/);
    }
    // The person's summary: ABORTED, never FAILED.
    const text = renderRunSummary(summary);
    expect(text.match(/^ABORTED {5}/gm)).toHaveLength(3);
    expect(text).not.toMatch(/^FAILED /m);

    const list = await audit(['--state-dir', r.stateDir]);
    const rows = list.stdout.split('\n').filter((l) => aborted.some((e) => e.name !== null && l.endsWith(e.name)));
    expect(rows.map((l) => l.split(/ {2,}/)[1])).toEqual(['ABORTED', 'ABORTED', 'ABORTED']);

    const name = r.approved.executionName;
    const one = await audit([name, '--state-dir', r.stateDir]);
    expect(one.stdout).toContain('  status       ABORTED: stopped before it ended. Its outcome is FAILED in the --json documents, as the outcome set has no ABORTED\n');
    expect(one.stdout).not.toContain('a step failed');
    const { report } = await auditJson([name, '--state-dir', r.stateDir]);
    const last = report.story.timeline[report.story.timeline.length - 1];
    expect([last?.kind, last?.title, last?.tone]).toEqual(['outcome', 'Outcome: ABORTED — stopped before it ended', 'warn']);
    // The audit's JSON agrees with the run's: FAILED for every ABORTED execution.
    const { listing } = await listJson(['--state-dir', r.stateDir]);
    expect(listing.executions.filter((e) => e.status === 'ABORTED').map((e) => e.outcome)).toEqual(['FAILED', 'FAILED', 'FAILED']);
  });

  it('flowir audit fails, naming the incident, when an incident has evidence or approvals but no history', async () => {
    const name = r.links.find((x) => x !== r.approved)?.executionName ?? '';
    await unlink(executionHistoryFile(r.stateDir, 'incident', name));
    const text = await audit(['--state-dir', r.stateDir]);
    expect(text.code).toBe(EXIT_CHECK_FAILED);
    expect(text.stdout).toContain(`✗ ${name}: evidence, an approval and notices but no execution history`);
    const { listing } = await listJson(['--state-dir', r.stateDir]);
    expect(listing.ok).toBe(false);
    expect(listing.unrecorded).toEqual([{ name, found: ['evidence', 'approval', 'notices'] }]);
    const one = await audit([name, '--state-dir', r.stateDir]);
    expect(one.code).toBe(1);
    expect(one.stderr).toContain(`no execution history of "${name}"`);
  });
});
