import { CidrSet } from '../flowlog/address';
import type { DetectionRecord } from '../flowlog/record';
import type { FlowirConfig } from './config';
import { applyAllowlist, compareFindings, exceeds, makeFinding, type Finding } from './findings';
import { newTables, mergeTables, recordInto, type KeyTables } from './tables';
import { defaultUntil, windowEndingAt, type TimeWindow } from './window';

export interface EvaluatorOptions {
  readonly config: FlowirConfig;
  /** Window end (epoch seconds). When absent, the next whole hour after the latest record's start. */
  readonly until?: number;
  /** Window length in seconds; defaults to the config's. */
  readonly windowSeconds?: number;
}

/** What an evaluator holds, in a form that crosses worker threads (structured clone). */
export interface EvaluatorState {
  readonly maxStart: number | null;
  readonly outOfWindow: number;
  readonly buckets: ReadonlyArray<readonly [number, KeyTables]>;
}

export interface Evaluation {
  readonly window: TimeWindow;
  readonly inWindow: number;
  readonly outOfWindow: number;
  /** Findings over threshold, allowlisted sources removed, most urgent first. */
  readonly findings: Finding[];
  /** Findings dropped because their source is allowlisted. */
  readonly allowlisted: Finding[];
}

const gcd = (a: number, b: number): number => (b === 0 ? a : gcd(b, a % b));

/**
 * The streaming local evaluator: one pass, memory bounded by distinct keys.
 *
 * With a known window end, in-window records go into one table. Without one, the end is only known
 * at the end of input (the next whole hour after the latest start), so records go into time buckets
 * whose width divides both the hour and the window; any record or bucket that falls before the
 * earliest window start still possible is dropped as soon as that is certain. Memory stays bounded
 * by distinct keys times (window / bucket width + 1).
 */
export class DetectionEvaluator {
  private readonly config: FlowirConfig;
  private readonly seconds: number;
  private readonly until: number | undefined;
  private readonly bucketWidth: number;
  private readonly buckets = new Map<number, KeyTables>();
  private readonly suspicious: ReadonlySet<number>;
  private maxStart: number | null = null;
  private lowerBound = -Infinity;
  private out = 0;

  constructor(options: EvaluatorOptions) {
    this.config = options.config;
    this.seconds = options.windowSeconds ?? options.config.windowSeconds;
    this.until = options.until;
    this.bucketWidth = gcd(3600, this.seconds);
    this.suspicious = new Set(options.config.suspiciousPorts);
  }

  get suspiciousPorts(): ReadonlySet<number> {
    return this.suspicious;
  }

  /**
   * The table an in-window record with this start belongs in, or undefined (and counted as out of
   * window) when it cannot be in the final window.
   */
  tableFor(start: number): KeyTables | undefined {
    if (this.until !== undefined) {
      if (start < this.until - this.seconds || start >= this.until) {
        this.out++;
        return undefined;
      }
      let t = this.buckets.get(0);
      if (t === undefined) this.buckets.set(0, (t = newTables()));
      return t;
    }
    if (this.maxStart === null || start > this.maxStart) {
      this.maxStart = start;
      const lower = defaultUntil(start) - this.seconds;
      if (lower > this.lowerBound) this.raiseLowerBound(lower);
    }
    if (start < this.lowerBound) {
      this.out++;
      return undefined;
    }
    const b = Math.floor(start / this.bucketWidth);
    let t = this.buckets.get(b);
    if (t === undefined) this.buckets.set(b, (t = newTables()));
    return t;
  }

  private raiseLowerBound(lower: number): void {
    this.lowerBound = lower;
    this.dropBucketsBeforeLowerBound();
  }

  private dropBucketsBeforeLowerBound(): void {
    const lower = this.lowerBound;
    for (const [b, t] of this.buckets) {
      if ((b + 1) * this.bucketWidth <= lower) {
        this.out += t.records;
        this.buckets.delete(b);
      }
    }
  }

  add(r: DetectionRecord): void {
    const t = this.tableFor(r.start);
    if (t !== undefined) recordInto(t, r.srcaddr, r.dstport, r.bytes, r.action === 'REJECT', this.suspicious);
  }

  state(): EvaluatorState {
    return { maxStart: this.maxStart, outOfWindow: this.out, buckets: [...this.buckets] };
  }

  /** Fold in another evaluator's state (same options), e.g. from a worker thread. */
  merge(other: EvaluatorState): void {
    this.out += other.outOfWindow;
    if (this.until === undefined && other.maxStart !== null && (this.maxStart === null || other.maxStart > this.maxStart)) {
      this.maxStart = other.maxStart;
    }
    for (const [b, t] of other.buckets) {
      let mine = this.buckets.get(b);
      // A copy, so that later records added here never write into the other evaluator's tables.
      if (mine === undefined) this.buckets.set(b, (mine = newTables()));
      mergeTables(mine, t);
    }
    if (this.until === undefined && this.maxStart !== null) {
      const lower = defaultUntil(this.maxStart) - this.seconds;
      if (lower > this.lowerBound) this.lowerBound = lower;
      // Always, not only when the bound rose: the other side's buckets may lie below a bound this side already had.
      this.dropBucketsBeforeLowerBound();
    }
  }

  /** The window the evaluation covers (known once all input is in). */
  window(nowSeconds: number = Math.floor(Date.now() / 1000)): TimeWindow {
    const until = this.until ?? defaultUntil(this.maxStart ?? nowSeconds);
    return windowEndingAt(until, this.seconds);
  }

  finish(nowSeconds?: number): Evaluation {
    const window = this.window(nowSeconds);
    const all = newTables();
    for (const t of this.buckets.values()) mergeTables(all, t);
    const raw: Finding[] = [];
    const d = this.config.detections;
    for (const [src, s] of all.sources) {
      if (d.HIGH_CONNECTION_COUNT.enabled && exceeds(s.count, d.HIGH_CONNECTION_COUNT.threshold)) {
        raw.push(makeFinding(this.config, 'HIGH_CONNECTION_COUNT', src, null, s.count, window));
      }
      if (d.HIGH_TRAFFIC_VOLUME.enabled && exceeds(s.bytes, d.HIGH_TRAFFIC_VOLUME.threshold)) {
        raw.push(makeFinding(this.config, 'HIGH_TRAFFIC_VOLUME', src, null, s.bytes, window));
      }
      if (d.PORT_SCAN.enabled && s.rejectPorts && exceeds(s.rejectPorts.size, d.PORT_SCAN.threshold)) {
        raw.push(makeFinding(this.config, 'PORT_SCAN', src, null, s.rejectPorts.size, window));
      }
      if (d.SUSPICIOUS_PORT_ACCESS.enabled && s.suspicious) {
        for (const [port, n] of s.suspicious) {
          if (exceeds(n, d.SUSPICIOUS_PORT_ACCESS.threshold)) raw.push(makeFinding(this.config, 'SUSPICIOUS_PORT_ACCESS', src, port, n, window));
        }
      }
    }
    const { kept, allowlisted } = applyAllowlist(raw, new CidrSet(this.config.allowlist));
    kept.sort(compareFindings);
    allowlisted.sort(compareFindings);
    return { window, inWindow: all.records, outOfWindow: this.out, findings: kept, allowlisted };
  }
}
