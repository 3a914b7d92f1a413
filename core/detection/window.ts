/** Time windows: `[start, end)` in epoch seconds, and the CLI's ways of writing times and durations. */
export interface TimeWindow {
  readonly start: number;
  readonly end: number;
}

export class TimeArgumentError extends Error {
  override readonly name = 'TimeArgumentError';
}

const ISO_INSTANT = /^(\d{4})-(\d{2})-(\d{2})(?:[T ](\d{2}):(\d{2})(?::(\d{2})(?:\.\d+)?)?)?(Z|[+-]\d{2}:?\d{2})?$/i;

/** Epoch seconds or ISO 8601 (a time without a zone is UTC). */
export function parseInstant(text: string, what = 'time'): number {
  const t = text.trim();
  if (/^\d{1,12}$/.test(t)) return Number(t);
  const seconds = parseIsoInstant(t);
  if (seconds === undefined) throw new TimeArgumentError(`${what}: "${text}" is neither epoch seconds nor an ISO 8601 time`);
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
  const daysInMonth = new Date(Date.UTC(year, month, 0)).getUTCDate();
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
  return Date.UTC(year, month - 1, day, hour, minute, second) / 1000 - offsetMinutes * 60;
}

const UNIT_SECONDS: Record<string, number> = { s: 1, m: 60, h: 3600, d: 86400 };

/** Seconds, or a number with a unit: `90s`, `15m`, `1h`, `2d`. */
export function parseDuration(text: string, what = 'duration'): number {
  const m = /^(\d+)\s*([smhd]?)$/i.exec(text.trim());
  if (!m) throw new TimeArgumentError(`${what}: "${text}" is not a duration (seconds, or 90s, 15m, 1h, 2d)`);
  const seconds = Number(m[1]) * (UNIT_SECONDS[(m[2] || 's').toLowerCase()] ?? 1);
  if (seconds <= 0) throw new TimeArgumentError(`${what}: must be longer than zero`);
  if (!Number.isSafeInteger(seconds)) throw new TimeArgumentError(`${what}: "${text}" is too long`);
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
