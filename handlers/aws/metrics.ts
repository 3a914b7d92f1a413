/** Finding metrics as CloudWatch embedded metric format (EMF) log lines, through Powertools Metrics. */
import { Metrics, MetricUnit } from '@aws-lambda-powertools/metrics';
import { findingMetric } from '../../infra/metrics';
import type { FindingCount, MetricsPort } from '../ports/metrics';

/**
 * Publishes each detection's finding count as the metric infra/metrics.ts names and the alarms
 * watch: namespace `Flowir`, dimensions exactly Environment and Detection. Powertools adds a
 * `service` dimension by default; a metric with an extra dimension is a different metric to
 * CloudWatch, and the alarm would never see it, so the defaults are cleared. EMF needs no
 * PutMetricData call (and no permission beyond writing the function's logs).
 */
export class EmfFindingMetrics implements MetricsPort {
  constructor(private readonly envName: string) {}

  async findings(counts: readonly FindingCount[]): Promise<void> {
    for (const { detection, findings } of counts) {
      const identity = findingMetric(this.envName, detection);
      const metric = new Metrics({ namespace: identity.namespace, singleMetric: true });
      metric.clearDefaultDimensions();
      metric.addDimensions({ ...identity.dimensions });
      // A single metric is written as soon as it is added.
      metric.addMetric(identity.metricName, MetricUnit.Count, findings);
    }
  }
}
