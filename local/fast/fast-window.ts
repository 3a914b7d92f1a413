import type { EvaluatorState } from '../../core/detection/evaluator';
import type { KeyTables } from '../../core/detection/tables';
import { defaultUntil } from '../../core/detection/window';
import { BATCH_NUMS, RecordBatch } from './region-compiler';
import { compactBuffers, SourceTable, summaryBuffers, type CompactTable } from './source-table';
import type { Wanted, WindowSummary } from './state-merge';

/** A window's accumulators as compact tables, to pass between threads (buffers transferred). */
export interface CompactState {
  readonly maxStart: number | null;
  readonly outOfWindow: number;
  readonly buckets: readonly (readonly [number, CompactTable])[];
}

/** The buffers of a compact state, for a transfer list. */
export function stateBuffers(s: CompactState): ArrayBuffer[] {
  return s.buckets.flatMap(([, t]) => compactBuffers(t));
}

/** The buffers of a window summary, for a transfer list. */
export function summaryStateBuffers(s: WindowSummary): ArrayBuffer[] {
  return s.buckets.flatMap(([, t]) => summaryBuffers(t));
}

const gcd = (a: number, b: number): number => (b === 0 ? a : gcd(b, a % b));

/**
 * `DetectionEvaluator.tableFor` over `SourceTable`s: the same window test, the same time buckets
 * when the window end is not known yet, the same out-of-window counting and bucket dropping. Its
 * `state()` is an `EvaluatorState`, so a `DetectionEvaluator` merges it and makes the findings.
 */
export class FastWindow {
  private readonly bucketWidth: number;
  private readonly buckets = new Map<number, SourceTable>();
  private readonly suspicious: Uint8Array;
  private maxStartSeen: number | null = null;
  private lowerBound = -Infinity;
  private out = 0;
  private lastBucket = Number.NaN;
  private lastTable: SourceTable | undefined;
  private readonly lo: number;
  private readonly hi: number;

  constructor(
    private readonly until: number | undefined,
    private readonly seconds: number,
    suspiciousPorts: readonly number[],
  ) {
    this.bucketWidth = gcd(3600, seconds);
    this.suspicious = new Uint8Array(65536);
    for (const p of suspiciousPorts) this.suspicious[p] = 1;
    this.lo = until === undefined ? 0 : until - seconds;
    this.hi = until ?? 0;
  }

  /** The latest record start seen (only tracked when the window end is unknown, as the reference does). */
  get maxStart(): number | null {
    return this.maxStartSeen;
  }

  tableFor(start: number): SourceTable | undefined {
    if (this.until !== undefined) {
      if (start < this.lo || start >= this.hi) {
        this.out++;
        return undefined;
      }
      if (this.lastTable === undefined) this.buckets.set(0, (this.lastTable = new SourceTable(this.suspicious)));
      return this.lastTable;
    }
    if (this.maxStartSeen === null || start > this.maxStartSeen) {
      this.maxStartSeen = start;
      const lower = defaultUntil(start) - this.seconds;
      if (lower > this.lowerBound) this.raiseLowerBound(lower);
    }
    if (start < this.lowerBound) {
      this.out++;
      return undefined;
    }
    const b = Math.floor(start / this.bucketWidth);
    if (b === this.lastBucket && this.lastTable !== undefined) return this.lastTable;
    let t = this.buckets.get(b);
    if (t === undefined) this.buckets.set(b, (t = new SourceTable(this.suspicious)));
    this.lastBucket = b;
    this.lastTable = t;
    return t;
  }

  /** A batch for the byte scanner: with the window end known, it counts out-of-window records itself. */
  newBatch(): RecordBatch {
    return this.until === undefined ? new RecordBatch() : new RecordBatch(this.lo, this.hi);
  }

  /** Account a batch of records read by the byte scanner, and empty it. */
  addBatch(batch: RecordBatch): void {
    const { ints, nums } = batch;
    for (let r = 0; r < batch.n; r++) this.tableFor(nums[r * BATCH_NUMS + 1]!)?.addRecord(ints, nums, r);
    this.out += batch.outside;
    batch.n = 0;
    batch.outside = 0;
  }

  private raiseLowerBound(lower: number): void {
    this.lowerBound = lower;
    for (const [b, t] of this.buckets) {
      if ((b + 1) * this.bucketWidth <= lower) {
        this.out += t.records;
        this.buckets.delete(b);
        if (t === this.lastTable) {
          this.lastTable = undefined;
          this.lastBucket = Number.NaN;
        }
      }
    }
  }

  /** What each source counted, per bucket, to choose the sources worth handing over (state-merge.ts). */
  summary(): WindowSummary {
    return { maxStart: this.maxStartSeen, outOfWindow: this.out, buckets: [...this.buckets].map(([b, t]) => [b, t.summary()] as const) };
  }

  /**
   * Everything accumulated, as compact tables; with `wanted`, only the sources it lists per
   * bucket (every bucket's record count stays whole).
   */
  compactState(wanted?: Wanted): CompactState {
    const picked = wanted === undefined ? undefined : new Map(wanted);
    const none = new Int32Array(0);
    return {
      maxStart: this.maxStartSeen,
      outOfWindow: this.out,
      buckets: [...this.buckets].map(([b, t]) => [b, t.toCompact(picked === undefined ? undefined : (picked.get(b) ?? none))] as const),
    };
  }

  /** Fold in another window's state, as `DetectionEvaluator.merge` does. */
  mergeCompact(other: CompactState): void {
    this.out += other.outOfWindow;
    const known = this.until !== undefined;
    if (!known && other.maxStart !== null && (this.maxStartSeen === null || other.maxStart > this.maxStartSeen)) this.maxStartSeen = other.maxStart;
    for (const [b, t] of other.buckets) {
      let mine = this.buckets.get(b);
      if (mine === undefined) this.buckets.set(b, (mine = new SourceTable(this.suspicious)));
      mine.mergeCompact(t);
    }
    this.lastTable = this.buckets.get(known ? 0 : this.lastBucket);
    if (!known && this.maxStartSeen !== null) this.raiseLowerBound(Math.max(this.lowerBound, defaultUntil(this.maxStartSeen) - this.seconds));
  }

  /** Everything accumulated, in the form `DetectionEvaluator.merge` takes. */
  state(): EvaluatorState {
    const buckets: [number, KeyTables][] = [];
    for (const [b, t] of this.buckets) buckets.push([b, t.toKeyTables()]);
    return { maxStart: this.maxStartSeen, outOfWindow: this.out, buckets };
  }
}
