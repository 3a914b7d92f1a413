import { BATCH_INTS, BATCH_NUMS, type RecordBatch } from './region-compiler';
import { FieldCode, type FormatPlan } from './format-plan';
import { REGION_SCAN_WASM } from './wasm/region-scan-binary';

// The memory layout of wasm/region-scan.wat.
const FIELD_COUNT = 0;
const HAS_LOG_STATUS = 8;
const CODES = 16;
const LARGEST = 1024;
const RESULTS = 2048;
const INTS = 4096;
const NUMS = 16384;
const DATA = 65536;
/**
 * Input bytes the module can hold: the byte scanner's slices (CHUNK_SLICE, 4 MB) fit; larger
 * regions (one very long carried-over line) are left to JavaScript.
 */
const WASM_DATA_BYTES = 4 * 1024 * 1024;
/**
 * Where files are read into (inputBuffer): apart from DATA, where other buffers are copied, since
 * a line carried over from the previous read is copied and scanned while this area holds the next.
 * 64 KB after each area is never input, so the module may read a few bytes past a region's end.
 */
const READ_AREA = DATA + WASM_DATA_BYTES + 65536;
const READ_AREA_BYTES = 1024 * 1024;
/** Fields a format may have for the module (its plan area holds this many). */
const MAX_FIELDS = 128;
/** Batch capacity the module's batch area holds. */
const WASM_BATCH_CAPACITY = 512;

interface RegionScanExports {
  readonly memory: WebAssembly.Memory;
  readonly scan: (from: number, to: number, lo: number, hi: number, n: number, capacity: number) => number;
}

let compiled: WebAssembly.Module | undefined;

/**
 * The WebAssembly scanner of one thread: it reads the common lines of a region into a batch about
 * twice as fast as the compiled JavaScript scanner (measured: 100 MB of v2 lines in 160 ms instead
 * of 285), and stops at any other line for that scanner to read. Its memory never grows, so the
 * views below stay valid: the batch arrays and a buffer plain files are read into without a copy.
 */
export class WasmRegionScanner {
  private readonly exports: RegionScanExports;
  private readonly u8: Uint8Array;
  private readonly i32: Int32Array;
  private readonly i64: BigInt64Array;
  private plan: FormatPlan | null = null;
  private readonly supported = new WeakMap<FormatPlan, boolean>();

  constructor() {
    compiled ??= new WebAssembly.Module(Buffer.from(REGION_SCAN_WASM, 'base64'));
    this.exports = new WebAssembly.Instance(compiled, {}).exports as unknown as RegionScanExports;
    const buffer = this.exports.memory.buffer;
    this.u8 = new Uint8Array(buffer);
    this.i32 = new Int32Array(buffer);
    this.i64 = new BigInt64Array(buffer);
  }

  /** The batch arrays, in the module's memory: the JavaScript scanner fills the same batch. */
  batchArrays(): { readonly ints: Int32Array; readonly nums: Float64Array } {
    const buffer = this.exports.memory.buffer;
    return { ints: new Int32Array(buffer, INTS, WASM_BATCH_CAPACITY * BATCH_INTS), nums: new Float64Array(buffer, NUMS, WASM_BATCH_CAPACITY * BATCH_NUMS) };
  }

  /** A buffer of `bytes` inside the module's input area, to read a file into: scanning it copies nothing. */
  inputBuffer(bytes: number): Buffer {
    if (bytes > READ_AREA_BYTES) throw new RangeError(`internal: an input buffer of ${bytes} bytes does not fit the ${READ_AREA_BYTES} of the scanner`);
    return Buffer.from(this.exports.memory.buffer, READ_AREA, bytes);
  }

  /** Whether the module can read lines of this format (else every line goes to JavaScript). */
  supports(plan: FormatPlan): boolean {
    let ok = this.supported.get(plan);
    if (ok === undefined) {
      ok = plan.codes.length <= MAX_FIELDS && Array.from(plan.codes).every((c) => c < FieldCode.Unsupported);
      this.supported.set(plan, ok);
    }
    return ok;
  }

  /**
   * Make `buf`'s bytes [from, to) readable by the module: where it is already (a buffer from
   * inputBuffer), else copied once. Returns the module address of `buf[0]`, or undefined when the
   * region is too large for it. The address holds until the next call.
   */
  place(buf: Buffer, from: number, to: number): number | undefined {
    if (buf.buffer === this.exports.memory.buffer) return buf.byteOffset;
    if (to - from > WASM_DATA_BYTES) return undefined;
    this.u8.set(buf.subarray(from, to), DATA);
    return DATA - from;
  }

  /**
   * Scan whole lines from `from` (every line up to `to` ends with a newline) of a buffer placed at
   * `base`, into `batch`, as RegionScan does, for a format it supports. Returns where it stopped:
   * `to`, a full batch, or the start of a line it leaves to the JavaScript scanner.
   */
  scan(plan: FormatPlan, base: number, from: number, to: number, batch: RecordBatch): number {
    if (this.plan !== plan) this.load(plan);
    const end = this.exports.scan(base + from, base + to, batch.lo, batch.hi, batch.n, Math.min(batch.capacity, WASM_BATCH_CAPACITY)) - base;
    const r = this.i32;
    batch.n = r[RESULTS / 4 + 1]!;
    batch.outside += r[RESULTS / 4 + 2]!;
    batch.lines += r[RESULTS / 4 + 3]!;
    batch.read += r[RESULTS / 4 + 4]!;
    batch.skipped += r[RESULTS / 4 + 5]!;
    return end;
  }

  private load(plan: FormatPlan): void {
    const n = plan.codes.length;
    this.i32[FIELD_COUNT / 4] = n;
    this.i32[HAS_LOG_STATUS / 4] = plan.hasLogStatus ? 1 : 0;
    this.u8.set(plan.codes, CODES);
    for (let f = 0; f < n; f++) this.i64[LARGEST / 8 + f] = BigInt(Math.max(0, plan.max[f] ?? 0));
    this.plan = plan;
  }
}
