import { randomUUID } from 'node:crypto';
import { StateMachine } from 'aws-local-stepfunctions';
import type { AslDefinition } from '../../workflows/resolve';
import { HistoryCounter, isTerminalEvent, TASK_CALL_EVENTS, type HistoryLimitFailure } from '../history/event-count';
import './polyfills';

type Json = null | boolean | number | string | Json[] | { [key: string]: Json };
type LocalRun = ReturnType<StateMachine['run']>;
export type LocalEvent = LocalRun['eventLogs'] extends AsyncGenerator<infer E> ? E : never;

/** Serves one Task state: receives the state's effective input, returns its result. */
export type TaskFn = (input: unknown) => Promise<unknown>;

export type ExecutionStatus = 'RUNNING' | 'SUCCEEDED' | 'FAILED' | 'ABORTED' | 'TIMED_OUT';

export interface ExecutionRecord {
  readonly arn: string;
  readonly name: string;
  readonly machine: string;
  readonly input: unknown;
  readonly startDate: Date;
  status: ExecutionStatus;
  output: unknown;
  error: string | null;
  cause: string | null;
  stopDate: Date | null;
  /** The events its history holds so far, counted as Step Functions counts them (see MAX_HISTORY_EVENTS). */
  historyEvents: number;
  /** Settles when the execution has ended (never rejects). */
  readonly done: Promise<void>;
}

export interface ExecutionContext {
  readonly arn: string;
  readonly name: string;
  readonly machine: string;
}

export interface EngineOptions {
  /** The Task states of one execution, keyed by state name (every Task must be served). */
  tasksFor(ctx: ExecutionContext): Record<string, TaskFn>;
  /** Wait states to fast-forward, in milliseconds of real time, keyed by state name. */
  readonly waitOverrides?: Readonly<Record<string, number>>;
  /** Retry intervals in ms (so that local retries do not sleep for real), keyed by state name. */
  readonly retryIntervalOverrides?: Readonly<Record<string, number>>;
  /** Every event of every execution, in order per execution. */
  onEvent?(execution: ExecutionRecord, event: LocalEvent): void;
  /** Names used by executions of earlier runs (Step Functions refuses a name for 90 days). */
  nameTaken?(machine: string, name: string): boolean;
  /** Called once per execution when it ends. */
  onEnd?(execution: ExecutionRecord): Promise<void> | void;
  /** onEnd failed (e.g. the history could not be written): the execution has still ended. */
  onEndError?(execution: ExecutionRecord, error: Error): void;
  /** The most events an execution's history may hold (tests). @default MAX_HISTORY_EVENTS */
  readonly maxHistoryEvents?: number;
}

/** The error Step Functions returns for a duplicate execution name (what the StartIncident Catch expects). */
export class ExecutionAlreadyExistsError extends Error {
  override readonly name = 'StepFunctions.ExecutionAlreadyExistsException';
}

/** StartExecution's error for a name Step Functions does not accept. */
export class InvalidExecutionNameError extends Error {
  override readonly name = 'StepFunctions.InvalidNameException';
}

// Execution names: 1 to 80 characters, none of whitespace, ? * < > { } [ ] " # % \ ^ | ~ ` $ & , ; : /
// nor control characters (https://docs.aws.amazon.com/step-functions/latest/dg/service-quotas.html).
// eslint-disable-next-line no-control-regex
const FORBIDDEN_IN_NAME = /[\s?*<>{}[\]"#%\\^|~`$&,;:/\u0000-\u001f\u007f-\u009f]/u;

/** The reason Step Functions would refuse an execution name, or undefined if it accepts it. */
export function executionNameProblem(name: string): string | undefined {
  const length = [...name].length;
  if (length < 1 || length > 80) return `is ${length} characters long; Step Functions takes 1 to 80`;
  const bad = FORBIDDEN_IN_NAME.exec(name);
  if (bad !== null) return `contains ${JSON.stringify(bad[0])}, which Step Functions does not allow in a name`;
  return undefined;
}

export class UnservedTaskError extends Error {
  override readonly name = 'UnservedTaskError';
}

/**
 * A Task of a stopped execution was called again (the runner retries a failed attempt even after an
 * abort) or an execution was started while the engine stops: as on AWS, a stopped execution runs
 * nothing more.
 */
export class ExecutionStoppedError extends Error {
  override readonly name = 'ExecutionStoppedError';
}

/**
 * Step Functions' limit on a task's input and result and on a state's input and output: 262,144
 * bytes of UTF-8 (https://docs.aws.amazon.com/step-functions/latest/dg/limits.html). Over it the
 * execution fails with States.DataLimitExceeded, which no Catch catches, not even States.ALL
 * (https://docs.aws.amazon.com/step-functions/latest/dg/concepts-error-handling.html).
 */
export const MAX_PAYLOAD_BYTES = 262_144;
export const DATA_LIMIT_EXCEEDED = 'States.DataLimitExceeded';

/**
 * Step Functions' hard quota on a Standard execution's history: 25,000 events
 * (https://docs.aws.amazon.com/step-functions/latest/dg/service-quotas.html, "Maximum execution
 * history size ... If the execution history reaches this quota, the execution will fail"). At
 * 24,999 events the execution waits for the next one: if event 25,000 is ExecutionSucceeded it
 * succeeds, otherwise ExecutionFailed is logged and it fails for the limit
 * (https://docs.aws.amazon.com/step-functions/latest/dg/bp-history-limit.html). The failure is the
 * execution's own, so no Retry or Catch of the definition sees it. Its error and cause, as AWS
 * shows them (observed, not in AWS's docs: loads/ardere#86, aws-samples/aws-organizations-tag-inventory#15):
 * `States.Runtime`, "The execution reached the maximum number of history events (25000)."
 * See docs/aws-facts.md, section 10.
 */
export const MAX_HISTORY_EVENTS = 25_000;
export const HISTORY_LIMIT_ERROR = 'States.Runtime';
export const historyLimitCause = (max: number): string => `The execution reached the maximum number of history events (${max}).`;

/** Why an execution was failed by the engine itself, past every Catch: a payload or its history over a limit. */
interface LimitFailure {
  readonly error: string;
  readonly cause: string;
  /** The history is full: nothing more is written to it but its ExecutionFailed. */
  readonly history: boolean;
}

/** The size Step Functions measures: the payload as a UTF-8 JSON string. */
export function payloadBytes(value: unknown): number {
  return Buffer.byteLength(JSON.stringify(value ?? null), 'utf8');
}

interface TaskStateInfo {
  readonly name: string;
  readonly resource: string;
}

/** All Task states of a definition, Map and Parallel bodies included. */
export function taskStates(definition: { States: Record<string, unknown> }): TaskStateInfo[] {
  const out: TaskStateInfo[] = [];
  for (const [name, raw] of Object.entries(definition.States)) {
    const s = raw as { Type?: string; Resource?: string; ItemProcessor?: { States: Record<string, unknown> }; Iterator?: { States: Record<string, unknown> }; Branches?: { States: Record<string, unknown> }[] };
    if (s.Type === 'Task') out.push({ name, resource: s.Resource ?? '' });
    const body = s.ItemProcessor ?? s.Iterator;
    if (body) out.push(...taskStates(body));
    for (const b of s.Branches ?? []) out.push(...taskStates(b));
  }
  return out;
}

const ARN_PREFIX = 'arn:aws:states:us-east-1:123456789012';

/**
 * Step Functions on one machine: the synthesized definitions run by aws-local-stepfunctions, every
 * Task served by local code, executions named and listed as the service does.
 */
export class LocalStepFunctions {
  private readonly machines = new Map<string, { machine: StateMachine; tasks: TaskStateInfo[]; definition: AslDefinition }>();
  private readonly executions = new Map<string, ExecutionRecord>();
  private readonly aborts = new Map<string, () => void>();
  private readonly live = new Set<Promise<void>>();
  private readonly aborted = new Set<string>();
  /** Task handler calls still running, per execution (an abort does not wait for them; its clean-up must). */
  private readonly inFlight = new Map<string, Set<Promise<unknown>>>();
  /** Executions failed for a payload or their history over a limit: their runner is aborted, their end is this failure. */
  private readonly limitFailures = new Map<string, LimitFailure>();
  private stopping = false;
  private readonly maxHistoryEvents: number;

  constructor(private readonly options: EngineOptions) {
    this.maxHistoryEvents = options.maxHistoryEvents ?? MAX_HISTORY_EVENTS;
  }

  /** Validate and keep a definition (construction validates, ~100 ms: do it once). */
  register(name: string, definition: AslDefinition): void {
    const machine = new StateMachine(definition as never, { validationOptions: { checkPaths: true, checkArn: true } });
    this.machines.set(name, { machine, tasks: taskStates(definition), definition });
  }

  stateMachineArn(name: string): string {
    return `${ARN_PREFIX}:stateMachine:${name}`;
  }

  list(machine?: string): ExecutionRecord[] {
    return [...this.executions.values()].filter((e) => machine === undefined || e.machine === machine);
  }

  get(name: string): ExecutionRecord | undefined {
    return this.executions.get(name);
  }

  /** Start an execution; a name already used throws as StartExecution does. */
  start(machineName: string, name: string, input: unknown): ExecutionRecord {
    const entry = this.machines.get(machineName);
    if (entry === undefined) throw new Error(`no state machine "${machineName}"`);
    if (this.stopping) throw new ExecutionStoppedError(`the local runtime is stopping: execution ${name} was not started`);
    const nameProblem = executionNameProblem(name);
    if (nameProblem !== undefined) throw new InvalidExecutionNameError(`Invalid Name: '${name}' ${nameProblem}`);
    if (this.executions.has(name) || this.options.nameTaken?.(machineName, name) === true) throw new ExecutionAlreadyExistsError(`Execution Already Exists: '${name}'`);
    const arn = `${ARN_PREFIX}:execution:${machineName}:${name}`;
    const ctx: ExecutionContext = { arn, name, machine: machineName };
    const served = this.options.tasksFor(ctx);
    const missing = entry.tasks.filter((t) => served[t.name] === undefined).map((t) => t.name);
    // An unserved Task would be sent to the real AWS API: refuse instead.
    if (missing.length > 0) throw new UnservedTaskError(`${machineName}: no local handler for Task state(s) ${missing.join(', ')}`);
    const handlers: Record<string, (input: Json) => Promise<Json>> = {};
    const calls = new Set<Promise<unknown>>();
    this.inFlight.set(name, calls);
    for (const t of entry.tasks) {
      const fn = served[t.name] as TaskFn;
      // lambda:invoke integrations (e.g. .waitForTaskToken) pass { FunctionName, Payload }: the Lambda sees Payload.
      const unwrap = t.resource.startsWith('arn:aws:states:::lambda:invoke');
      handlers[t.name] = async (input: Json) => {
        // The runner calls a handler right after it logs the state's entry, before the events are
        // counted (below, a microtask later): once they are, a full history runs nothing more.
        await new Promise<void>((resolve) => setImmediate(resolve));
        if (this.aborted.has(name)) throw new ExecutionStoppedError(`execution ${name} was stopped: ${t.name} is not run`);
        const full = this.limitFailures.get(name);
        if (full !== undefined) throw new ExecutionStoppedError(`execution ${name} failed (${full.error}): ${t.name} is not run`);
        this.checkPayload(name, t.name, 'input', input);
        this.countTaskCall(name, t.name);
        const call = fn(unwrap ? (input as { Payload?: Json }).Payload : input);
        calls.add(call);
        let result: Json;
        try {
          result = (await call) as Json;
        } finally {
          calls.delete(call);
        }
        this.checkPayload(name, t.name, 'result', result);
        return result;
      };
    }
    const startDate = new Date();
    let settle!: () => void;
    const done = new Promise<void>((resolve) => (settle = resolve));
    const record: ExecutionRecord = { arn, name, machine: machineName, input, startDate, status: 'RUNNING', output: null, error: null, cause: null, stopDate: null, historyEvents: 0, done };
    this.executions.set(name, record);
    this.live.add(done);
    void done.then(() => this.live.delete(done));
    const run = entry.machine.run(input as Json, {
      overrides: {
        taskResourceLocalHandlers: handlers,
        ...(this.options.waitOverrides ? { waitTimeOverrides: { ...this.options.waitOverrides } } : {}),
        ...(this.options.retryIntervalOverrides ? { retryIntervalOverrides: { ...this.options.retryIntervalOverrides } } : {}),
      },
      noThrowOnAbort: true,
      context: {
        Execution: { Id: arn, Name: name, StartTime: startDate.toISOString(), Input: input as Json, RoleArn: `arn:aws:iam::123456789012:role/flowir-local` },
        StateMachine: { Id: this.stateMachineArn(machineName), Name: machineName },
        // A fresh token each time a state reads $$.Task.Token, as each task gets its own.
        Task: {
          get Token(): string {
            return `local-task-${randomUUID()}`;
          },
        },
      },
    });
    this.aborts.set(name, run.abort);
    const counter = new HistoryCounter(entry.definition);
    const events = (async () => {
      let ended = false;
      for await (const event of run.eventLogs) {
        if (ended) continue;
        const terminal = isTerminalEvent(event);
        const n = counter.event(event);
        if (this.limitFailures.get(name)?.history !== true) {
          if (event.type === 'StateEntered') this.checkPayload(name, event.state.name, 'input', event.state.input, false);
          if (event.type === 'StateExited') this.checkPayload(name, event.state.name, 'output', event.state.output, false);
        }
        const limit = this.limitFailures.get(name) ?? this.checkHistory(name, record, event, n, terminal);
        if (limit === undefined) {
          record.historyEvents += n;
          this.options.onEvent?.(record, event);
          ended = terminal;
          continue;
        }
        if (!terminal) {
          // After a payload over the limit, the runner's last events still show; a full history takes none.
          if (!limit.history) {
            record.historyEvents += n;
            this.options.onEvent?.(record, event);
          }
          continue;
        }
        // Failed for a limit: however the runner ends (aborted by us, or done before the abort took
        // hold, when the limit was found in its last state's output), the execution ends FAILED.
        ended = true;
        record.historyEvents += 1;
        const failed: HistoryLimitFailure | { type: 'ExecutionFailed'; timestamp: number; Error: string; Cause: string } = limit.history
          ? { type: 'ExecutionFailed', timestamp: event.timestamp, Error: limit.error, Cause: limit.cause, historyLimit: true }
          : { type: 'ExecutionFailed', timestamp: event.timestamp, Error: limit.error, Cause: limit.cause };
        this.options.onEvent?.(record, failed as LocalEvent);
      }
    })();
    void (async () => {
      try {
        const output = await run.result;
        if (record.status === 'RUNNING') {
          record.status = output === null && this.aborted.has(name) ? 'ABORTED' : 'SUCCEEDED';
          record.output = output;
        }
      } catch (e) {
        const err = e as Error & { cause?: unknown };
        record.status = err.name === 'ExecutionTimeoutError' ? 'TIMED_OUT' : 'FAILED';
        const inner = (err as { cause?: { name?: string; message?: string } }).cause;
        record.error = inner?.name ?? err.name;
        record.cause = inner?.message ?? err.message;
      }
      record.stopDate = new Date();
      await events.catch(() => undefined);
      // A payload over the limit found in the event log (a state's output) may be seen only after the
      // runner finished: the execution still ended as Step Functions ends it.
      const limit = this.limitFailures.get(name);
      if (limit !== undefined) Object.assign(record, { status: 'FAILED', output: null, error: limit.error, cause: limit.cause });
      this.aborts.delete(name);
      // A stopped execution's Task may still be running (a block being written): its clean-up
      // (onEnd releases blocks) must see what that Task did, or the block would outlive the run.
      if (this.aborted.has(name)) await Promise.allSettled([...calls]);
      this.inFlight.delete(name);
      try {
        await this.options.onEnd?.(record);
      } catch (e) {
        this.options.onEndError?.(record, e as Error);
      } finally {
        settle();
      }
    })();
    return record;
  }

  /**
   * Fail the execution with States.DataLimitExceeded when a payload is over the limit: the runner is
   * aborted, so no Catch of the definition can take the error, as on AWS. From a task handler it also
   * throws, so the task does not complete.
   */
  private checkPayload(name: string, state: string, what: 'input' | 'result' | 'output', value: unknown, fromTask = true): void {
    const failed = this.limitFailures.get(name);
    if (failed !== undefined) {
      if (fromTask) throw new ExecutionStoppedError(`execution ${name} failed (${failed.error}): ${state} is not run`);
      return;
    }
    const bytes = payloadBytes(value);
    if (bytes <= MAX_PAYLOAD_BYTES) return;
    const cause = `The state/task '${state}' ${what === 'result' ? 'returned a result' : `has an ${what}`} with a size exceeding the maximum number of bytes service limit (${bytes.toLocaleString('en-US')} bytes; the limit is ${MAX_PAYLOAD_BYTES.toLocaleString('en-US')}).`;
    this.failForLimit(name, { error: DATA_LIMIT_EXCEEDED, cause, history: false });
    if (fromTask) throw new ExecutionStoppedError(cause);
  }

  /**
   * Whether the history can take this event's `n` events. Its last place is for the event that ends it: a state's
   * events must leave one; ExecutionSucceeded (and ExecutionAborted, which StopExecution writes)
   * may take it; any other end there is the limit's failure (bp-history-limit.html). When the event
   * does not fit, the execution fails for the history limit, past every Catch, and this says why.
   */
  private checkHistory(name: string, record: ExecutionRecord, event: LocalEvent, n: number, terminal: boolean): LimitFailure | undefined {
    const room = this.maxHistoryEvents - record.historyEvents;
    const fits = terminal && (event.type === 'ExecutionSucceeded' || event.type === 'ExecutionAborted') ? n <= room : n < room;
    if (fits) return undefined;
    const failure = this.historyFailure();
    this.failForLimit(name, failure);
    return failure;
  }

  /** A Task's handler is about to be called: its TaskScheduled and TaskStarted take their places, or the history is full. */
  private countTaskCall(name: string, state: string): void {
    const record = this.executions.get(name);
    if (record === undefined) return;
    // As for a state's events (checkHistory): the history's last place stays for its end.
    if (record.historyEvents + TASK_CALL_EVENTS >= this.maxHistoryEvents) {
      const failure = this.historyFailure();
      this.failForLimit(name, failure);
      throw new ExecutionStoppedError(`execution ${name} failed (${failure.error}: ${failure.cause}): ${state} is not run`);
    }
    record.historyEvents += TASK_CALL_EVENTS;
  }

  private historyFailure(): LimitFailure {
    return { error: HISTORY_LIMIT_ERROR, cause: historyLimitCause(this.maxHistoryEvents), history: true };
  }

  /** End an execution FAILED for a limit: its record says so now, its runner is aborted (see the event loop in start). */
  private failForLimit(name: string, failure: LimitFailure): void {
    this.limitFailures.set(name, failure);
    const record = this.executions.get(name);
    if (record !== undefined && record.status === 'RUNNING') {
      record.status = 'FAILED';
      record.error = failure.error;
      record.cause = failure.cause;
    }
    this.stop(name);
  }

  /** StopExecution: the execution ends ABORTED (its blocks are released by the runtime's onEnd). */
  stop(name: string): void {
    const abort = this.aborts.get(name);
    if (abort === undefined) return;
    this.aborted.add(name);
    abort();
  }

  /**
   * Stop every running execution and start no more (the run was interrupted). Returns the
   * executions stopped; each ends ABORTED once its running Task calls have settled.
   */
  stopAll(): ExecutionRecord[] {
    this.stopping = true;
    const stopped = [...this.executions.values()].filter((e) => e.status === 'RUNNING' && this.aborts.has(e.name));
    for (const e of stopped) this.stop(e.name);
    return stopped;
  }

  get isStopping(): boolean {
    return this.stopping;
  }

  /** Resolves when every execution, including those started meanwhile, has ended. */
  async idle(): Promise<void> {
    while (this.live.size > 0) await Promise.all([...this.live]);
  }
}
