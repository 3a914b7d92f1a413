import { parseAddress } from '../../core/flowlog/address';
import type { FlowLogFormat } from '../../core/flowlog/format';
import type { DetectionRecord } from '../../core/flowlog/record';
import { BATCH_INTS, BATCH_NUMS, type RecordBatch } from './region-compiler';

/**
 * What a collecting scan keeps: the raw lines of the records of a few sources whose start is in a
 * window (the evidence of `flowir run`'s incidents), read in the same pass, from the same bytes,
 * as the scan counts. Plain data, so it crosses into worker threads.
 */
export interface CollectSpec {
  /** Canonical addresses (canonicalAddress) of the sources whose records are kept. */
  readonly sources: readonly string[];
  /** Record starts in [start, end). */
  readonly start: number;
  readonly end: number;
}

/**
 * The lines one scan unit kept, in the order they were read: their UTF-8 bytes back to back (no
 * newline), where each ends, whose they are (an index into the spec's sources) and the format each
 * was read in (a run of lines per format).
 */
export interface CollectedLines {
  readonly bytes: Uint8Array;
  readonly ends: Int32Array;
  readonly owners: Int32Array;
  /** The fields of the format of lines [from, next run's from). */
  readonly formats: ReadonlyArray<{ readonly from: number; readonly fields: readonly string[] }>;
}

export const NO_LINES: CollectedLines = { bytes: new Uint8Array(0), ends: new Int32Array(0), owners: new Int32Array(0), formats: [] };

/** The buffers of collected lines, to transfer rather than copy them to another thread. */
export function collectedBuffers(c: CollectedLines | undefined): ArrayBuffer[] {
  if (c === undefined || c.ends.length === 0) return [];
  return [c.bytes.buffer, c.ends.buffer, c.owners.buffer] as ArrayBuffer[];
}

const NL = 10;

/**
 * Keeps the lines of the wanted sources' records in the window, as the byte scanner reads them
 * (byte-scanner.ts): it is shown each batch of records the scanner read in the window (each with
 * where its line starts, see RecordBatch) and each record the reference parser read, so a line is
 * kept exactly when the scan counts it as a record of that source in the window, with the format
 * the scan read it in. Nothing is parsed twice; a batch's records are looked up by their source's
 * value.
 */
export class LineCollector {
  /** Wanted IPv4 sources by their value (as the batch holds it, a signed 32-bit word). */
  private readonly ipv4 = new Map<number, number>();
  /** Wanted IPv6 sources by their four words. */
  private readonly ipv6 = new Map<string, number>();
  private readonly byText: ReadonlyMap<string, number>;
  private out = Buffer.allocUnsafe(0);
  private outLen = 0;
  private ends: number[] = [];
  private owners: number[] = [];
  private runs: Array<{ from: number; fields: readonly string[] }> = [];
  private runFormat: FlowLogFormat | undefined;

  constructor(private readonly spec: CollectSpec) {
    this.byText = new Map(spec.sources.map((s, i) => [s, i]));
    spec.sources.forEach((s, i) => {
      const a = parseAddress(s);
      if (a === undefined || a.text !== s) return;
      if (a.version === 4) this.ipv4.set(Number(a.value) | 0, i);
      else this.ipv6.set(wordsKey(a.value), i);
    });
  }

  /** A batch of records read in the window from `buf` (before it is accounted and emptied), in `format`. */
  batch(buf: Buffer, batch: RecordBatch, format: FlowLogFormat): void {
    const { ints, nums } = batch;
    const v6 = this.ipv6.size > 0;
    for (let r = 0; r < batch.n; r++) {
      const k = r * BATCH_INTS;
      const kind = ints[k]! & 7;
      let owner: number | undefined;
      if (kind === 4) owner = this.ipv4.get(ints[k + 1]!);
      else if (v6) owner = this.ipv6.get(`${ints[k + 1]},${ints[k + 2]},${ints[k + 3]},${ints[k + 4]}`);
      if (owner === undefined) continue;
      const start = nums[r * BATCH_NUMS + 2]! - batch.base;
      const end = buf.indexOf(NL, start);
      this.put(buf, start, end === -1 ? buf.length : end, owner, format);
    }
  }

  /** A record the reference parser read from buf[start, end) (no newline), in `format`. */
  record(buf: Buffer, start: number, end: number, rec: DetectionRecord, format: FlowLogFormat): void {
    if (rec.start < this.spec.start || rec.start >= this.spec.end) return;
    const owner = this.byText.get(rec.srcaddr);
    if (owner !== undefined) this.put(buf, start, end, owner, format);
  }

  /** What was kept (and forget it). */
  take(): CollectedLines {
    const n = this.ends.length;
    if (n === 0) return NO_LINES;
    const bytes = new Uint8Array(this.outLen);
    bytes.set(this.out.subarray(0, this.outLen));
    const result: CollectedLines = { bytes, ends: Int32Array.from(this.ends), owners: Int32Array.from(this.owners), formats: this.runs };
    this.out = Buffer.allocUnsafe(0);
    this.outLen = 0;
    this.ends = [];
    this.owners = [];
    this.runs = [];
    this.runFormat = undefined;
    return result;
  }

  private put(buf: Buffer, start: number, end: number, owner: number, format: FlowLogFormat): void {
    if (this.runFormat !== format) {
      this.runs.push({ from: this.ends.length, fields: format.fields });
      this.runFormat = format;
    }
    const n = end - start;
    if (this.outLen + n > this.out.length) {
      const bigger = Buffer.allocUnsafe(Math.max(64 * 1024, (this.outLen + n) * 2));
      this.out.copy(bigger, 0, 0, this.outLen);
      this.out = bigger;
    }
    buf.copy(this.out, this.outLen, start, end);
    this.outLen += n;
    this.ends.push(this.outLen);
    this.owners.push(owner);
  }
}

/** An IPv6 address's 128 bits as the batch holds them: four signed 32-bit words. */
function wordsKey(value: bigint): string {
  const w = [96n, 64n, 32n, 0n].map((shift) => Number((value >> shift) & 0xffffffffn) | 0);
  return w.join(',');
}
