import type { Count } from '../flowlog/record';

/**
 * Per-source accumulators: everything the four detections need, in one entry per source address,
 * so memory grows with the number of distinct sources, never with the number of records.
 * Plain objects (not classes) so that worker threads can pass them by structured clone.
 */
export interface SourceStats {
  /** Records from this source (HIGH_CONNECTION_COUNT). */
  count: number;
  /** Sum of bytes (HIGH_TRAFFIC_VOLUME); a bigint once it passes 2^53. */
  bytes: Count;
  /** Distinct destination ports of REJECT records (PORT_SCAN). */
  rejectPorts: Set<number> | null;
  /** REJECT records per suspicious destination port (SUSPICIOUS_PORT_ACCESS). */
  suspicious: Map<number, number> | null;
}

export interface KeyTables {
  /** Records accumulated here (those in the window). */
  records: number;
  readonly sources: Map<string, SourceStats>;
}

export function newTables(): KeyTables {
  return { records: 0, sources: new Map() };
}

export function addCount(a: Count, b: Count): Count {
  if (typeof a === 'number' && typeof b === 'number') {
    const s = a + b;
    if (Number.isSafeInteger(s)) return s;
  }
  return BigInt(a) + BigInt(b);
}

/** Account one in-window record. */
export function recordInto(t: KeyTables, srcaddr: string, dstport: number, bytes: Count, reject: boolean, suspiciousPorts: ReadonlySet<number>): void {
  t.records++;
  let s = t.sources.get(srcaddr);
  if (s === undefined) {
    s = { count: 0, bytes: 0, rejectPorts: null, suspicious: null };
    t.sources.set(srcaddr, s);
  }
  s.count++;
  if (typeof s.bytes === 'number' && typeof bytes === 'number') {
    const sum = s.bytes + bytes;
    s.bytes = Number.isSafeInteger(sum) ? sum : BigInt(s.bytes) + BigInt(bytes);
  } else {
    s.bytes = addCount(s.bytes, bytes);
  }
  if (reject) {
    (s.rejectPorts ??= new Set()).add(dstport);
    if (suspiciousPorts.has(dstport)) {
      const m = (s.suspicious ??= new Map());
      m.set(dstport, (m.get(dstport) ?? 0) + 1);
    }
  }
}

/** Fold `from` into `into` (for buckets and for worker results). */
export function mergeTables(into: KeyTables, from: KeyTables): void {
  into.records += from.records;
  for (const [src, f] of from.sources) {
    const s = into.sources.get(src);
    if (s === undefined) {
      into.sources.set(src, {
        count: f.count,
        bytes: f.bytes,
        rejectPorts: f.rejectPorts ? new Set(f.rejectPorts) : null,
        suspicious: f.suspicious ? new Map(f.suspicious) : null,
      });
      continue;
    }
    s.count += f.count;
    s.bytes = addCount(s.bytes, f.bytes);
    if (f.rejectPorts) {
      const set = (s.rejectPorts ??= new Set());
      for (const p of f.rejectPorts) set.add(p);
    }
    if (f.suspicious) {
      const m = (s.suspicious ??= new Map());
      for (const [p, n] of f.suspicious) m.set(p, (m.get(p) ?? 0) + n);
    }
  }
}
