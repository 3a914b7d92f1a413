import type { FlowirConfig } from '../../core/detection/config';
import type { DetectionId } from '../../core/detection/rules';
import type { IpSetVersion } from '../../core/containment/guardrails';
import type { IncidentConfig } from '../../core/policy/incident-config';
import type { IpSetRef } from '../ports';

/** What the containment guardrails need to know about this deployment. */
export interface GuardrailSettings {
  /** Never blocked: the detection allowlist plus the incident config's `neverBlock`. */
  readonly neverBlock: readonly string[];
  /** The VPC's own CIDRs. */
  readonly vpcCidrs: readonly string[];
  readonly allowPrivate: boolean;
  readonly maxBlocksPerHour: number;
  /** Detections whose block also denies the source in the targeted subnets' network ACLs (default: the incident config's default). */
  readonly networkAclDeny?: readonly DetectionId[];
}

/** The guardrail settings of a deployment, from its detection and incident configs. */
export function guardrailSettings(detection: Pick<FlowirConfig, 'allowlist'>, incident: Pick<IncidentConfig, 'neverBlock' | 'allowPrivate' | 'maxBlocksPerHour'> & Partial<Pick<IncidentConfig, 'networkAclDeny'>>, vpcCidrs: readonly string[]): GuardrailSettings {
  return {
    neverBlock: [...detection.allowlist, ...incident.neverBlock],
    vpcCidrs,
    allowPrivate: incident.allowPrivate,
    maxBlocksPerHour: incident.maxBlocksPerHour,
    ...(incident.networkAclDeny === undefined ? {} : { networkAclDeny: incident.networkAclDeny }),
  };
}

/** The two blocklist IP sets: WAF keeps IPv4 and IPv6 addresses apart. */
export type IpSetPair = Readonly<Record<IpSetVersion, IpSetRef>>;
