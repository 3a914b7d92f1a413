import { checkGuardrails } from '../core/containment/guardrails';
import type { IncidentConfig } from '../core/policy/incident-config';
import { policyFor } from '../core/policy/containment-policy';
import type { PolicyInput, PolicyOutput } from '../workflows/contract';
import type { GuardrailSettings } from './containment/settings';
import { readEvidence, readFinding, readObject } from './containment/task-input';

export interface PolicyDeps {
  readonly incident: Pick<IncidentConfig, 'policy' | 'approvalTimeoutSeconds' | 'blockDurationSeconds'>;
  readonly guardrails: GuardrailSettings;
}

/**
 * The `DecidePolicy` step: which policy applies (by detection, else severity), and whether a block
 * of this source would pass the guardrails that do not change over time (allowlist, VPC CIDRs,
 * private and non-host ranges), so that nobody is asked to approve a block that would be refused.
 * The hourly cap and the IP set's room are checked again when blocking.
 */
export function createPolicyHandler(deps: PolicyDeps): (input: PolicyInput) => Promise<PolicyOutput> {
  return async (raw) => {
    const input = readObject(raw, 'input');
    const { finding } = readFinding(input.finding);
    readEvidence(input.evidence);
    const decision = checkGuardrails({
      source: finding.source,
      allowlist: deps.guardrails.neverBlock,
      vpcCidrs: deps.guardrails.vpcCidrs,
      allowPrivate: deps.guardrails.allowPrivate,
      blocksInLastHour: 0,
      maxBlocksPerHour: deps.guardrails.maxBlocksPerHour,
    });
    return {
      policy: policyFor(finding, deps.incident.policy),
      guard: decision.allowed ? { allowed: true, guardrail: null, reason: null } : { allowed: false, guardrail: decision.refusal.guardrail, reason: decision.refusal.reason },
      approvalTimeoutSeconds: deps.incident.approvalTimeoutSeconds,
      blockSeconds: deps.incident.blockDurationSeconds,
    };
  };
}
