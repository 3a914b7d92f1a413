import type { InputSource } from '../input/sources';

/** Below this much work a scan ends before a progress line would help. */
const LARGE_INPUT_BYTES = 64 * 1024 * 1024;
/**
 * Gzip flow logs decode to about five times their size (the sample's S3 objects: 4.6), and decoding
 * and scanning that is the work: 20 MB of S3 objects take as long as 100 MB of plain text.
 */
const GZIP_WORK = 5;
const GZIP_NAME = /\.gz$/i;

/** When the first line may come (a scan done sooner needs none), and how often the next. */
const TTY_FIRST_MS = 1000;
const TTY_EVERY_MS = 200;
const LOG_FIRST_MS = 5000;
const LOG_EVERY_MS = 5000;

export interface ProgressOptions {
  /** The clock, in milliseconds (tests). @default Date.now */
  readonly now?: () => number;
  /** How much work (bytes, gzip counted at five times) makes an input large (tests). @default 64 MiB */
  readonly largeBytes?: number;
}

const mb = (bytes: number): string => {
  const m = bytes / 1e6;
  return `${m < 10 ? m.toFixed(1) : Math.round(m).toLocaleString('en-US')} MB`;
};

/**
 * A progress line on stderr, rewritten in place on a terminal, one line every few seconds otherwise:
 * files done and the share of the input's bytes as stored (compressed, for gzip) that is read, or,
 * for stdin, whose size is not known, the bytes read from it; and the records read.
 *
 * Only when it helps: on a terminal, for large inputs or stdin, once the scan has taken a second; in
 * a log, for large inputs only (stdin: once that much was read), once it has taken five. A scan done
 * sooner prints nothing. It writes to the stream it is given, never to stdout.
 */
export class Progress {
  private files = 0;
  private total = 0;
  private large = false;
  private hasStdin = false;
  private doneFiles = 0;
  private doneBytes = 0;
  private stdinBytes = 0;
  private records = 0;
  private began = 0;
  private last = 0;
  private printed = false;
  private readonly now: () => number;
  private readonly largeBytes: number;

  constructor(
    private readonly out: NodeJS.WritableStream & { isTTY?: boolean },
    options: ProgressOptions = {},
  ) {
    this.now = options.now ?? Date.now;
    this.largeBytes = options.largeBytes ?? LARGE_INPUT_BYTES;
  }

  start(sources: readonly InputSource[]): void {
    const files = sources.filter((s) => s.path !== '-');
    this.files = files.length;
    this.total = files.reduce((n, s) => n + s.size, 0);
    this.large = files.reduce((n, s) => n + s.size * (GZIP_NAME.test(s.name) ? GZIP_WORK : 1), 0) >= this.largeBytes;
    this.hasStdin = files.length < sources.length;
    this.began = this.now();
  }

  /** Work ended (or, for stdin, was read): its bytes as stored and the lines in it. */
  read(bytes: number, records: number, stdin: boolean): void {
    if (stdin) this.stdinBytes += bytes;
    else this.doneBytes += bytes;
    this.records += records;
    this.tick();
  }

  /** A file's results are in; `records`: the lines read up to the end of it, in input order. */
  fileDone(src: InputSource, records: number): void {
    if (src.path !== '-') this.doneFiles++;
    // Without read() calls (another caller), the in-order count is all there is.
    if (records > this.records) this.records = records;
    this.tick();
  }

  /** The scan is over: the last state, if a line was shown, and the terminal's line ended. */
  done(): void {
    if (!this.printed) return;
    this.write();
    if (this.out.isTTY) this.out.write('\n');
  }

  private wanted(): boolean {
    if (this.out.isTTY) return this.large || this.hasStdin;
    return this.large || this.stdinBytes >= this.largeBytes;
  }

  private tick(): void {
    const now = this.now();
    const tty = this.out.isTTY === true;
    const wait = this.printed ? (tty ? TTY_EVERY_MS : LOG_EVERY_MS) : tty ? TTY_FIRST_MS : LOG_FIRST_MS;
    if (now - (this.printed ? this.last : this.began) < wait || !this.wanted()) return;
    this.write();
  }

  private write(): void {
    const now = this.now();
    this.last = now;
    this.printed = true;
    const parts: string[] = [];
    if (this.files > 0) {
      const pct = this.total > 0 ? `, ${Math.min(100, Math.floor((this.doneBytes / this.total) * 100))}% of ${mb(this.total)}` : '';
      parts.push(`${this.doneFiles}/${this.files} file${this.files === 1 ? '' : 's'}${pct}`);
    }
    if (this.hasStdin) parts.push(`${mb(this.stdinBytes)} read from stdin`);
    parts.push(`${this.records.toLocaleString('en-US')} records`, `${((now - this.began) / 1000).toFixed(1)} s`);
    const line = `scanning: ${parts.join(', ')}`;
    this.out.write(this.out.isTTY ? `\r${line}\u001b[K` : `${line}\n`);
  }
}
