/** How an incident ended; every execution records exactly one. */
export const INCIDENT_OUTCOMES = ['CONTAINED', 'REJECTED', 'TIMED_OUT', 'NOTIFIED', 'UNCONFIRMED', 'SUPPRESSED', 'GUARDED', 'FAILED'] as const;

/**
 * - `CONTAINED`: the source was blocked (and released at expiry).
 * - `REJECTED`: an approver said no.
 * - `TIMED_OUT`: nobody decided within the approval timeout; no containment, an escalation was sent.
 * - `NOTIFIED`: policy `notify`: alert and ticket only.
 * - `UNCONFIRMED`: the exact recount on raw records did not exceed the threshold.
 * - `SUPPRESSED`: an incident for the same key is open or within its suppression period.
 * - `GUARDED`: a containment guardrail refused the block.
 * - `FAILED`: a step failed; the error is recorded with it.
 */
export type IncidentOutcome = (typeof INCIDENT_OUTCOMES)[number];

/** Type guard for outcomes read from task output or history. */
export function isIncidentOutcome(value: unknown): value is IncidentOutcome {
  return typeof value === 'string' && (INCIDENT_OUTCOMES as readonly string[]).includes(value);
}
