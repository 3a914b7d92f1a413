import { Transform, type TransformCallback } from 'node:stream';
import { crc32, createInflateRaw, type InflateRaw } from 'node:zlib';

/** Why a gzip stream could not be decoded to its end. */
export class GzipDamageError extends Error {
  override readonly name = 'GzipDamageError';
}

const EMPTY = Buffer.alloc(0);
const FHCRC = 2;
const FEXTRA = 4;
const FNAME = 8;
const FCOMMENT = 16;
const FRESERVED = 0xe0;
/** Longer than any real header (name and comment included): past this, the header is garbage. */
const MAX_HEADER_BYTES = 1 << 20;

type Stage = 'header' | 'body' | 'trailer' | 'stopped';

/**
 * Gunzip that decodes each member (a `.gz` file may be several gzip files concatenated) with its own
 * inflater. On damage it fails with a {@link GzipDamageError} only after everything decoded before
 * the damage has been passed on, so that a reader taking 'data' events keeps all of it.
 *
 * Why not `zlib.createGunzip()`: it decodes the next member inside the same native call as the end
 * of the previous one, and when that call fails it throws away all it had decoded — a good member
 * lost because the one after it is damaged.
 */
export class GunzipMembers extends Transform {
  /** Set when the input was damaged or cut short; the output up to the damage is complete. */
  damage: GzipDamageError | undefined;
  private stage: Stage = 'header';
  private pending: Buffer = EMPTY;
  private inflater: InflateRaw | undefined;
  private written = 0;
  private crc = 0;
  private size = 0;
  private members = 0;
  private inflaterError: Error | undefined;

  override _transform(chunk: Buffer, _encoding: BufferEncoding, done: TransformCallback): void {
    if (this.stage === 'stopped') return done();
    this.pending = this.pending.length === 0 ? chunk : Buffer.concat([this.pending, chunk]);
    this.decode()
      .then(() => this.settled())
      .then(done, done);
  }

  override _flush(done: TransformCallback): void {
    this.finish()
      .then(() => this.settled())
      .then(done, done);
  }

  /** The damage, if any, once the output before it has been read (an error would drop unread output). */
  private async settled(): Promise<Error | undefined> {
    if (this.damage === undefined) return undefined;
    for (let i = 0; i < 100 && this.readableLength > 0 && this.readableFlowing; i++) await new Promise((r) => setImmediate(r));
    return this.damage;
  }

  override _destroy(error: Error | null, done: (error?: Error | null) => void): void {
    this.inflater?.destroy();
    done(error);
  }

  private stop(reason: string): void {
    this.damage = new GzipDamageError(reason);
    this.stage = 'stopped';
    this.pending = EMPTY;
    this.inflater?.destroy();
    this.inflater = undefined;
  }

  private where(): string {
    return this.members === 0 ? 'the first member' : `member ${this.members + 1}`;
  }

  private async decode(): Promise<void> {
    for (;;) {
      switch (this.stage) {
        case 'stopped':
          this.pending = EMPTY;
          return;
        case 'header': {
          // Zero bytes after a member are padding that gzip(1) and zlib accept.
          if (this.members > 0) {
            let i = 0;
            while (i < this.pending.length && this.pending[i] === 0) i++;
            if (i > 0) this.pending = this.pending.subarray(i);
          }
          if (this.pending.length === 0) return;
          const header = parseHeader(this.pending);
          if (header === 'incomplete') {
            if (this.pending.length > MAX_HEADER_BYTES) this.stop(`no valid gzip header in ${this.where()}`);
            return;
          }
          if (typeof header === 'string') {
            this.stop(this.members === 0 ? header : `data after member ${this.members} is not gzip (${header})`);
            continue;
          }
          this.pending = this.pending.subarray(header.length);
          this.startMember();
          continue;
        }
        case 'body': {
          if (this.pending.length === 0) return;
          const piece = this.pending;
          this.pending = EMPTY;
          // Afterwards the stage says what happened: still 'body' (needs more input), 'trailer' (the
          // member's data ended inside the piece, whose rest is back in pending) or 'stopped'.
          await this.inflate(piece);
          continue;
        }
        case 'trailer': {
          if (this.pending.length < 8) return;
          const expectedCrc = this.pending.readUInt32LE(0);
          const expectedSize = this.pending.readUInt32LE(4);
          this.pending = this.pending.subarray(8);
          if (expectedCrc !== this.crc >>> 0 || expectedSize !== this.size % 2 ** 32) {
            this.stop(`${this.where()} fails its CRC or length check: its content may be corrupt`);
            continue;
          }
          this.members++;
          this.stage = 'header';
          continue;
        }
      }
    }
  }

  private startMember(): void {
    const inflater = createInflateRaw({ chunkSize: 1 << 18 });
    inflater.on('data', (data: Buffer) => {
      this.crc = crc32(data, this.crc);
      this.size += data.length;
      this.push(data);
    });
    inflater.on('error', (e: Error) => {
      this.inflaterError = e;
    });
    this.inflater = inflater;
    this.inflaterError = undefined;
    this.written = 0;
    this.crc = 0;
    this.size = 0;
    this.stage = 'body';
  }

  /**
   * Hand a piece to the member's inflater. When the member's compressed data ends inside it, the
   * rest of the piece (the trailer and what follows) goes back to `pending`.
   */
  private async inflate(piece: Buffer): Promise<void> {
    const inflater = this.inflater as InflateRaw;
    this.written += piece.length;
    const ok = await new Promise<boolean>((resolve) => {
      const onError = (): void => resolve(false);
      inflater.once('error', onError);
      inflater.write(piece, (e) => {
        inflater.off('error', onError);
        resolve(!e && this.inflaterError === undefined);
      });
    });
    if (!ok) {
      this.stop(`${this.where()}: ${this.inflaterError?.message ?? 'inflate failed'}`);
      return;
    }
    // The inflater stops taking input at the end of the member's compressed data.
    const unused = this.written - inflater.bytesWritten;
    if (unused === 0) return;
    this.pending = piece.subarray(piece.length - unused);
    await this.endInflater(inflater);
    if (this.damage === undefined) this.stage = 'trailer';
  }

  private endInflater(inflater: InflateRaw): Promise<void> {
    return new Promise((resolve) => {
      if (inflater.readableEnded) {
        inflater.destroy();
        return resolve();
      }
      const settle = (): void => {
        inflater.off('end', settle);
        inflater.off('error', onError);
        inflater.destroy();
        resolve();
      };
      const onError = (e: Error): void => {
        this.stop(/unexpected end/i.test(e.message) ? `unexpected end of file in ${this.where()}` : `${this.where()}: ${e.message}`);
        settle();
      };
      inflater.on('end', settle);
      inflater.on('error', onError);
      inflater.end();
    });
  }

  private async finish(): Promise<void> {
    await this.decode();
    switch (this.stage) {
      case 'stopped':
        return;
      case 'header':
        if (this.pending.length > 0 || this.members === 0) this.stop(`unexpected end of file in the header of ${this.where()}`);
        return;
      case 'body': {
        const inflater = this.inflater as InflateRaw;
        await this.endInflater(inflater);
        // The compressed data was complete (else endInflater reported it), but the trailer never came.
        if (this.damage === undefined) this.stop(`unexpected end of file in ${this.where()} (no trailer)`);
        return;
      }
      case 'trailer':
        this.stop(`unexpected end of file in ${this.where()} (no trailer)`);
        return;
    }
  }
}

/** The gzip member header at the start of `b`: its length, 'incomplete', or what is wrong with it. */
function parseHeader(b: Buffer): { length: number } | 'incomplete' | string {
  if (b.length >= 1 && b[0] !== 0x1f) return 'bad magic number';
  if (b.length >= 2 && b[1] !== 0x8b) return 'bad magic number';
  if (b.length >= 3 && b[2] !== 8) return `unknown compression method ${b[2]}`;
  if (b.length < 10) return 'incomplete';
  const flags = b[3] as number;
  if (flags & FRESERVED) return 'reserved header flags set';
  let at = 10;
  if (flags & FEXTRA) {
    if (b.length < at + 2) return 'incomplete';
    at += 2 + b.readUInt16LE(at);
  }
  for (const flag of [FNAME, FCOMMENT]) {
    if (flags & flag) {
      const nul = b.indexOf(0, at);
      if (nul === -1) return 'incomplete';
      at = nul + 1;
    }
  }
  if (flags & FHCRC) at += 2;
  return b.length < at ? 'incomplete' : { length: at };
}
