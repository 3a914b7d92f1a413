import type { InputSource } from '../input/sources';

const LARGE_INPUT_BYTES = 64 * 1024 * 1024;

/**
 * A progress line on stderr for large inputs: rewritten in place on a terminal, one line every few
 * seconds otherwise. Small inputs print nothing, so scripted use stays quiet.
 */
export class Progress {
  private total = 0;
  private files = 0;
  private doneFiles = 0;
  private doneBytes = 0;
  private active = false;
  private last = 0;
  private readonly began = Date.now();

  constructor(private readonly out: NodeJS.WritableStream & { isTTY?: boolean }) {}

  start(sources: readonly InputSource[]): void {
    this.files = sources.length;
    this.total = sources.reduce((n, s) => n + s.size, 0);
    this.active = this.total >= LARGE_INPUT_BYTES || sources.some((s) => s.path === '-');
  }

  fileDone(src: InputSource, records: number): void {
    this.doneFiles++;
    this.doneBytes += src.size;
    if (!this.active) return;
    const now = Date.now();
    const every = this.out.isTTY ? 200 : 5000;
    if (now - this.last < every && this.doneFiles < this.files) return;
    this.last = now;
    const pct = this.total > 0 ? Math.floor((this.doneBytes / this.total) * 100) : 0;
    const secs = ((now - this.began) / 1000).toFixed(1);
    const line = `scanning: ${this.doneFiles}/${this.files} files (${pct}%), ${records.toLocaleString('en-US')} records, ${secs}s`;
    this.out.write(this.out.isTTY ? `\r${line}\u001b[K` : `${line}\n`);
  }

  done(): void {
    if (this.active && this.out.isTTY) this.out.write('\n');
  }
}
