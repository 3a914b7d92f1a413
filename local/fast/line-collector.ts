import { canonicalAddress, parseAddress } from '../../core/flowlog/address';
import { FlowLogFormat } from '../../core/flowlog/format';
import { parseLine } from '../../core/flowlog/record';
import { RecordBatch, type CompiledFormat, type FormatCache } from './region-compiler';

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
const SPACE = 32;
const TAB = 9;
/** Canonical-address cache entries at most (addresses written in a non-canonical form: IPv6). */
const CACHE_MAX = 4096;

/**
 * Picks the lines of the wanted sources out of whole lines of a file, with the reference's
 * semantics (`FlowLogFormat.fromHeader` then `parseLine` on each line, as the evidence of a
 * finding was read before): header lines switch the format, and a line is kept when it parses as
 * a record whose srcaddr is a wanted source and whose start is in the window.
 *
 * Most lines are passed over on their bytes alone, as no string is made for them: a line whose
 * first byte is an ASCII character other than a lower-case letter or white space is no header
 * (a header holds only lower-case field names); its srcaddr is found by the reference's field
 * split (runs of spaces and tabs) and, written without a colon, read as a dotted quad by the
 * reference's rules (a valid one is its own canonical text) and looked up by value; with a colon,
 * an IPv6 address is made canonical first. A line of a wanted source is read by the compiled
 * scanner of its format (see candidate); every other line is decoded and read by the reference
 * functions.
 */
export class LineCollector {
  private format: FlowLogFormat;
  private srcIndex: number;
  private readonly wanted: ReadonlyMap<string, number>;
  /** The wanted IPv4 addresses by value. */
  private readonly ipv4 = new Map<number, number>();
  private readonly canonical = new Map<string, number>();
  private out = Buffer.allocUnsafe(0);
  private outLen = 0;
  private ends: number[] = [];
  private owners: number[] = [];
  private runs: Array<{ from: number; fields: readonly string[] }> = [];
  private formatRecorded = false;
  private compiled: CompiledFormat;
  /** For the compiled scanner's verdict on one line: a record in the window, or not. */
  private readonly batch: RecordBatch;

  constructor(
    private readonly spec: CollectSpec,
    format: FlowLogFormat,
    /** The compiled scanners of the byte scanner (region-compiler.ts), shared. */
    private readonly formats: FormatCache,
  ) {
    this.format = format;
    this.compiled = formats.get(format);
    this.batch = new RecordBatch(spec.start, spec.end, 2);
    this.srcIndex = format.indexOf('srcaddr');
    this.wanted = new Map(spec.sources.map((s, i) => [s, i]));
    spec.sources.forEach((s, i) => {
      const a = parseAddress(s);
      if (a?.version === 4 && a.text === s) this.ipv4.set(Number(a.value), i);
    });
  }

  /** Whole lines in buf[from, to): `to - 1` is a newline. */
  lines(buf: Buffer, from: number, to: number): void {
    let i = from;
    while (i < to) {
      const nl = buf.indexOf(NL, i);
      const end = nl === -1 || nl >= to ? to : nl;
      this.line(buf, i, end);
      i = end + 1;
    }
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
    this.formatRecorded = false;
    return result;
  }

  /** One line, buf[start, end) without its newline. */
  private line(buf: Buffer, start: number, end: number): void {
    const first = start < end ? (buf[start] as number) : NL;
    // White space first (trimmed by the reference), or a byte that may begin a Unicode space: as the reference reads it.
    if (first <= SPACE || first >= 0x80) return this.slow(buf, start, end);
    if (first >= 0x61 && first <= 0x7a && this.mayBeHeader(buf, start, end)) return this.slow(buf, start, end);
    const at = this.srcIndex;
    if (at === -1) return;
    // The srcaddr field: fields are split on runs of spaces and tabs.
    let field = 0;
    let p = start;
    while (field < at) {
      while (p < end && buf[p] !== SPACE && buf[p] !== TAB) p++;
      while (p < end && (buf[p] === SPACE || buf[p] === TAB)) p++;
      if (p >= end) return; // too few fields: malformed
      field++;
    }
    // "-": no source, so the record is skipped.
    if (buf[p] === 45 && (p + 1 === end || buf[p + 1] === SPACE || buf[p + 1] === TAB)) return;
    // A dotted quad, read as the reference reads it (four parts of 1 to 3 digits, no leading zero, at
    // most 255): a valid one is its own canonical text, so its value tells it; an invalid one is malformed.
    let q = p;
    let value = 0;
    let part = 0;
    let digits = 0;
    let dots = 0;
    let lead = false;
    let valid = true;
    let colon = false;
    while (q < end) {
      const c = buf[q] as number;
      if (c === SPACE || c === TAB) break;
      if (c >= 48 && c <= 57) {
        if (digits === 0) lead = c === 48;
        else if (lead) valid = false;
        part = part * 10 + (c - 48);
        digits++;
      } else if (c === 46) {
        if (digits === 0 || digits > 3 || part > 255) valid = false;
        value = value * 256 + part;
        part = 0;
        digits = 0;
        dots++;
      } else if (c === 58) colon = true;
      else if ((c >= 97 && c <= 102) || (c >= 65 && c <= 70)) valid = false;
      else return this.slow(buf, start, end);
      q++;
    }
    if (!colon) {
      if (!valid || dots !== 3 || digits === 0 || digits > 3 || part > 255) return;
      const owner = this.ipv4.get(value * 256 + part);
      if (owner !== undefined) this.candidate(buf, start, end, owner);
      return;
    }
    const text = buf.toString('latin1', p, q);
    let owner = this.canonical.get(text);
    if (owner === undefined) {
      const c = canonicalAddress(text);
      owner = c === undefined ? -1 : (this.wanted.get(c) ?? -1);
      if (this.canonical.size >= CACHE_MAX) this.canonical.clear();
      this.canonical.set(text, owner);
    }
    if (owner !== -1) this.candidate(buf, start, end, owner);
  }

  /** Whether every byte may belong to a header line (lower-case names, digits, `_`, `-`, white space, or non-ASCII). */
  private mayBeHeader(buf: Buffer, start: number, end: number): boolean {
    for (let i = start; i < end; i++) {
      const c = buf[i] as number;
      if ((c >= 97 && c <= 122) || (c >= 48 && c <= 57) || c === 95 || c === 45 || c <= SPACE || c >= 0x80) continue;
      return false;
    }
    return true;
  }

  /** The reference's reading of a line: header, or record of a wanted source in the window. */
  private slow(buf: Buffer, start: number, end: number): void {
    const text = buf.toString('utf8', start, end);
    const header = FlowLogFormat.fromHeader(text);
    if (header !== undefined) {
      this.format = header;
      this.compiled = this.formats.get(header);
      this.srcIndex = header.indexOf('srcaddr');
      this.formatRecorded = false;
      return;
    }
    this.keep(buf, start, end, text);
  }

  /**
   * A line whose srcaddr is a wanted source's. The compiled scanner of its format (region-compiler.ts,
   * tested equal to the reference parser) reads it first: a line it takes is a record (batched when
   * its start is in the window, else counted outside it) or skipped; it stops, taking nothing, at a
   * line it leaves to the reference parser (malformed, or a rare form), as here.
   */
  private candidate(buf: Buffer, start: number, end: number, owner: number): void {
    const batch = this.batch;
    batch.n = batch.outside = batch.lines = batch.read = batch.skipped = 0;
    // Every line handed to lines() ends with a newline, at `end`.
    if (this.compiled.scan(buf, start, end + 1, batch) === end + 1) {
      if (batch.n === 1) this.put(buf, start, end, owner);
      return;
    }
    this.keep(buf, start, end, buf.toString('utf8', start, end));
  }

  /** As the reference reads the line: kept when it is a record of a wanted source in the window. */
  private keep(buf: Buffer, start: number, end: number, text: string): void {
    const r = parseLine(text, this.format);
    if (r.kind !== 'record') return;
    const owner = this.wanted.get(r.record.srcaddr);
    if (owner === undefined || r.record.start < this.spec.start || r.record.start >= this.spec.end) return;
    this.put(buf, start, end, owner);
  }

  private put(buf: Buffer, start: number, end: number, owner: number): void {
    if (!this.formatRecorded) {
      this.runs.push({ from: this.ends.length, fields: this.format.fields });
      this.formatRecorded = true;
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
