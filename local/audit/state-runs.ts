/**
 * A history's events grouped by state: each time a state ran, with its input, its output, and for a
 * Task every attempt (scheduled, then succeeded, failed or timed out). Step Functions writes Task
 * events for service integrations (`TaskScheduled`...) and Lambda events for a Lambda ARN resource
 * (`LambdaFunctionScheduled`...); both read alike here. Task events do not name their state: each
 * belongs to the state whose `...StateEntered` its `previousEventId` chain reaches first.
 */
import { safeJson, type AuditEvent } from './history';

/** `event`: the id and type of the event that ended the attempt (for a report to point at). */
export type AttemptEnd =
  | { readonly kind: 'succeeded'; readonly at: string; readonly output: unknown; readonly event: EventRef }
  | { readonly kind: 'failed' | 'timed-out'; readonly at: string; readonly error: string; readonly cause: string; readonly event: EventRef };

/** One event of the history, as a report names it. */
export interface EventRef {
  readonly id: number;
  readonly type: string;
}

export interface TaskAttempt {
  readonly scheduledAt: string;
  readonly parameters: unknown;
  readonly timeoutSeconds: number | null;
  end: AttemptEnd | null;
}

/** Facts a local run adds to an event (`localDetails`, see local/history/document.ts). */
export interface LocalFacts {
  readonly clockAdvance?: { readonly from: string; readonly to: string; readonly seconds: number; readonly reason: string; readonly state: string | null };
  readonly caught?: { readonly errorEquals: readonly string[]; readonly next: string };
  readonly notes?: ReadonlyArray<{ readonly text: string; readonly data?: unknown }>;
}

export interface StateRun {
  readonly name: string;
  /** Task, Pass, Choice, Wait, Succeed, Fail, Map, Parallel. */
  readonly type: string;
  readonly enteredAt: string;
  /** Its …StateEntered event. */
  readonly entered: EventRef;
  readonly input: unknown;
  exitedAt: string | null;
  /** Its …StateExited event, once it exited. */
  exited: EventRef | null;
  output: unknown;
  /** How it ended when it did not exit: aborted, or failed (its error then went to a Catch or failed the execution). */
  ended: 'exited' | 'aborted' | 'failed' | null;
  readonly attempts: TaskAttempt[];
  local: LocalFacts;
}

export interface ExecutionEnd {
  readonly type: string;
  readonly at: string;
  readonly error: string | null;
  readonly cause: string | null;
}

export interface StateRuns {
  readonly runs: StateRun[];
  readonly startedAt: string | null;
  readonly end: ExecutionEnd | null;
}

type Obj = Record<string, unknown>;
const isObj = (v: unknown): v is Obj => typeof v === 'object' && v !== null && !Array.isArray(v);

/** `TaskFailed` → `taskFailedEventDetails`: how AWS names every event's details field. */
export function detailsOf(e: AuditEvent): Obj {
  const d = e[`${e.type.charAt(0).toLowerCase()}${e.type.slice(1)}EventDetails`];
  return isObj(d) ? d : {};
}

const str = (v: unknown): string | null => (typeof v === 'string' ? v : null);

const SCHEDULED = new Set(['TaskScheduled', 'LambdaFunctionScheduled']);
const SUCCEEDED = new Set(['TaskSucceeded', 'LambdaFunctionSucceeded']);
const FAILED = new Set(['TaskFailed', 'TaskStartFailed', 'TaskSubmitFailed', 'LambdaFunctionFailed', 'LambdaFunctionStartFailed', 'LambdaFunctionScheduleFailed']);
const TIMED_OUT = new Set(['TaskTimedOut', 'LambdaFunctionTimedOut']);
const EXECUTION_END = new Set(['ExecutionSucceeded', 'ExecutionFailed', 'ExecutionTimedOut', 'ExecutionAborted']);

/** Group the events of one execution by state run. */
export function stateRuns(events: readonly AuditEvent[]): StateRuns {
  const byId = new Map(events.map((e) => [e.id, e]));
  const owner = new Map<number, StateRun | null>();
  const runs: StateRun[] = [];
  let startedAt: string | null = null;
  let end: ExecutionEnd | null = null;

  /** The run an event belongs to: the nearest StateEntered up its chain, unless a StateExited comes first. */
  const runOf = (e: AuditEvent): StateRun | null => {
    const path: number[] = [];
    let cur: AuditEvent | undefined = byId.get(e.previousEventId);
    let found: StateRun | null = null;
    for (let guard = 0; cur !== undefined && guard < events.length; guard++) {
      if (owner.has(cur.id)) {
        found = owner.get(cur.id) ?? null;
        break;
      }
      path.push(cur.id);
      if (cur.type.endsWith('StateExited') || cur.type.endsWith('StateAborted')) break;
      cur = byId.get(cur.previousEventId);
    }
    for (const id of path) owner.set(id, found);
    return found;
  };

  for (const e of events) {
    const d = detailsOf(e);
    if (e.type === 'ExecutionStarted') {
      startedAt = e.timestamp;
      continue;
    }
    if (EXECUTION_END.has(e.type)) {
      end = { type: e.type, at: e.timestamp, error: str(d.error), cause: str(d.cause) };
      continue;
    }
    if (e.type.endsWith('StateEntered')) {
      const entered = isObj(e.stateEnteredEventDetails) ? e.stateEnteredEventDetails : {};
      const run: StateRun = {
        name: str(entered.name) ?? '(unnamed state)',
        type: e.type.slice(0, -'StateEntered'.length),
        enteredAt: e.timestamp,
        entered: { id: e.id, type: e.type },
        input: typeof entered.input === 'string' ? safeJson(entered.input) : null,
        exitedAt: null,
        exited: null,
        output: null,
        ended: null,
        attempts: [],
        local: localFacts(e),
      };
      // A Fail state ends where it starts.
      if (run.type === 'Fail') run.ended = 'failed';
      runs.push(run);
      owner.set(e.id, run);
      continue;
    }
    if (e.type.endsWith('StateExited')) {
      const exited = isObj(e.stateExitedEventDetails) ? e.stateExitedEventDetails : {};
      const name = str(exited.name);
      const run = [...runs].reverse().find((r) => r.name === name && r.ended === null) ?? null;
      owner.set(e.id, run);
      if (run === null) continue;
      run.exitedAt = e.timestamp;
      run.exited = { id: e.id, type: e.type };
      run.output = typeof exited.output === 'string' ? safeJson(exited.output) : null;
      run.ended = 'exited';
      run.local = { ...run.local, ...localFacts(e) };
      continue;
    }
    const run = runOf(e);
    owner.set(e.id, run);
    if (run === null) continue;
    if (e.type.endsWith('StateAborted')) {
      run.ended = 'aborted';
      run.exitedAt = e.timestamp;
      continue;
    }
    if (SCHEDULED.has(e.type)) {
      const raw = e.type === 'TaskScheduled' ? d.parameters : d.input;
      run.attempts.push({ scheduledAt: e.timestamp, parameters: typeof raw === 'string' ? safeJson(raw) : null, timeoutSeconds: typeof d.timeoutInSeconds === 'number' ? d.timeoutInSeconds : null, end: null });
      continue;
    }
    const attempt = run.attempts[run.attempts.length - 1];
    if (attempt === undefined || attempt.end !== null) continue;
    const event = { id: e.id, type: e.type };
    if (SUCCEEDED.has(e.type)) attempt.end = { kind: 'succeeded', at: e.timestamp, output: typeof d.output === 'string' ? safeJson(d.output) : null, event };
    else if (FAILED.has(e.type) || TIMED_OUT.has(e.type)) {
      attempt.end = { kind: TIMED_OUT.has(e.type) ? 'timed-out' : 'failed', at: e.timestamp, error: str(d.error) ?? (TIMED_OUT.has(e.type) ? 'States.Timeout' : 'unknown error'), cause: str(d.cause) ?? '', event };
    }
  }
  for (const r of runs) {
    const lastEnd = r.attempts[r.attempts.length - 1]?.end;
    if (r.ended === null && lastEnd != null && lastEnd.kind !== 'succeeded') r.ended = 'failed';
  }
  return { runs, startedAt, end };
}

function localFacts(e: AuditEvent): LocalFacts {
  const l = e.localDetails;
  if (!isObj(l)) return {};
  const out: { -readonly [K in keyof LocalFacts]: LocalFacts[K] } = {};
  const c = l.clockAdvance;
  if (isObj(c) && typeof c.from === 'string' && typeof c.to === 'string' && typeof c.seconds === 'number') {
    out.clockAdvance = { from: c.from, to: c.to, seconds: c.seconds, reason: str(c.reason) ?? '', state: str(c.state) };
  }
  const caught = l.caught;
  if (isObj(caught) && typeof caught.next === 'string' && Array.isArray(caught.errorEquals)) out.caught = { errorEquals: caught.errorEquals.filter((x): x is string => typeof x === 'string'), next: caught.next };
  if (Array.isArray(l.notes)) out.notes = l.notes.filter(isObj).map((n) => ({ text: str(n.text) ?? '', ...(n.data !== undefined ? { data: n.data } : {}) }));
  return out;
}
