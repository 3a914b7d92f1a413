/** Where `flowir audit` reads executions, evidence and notices from. */
import type { EvidenceReader } from './evidence-check';
import type { AuditedExecution } from './history';
import type { RecordCheck } from './record-check';
import type { IncidentStory, NoticeRecord } from './story';

/** Executions started in `[since, until)` (epoch seconds; unbounded when absent). */
export interface TimeRange {
  readonly since?: number;
  readonly until?: number;
}

export interface AuditSource {
  /** What was read, for the report ("local state dir /x", "Step Functions: 2 state machines"). */
  readonly description: string;
  readonly evidence: EvidenceReader | null;
  /** Every execution started in the range, incident and detection alike. */
  executions(range: TimeRange): Promise<AuditedExecution[]>;
  /** One execution by name or ARN; null when no history of it is found. */
  execution(nameOrArn: string): Promise<AuditedExecution | null>;
  /** The detection executions that may have started this incident (by time, where the source can tell). */
  detectionsAround(incident: AuditedExecution): Promise<AuditedExecution[]>;
  /** The notices sent for an execution (local outbox); empty where no copy is kept. */
  notices(executionName: string): Promise<NoticeRecord[]>;
  /**
   * Incidents that left evidence, approvals or notices but no execution history (a local run
   * stopped before it recorded them). Only where the source can tell: not for Step Functions, whose
   * histories go after 90 days while the evidence stays.
   */
  unrecorded?(): Promise<UnrecordedIncident[]>;
  /**
   * The record behind an execution's story checked against what the source keeps beside it (a local
   * run: the history's anchor, the approval store, the block registry and the WAF IP sets; `story`
   * null for a detection execution). Absent where nothing is kept beside the history.
   */
  record?(execution: AuditedExecution, story: IncidentStory | null): Promise<RecordCheck>;
  /**
   * Failed checks of the record as a whole, not of one listed incident: an anchor whose history is
   * gone, a folder no execution wrote, an address in a WAF IP set that no block accounts for, a
   * detection history that is not the one the run wrote. Whatever the filters.
   */
  stateProblems?(): Promise<string[]>;
  /** Why a name that is no execution still has a folder (a folder no execution wrote), if it does. */
  stray?(name: string): Promise<string | undefined>;
}

/** An incident with records of its own but no history: the record is incomplete. */
export interface UnrecordedIncident {
  readonly name: string;
  /** What was found for it, in this order: evidence, approval, notices. */
  readonly found: ReadonlyArray<'evidence' | 'approval' | 'notices'>;
}

/** "evidence, an approval and notices". */
export function unrecordedFound(u: UnrecordedIncident): string {
  const words = u.found.map((f) => (f === 'approval' ? 'an approval' : f));
  return words.length > 1 ? `${words.slice(0, -1).join(', ')} and ${words[words.length - 1] ?? ''}` : (words[0] ?? 'records');
}

const UNRECORDED_WHY = 'the run that started it ended without recording it (stopped before flowir recorded interrupted executions, or the history was deleted)';

/** "evidence, an approval and notices but no execution history: ..." */
export function unrecordedProblem(u: UnrecordedIncident): string {
  return `${unrecordedFound(u)} but no execution history: ${UNRECORDED_WHY}`;
}

/** For `flowir audit NAME` of such an incident. */
export function unrecordedMessage(u: UnrecordedIncident, where: string): string {
  return `no execution history of "${u.name}" in ${where}, though it has ${unrecordedFound(u)}: ${UNRECORDED_WHY}`;
}

/** The audit could not read what it was pointed at: names what and where (exit status 1). */
export class AuditSourceError extends Error {
  override readonly name = 'AuditSourceError';
}

export function inRange(startDate: string, range: TimeRange): boolean {
  const t = Date.parse(startDate) / 1000;
  return (range.since === undefined || t >= range.since) && (range.until === undefined || t < range.until);
}

/** Incident executions carry a finding; detection executions a group. */
export function isIncident(e: AuditedExecution): boolean {
  return typeof e.input === 'object' && e.input !== null && 'finding' in e.input;
}

export function isDetection(e: AuditedExecution): boolean {
  return typeof e.input === 'object' && e.input !== null && 'group' in e.input;
}

/** Detection executions that started at most `lookbackSeconds` before the incident, newest first. */
export function startedBefore(incident: AuditedExecution, candidates: readonly AuditedExecution[], lookbackSeconds = 3600): AuditedExecution[] {
  const t = Date.parse(incident.startDate);
  return candidates
    .filter((c) => isDetection(c) && Date.parse(c.startDate) <= t + 1000 && Date.parse(c.startDate) >= t - lookbackSeconds * 1000)
    .sort((a, b) => Date.parse(b.startDate) - Date.parse(a.startDate));
}
