/**
 * Ports: what the handlers need from the outside world. The AWS SDK v3 implementations live in
 * handlers/aws/, the local ones (files under the state dir) in local/adapters/. Handlers receive
 * ports, never clients, so the same handler code runs on Lambda and in `flowir run`.
 */
import type { Decision, FindingDoc, Outcome } from '../../workflows/contract';

export interface StoredObject {
  readonly key: string;
  readonly sha256: string;
  readonly bytes: number;
}

/** The evidence bucket (S3 with Object Lock) or a folder. */
export interface ObjectStore {
  put(key: string, body: Buffer | string, contentType: string): Promise<StoredObject>;
  /** The object's bytes, or undefined when there is none. */
  get(key: string): Promise<Buffer | undefined>;
  list(prefix: string): Promise<string[]>;
}

export interface IpSetRef {
  readonly name: string;
  readonly id: string;
  readonly scope: 'REGIONAL' | 'CLOUDFRONT';
  readonly version: 4 | 6;
}

export interface IpSetSnapshot {
  readonly addresses: string[];
  readonly lockToken: string;
}

/** Thrown by IpSetPort.update when the lock token is stale (WAFOptimisticLockException). */
export class StaleLockTokenError extends Error {
  override readonly name = 'StaleLockTokenError';
}

/** Thrown when the IP set would exceed its address limit (WAFLimitsExceededException). */
export class IpSetLimitError extends Error {
  override readonly name = 'IpSetLimitError';
}

/** A WAF IP set: read with a lock token, replace the whole list with it (as WAFV2 GetIPSet / UpdateIPSet). */
export interface IpSetPort {
  get(set: IpSetRef): Promise<IpSetSnapshot>;
  update(set: IpSetRef, addresses: readonly string[], lockToken: string): Promise<void>;
}

/** Where blocks are recorded, so that they are released on expiry even when their execution died. */
export interface BlockRecord {
  readonly cidr: string;
  readonly ipSet: IpSetRef;
  readonly executionName: string;
  readonly findingId: string;
  readonly blockedAt: string;
  readonly expiresAt: string;
}

export interface BlockRegistry {
  put(block: BlockRecord): Promise<void>;
  byExecution(executionName: string): Promise<BlockRecord[]>;
  /** Every recorded block of this CIDR, whichever execution placed it (a release keeps an address another live block still needs). */
  byCidr(cidr: string): Promise<BlockRecord[]>;
  expired(nowIso: string): Promise<BlockRecord[]>;
  remove(cidr: string, executionName: string): Promise<void>;
  /** Blocks placed since the given time (for the blocks-per-hour guardrail). */
  countSince(sinceIso: string): Promise<number>;
}

/**
 * The hourly block cap, held atomically: every concurrent BlockSource counts against one counter per
 * UTC clock hour, and at most `max` take it (DynamoDB: one conditional UpdateItem; locally: one
 * counter file behind a process-wide lock). Counting and checking apart, as a read of the registry
 * then a write, let 50 concurrent incidents under a cap of 20 make 33 blocks.
 */
export interface BlockBudget {
  /** Count one block against the hour of `at` if fewer than `max` are counted there. */
  take(at: Date, max: number): Promise<{ readonly taken: true; readonly used: number } | { readonly taken: false; readonly used: number }>;
}

/** The UTC clock hour a block counts against: `2026-12-04T21`. */
export function budgetHour(at: Date): string {
  return at.toISOString().slice(0, 13);
}

export interface TicketRequest {
  readonly title: string;
  readonly description: string;
  readonly severity: 'WARNING' | 'CRITICAL';
  readonly finding: FindingDoc;
  readonly executionName: string;
  readonly outcome: Outcome;
  /** Deduplication key: one ticket per incident even when the state is retried. */
  readonly dedupKey: string;
}

/** A ticket system (Systems Manager OpsCenter by default). */
export interface TicketPort {
  open(request: TicketRequest): Promise<{ readonly id: string; readonly url: string | null }>;
}

/** The alert topics: every subscriber of one reads every notice on it, so they never carry an approval link. */
export type AlertTopic = 'warning' | 'critical';
/**
 * An alert topic, or the approval topic: there each subscription is one approver's, with a filter
 * policy on the {@link APPROVER_ATTRIBUTE} message attribute, so a notice reaches only the approver it names.
 */
export type Topic = AlertTopic | 'approval';

/**
 * The message attribute that addresses an approval notice (String, the approver's e-mail address
 * exactly as configured: SNS compares filter strings case-sensitively). infra/constructs/alerts.ts
 * filters each approver's subscription on it.
 */
export const APPROVER_ATTRIBUTE = 'approver';

interface NoticeContent {
  readonly subject: string;
  readonly text: string;
  /** Structured copy for subscribers that parse (e.g. chat bots). */
  readonly data: Record<string, unknown>;
}

/** A notice for everyone on an alert topic: no approval link may be in it. */
export interface AlertNotice extends NoticeContent {
  readonly topic: AlertTopic;
  readonly approver?: undefined;
}

/** A notice for one approver only, with their own decision link and no one else's. */
export interface ApproverNotice extends NoticeContent {
  readonly topic: 'approval';
  /** Who alone receives it: the value of its {@link APPROVER_ATTRIBUTE} attribute. */
  readonly approver: string;
}

export type Notice = AlertNotice | ApproverNotice;

/** SNS topics, or an outbox folder. */
export interface NotifierPort {
  publish(notice: Notice): Promise<{ readonly messageId: string }>;
}

export interface SuppressionEntry {
  readonly key: string;
  readonly findingId: string;
  readonly executionName: string;
  readonly openedAt: string;
  /** The suppression period ends here (ISO). */
  readonly expiresAt: string;
  readonly repeats: number;
}

/** Conditional writes: `claim` succeeds for one caller only while an entry is live. */
export interface SuppressionStore {
  claim(entry: SuppressionEntry, nowIso: string): Promise<{ readonly claimed: true } | { readonly claimed: false; readonly existing: SuppressionEntry }>;
  recordRepeat(key: string, findingId: string): Promise<void>;
  /**
   * Delete the key's entry only if `executionName` still holds it (DynamoDB DeleteItem with
   * `executionName = :name`): a finding whose incident could not be started must not stay
   * suppressed. Throws when the condition fails (another execution holds it, or it is gone).
   */
  release(key: string, executionName: string): Promise<void>;
}

/** The execution name is in use (StepFunctions ExecutionAlreadyExists): an earlier execution covers the finding. */
export class IncidentAlreadyStartedError extends Error {
  override readonly name = 'IncidentAlreadyStartedError';
}

/** Starts incident executions (Step Functions StartExecution on the incident state machine). */
export interface IncidentStarterPort {
  /** Throws IncidentAlreadyStartedError when the name is taken by an execution with other input, or one that has ended. */
  start(executionName: string, input: { readonly finding: FindingDoc }): Promise<{ readonly executionArn: string }>;
}

export interface PendingApproval {
  readonly approvalId: string;
  readonly taskToken: string;
  readonly executionName: string;
  readonly finding: FindingDoc;
  /** Plain-data summary the page shows (evidence, proposed containment). */
  readonly view: Record<string, unknown>;
  readonly approvers: readonly string[];
  readonly expiresAt: string;
  readonly createdAt: string;
  readonly decidedAt?: string;
  readonly decision?: Decision;
}

export interface ApprovalStore {
  save(approval: PendingApproval): Promise<void>;
  get(approvalId: string): Promise<PendingApproval | undefined>;
  /** Record the decision once: false when the approval was already decided (link reuse, double click). */
  decide(approvalId: string, decision: Decision): Promise<boolean>;
}

/** Step Functions SendTaskSuccess / SendTaskFailure. */
export interface TaskCallbackPort {
  succeed(taskToken: string, output: unknown): Promise<void>;
  fail(taskToken: string, error: string, cause: string): Promise<void>;
}

/** Thrown by TaskCallbackPort when the token is no longer valid (already answered, timed out). */
export class TaskTokenInvalidError extends Error {
  override readonly name = 'TaskTokenInvalidError';
}

/** Raw flow-log lines behind a finding: Logs Insights / S3 archive on AWS, the input files locally. */
export interface FlowRecordSource {
  /** Lines (records only, in the given format) from `source` with start in the window. */
  records(source: string, window: { start: number; end: number }): Promise<{ readonly format: string; readonly lines: string[]; readonly query: string }>;
}

export interface InterfaceInfo {
  readonly interfaceId: string;
  readonly privateAddresses: readonly string[];
  readonly securityGroups: ReadonlyArray<{ readonly id: string; readonly name: string; readonly inboundRules: readonly string[] }>;
}

/** EC2 DescribeNetworkInterfaces / DescribeSecurityGroups. */
export interface NetworkInventory {
  interfaces(interfaceIds: readonly string[]): Promise<InterfaceInfo[]>;
}

/** HMAC keys for approval links (Secrets Manager on AWS). */
export interface SigningKeyProvider {
  keys(): Promise<{ readonly current: { readonly id: string; readonly secret: Buffer }; readonly all: ReadonlyArray<{ readonly id: string; readonly secret: Buffer }> }>;
}

export interface Clock {
  now(): Date;
}

export const systemClock: Clock = { now: () => new Date() };

export * from './network-acl';
