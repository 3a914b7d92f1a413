/** The audit itself: one execution's story with its evidence checked, or a filtered list of them. */
import { parseAddress } from '../../core/flowlog/address';
import { executionName } from '../../core/incident/execution-name';
import type { DetectionId } from '../../core/detection/rules';
import type { Outcome } from '../../workflows/contract';
import { findDetectionContext } from './detection-context';
import { checkEvidence, checkRetention, type EvidenceCheck, type EvidenceVerdict, type RetentionCheck } from './evidence-check';
import type { AuditedExecution } from './history';
import { DETECTION_TASKS } from '../../workflows/contract';
import { checkConsistency, recordCheck, type RecordCheck, type RecordVerdict } from './record-check';
import { AuditSourceError, isDetection, isIncident, startedBefore, unrecordedMessage, type AuditSource, type TimeRange, type UnrecordedIncident } from './source';
import { incidentStory, type IncidentStory } from './story';
import { stateRuns } from './state-runs';

export interface IncidentAudit {
  readonly source: string;
  readonly story: IncidentStory;
  readonly evidence: EvidenceCheck;
  /**
   * The record behind the story: the history against its anchor, against itself, and its decision
   * and blocks against the approval store, the block registry, the WAF IP sets and the network
   * ACLs (local runs).
   */
  readonly record: RecordCheck;
  /** Every check passed (a check that could not run is not a pass: see evidence.verdict). */
  readonly ok: boolean;
  readonly problems: readonly string[];
  /** Worth a look but not failed checks: objects outside the manifest, objects not under Object Lock. */
  readonly warnings: readonly string[];
  /** Object Lock of the exported history the story was read from (histories read from the evidence bucket). */
  readonly historyRetention: RetentionCheck | null;
}

/** The execution named (by name, ARN or finding id) with its evidence checked. */
export async function auditOne(source: AuditSource, nameOrArnOrFinding: string): Promise<IncidentAudit> {
  const execution = (await source.execution(nameOrArnOrFinding)) ?? (await byFindingId(source, nameOrArnOrFinding));
  if (execution === null) {
    const orphan = (await source.unrecorded?.())?.find((u) => u.name === nameOrArnOrFinding);
    if (orphan !== undefined) throw new AuditSourceError(unrecordedMessage(orphan, source.description));
    const stray = await source.stray?.(nameOrArnOrFinding);
    if (stray !== undefined) throw new AuditSourceError(`no execution "${nameOrArnOrFinding}" in ${source.description}, though ${stray}`);
    throw new AuditSourceError(`no execution "${nameOrArnOrFinding}" in ${source.description}`);
  }
  if (isDetection(execution)) {
    const started = startedIncidents(execution);
    throw new AuditSourceError(
      `"${execution.name}" is a detection execution (${execution.stateMachineName}); the audit tells the story of incident executions. ${started.length > 0 ? `It started: ${started.join(', ')}` : 'It started no incident.'}`,
    );
  }
  return auditExecution(source, execution);
}

export async function auditExecution(source: AuditSource, execution: AuditedExecution): Promise<IncidentAudit> {
  const [detections, notices] = await Promise.all([source.detectionsAround(execution), source.notices(execution.name)]);
  const partial = incidentStory(execution, { notices });
  const detection = findDetectionContext(detections, execution.name, partial.finding);
  const story = detection === null ? partial : incidentStory(execution, { notices, detection });
  const evidence = await checkEvidence({ finding: story.finding, recorded: story.evidence }, source.evidence);
  // A history kept in the evidence bucket is evidence too: its lock is reported with the rest.
  const historyKey = execution.origin === 'exported' ? /^s3:\/\/[^/]+\/(.+)$/.exec(execution.location)?.[1] : undefined;
  const history = historyKey !== undefined && source.evidence !== null ? await checkRetention(source.evidence, [historyKey]) : { retention: [], warnings: [] };
  // The detection execution the story's context came from is part of the record too.
  const context = story.detection !== null && source.record !== undefined ? await source.execution(story.detection.executionName) : null;
  const detectionProblems = context !== null && source.record !== undefined ? (await source.record(context, null)).problems : [];
  const record = await recordOf(source, execution, story, detectionProblems);
  const problems = [...record.problems, ...evidence.problems];
  return {
    source: source.description,
    story,
    evidence,
    record,
    ok: problems.length === 0,
    problems,
    warnings: [...history.warnings, ...record.warnings, ...evidence.warnings],
    historyRetention: history.retention[0] ?? null,
  };
}

/** The record check of one incident: the source's (local: anchor, approval store, blocks), and the history's agreement with itself (every source). */
async function recordOf(source: AuditSource, execution: AuditedExecution, story: IncidentStory, more: readonly string[] = []): Promise<RecordCheck> {
  const consistency = checkConsistency(execution);
  const kept = source.record !== undefined ? await source.record(execution, story) : null;
  return recordCheck({
    sealed: kept !== null,
    anchor: kept?.anchor ?? null,
    agreed: kept?.agreed ?? [],
    problems: [...(kept?.problems ?? []), ...consistency, ...more],
    warnings: kept?.warnings ?? [],
  });
}

async function byFindingId(source: AuditSource, text: string): Promise<AuditedExecution | null> {
  if (!text.includes(':') || text.startsWith('arn:')) return null;
  try {
    return await source.execution(executionName(text));
  } catch {
    return null;
  }
}

/** The incident executions a detection started: the StartIncidents results in its history. */
function startedIncidents(detection: AuditedExecution): string[] {
  return stateRuns(detection.events)
    .runs.filter((r) => r.name === DETECTION_TASKS.startIncidents)
    .flatMap((r) => r.attempts.flatMap((a) => (a.end?.kind === 'succeeded' ? startedNames(a.end.output) : [])));
}

function startedNames(output: unknown): string[] {
  const started = typeof output === 'object' && output !== null ? (output as { started?: unknown }).started : undefined;
  if (!Array.isArray(started)) return [];
  return started.flatMap((s: unknown) => (typeof s === 'object' && s !== null && typeof (s as { executionName?: unknown }).executionName === 'string' ? [(s as { executionName: string }).executionName] : []));
}

export interface ListFilters extends TimeRange {
  readonly detection?: DetectionId;
  /** Canonical address text. */
  readonly source?: string;
  readonly outcome?: Outcome;
}

export interface ListEntry {
  readonly name: string;
  readonly stateMachineName: string;
  readonly status: string;
  readonly startDate: string;
  readonly stopDate: string | null;
  readonly outcome: Outcome | null;
  readonly detection: string | null;
  readonly source: string | null;
  readonly port: number | null;
  readonly decision: { readonly decision: string; readonly approver: string; readonly at: string } | null;
  readonly blocked: readonly string[];
  readonly ticket: string | null;
  readonly evidence: EvidenceVerdict;
  /** The record behind the story (see IncidentAudit.record). */
  readonly record: RecordVerdict;
  readonly problems: readonly string[];
}

export interface AuditListing {
  readonly source: string;
  readonly filters: ListFilters;
  readonly executions: readonly ListEntry[];
  /** Incidents with evidence, approvals or notices but no history (whatever the filters: the record is incomplete). */
  readonly unrecorded: readonly UnrecordedIncident[];
  /**
   * Failed checks of the record as a whole, not of one listed incident (whatever the filters): an
   * anchor whose history is gone, a folder no execution wrote, an address in a WAF IP set that no
   * block accounts for, a network ACL holding without its entry, a detection history that is not the
   * one the run wrote.
   */
  readonly problems: readonly string[];
  /** Every listed execution's checks passed, no incident is without its history, and the record as a whole has no problem. */
  readonly ok: boolean;
}

/**
 * A listing with the full audit behind each of its rows, in the same order: the HTML list holds
 * every story. Apart from the listing, so that the `--json` list stays the summary rows.
 */
export interface AuditedListing {
  readonly listing: AuditListing;
  readonly audits: readonly IncidentAudit[];
}

/** Every incident execution matching the filters, oldest first, each with its evidence checked. */
export async function auditList(source: AuditSource, filters: ListFilters): Promise<AuditedListing> {
  const read = await source.executions(filters);
  const all = read.filter(isIncident);
  // The detection context from the executions already read: no further reads per incident.
  const detections = read.filter(isDetection);
  const entries: ListEntry[] = [];
  const audits: IncidentAudit[] = [];
  for (const e of all.sort((a, b) => Date.parse(a.startDate) - Date.parse(b.startDate) || (a.name < b.name ? -1 : 1))) {
    const notices = await source.notices(e.name);
    const partial = incidentStory(e, { notices });
    const detection = findDetectionContext(startedBefore(e, detections, 24 * 3600), e.name, partial.finding);
    const story = detection === null ? partial : incidentStory(e, { notices, detection });
    const f = story.finding;
    if (filters.detection !== undefined && f?.detection !== filters.detection) continue;
    if (filters.source !== undefined && (f === null || parseAddress(f.source)?.text !== filters.source)) continue;
    if (filters.outcome !== undefined && story.outcome !== filters.outcome) continue;
    const evidence = await checkEvidence({ finding: f, recorded: story.evidence }, source.evidence);
    const record = await recordOf(source, e, story);
    const problems = [...record.problems, ...evidence.problems];
    audits.push({ source: source.description, story, evidence, record, ok: problems.length === 0, problems, warnings: [...record.warnings, ...evidence.warnings], historyRetention: null });
    const d = story.approval?.decision ?? null;
    entries.push({
      name: e.name,
      stateMachineName: e.stateMachineName,
      status: e.status,
      startDate: e.startDate,
      stopDate: e.stopDate,
      outcome: story.outcome,
      detection: f?.detection ?? null,
      source: f?.source ?? null,
      port: f?.port ?? null,
      decision: d === null ? null : { decision: d.decision, approver: d.approver, at: d.at },
      blocked: story.containment?.status === 'blocked' ? story.containment.blocked : [],
      ticket: story.ticket?.ticketId ?? null,
      evidence: evidence.verdict,
      record: record.verdict,
      problems,
    });
  }
  const unrecorded = (await source.unrecorded?.()) ?? [];
  const problems = (await source.stateProblems?.()) ?? [];
  const listing: AuditListing = { source: source.description, filters, executions: entries, unrecorded, problems, ok: entries.every((x) => x.problems.length === 0) && unrecorded.length === 0 && problems.length === 0 };
  return { listing, audits };
}
