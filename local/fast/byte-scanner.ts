import { StringDecoder } from 'node:string_decoder';
import { FlowLogFormat } from '../../core/flowlog/format';
import { parseLine } from '../../core/flowlog/record';
import type { ScanError } from '../../core/scan/scanner';
import type { FastWindow } from './fast-window';
import type { LineCollector } from './line-collector';
import { batchSums, hashTextRecord, type Fingerprint } from './fingerprint';
import type { CompiledFormat, FormatCache, RecordBatch } from './region-compiler';
import type { WasmRegionScanner } from './wasm-scan';

/**
 * A line longer than this cannot be a flow-log record; past it the scanner keeps counting bytes
 * instead of buffering them, so one broken file (say, binary data with no newline) cannot exhaust
 * memory. Input chunks are cut to at most CHUNK_SLICE, so any longer line spans chunks and is
 * caught the same way whatever the chunk sizes; every shorter line is read exactly.
 */
export const MAX_LINE_BYTES = 16 * 1024 * 1024;
const CHUNK_SLICE = 4 * 1024 * 1024;

const NL = 10;

/**
 * Reads the lines of one file (or one byte range of it) from raw chunks, with the semantics of
 * `FileScan` + `parseLine` (core/scan, core/flowlog): headers switch the format, every field is
 * validated, blank lines and bad fields are malformed with the reference's reasons.
 *
 * Lines are scanned as bytes, with no string per line. A line the byte path does not accept in
 * full (a bad field, an IPv4-in-IPv6 address, a number beyond 15 digits, a possible header,
 * non-ASCII or control bytes) is decoded and handed to the reference parser, so errors and rare
 * forms come out exactly as the reference makes them.
 */
export class ByteLineScanner {
  read = 0;
  skipped = 0;
  malformed = 0;
  /** Lines seen, header lines included (the line number of the last line). */
  lines = 0;
  readonly errors: ScanError[] = [];
  errorCount = 0;
  private format: FlowLogFormat;
  private compiled: CompiledFormat;
  private carry = Buffer.allocUnsafe(64 * 1024);
  private carryLen = 0;
  /** Bytes of a line too long to keep (0 when none is in progress). */
  private overlong = 0;
  private readonly batch: RecordBatch;
  /** Why the input ended early (see broken), or null. */
  brokenReason: string | null = null;

  constructor(
    readonly name: string,
    format: FlowLogFormat,
    private readonly window: FastWindow,
    private readonly formats: FormatCache,
    private readonly maxErrors: number,
    /** Reads the common lines first, when given (see wasm-scan.ts). */
    private readonly wasm?: WasmRegionScanner,
    /** Also shown every record read in the window, with its line, when given (a collecting scan: line-collector.ts). */
    private readonly collector?: LineCollector,
  ) {
    this.format = format;
    this.compiled = formats.get(format);
    this.batch = window.newBatch(wasm?.batchArrays());
  }

  /** What was read so far, to compare with other inputs (see fingerprint.ts); complete after end() or broken(). */
  get fingerprint(): Fingerprint {
    return { read: this.read, skipped: this.skipped, malformed: this.malformed, ...batchSums(this.batch) };
  }

  /** The format in effect now (after the last header line seen). */
  get currentFormat(): FlowLogFormat {
    return this.format;
  }

  /** Feed the next bytes of the file. */
  feed(chunk: Buffer): void {
    for (let p = 0; p < chunk.length; p += CHUNK_SLICE) {
      this.feedSlice(p === 0 && chunk.length <= CHUNK_SLICE ? chunk : chunk.subarray(p, Math.min(chunk.length, p + CHUNK_SLICE)));
    }
  }

  /** The file ended normally: a last line without a newline still counts. */
  end(): void {
    if (this.overlong > 0) this.overlongLine();
    else if (this.carryLen > 0) {
      this.appendCarry(Buffer.from([NL]), 0, 1);
      this.flushCarryLine();
    }
  }

  /** The input ended early (damaged gzip, read error): as `FileScan.broken`, with the cut-off line if any. */
  broken(reason: string): void {
    this.brokenReason = reason;
    // The reference sees the fragment as decoded text: bytes of an unfinished character are not in it yet.
    const fragment = this.overlong > 0 || (this.carryLen > 0 && new StringDecoder('utf8').write(this.carry.subarray(0, this.carryLen)).length > 0);
    this.carryLen = 0;
    this.overlong = 0;
    if (fragment) {
      this.lines++;
      this.read++;
      this.malformed++;
      this.error(this.lines, `line cut short: ${reason}`);
    } else {
      this.error(this.lines + 1, reason);
    }
  }

  error(line: number, reason: string): void {
    this.errorCount++;
    if (this.errors.length < this.maxErrors) this.errors.push({ file: this.name, line, reason });
  }

  private feedSlice(chunk: Buffer): void {
    let start = 0;
    const to = chunk.length;
    if (this.carryLen > 0 || this.overlong > 0) {
      const nl = chunk.indexOf(NL);
      if (nl === -1) {
        this.appendCarry(chunk, 0, to);
        return;
      }
      this.appendCarry(chunk, 0, nl + 1);
      this.flushCarryLine();
      start = nl + 1;
    }
    const last = chunk.lastIndexOf(NL);
    if (last >= start) {
      this.scanRegion(chunk, start, last + 1);
      start = last + 1;
    }
    if (start < to) this.appendCarry(chunk, start, to);
  }

  private appendCarry(chunk: Buffer, from: number, to: number): void {
    const n = to - from;
    if (this.overlong > 0) {
      this.overlong += n;
      return;
    }
    const need = this.carryLen + n;
    if (need > MAX_LINE_BYTES) {
      this.overlong = need;
      this.carryLen = 0;
      this.carry = Buffer.allocUnsafe(64 * 1024);
      return;
    }
    if (need > this.carry.length) {
      const bigger = Buffer.allocUnsafe(Math.max(need, this.carry.length * 2));
      this.carry.copy(bigger, 0, 0, this.carryLen);
      this.carry = bigger;
    }
    chunk.copy(this.carry, this.carryLen, from, to);
    this.carryLen = need;
  }

  /** The carry holds one whole line ending in a newline (or an overlong line ended). */
  private flushCarryLine(): void {
    if (this.overlong > 0) {
      this.overlongLine();
      return;
    }
    const len = this.carryLen;
    this.carryLen = 0;
    this.scanRegion(this.carry, 0, len);
  }

  private overlongLine(): void {
    this.overlong = 0;
    this.lines++;
    this.read++;
    this.malformed++;
    this.error(this.lines, `line longer than ${MAX_LINE_BYTES} bytes: not a flow-log record`);
  }

  /** A line the byte path did not take, through the reference parser. Returns where the next line starts. */
  private referenceLine(buf: Buffer, lineStart: number): number {
    this.lines++;
    const nl = buf.indexOf(NL, lineStart);
    const text = buf.toString('utf8', lineStart, nl);
    const header = FlowLogFormat.fromHeader(text);
    if (header !== undefined) {
      this.format = header;
      this.compiled = this.formats.get(header);
      const missing = header.missingDetectionFields();
      if (missing.length > 0) this.error(this.lines, `the header lacks fields detection needs (${missing.join(', ')}); its records are skipped`);
      return nl + 1;
    }
    this.read++;
    const r = parseLine(text, this.format);
    if (r.kind === 'record') {
      const rec = r.record;
      const reject = rec.action === 'REJECT';
      if (this.batch.hashing && rec.start >= this.batch.lo && rec.start < this.batch.hi) hashTextRecord(this.batch, rec.srcaddr, rec.dstport, rec.bytes, rec.start, reject);
      this.collector?.record(buf, lineStart, nl, rec, this.format);
      this.window.tableFor(rec.start)?.addText(rec.srcaddr, rec.dstport, rec.bytes, reject);
    } else if (r.kind === 'skipped') {
      this.skipped++;
    } else {
      this.malformed++;
      this.error(this.lines, r.reason);
    }
    return nl + 1;
  }

  /** Scan whole lines in [from, to): `to - 1` is a newline, so every line ends with one. */
  private scanRegion(buf: Buffer, from: number, to: number): void {
    const wasm = this.wasm;
    const base = wasm !== undefined && wasm.supports(this.compiled.plan) ? wasm.place(buf, from, to) : undefined;
    if (wasm !== undefined && base !== undefined) this.scanRegionWasm(wasm, base, buf, from, to);
    else this.scanRegionJs(buf, from, to);
  }

  /** Add what the last region scan counted (it counts on the batch: see RecordBatch). */
  private takeCounts(batch: RecordBatch): void {
    this.lines += batch.lines;
    this.read += batch.read;
    this.skipped += batch.skipped;
    batch.lines = batch.read = batch.skipped = 0;
  }

  /**
   * The WebAssembly scanner reads runs of common lines; a line it stops at is read by the compiled
   * JavaScript scanner alone, or else by the reference parser, exactly as scanRegionJs would.
   */
  private scanRegionWasm(wasm: WasmRegionScanner, base: number, buf: Buffer, from: number, to: number): void {
    const batch = this.batch;
    // The module writes its records' line starts as addresses: the JavaScript scanner's, in this batch, too.
    batch.base = base;
    let i = from;
    while (i < to) {
      // A header read by the reference parser below may switch to a format the module cannot read.
      if (!wasm.supports(this.compiled.plan)) {
        this.flush(buf);
        this.scanRegionJs(buf, i, to);
        return;
      }
      i = wasm.scan(this.compiled.plan, base, i, to, batch);
      this.takeCounts(batch);
      if (batch.full) {
        this.flush(buf);
        continue;
      }
      if (i >= to) break;
      const end = buf.indexOf(NL, i) + 1;
      const next = this.compiled.scan(buf, i, end, batch);
      this.takeCounts(batch);
      if (next === end) {
        i = end;
        continue;
      }
      this.flush(buf);
      i = this.referenceLine(buf, i);
    }
    this.flush(buf);
  }

  private scanRegionJs(buf: Buffer, from: number, to: number): void {
    const batch = this.batch;
    batch.base = 0;
    let i = from;
    while (i < to) {
      i = this.compiled.scan(buf, i, to, batch);
      this.takeCounts(batch);
      const full = batch.full;
      if (full || i < to) this.flush(buf);
      if (i < to && !full) i = this.referenceLine(buf, i);
    }
    this.flush(buf);
  }

  /** Account the batch's records, after showing them, with their lines, to the collector. */
  private flush(buf: Buffer): void {
    const batch = this.batch;
    if (this.collector !== undefined && batch.n > 0) this.collector.batch(buf, batch, this.format);
    this.window.addBatch(batch);
  }
}
