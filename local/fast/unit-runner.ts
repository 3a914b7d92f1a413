import { closeSync, createReadStream, openSync, readSync } from 'node:fs';
import { stat } from 'node:fs/promises';
import { createGunzip, gunzipSync } from 'node:zlib';
import type { Readable } from 'node:stream';
import type { FlowirConfig } from '../../core/detection/config';
import { FlowLogFormat } from '../../core/flowlog/format';
import type { ScanError } from '../../core/scan/scanner';
import { openSource } from '../input/sources';
import { ByteLineScanner } from './byte-scanner';
import { FastWindow, type CompactState } from './fast-window';
import type { Fingerprint } from './fingerprint';
import { heavyTest, type SourceKeys } from './state-merge';
import { FormatCache } from './region-compiler';
import { LineCollector, type CollectedLines, type CollectSpec } from './line-collector';
import { WasmRegionScanner } from './wasm-scan';

/** What every scanner of one run shares; plain data, so it crosses into worker threads. */
export interface ScanSettings {
  readonly config: FlowirConfig;
  readonly windowSeconds: number;
  readonly until?: number;
  readonly maxErrors: number;
  /** Largest output of a gzip file decoded whole before it is streamed instead. @default 192 MiB */
  readonly wholeGzipMaxOutput?: number;
  /** Read common lines with the WebAssembly scanner (wasm-scan.ts). @default true */
  readonly wasm?: boolean;
  /** Hash the records read, so that inputs can be compared (fingerprint.ts): a few ns a record. @default false */
  readonly fingerprint?: boolean;
  /** Also keep the lines of these sources' records in this window (line-collector.ts). */
  readonly collect?: CollectSpec;
}

/**
 * A piece of work: a whole file, or a byte range of a plain file. Ranges hold the lines that
 * start inside them; a range other than the first assumes the format in effect where it starts,
 * which the caller checks afterwards.
 */
export interface ScanUnit {
  readonly id: number;
  /** Name in reports. */
  readonly name: string;
  /** Path to read; `-` for stdin. */
  readonly path: string;
  /**
   * `range`: a plain regular file read by offset. `gzip`: a regular gzip file through Node's zlib
   * (see readGzip); `gzip-whole` the same, decoded in one call (see readGzipWhole). `stream`:
   * opened as the reference opens it (stdin, pipes, and gzip again when the zlib path gave up).
   */
  readonly kind: 'range' | 'gzip' | 'gzip-whole' | 'stream';
  readonly start: number;
  /** End offset (lines starting before it), or null for the end of the file. */
  readonly end: number | null;
  /** Fields of the format in effect at `start`; null for the configured default. */
  readonly format: readonly string[] | null;
}

export interface UnitResult {
  readonly id: number;
  readonly read: number;
  readonly skipped: number;
  readonly malformed: number;
  /** Lines in the unit (header lines included): the line-number offset of the next range. */
  readonly lines: number;
  /** Line numbers count from the unit's first line. */
  readonly errors: ScanError[];
  readonly errorCount: number;
  /** Fields of the format in effect at the end of the unit. */
  readonly endFormat: readonly string[];
  /** The latest record start seen so far by this runner (tracked only when the window end is unknown). */
  readonly maxStart: number | null;
  /** To tell inputs that hold the same records (fingerprint.ts). */
  readonly fingerprint: Fingerprint;
  /** With settings.collect: the lines kept. */
  readonly collected?: CollectedLines;
  /** Why the unit was not read to its end (unreadable, damaged gzip), or null. */
  readonly problem: string | null;
}

/** Told, as stdin is read, the bytes of each piece decoded and the lines read so far. */
export type StdinProgress = (bytes: number, records: number) => void;

/** Plain files are read in pieces of this size, into one reused buffer. */
const READ_BYTES = 1 << 20;
/** Compressed reads and decompressed chunks on the zlib path (larger than the reference's: less work per byte). */
const GZIP_CHUNK = 1 << 20;

/** Runs units one at a time (they share its read buffers), accumulating all their records in one window. */
export class UnitRunner {
  private readonly window: FastWindow;
  private readonly formats = new FormatCache();
  private readonly defaultFormat: FlowLogFormat;
  private readBuffer: Buffer | undefined;
  /** One WebAssembly scanner per runner (per thread), unless settings.wasm is false. */
  private readonly wasm: WasmRegionScanner | undefined;
  private gzipInput: ReusableBuffer | undefined;

  constructor(
    private readonly settings: ScanSettings,
    private readonly stdin?: Readable,
    private readonly onStdin?: StdinProgress,
  ) {
    // A collecting pass (collectRecords) keeps lines and compares inputs; it counts nothing by source.
    this.window = new FastWindow(settings.until, settings.windowSeconds, settings.config.suspiciousPorts, settings.fingerprint === true, settings.collect === undefined || settings.until === undefined);
    this.defaultFormat = FlowLogFormat.parse(settings.config.format);
    this.wasm = settings.wasm === false ? undefined : new WasmRegionScanner();
  }

  async run(unit: ScanUnit): Promise<UnitResult> {
    const format = unit.format === null ? this.defaultFormat : new FlowLogFormat(unit.format);
    const collector = this.settings.collect === undefined ? undefined : new LineCollector(this.settings.collect);
    const scanner = new ByteLineScanner(unit.name, format, this.window, this.formats, this.settings.maxErrors, this.wasm, collector);
    if (unit.kind === 'range') this.readRange(unit, scanner);
    else if (unit.kind === 'gzip') await readGzip(unit, scanner);
    else if (unit.kind === 'gzip-whole') {
      if (!readGzipWhole(unit, scanner, (this.gzipInput ??= new ReusableBuffer()), this.settings.wholeGzipMaxOutput ?? WHOLE_GZIP_MAX_OUTPUT)) await readGzip(unit, scanner);
    }
    else await readStream(unit, scanner, this.stdin, unit.path === '-' ? this.onStdin : undefined);
    return {
      id: unit.id,
      read: scanner.read,
      skipped: scanner.skipped,
      malformed: scanner.malformed,
      lines: scanner.lines,
      errors: scanner.errors,
      errorCount: scanner.errorCount,
      endFormat: scanner.currentFormat.fields,
      maxStart: this.window.maxStart,
      fingerprint: scanner.fingerprint,
      ...(collector !== undefined ? { collected: collector.take() } : {}),
      problem: scanner.brokenReason,
    };
  }

  /** The sources whose share here may make a finding, this window being one of `parts` (state-merge.ts). */
  heavy(parts: number): SourceKeys {
    return this.window.heavySources(heavyTest(this.settings.config, parts));
  }

  /** What the units accumulated, for the given sources. */
  state(keys: SourceKeys): CompactState {
    return this.window.compactState(keys);
  }

  /**
   * A byte range of a plain file. Reads are synchronous: on this thread, a piece just read is
   * still in this core's cache when it is scanned (a read on the libuv pool lands in another's).
   */
  private readRange(unit: ScanUnit, scanner: ByteLineScanner): void {
    let fd: number;
    try {
      fd = openSync(unit.path, 'r');
    } catch (e) {
      scanner.broken(`cannot read: ${(e as Error).message}`);
      return;
    }
    // Read into the WebAssembly scanner's input area when there is one: no copy before scanning.
    const buf = (this.readBuffer ??= this.wasm?.inputBuffer(READ_BYTES) ?? Buffer.allocUnsafe(READ_BYTES));
    try {
      // A range starts at the first line that begins at or after `start`: skip to just past the
      // first newline at or after start - 1.
      let skipping = unit.start > 0;
      let pos = skipping ? unit.start - 1 : 0;
      for (;;) {
        let n: number;
        try {
          n = readSync(fd, buf, 0, READ_BYTES, pos);
        } catch (e) {
          scanner.broken(`read error (${(e as Error).message})`);
          return;
        }
        if (n === 0) {
          scanner.end();
          return;
        }
        const data = buf.subarray(0, n);
        let from = 0;
        if (skipping) {
          const nl = data.indexOf(10);
          if (nl === -1) {
            pos += n;
            continue;
          }
          from = nl + 1;
          skipping = false;
        }
        if (unit.end !== null) {
          if (pos + from >= unit.end) return;
          // The last line of the range is the one holding byte end - 1: stop after its newline.
          const lastByte = unit.end - 1 - pos;
          if (lastByte < n) {
            const nl = data.indexOf(10, Math.max(from, lastByte));
            if (nl !== -1) {
              scanner.feed(data.subarray(from, nl + 1));
              return;
            }
          }
        }
        pos += n;
        scanner.feed(from === 0 ? data : data.subarray(from));
      }
    } finally {
      closeSync(fd);
    }
  }
}

/** A source opened exactly as the reference opens it (gzip detection, stream pipeline, error texts). */
function readStream(unit: ScanUnit, scanner: ByteLineScanner, stdin?: Readable, onChunk?: StdinProgress): Promise<void> {
  return openSource({ name: unit.name, path: unit.path, size: 0 }, stdin).then(
    ({ stream, gzip }) =>
      feedChunks(
        stream,
        scanner,
        () => scanner.end(),
        (e) => scanner.broken(gzip ? `damaged gzip data (${e.message})` : `read error (${e.message})`),
        onChunk,
      ),
    (e: unknown) => scanner.broken(`cannot read: ${(e as Error).message}`),
  );
}

/** Gzip files up to this size may be decoded whole (see readGzipWhole): S3 flow-log objects are a few MB. */
export const WHOLE_GZIP_MAX_BYTES = 16 * 1024 * 1024;
/** ...as long as they decode to no more than this; a larger one is streamed instead. */
const WHOLE_GZIP_MAX_OUTPUT = 192 * 1024 * 1024;

/** One buffer for the compressed files a runner reads whole, grown as needed: no new one per file. */
class ReusableBuffer {
  private buf = Buffer.allocUnsafe(0);

  /** The file's bytes, valid until the next call. Throws when it cannot be read or grows past `max` while read. */
  readFile(file: string, max: number): Buffer {
    const fd = openSync(file, 'r');
    try {
      let n = 0;
      for (;;) {
        if (n === this.buf.length) {
          if (n > max) throw new Error(`larger than ${max} bytes`);
          // One byte over `max` tells a file of exactly `max` bytes from a larger one.
          const bigger = Buffer.allocUnsafe(Math.min(max + 1, Math.max(1 << 20, n * 2)));
          this.buf.copy(bigger, 0, 0, n);
          this.buf = bigger;
        }
        const got = readSync(fd, this.buf, n, this.buf.length - n, n);
        if (got === 0) return this.buf.subarray(0, n);
        n += got;
        if (n > max) throw new Error(`larger than ${max} bytes`);
      }
    } finally {
      closeSync(fd);
    }
  }
}

const OUTPUT_FLOOR_BYTES = 33 * 1024 * 1024;

interface GunzipInfo {
  readonly buffer: Buffer;
  readonly engine: { readonly bytesWritten: number };
}

/**
 * A small regular gzip file decoded in one synchronous zlib call, then scanned: on a thread of its
 * own this beats the stream (measured: gunzip alone 15-25% faster on the S3 objects) as no chunk
 * crosses to the libuv pool and back, and a file makes one buffer instead of one per megabyte.
 * Returns false, having scanned nothing, when the output would pass `maxOutput`; throws
 * GzipFallback where readGzip does (damage, bytes after the last member).
 */
function readGzipWhole(unit: ScanUnit, scanner: ByteLineScanner, input: ReusableBuffer, maxOutput: number): boolean {
  let data: Buffer;
  try {
    data = input.readFile(unit.path, WHOLE_GZIP_MAX_BYTES);
  } catch (e) {
    throw new GzipFallback(`${unit.name}: ${(e as Error).message}`);
  }
  // The last member's ISIZE (its length mod 2^32): exact for one member, the usual case, so the
  // output is made in one piece. At least OUTPUT_FLOOR_BYTES: the C library maps a buffer that
  // large on its own (32 MiB is glibc's highest threshold), so its memory goes back to the system
  // as soon as it is collected, and pages past the output are never touched (measured: peak RSS
  // 220 MB instead of 265 on the 5M-record bench).
  const isize = data.length >= 4 ? data.readUInt32LE(data.length - 4) : 0;
  let decoded: GunzipInfo;
  try {
    // `info: true` returns the engine too, whose bytesWritten tells whether input was left over.
    decoded = gunzipSync(data, { info: true, chunkSize: Math.min(maxOutput, Math.max(OUTPUT_FLOOR_BYTES, isize + 1)), maxOutputLength: maxOutput }) as unknown as GunzipInfo;
  } catch (e) {
    if (e instanceof RangeError && (e as NodeJS.ErrnoException).code === 'ERR_BUFFER_TOO_LARGE') return false;
    throw new GzipFallback(`${unit.name}: ${(e as Error).message}`);
  }
  if (decoded.engine.bytesWritten !== data.length) throw new GzipFallback(`${unit.name}: ${data.length - decoded.engine.bytesWritten} bytes after the gzip data`);
  scanner.feed(decoded.buffer);
  scanner.end();
  return true;
}

/**
 * The zlib path found a gzip file it does not read exactly as the reference input pipeline does
 * (damage, bytes after the last member): the scan starts over with that pipeline for gzip.
 */
export class GzipFallback extends Error {
  override readonly name = 'GzipFallback';
}

/**
 * A regular gzip file through Node's zlib with large chunks: less work per byte than the reference
 * pipeline (member by member, with a CRC check in JavaScript) for the same bytes, as long as the
 * file is whole and valid. Anything else (an error, or input left over after the last member,
 * such as padding or garbage, where the two pipelines differ) throws GzipFallback.
 */
async function readGzip(unit: ScanUnit, scanner: ByteLineScanner): Promise<void> {
  let size: number;
  try {
    size = (await stat(unit.path)).size;
  } catch (e) {
    throw new GzipFallback(`${unit.name}: ${(e as Error).message}`);
  }
  const raw = createReadStream(unit.path, { highWaterMark: GZIP_CHUNK });
  const gunzip = createGunzip({ chunkSize: GZIP_CHUNK });
  raw.on('error', (e) => gunzip.destroy(e));
  gunzip.on('close', () => raw.destroy());
  await feedChunks(
    raw.pipe(gunzip),
    scanner,
    () => {
      if (gunzip.bytesWritten !== size) throw new GzipFallback(`${unit.name}: ${size - gunzip.bytesWritten} bytes after the gzip data`);
      scanner.end();
    },
    (e) => {
      throw new GzipFallback(`${unit.name}: ${e.message}`);
    },
  );
}

/** Decoded chunks waiting to be scanned, at most: beyond this the decoder waits for the scanner. */
const QUEUED_CHUNKS = 4;

/**
 * As `feedLines` in local/input/sources.ts, on raw chunks: 'data' events, so chunks decoded
 * before a gzip failure still count, all of them scanned before the end or the failure is.
 *
 * Chunks are scanned a tick after they arrive rather than inside the 'data' event: the gunzip
 * starts decoding the next chunk (on the libuv pool) only when the event returns, so scanning
 * inside it would leave the two waiting for each other. A few chunks may wait; past that, the
 * event scans before it returns, which holds the decoder back.
 */
function feedChunks(stream: Readable, scanner: ByteLineScanner, onEnd: () => void, onError: (e: Error) => void, onChunk?: StdinProgress): Promise<void> {
  return new Promise((resolve, reject) => {
    // An empty input has already ended while its first bytes were looked for.
    if (stream.readableEnded || stream.destroyed) {
      scanner.end();
      return resolve();
    }
    const queue: Buffer[] = [];
    let failed = false;
    let scheduled = false;
    const fail = (e: unknown): void => {
      if (failed) return;
      failed = true;
      stream.destroy();
      reject(e instanceof Error ? e : new Error(String(e)));
    };
    const scanQueued = (max: number): void => {
      try {
        while (queue.length > max) {
          const chunk = queue.shift() as Buffer;
          scanner.feed(chunk);
          onChunk?.(chunk.length, scanner.read);
        }
      } catch (e) {
        queue.length = 0;
        fail(e);
      }
    };
    const later = (): void => {
      scheduled = false;
      if (failed) return;
      scanQueued(0);
    };
    stream.on('data', (chunk: Buffer) => {
      if (failed) return;
      queue.push(chunk);
      scanQueued(QUEUED_CHUNKS);
      if (!scheduled && queue.length > 0) {
        scheduled = true;
        setImmediate(later);
      }
    });
    const finish = (last: () => void): void => {
      scanQueued(0);
      if (failed) return;
      failed = true;
      try {
        last();
        // The last line may have had no newline: it is counted only now.
        onChunk?.(0, scanner.read);
        resolve();
      } catch (e) {
        reject(e instanceof Error ? e : new Error(String(e)));
      }
    };
    stream.once('end', () => finish(onEnd));
    stream.once('error', (e: Error) => finish(() => onError(e)));
  });
}
