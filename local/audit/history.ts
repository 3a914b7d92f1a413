/**
 * One execution as the audit reads it, whatever it came from: the local state dir
 * (`executions/<machine>/<name>.json`, written by local/history), the document the AWS
 * export-history handler keeps in the evidence bucket, or Step Functions itself (DescribeExecution
 * + GetExecutionHistory). The three differ in a few field names; everything after this module sees
 * one shape.
 */

/** Where a history was read from (shown in the report: an auditor must know what the record is). */
export type HistoryOrigin = 'local' | 'step-functions' | 'exported';

/** One GetExecutionHistory event as JSON (timestamp as ISO 8601 text; details as AWS names them). */
export interface AuditEvent {
  readonly id: number;
  readonly previousEventId: number;
  readonly type: string;
  readonly timestamp: string;
  readonly [detail: string]: unknown;
}

export interface AuditedExecution {
  readonly origin: HistoryOrigin;
  /** The file or object the history was read from, or the execution ARN for Step Functions. */
  readonly location: string;
  readonly executionArn: string;
  readonly name: string;
  readonly stateMachineName: string;
  readonly status: string;
  readonly startDate: string;
  readonly stopDate: string | null;
  /** Parsed JSON; null when absent. */
  readonly input: unknown;
  readonly output: unknown;
  readonly error: string | null;
  readonly cause: string | null;
  readonly events: readonly AuditEvent[];
  /**
   * Local runs: notes on the execution as a whole (`local.notes` with state null), such as the
   * sweeper's release after an execution ended without releasing. Absent for Step Functions.
   */
  readonly executionNotes?: ReadonlyArray<{ readonly text: string; readonly data?: unknown }>;
}

/** A history that cannot be read as one: names the source and the field. */
export class HistoryDocumentError extends Error {
  override readonly name = 'HistoryDocumentError';
  constructor(
    readonly source: string,
    readonly field: string,
    message: string,
    options?: { cause?: unknown },
  ) {
    super(`${source}: ${field === '' ? '' : `${field}: `}${message}`, options);
  }
}

type Obj = Record<string, unknown>;

const isObj = (v: unknown): v is Obj => typeof v === 'object' && v !== null && !Array.isArray(v);

/**
 * Read a history document, local or exported. `text` is the file or object content; `source`
 * names it in errors.
 */
export function parseHistoryDocument(text: string, source: string, origin: 'local' | 'exported'): AuditedExecution {
  let doc: unknown;
  try {
    doc = JSON.parse(text);
  } catch (e) {
    throw new HistoryDocumentError(source, '', `not valid JSON (${(e as Error).message})`, { cause: e });
  }
  if (!isObj(doc)) throw new HistoryDocumentError(source, '', 'expected a JSON object (an execution history document)');
  const fail = (field: string, message: string): never => {
    throw new HistoryDocumentError(source, field, message);
  };
  const str = (field: string): string => {
    const v = doc[field];
    return typeof v === 'string' && v.length > 0 ? v : fail(field, `expected a non-empty string, got ${describe(v)}`);
  };
  const optStr = (field: string): string | null => {
    const v = doc[field];
    if (v === undefined || v === null) return null;
    return typeof v === 'string' ? v : fail(field, `expected a string or null, got ${describe(v)}`);
  };
  if (!Array.isArray(doc.events)) fail('events', `expected an array of history events, got ${describe(doc.events)}`);
  const events = checkEvents(doc.events as unknown[], source);
  // The local document says `name`; the exported one `executionName` (handlers/export-history.ts).
  const name = typeof doc.name === 'string' ? str('name') : str('executionName');
  const executionArn = str('executionArn');
  const stateMachineName = str('stateMachineName');
  const status = str('status');
  const started = events.find((e) => e.type === 'ExecutionStarted');
  const startDate = optStr('startDate') ?? started?.timestamp ?? fail('startDate', 'missing, and the history has no ExecutionStarted event');
  checkIso(startDate, source, 'startDate');
  const stopDate = optStr('stopDate');
  if (stopDate !== null) checkIso(stopDate, source, 'stopDate');
  const fromEvents = endOfHistory(events);
  const input = 'input' in doc ? jsonText(doc.input, source, 'input') : parseJsonDetail(started, 'executionStartedEventDetails', 'input', source);
  const output = 'output' in doc ? jsonText(doc.output, source, 'output') : fromEvents.output;
  return {
    origin,
    location: source,
    executionArn,
    name,
    stateMachineName,
    status,
    startDate,
    stopDate,
    input,
    output,
    error: 'error' in doc ? optStr('error') : fromEvents.error,
    cause: 'cause' in doc ? optStr('cause') : fromEvents.cause,
    events,
    ...executionNotesOf(doc.local),
  };
}

/** The notes of a local document that belong to no state (an unreadable note is left out, not fatal: notes are commentary). */
function executionNotesOf(local: unknown): { executionNotes?: Array<{ text: string; data?: unknown }> } {
  if (!isObj(local) || !Array.isArray(local.notes)) return {};
  const notes = local.notes.filter((n): n is Obj => isObj(n) && (n.state === null || n.state === undefined) && typeof n.text === 'string').map((n) => (n.data === undefined ? { text: n.text as string } : { text: n.text as string, data: n.data }));
  return notes.length === 0 ? {} : { executionNotes: notes };
}

/** The parts of DescribeExecution the audit keeps (dates as ISO text). */
export interface DescribedExecution {
  readonly executionArn: string;
  readonly name: string;
  readonly stateMachineArn: string;
  readonly status: string;
  readonly startDate: string;
  readonly stopDate: string | null;
  readonly input: string | null;
  readonly output: string | null;
  readonly error: string | null;
  readonly cause: string | null;
}

/** An execution read from Step Functions: DescribeExecution plus every GetExecutionHistory event. */
export function fromStepFunctions(described: DescribedExecution, events: readonly unknown[]): AuditedExecution {
  const source = described.executionArn;
  const machine = /:stateMachine:([^:]+)$/.exec(described.stateMachineArn)?.[1] ?? described.stateMachineArn;
  return {
    origin: 'step-functions',
    location: source,
    executionArn: described.executionArn,
    name: described.name,
    stateMachineName: machine,
    status: described.status,
    startDate: described.startDate,
    stopDate: described.stopDate,
    input: jsonText(described.input, source, 'input'),
    output: jsonText(described.output, source, 'output'),
    error: described.error,
    cause: described.cause,
    events: checkEvents(events, source),
  };
}

function checkEvents(raw: readonly unknown[], source: string): AuditEvent[] {
  const events = raw.map((e, i): AuditEvent => {
    const at = `events[${i}]`;
    if (!isObj(e)) throw new HistoryDocumentError(source, at, 'expected an event object');
    if (typeof e.id !== 'number' || !Number.isSafeInteger(e.id)) throw new HistoryDocumentError(source, `${at}.id`, `expected a whole number, got ${describe(e.id)}`);
    if (typeof e.type !== 'string' || e.type.length === 0) throw new HistoryDocumentError(source, `${at}.type`, `expected an event type, got ${describe(e.type)}`);
    const timestamp = e.timestamp instanceof Date ? e.timestamp.toISOString() : e.timestamp;
    if (typeof timestamp !== 'string') throw new HistoryDocumentError(source, `${at}.timestamp`, `expected an ISO 8601 time, got ${describe(e.timestamp)}`);
    checkIso(timestamp, source, `${at}.timestamp`);
    const previousEventId = typeof e.previousEventId === 'number' ? e.previousEventId : 0;
    return { ...e, id: e.id, previousEventId, type: e.type, timestamp };
  });
  return events.sort((a, b) => a.id - b.id);
}

function checkIso(text: string, source: string, field: string): void {
  if (Number.isNaN(Date.parse(text))) throw new HistoryDocumentError(source, field, `expected an ISO 8601 time, got ${describe(text)}`);
}

/** A JSON text field (DescribeExecution's input/output): parsed, or null. */
function jsonText(value: unknown, source: string, field: string): unknown {
  if (value === undefined || value === null) return null;
  if (typeof value !== 'string') return value;
  try {
    return JSON.parse(value) as unknown;
  } catch (e) {
    throw new HistoryDocumentError(source, field, `not valid JSON (${(e as Error).message})`, { cause: e });
  }
}

function parseJsonDetail(event: AuditEvent | undefined, detailsField: string, field: string, source: string): unknown {
  if (event === undefined) return null;
  const details = event[detailsField];
  if (!isObj(details)) return null;
  return jsonText(details[field], source, `events[id=${event.id}].${detailsField}.${field}`);
}

/** Output, error and cause from the closing event (exported documents carry them only there). */
function endOfHistory(events: readonly AuditEvent[]): { output: unknown; error: string | null; cause: string | null } {
  for (let i = events.length - 1; i >= 0; i--) {
    const e = events[i] as AuditEvent;
    if (e.type === 'ExecutionSucceeded') {
      const d = e.executionSucceededEventDetails;
      return { output: isObj(d) && typeof d.output === 'string' ? safeJson(d.output) : null, error: null, cause: null };
    }
    for (const [type, field] of [
      ['ExecutionFailed', 'executionFailedEventDetails'],
      ['ExecutionTimedOut', 'executionTimedOutEventDetails'],
      ['ExecutionAborted', 'executionAbortedEventDetails'],
    ] as const) {
      if (e.type !== type) continue;
      const d = e[field];
      return { output: null, error: isObj(d) && typeof d.error === 'string' ? d.error : null, cause: isObj(d) && typeof d.cause === 'string' ? d.cause : null };
    }
  }
  return { output: null, error: null, cause: null };
}

/** JSON text that may be truncated or not JSON at all: the text itself then. */
export function safeJson(text: string): unknown {
  try {
    return JSON.parse(text) as unknown;
  } catch {
    return text;
  }
}

export function describe(v: unknown): string {
  if (v === undefined) return 'nothing';
  if (v === null) return 'null';
  if (typeof v === 'string') return JSON.stringify(v.length > 60 ? `${v.slice(0, 60)}…` : v);
  if (Array.isArray(v)) return 'an array';
  return typeof v === 'object' ? 'an object' : `${typeof v} ${String(v)}`;
}
