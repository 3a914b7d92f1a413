import { RULES, type DetectionGroup, type DetectionId } from '../core/detection/rules';

/**
 * The CloudWatch metrics flowir publishes, in one place: the dashboard and alarms read them, the
 * detection workflow (and the flow-log metric filters) write them. Changing a name here changes both.
 */
export const METRIC_NAMESPACE = 'Flowir';

/** Findings per detection run, published by the detection workflow with dimensions Environment and Detection. */
export const FINDING_METRIC: Readonly<Record<DetectionGroup, string>> = {
  anomaly: 'Anomalies',
  security: 'SecurityEvents',
};

/** Traffic sums from the flow-log metric filters, with dimensions VpcId (when recorded) and Action. */
export const TRAFFIC_METRIC = { bytes: 'Bytes', packets: 'Packets' } as const;

export const DIMENSION = {
  environment: 'Environment',
  detection: 'Detection',
  vpcId: 'VpcId',
  action: 'Action',
} as const;

/** What the detection workflow publishes for one detection: `PutMetricData` with exactly these. */
export interface FindingMetricIdentity {
  readonly namespace: string;
  readonly metricName: string;
  readonly dimensions: Readonly<Record<string, string>>;
}

/** The metric the detection workflow publishes (value: findings in the run) and the alarm of `detection` watches. */
export function findingMetric(envName: string, detection: DetectionId): FindingMetricIdentity {
  return {
    namespace: METRIC_NAMESPACE,
    metricName: FINDING_METRIC[RULES[detection].group],
    dimensions: { [DIMENSION.environment]: envName, [DIMENSION.detection]: detection },
  };
}
