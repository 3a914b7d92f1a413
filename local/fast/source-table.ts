import { parseAddress } from '../../core/flowlog/address';
import type { Count } from '../../core/flowlog/record';
import type { KeyTables, SourceStats } from '../../core/detection/tables';
import { BATCH_INTS, BATCH_NUMS, REJECT_FLAG } from './region-compiler';
import type { SourceTotals } from './state-merge';

const MAX_SAFE = Number.MAX_SAFE_INTEGER;
/** Marks a source whose byte sum moved to `bigBytes` (it passed 2^53). */
const BIG = -1;

/**
 * A SourceTable as plain arrays, to cross from a worker thread without a structured clone of one
 * object per source (the buffers are transferred). Source j has key words [4j, 4j + 4) (IPv4 in the
 * first), reject ports [rejectStart[j], rejectStart[j + 1]) and suspicious (port, count) pairs
 * [suspiciousStart[j], suspiciousStart[j + 1]).
 */
export interface CompactTable {
  readonly records: number;
  readonly version: Uint8Array;
  readonly keyWords: Int32Array;
  readonly count: Float64Array;
  /** BIG (-1) where the sum is in `bigBytes`. */
  readonly bytes: Float64Array;
  readonly bigBytes: readonly (readonly [number, bigint])[];
  readonly rejectStart: Int32Array;
  readonly rejectPorts: Int32Array;
  readonly suspiciousStart: Int32Array;
  readonly suspiciousPorts: Int32Array;
  readonly suspiciousCounts: Float64Array;
}

/** The buffers of a compact table, for a transfer list. */
export function compactBuffers(t: CompactTable): ArrayBuffer[] {
  return [t.version, t.keyWords, t.count, t.bytes, t.rejectStart, t.rejectPorts, t.suspiciousStart, t.suspiciousPorts, t.suspiciousCounts].map((a) => a.buffer as ArrayBuffer);
}

/**
 * The per-source accumulators of `recordInto` (core/detection/tables.ts), keyed by the address
 * as numbers instead of text: an IPv4 address is one 32-bit word, an IPv6 address four. Two
 * open-addressing hash tables map keys to a source index; the measures live in parallel arrays.
 * Text keys are made once per source, when the table is handed over as `KeyTables`.
 */
export class SourceTable {
  /** In-window records accumulated here. */
  records = 0;
  private size = 0;
  private count = new Float64Array(256);
  private bytes = new Float64Array(256);
  private version = new Uint8Array(256);
  /** Four words per source: IPv4 in the first, IPv6 big-endian in all four. */
  private keyWords = new Int32Array(256 * 4);
  private bigBytes: Map<number, bigint> | null = null;
  private rejectPorts: (Set<number> | undefined)[] = [];
  private suspicious: (Map<number, number> | undefined)[] = [];

  private v4Slots = new Int32Array(1024);
  private v4Keys = new Int32Array(1024);
  private v4Used = 0;
  private v6Slots = new Int32Array(64);
  private v6Used = 0;

  constructor(private readonly suspiciousPorts: Uint8Array) {}

  /** Account record `r` of a batch (see RecordBatch): an in-window record the byte scanner read. */
  addRecord(ints: Int32Array, nums: Float64Array, r: number): void {
    const k = r * BATCH_INTS;
    const kind = ints[k]!;
    const idx = (kind & 7) === 4 ? this.v4Index(ints[k + 1]!) : this.v6Index(ints[k + 1]!, ints[k + 2]!, ints[k + 3]!, ints[k + 4]!);
    this.account(idx, ints[k + 5]!, nums[r * BATCH_NUMS]!, (kind & REJECT_FLAG) !== 0);
  }

  /** Account records [0, n) of a batch. */
  addRecords(ints: Int32Array, nums: Float64Array, n: number): void {
    for (let r = 0; r < n; r++) this.addRecord(ints, nums, r);
  }

  /** Account a record from the reference parser: canonical address text, bytes maybe a bigint. */
  addText(srcaddr: string, dstport: number, bytes: Count, reject: boolean): void {
    let idx: number;
    if (srcaddr.includes(':')) {
      const value = parseAddress(srcaddr)?.value;
      if (value === undefined) throw new Error(`internal: "${srcaddr}" came from the reference parser but is not an address`);
      const word = (shift: bigint): number => Number((value >> shift) & 0xffffffffn) | 0;
      idx = this.v6Index(word(96n), word(64n), word(32n), word(0n));
    } else {
      const p = srcaddr.split('.');
      idx = this.v4Index(((Number(p[0]) << 24) | (Number(p[1]) << 16) | (Number(p[2]) << 8) | Number(p[3])) | 0);
    }
    if (typeof bytes === 'bigint') {
      this.account(idx, dstport, 0, reject);
      this.addBig(idx, bytes);
    } else {
      this.account(idx, dstport, bytes, reject);
    }
  }

  /** How many sources. */
  get sources(): number {
    return this.size;
  }

  /** The index of a source, or -1. */
  find(version: number, w0: number, w1: number, w2: number, w3: number): number {
    if (version === 4) {
      const mask = this.v4Slots.length - 1;
      for (let h = (Math.imul(w0, 0x9e3779b1) >>> 0) & mask; ; h = (h + 1) & mask) {
        const slot = this.v4Slots[h]!;
        if (slot === 0) return -1;
        if (this.v4Keys[h] === w0) return slot - 1;
      }
    }
    const mask = this.v6Slots.length - 1;
    const k = this.keyWords;
    for (let h = SourceTable.v6Hash(w0, w1, w2, w3) & mask; ; h = (h + 1) & mask) {
      const slot = this.v6Slots[h]!;
      if (slot === 0) return -1;
      const at = (slot - 1) * 4;
      if (k[at] === w0 && k[at + 1] === w1 && k[at + 2] === w2 && k[at + 3] === w3) return slot - 1;
    }
  }

  /** A source's version (4 or 6) and its four key words. */
  keyOf(idx: number): [number, number, number, number, number] {
    const k = idx * 4;
    const w = this.keyWords;
    return [this.version[idx]!, w[k]!, w[k + 1]!, w[k + 2]!, w[k + 3]!];
  }

  /** A source's measures: count and bytes exact, distinct REJECT ports, its largest suspicious-port count. */
  totals(idx: number): SourceTotals {
    const b = this.bytes[idx]!;
    let suspiciousMax = 0;
    for (const c of this.suspicious[idx]?.values() ?? []) if (c > suspiciousMax) suspiciousMax = c;
    return { count: this.count[idx]!, bytes: b === BIG ? (this.bigBytes?.get(idx) ?? 0n) : b, rejectPorts: this.rejectPorts[idx]?.size ?? 0, suspiciousMax };
  }

  /**
   * A compact table of the sources at the given indices, or of all;
   * `records` is always the whole table's. Copies: this table stays usable.
   */
  toCompact(only?: Int32Array): CompactTable {
    const picked = only ?? Int32Array.from({ length: this.size }, (_, j) => j);
    const n = picked.length;
    const rejectStart = new Int32Array(n + 1);
    const suspiciousStart = new Int32Array(n + 1);
    for (let j = 0; j < n; j++) {
      const idx = picked[j]!;
      rejectStart[j + 1] = rejectStart[j]! + (this.rejectPorts[idx]?.size ?? 0);
      suspiciousStart[j + 1] = suspiciousStart[j]! + (this.suspicious[idx]?.size ?? 0);
    }
    const rejectPorts = new Int32Array(rejectStart[n]!);
    const suspiciousPorts = new Int32Array(suspiciousStart[n]!);
    const suspiciousCounts = new Float64Array(suspiciousStart[n]!);
    const version = new Uint8Array(n);
    const keyWords = new Int32Array(n * 4);
    const count = new Float64Array(n);
    const bytes = new Float64Array(n);
    const bigBytes: [number, bigint][] = [];
    for (let j = 0; j < n; j++) {
      const idx = picked[j]!;
      version[j] = this.version[idx]!;
      keyWords.set(this.keyWords.subarray(idx * 4, idx * 4 + 4), j * 4);
      count[j] = this.count[idx]!;
      bytes[j] = this.bytes[idx]!;
      if (bytes[j] === BIG) bigBytes.push([j, this.bigBytes?.get(idx) ?? 0n]);
      let at = rejectStart[j]!;
      for (const p of this.rejectPorts[idx] ?? []) rejectPorts[at++] = p;
      at = suspiciousStart[j]!;
      for (const [p, c] of this.suspicious[idx] ?? []) {
        suspiciousPorts[at] = p;
        suspiciousCounts[at++] = c;
      }
    }
    return { records: this.records, version, keyWords, count, bytes, bigBytes, rejectStart, rejectPorts, suspiciousStart, suspiciousPorts, suspiciousCounts };
  }

  /** Fold in another table, as `mergeTables` (core/detection/tables.ts) does: bigint sums included. */
  mergeCompact(t: CompactTable): void {
    this.records += t.records;
    const big = new Map(t.bigBytes);
    const w = t.keyWords;
    for (let j = 0; j < t.version.length; j++) {
      const k = j * 4;
      const idx = t.version[j] === 4 ? this.v4Index(w[k]!) : this.v6Index(w[k]!, w[k + 1]!, w[k + 2]!, w[k + 3]!);
      this.count[idx]! += t.count[j]!;
      const b = t.bytes[j]!;
      if (b === BIG) this.addBig(idx, big.get(j) ?? 0n);
      else if (this.bytes[idx] === BIG) this.addBig(idx, BigInt(b));
      else {
        const sum = this.bytes[idx]! + b;
        if (sum <= MAX_SAFE) this.bytes[idx] = sum;
        else this.addBig(idx, BigInt(b));
      }
      for (let r = t.rejectStart[j]!; r < t.rejectStart[j + 1]!; r++) {
        let ports = this.rejectPorts[idx];
        if (ports === undefined) this.rejectPorts[idx] = ports = new Set();
        ports.add(t.rejectPorts[r]!);
      }
      for (let q = t.suspiciousStart[j]!; q < t.suspiciousStart[j + 1]!; q++) {
        let m = this.suspicious[idx];
        if (m === undefined) this.suspicious[idx] = m = new Map();
        const port = t.suspiciousPorts[q]!;
        m.set(port, (m.get(port) ?? 0) + t.suspiciousCounts[q]!);
      }
    }
  }

  private account(idx: number, dstport: number, bytes: number, reject: boolean): void {
    this.records++;
    this.count[idx]!++;
    const before = this.bytes[idx]!;
    if (before === BIG) {
      this.addBig(idx, BigInt(bytes));
    } else {
      const sum = before + bytes;
      // Both terms are safe integers: a true sum past 2^53 - 1 can never round back below it.
      if (sum <= MAX_SAFE) this.bytes[idx] = sum;
      else {
        this.bytes[idx] = BIG;
        (this.bigBytes ??= new Map()).set(idx, BigInt(before) + BigInt(bytes));
      }
    }
    if (reject) {
      let ports = this.rejectPorts[idx];
      if (ports === undefined) this.rejectPorts[idx] = ports = new Set();
      ports.add(dstport);
      if (this.suspiciousPorts[dstport] === 1) {
        let m = this.suspicious[idx];
        if (m === undefined) this.suspicious[idx] = m = new Map();
        m.set(dstport, (m.get(dstport) ?? 0) + 1);
      }
    }
  }

  /** Add a bigint amount: the reference's addCount turns the sum into a bigint for good. */
  private addBig(idx: number, bytes: bigint): void {
    const before = this.bytes[idx]!;
    const big = (this.bigBytes ??= new Map());
    const current = before === BIG ? (big.get(idx) ?? 0n) : BigInt(before);
    this.bytes[idx] = BIG;
    big.set(idx, current + bytes);
  }

  private v4Index(key: number): number {
    const mask = this.v4Slots.length - 1;
    let h = Math.imul(key, 0x9e3779b1) >>> 0;
    for (;;) {
      h &= mask;
      const slot = this.v4Slots[h]!;
      if (slot === 0) break;
      if (this.v4Keys[h] === key) return slot - 1;
      h++;
    }
    const idx = this.newSource(4);
    this.keyWords[idx * 4] = key;
    this.v4Slots[h] = idx + 1;
    this.v4Keys[h] = key;
    if (++this.v4Used * 2 > this.v4Slots.length) this.growV4();
    return idx;
  }

  private growV4(): void {
    const oldSlots = this.v4Slots;
    const oldKeys = this.v4Keys;
    this.v4Slots = new Int32Array(oldSlots.length * 2);
    this.v4Keys = new Int32Array(oldSlots.length * 2);
    const mask = this.v4Slots.length - 1;
    for (let i = 0; i < oldSlots.length; i++) {
      const slot = oldSlots[i]!;
      if (slot === 0) continue;
      const key = oldKeys[i]!;
      let h = (Math.imul(key, 0x9e3779b1) >>> 0) & mask;
      while (this.v4Slots[h] !== 0) h = (h + 1) & mask;
      this.v4Slots[h] = slot;
      this.v4Keys[h] = key;
    }
  }

  private static v6Hash(w0: number, w1: number, w2: number, w3: number): number {
    let h = Math.imul(w0, 0x9e3779b1);
    h = Math.imul(h ^ w1, 0x85ebca6b);
    h = Math.imul(h ^ w2, 0xc2b2ae35);
    h = Math.imul(h ^ w3, 0x27d4eb2f);
    return (h ^ (h >>> 15)) >>> 0;
  }

  private v6Index(w0: number, w1: number, w2: number, w3: number): number {
    const mask = this.v6Slots.length - 1;
    let h = SourceTable.v6Hash(w0, w1, w2, w3) & mask;
    const words = this.keyWords;
    for (;;) {
      const slot = this.v6Slots[h]!;
      if (slot === 0) break;
      const k = (slot - 1) * 4;
      if (words[k] === w0 && words[k + 1] === w1 && words[k + 2] === w2 && words[k + 3] === w3) return slot - 1;
      h = (h + 1) & mask;
    }
    const idx = this.newSource(6);
    const k = idx * 4;
    this.keyWords[k] = w0;
    this.keyWords[k + 1] = w1;
    this.keyWords[k + 2] = w2;
    this.keyWords[k + 3] = w3;
    this.v6Slots[h] = idx + 1;
    if (++this.v6Used * 2 > this.v6Slots.length) this.growV6();
    return idx;
  }

  private growV6(): void {
    const old = this.v6Slots;
    this.v6Slots = new Int32Array(old.length * 2);
    const mask = this.v6Slots.length - 1;
    const w = this.keyWords;
    for (const slot of old) {
      if (slot === 0) continue;
      const k = (slot - 1) * 4;
      let h = SourceTable.v6Hash(w[k]!, w[k + 1]!, w[k + 2]!, w[k + 3]!) & mask;
      while (this.v6Slots[h] !== 0) h = (h + 1) & mask;
      this.v6Slots[h] = slot;
    }
  }

  private newSource(version: 4 | 6): number {
    const idx = this.size++;
    if (idx === this.count.length) {
      const grow = <T extends Float64Array | Uint8Array | Int32Array>(a: T, make: (n: number) => T): T => {
        const b = make(a.length * 2);
        b.set(a);
        return b;
      };
      this.count = grow(this.count, (n) => new Float64Array(n));
      this.bytes = grow(this.bytes, (n) => new Float64Array(n));
      this.version = grow(this.version, (n) => new Uint8Array(n));
      this.keyWords = grow(this.keyWords, (n) => new Int32Array(n));
    }
    this.version[idx] = version;
    return idx;
  }

  /** The source address of an index as canonical text (the reference's key). */
  private sourceText(idx: number): string {
    const k = idx * 4;
    const w = this.keyWords;
    if (this.version[idx] === 4) {
      const ip = w[k]! >>> 0;
      return `${ip >>> 24}.${(ip >>> 16) & 255}.${(ip >>> 8) & 255}.${ip & 255}`;
    }
    const hextets: string[] = [];
    for (let i = 0; i < 4; i++) {
      const word = w[k + i]! >>> 0;
      hextets.push((word >>> 16).toString(16), (word & 0xffff).toString(16));
    }
    const text = parseAddress(hextets.join(':'))?.text;
    if (text === undefined) throw new Error('internal: an IPv6 key did not round-trip');
    return text;
  }

  /** The same accumulators in the evaluator's shape (text keys, Sets and Maps, shared). */
  toKeyTables(): KeyTables {
    const sources = new Map<string, SourceStats>();
    for (let idx = 0; idx < this.size; idx++) {
      const b = this.bytes[idx]!;
      sources.set(this.sourceText(idx), {
        count: this.count[idx]!,
        bytes: b === BIG ? (this.bigBytes?.get(idx) ?? 0n) : b,
        rejectPorts: this.rejectPorts[idx] ?? null,
        suspicious: this.suspicious[idx] ?? null,
      });
    }
    return { records: this.records, sources };
  }
}
