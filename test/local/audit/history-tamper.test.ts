/**
 * The record is tamper-evident (issue 14 item 3): a real `flowir run --decide approve`, then one edit
 * at a time, each in a fresh copy of its state dir, to a history, its anchor, the approval store,
 * the block registry, the WAF IP sets or the evidence folders. Each is reported by `flowir audit`
 * (exit 3, naming what and where); the intact run verifies clean. Some edits are also made as a
 * forger would, the history re-sealed with a new chain and anchor (`writeExecutionHistory`): the
 * approval store and the block registry, which the forger did not rewrite, still catch them.
 */
import { cpSync, existsSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { DEFAULT_CONFIG } from '../../../core/detection/config';
import { DEFAULT_INCIDENT_CONFIG } from '../../../core/policy/incident-config';
import { EXIT_CHECK_FAILED } from '../../../local/cli/audit-command';
import { writeExecutionHistory, type ExecutionHistoryDocument } from '../../../local/history';
import { runLocal } from '../../../local/runtime/runtime';
import { runSummary, type RunSummary } from '../../../local/runtime/summary';
import { writeSample } from '../../../local/sample/write';
import { audit, auditJson, listJson } from './cli';

const made: string[] = [];
afterAll(() => {
  for (const dir of made.splice(0)) rmSync(dir, { recursive: true, force: true });
});
function tempDir(prefix: string): string {
  const dir = mkdtempSync(path.join(tmpdir(), prefix));
  made.push(dir);
  return dir;
}

let original = '';
let summary: RunSummary;
/** The contained incident a person (--decide: local-cli) approved. */
let name = '';
let blocked = '';

beforeAll(async () => {
  const sample = tempDir('flowir-tamper-sample-');
  await writeSample(sample, { records: 2000 });
  original = tempDir('flowir-tamper-run-');
  const run = await runLocal({
    inputs: [path.join(sample, 's3')],
    config: DEFAULT_CONFIG,
    incident: DEFAULT_INCIDENT_CONFIG,
    windowSeconds: DEFAULT_CONFIG.windowSeconds,
    stateDir: original,
    decide: 'approve',
  });
  summary = runSummary(run);
  const approved = summary.executions.find((e) => e.outcome === 'CONTAINED' && e.decision?.approver === 'local-cli' && e.finding.source.includes('.'));
  if (approved?.name == null) throw new Error('the sample run has no approved, contained IPv4 incident');
  name = approved.name;
  blocked = approved.containment?.blocked[0] ?? '';
  expect(blocked).toMatch(/\/32$/);
});

/** A fresh copy of the run's state dir, to edit. */
function copy(): string {
  const dir = tempDir('flowir-tamper-');
  cpSync(original, dir, { recursive: true });
  return dir;
}

const historyRel = (n: string): string => `executions/incident/${n}.json`;
const anchorRel = (n: string): string => `evidence/incidents/${n}/history-anchor.json`;

type Doc = Omit<ExecutionHistoryDocument, 'events'> & { events: Array<Record<string, unknown> & { id: number; type: string; timestamp: string }> };

function readDoc(dir: string, n = name): Doc {
  return JSON.parse(readFileSync(path.join(dir, historyRel(n)), 'utf8')) as Doc;
}
function writeDoc(dir: string, doc: Doc, n = name): void {
  writeFileSync(path.join(dir, historyRel(n)), `${JSON.stringify(doc, null, 2)}\n`);
}
/** A forger's rewrite: the edited history sealed anew, with a chain and an anchor that match it. */
async function reseal(dir: string, doc: Doc): Promise<void> {
  const { chain: _chain, ...rest } = doc as Doc & { chain?: unknown };
  await writeExecutionHistory(dir, rest as unknown as ExecutionHistoryDocument);
}
/** Every JSON text inside the history (state data, task results) and the document's own fields, edited by `edit`. */
function editPayloads(doc: Doc, edit: (data: Record<string, unknown>) => void): Doc {
  const visit = (v: unknown): unknown => {
    if (typeof v === 'string' && v.startsWith('{')) {
      try {
        const parsed = JSON.parse(v) as unknown;
        if (typeof parsed === 'object' && parsed !== null && !Array.isArray(parsed)) {
          edit(parsed as Record<string, unknown>);
          return JSON.stringify(parsed);
        }
      } catch {
        return v;
      }
      return v;
    }
    if (Array.isArray(v)) return v.map(visit);
    if (typeof v === 'object' && v !== null) return Object.fromEntries(Object.entries(v).map(([k, x]) => [k, visit(x)]));
    return v;
  };
  return visit(doc) as Doc;
}
function approvalFile(dir: string, n = name): string {
  const folder = path.join(dir, 'approvals');
  const file = readdirSync(folder).find((f) => (JSON.parse(readFileSync(path.join(folder, f), 'utf8')) as { executionName: string }).executionName === n);
  if (file === undefined) throw new Error(`no approval of ${n}`);
  return path.join(folder, file);
}

async function failedOne(dir: string, n = name): Promise<readonly string[]> {
  const { code, report } = await auditJson([n, '--state-dir', dir]);
  expect(code).toBe(EXIT_CHECK_FAILED);
  expect(report.ok).toBe(false);
  const text = await audit([n, '--state-dir', dir]);
  expect(text.code).toBe(EXIT_CHECK_FAILED);
  expect(text.stdout).toContain('CHECKS FAILED — the record has been altered or is incomplete:');
  for (const p of report.problems) expect(text.stdout).toContain(`  ✗ ${p}`);
  return report.problems;
}

const escape = (s: string): string => s.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&');

describe('a local run verifies clean', () => {
  it('every incident: exit 0, the history matches its anchor and agrees with the approval store and the block registry', async () => {
    const dir = copy();
    const { code, listing } = await listJson(['--state-dir', dir]);
    expect([code, listing.ok, listing.unrecorded, listing.problems]).toEqual([0, true, [], []]);
    for (const e of summary.executions) {
      const { code: one, report } = await auditJson([e.name ?? '', '--state-dir', dir]);
      expect([e.name, one, report.problems, report.record.verdict]).toEqual([e.name, 0, [], 'verified']);
      expect(report.record.anchor?.key).toBe(`incidents/${e.name}/history-anchor.json`);
    }
    const text = await audit([name, '--state-dir', dir]);
    expect(text.stdout).toMatch(new RegExp(`Record +${escape(historyRel(name))} matches its anchor ${escape(anchorRel(name))}: \\d+ events, chain head [0-9a-f]{12}`));
    expect(text.stdout).toContain(`the decision (approve by local-cli at ${summary.executions.find((e) => e.name === name)?.decision?.at}) agrees with the approval store`);
    expect(text.stdout).toContain(`the block of ${blocked} agrees with blocks.json and the WAF IP set, and its network ACL deny entry with acl-ledger.json and network-acls.json`);
    expect(text.stdout).toMatch(/All checks passed: the history matches its anchor and agrees with the approval store and the block registry; 5 evidence objects match their manifest hashes, and the recount from the raw records matches the history\.\n/);
    // What a local audit can and cannot prove, said once, last.
    expect(text.stdout).toMatch(/\nA local audit catches an edit made alone to what a history says, to its anchor's seal, to the evidence, or to the decision and blocks the approval store, the block registry, the WAF IP sets and the network ACLs record; it cannot catch a consistent rewrite of all of them by someone who can write the whole state dir[^\n]*\n$/);
    expect((await audit(['--state-dir', dir])).stdout).toMatch(/\nA local audit catches an edit made alone to[^\n]*\n$/);
  });
});

describe('each edit is reported, naming what and where', () => {
  it('the approver replaced in the history (local-cli → mallory): the edited event, and the approval store that says otherwise', async () => {
    const dir = copy();
    const file = path.join(dir, historyRel(name));
    writeFileSync(file, readFileSync(file, 'utf8').replaceAll('local-cli', 'mallory'));
    const problems = await failedOne(dir);
    expect(problems).toContainEqual(expect.stringMatching(new RegExp(`^${escape(historyRel(name))}: event \\d+ \\(\\w+\\) is not the event ${escape(anchorRel(name))} sealed: it was edited after the history was written`)));
    expect(problems).toContainEqual(expect.stringMatching(new RegExp(`^decision: ${escape(historyRel(name))} records approve by mallory at .+, but the approval store's approvals/approval-[\\w-]+\\.json records approve by local-cli at .+ \\(approver differs\\)$`)));
    // The list row shows the decision as the history has it, and fails.
    const { code, listing } = await listJson(['--state-dir', dir]);
    expect(code).toBe(EXIT_CHECK_FAILED);
    const row = listing.executions.find((e) => e.name === name);
    expect(row?.decision?.approver).toBe('mallory');
    expect(row?.record).toBe('failed');
  });

  it('the approver replaced and the history re-sealed with a new chain and anchor: the approval store still says local-cli', async () => {
    const dir = copy();
    await reseal(dir, editPayloads(readDoc(dir), (d) => {
      if (d.approver === 'local-cli') d.approver = 'mallory';
      const decision = d.decision as Record<string, unknown> | null | undefined;
      if (typeof decision === 'object' && decision !== null && decision.approver === 'local-cli') decision.approver = 'mallory';
    }));
    const problems = await failedOne(dir);
    expect(problems).toEqual([expect.stringMatching(/^decision: .* records approve by mallory at .*, but the approval store's .* records approve by local-cli at .* \(approver differs\)$/)]);
  });

  it('the outcome edited (CONTAINED → NOTIFIED): the first edited event by id and type, in the history file', async () => {
    const dir = copy();
    const doc = readDoc(dir);
    const edited = editPayloads(doc, (d) => {
      if (d.outcome === 'CONTAINED') d.outcome = 'NOTIFIED';
    });
    writeDoc(dir, edited);
    const first = edited.events.find((e, i) => JSON.stringify(e) !== JSON.stringify(doc.events[i]));
    expect(first?.type).toBe('PassStateExited');
    const problems = await failedOne(dir);
    expect(problems).toContain(`${historyRel(name)}: event ${first?.id} (PassStateExited) is not the event ${anchorRel(name)} sealed: it was edited after the history was written`);
    expect(problems).toContain(`${historyRel(name)}: its output is not what ${anchorRel(name)} sealed: edited after the history was written`);
  });

  it('the manifest hash edited in the task result only (which the audit never compared): the event, and the history disagreeing with itself', async () => {
    const dir = copy();
    const doc = readDoc(dir);
    const result = doc.events.find((e) => e.type === 'LambdaFunctionSucceeded' && typeof e.lambdaFunctionSucceededEventDetails === 'object' && String((e.lambdaFunctionSucceededEventDetails as { output?: string }).output).includes('manifestSha256'));
    if (result === undefined) throw new Error('no SnapshotEvidence result');
    const details = result.lambdaFunctionSucceededEventDetails as { output: string };
    details.output = details.output.replace(/"manifestSha256":"[0-9a-f]{64}"/, `"manifestSha256":"${'0'.repeat(64)}"`);
    writeDoc(dir, doc);
    const problems = await failedOne(dir);
    expect(problems).toContain(`${historyRel(name)}: event ${result.id} (LambdaFunctionSucceeded) is not the event ${anchorRel(name)} sealed: it was edited after the history was written`);
    expect(problems).toContainEqual(expect.stringMatching(new RegExp(`^the history disagrees with itself: the result of SnapshotEvidence \\(event ${result.id}, LambdaFunctionSucceeded\\) differs from the evidence in its state's output \\(event \\d+\\)`)));
  });

  it('a block event removed: the event gone, by id and type', async () => {
    const dir = copy();
    const doc = readDoc(dir);
    const index = doc.events.findIndex((e) => e.type === 'LambdaFunctionSucceeded' && String((e.lambdaFunctionSucceededEventDetails as { output?: string }).output).includes('"status":"blocked"'));
    const removed = doc.events[index];
    doc.events.splice(index, 1);
    writeDoc(dir, doc);
    const problems = await failedOne(dir);
    expect(problems).toContain(`${historyRel(name)}: event ${removed?.id} (LambdaFunctionSucceeded) that ${anchorRel(name)} sealed is gone: removed after the history was written (${doc.events.length + 1} events sealed, ${doc.events.length} now)`);
  });

  it('the block erased from the history and the history re-sealed: blocks.json still records it', async () => {
    const dir = copy();
    const doc = readDoc(dir);
    const states = new Set(['BlockSource', 'Blocked', 'MarkContained', 'WaitForExpiry', 'ReleaseBlock']);
    // Drop the events of the states that blocked and released, and every trace of the block in the state data.
    const kept: Doc['events'] = [];
    let skipping = false;
    for (const e of doc.events) {
      const entered = (e.stateEnteredEventDetails as { name?: string } | undefined)?.name;
      const exited = (e.stateExitedEventDetails as { name?: string } | undefined)?.name;
      if (entered !== undefined && states.has(entered)) skipping = true;
      if (!skipping) kept.push(e);
      if (exited !== undefined && states.has(exited)) skipping = false;
    }
    const forged = editPayloads({ ...doc, events: kept }, (d) => {
      if ('containment' in d) d.containment = null;
      if ('release' in d) d.release = null;
      if (d.outcome === 'CONTAINED') d.outcome = 'NOTIFIED';
    });
    await reseal(dir, forged);
    const problems = await failedOne(dir);
    expect(problems).toContainEqual(expect.stringMatching(new RegExp(`^containment: blocks\\.json records the block of ${escape(blocked)} by this execution at \\S+, but ${escape(historyRel(name))} records no such block$`)));
  });

  it('a timestamp backdated: the event by id and type, with both times', async () => {
    const dir = copy();
    const doc = readDoc(dir);
    const decided = doc.events.find((e) => e.type === 'TaskSucceeded' && String((e.taskSucceededEventDetails as { output?: string }).output).includes('"approver"'));
    if (decided === undefined) throw new Error('no decision event');
    const was = decided.timestamp;
    decided.timestamp = new Date(Date.parse(was) - 3600_000).toISOString();
    writeDoc(dir, doc);
    const problems = await failedOne(dir);
    expect(problems).toContain(`${historyRel(name)}: event ${decided.id} (TaskSucceeded) is not the event ${anchorRel(name)} sealed: it was edited after the history was written; its timestamp reads ${decided.timestamp}, the sealed one ${was}`);
  });

  it('events reordered: named', async () => {
    const dir = copy();
    const doc = readDoc(dir);
    const [a, b] = [doc.events[10], doc.events[11]];
    if (a === undefined || b === undefined) throw new Error('short history');
    doc.events[10] = b;
    doc.events[11] = a;
    writeDoc(dir, doc);
    const problems = await failedOne(dir);
    expect(problems).toContain(`${historyRel(name)}: event ${b.id} (${b.type}) is not where ${anchorRel(name)} sealed it: the events were reordered after the history was written`);
  });

  it('a history deleted: its evidence, approval, notices and anchor are reported (the list fails); its name says there is no story', async () => {
    const dir = copy();
    const sealed = JSON.parse(readFileSync(path.join(dir, anchorRel(name)), "utf8")) as { eventCount: number; writtenAt: string };
    rmSync(path.join(dir, historyRel(name)));
    const text = await audit(['--state-dir', dir]);
    expect(text.code).toBe(EXIT_CHECK_FAILED);
    expect(text.stdout).toContain(`✗ ${name}: evidence, an approval and notices but no execution history`);
    expect(text.stdout).toContain(`✗ ${anchorRel(name)}: the anchor of a history of ${name} written ${sealed.writtenAt} (${sealed.eventCount} events, SUCCEEDED), which is no longer in executions/: the history was deleted`);
    const { listing } = await listJson(['--state-dir', dir]);
    expect(listing.ok).toBe(false);
    expect(listing.unrecorded).toEqual([{ name, found: ['evidence', 'approval', 'notices'] }]);
    const one = await audit([name, '--state-dir', dir]);
    expect(one.code).toBe(1);
    expect(one.stderr).toContain(`no execution history of "${name}"`);
  });

  it('a stray incidents/FAKE-1/ folder (another incident\'s evidence copied in): a folder no execution wrote', async () => {
    const dir = copy();
    const fake = path.join(dir, 'evidence', 'incidents', 'FAKE-1');
    mkdirSync(fake);
    for (const f of ['manifest.json', 'records.log.gz', 'query.json']) cpSync(path.join(dir, 'evidence', 'incidents', name, f), path.join(fake, f));
    const text = await audit(['--state-dir', dir]);
    expect(text.code).toBe(EXIT_CHECK_FAILED);
    expect(text.stdout).toContain('✗ evidence/incidents/FAKE-1/: a folder no execution wrote (3 objects): no history, history anchor, approval or notice names FAKE-1, and no manifest in it is of a finding of that name');
    const { listing } = await listJson(['--state-dir', dir]);
    expect(listing.ok).toBe(false);
    expect(listing.unrecorded).toEqual([]);
    expect(listing.problems).toHaveLength(1);
    const one = await audit(['FAKE-1', '--state-dir', dir]);
    expect(one.code).toBe(1);
    expect(one.stderr).toContain('a folder no execution wrote');
  });

  it('the approval store edited (the approver in the approval file): the decision no longer agrees', async () => {
    const dir = copy();
    const file = approvalFile(dir);
    const doc = JSON.parse(readFileSync(file, 'utf8')) as { decision: { approver: string } };
    doc.decision.approver = 'mallory';
    writeFileSync(file, JSON.stringify(doc, null, 2));
    const problems = await failedOne(dir);
    expect(problems).toEqual([`decision: ${historyRel(name)} records approve by local-cli at ${summary.executions.find((e) => e.name === name)?.decision?.at}, but the approval store's approvals/${path.basename(file)} records approve by mallory at ${summary.executions.find((e) => e.name === name)?.decision?.at} (approver differs)`]);
  });

  it('the approval deleted from the store: the decision has nothing behind it', async () => {
    const dir = copy();
    rmSync(approvalFile(dir));
    const problems = await failedOne(dir);
    expect(problems).toEqual([expect.stringMatching(new RegExp(`^decision: ${escape(historyRel(name))} records approve by local-cli at \\S+, but the approval store \\(approvals/\\) holds no decision for this execution$`))]);
  });

  it('the block removed from blocks.json: the history\'s block has no record', async () => {
    const dir = copy();
    const file = path.join(dir, 'blocks.json');
    const doc = JSON.parse(readFileSync(file, 'utf8')) as { blocks: Array<{ executionName: string }> };
    doc.blocks = doc.blocks.filter((b) => b.executionName !== name);
    writeFileSync(file, JSON.stringify(doc, null, 2));
    const problems = await failedOne(dir);
    expect(problems).toEqual([expect.stringMatching(new RegExp(`^containment: ${escape(historyRel(name))} records the block of ${escape(blocked)} at \\S+, but blocks\\.json holds no record of it for this execution$`))]);
  });

  it('the block\'s release undone in blocks.json and the address put back in the WAF IP set: both named', async () => {
    const dir = copy();
    const file = path.join(dir, 'blocks.json');
    const doc = JSON.parse(readFileSync(file, 'utf8')) as { blocks: Array<{ executionName: string; removedAt?: string }> };
    for (const b of doc.blocks) if (b.executionName === name) delete b.removedAt;
    writeFileSync(file, JSON.stringify(doc, null, 2));
    const waf = path.join(dir, 'waf', 'flowir-blocklist-v4.json');
    const set = JSON.parse(readFileSync(waf, 'utf8')) as { addresses: string[] };
    set.addresses.push(blocked);
    writeFileSync(waf, JSON.stringify(set, null, 2));
    const problems = await failedOne(dir);
    expect(problems).toEqual([`release: ${historyRel(name)} records the release of ${blocked}, but blocks.json still holds its block live`]);
    const { listing } = await listJson(['--state-dir', dir]);
    expect(listing.ok).toBe(false);
  });

  it('an address added to the WAF IP set that no block accounts for: named in the list', async () => {
    const dir = copy();
    const waf = path.join(dir, 'waf', 'flowir-blocklist-v4.json');
    const set = JSON.parse(readFileSync(waf, 'utf8')) as { addresses: string[] };
    set.addresses.push('192.0.2.99/32');
    writeFileSync(waf, JSON.stringify(set, null, 2));
    const { code, listing } = await listJson(['--state-dir', dir]);
    expect(code).toBe(EXIT_CHECK_FAILED);
    expect(listing.problems).toEqual(['waf/flowir-blocklist-v4.json: 192.0.2.99/32 is in the WAF IP set, but no live block in blocks.json accounts for it']);
  });

  it('the network ACL deny put back after its release (the ledger holding and the ACL entry both restored): named', async () => {
    const dir = copy();
    const doc = readDoc(dir);
    const containment = (JSON.parse(doc.output ?? '{}') as { containment: { networkAclEntries: Array<{ networkAclId: string; ruleNumber: number; cidr: string }>; expiresAt: string } }).containment;
    const entry = containment.networkAclEntries[0];
    if (entry === undefined) throw new Error('the contained incident placed no network ACL deny');
    const ledgerFile = path.join(dir, 'acl-ledger.json');
    const ledger = JSON.parse(readFileSync(ledgerFile, 'utf8')) as { holdings: unknown[] };
    ledger.holdings.push({ ...entry, executionName: name, expiresAt: containment.expiresAt });
    writeFileSync(ledgerFile, JSON.stringify(ledger, null, 2));
    const aclsFile = path.join(dir, 'network-acls.json');
    const acls = JSON.parse(readFileSync(aclsFile, 'utf8')) as { networkAcls: Array<{ networkAclId: string; entries: unknown[] }> };
    acls.networkAcls.find((a) => a.networkAclId === entry.networkAclId)?.entries.push({ ruleNumber: entry.ruleNumber, egress: false, ruleAction: 'deny', protocol: '-1', cidr: entry.cidr });
    writeFileSync(aclsFile, JSON.stringify(acls, null, 2));
    const problems = await failedOne(dir);
    expect(problems).toEqual([`release: ${historyRel(name)} records the release of the network ACL deny of ${entry.cidr} (rule ${entry.ruleNumber} of ${entry.networkAclId}), but acl-ledger.json still holds it for this execution`]);
  });

  it('a network ACL holding with no entry in its ACL: named in the list', async () => {
    const dir = copy();
    const ledgerFile = path.join(dir, 'acl-ledger.json');
    const acl = (JSON.parse(readFileSync(path.join(dir, 'network-acls.json'), 'utf8')) as { networkAcls: Array<{ networkAclId: string }> }).networkAcls[0]?.networkAclId ?? '';
    writeFileSync(ledgerFile, JSON.stringify({ holdings: [{ networkAclId: acl, ruleNumber: 7, cidr: '192.0.2.77/32', executionName: name, expiresAt: '2030-01-01T00:00:00.000Z' }] }, null, 2));
    const { code, listing } = await listJson(['--state-dir', dir]);
    expect(code).toBe(EXIT_CHECK_FAILED);
    expect(listing.problems).toEqual([`acl-ledger.json: ${name} holds the network ACL deny of 192.0.2.77/32 (rule 7 of ${acl}), but network-acls.json has no such entry`]);
    expect(listing.executions.find((e) => e.name === name)?.problems).toEqual([`containment: acl-ledger.json holds the network ACL deny of 192.0.2.77/32 (rule 7 of ${acl}) for this execution, but ${historyRel(name)} records no such entry`]);
  });

  it('the anchor deleted: the history has nothing to vouch for it', async () => {
    const dir = copy();
    rmSync(path.join(dir, anchorRel(name)));
    const problems = await failedOne(dir);
    expect(problems).toEqual([`${historyRel(name)}: no history anchor (${anchorRel(name)} is missing): nothing shows this history is the one the run wrote`]);
  });

  it('a detection history edited: named in the list', async () => {
    const dir = copy();
    const machine = readdirSync(path.join(dir, 'executions')).find((m) => m !== 'incident') ?? '';
    const detection = readdirSync(path.join(dir, 'executions', machine))[0] ?? '';
    const file = path.join(dir, 'executions', machine, detection);
    const doc = JSON.parse(readFileSync(file, 'utf8')) as Doc;
    const last = doc.events[doc.events.length - 1];
    if (last === undefined) throw new Error('empty detection history');
    last.timestamp = new Date(Date.parse(last.timestamp) - 60_000).toISOString();
    writeFileSync(file, JSON.stringify(doc, null, 2));
    const { code, listing } = await listJson(['--state-dir', dir]);
    expect(code).toBe(EXIT_CHECK_FAILED);
    const n = detection.slice(0, -'.json'.length);
    expect(listing.problems).toContainEqual(expect.stringMatching(new RegExp(`^executions/${machine}/${escape(n)}\\.json: event ${last.id} \\(${last.type}\\) is not the event evidence/detections/${escape(n)}/history-anchor\\.json sealed`)));
    expect(existsSync(path.join(dir, 'evidence', 'detections', n, 'history-anchor.json'))).toBe(true);
  });
});
