import type { FlowLogFormat } from '../../core/flowlog/format';
import { compilePlan, FAST_DIGITS, FieldCode, type FormatPlan } from './format-plan';

/** Ints per record in a batch: kind (4 or 6, + REJECT_FLAG), four address words, dstport. */
export const BATCH_INTS = 6;
/** Doubles per record in a batch: bytes, start, and where its line starts (batch.base + its offset in the buffer scanned). */
export const BATCH_NUMS = 3;
export const REJECT_FLAG = 8;

/**
 * Records a region scan has read, waiting to be accounted in the window. Keeping the accounting
 * out of the scanning code keeps that code small (it compiles fast, early in every thread) and
 * its types stable (no deoptimization when the first in-window record arrives).
 */
export class RecordBatch {
  readonly ints: Int32Array;
  readonly nums: Float64Array;
  n = 0;
  /** Records whose start is outside [lo, hi), counted but not batched (a known window only). */
  outside = 0;
  /**
   * Lines scanned, records read and records skipped since the caller last took them. They live
   * here, not on the caller, so that the scanner sees one object shape in training and in use
   * (another shape deoptimizes it, and the large function is compiled again in every thread).
   */
  lines = 0;
  read = 0;
  skipped = 0;
  /** Whether the window hashes the records of this batch (fingerprint.ts): only when inputs are compared. */
  hashing = false;
  /** The records hashed so far, and their hash sums: never reset. */
  hashed = 0;
  sum1 = 0;
  sum2 = 0;
  /** With the window end not known: the width of the time buckets the sums are also kept by (else 0). */
  bucketWidth = 0;
  /**
   * Added to a line's offset in the buffer scanned where its start is written: the address the
   * WebAssembly scanner sees the buffer at (it writes its records' line starts as addresses), so that
   * every record of a batch tells its line the same way. 0 when no WebAssembly scanner reads it.
   */
  base = 0;
  /** Those sums by bucket (start / bucketWidth): records hashed, sum1, sum2. */
  buckets: Map<number, [number, number, number]> | null = null;

  constructor(
    readonly lo = -Infinity,
    readonly hi = Infinity,
    readonly capacity = 512,
    /** Arrays to fill instead of new ones (the WebAssembly scanner's, see wasm-scan.ts). */
    arrays?: { readonly ints: Int32Array; readonly nums: Float64Array },
  ) {
    if (arrays !== undefined && (arrays.ints.length < capacity * BATCH_INTS || arrays.nums.length < capacity * BATCH_NUMS)) throw new RangeError(`internal: batch arrays smaller than ${capacity} records`);
    this.ints = arrays?.ints ?? new Int32Array(capacity * BATCH_INTS);
    this.nums = arrays?.nums ?? new Float64Array(capacity * BATCH_NUMS);
  }

  get full(): boolean {
    return this.n === this.capacity;
  }
}

/**
 * Scans whole lines of `buf` from `from` (every line up to `to` ends with a newline), adding the
 * records that take part in detection to `batch`. Returns `to` when all were read; otherwise the
 * start of the next line: with the batch full, or a line left to the reference parser.
 */
export type RegionScan = (buf: Buffer, from: number, to: number, batch: RecordBatch) => number;

const NL = 10;
const CR = 13;

/** Hextets and the four words of the last IPv6 address read. */
const HEXTETS = new Int32Array(8);
const V6 = new Int32Array(4);

const HEX = new Int8Array(256).fill(-1);
for (let c = 0; c < 256; c++) {
  if ((c - 48) >>> 0 < 10) HEX[c] = c - 48;
  else if (c >= 97 && c <= 102) HEX[c] = c - 87;
  else if (c >= 65 && c <= 70) HEX[c] = c - 55;
}

function hexValue(c: number): number {
  return HEX[c] ?? -1;
}

/**
 * Read an IPv6 address in plain hex groups (one `::` at most) starting at `s`; its words go to V6.
 * Returns the index after it, or -1 for anything else (embedded IPv4, too many groups...), which
 * then takes the reference path. The caller checks that a delimiter follows.
 */
export function readIpv6(buf: Buffer, s: number): number {
  let i = s;
  let n = 0;
  let gap = -1;
  let c = buf[i]!;
  if (c === 58) {
    if (buf[i + 1] !== 58) return -1;
    gap = 0;
    i += 2;
    c = buf[i]!;
  }
  if (gap !== 0 || hexValue(c) >= 0) {
    for (;;) {
      let v = 0;
      let digits = 0;
      let h = hexValue(c);
      while (h >= 0 && digits < 5) {
        v = v * 16 + h;
        digits++;
        c = buf[++i]!;
        h = hexValue(c);
      }
      if (digits === 0 || digits > 4 || n === 8) return -1;
      HEXTETS[n++] = v;
      if (c !== 58) break;
      c = buf[++i]!;
      if (c === 58) {
        if (gap >= 0) return -1;
        gap = n;
        c = buf[++i]!;
        if (hexValue(c) < 0) break;
      }
    }
  }
  if (c === 46) return -1;
  if (gap < 0) {
    if (n !== 8) return -1;
  } else {
    if (n > 7) return -1;
    const right = n - gap;
    for (let k = 7, j = n - 1; j >= gap; k--, j--) HEXTETS[k] = HEXTETS[j]!;
    for (let k = gap; k < 8 - right; k++) HEXTETS[k] = 0;
  }
  V6[0] = (HEXTETS[0]! << 16) | HEXTETS[1]!;
  V6[1] = (HEXTETS[2]! << 16) | HEXTETS[3]!;
  V6[2] = (HEXTETS[4]! << 16) | HEXTETS[5]!;
  V6[3] = (HEXTETS[6]! << 16) | HEXTETS[7]!;
  return i;
}

/**
 * Whether a line (from `i`, its first non-blank byte) consists only of tokens shaped like field
 * names. Only such a line can be a header; it then goes to the reference header check.
 */
export function maybeHeader(buf: Buffer, i: number): boolean {
  let c = buf[i]!;
  for (;;) {
    if (c < 97 || c > 122) return false;
    do c = buf[++i]!;
    while ((c >= 97 && c <= 122) || (c >= 48 && c <= 57) || c === 45 || c === 95);
    if (c === NL || (c === CR && buf[i + 1] === NL)) return true;
    if (c !== 32 && c !== 9) return false;
    do c = buf[++i]!;
    while (c === 32 || c === 9);
    if (c === NL || (c === CR && buf[i + 1] === NL)) return true;
  }
}

const LARGEST_FAST = 10 ** FAST_DIGITS - 1;
// Byte classes as one unsigned comparison each: digits (c - 48) >>> 0 < 10, printable ASCII
// but space (c - 33) >>> 0 < 94.
const isBlank = 'c === 32 || c === 9';
const skipBlanks = `do c = buf[++i]; while (${isBlank});`;

/** `-` alone is an empty value; then the field's role stays unset. */
const dashOr = (f: number, body: string): string => `
      if (c === 45 && ((d = buf[i + 1]), d === 32 || d === 9 || d === 10 || d === 13)) c = buf[++i];
      else {${body}
      } // field ${f}`;

function numberField(f: number, max: number, role: string | null): string {
  // Without a role or a limit below 15 digits, the digits need counting, not adding up.
  if (role === null && max >= LARGEST_FAST) {
    return dashOr(
      f,
      `
        if ((c - 48) >>> 0 >= 10) break fail;
        s = i;
        do c = buf[++i]; while ((c - 48) >>> 0 < 10);
        if (i - s > ${FAST_DIGITS}) break fail;`,
    );
  }
  return dashOr(
    f,
    `
        if ((c - 48) >>> 0 >= 10) break fail;
        s = i;
        v = c - 48;
        c = buf[++i];
        while ((c - 48) >>> 0 < 10) { v = v * 10 + (c - 48); c = buf[++i]; }
        if (i - s > ${FAST_DIGITS}${max < LARGEST_FAST ? ` || v > ${max}` : ''}) break fail;${role === null ? '' : `\n        ${role} = v;`}`,
  );
}

/** One octet of a dotted quad (1 to 3 digits, no leading zero, at most 255), then a dot unless last. */
function octet(f: number, last: boolean): string {
  return `
            if ((c - 48) >>> 0 >= 10) break v4${f};
            o = c - 48;
            c = buf[++i];
            if ((c - 48) >>> 0 < 10) {
              if (o === 0) break v4${f};
              o = o * 10 + (c - 48);
              c = buf[++i];
              if ((c - 48) >>> 0 < 10) {
                o = o * 10 + (c - 48);
                c = buf[++i];
                if ((c - 48) >>> 0 < 10 || o > 255) break v4${f};
              }
            }
            v = (v << 8) | o;${
              last
                ? ''
                : `
            if (c !== 46) break v4${f};
            c = buf[++i];`
            }`;
}

/** IPv4 inline (the four octets unrolled), else IPv6 by readIpv6, else the reference parser. */
function addressField(f: number, source: boolean): string {
  return dashOr(
    f,
    `
        addr${f}: {
          s = i;
          v = 0;
          v4${f}: {${octet(f, false)}${octet(f, false)}${octet(f, false)}${octet(f, true)}
            if (${isBlank} || c === 10 || c === 13) {${source ? ' src = 4; ip = v;' : ''} break addr${f}; }
          }
          i = readIpv6(buf, s);
          if (i < 0) break fail;
          c = buf[i];${source ? ' src = 6; s0 = V6[0]; s1 = V6[1]; s2 = V6[2]; s3 = V6[3];' : ''}
        }`,
  );
}

const ACTION = dashOr(
  -1,
  `
        if (c === 65 && buf[i + 1] === 67 && buf[i + 2] === 67 && buf[i + 3] === 69 && buf[i + 4] === 80 && buf[i + 5] === 84) action = 0;
        else if (c === 82 && buf[i + 1] === 69 && buf[i + 2] === 74 && buf[i + 3] === 69 && buf[i + 4] === 67 && buf[i + 5] === 84) action = 1;
        else break fail;
        i += 6;
        c = buf[i];`,
);

const LOG_STATUS = dashOr(
  -1,
  `
        if (c === 79 && buf[i + 1] === 75) { status = 0; i += 2; }
        else if (c === 78 && buf[i + 1] === 79 && buf[i + 2] === 68 && buf[i + 3] === 65 && buf[i + 4] === 84 && buf[i + 5] === 65) { status = 1; i += 6; }
        else if (c === 83 && buf[i + 1] === 75 && buf[i + 2] === 73 && buf[i + 3] === 80 && buf[i + 4] === 68 && buf[i + 5] === 65 && buf[i + 6] === 84 && buf[i + 7] === 65) { status = 2; i += 8; }
        else break fail;
        c = buf[i];`,
);

/** Any run of printable ASCII (`-` included: free text has no role, so "no value" changes nothing). */
const TEXT = `
      if ((c - 33) >>> 0 >= 94) break fail;
      do c = buf[++i]; while ((c - 33) >>> 0 < 94);`;

function fieldCode(plan: FormatPlan, f: number): string {
  const max = plan.max[f] ?? 0;
  switch (plan.codes[f]) {
    case FieldCode.Text:
      return TEXT;
    case FieldCode.Number:
      return numberField(f, max, null);
    case FieldCode.DstPort:
      return numberField(f, max, 'dport');
    case FieldCode.Bytes:
      return numberField(f, max, 'bytes');
    case FieldCode.Start:
      return numberField(f, max, 'start');
    case FieldCode.Address:
      return addressField(f, false);
    case FieldCode.SrcAddr:
      return addressField(f, true);
    case FieldCode.Action:
      return ACTION;
    case FieldCode.LogStatus:
      return LOG_STATUS;
    default:
      throw new Error(`internal: no byte reader for field ${f}`);
  }
}

/**
 * Compile a format plan into a region scanner: straight-line code for exactly this field list, so
 * the engine sees no per-field dispatch (about twice as fast as a loop over the plan). The
 * generated text is made only from the templates above and numeric limits; no input reaches it.
 * Formats with a field type the templates do not cover hand every line to the reference parser.
 */
export function compileRegionScan(plan: FormatPlan): RegionScan {
  if (Array.from(plan.codes).some((c) => c === FieldCode.Unsupported)) return (_buf, from) => from;
  const n = plan.codes.length;
  const fields: string[] = [];
  for (let f = 0; f < n; f++) {
    fields.push(fieldCode(plan, f));
    if (f < n - 1) fields.push(`\n      if (${isBlank}) { ${skipBlanks} } else break fail;`);
  }
  const body = `
  return function scanLines(buf, from, to, batch) {
    const ints = batch.ints, nums = batch.nums, lo = batch.lo, hi = batch.hi, capacity = batch.capacity, base = batch.base;
    let n = batch.n, outside = 0;
    let i = from, lines = 0, read = 0, skipped = 0;
    let c = 0, d = 0, v = 0, s = 0, o = 0, k = 0;
    let src = 0, ip = 0, s0 = 0, s1 = 0, s2 = 0, s3 = 0, dport = -1, bytes = -1, start = -1, action = -1, status = -1;
    while (i < to) {
      if (n === capacity) break;
      const lineStart = i;
      fail: {
      c = buf[i];
      while (${isBlank}) c = buf[++i];
      if (c >= 97 && c <= 122 && maybeHeader(buf, i)) break fail;
      src = 0; dport = -1; bytes = -1; start = -1; action = -1; status = ${plan.hasLogStatus ? -1 : 0};
${fields.join('')}
      if (${isBlank}) { ${skipBlanks} }
      if (c === 13 && buf[i + 1] === 10) i++;
      else if (c !== 10) break fail;
      i++;
      lines++;
      read++;
      if (status !== 0 || src === 0 || dport < 0 || bytes < 0 || start < 0 || action < 0) { skipped++; continue; }
      if (start < lo || start >= hi) { outside++; continue; }
      k = n * ${BATCH_INTS};
      ints[k] = action === 1 ? src + ${REJECT_FLAG} : src;
      if (src === 4) ints[k + 1] = ip;
      else { ints[k + 1] = s0; ints[k + 2] = s1; ints[k + 3] = s2; ints[k + 4] = s3; }
      ints[k + 5] = dport;
      k = n * ${BATCH_NUMS};
      nums[k] = bytes;
      nums[k + 1] = start;
      nums[k + 2] = base + lineStart;
      n++;
      continue;
      }
      i = lineStart;
      break;
    }
    batch.n = n;
    batch.outside += outside;
    batch.lines += lines; batch.read += read; batch.skipped += skipped;
    return i;
  };`;
  const factory = new Function('readIpv6', 'maybeHeader', 'V6', body) as (r: typeof readIpv6, m: typeof maybeHeader, v6: Int32Array) => RegionScan;
  const scan = factory(readIpv6, maybeHeader, V6);
  train(scan, plan);
  return scan;
}

/** A token for field `f` of a training line; `i` varies the choice. */
function trainingToken(plan: FormatPlan, f: number, i: number): string {
  switch (plan.codes[f]) {
    case FieldCode.DstPort:
      return ['22', '443', '3389', '8080'][i % 4] as string;
    case FieldCode.Bytes:
      return ['40', '5000000000', '123456'][i % 3] as string;
    case FieldCode.Start:
      return String(1763805600 - (i % 7200));
    case FieldCode.Number:
      return i % 9 === 0 ? String(Math.min(plan.max[f] ?? 0, 4294967295)) : String(i % 6);
    case FieldCode.Address:
    case FieldCode.SrcAddr:
      return ['10.0.0.1', '203.0.113.77', '2001:db8::1', '198.51.100.250', 'fe80::1:2:3', '1.2.3.4'][i % 6] as string;
    case FieldCode.Action:
      return i % 3 === 0 ? 'REJECT' : 'ACCEPT';
    case FieldCode.LogStatus:
      return ['OK', 'OK', 'OK', 'NODATA', 'SKIPDATA'][i % 5] as string;
    default:
      return 'eni-0a1b2c3d';
  }
}

/**
 * Run a new scanner once over made-up lines that take every path (each field `-`, IPv4 and IPv6,
 * REJECT, NODATA, tabs, CRLF, large numbers, a full batch, lines for the reference parser). Its
 * first optimization then sees them all, instead of being thrown away (and the large function
 * compiled again, a noticeable cost in every thread) the first time real input takes a new path.
 */
function train(scan: RegionScan, plan: FormatPlan): void {
  const n = plan.codes.length;
  const lines: string[] = [];
  for (let i = 0; lines.length < 160; i++) {
    const tokens = Array.from({ length: n }, (_, f) => (i % (n + 4) === f ? '-' : trainingToken(plan, f, i)));
    if (i % 41 === 0) tokens.pop();
    const sep = i % 7 === 0 ? '\t' : i % 11 === 0 ? '  ' : ' ';
    const line = (i % 13 === 0 ? ' ' : '') + tokens.join(sep) + (i % 17 === 0 ? ' ' : '') + (i % 5 === 0 ? '\r' : '');
    lines.push(i % 97 === 0 ? 'version srcaddr' : line);
  }
  const buf = Buffer.from(`${lines.join('\n')}\n`);
  // A window over half the made-up starts, so that both sides of the window test are taken, and
  // a small batch, so that it fills.
  const batch = new RecordBatch(1763805600 - 3600, 1763805600, 32);
  for (let i = 0; i < buf.length; ) {
    i = scan(buf, i, buf.length, batch);
    if (batch.full) {
      batch.n = 0;
      batch.outside = 0;
    }
    else if (i < buf.length) i = buf.indexOf(10, i) + 1;
  }
}

/** A format ready for the byte scanner. */
export interface CompiledFormat {
  readonly plan: FormatPlan;
  readonly scan: RegionScan;
}

/** Compiled formats by header text: concatenated objects repeat the same header many times. */
export class FormatCache {
  private readonly compiled = new Map<string, CompiledFormat>();

  get(format: FlowLogFormat): CompiledFormat {
    const key = format.fields.join(' ');
    let c = this.compiled.get(key);
    if (c === undefined) {
      const plan = compilePlan(format);
      this.compiled.set(key, (c = { plan, scan: compileRegionScan(plan) }));
    }
    return c;
  }
}
