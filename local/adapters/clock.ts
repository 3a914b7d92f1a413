import type { Clock } from '../../handlers/ports';

/** One jump of the simulated clock, as the execution history reports it. */
export interface ClockAdvance {
  /** Simulated time before and after the jump (ISO 8601). */
  readonly from: string;
  readonly to: string;
  readonly seconds: number;
  readonly reason: string;
  /** The Wait state the jump stands in for, if any. */
  readonly state: string | null;
  /** Real time of the jump (epoch ms): places it among events stamped with real time. */
  readonly atRealMs: number;
}

/** What the history recorder needs from a clock: how real event times map to simulated ones. */
export interface ClockTimeline {
  toSimulatedMs(realMs: number): number;
  advances(): readonly ClockAdvance[];
}

export class ClockError extends Error {
  override readonly name = 'ClockError';
}

/**
 * Real time plus an offset that only grows. `flowir run` fast-forwards Wait states (a 24 h block
 * expiry) by advancing it; handlers read it through the Clock port, so they see the time the
 * workflow would see on AWS. Every advance is kept (from, to, reason) for the history.
 */
export class SimulatedClock implements Clock, ClockTimeline {
  private offsetMs = 0;
  private readonly log: ClockAdvance[] = [];

  constructor(private readonly realNow: () => number = Date.now) {}

  now(): Date {
    return new Date(this.realNow() + this.offsetMs);
  }

  /** Milliseconds the simulated clock is ahead of real time. */
  get offset(): number {
    return this.offsetMs;
  }

  /** Jump ahead by `seconds` (0 records nothing). */
  advance(seconds: number, reason: string, state: string | null = null): ClockAdvance | null {
    if (!Number.isFinite(seconds) || seconds < 0) throw new ClockError(`the simulated clock only moves forward: cannot advance by ${seconds} s`);
    if (reason.trim().length === 0) throw new ClockError('an advance of the simulated clock needs a reason (it is shown in the history)');
    if (seconds === 0) return null;
    const atRealMs = this.realNow();
    const from = new Date(atRealMs + this.offsetMs);
    this.offsetMs += Math.round(seconds * 1000);
    const advance: ClockAdvance = { from: from.toISOString(), to: new Date(atRealMs + this.offsetMs).toISOString(), seconds, reason, state, atRealMs };
    this.log.push(advance);
    return advance;
  }

  /** Jump to `target` when it is ahead (a Wait until a timestamp); a time already passed records nothing. */
  advanceTo(target: Date, reason: string, state: string | null = null): ClockAdvance | null {
    const t = target.getTime();
    if (Number.isNaN(t)) throw new ClockError('advanceTo: invalid date');
    const ahead = t - this.now().getTime();
    return ahead > 0 ? this.advance(ahead / 1000, reason, state) : null;
  }

  advances(): readonly ClockAdvance[] {
    return [...this.log];
  }

  /** The simulated time of a real instant: real plus every advance made at or before it. */
  toSimulatedMs(realMs: number): number {
    let offset = 0;
    for (const a of this.log) {
      if (a.atRealMs <= realMs) offset += Math.round(a.seconds * 1000);
    }
    return realMs + offset;
  }
}
