/**
 * The data that flows between the states of the two workflows, and the names of their Task states.
 * The workflow definitions (CDK), the Lambda handlers and the local runtime all import these, so a
 * change of shape is a compile error everywhere at once. Everything here is JSON: it crosses states.
 */
import type { DetectionGroup, DetectionId, Severity } from '../core/detection/rules';
import type { TimeWindow } from '../core/detection/window';

/** A finding as it travels through state: `value` is a decimal string when it exceeds 2^53. */
export interface FindingDoc {
  readonly id: string;
  readonly detection: DetectionId;
  readonly severity: Severity;
  readonly source: string;
  readonly port: number | null;
  readonly value: number | string;
  readonly threshold: number;
  readonly window: TimeWindow;
}

// ---------------------------------------------------------------- detection workflow

/** Detection execution input: from the EventBridge schedule (`scheduledTime`), or an explicit window (local runs, backfills). */
export interface DetectionInput {
  readonly group: DetectionGroup;
  readonly scheduledTime?: string;
  readonly window?: TimeWindow;
}

/** One rule to run in one window. */
export interface RuleQuery {
  readonly detection: DetectionId;
  readonly window: TimeWindow;
  /** Logs Insights query text (engine logs-insights) or SQL (engine athena). */
  readonly queryString: string;
  /** StartQuery time range (epoch seconds): the window widened for delivery and aggregation. */
  readonly queryStart: number;
  readonly queryEnd: number;
}

export interface PlanOutput {
  readonly group: DetectionGroup;
  readonly window: TimeWindow;
  readonly rules: RuleQuery[];
}

/** Athena GetQueryResults `ResultSet.Rows` (the first row is the header); ToFindings reads them itself. */
export type AthenaRow = { readonly Data: ReadonlyArray<{ readonly VarCharValue?: string }> };

/**
 * ToFindings' input. It reads the query's result itself, through the SDK, from either engine: a Logs
 * Insights result of up to 10,000 rows is about 0.8 MB and an Athena page holds at most 1,000 rows,
 * while a state (and a task's raw result, whatever its ResultSelector keeps) carries at most
 * 262,144 bytes (docs/aws-facts.md §2, §4).
 */
export interface ToFindingsInput {
  readonly rule: RuleQuery;
  /** The detection execution's name: the findings record and its batches are filed under it. */
  readonly execution: string;
  /** The Logs Insights query (engine logs-insights): GetQueryResults is called once per poll. */
  readonly logsInsightsQueryId?: string;
  /** The finished Athena query (engine athena): every page of its result is read. */
  readonly athenaQueryExecutionId?: string;
}

export interface NewFinding {
  readonly finding: FindingDoc;
  /** Name of the incident execution to start (deterministic from the finding id). */
  readonly executionName: string;
  /** The suppression item this finding claimed: released again if its incident cannot be started. */
  readonly suppressionKey: string;
}

/** An object in the evidence store, as a state names it: its key and the sha256 of its bytes. */
export interface StoredRef {
  readonly key: string;
  readonly sha256: string;
}

/** A batch of new findings in the evidence store: StartIncidents opens one incident per finding in it. */
export interface FindingsBatchRef extends StoredRef {
  readonly count: number;
}

/**
 * The most rows a detection query returns: Logs Insights' StartQuery `Limit` maximum (10,000), and
 * the bound ToFindings holds Athena to. A result this long may have cut off sources.
 */
export const QUERY_ROW_LIMIT = 10_000;

/** At most this many new findings per batch object, so that StartIncidents' output stays small. */
export const FINDINGS_BATCH_SIZE = 100;

/** The body of a batch object. */
export interface FindingsBatch {
  readonly detection: DetectionId;
  readonly window: TimeWindow;
  readonly findings: NewFinding[];
}

export type FindingDisposition = 'new' | 'suppressed' | 'allowlisted';

/**
 * What one rule found in one window and what became of each finding: the whole list, in the
 * evidence store (a window may hold 10,000 findings; a state, about 600). Its sha256 is in the
 * execution history, so the record can be checked against it.
 */
export interface FindingsRecord {
  readonly detection: DetectionId;
  readonly window: TimeWindow;
  readonly execution: string;
  readonly query: { readonly engine: 'logs-insights' | 'athena'; readonly id: string; readonly rows: number; readonly limitReached: boolean };
  readonly findings: ReadonlyArray<{
    readonly finding: FindingDoc;
    readonly disposition: FindingDisposition;
    /** The incident execution: the one to start (`new`) or the one that covers it (`suppressed`). */
    readonly executionName: string | null;
  }>;
}

/** The Logs Insights query has not finished: poll again. */
export interface ToFindingsPending {
  readonly status: 'Scheduled' | 'Running';
}

export interface ToFindingsOutput {
  readonly status: 'Complete';
  readonly detection: DetectionId;
  readonly window: TimeWindow;
  /** Result rows read. */
  readonly rows: number;
  /**
   * The result held as many rows as the query may return (10,000): more sources may have crossed the
   * threshold than were read. The rule's findings still open their incidents, and the rule fails, so
   * the alarm says a window was not read whole.
   */
  readonly limitReached: boolean;
  /** The engine's own statistics of the query (Logs Insights Statistics, Athena Statistics). */
  readonly statistics: Readonly<Record<string, number>> | null;
  readonly counts: { readonly overThreshold: number; readonly allowlisted: number; readonly suppressed: number; readonly new: number };
  /** The findings record (FindingsRecord). */
  readonly record: StoredRef;
  /** The new findings, in batches of at most FINDINGS_BATCH_SIZE. */
  readonly batches: FindingsBatchRef[];
}

export interface StartIncidentsInput {
  readonly batch: FindingsBatchRef;
}

/** One StartIncidents call: what became of each finding of its batch. */
export interface StartIncidentsOutput {
  readonly batch: string;
  readonly started: ReadonlyArray<{ readonly executionName: string; readonly executionArn: string }>;
  /** Execution names already in use (a re-run of the same window): the earlier execution covers the finding. */
  readonly alreadyStarted: readonly string[];
  /** Incidents that could not be started; each claim is released (unless another execution now holds it). */
  readonly notStarted: ReadonlyArray<{ readonly executionName: string; readonly error: string; readonly claimReleased: boolean }>;
  readonly counts: { readonly started: number; readonly alreadyStarted: number; readonly notStarted: number };
  /** True when any incident could not be started: the rule, and so the detection, fails. */
  readonly failed: boolean;
}

// ---------------------------------------------------------------- incident workflow

export interface IncidentInput {
  readonly finding: FindingDoc;
}

export interface EvidenceSummary {
  /** Raw flow records behind the finding (the source, in the window). */
  readonly records: number;
  readonly firstSeen: number | null;
  readonly lastSeen: number | null;
  readonly topDestinations: ReadonlyArray<{ readonly address: string; readonly records: number }>;
  readonly topPorts: ReadonlyArray<{ readonly port: number; readonly records: number }>;
  readonly rejected: number;
  readonly accepted: number;
  /** Network interfaces the source reached, and their security groups. */
  readonly interfaces: readonly string[];
  readonly securityGroups: readonly string[];
}

export interface EvidenceOutput {
  /** Key of the manifest in the evidence store (`incidents/<finding>/manifest.json`). */
  readonly manifestKey: string;
  /**
   * sha256 of the manifest as written. Kept in the execution history, so that rewriting an evidence
   * object and its manifest entry together is still detected (the history is the record).
   */
  readonly manifestSha256: string;
  /** The exact re-count of the finding on the raw records. */
  readonly recount: number | string;
  /** True when the re-count is over the threshold. */
  readonly confirmed: boolean;
  readonly summary: EvidenceSummary;
}

export type NoticeKind = 'finding' | 'escalation' | 'failure';

export interface NotifyInput {
  readonly kind: NoticeKind;
  readonly finding: FindingDoc;
  readonly executionName: string;
  readonly evidence?: EvidenceOutput;
  readonly error?: { readonly Error: string; readonly Cause: string };
}

export interface NotifyOutput {
  readonly topic: 'warning' | 'critical';
  readonly messageId: string;
}

export type Policy = 'notify' | 'approve' | 'auto';

export interface PolicyInput {
  readonly finding: FindingDoc;
  readonly evidence: EvidenceOutput;
}

export interface PolicyOutput {
  readonly policy: Policy;
  /** Whether containment may block this source at all (guardrails checked before anyone is asked). */
  readonly guard: { readonly allowed: boolean; readonly guardrail: string | null; readonly reason: string | null };
  readonly approvalTimeoutSeconds: number;
  readonly blockSeconds: number;
}

export interface ApprovalRequestInput {
  readonly taskToken: string;
  readonly executionName: string;
  readonly finding: FindingDoc;
  readonly evidence: EvidenceOutput;
  readonly policy: PolicyOutput;
}

/** The approval task's output (sent with SendTaskSuccess by the approval endpoint). */
export interface Decision {
  readonly decision: 'approve' | 'reject';
  readonly approver: string;
  /** ISO 8601. */
  readonly at: string;
  readonly comment: string | null;
  readonly sourceIp: string | null;
}

export interface BlockInput {
  readonly finding: FindingDoc;
  readonly executionName: string;
  readonly blockSeconds: number;
  /** The interfaces the evidence shows were targeted (`$.evidence.summary.interfaces`): their subnets' network ACLs get the deny. */
  readonly interfaces?: readonly string[];
}

/** A network ACL deny entry flowir placed (or reuses) and this execution holds. */
export interface NetworkAclEntryRef {
  readonly networkAclId: string;
  readonly ruleNumber: number;
  readonly cidr: string;
}

/** A network ACL where no deny was placed, and why (`networkAclId` null: no ACL was found for the targeted interfaces). */
export interface NetworkAclRefusal {
  readonly networkAclId: string | null;
  readonly guardrail: string;
  readonly reason: string;
}

export type BlockOutput =
  | {
      readonly status: 'blocked';
      /** CIDRs added (`/32` or `/128`). */
      readonly blocked: string[];
      readonly ipSet: { readonly name: string; readonly id: string; readonly scope: string };
      readonly blockedAt: string;
      readonly expiresAt: string;
      readonly durationSeconds: number;
      /**
       * Whether an action that stops the detected traffic took effect: a network ACL deny in every
       * targeted ACL (flowir's own entry or a deny already there), or the WAF block when the finding's
       * port is an HTTP front door (80, 443). The incident is CONTAINED only then, GUARDED otherwise
       * (the WAF block still stands and is released at expiry). BlockSource always sets this and
       * the four fields after it; they are absent only in histories recorded before network ACLs.
       */
      readonly contained?: boolean;
      /** Why the block does not stop the detected traffic (null when contained). */
      readonly uncontainedReason?: string | null;
      /** Network ACL deny entries this execution holds (empty where none). */
      readonly networkAclEntries?: NetworkAclEntryRef[];
      /** Targeted ACLs whose existing deny, not flowir's, already covers the source. */
      readonly networkAclCovered?: NetworkAclEntryRef[];
      /** Targeted ACLs where no deny was placed, and why. */
      readonly networkAclRefusals?: NetworkAclRefusal[];
    }
  | { readonly status: 'guarded'; readonly guardrail: string; readonly reason: string };

export type Outcome = 'CONTAINED' | 'REJECTED' | 'TIMED_OUT' | 'NOTIFIED' | 'UNCONFIRMED' | 'SUPPRESSED' | 'GUARDED' | 'FAILED';

export interface TicketInput {
  readonly finding: FindingDoc;
  readonly executionName: string;
  readonly outcome: Outcome;
  readonly evidence: EvidenceOutput;
  readonly decision?: Decision;
  readonly containment?: BlockOutput;
}

export interface TicketOutput {
  readonly ticketId: string;
  readonly url: string | null;
}

export interface ReleaseInput {
  readonly finding: FindingDoc;
  readonly executionName: string;
}

export interface ReleaseOutput {
  readonly released: string[];
  /** Network ACL holdings ended (the entry deleted, unless another live block still holds it). */
  readonly releasedNetworkAclEntries?: NetworkAclEntryRef[];
  readonly releasedAt: string;
}

/** The incident execution's output (the `Close` state). */
export interface IncidentOutput {
  readonly outcome: Outcome;
  readonly finding: FindingDoc;
  readonly evidence: EvidenceOutput | null;
  readonly decision: Decision | null;
  /** The policy and guardrail decision (null when the finding was not confirmed). */
  readonly policy: PolicyOutput | null;
  readonly containment: BlockOutput | null;
  readonly release: ReleaseOutput | null;
  readonly ticket: TicketOutput | null;
}

/** Task state names: the local runtime serves each by name (aws-local-stepfunctions overrides). */
export const DETECTION_TASKS = {
  plan: 'PlanWindow',
  startQuery: 'StartQuery',
  stopQuery: 'StopQuery',
  startAthenaQuery: 'StartAthenaQuery',
  /** Reads the query's result (polled while a Logs Insights query runs), files the findings, claims the new ones. */
  toFindings: 'ToFindings',
  /** One incident execution per new finding of one batch. */
  startIncidents: 'StartIncidents',
} as const;

export const INCIDENT_TASKS = {
  evidence: 'SnapshotEvidence',
  notify: 'NotifyFinding',
  policy: 'DecidePolicy',
  approval: 'RequestApproval',
  escalate: 'Escalate',
  block: 'BlockSource',
  ticket: 'OpenTicket',
  release: 'ReleaseBlock',
  releaseAfterFailure: 'ReleaseAfterFailure',
  notifyFailure: 'NotifyFailure',
} as const;

/** Wait states (fast-forwarded on a simulated clock locally). */
export const INCIDENT_WAITS = { expiry: 'WaitForExpiry' } as const;
export const DETECTION_WAITS = { query: 'WaitForQuery' } as const;
