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

/**
 * One result row of Logs Insights GetQueryResults as Step Functions' SDK integration hands it on:
 * `[{ Field, Value }]`, PascalCase like every member of an aws-sdk task's result (the SDK v3 itself
 * says `field`/`value`; docs/aws-facts.md §1).
 */
export type ResultRow = ReadonlyArray<{ readonly Field: string; readonly Value: string }>;

/** Athena GetQueryResults `ResultSet.Rows` (the first row is the header); ToFindings reads them itself. */
export type AthenaRow = { readonly Data: ReadonlyArray<{ readonly VarCharValue?: string }> };

export interface ToFindingsInput {
  readonly rule: RuleQuery;
  /** Logs Insights rows (engine logs-insights). */
  readonly rows?: ResultRow[];
  /**
   * The finished Athena query (engine athena): ToFindings reads every page of its result itself, as
   * one state could carry neither more than 1,000 rows (one GetQueryResults page) nor 256 KiB.
   */
  readonly athenaQueryExecutionId?: string;
}

export interface NewFinding {
  readonly finding: FindingDoc;
  /** Name of the incident execution to start (deterministic from the finding id). */
  readonly executionName: string;
  /** The suppression item this finding claimed: released again if its incident cannot be started. */
  readonly suppressionKey: string;
}

export interface ToFindingsOutput {
  readonly detection: DetectionId;
  readonly window: TimeWindow;
  /** Findings that open an incident. */
  readonly newFindings: NewFinding[];
  /** Ids of findings over threshold that an open or recent incident already covers. */
  readonly suppressed: string[];
  /** Ids of findings whose source is allowlisted. */
  readonly allowlisted: string[];
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
  getQueryResults: 'GetQueryResults',
  stopQuery: 'StopQuery',
  startAthenaQuery: 'StartAthenaQuery',
  toFindings: 'ToFindings',
  startIncident: 'StartIncident',
  releaseClaim: 'ReleaseClaim',
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
