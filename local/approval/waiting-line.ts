/**
 * What `flowir run` shows on stderr while approvals wait: each link once, when it is sent, then a
 * single countdown line. On a terminal the line is rewritten in place every second; in a log
 * (stderr not a TTY) it is one short line a minute, so a CI log is not flooded with links.
 */

/** One approval link still waiting, with its seconds left (what the runtime's reminder passes). */
export interface WaitingLink {
  readonly link: { readonly executionName: string; readonly findingId: string; readonly url: string; readonly expiresAt: string };
  readonly secondsLeft: number;
}

/** 252 s → "4 min 12 s"; under a minute, "45 s". */
export function timeLeft(seconds: number): string {
  const s = Math.max(0, Math.round(seconds));
  return s >= 60 ? `${Math.floor(s / 60)} min ${String(s % 60).padStart(2, '0')} s` : `${s} s`;
}

/**
 * "waiting for 3 approvals, 4 min 12 s left". An incident with several approvers counts once. When
 * the approvals end far apart, both ends are given, the first first: it is the one to act on.
 */
export function waitingLine(pending: readonly WaitingLink[]): string {
  const byIncident = new Map<string, number>();
  for (const p of pending) byIncident.set(p.link.executionName, Math.max(byIncident.get(p.link.executionName) ?? 0, p.secondsLeft));
  const left = [...byIncident.values()].sort((a, b) => a - b);
  const n = left.length;
  const first = left[0] ?? 0;
  const last = left[n - 1] ?? 0;
  const what = `waiting for ${n} approval${n === 1 ? '' : 's'}`;
  // Approvals asked within a few seconds of each other end together: one figure says it.
  return last - first < 5 ? `${what}, ${timeLeft(first)} left` : `${what}, ${timeLeft(first)} left for the first, ${timeLeft(last)} for the last`;
}

/** A stream that may be a terminal. */
export interface StatusOut {
  write(text: string): unknown;
  readonly isTTY?: boolean;
}

/**
 * One status line under the ordinary output. On a terminal, `show` rewrites it in place (\r and
 * erase-to-end-of-line) and `print` clears it, writes its text and puts it back, so the countdown
 * never splits another line. Elsewhere `show` writes a plain line and nothing is redrawn.
 */
export class StatusLine {
  private current: string | null = null;

  constructor(private readonly out: StatusOut) {}

  get isTTY(): boolean {
    return this.out.isTTY === true;
  }

  /** Ordinary output (whole lines). */
  print(text: string): void {
    if (!this.isTTY || this.current === null) {
      this.out.write(text);
      return;
    }
    this.out.write(`\r\u001b[K${text}\r${this.current}\u001b[K`);
  }

  /** Replace the status line (on a terminal) or write it as a line (elsewhere). */
  show(text: string): void {
    if (!this.isTTY) {
      this.out.write(`${text}\n`);
      return;
    }
    this.current = text;
    this.out.write(`\r${text}\u001b[K`);
  }

  /** Take the status line away (on a terminal), e.g. before the summary is printed. */
  clear(): void {
    if (this.isTTY && this.current !== null) this.out.write('\r\u001b[K');
    this.current = null;
  }
}
