/**
 * The story of one incident execution, told from its history alone: detection, finding, evidence,
 * notices, policy, approval, containment, ticket, expiry, release, failures and outcome, each with
 * its time. Pure: the evidence check and the rendering come after.
 */
import { RULES, isDetectionId } from '../../core/detection/rules';
import type { BlockOutput, Decision, EvidenceOutput, FindingDoc, Outcome, PolicyOutput, ReleaseOutput, TicketOutput } from '../../workflows/contract';
import { INCIDENT_TASKS, INCIDENT_WAITS } from '../../workflows/contract';
import type { DetectionContext } from './detection-context';
import type { AuditedExecution, HistoryOrigin } from './history';
import { stateRuns, type StateRun, type TaskAttempt } from './state-runs';

export type EntryKind = 'detection' | 'finding' | 'evidence' | 'notification' | 'policy' | 'approval' | 'containment' | 'ticket' | 'expiry' | 'release' | 'failure' | 'outcome';
/** How an entry reads: neutral, a good end, something to look at, a failure. */
export type EntryTone = 'info' | 'good' | 'warn' | 'bad';

export interface Fact {
  readonly label: string;
  readonly value: string;
}

export interface TimelineEntry {
  /** ISO 8601, or null when the history does not date it. */
  readonly at: string | null;
  readonly kind: EntryKind;
  readonly title: string;
  readonly facts: readonly Fact[];
  readonly tone: EntryTone;
}

/** A notice as the local SNS stand-in kept it (local runs only; SNS keeps no copy on AWS). */
export interface NoticeRecord {
  readonly messageId: string;
  readonly sentAt: string;
  readonly topic: string;
  readonly subject: string;
  /** finding, escalation, failure, approval. */
  readonly kind: string | null;
  readonly approvers: readonly string[];
  readonly expiresAt: string | null;
}

export interface Failure {
  readonly state: string;
  readonly at: string;
  readonly error: string;
  readonly cause: string;
  /** Another attempt followed (Retry). */
  readonly retried: boolean;
}

export interface ApprovalRecord {
  readonly requestedAt: string;
  readonly timeoutSeconds: number | null;
  /** Who the links went to (local runs; on AWS the history does not list them). */
  readonly approvers: readonly string[];
  readonly decision: Decision | null;
  readonly timedOutAt: string | null;
}

export interface ExecutionInfo {
  readonly name: string;
  readonly executionArn: string;
  readonly stateMachineName: string;
  readonly status: string;
  readonly startDate: string;
  readonly stopDate: string | null;
  readonly origin: HistoryOrigin;
  readonly location: string;
  readonly error: string | null;
  readonly cause: string | null;
}

export interface IncidentStory {
  readonly execution: ExecutionInfo;
  readonly finding: FindingDoc | null;
  readonly outcome: Outcome | null;
  readonly detection: DetectionContext | null;
  /** What SnapshotEvidence recorded (manifest key, exact recount, summary). */
  readonly evidence: EvidenceOutput | null;
  readonly policy: PolicyOutput | null;
  readonly approval: ApprovalRecord | null;
  readonly containment: BlockOutput | null;
  readonly ticket: TicketOutput | null;
  readonly expiry: { readonly waitedFrom: string; readonly until: string | null; readonly fastForward: { readonly from: string; readonly to: string; readonly seconds: number } | null } | null;
  readonly release: ReleaseOutput | null;
  /**
   * Local runs: what the sweeper released after the execution ended without releasing (ABORTED,
   * FAILED, TIMED_OUT), as the EventBridge rule has it do on AWS; recorded in the local history.
   */
  readonly sweep: { readonly released: readonly string[]; readonly at: string | null } | null;
  readonly failures: readonly Failure[];
  readonly timeline: readonly TimelineEntry[];
}

type Obj = Record<string, unknown>;
const isObj = (v: unknown): v is Obj => typeof v === 'object' && v !== null && !Array.isArray(v);
const OUTCOMES: readonly Outcome[] = ['CONTAINED', 'REJECTED', 'TIMED_OUT', 'NOTIFIED', 'UNCONFIRMED', 'SUPPRESSED', 'GUARDED', 'FAILED'];

/** A field of a state's data, if the state left it (null stays null, absence is undefined). */
function field<T>(data: unknown, key: string): T | undefined {
  if (!isObj(data) || !(key in data)) return undefined;
  return data[key] as T;
}

function last<T>(list: readonly T[]): T | undefined {
  return list[list.length - 1];
}

/** Build the story of an incident execution. `notices` are the local outbox messages of this execution. */
export function incidentStory(execution: AuditedExecution, options: { readonly detection?: DetectionContext | null; readonly notices?: readonly NoticeRecord[] } = {}): IncidentStory {
  const { runs, end } = stateRuns(execution.events);
  const notices = options.notices ?? [];
  const named = (name: string): StateRun[] => runs.filter((r) => r.name === name);
  const exitedOutput = <T>(name: string, key: string): T | null => {
    const run = last(named(name).filter((r) => r.ended === 'exited'));
    const v = run === undefined ? undefined : field<T>(run.output, key);
    return v ?? null;
  };

  const finding = field<FindingDoc>(execution.input, 'finding') ?? field<FindingDoc>(execution.output, 'finding') ?? null;
  const evidence = exitedOutput<EvidenceOutput>(INCIDENT_TASKS.evidence, 'evidence') ?? field<EvidenceOutput>(execution.output, 'evidence') ?? null;
  const policy = exitedOutput<PolicyOutput>(INCIDENT_TASKS.policy, 'policy') ?? field<PolicyOutput>(execution.output, 'policy') ?? null;
  const decision = exitedOutput<Decision>(INCIDENT_TASKS.approval, 'decision') ?? field<Decision>(execution.output, 'decision') ?? null;
  const containment = exitedOutput<BlockOutput>(INCIDENT_TASKS.block, 'containment') ?? field<BlockOutput>(execution.output, 'containment') ?? null;
  const ticket = exitedOutput<TicketOutput>(INCIDENT_TASKS.ticket, 'ticket') ?? field<TicketOutput>(execution.output, 'ticket') ?? null;
  const release = exitedOutput<ReleaseOutput>(INCIDENT_TASKS.release, 'release') ?? exitedOutput<ReleaseOutput>(INCIDENT_TASKS.releaseAfterFailure, 'release') ?? null;
  const sweep = sweepOf(execution);

  // The outcome is in the state data from the first Mark* state on (FAILED included, which never reaches Close).
  let outcome: Outcome | null = null;
  for (const r of runs) {
    const o = field<string>(r.output, 'outcome');
    if (typeof o === 'string' && (OUTCOMES as readonly string[]).includes(o)) outcome = o as Outcome;
  }
  const fromOutput = field<string>(execution.output, 'outcome');
  if (typeof fromOutput === 'string' && (OUTCOMES as readonly string[]).includes(fromOutput)) outcome = fromOutput as Outcome;
  if (outcome === null && (execution.status === 'FAILED' || execution.status === 'TIMED_OUT' || execution.status === 'ABORTED')) outcome = 'FAILED';
  // Stopped before Close, an execution has no outcome of its own, whatever it had reached (a block
  // waiting for its expiry is CONTAINED already): FAILED, as `flowir run --json` has it, the outcome
  // set having no ABORTED. What it had reached is told in the timeline.
  const reached = outcome;
  if (execution.status === 'ABORTED') outcome = 'FAILED';

  const failures: Failure[] = [];
  for (const r of runs) {
    r.attempts.forEach((a, i) => {
      if (a.end === null || a.end.kind === 'succeeded') return;
      // The approval's timeout is an outcome (TIMED_OUT), told as such below.
      if (r.name === INCIDENT_TASKS.approval && a.end.kind === 'timed-out') return;
      failures.push({ state: r.name, at: a.end.at, error: a.end.error, cause: a.end.cause, retried: i < r.attempts.length - 1 });
    });
  }

  const approvalRun = last(named(INCIDENT_TASKS.approval));
  const timedOutAttempt = approvalRun?.attempts.find((a) => a.end?.kind === 'timed-out');
  const approval: ApprovalRecord | null =
    approvalRun === undefined
      ? null
      : {
          requestedAt: approvalRun.attempts[0]?.scheduledAt ?? approvalRun.enteredAt,
          timeoutSeconds: approvalRun.attempts[0]?.timeoutSeconds ?? policy?.approvalTimeoutSeconds ?? null,
          // One notice per approver (each carries only that approver's link): every one of them was asked.
          approvers: [...new Set(notices.filter((n) => n.kind === 'approval').flatMap((n) => n.approvers))],
          decision,
          timedOutAt: timedOutAttempt?.end?.at ?? (named(INCIDENT_TASKS.escalate).length > 0 && decision === null ? (named(INCIDENT_TASKS.escalate)[0]?.enteredAt ?? null) : null),
        };

  const waitRun = last(named(INCIDENT_WAITS.expiry));
  const expiry =
    waitRun === undefined
      ? null
      : {
          waitedFrom: waitRun.enteredAt,
          until: waitRun.ended === 'exited' ? waitRun.exitedAt : null,
          fastForward: waitRun.local.clockAdvance === undefined ? null : { from: waitRun.local.clockAdvance.from, to: waitRun.local.clockAdvance.to, seconds: waitRun.local.clockAdvance.seconds },
        };

  const story: Omit<IncidentStory, 'timeline'> = {
    execution: {
      name: execution.name,
      executionArn: execution.executionArn,
      stateMachineName: execution.stateMachineName,
      status: execution.status,
      startDate: execution.startDate,
      stopDate: execution.stopDate,
      origin: execution.origin,
      location: execution.location,
      error: execution.error ?? end?.error ?? null,
      cause: execution.cause ?? end?.cause ?? null,
    },
    finding,
    outcome,
    detection: options.detection ?? null,
    evidence,
    policy,
    approval,
    containment,
    ticket,
    expiry,
    release,
    sweep,
    failures,
  };
  return { ...story, timeline: timeline(story, runs, notices, end, reached) };
}

/** The sweeper's release of this execution's blocks, from the local history's execution notes. */
function sweepOf(execution: AuditedExecution): IncidentStory['sweep'] {
  for (const n of execution.executionNotes ?? []) {
    const sweep = isObj(n.data) ? n.data.sweep : undefined;
    if (!isObj(sweep) || !Array.isArray(sweep.released)) continue;
    const released = sweep.released.filter((r): r is Obj => isObj(r) && r.executionName === execution.name && typeof r.cidr === 'string').map((r) => r.cidr as string);
    return { released, at: typeof sweep.sweptAt === 'string' ? sweep.sweptAt : null };
  }
  return null;
}

/** `reached`: the outcome in the state data when the execution ended (for an ABORTED one, what it had got to). */
function timeline(
  s: Omit<IncidentStory, 'timeline'>,
  runs: readonly StateRun[],
  notices: readonly NoticeRecord[],
  end: { type: string; at: string; error: string | null; cause: string | null } | null,
  reached: Outcome | null,
): TimelineEntry[] {
  const out: TimelineEntry[] = [];
  const add = (at: string | null, kind: EntryKind, title: string, facts: Array<[string, string | null | undefined]>, tone: EntryTone = 'info'): void => {
    out.push({ at, kind, title, facts: facts.filter((f): f is [string, string] => typeof f[1] === 'string' && f[1].length > 0).map(([label, value]) => ({ label, value })), tone });
  };
  const f = s.finding;
  const rule = f !== null && isDetectionId(f.detection) ? RULES[f.detection] : null;

  // Detection: the rule, its query and window, from the detection execution when its history was read.
  if (f !== null) {
    const d = s.detection;
    add(
      d?.queriedAt ?? d?.startedAt ?? null,
      'detection',
      `Detection ${f.detection}${rule ? ` (${rule.title})` : ''} ran over ${windowText(f.window)}`,
      [
        ['rule', rule ? `${rule.describe}; measure: ${rule.unit}` : f.detection],
        ['window', windowText(f.window)],
        ['detection execution', d ? `${d.executionName} (${d.stateMachineName})` : 'not among the histories read'],
        ['engine', d?.engine ?? null],
        ['query', d?.rule?.queryString ?? (d ? 'not found in the detection history' : null)],
        ['query time range', d?.rule ? `${iso(d.rule.queryStart)} → ${iso(d.rule.queryEnd)}` : null],
      ],
    );
    add(d?.startedIncidentAt ?? s.execution.startDate, 'finding', `Finding: ${f.source}${f.port !== null ? ` port ${f.port}` : ''} measured ${fmt(f.value)} ${rule?.unit ?? ''} (threshold ${fmt(f.threshold)})`.replace(/\s+\(/, ' ('), [
      ['finding id', f.id],
      ['severity', f.severity],
      ['source', f.source],
      ['port', f.port === null ? null : String(f.port)],
      ['value', `${fmt(f.value)} > ${fmt(f.threshold)}`],
      ['incident execution', `${s.execution.name} started ${s.execution.startDate}`],
    ]);
  } else {
    add(s.execution.startDate, 'finding', 'Execution started without a finding in its input', [['input', 'no "finding" field']], 'warn');
  }

  for (const r of runs) {
    // Every failed attempt, where it happened, and where the flow went from there (before what the state finally did).
    const next = runs[runs.indexOf(r) + 1];
    r.attempts.forEach((a, i) => failureEntry(r, a, i < r.attempts.length - 1, next?.name ?? null, add));
    switch (r.name) {
      case INCIDENT_TASKS.evidence: {
        const ev = field<EvidenceOutput>(r.output, 'evidence');
        if (r.ended === 'exited' && ev) {
          add(r.exitedAt, 'evidence', `Evidence snapshot: exact recount ${fmt(ev.recount)}${f ? ` vs threshold ${fmt(f.threshold)}` : ''} — ${ev.confirmed ? 'confirmed' : 'NOT confirmed'}`, [
            ['manifest', ev.manifestKey],
            ['reported by the query', f ? fmt(f.value) : null],
            ['exact recount on the raw records', fmt(ev.recount)],
            ['raw records', isObj(ev.summary) && typeof ev.summary.records === 'number' ? `${fmt(ev.summary.records)} (${fmt(ev.summary.rejected)} rejected, ${fmt(ev.summary.accepted)} accepted)` : null],
            ['first / last seen', isObj(ev.summary) && ev.summary.firstSeen !== null && ev.summary.lastSeen !== null ? `${iso(ev.summary.firstSeen)} / ${iso(ev.summary.lastSeen)}` : null],
            ['security groups', isObj(ev.summary) && Array.isArray(ev.summary.securityGroups) && ev.summary.securityGroups.length > 0 ? ev.summary.securityGroups.join(', ') : null],
          ], ev.confirmed ? 'info' : 'warn');
        }
        break;
      }
      case INCIDENT_TASKS.notify:
      case INCIDENT_TASKS.escalate:
      case INCIDENT_TASKS.notifyFailure: {
        if (r.ended !== 'exited') break;
        const key = r.name === INCIDENT_TASKS.notify ? 'notice' : r.name === INCIDENT_TASKS.escalate ? 'escalation' : 'failureNotice';
        const sent = field<{ topic?: string; messageId?: string }>(r.output, key);
        const notice = notices.find((n) => n.messageId === sent?.messageId);
        const what = r.name === INCIDENT_TASKS.notify ? 'Finding notice' : r.name === INCIDENT_TASKS.escalate ? 'Escalation: nobody decided in time' : 'Failure notice';
        add(r.exitedAt, 'notification', `${what} sent to the ${sent?.topic ?? '?'} topic`, [
          ['topic', sent?.topic],
          ['message id', sent?.messageId],
          ['subject', notice?.subject],
        ], r.name === INCIDENT_TASKS.notify ? 'info' : 'warn');
        break;
      }
      case INCIDENT_TASKS.policy: {
        const p = field<PolicyOutput>(r.output, 'policy');
        if (r.ended !== 'exited' || !p) break;
        const guard = p.guard;
        add(r.exitedAt, 'policy', `Policy: ${p.policy}${guard.allowed ? '' : ` — containment refused by guardrail ${guard.guardrail ?? '?'}`}`, [
          ['policy', policyText(p.policy)],
          ['guardrails', guard.allowed ? 'passed: the source may be blocked' : `${guard.guardrail ?? '?'}: ${guard.reason ?? ''}`],
          ['approval timeout', p.policy === 'approve' ? duration(p.approvalTimeoutSeconds) : null],
          ['block duration', duration(p.blockSeconds)],
        ], guard.allowed ? 'info' : 'warn');
        break;
      }
      case INCIDENT_TASKS.approval:
        approvalEntries(s, r, notices, add);
        break;
      case INCIDENT_TASKS.block: {
        const c = field<BlockOutput>(r.output, 'containment');
        if (r.ended !== 'exited' || !c) break;
        if (c.status === 'blocked') {
          add(r.exitedAt, 'containment', `Blocked ${c.blocked.join(', ')} in WAF IP set ${c.ipSet.name}`, [
            ['blocked', c.blocked.join(', ')],
            ['IP set', `${c.ipSet.name} (${c.ipSet.id}, ${c.ipSet.scope})`],
            ['blocked at', c.blockedAt],
            ['expires at', c.expiresAt],
            ['duration', duration(c.durationSeconds)],
          ], 'good');
        } else {
          add(r.exitedAt, 'containment', `Containment refused by guardrail ${c.guardrail}`, [['reason', c.reason]], 'warn');
        }
        break;
      }
      case 'MarkGuarded':
        if (!(s.containment && s.containment.status === 'guarded')) {
          add(r.enteredAt, 'containment', `Not blocked: guardrail ${s.policy?.guard.guardrail ?? '?'} (never put to an approver)`, [['reason', s.policy?.guard.reason]], 'warn');
        }
        break;
      case 'MarkNotified':
        add(r.enteredAt, 'containment', 'Policy "notify": a ticket only, no containment', [], 'info');
        break;
      case 'MarkUnconfirmed':
        add(r.enteredAt, 'evidence', `Not confirmed: the exact recount ${s.evidence ? fmt(s.evidence.recount) : '?'} is not over the threshold${f ? ` ${fmt(f.threshold)}` : ''}; closed without notice or containment`, [], 'warn');
        break;
      case INCIDENT_TASKS.ticket: {
        const t = field<TicketOutput>(r.output, 'ticket');
        if (r.ended === 'exited' && t) add(r.exitedAt, 'ticket', `Ticket ${t.ticketId} opened (security-group review)`, [['ticket', t.ticketId], ['url', t.url]]);
        break;
      }
      case INCIDENT_WAITS.expiry: {
        const ff = r.local.clockAdvance;
        add(r.enteredAt, 'expiry', `Waiting for the block to expire${s.containment?.status === 'blocked' ? ` at ${s.containment.expiresAt}` : ''}`, []);
        if (r.ended === 'exited') {
          add(r.exitedAt, 'expiry', ff ? `Block expired — the wait was fast-forwarded on the local simulated clock (${duration(ff.seconds)})` : 'Block expired', [
            ['fast-forwarded', ff ? `${ff.from} → ${ff.to} (${duration(ff.seconds)} skipped; a local run does not wait for real)` : null],
          ], ff ? 'warn' : 'info');
        } else if (r.ended === 'aborted') add(r.exitedAt, 'expiry', 'The wait was cut short (the execution ended)', [], 'warn');
        break;
      }
      case INCIDENT_TASKS.release:
      case INCIDENT_TASKS.releaseAfterFailure: {
        const rel = field<ReleaseOutput>(r.output, 'release');
        if (r.ended !== 'exited' || !rel) break;
        const after = r.name === INCIDENT_TASKS.releaseAfterFailure;
        add(r.exitedAt, 'release', rel.released.length > 0 ? `${after ? 'After the failure, released' : 'Released'} ${rel.released.join(', ')}` : `${after ? 'After the failure: ' : ''}nothing left to release`, [
          ['released', rel.released.join(', ') || 'nothing'],
          ['released at', rel.releasedAt],
        ], after ? 'warn' : 'good');
        break;
      }
      default:
        break;
    }
  }

  const outcomeTone: EntryTone = s.outcome === 'CONTAINED' ? 'good' : s.outcome === 'FAILED' ? 'bad' : s.outcome === 'NOTIFIED' || s.outcome === 'REJECTED' ? 'info' : 'warn';
  if (end !== null && end.type !== 'ExecutionSucceeded') {
    add(end.at, 'failure', `Execution ${end.type.replace('Execution', '').toLowerCase()}${end.error ? `: ${end.error}` : ''}`, [['error', end.error], ['cause', end.cause]], 'bad');
  }
  const sw = s.sweep;
  if (sw !== null) {
    add(
      sw.at,
      'release',
      sw.released.length > 0 ? `After the execution ended ${s.execution.status}, the sweeper released ${sw.released.join(', ')}` : `After the execution ended ${s.execution.status}, the sweeper found no block of it to release`,
      [
        ['released', sw.released.join(', ') || 'nothing'],
        ['by', 'sweep-expired, which the EventBridge rule runs for an execution that ends ABORTED, FAILED or TIMED_OUT'],
      ],
      sw.released.length > 0 ? 'good' : 'info',
    );
  }
  if (s.execution.status === 'ABORTED') {
    add(end?.at ?? s.execution.stopDate, 'outcome', `Outcome: ABORTED — ${ABORTED_TEXT}`, [
      ['status', s.execution.status],
      ['outcome', `${ABORTED_TEXT}${reached !== null && reached !== 'FAILED' ? `, having reached ${reached}` : ''}; any block it made is released by the sweeper. ${ABORTED_OUTCOME}`],
    ], 'warn');
    return out;
  }
  add(end?.at ?? s.execution.stopDate, 'outcome', s.outcome === null ? `Not finished (status ${s.execution.status})` : `Outcome: ${s.outcome}`, [
    ['status', s.execution.status],
    ['outcome', s.outcome ? outcomeText(s.outcome) : null],
  ], s.outcome === null ? 'warn' : outcomeTone);
  return out;
}

type Add = (at: string | null, kind: EntryKind, title: string, facts: Array<[string, string | null | undefined]>, tone?: EntryTone) => void;

function approvalEntries(s: Omit<IncidentStory, 'timeline'>, r: StateRun, notices: readonly NoticeRecord[], add: Add): void {
  const a = s.approval;
  const notice = notices.find((n) => n.kind === 'approval');
  add(a?.requestedAt ?? r.enteredAt, 'approval', 'Approval requested', [
    ['approvers', a && a.approvers.length > 0 ? a.approvers.join(', ') : null],
    ['links expire', notice?.expiresAt],
    ['time to decide', a?.timeoutSeconds != null ? duration(a.timeoutSeconds) : null],
    ['sent to', notice ? `${notice.topic} topic` : null],
  ]);
  const d = field<Decision>(r.output, 'decision');
  if (r.ended === 'exited' && d) {
    add(r.exitedAt ?? d.at, 'approval', `${d.decision === 'approve' ? 'Approved' : 'Rejected'} by ${d.approver}`, [
      ['decision', d.decision],
      ['approver', d.approver],
      ['decided at', d.at],
      ['comment', d.comment ?? '(none)'],
      ['from', d.sourceIp ?? 'unknown address'],
    ], d.decision === 'approve' ? 'good' : 'info');
    return;
  }
  const timedOut = r.attempts.find((x) => x.end?.kind === 'timed-out');
  if (timedOut?.end) add(timedOut.end.at, 'approval', `No decision within ${a?.timeoutSeconds != null ? duration(a.timeoutSeconds) : 'the approval timeout'}: timed out`, [['error', timedOut.end.kind === 'timed-out' ? timedOut.end.error : null]], 'warn');
}

function failureEntry(r: StateRun, a: TaskAttempt, retried: boolean, next: string | null, add: Add): void {
  if (a.end === null || a.end.kind === 'succeeded') return;
  if (r.name === INCIDENT_TASKS.approval && a.end.kind === 'timed-out') return;
  const caught = r.local.caught;
  const then = retried ? 'retried' : caught ? `caught (${caught.errorEquals.join(', ')}) → ${caught.next}` : next !== null ? `caught → ${next}` : 'not caught: the execution failed';
  add(a.end.at, 'failure', `${r.name} ${a.end.kind === 'timed-out' ? 'timed out' : 'failed'}: ${a.end.error}`, [
    ['error', a.end.error],
    ['cause', a.end.cause],
    ['then', then],
  ], retried ? 'warn' : 'bad');
}

const POLICY_TEXT: Record<string, string> = { notify: 'notify: open a ticket, contain nothing', approve: 'approve: ask a person before containing', auto: 'auto: contain at once' };
function policyText(p: string): string {
  return POLICY_TEXT[p] ?? p;
}

const OUTCOME_TEXT: Record<Outcome, string> = {
  CONTAINED: 'the source was blocked, then released at expiry',
  REJECTED: 'the approver rejected containment',
  TIMED_OUT: 'nobody decided in time: no containment, escalated',
  NOTIFIED: 'policy notify: ticket only',
  UNCONFIRMED: 'the exact recount did not confirm the finding',
  SUPPRESSED: 'an open incident already covered it',
  GUARDED: 'a guardrail refused containment',
  FAILED: 'a step failed; any block was released and the failure notified',
};
export function outcomeText(o: Outcome): string {
  return OUTCOME_TEXT[o];
}

export const ABORTED_TEXT = 'stopped before it ended';

/** Said wherever an ABORTED execution's outcome shows, so that nobody reads a failed step into an interrupted run. */
export const ABORTED_OUTCOME = 'Its outcome is FAILED in the --json documents, as the outcome set has no ABORTED';

export function iso(epochSeconds: number): string {
  return new Date(epochSeconds * 1000).toISOString().replace('.000Z', 'Z');
}

export function windowText(w: { start: number; end: number }): string {
  return `${iso(w.start)} → ${iso(w.end)}`;
}

/** 86400 → "24 h", 90 → "90 s", 3600 → "1 h". */
export function duration(seconds: number): string {
  // A fast-forward lands a millisecond or so short of a whole figure: say it in the whole figure.
  const s = Math.abs(seconds - Math.round(seconds)) < 0.01 ? Math.round(seconds) : seconds;
  const near = (unit: number): boolean => s >= unit && Math.abs(s / unit - Math.round(s / unit)) < 0.0001;
  if (near(86400) && s >= 86400 * 2) return `${fmt(Math.round(s / 86400))} days`;
  if (near(3600)) return `${fmt(Math.round(s / 3600))} h`;
  if (near(60)) return `${fmt(Math.round(s / 60))} min`;
  if (s >= 3600) return `${fmt((s / 3600).toFixed(2))} h`;
  return `${fmt(Math.round(s * 1000) / 1000)} s`;
}

/**
 * A count or measure with en-US thousands separators, as `flowir scan` prints its counts
 * (`toLocaleString('en-US')`): 12247 → "12,247". Done on the digits rather than through
 * toLocaleString so that decimal strings past 2^53 (byte sums) keep every digit and a fraction is
 * never rounded: an audit shows the recorded value exactly. Anything else is shown as it is.
 */
export function fmt(v: number | bigint | string): string {
  const text = String(v);
  const m = /^(-?)(\d+)(\.\d+)?$/.exec(text);
  if (m === null) return text;
  return `${m[1] ?? ''}${(m[2] ?? '').replace(/\B(?=(\d{3})+$)/g, ',')}${m[3] ?? ''}`;
}
