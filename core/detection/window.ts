/** Time windows: `[start, end)` in epoch seconds, and the CLI's ways of writing times and durations. */
export interface TimeWindow {
  readonly start: number;
  readonly end: number;
}

export class TimeArgumentError extends Error {
  override readonly name = 'TimeArgumentError';
}

/** Epoch seconds or ISO 8601 (a time without a zone is UTC). */
export function parseInstant(text: string, what = 'time'): number {
  const t = text.trim();
  if (/^\d{1,12}$/.test(t)) return Number(t);
  const hasZone = /(Z|[+-]\d{2}:?\d{2})$/i.test(t);
  const isoLike = /^\d{4}-\d{2}-\d{2}([T ]\d{2}:\d{2}(:\d{2}(\.\d+)?)?)?/.test(t);
  const ms = isoLike ? Date.parse(hasZone || !t.includes(':') ? t : `${t}Z`) : NaN;
  if (!Number.isFinite(ms)) throw new TimeArgumentError(`${what}: "${text}" is neither epoch seconds nor an ISO 8601 time`);
  return Math.floor(ms / 1000);
}

const UNIT_SECONDS: Record<string, number> = { s: 1, m: 60, h: 3600, d: 86400 };

/** Seconds, or a number with a unit: `90s`, `15m`, `1h`, `2d`. */
export function parseDuration(text: string, what = 'duration'): number {
  const m = /^(\d+)\s*([smhd]?)$/i.exec(text.trim());
  if (!m) throw new TimeArgumentError(`${what}: "${text}" is not a duration (seconds, or 90s, 15m, 1h, 2d)`);
  const seconds = Number(m[1]) * (UNIT_SECONDS[(m[2] || 's').toLowerCase()] ?? 1);
  if (seconds <= 0) throw new TimeArgumentError(`${what}: must be longer than zero`);
  return seconds;
}

/** The default window end for data whose latest record started at `latestStart`: the next whole hour. */
export function defaultUntil(latestStart: number): number {
  return Math.floor(latestStart / 3600) * 3600 + 3600;
}

export function windowEndingAt(until: number, seconds: number): TimeWindow {
  return { start: until - seconds, end: until };
}

export function inWindow(w: TimeWindow, start: number): boolean {
  return start >= w.start && start < w.end;
}
