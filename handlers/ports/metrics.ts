/**
 * The detection metrics port: how the detection workflow reports findings per run to the alarms
 * and the dashboard. On AWS it writes the `Flowir` metrics (infra/metrics.ts names them); locally,
 * a file or nothing.
 */
import type { DetectionId } from '../../core/detection/rules';

/** Findings over threshold (allowlisted ones excluded) of one detection in one run. */
export interface FindingCount {
  readonly detection: DetectionId;
  readonly findings: number;
}

export interface MetricsPort {
  /** Publish one datapoint per detection, zero included, so a quiet run still shows on the dashboard. */
  findings(counts: readonly FindingCount[]): Promise<void>;
}
