/** The four runbook detections. Each is defined here once; the evaluator and the query compilers read it. */
export const DETECTION_IDS = ['PORT_SCAN', 'SUSPICIOUS_PORT_ACCESS', 'HIGH_TRAFFIC_VOLUME', 'HIGH_CONNECTION_COUNT'] as const;
export type DetectionId = (typeof DETECTION_IDS)[number];
export type Severity = 'WARNING' | 'CRITICAL';
/** Which scheduled detection workflow runs a rule. */
export type DetectionGroup = 'anomaly' | 'security';

export interface RuleDefinition {
  readonly id: DetectionId;
  readonly title: string;
  readonly group: DetectionGroup;
  /** Group-by key: the source address, and for some rules the destination port too. */
  readonly key: 'srcaddr' | 'srcaddr,dstport';
  readonly measure: 'sum-bytes' | 'count' | 'distinct-dstport';
  /** Records the measure looks at, beyond log-status OK and the time window. */
  readonly filter: { readonly action?: 'REJECT'; readonly dstportInSuspiciousList?: true };
  readonly unit: string;
  readonly describe: string;
}

export const RULES: Readonly<Record<DetectionId, RuleDefinition>> = {
  PORT_SCAN: {
    id: 'PORT_SCAN',
    title: 'Port scan',
    group: 'security',
    key: 'srcaddr',
    measure: 'distinct-dstport',
    filter: { action: 'REJECT' },
    unit: 'distinct rejected destination ports',
    describe: 'one source was rejected on many distinct destination ports',
  },
  SUSPICIOUS_PORT_ACCESS: {
    id: 'SUSPICIOUS_PORT_ACCESS',
    title: 'Suspicious port access',
    group: 'security',
    key: 'srcaddr,dstport',
    measure: 'count',
    filter: { action: 'REJECT', dstportInSuspiciousList: true },
    unit: 'rejected connections to the port',
    describe: 'one source was rejected many times on a remote-access or file-sharing port',
  },
  HIGH_TRAFFIC_VOLUME: {
    id: 'HIGH_TRAFFIC_VOLUME',
    title: 'High traffic volume',
    group: 'anomaly',
    key: 'srcaddr',
    measure: 'sum-bytes',
    filter: {},
    unit: 'bytes',
    describe: 'one source sent an unusual volume of bytes',
  },
  HIGH_CONNECTION_COUNT: {
    id: 'HIGH_CONNECTION_COUNT',
    title: 'High connection count',
    group: 'anomaly',
    key: 'srcaddr',
    measure: 'count',
    filter: {},
    unit: 'flow records',
    describe: 'one source opened an unusual number of connections',
  },
};

export function isDetectionId(value: string): value is DetectionId {
  return (DETECTION_IDS as readonly string[]).includes(value);
}
