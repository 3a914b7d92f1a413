import type { EvaluatorState } from '../../core/detection/evaluator';
import type { KeyTables } from '../../core/detection/tables';
import { defaultUntil } from '../../core/detection/window';
import { BATCH_NUMS, RecordBatch } from './region-compiler';
import { addCount } from '../../core/detection/tables';
import { hashBatch } from './fingerprint';
import { compactBuffers, SourceTable, type CompactTable } from './source-table';
import type { HeavyTest, SourceKeys, SourceTotals } from './state-merge';

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

/** The buffers of source keys, for a transfer list. */
export function keyBuffers(k: SourceKeys): ArrayBuffer[] {
  return [k.version.buffer as ArrayBuffer, k.words.buffer as ArrayBuffer];
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
    /** Hash the records of its batches, to compare inputs (fingerprint.ts). */
    private readonly hashing = false,
    /** Count the records by source; false for a pass that only collects lines and compares inputs (collectRecords), with the window end known. */
    private readonly tables = true,
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
      if (!this.tables) return undefined;
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
  newBatch(arrays?: { readonly ints: Int32Array; readonly nums: Float64Array }): RecordBatch {
    const batch = this.until === undefined ? new RecordBatch(-Infinity, Infinity, 512, arrays) : new RecordBatch(this.lo, this.hi, 512, arrays);
    batch.hashing = this.hashing;
    // With the end not known, inputs may have to be compared on the final window alone (fingerprint.ts).
    if (this.hashing && this.until === undefined) batch.bucketWidth = this.bucketWidth;
    return batch;
  }

  /** Account a batch of records read by the byte scanner, and empty it. */
  addBatch(batch: RecordBatch): void {
    const { ints, nums } = batch;
    if (batch.hashing) hashBatch(batch);
    if (this.until !== undefined) {
      // The batch holds only records inside the known window (it counted the others): one table.
      if (batch.n > 0 && this.tables) {
        if (this.lastTable === undefined) this.buckets.set(0, (this.lastTable = new SourceTable(this.suspicious)));
        this.lastTable.addRecords(ints, nums, batch.n);
      }
    } else {
      for (let r = 0; r < batch.n; r++) this.tableFor(nums[r * BATCH_NUMS + 1]!)?.addRecord(ints, nums, r);
    }
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

  /** The sources whose totals over this window's buckets pass `test` (all when it is null); see state-merge.ts. */
  heavySources(test: HeavyTest): SourceKeys {
    const version: number[] = [];
    const words: number[] = [];
    const take = (key: readonly number[]): void => {
      version.push(key[0] as number);
      words.push(...key.slice(1));
    };
    if (this.buckets.size <= 1) {
      for (const t of this.buckets.values()) {
        for (let idx = 0; idx < t.sources; idx++) if (test === null || test(t.totals(idx))) take(t.keyOf(idx));
      }
    } else {
      const totals = new Map<string, { key: number[]; t: SourceTotals }>();
      for (const t of this.buckets.values()) {
        for (let idx = 0; idx < t.sources; idx++) {
          const key = t.keyOf(idx);
          const mine = t.totals(idx);
          const name = key.join(',');
          const sum = totals.get(name);
          if (sum === undefined) totals.set(name, { key, t: mine });
          else {
            // Sums of per-bucket distinct-port counts and maxima stay upper bounds.
            sum.t.count += mine.count;
            sum.t.bytes = addCount(sum.t.bytes, mine.bytes);
            sum.t.rejectPorts += mine.rejectPorts;
            sum.t.suspiciousMax += mine.suspiciousMax;
          }
        }
      }
      for (const { key, t } of totals.values()) if (test === null || test(t)) take(key);
    }
    return { version: Uint8Array.from(version), words: Int32Array.from(words) };
  }

  /**
   * Everything accumulated, as compact tables; with `keys`, only those sources (every bucket's
   * record count stays whole).
   */
  compactState(keys?: SourceKeys): CompactState {
    return {
      maxStart: this.maxStartSeen,
      outOfWindow: this.out,
      buckets: [...this.buckets].map(([b, t]) => {
        if (keys === undefined) return [b, t.toCompact()] as const;
        const picked: number[] = [];
        const w = keys.words;
        for (let j = 0; j < keys.version.length; j++) {
          const idx = t.find(keys.version[j]!, w[j * 4]!, w[j * 4 + 1]!, w[j * 4 + 2]!, w[j * 4 + 3]!);
          if (idx >= 0) picked.push(idx);
        }
        return [b, t.toCompact(Int32Array.from(picked))] as const;
      }),
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
