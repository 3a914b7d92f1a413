import type { FlowirConfig } from '../../core/detection/config';
import type { IncidentConfig } from '../../core/policy/incident-config';

/**
 * The detection config as the Lambdas read it from FLOWIR_DETECTION_CONFIG: the same JSON a config
 * file holds (core/detection parseConfig takes it back unchanged).
 */
export function detectionConfigDocument(config: FlowirConfig): string {
  return JSON.stringify(config);
}

/**
 * The incident config as the Lambdas read it from FLOWIR_INCIDENT_CONFIG: the `incident` section
 * of a config file, whose `policy` is one map of severities and detections (core/policy
 * parseIncidentConfig takes it back unchanged).
 */
export function incidentConfigDocument(config: IncidentConfig): string {
  return JSON.stringify({
    approvalTimeoutSeconds: config.approvalTimeoutSeconds,
    blockDurationSeconds: config.blockDurationSeconds,
    suppressionSeconds: config.suppressionSeconds,
    maxBlocksPerHour: config.maxBlocksPerHour,
    allowPrivate: config.allowPrivate,
    neverBlock: config.neverBlock,
    policy: { ...config.policy.bySeverity, ...config.policy.byDetection },
    networkAclDeny: config.networkAclDeny,
  });
}
