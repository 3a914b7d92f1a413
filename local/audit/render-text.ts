/** The audit for the terminal: plain text, one fact per line, the verdict last where it is seen. */
import type { AuditListing, IncidentAudit } from './audit';
import type { EvidenceCheck } from './evidence-check';
import type { RecordCheck } from './record-check';
import { unrecordedProblem } from './source';
import { ABORTED_OUTCOME, ABORTED_TEXT, fmt, outcomeText } from './story';

const KIND_WIDTH = 13;

export function renderAuditText(a: IncidentAudit): string {
  const s = a.story;
  const f = s.finding;
  const lines: string[] = [];
  lines.push(`flowir audit — ${s.execution.name}`);
  lines.push(`  history      ${originText(s.execution.origin)}: ${s.execution.location}`);
  lines.push(`  execution    ${s.execution.executionArn}`);
  lines.push(`  status       ${s.execution.status === 'ABORTED' ? `ABORTED: ${ABORTED_TEXT}. ${ABORTED_OUTCOME}` : `${s.execution.status}${s.outcome ? `, outcome ${s.outcome} (${outcomeText(s.outcome)})` : ''}`}`);
  lines.push(`  ran          ${s.execution.startDate} → ${s.execution.stopDate ?? 'still running'}`);
  if (f) lines.push(`  finding      ${f.id}: ${f.source}${f.port !== null ? ` port ${f.port}` : ''}, ${fmt(f.value)} > ${fmt(f.threshold)} (${f.severity})`);
  lines.push('', 'Timeline');
  for (const e of s.timeline) {
    const mark = e.tone === 'bad' ? '✗' : e.tone === 'warn' ? '!' : e.tone === 'good' ? '✓' : '·';
    lines.push(`  ${(e.at ?? '(undated)').padEnd(24)} ${mark} ${e.kind.toUpperCase().padEnd(KIND_WIDTH)} ${e.title}`);
    for (const fact of e.facts) lines.push(`${' '.repeat(29 + KIND_WIDTH)}${fact.label}: ${indentRest(fact.value, 31 + KIND_WIDTH + fact.label.length)}`);
  }
  lines.push('', ...renderEvidence(a.evidence), '', ...renderRecord(a.record, s.execution.origin), '');
  if (a.historyRetention?.locked) lines.push(`History   ${a.historyRetention.key} is under Object Lock (${a.historyRetention.mode}) until ${a.historyRetention.retainUntil}`, '');
  if (a.warnings.length > 0) lines.push('Warnings:', ...a.warnings.map((w) => `  ! ${w}`), '');
  lines.push(...verdict(a.ok, a.problems, a.evidence, a.record));
  if (s.execution.origin === 'local') lines.push('', LOCAL_PROOF);
  return `${lines.join('\n')}\n`;
}

/**
 * What a local audit can and cannot prove, said under every local report: the chain has no secret,
 * so a rewrite of everything that agrees with itself passes.
 */
export const LOCAL_PROOF =
  "A local audit catches an edit made alone to what a history says, to its anchor's seal, to the evidence, or to the decision and blocks the approval store, the block registry, the WAF IP sets and the network ACLs record; it cannot catch a consistent rewrite of all of them by someone who can write the whole state dir (on AWS, Step Functions' own history and the exported histories and evidence under Object Lock are out of that writer's reach).";

/** What the record was held against and agreed with, one line each. */
function renderRecord(r: RecordCheck, origin: string): string[] {
  const lines = r.agreed.map((x, i) => `${(i === 0 ? 'Record' : '').padEnd(10)}${x}`);
  if (r.verdict === 'unsealed' && lines.length === 0) {
    lines.push(`Record    ${origin === 'local' ? 'not held against an anchor' : 'no local anchor applies to a history read from AWS'}; the history agrees with itself (task results, state data, output)`);
  }
  if (lines.length === 0) lines.push('Record    see the failed checks below');
  return lines;
}

function renderEvidence(c: EvidenceCheck): string[] {
  const lines = [`Evidence${c.manifestKey ? `  ${c.manifestKey}` : ''}${c.manifestCreatedAt ? ` (written ${c.manifestCreatedAt})` : ''}${c.store ? ` in ${c.store}` : ''}`];
  if (c.note) lines.push(`  ${c.note}`);
  for (const o of c.objects) {
    const name = o.key.slice(o.key.lastIndexOf('/') + 1);
    const status = o.status === 'verified' ? 'verified' : o.status === 'missing' ? 'MISSING' : 'ALTERED';
    const detail = o.status === 'verified' ? `sha256 ${o.expected.sha256}  ${fmt(o.expected.bytes)} bytes` : o.actual ? `sha256 ${o.actual.sha256} (${fmt(o.actual.bytes)} bytes), manifest says ${o.expected.sha256} (${fmt(o.expected.bytes)} bytes)` : `manifest says sha256 ${o.expected.sha256} (${fmt(o.expected.bytes)} bytes)`;
    lines.push(`  ${status.padEnd(9)} ${name.padEnd(22)} ${detail}`);
  }
  const locked = c.retention.filter((r) => r.locked);
  if (c.retention.length > 0 && locked.length === c.retention.length) {
    const until = locked.map((r) => r.retainUntil ?? '').sort()[0];
    lines.push(`  locked    all ${fmt(locked.length)} objects under Object Lock (${[...new Set(locked.map((r) => r.mode))].join(', ')}), the earliest until ${until}`);
  }
  if (c.recount) {
    const r = c.recount;
    lines.push(`  recount   ${fmt(r.value)} from the raw records (${fmt(r.records.matched)} records in the window); recorded ${r.recorded === null ? '—' : fmt(r.recorded)}, recount.json ${r.stored === null ? '—' : fmt(r.stored)}, query reported ${fmt(r.reported)}; threshold ${fmt(r.threshold)}: ${r.confirmed ? 'confirmed' : 'not confirmed'}`);
  }
  return lines;
}

function verdict(ok: boolean, problems: readonly string[], c: EvidenceCheck, r: RecordCheck): string[] {
  if (!ok) return ['CHECKS FAILED — the record has been altered or is incomplete:', ...problems.map((p) => `  ✗ ${p}`)];
  const sealed = r.verdict === 'verified' ? 'the history matches its anchor and agrees with the approval store and the block registry' : null;
  if (c.verdict === 'unchecked') return [`Evidence NOT CHECKED: no evidence store was given (--evidence-bucket NAME).${sealed !== null ? ` Otherwise ${sealed}.` : ''}`];
  if (c.verdict === 'none') return [`No evidence to check for this execution; ${sealed ?? 'the history reads consistently'}.`];
  return [`All checks passed: ${sealed !== null ? `${sealed}; ` : ''}${fmt(c.objects.length)} evidence objects match their manifest hashes, and the recount from the raw records matches the history.`];
}

export function renderListText(l: AuditListing): string {
  const lines = [`flowir audit — ${fmt(l.executions.length)} incident execution(s) in ${l.source}${filterText(l)}`, ''];
  const unrecorded = l.unrecorded;
  if (l.executions.length === 0 && unrecorded.length === 0) return `${lines.join('\n')}\n`;
  const rows = l.executions.map((e) => [
    e.startDate.replace(/\.\d{3}Z$/, 'Z'),
    shownOutcome(e),
    e.detection ?? '?',
    `${e.source ?? '?'}${e.port !== null ? `:${e.port}` : ''}`,
    e.decision ? `${e.decision.decision} by ${e.decision.approver}` : '—',
    e.blocked.length > 0 ? e.blocked.join(' ') : '—',
    e.evidence === 'failed' ? 'FAILED' : e.evidence,
    e.record === 'failed' ? 'FAILED' : e.record,
    e.name,
  ]);
  const header = ['started', 'outcome', 'detection', 'source', 'decision', 'blocked', 'evidence', 'record', 'execution'];
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] ?? '').length)));
  const line = (cells: string[]): string => cells.map((c, i) => (i === cells.length - 1 ? c : c.padEnd(widths[i] ?? 0))).join('  ');
  if (rows.length > 0) lines.push(line(header), ...rows.map(line), '');
  const failed = l.executions.filter((e) => e.problems.length > 0);
  if (failed.length === 0 && unrecorded.length === 0 && l.problems.length === 0) lines.push(`All checks passed for ${fmt(l.executions.length)} execution(s). \`flowir audit <execution>\` tells one story in full.`);
  else {
    const executions = failed.length + unrecorded.length;
    const what = [executions > 0 || l.problems.length === 0 ? `${fmt(executions)} execution(s)` : null, l.problems.length > 0 ? `${fmt(l.problems.length)} other record(s)` : null].filter((x) => x !== null).join(' and ');
    lines.push(`CHECKS FAILED for ${what}:`);
    for (const e of failed) for (const p of e.problems) lines.push(`  ✗ ${e.name}: ${p}`);
    for (const u of unrecorded) lines.push(`  ✗ ${u.name}: ${unrecordedProblem(u)}`);
    for (const p of l.problems) lines.push(`  ✗ ${p}`);
  }
  if (l.source.startsWith('local state dir ')) lines.push('', LOCAL_PROOF);
  return `${lines.join('\n')}\n`;
}

function filterText(l: AuditListing): string {
  const f = l.filters;
  const parts = [
    f.since !== undefined ? `since ${new Date(f.since * 1000).toISOString()}` : null,
    f.until !== undefined ? `until ${new Date(f.until * 1000).toISOString()}` : null,
    f.detection ? `detection ${f.detection}` : null,
    f.source ? `source ${f.source}` : null,
    f.outcome ? `outcome ${f.outcome}` : null,
  ].filter((p): p is string => p !== null);
  return parts.length > 0 ? ` (${parts.join(', ')})` : '';
}

/** The outcome column: an execution stopped before it had one reads ABORTED, not the FAILED the story gives it. */
export function shownOutcome(e: { readonly status: string; readonly outcome: string | null }): string {
  return e.status === 'ABORTED' ? 'ABORTED' : (e.outcome ?? e.status);
}

export function originText(o: string): string {
  return o === 'local' ? 'local run' : o === 'step-functions' ? 'Step Functions' : 'exported to the evidence bucket';
}

function indentRest(text: string, indent: number): string {
  return text.split('\n').join(`\n${' '.repeat(indent)}`);
}
