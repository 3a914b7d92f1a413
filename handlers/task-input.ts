/**
 * Checks on what a Task state hands a handler. The state input comes from outside the handler
 * (a schedule, an earlier state, a person starting a backfill), so a bad field is a typed error that
 * names it; Step Functions records the error name and message in the execution history.
 */

/** A task's input does not have the shape its contract (workflows/contract.ts) says. */
export class TaskInputError extends Error {
  override readonly name = 'TaskInputError';
  constructor(
    readonly field: string,
    message: string,
    options?: { cause?: unknown },
  ) {
    super(`${field}: ${message}`, options);
  }
}

export type JsonObject = Readonly<Record<string, unknown>>;

export function isJsonObject(value: unknown): value is JsonObject {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** The value as an object, or a TaskInputError naming `field`. */
export function requireObject(value: unknown, field: string): JsonObject {
  if (!isJsonObject(value)) throw new TaskInputError(field, `expected a JSON object, got ${describe(value)}`);
  return value;
}

export function requireString(value: unknown, field: string): string {
  if (typeof value !== 'string' || value.length === 0) throw new TaskInputError(field, `expected a non-empty string, got ${describe(value)}`);
  return value;
}

/** `{start, end}` in whole epoch seconds with start < end. */
export function requireWindow(value: unknown, field: string): { readonly start: number; readonly end: number } {
  const w = requireObject(value, field);
  const { start, end } = w;
  if (typeof start !== 'number' || !Number.isSafeInteger(start) || start < 0) throw new TaskInputError(`${field}.start`, `expected epoch seconds, got ${describe(start)}`);
  if (typeof end !== 'number' || !Number.isSafeInteger(end) || end <= start) throw new TaskInputError(`${field}.end`, `expected epoch seconds after ${field}.start, got ${describe(end)}`);
  return { start, end };
}

/** A short description of a bad value for an error message (never the whole of a large input). */
export function describe(value: unknown): string {
  if (value === undefined) return 'nothing';
  const text = JSON.stringify(value) ?? String(value);
  return text.length > 80 ? `${text.slice(0, 80)}…` : text;
}
