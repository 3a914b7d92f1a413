import type { Finding } from '../../core/detection/findings';
import { FindingDataError, parseFinding } from '../../core/incident/finding-data';
import type { EvidenceOutput, FindingDoc } from '../../workflows/contract';
import { describe, TaskInputError } from '../task-input';

/** The detection handlers' input error, shared so that every step fails with the same error name. */
export { describe, TaskInputError };

/** The input as an object, or a TaskInputError naming the state's input. */
export function readObject(doc: unknown, where: string): Record<string, unknown> {
  if (typeof doc !== 'object' || doc === null || Array.isArray(doc)) throw new TaskInputError(where, `expected a JSON object, got ${describe(doc)}`);
  return doc as Record<string, unknown>;
}

/** The finding, checked field by field (its id must match its fields, so it cannot name one source and block another). */
export function readFinding(doc: unknown, where = 'finding'): { readonly doc: FindingDoc; readonly finding: Finding } {
  try {
    const finding = parseFinding(doc, where);
    return { doc: doc as FindingDoc, finding };
  } catch (e) {
    if (e instanceof FindingDataError) throw new TaskInputError(e.field, e.message.slice(e.field.length + 2), { cause: e });
    throw e;
  }
}

/** Step Functions execution names: 1 to 80 of `[A-Za-z0-9_-]` (what flowir's names use). */
export function readExecutionName(value: unknown, where = 'executionName'): string {
  if (typeof value !== 'string' || !/^[A-Za-z0-9_-]{1,80}$/.test(value)) {
    throw new TaskInputError(where, `expected an execution name (1 to 80 letters, digits, - or _), got ${describe(value)}`);
  }
  return value;
}

export function readString(value: unknown, where: string, options: { readonly maxLength?: number } = {}): string {
  if (typeof value !== 'string' || value.length === 0) throw new TaskInputError(where, `expected a non-empty string, got ${describe(value)}`);
  if (options.maxLength !== undefined && value.length > options.maxLength) throw new TaskInputError(where, `expected at most ${options.maxLength} characters, got ${value.length}`);
  return value;
}

export function readWholeNumber(value: unknown, where: string, min: number, max: number): number {
  if (typeof value !== 'number' || !Number.isSafeInteger(value) || value < min || value > max) {
    throw new TaskInputError(where, `expected a whole number from ${min} to ${max}, got ${describe(value)}`);
  }
  return value;
}

/**
 * The evidence step's output, checked as far as the containment steps read it: the summary's
 * lists must be lists, its counts numbers. Extra fields are kept (the page shows what it knows).
 */
export function readEvidence(doc: unknown, where = 'evidence'): EvidenceOutput {
  const e = readObject(doc, where);
  readString(e.manifestKey, `${where}.manifestKey`);
  if (typeof e.confirmed !== 'boolean') throw new TaskInputError(`${where}.confirmed`, `expected true or false, got ${describe(e.confirmed)}`);
  if (typeof e.recount !== 'number' && typeof e.recount !== 'string') throw new TaskInputError(`${where}.recount`, `expected a count, got ${describe(e.recount)}`);
  const s = readObject(e.summary, `${where}.summary`);
  for (const k of ['records', 'rejected', 'accepted'] as const) readWholeNumber(s[k], `${where}.summary.${k}`, 0, Number.MAX_SAFE_INTEGER);
  for (const k of ['firstSeen', 'lastSeen'] as const) if (s[k] !== null) readWholeNumber(s[k], `${where}.summary.${k}`, 0, Number.MAX_SAFE_INTEGER);
  readList(s.topDestinations, `${where}.summary.topDestinations`, (item, at) => {
    const o = readObject(item, at);
    readString(o.address, `${at}.address`);
    readWholeNumber(o.records, `${at}.records`, 0, Number.MAX_SAFE_INTEGER);
  });
  readList(s.topPorts, `${where}.summary.topPorts`, (item, at) => {
    const o = readObject(item, at);
    readWholeNumber(o.port, `${at}.port`, 0, 65535);
    readWholeNumber(o.records, `${at}.records`, 0, Number.MAX_SAFE_INTEGER);
  });
  for (const k of ['interfaces', 'securityGroups'] as const) readList(s[k], `${where}.summary.${k}`, (item, at) => readString(item, at));
  return e as unknown as EvidenceOutput;
}

function readList(value: unknown, where: string, check: (item: unknown, at: string) => void): void {
  if (!Array.isArray(value)) throw new TaskInputError(where, `expected a list, got ${describe(value)}`);
  value.forEach((item, i) => check(item, `${where}[${i}]`));
}
