/** Time windows: `[start, end)` in epoch seconds, and the CLI's ways of writing times and durations. */
export interface TimeWindow {
  readonly start: number;
  readonly end: number;
}

export class TimeArgumentError extends Error {
  override readonly name = 'TimeArgumentError';
}

const ISO_INSTANT = /^(\d{4})-(\d{2})-(\d{2})(?:[T ](\d{2}):(\d{2})(?::(\d{2})(?:\.\d+)?)?)?(Z|[+-]\d{2}:?\d{2})?$/i;

/** 9999-12-31T23:59:59Z: the last second ISO 8601's four-digit years can write; no instant is later. */
export const MAX_INSTANT_SECONDS = 253402300799;

/**
 * Epoch seconds or ISO 8601 (a time without a zone is UTC), from 1970 to the end of 9999: an
 * instant outside that range cannot be a flow-log time, and later ones would not print as a date.
 */
export function parseInstant(text: string, what = 'time'): number {
  const t = text.trim();
  const seconds = /^\d+$/.test(t) ? Number(t) : parseIsoInstant(t);
  if (seconds === undefined) throw new TimeArgumentError(`${what}: "${text}" is neither epoch seconds nor an ISO 8601 time`);
  if (seconds < 0) throw new TimeArgumentError(`${what}: "${text}" is before 1970-01-01T00:00:00Z`);
  if (seconds > MAX_INSTANT_SECONDS) {
    // Thirteen digits are what Date.now() and most JavaScript logs give.
    const hint = /^\d{13}$/.test(t) ? ` (milliseconds? in seconds that is ${Math.floor(Number(t) / 1000)})` : '';
    throw new TimeArgumentError(`${what}: "${text}" is after 9999-12-31T23:59:59Z${hint}`);
  }
  return seconds;
}

/**
 * Checked field by field rather than by Date.parse, which rolls impossible dates over
 * (2025-02-30 would silently become March 2 and scan the wrong window).
 */
function parseIsoInstant(t: string): number | undefined {
  const m = ISO_INSTANT.exec(t);
  if (!m) return undefined;
  const [year, month, day, hour = 0, minute = 0, second = 0] = m.slice(1, 7).map((v) => (v === undefined ? undefined : Number(v)));
  if (year === undefined || month === undefined || day === undefined) return undefined;
  const daysInMonth = new Date(utcMilliseconds(year, month, 0)).getUTCDate();
  if (month < 1 || month > 12 || day < 1 || day > daysInMonth || hour > 23 || minute > 59 || second > 59) return undefined;
  const zone = m[7];
  let offsetMinutes = 0;
  if (zone !== undefined && zone.toUpperCase() !== 'Z') {
    const z = /^([+-])(\d{2}):?(\d{2})$/.exec(zone);
    if (!z) return undefined;
    const [zh, zm] = [Number(z[2]), Number(z[3])];
    if (zh > 23 || zm > 59) return undefined;
    offsetMinutes = (z[1] === '-' ? -1 : 1) * (zh * 60 + zm);
  }
  return utcMilliseconds(year, month - 1, day, hour, minute, second) / 1000 - offsetMinutes * 60;
}

/** Date.UTC, but for every year: Date.UTC reads years 0 to 99 as 1900 to 1999 ("0070-01-01" would be 1970). */
function utcMilliseconds(year: number, monthIndex: number, day: number, hour = 0, minute = 0, second = 0): number {
  const d = new Date(0);
  d.setUTCFullYear(year, monthIndex, day);
  d.setUTCHours(hour, minute, second, 0);
  return d.getTime();
}

const UNIT_SECONDS: Record<string, number> = { s: 1, m: 60, h: 3600, d: 86400 };

/** A duration the way {@link parseDuration} reads it, in its largest whole unit: `7d`, `90m`, `3601s`. */
export function formatDuration(seconds: number): string {
  for (const unit of ['d', 'h', 'm'] as const) {
    const size = UNIT_SECONDS[unit] as number;
    if (seconds >= size && seconds % size === 0) return `${seconds / size}${unit}`;
  }
  return `${seconds}s`;
}

/** A century: longer than any flow-log archive, and short enough that every window starts at a printable date. */
export const MAX_DURATION_SECONDS = 36500 * 86400;

/** Seconds, or a number with a unit: `90s`, `15m`, `1h`, `2d`; more than zero and at most `max`. */
export function parseDuration(text: string, what = 'duration', max = MAX_DURATION_SECONDS): number {
  const m = /^(\d+)\s*([smhd]?)$/i.exec(text.trim());
  if (!m) throw new TimeArgumentError(`${what}: "${text}" is not a duration (seconds, or 90s, 15m, 1h, 2d)`);
  const seconds = Number(m[1]) * (UNIT_SECONDS[(m[2] || 's').toLowerCase()] ?? 1);
  if (seconds <= 0) throw new TimeArgumentError(`${what}: must be longer than zero`);
  if (seconds > max) throw new TimeArgumentError(`${what}: "${text}" is too long (at most ${formatDuration(max)})`);
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
