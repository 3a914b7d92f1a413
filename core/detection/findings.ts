import type { CidrSet } from '../flowlog/address';
import type { Count } from '../flowlog/record';
import type { FlowirConfig } from './config';
import { RULES, type DetectionId, type Severity } from './rules';
import type { TimeWindow } from './window';

export interface Finding {
  /** `DETECTION:source[:port]:windowEnd` — deterministic, so a re-run of a window gives the same ids. */
  readonly id: string;
  readonly detection: DetectionId;
  readonly severity: Severity;
  readonly source: string;
  readonly port: number | null;
  readonly value: Count;
  readonly threshold: number;
  readonly window: TimeWindow;
}

export function findingId(detection: DetectionId, source: string, port: number | null, window: TimeWindow): string {
  return port === null ? `${detection}:${source}:${window.end}` : `${detection}:${source}:${port}:${window.end}`;
}

export function makeFinding(config: FlowirConfig, detection: DetectionId, source: string, port: number | null, value: Count, window: TimeWindow): Finding {
  const settings = config.detections[detection];
  return { id: findingId(detection, source, port, window), detection, severity: settings.severity, source, port, value, threshold: settings.threshold, window };
}

/** Strictly greater than the threshold, exact for bigint sums. */
export function exceeds(value: Count, threshold: number): boolean {
  return typeof value === 'bigint' ? value > BigInt(threshold) : value > threshold;
}

const ORDER: readonly DetectionId[] = ['PORT_SCAN', 'SUSPICIOUS_PORT_ACCESS', 'HIGH_TRAFFIC_VOLUME', 'HIGH_CONNECTION_COUNT'];

/** Most urgent first: by detection, then largest value, then source and port, so output is stable. */
export function compareFindings(a: Finding, b: Finding): number {
  const d = ORDER.indexOf(a.detection) - ORDER.indexOf(b.detection);
  if (d !== 0) return d;
  if (a.value !== b.value) return a.value > b.value ? -1 : 1;
  if (a.source !== b.source) return a.source < b.source ? -1 : 1;
  return (a.port ?? -1) - (b.port ?? -1);
}

export interface AllowlistOutcome {
  readonly kept: Finding[];
  readonly allowlisted: Finding[];
}

/** Drop findings whose source is in an allowlisted CIDR (the same step on AWS and locally). */
export function applyAllowlist(findings: readonly Finding[], allowlist: CidrSet): AllowlistOutcome {
  const kept: Finding[] = [];
  const allowlisted: Finding[] = [];
  for (const f of findings) (allowlist.has(f.source) ? allowlisted : kept).push(f);
  return { kept, allowlisted };
}

/** A one-line description of a finding in plain words. */
export function describeFinding(f: Finding): string {
  const rule = RULES[f.detection];
  const port = f.port === null ? '' : ` on port ${f.port}`;
  return `${rule.title}: ${f.source}${port} — ${String(f.value)} ${rule.unit} (threshold ${f.threshold})`;
}

/** JSON text for values that may hold bigints (written as exact JSON numbers). */
export function toJson(value: unknown, indent?: number): string {
  const marks: string[] = [];
  const text = JSON.stringify(
    value,
    (_k, v: unknown) => {
      if (typeof v === 'bigint') {
        marks.push(v.toString());
        return `\u0000big${marks.length - 1}\u0000`;
      }
      return v;
    },
    indent,
  );
  return marks.length === 0 ? text : text.replace(/"\\u0000big(\d+)\\u0000"/g, (_m, i: string) => marks[Number(i)] ?? '0');
}
