import type { DetectionId } from '../detection/rules';
import { parseAddress } from '../flowlog/address';
import { executionName } from './execution-name';

/** What suppression looks at in a finding. */
export interface SuppressionCandidate {
  readonly id: string;
  readonly detection: DetectionId;
  readonly source: string;
  readonly port: number | null;
}

/**
 * The record a conditional-write store (DynamoDB, or a local file) holds per key. Epoch seconds.
 * It suppresses new incidents while `now < expiresAt`; `expiresAt` is also the store's TTL.
 */
export interface SuppressionRecord {
  readonly key: string;
  /** The finding id that opened the incident. */
  readonly incidentId: string;
  readonly executionName: string;
  readonly openedAt: number;
  /** While open, the latest time the incident can still run (so a crashed one does not suppress forever); its close time once closed. */
  readonly openUntil: number;
  readonly closedAt: number | null;
  /** `openedAt` plus the suppression period. */
  readonly suppressUntil: number;
  /** `max(openUntil, suppressUntil)`. */
  readonly expiresAt: number;
  /** Later findings recorded on this incident instead of opening another. */
  readonly repeats: number;
  readonly lastSeenAt: number | null;
  readonly lastFindingId: string | null;
}

export interface SuppressionSettings {
  /** DESIGN §4: default 24 h. */
  readonly suppressionSeconds: number;
  /** Upper bound on how long an incident can stay open (see {@link maxIncidentSeconds}). */
  readonly maxOpenSeconds: number;
}

/**
 * The store's write condition, as data so that every store implements the same check
 * ({@link conditionHolds}). When it fails, another writer got there first: read again and decide again.
 */
export type WriteCondition =
  | { readonly kind: 'absent-or-expired'; readonly now: number }
  | { readonly kind: 'same-incident'; readonly incidentId: string; readonly repeats: number };

export type SuppressionDecision =
  | { readonly kind: 'new'; readonly key: string; readonly record: SuppressionRecord; readonly condition: WriteCondition }
  | {
      readonly kind: 'suppressed';
      readonly key: string;
      /** The open (or recent) incident this finding is recorded on. */
      readonly incidentId: string;
      readonly executionName: string;
      readonly until: number;
      /** The record to write back; identical to the stored one when this finding was already recorded. */
      readonly record: SuppressionRecord;
      readonly changed: boolean;
      readonly condition: WriteCondition;
    };

export class SuppressionError extends Error {
  override readonly name = 'SuppressionError';
}

/** `DETECTION#source[#port]` with the source in canonical form. `#` never occurs in an address. */
export function suppressionKey(f: Pick<SuppressionCandidate, 'detection' | 'source' | 'port'>): string {
  const address = parseAddress(f.source);
  if (address === undefined) throw new SuppressionError(`source "${f.source}" is not an IPv4 or IPv6 address`);
  return f.port === null ? `${f.detection}#${address.text}` : `${f.detection}#${address.text}#${f.port}`;
}

/** The safety bound on an incident's life: approval wait, block, and an hour for the steps between. */
export function maxIncidentSeconds(config: { readonly approvalTimeoutSeconds: number; readonly blockDurationSeconds: number }): number {
  return config.approvalTimeoutSeconds + config.blockDurationSeconds + 3600;
}

/** Suppression settings from the incident config (structurally: any object with these three fields). */
export function suppressionSettingsFor(config: { readonly suppressionSeconds: number; readonly approvalTimeoutSeconds: number; readonly blockDurationSeconds: number }): SuppressionSettings {
  return { suppressionSeconds: config.suppressionSeconds, maxOpenSeconds: maxIncidentSeconds(config) };
}

/** Whether a stored record still suppresses new incidents at `now` (it stops at `expiresAt` exactly). */
export function isSuppressing(record: SuppressionRecord, now: number): boolean {
  return now < record.expiresAt;
}

/**
 * Decide whether a finding opens a new incident or is recorded on the existing one (DESIGN §4):
 * suppressed while the stored incident is open or within the suppression period after it opened.
 * A finding already recorded (the same window detected again) changes nothing.
 */
export function decideSuppression(finding: SuppressionCandidate, stored: SuppressionRecord | null | undefined, now: number, settings: SuppressionSettings): SuppressionDecision {
  checkTime(now, 'now');
  const key = suppressionKey(finding);
  if (stored != null && stored.key !== key) throw new SuppressionError(`stored record is for "${stored.key}", not "${key}"`);
  if (stored != null && isSuppressing(stored, now)) {
    const seen = finding.id === stored.incidentId || finding.id === stored.lastFindingId;
    const record = seen ? stored : { ...stored, repeats: stored.repeats + 1, lastSeenAt: now, lastFindingId: finding.id };
    return {
      kind: 'suppressed',
      key,
      incidentId: stored.incidentId,
      executionName: stored.executionName,
      until: stored.expiresAt,
      record,
      changed: !seen,
      condition: { kind: 'same-incident', incidentId: stored.incidentId, repeats: stored.repeats },
    };
  }
  const suppressUntil = now + settings.suppressionSeconds;
  const openUntil = now + settings.maxOpenSeconds;
  const record: SuppressionRecord = {
    key,
    incidentId: finding.id,
    executionName: executionName(finding.id),
    openedAt: now,
    openUntil,
    closedAt: null,
    suppressUntil,
    expiresAt: Math.max(openUntil, suppressUntil),
    repeats: 0,
    lastSeenAt: null,
    lastFindingId: null,
  };
  return { kind: 'new', key, record, condition: { kind: 'absent-or-expired', now } };
}

/**
 * The record once its incident has closed: it keeps suppressing until the end of the suppression
 * period, and no longer than that, so a source still attacking after its block expires opens a new incident.
 */
export function closeSuppression(record: SuppressionRecord, closedAt: number): SuppressionRecord {
  checkTime(closedAt, 'closedAt');
  if (record.closedAt !== null) return record;
  return { ...record, openUntil: closedAt, closedAt, expiresAt: Math.max(closedAt, record.suppressUntil) };
}

/** The check a store makes before writing (what a DynamoDB ConditionExpression expresses). */
export function conditionHolds(condition: WriteCondition, current: SuppressionRecord | null | undefined): boolean {
  if (condition.kind === 'absent-or-expired') return current == null || !isSuppressing(current, condition.now);
  return current != null && current.incidentId === condition.incidentId && current.repeats === condition.repeats;
}

function checkTime(t: number, what: string): void {
  if (!Number.isSafeInteger(t) || t < 0) throw new SuppressionError(`${what}: expected epoch seconds, got ${String(t)}`);
}
