import type { ClockTimeline } from '../adapters/clock';
import { DefinitionIndex } from './definition';
import type { ExecutionHistoryDocument, ExecutionStatus, RuntimeNote } from './document';
import { isHistoryLimitFailure } from './event-count';
import { LaneRouter } from './lanes';
import type { LibraryEvent, TaskHandlers } from './library-events';
import { render } from './render';
import { matchCalls, type TaskCall } from './task-calls';

export interface ExecutionRecorderOptions {
  /** The ASL definition being run (resolved JSON, as given to aws-local-stepfunctions). */
  readonly definition: unknown;
  readonly stateMachineName: string;
  readonly executionName: string;
  /** Default `arn:aws:states:<region>:<account>:execution:<stateMachine>:<name>`. */
  readonly executionArn?: string;
  /** Region in ARNs and TaskScheduled (default `local`). */
  readonly region?: string;
  readonly accountId?: string;
  /** The simulated clock: event times are shown on it, and its jumps on the Wait states they stand for. */
  readonly clock?: ClockTimeline;
  /** Real time source; the runner stamps its events with Date.now(), so only tests change this. */
  readonly realNow?: () => number;
}

export class RecorderError extends Error {
  override readonly name = 'RecorderError';
}

/**
 * Records one execution run by aws-local-stepfunctions as a Step Functions execution history.
 *
 * Usage: wrap the task handlers with {@link instrument} (so TaskScheduled shows the parameters the
 * handler got and TaskSucceeded its raw result), pass every `eventLogs` entry to {@link record} (or
 * let {@link consume} read them), add runtime notes with {@link note}, and take {@link document} at
 * any time (status RUNNING until a terminal event arrives).
 */
export class ExecutionRecorder {
  readonly executionArn: string;
  private readonly index: DefinitionIndex;
  private readonly router: LaneRouter;
  private readonly calls: TaskCall[] = [];
  private readonly instrumented = new Set<string>();
  private readonly notes: Array<RuntimeNote & { state: string; realMs: number }> = [];
  private readonly executionNotes: RuntimeNote[] = [];
  private readonly realNow: () => number;
  private started: { realMs: number; input: unknown } | null = null;
  private ended: { realMs: number; status: ExecutionStatus; output: unknown; error: string | null; cause: string | null } | null = null;
  /** The execution failed because its history was full: nothing was written after its ExecutionFailed. */
  private historyFull = false;

  constructor(private readonly options: ExecutionRecorderOptions) {
    this.index = new DefinitionIndex(options.definition);
    this.router = new LaneRouter(this.index);
    this.realNow = options.realNow ?? Date.now;
    const region = options.region ?? 'local';
    this.executionArn = options.executionArn ?? `arn:aws:states:${region}:${options.accountId ?? '000000000000'}:execution:${options.stateMachineName}:${options.executionName}`;
  }

  /** Wrap task handlers so each call's input, result or error, and times are recorded. */
  instrument(handlers: TaskHandlers): TaskHandlers {
    const wrapped: TaskHandlers = {};
    for (const [state, handler] of Object.entries(handlers)) {
      const info = this.index.state(state);
      if (info === undefined || info.type !== 'Task') throw new RecorderError(`instrument: "${state}" is not a Task state of ${this.options.stateMachineName}`);
      this.instrumented.add(state);
      wrapped[state] = (input) => {
        const call: TaskCall = { state, seq: this.calls.length, input, inputJson: JSON.stringify(input ?? null), calledAtMs: this.realNow(), settledAtMs: null, outcome: null };
        this.calls.push(call);
        const failed = (e: unknown): never => {
          call.settledAtMs = this.realNow();
          call.outcome = { ok: false, error: e instanceof Error ? e.name : 'Error', cause: e instanceof Error ? e.message : String(e) };
          throw e;
        };
        let result;
        try {
          result = handler(input);
        } catch (e) {
          return failed(e);
        }
        return Promise.resolve(result).then((output) => {
          call.settledAtMs = this.realNow();
          call.outcome = { ok: true, outputJson: JSON.stringify(output ?? null) };
          return output;
        }, failed);
      };
    }
    return wrapped;
  }

  /** Take one event of the runner's `eventLogs`, in the order they arrive. */
  record(ev: LibraryEvent): void {
    if (this.ended !== null) throw new RecorderError(`record: ${ev.type} arrived after the execution ended`);
    this.router.route(ev);
    switch (ev.type) {
      case 'ExecutionStarted':
        this.started = { realMs: ev.timestamp, input: ev.input };
        break;
      case 'ExecutionSucceeded':
        this.ended = { realMs: ev.timestamp, status: 'SUCCEEDED', output: ev.output, error: null, cause: null };
        break;
      case 'ExecutionFailed':
        this.ended = { realMs: ev.timestamp, status: 'FAILED', output: undefined, error: ev.Error, cause: typeof ev.Cause === 'string' ? ev.Cause : JSON.stringify(ev.Cause ?? null) };
        this.historyFull = isHistoryLimitFailure(ev);
        break;
      case 'ExecutionAborted':
        this.ended = { realMs: ev.timestamp, status: 'ABORTED', output: undefined, error: null, cause: null };
        break;
      case 'ExecutionTimeout':
        this.ended = { realMs: ev.timestamp, status: 'TIMED_OUT', output: undefined, error: 'States.Timeout', cause: null };
        break;
      default:
        break;
    }
  }

  /** Read the runner's `eventLogs` to the end, recording each event (and passing it to `onEvent`). */
  async consume(events: AsyncIterable<LibraryEvent>, onEvent?: (ev: LibraryEvent) => void): Promise<void> {
    for await (const ev of events) {
      this.record(ev);
      onEvent?.(ev);
    }
  }

  /** Attach a note to the state's current run (shown in `localDetails.notes` of the event that ends it). */
  note(state: string, text: string, data?: unknown): void {
    if (this.index.state(state) === undefined) throw new RecorderError(`note: "${state}" is not a state of ${this.options.stateMachineName}`);
    this.notes.push(data === undefined ? { state, text, realMs: this.realNow() } : { state, text, data, realMs: this.realNow() });
  }

  /**
   * A note on the execution as a whole (`local.notes`, state null), e.g. what the runtime did after
   * it ended: the sweeper's release of an aborted execution's blocks, which no state of it recorded.
   */
  noteExecution(text: string, data?: unknown): void {
    this.executionNotes.push(data === undefined ? { text } : { text, data });
  }

  get status(): ExecutionStatus {
    return this.ended?.status ?? 'RUNNING';
  }

  /** The history so far, as the document `flowir audit` and the AWS export share. */
  document(): ExecutionHistoryDocument {
    if (this.started === null) throw new RecorderError(`document: execution ${this.options.executionName} has not started (no ExecutionStarted event yet)`);
    for (const a of this.router.attempts) a.call = null;
    matchCalls(this.router.attempts, this.calls);
    const clock = this.options.clock ?? null;
    const { events, strayNotes } = render({
      root: this.router.root,
      index: this.index,
      region: this.options.region ?? 'local',
      instrumented: this.instrumented,
      endedAtMs: this.ended?.realMs ?? null,
      historyFull: this.historyFull,
      clock,
      notes: this.notes,
    });
    const first = events[0];
    const last = events[events.length - 1];
    const advances = clock?.advances().map(({ atRealMs: _real, ...rest }) => rest) ?? [];
    return {
      executionArn: this.executionArn,
      name: this.options.executionName,
      stateMachineName: this.options.stateMachineName,
      status: this.status,
      startDate: first?.timestamp ?? new Date(this.started.realMs).toISOString(),
      stopDate: this.ended === null ? null : (last?.timestamp ?? null),
      input: JSON.stringify(this.started.input ?? null),
      output: this.ended?.status === 'SUCCEEDED' ? JSON.stringify(this.ended.output ?? null) : null,
      error: this.ended?.error ?? null,
      cause: this.ended?.cause ?? null,
      events,
      ...(clock !== null || strayNotes.length > 0 || this.executionNotes.length > 0 ? { local: { clockAdvances: advances, notes: [...strayNotes, ...this.executionNotes.map((n) => ({ ...n, state: null }))] } } : {}),
    };
  }
}
