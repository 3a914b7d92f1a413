import * as path from 'node:path';

/**
 * Object pruning for the S3 delivery layout: skip objects whose records cannot start inside the
 * window, judging by the delivery time in the key name alone.
 *
 * AWS publishes a flow-log object every 5 minutes with the records of the traffic recorded in the
 * minutes before; the key's `YYYYMMDDTHHmmZ` is that publication time, truncated to the minute
 * (the S3 Last-Modified time is later still). So:
 * - A record never starts after its object's key time, except within the minute the key truncates.
 *   EARLY_MARGIN (5 min) covers that minute with room for clock skew: an object whose key time
 *   plus 5 minutes is before the window start holds nothing in the window, and is skipped.
 * - A record can start well before its object's key time (aggregation intervals of up to 10
 *   minutes, delivery delays; archives show up to about an hour). LATE_MARGIN (2 h, twice that)
 *   bounds it: an object published 2 h or more after the window end is skipped. This side only
 *   matters for windows that end before the archive does (backtests), where it costs at most two
 *   extra hours of objects.
 */
export const EARLY_MARGIN_SECONDS = 5 * 60;
export const LATE_MARGIN_SECONDS = 2 * 3600;

const OBJECT_NAME = /^\d{12}_vpcflowlogs_[a-z0-9-]+_fl-[0-9a-z]+_(\d{4})(\d{2})(\d{2})T(\d{2})(\d{2})Z_[0-9a-z]+\.log(?:\.gz)?$/i;

/** The delivery time (epoch seconds) in an S3 flow-log object's name, or undefined when the file is not one. */
export function objectKeyTime(file: string): number | undefined {
  const m = OBJECT_NAME.exec(path.basename(file));
  if (!m) return undefined;
  const [year, month, day, hour, minute] = m.slice(1, 6).map(Number) as [number, number, number, number, number];
  const ms = Date.UTC(year, month - 1, day, hour, minute);
  const d = new Date(ms);
  // Refuse impossible dates (20251340T...) rather than let Date roll them over.
  if (d.getUTCFullYear() !== year || d.getUTCMonth() !== month - 1 || d.getUTCDate() !== day || d.getUTCHours() !== hour || d.getUTCMinutes() !== minute) return undefined;
  return ms / 1000;
}

/** Whether an object delivered at `keyTime` may hold a record starting in [windowStart, windowEnd). */
export function mayHoldWindow(keyTime: number, windowStart: number, windowEnd: number): boolean {
  return keyTime + EARLY_MARGIN_SECONDS >= windowStart && keyTime - LATE_MARGIN_SECONDS < windowEnd;
}

/**
 * With the window end not given, it is the next whole hour after the latest record start, so the
 * window start is at least `lowestWindowStart` once some records are known. An object delivered
 * before that (less the early margin) cannot hold a record in the final window.
 */
export function mayHoldLaterWindow(keyTime: number, lowestWindowStart: number): boolean {
  return keyTime + EARLY_MARGIN_SECONDS >= lowestWindowStart;
}
