import { addCount } from '../../core/detection/tables';
import { defaultUntil } from '../../core/detection/window';
import type { Count } from '../../core/flowlog/record';
import type { TableSummary } from './source-table';

/** A thread's window in summary: per time bucket, what each source counted (see TableSummary). */
export interface WindowSummary {
  readonly maxStart: number | null;
  readonly outOfWindow: number;
  readonly buckets: readonly (readonly [number, TableSummary])[];
}

/** Per source over every thread and bucket of the window: exact count and bytes, upper bounds for the rest. */
export interface SourceTotals {
  count: number;
  bytes: Count;
  /** At least the number of distinct reject ports. */
  rejectPorts: number;
  /** At least the largest REJECT count on one suspicious port. */
  suspiciousMax: number;
}

/** Per bucket, the indices (in the thread's table order) of the sources to hand over in full. */
export type Wanted = readonly (readonly [number, Int32Array])[];

const gcd = (a: number, b: number): number => (b === 0 ? a : gcd(b, a % b));

const keyOf = (s: TableSummary, j: number): string => {
  const k = j * 4;
  const w = s.keyWords;
  return s.version[j] === 4 ? `4:${w[k]}` : `6:${w[k]},${w[k + 1]},${w[k + 2]},${w[k + 3]}`;
};

/**
 * Which sources each thread must send in full: those whose totals over all threads, in the
 * buckets the final window keeps, `isCandidate` accepts (all when it is undefined). The rest can
 * make no finding; their records still count, through each bucket's record total.
 */
export function pickCandidates(summaries: readonly WindowSummary[], until: number | undefined, windowSeconds: number, isCandidate: ((t: SourceTotals) => boolean) | undefined): Wanted[] {
  const width = gcd(3600, windowSeconds);
  let keep = (_bucket: number): boolean => true;
  if (until === undefined) {
    const starts = summaries.map((s) => s.maxStart).filter((m): m is number => m !== null);
    if (starts.length > 0) {
      const lower = defaultUntil(Math.max(...starts)) - windowSeconds;
      keep = (b) => (b + 1) * width > lower;
    }
  }
  const totals = new Map<string, SourceTotals>();
  for (const summary of summaries) {
    for (const [b, s] of summary.buckets) {
      if (!keep(b)) continue;
      const big = new Map(s.bigBytes);
      for (let j = 0; j < s.version.length; j++) {
        const key = keyOf(s, j);
        const bytes: Count = s.bytes[j] === -1 ? (big.get(j) ?? 0n) : (s.bytes[j] as number);
        const t = totals.get(key);
        if (t === undefined) {
          totals.set(key, { count: s.count[j] as number, bytes, rejectPorts: s.rejectPorts[j] as number, suspiciousMax: s.suspiciousMax[j] as number });
        } else {
          t.count += s.count[j] as number;
          t.bytes = addCount(t.bytes, bytes);
          t.rejectPorts += s.rejectPorts[j] as number;
          t.suspiciousMax += s.suspiciousMax[j] as number;
        }
      }
    }
  }
  const chosen = new Set<string>();
  for (const [key, t] of totals) if (isCandidate === undefined || isCandidate(t)) chosen.add(key);
  return summaries.map((summary) =>
    summary.buckets
      .filter(([b]) => keep(b))
      .map(([b, s]) => {
        const picked: number[] = [];
        for (let j = 0; j < s.version.length; j++) if (chosen.has(keyOf(s, j))) picked.push(j);
        return [b, Int32Array.from(picked)] as const;
      }),
  );
}
