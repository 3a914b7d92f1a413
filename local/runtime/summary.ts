import * as path from 'node:path';
import { toFindingData } from '../../core/incident/finding-data';
import type { Decision, FindingDoc, IncidentOutput, NetworkAclEntryRef, Outcome } from '../../workflows/contract';
import type { ExecutionRecord } from './engine';
import type { StartupSweep } from './startup-sweep';
import type { LocalRun } from './runtime';

export interface ExecutionSummary {
  readonly name: string | null;
  readonly status: string;
  readonly finding: FindingDoc;
  readonly outcome: Outcome;
  readonly decision: { readonly decision: string; readonly approver: string; readonly at: string; readonly comment: string | null } | null;
  readonly containment: {
    readonly blocked: string[];
    readonly blockedAt: string | null;
    /** On the execution's simulated clock (the block-expiry wait is fast-forwarded locally). */
    readonly releasedAt: string | null;
    readonly ticket: string | null;
    /** The guardrail that refused containment (GUARDED), and why in words. */
    readonly guardrail: string | null;
    readonly guardrailReason?: string | null;
    /** Network ACL deny entries this incident held (empty where none); released with the WAF block (`releasedAt`). */
    readonly networkAclEntries: NetworkAclEntryRef[];
    /** Whether what was blocked stops the detected traffic (null when nothing was blocked); CONTAINED only when true. */
    readonly contained?: boolean | null;
  } | null;
  readonly evidence: string | null;
  readonly error: string | null;
  /** For SUPPRESSED: the execution that already covers this finding, when known. */
  readonly suppressedBy?: string | null;
}

export interface RunSummary {
  readonly window: { readonly start: number; readonly end: number };
  readonly records: object;
  readonly findings: FindingDoc[];
  readonly executions: ExecutionSummary[];
  readonly detections: ReadonlyArray<{ readonly name: string; readonly status: string; readonly error: string | null }>;
  readonly approvalLinks: number;
  readonly stateDir: string;
  /** Set when the run was interrupted: why, and the executions recorded ABORTED. */
  readonly interrupted?: { readonly reason: string; readonly aborted: readonly string[] } | null;
  /** Released and removed before the run started: what an earlier run, killed mid-way, left. */
  readonly startupSweep?: StartupSweep;
}

function incidentSummary(run: LocalRun, e: ExecutionRecord): ExecutionSummary {
  const out = e.output as IncidentOutput | null;
  const finding = (out?.finding ?? (e.input as { finding: FindingDoc }).finding) as FindingDoc;
  const decision: Decision | null = out?.decision ?? null;
  const c = out?.containment ?? null;
  const blocked = c !== null && c.status === 'blocked' ? c : null;
  const ticket = out?.ticket?.ticketId ?? null;
  const manifestKey = out?.evidence?.manifestKey;
  if (e.status === 'ABORTED') return abortedSummary(run, e, finding);
  // A block that does not stop the detected traffic (WAF only for a port scan, an ACL refused) is GUARDED: its refusal, or waf-only.
  const uncontained = blocked !== null && blocked.contained === false;
  const guardrailReason =
    c !== null && c.status === 'guarded' ? c.reason : uncontained ? (blocked.uncontainedReason ?? null) : out?.policy?.guard.allowed === false ? out.policy.guard.reason : null;
  const guardrail =
    c !== null && c.status === 'guarded' ? c.guardrail : uncontained ? (blocked.networkAclRefusals?.[0]?.guardrail ?? 'waf-only') : out?.policy?.guard.allowed === false ? out.policy.guard.guardrail : null;
  return {
    name: e.name,
    status: e.status,
    finding,
    outcome: out?.outcome ?? 'FAILED',
    decision: decision === null ? null : { decision: decision.decision, approver: decision.approver, at: decision.at, comment: decision.comment },
    containment:
      blocked === null && ticket === null && c === null && out?.policy?.guard.allowed !== false
        ? null
        : {
            blocked: blocked?.blocked ?? [],
            blockedAt: blocked?.blockedAt ?? null,
            releasedAt: out?.release?.releasedAt ?? null,
            ticket,
            guardrail,
            guardrailReason,
            networkAclEntries: blocked?.networkAclEntries ?? [],
            contained: blocked === null ? null : (blocked.contained ?? null),
          },
    evidence: manifestKey === undefined ? null : path.relative(process.cwd(), path.join(run.adapters.stateDir.evidence, manifestKey)) || null,
    error: e.error === null ? null : `${e.error}: ${e.cause ?? ''}`,
  };
}

/** A stopped execution has no output: what it blocked is what the sweeper released for it afterwards. */
function abortedSummary(run: LocalRun, e: ExecutionRecord, finding: FindingDoc): ExecutionSummary {
  const sweep = run.sweeps.get(e.name);
  const released = (sweep?.released ?? []).filter((r) => r.executionName === e.name).map((r) => r.cidr);
  const why = run.interrupted !== null && run.interrupted.aborted.includes(e) ? `the run was interrupted (${run.interrupted.reason})` : 'the execution was stopped';
  return {
    name: e.name,
    status: e.status,
    finding,
    // The outcome set is a contract (DESIGN §7) with no ABORTED: the status says ABORTED, and `error` why.
    outcome: 'FAILED',
    decision: null,
    containment:
      released.length === 0
        ? null
        : {
            blocked: released,
            blockedAt: null,
            releasedAt: sweep?.sweptAt ?? null,
            ticket: null,
            guardrail: null,
            guardrailReason: null,
            networkAclEntries: (sweep?.releasedNetworkAclEntries ?? []).filter((r) => r.executionName === e.name).map((r) => ({ networkAclId: r.networkAclId, ruleNumber: r.ruleNumber, cidr: r.cidr })),
            contained: null,
          },
    evidence: null,
    error: `ABORTED: ${why}${released.length > 0 ? `; the sweeper released ${released.join(', ')}` : ''}`,
  };
}

/**
 * Findings that opened no incident: suppressed by an open or recent incident, or whose execution name
 * was already used (a re-run of the same window: the earlier execution covers it). Read from the
 * findings records the detections filed.
 */
function suppressedSummaries(run: LocalRun): ExecutionSummary[] {
  const ranHere = new Set(run.incidents.map((e) => e.name));
  const out: ExecutionSummary[] = [];
  for (const record of run.findingsRecords) {
    for (const f of record.findings) {
      const covered = f.disposition === 'suppressed' || (f.disposition === 'new' && f.executionName !== null && !ranHere.has(f.executionName));
      if (covered) out.push({ name: null, status: 'NOT_STARTED', finding: f.finding, outcome: 'SUPPRESSED', decision: null, containment: null, evidence: null, error: null, suppressedBy: f.executionName });
    }
  }
  return out;
}

/** The `--json` document of `flowir run` (DESIGN section 7). */
export function runSummary(run: LocalRun): RunSummary {
  return {
    window: run.window,
    records: { ...run.scan.records, errors: run.scan.errorCount },
    findings: run.scan.findings.map((f) => toFindingData(f) as FindingDoc),
    executions: [...run.incidents.map((e) => incidentSummary(run, e)), ...suppressedSummaries(run)],
    detections: run.detections.map((d) => ({ name: d.name, status: d.status, error: d.error === null ? null : `${d.error}: ${d.cause ?? ''}` })),
    approvalLinks: run.approvalLinks.length,
    stateDir: run.adapters.stateDir.root,
    interrupted: run.interrupted === null ? null : { reason: run.interrupted.reason, aborted: run.interrupted.aborted.map((e) => e.name) },
    startupSweep: run.startupSweep,
  };
}

/** True when any execution ended other than SUCCEEDED (exit status 2). */
export function anyFailed(run: LocalRun): boolean {
  return [...run.detections, ...run.incidents].some((e) => e.status !== 'SUCCEEDED');
}
