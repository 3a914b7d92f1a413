import type { FlowirConfig } from '../../core/detection/config';
import { DETECTION_IDS } from '../../core/detection/rules';
import type { Count } from '../../core/flowlog/record';

/**
 * Handing thread windows over. Each thread's window holds every source it saw, and most sources
 * can make no finding. A source's total over all threads passes a threshold only if its share in
 * at least one thread passes the threshold divided by the number of threads (pigeonhole), so each
 * thread first lists the sources whose share does; then every thread sends those sources in full,
 * and the evaluator decides on exact totals. Record counts always go over whole.
 */

/** Source keys: a version byte (4 or 6) and four words per source (IPv4 in the first). */
export interface SourceKeys {
  readonly version: Uint8Array;
  readonly words: Int32Array;
}

/** One source in one thread, over its buckets: exact count and bytes, upper bounds for the rest. */
export interface SourceTotals {
  count: number;
  bytes: Count;
  /** At least the number of distinct REJECT ports. */
  rejectPorts: number;
  /** At least the REJECT count on any one suspicious port. */
  suspiciousMax: number;
}

/** Whether a thread's share of a source may make a finding; null: any source may (see heavyTest). */
export type HeavyTest = ((t: SourceTotals) => boolean) | null;

const KNOWN_RULES: readonly string[] = ['HIGH_CONNECTION_COUNT', 'HIGH_TRAFFIC_VOLUME', 'PORT_SCAN', 'SUSPICIOUS_PORT_ACCESS'];

/**
 * The test for one thread of `parts`. The fractions are lowered by one so that rounding can only
 * let more sources through. A rule this does not know (one added later) lets every source through.
 */
export function heavyTest(config: FlowirConfig, parts: number): HeavyTest {
  if (DETECTION_IDS.some((id) => !KNOWN_RULES.includes(id))) return null;
  const d = config.detections;
  const share = (threshold: number): number => threshold / parts - 1;
  const count = share(d.HIGH_CONNECTION_COUNT.threshold);
  const bytes = share(d.HIGH_TRAFFIC_VOLUME.threshold);
  const ports = share(d.PORT_SCAN.threshold);
  const suspicious = share(d.SUSPICIOUS_PORT_ACCESS.threshold);
  return (t) => t.count > count || typeof t.bytes === 'bigint' || t.bytes > bytes || t.rejectPorts > ports || t.suspiciousMax > suspicious;
}

/** The keys of several lists, each once. */
export function unionKeys(lists: readonly SourceKeys[]): SourceKeys {
  const seen = new Set<string>();
  const version: number[] = [];
  const words: number[] = [];
  for (const l of lists) {
    for (let j = 0; j < l.version.length; j++) {
      const w = l.words.subarray(j * 4, j * 4 + 4);
      const key = `${l.version[j]}:${w.join(',')}`;
      if (seen.has(key)) continue;
      seen.add(key);
      version.push(l.version[j] as number);
      words.push(...w);
    }
  }
  return { version: Uint8Array.from(version), words: Int32Array.from(words) };
}
