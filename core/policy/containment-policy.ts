import type { DetectionId, Severity } from '../detection/rules';

/** What the incident workflow does once a finding is confirmed. */
export const CONTAINMENT_POLICIES = ['notify', 'approve', 'auto'] as const;
/** `notify`: ticket and alert only; `approve`: wait for a human decision; `auto`: contain at once. */
export type ContainmentPolicy = (typeof CONTAINMENT_POLICIES)[number];

/** Which policy applies: a per-detection override wins over the per-severity default. */
export interface PolicyTable {
  readonly bySeverity: Readonly<Record<Severity, ContainmentPolicy>>;
  readonly byDetection: Readonly<Partial<Record<DetectionId, ContainmentPolicy>>>;
}

/** Defaults from the runbooks: warnings are only notified, critical findings need an approver. */
export const DEFAULT_POLICY: PolicyTable = {
  bySeverity: { WARNING: 'notify', CRITICAL: 'approve' },
  byDetection: {},
};

/** Type guard for policy names read from JSON or task input. */
export function isContainmentPolicy(value: unknown): value is ContainmentPolicy {
  return typeof value === 'string' && (CONTAINMENT_POLICIES as readonly string[]).includes(value);
}

/** The policy for a finding (only its detection and severity matter). */
export function policyFor(finding: { readonly detection: DetectionId; readonly severity: Severity }, table: PolicyTable = DEFAULT_POLICY): ContainmentPolicy {
  return table.byDetection[finding.detection] ?? table.bySeverity[finding.severity];
}
