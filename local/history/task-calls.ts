import { affinity } from './same-json';

/** One call of a task handler, as the instrumented handler saw it. */
export interface TaskCall {
  readonly state: string;
  /** Order of calls in this execution. */
  readonly seq: number;
  readonly input: unknown;
  readonly inputJson: string;
  readonly calledAtMs: number;
  settledAtMs: number | null;
  outcome: { readonly ok: true; readonly outputJson: string } | { readonly ok: false; readonly error: string; readonly cause: string } | null;
}

/** One attempt of a Task state: from StateEntered or StateRetried to StateFailed or StateExited. */
export interface TaskAttempt {
  readonly state: string;
  /** Arrival order of the event that started it. */
  readonly startSeq: number;
  readonly startMs: number;
  /** The state input (the raw input the runner passed to the state). */
  readonly input: unknown;
  end: { readonly ok: true; readonly ms: number } | { readonly ok: false; readonly ms: number; readonly error: string } | null;
  call: TaskCall | null;
}

/**
 * Pair each handler call with the attempt that made it. The runner calls the handler in the same
 * synchronous step in which it stamps the attempt's start, so calls of one state come in the order
 * of its attempt starts; the start stamps have millisecond resolution, so attempts in different Map
 * iterations can tie. Among the attempts a call fits (started before the call, not ended before
 * it, with a compatible end), it goes to the earliest; on a tie, to the one whose state input it
 * has most in common with (see {@link affinity}), the earliest when none stands out. An attempt left without a call failed before its handler
 * ran (its input or parameters could not be built).
 */
export function matchCalls(attempts: readonly TaskAttempt[], calls: readonly TaskCall[]): void {
  const byState = new Map<string, TaskAttempt[]>();
  for (const a of attempts) {
    const list = byState.get(a.state) ?? [];
    list.push(a);
    byState.set(a.state, list);
  }
  for (const list of byState.values()) list.sort((x, y) => x.startMs - y.startMs || x.startSeq - y.startSeq);
  for (const call of [...calls].sort((x, y) => x.seq - y.seq)) {
    const open = (byState.get(call.state) ?? []).filter((a) => a.call === null && fits(a, call));
    const tied = open.filter((a) => a.startMs === open[0]?.startMs);
    let chosen = tied[0];
    if (tied.length > 1) {
      let best = 0;
      for (const a of tied) {
        const score = affinity(call.input, a.input);
        if (score > best) [best, chosen] = [score, a];
      }
    }
    if (chosen !== undefined) chosen.call = call;
  }
}

function fits(a: TaskAttempt, c: TaskCall): boolean {
  if (a.startMs > c.calledAtMs) return false;
  if (a.end === null) return true;
  if (a.end.ms < c.calledAtMs) return false;
  if (a.end.ok) return c.outcome?.ok === true;
  // A timeout ends the attempt whatever the call does later; a States.* error can come after a good call (ResultSelector, ResultPath).
  if (a.end.error.startsWith('States.')) return true;
  return c.outcome?.ok === false && c.outcome.error === a.end.error;
}
