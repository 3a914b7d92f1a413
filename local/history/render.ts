/**
 * Rendering routed lanes into Step Functions history events: each lane in its own order, the
 * lanes of a Map or Parallel merged by time between the container's Started and its closing
 * event, Task states wrapped in TaskScheduled/TaskStarted/TaskSucceeded|TaskFailed (or the
 * LambdaFunction* events, for a Lambda function ARN) as Step Functions writes them, and in-flight
 * states of an execution that ended marked aborted.
 */
import type { ClockAdvance, ClockTimeline } from '../adapters/clock';
import { taskResource, type DefinitionIndex, type StateType } from './definition';
import type { ExecutionHistoryEvent, HistoryEventType, LocalEventDetails, RuntimeNote } from './document';
import type { Lane, Occurrence } from './lanes';
import { isMapIterationEvent, isStateEvent, type LibraryStateEvent } from './library-events';
import type { TaskAttempt } from './task-calls';

interface Draft {
  readonly type: HistoryEventType;
  realMs: number;
  readonly state: string | null;
  readonly details: Record<string, unknown>;
  local: { -readonly [K in keyof LocalEventDetails]: LocalEventDetails[K] };
  prev: Draft | null;
  /** WaitStateEntered → its exit (or abort), for the simulated clock's jumps. */
  pair?: Draft;
  id?: number;
  simMs?: number;
}

export interface RenderInput {
  readonly root: Lane;
  readonly index: DefinitionIndex;
  readonly region: string;
  /** Task states whose handlers the recorder wrapped. */
  readonly instrumented: ReadonlySet<string>;
  /** Real time the execution ended, or null while it runs. */
  readonly endedAtMs: number | null;
  /**
   * It failed because its history was full (25,000 events): AWS writes nothing after that
   * ExecutionFailed, so the states still running get no aborted ends.
   */
  readonly historyFull?: boolean;
  readonly clock: ClockTimeline | null;
  readonly notes: ReadonlyArray<RuntimeNote & { readonly state: string; readonly realMs: number }>;
}

export interface Rendered {
  readonly events: ExecutionHistoryEvent[];
  /** Notes that found no event of their state. */
  readonly strayNotes: ReadonlyArray<RuntimeNote & { readonly state: string | null }>;
}

/**
 * How a Task's work shows: a `Resource` that is a Lambda function ARN (CDK LambdaInvoke with
 * payloadResponseOnly) gives LambdaFunctionScheduled/Started/Succeeded|Failed|TimedOut; every other
 * resource (service integrations, `.waitForTaskToken`) TaskScheduled/Started/Succeeded|Failed|TimedOut.
 */
interface TaskKind {
  readonly names: { readonly resourceType: string; readonly resource: string };
  readonly lambdaFunction: boolean;
}
const LAMBDA_FUNCTION_ARN = /^arn:[^:]+:lambda:[^:]*:[^:]*:function:/;

const ENTERED: Record<StateType, HistoryEventType> = {
  Task: 'TaskStateEntered',
  Parallel: 'ParallelStateEntered',
  Map: 'MapStateEntered',
  Pass: 'PassStateEntered',
  Wait: 'WaitStateEntered',
  Choice: 'ChoiceStateEntered',
  Succeed: 'SucceedStateEntered',
  Fail: 'FailStateEntered',
};
const EXITED: Partial<Record<StateType, HistoryEventType>> = {
  Task: 'TaskStateExited',
  Parallel: 'ParallelStateExited',
  Map: 'MapStateExited',
  Pass: 'PassStateExited',
  Wait: 'WaitStateExited',
  Choice: 'ChoiceStateExited',
  Succeed: 'SucceedStateExited',
};
const ABORTED: Partial<Record<StateType, HistoryEventType>> = { Task: 'TaskStateAborted', Wait: 'WaitStateAborted', Map: 'MapStateAborted', Parallel: 'ParallelStateAborted' };
const ENDING = new Set<HistoryEventType>(['TaskStateExited', 'ParallelStateExited', 'MapStateExited', 'PassStateExited', 'WaitStateExited', 'ChoiceStateExited', 'SucceedStateExited', 'TaskStateAborted', 'WaitStateAborted', 'MapStateAborted', 'ParallelStateAborted', 'TaskFailed', 'TaskTimedOut', 'LambdaFunctionFailed', 'LambdaFunctionTimedOut', 'FailStateEntered']);

export function render(input: RenderInput): Rendered {
  const drafts = new LaneRenderer(input).lane(input.root, null);
  drafts.forEach((d, i) => {
    d.id = i + 1;
  });
  placeInTime(drafts, input.clock);
  const strayNotes = attachNotes(drafts, input.notes);
  return { events: drafts.map(toEvent), strayNotes };
}

class LaneRenderer {
  constructor(private readonly input: RenderInput) {}

  lane(lane: Lane, opener: Draft | null): Draft[] {
    const out: Draft[] = [];
    let prev = opener;
    const emit = (type: HistoryEventType, realMs: number, state: string | null, details: Record<string, unknown> = {}, local: Draft['local'] = {}): Draft => {
      const d: Draft = { type, realMs, state, details, local, prev };
      out.push(d);
      prev = d;
      return d;
    };
    const append = (block: Draft[], fallbackPrev: Draft): void => {
      out.push(...block);
      prev = block[block.length - 1] ?? fallbackPrev;
    };
    /** Per container occurrence: which attempt is running, and whether it failed. */
    const containers = new Map<string, { occ: Occurrence; attempt: number; failed: boolean }>();
    const failedTasks = new Set<TaskAttempt>();
    let caught: LocalEventDetails['caught'];
    let lastOpen: { state: string; type: StateType; inFlight: boolean; entered: Draft | null } | null = null;

    for (const item of lane.items) {
      const ev = item.ev;
      const uncertain: Draft['local'] = item.uncertain ? { laneUncertain: true } : {};
      if (isMapIterationEvent(ev)) {
        const details = { name: ev.parentState.name, index: ev.index };
        if (ev.type === 'MapIterationStarted') emit('MapIterationStarted', item.realMs, null, { mapIterationStartedEventDetails: details }, uncertain);
        else if (ev.type === 'MapIterationSucceeded') emit('MapIterationSucceeded', item.realMs, null, { mapIterationSucceededEventDetails: details }, uncertain);
        else emit('MapIterationFailed', item.realMs, null, { mapIterationFailedEventDetails: details }, uncertain);
        continue;
      }
      if (!isStateEvent(ev)) {
        if (ev.type === 'ExecutionStarted') {
          emit('ExecutionStarted', item.realMs, null, { executionStartedEventDetails: { input: json(ev.input), inputDetails: { truncated: false } } });
          // Step Functions links the first state's entry to no event (previousEventId 0), not to ExecutionStarted.
          prev = null;
          continue;
        }
        if (lastOpen?.inFlight && this.input.historyFull !== true) this.abortOpen(lastOpen, item.realMs, emit);
        lastOpen = null;
        if (ev.type === 'ExecutionSucceeded') emit('ExecutionSucceeded', item.realMs, null, { executionSucceededEventDetails: { output: json(ev.output), outputDetails: { truncated: false } } });
        else if (ev.type === 'ExecutionFailed') emit('ExecutionFailed', item.realMs, null, { executionFailedEventDetails: { error: ev.Error, cause: causeText(ev.Cause) } });
        else if (ev.type === 'ExecutionAborted') emit('ExecutionAborted', item.realMs, null, { executionAbortedEventDetails: {} });
        else if (ev.type === 'ExecutionTimeout') emit('ExecutionTimedOut', item.realMs, null, { executionTimedOutEventDetails: { error: 'States.Timeout', cause: 'The execution ran longer than its TimeoutSeconds' } });
        continue;
      }

      const name = ev.state.name;
      const info = this.input.index.state(name);
      const type: StateType = info?.type ?? ev.state.type;
      const task = type === 'Task' ? this.taskKind(name) : null;
      const attempt = item.attempt;
      switch (ev.type) {
        case 'StateEntered': {
          caught = undefined;
          const entered = emit(ENTERED[type], item.realMs, name, { stateEnteredEventDetails: { name, input: json(ev.state.input), inputDetails: { truncated: false } } }, uncertain);
          lastOpen = { state: name, type, inFlight: true, entered };
          if (task !== null && attempt !== undefined) this.schedule(attempt, ev, item.realMs, task, emit, {});
          if (item.occurrence !== undefined) {
            containers.set(name, { occ: item.occurrence, attempt: 0, failed: false });
            this.startContainer(item.occurrence, 0, item.realMs, emit, append);
          }
          break;
        }
        case 'StateFailed': {
          if (lastOpen?.state === name) lastOpen.inFlight = false;
          if (task !== null && attempt !== undefined && this.called(attempt)) {
            failedTasks.add(attempt);
            const at = attempt.call?.settledAtMs ?? item.realMs;
            const error = { error: ev.Error, cause: causeText(ev.Cause) };
            const timedOut = ev.Error === 'States.Timeout';
            if (task.lambdaFunction) {
              if (timedOut) emit('LambdaFunctionTimedOut', item.realMs, name, { lambdaFunctionTimedOutEventDetails: error });
              else emit('LambdaFunctionFailed', Math.min(at, item.realMs), name, { lambdaFunctionFailedEventDetails: error });
            } else if (timedOut) emit('TaskTimedOut', item.realMs, name, { taskTimedOutEventDetails: { ...task.names, ...error } });
            else emit('TaskFailed', Math.min(at, item.realMs), name, { taskFailedEventDetails: { ...task.names, ...error } });
          }
          const c = containers.get(name);
          if (c !== undefined) {
            c.failed = true;
            emit(type === 'Map' ? 'MapStateFailed' : 'ParallelStateFailed', item.realMs, name);
          }
          break;
        }
        case 'StateRetried': {
          if (lastOpen?.state === name) lastOpen.inFlight = true;
          const retry = { attempt: ev.retry.attempt, errorEquals: [...ev.retry.retrier.ErrorEquals] };
          if (task !== null && attempt !== undefined) this.schedule(attempt, ev, item.realMs, task, emit, { retry });
          const c = containers.get(name);
          if (c !== undefined) {
            c.attempt++;
            c.failed = false;
            this.startContainer(c.occ, c.attempt, item.realMs, emit, append, { retry });
          }
          break;
        }
        case 'StateCaught':
          caught = { errorEquals: [...ev.catch.catcher.ErrorEquals], next: ev.catch.catcher.Next };
          break;
        case 'StateExited': {
          if (task !== null && attempt !== undefined && !failedTasks.has(attempt)) {
            const ok = attempt.call?.outcome;
            const output = { output: ok?.ok === true ? ok.outputJson : json(ev.state.output), outputDetails: { truncated: false } };
            const at = attempt.call?.settledAtMs ?? item.realMs;
            const local: Draft['local'] = this.instrumented(name) ? {} : { uninstrumented: true };
            if (task.lambdaFunction) emit('LambdaFunctionSucceeded', at, name, { lambdaFunctionSucceededEventDetails: output }, local);
            else emit('TaskSucceeded', at, name, { taskSucceededEventDetails: { ...task.names, ...output } }, local);
          }
          const c = containers.get(name);
          if (c !== undefined && !c.failed) emit(type === 'Map' ? 'MapStateSucceeded' : 'ParallelStateSucceeded', item.realMs, name);
          containers.delete(name);
          const exitType = EXITED[type];
          if (exitType !== undefined) {
            const exited = emit(exitType, item.realMs, name, { stateExitedEventDetails: { name, output: json(ev.state.output), outputDetails: { truncated: false } } }, { ...uncertain, ...(caught === undefined ? {} : { caught }) });
            if (type === 'Wait' && lastOpen?.entered) lastOpen.entered.pair = exited;
          }
          caught = undefined;
          lastOpen = null;
          break;
        }
      }
    }

    if (lane.scope.kind !== 'root' && this.input.endedAtMs !== null && this.input.historyFull !== true) {
      const at = laneEndMs(lane) ?? this.input.endedAtMs;
      if (lastOpen?.inFlight) this.abortOpen(lastOpen, at, emit);
      if (lane.scope.kind === 'map' && !lane.ended) emit('MapIterationAborted', at, null, { mapIterationAbortedEventDetails: { name: lane.scope.container, index: lane.key } });
    }
    return out;
  }

  private startContainer(occ: Occurrence, attempt: number, realMs: number, emit: (type: HistoryEventType, realMs: number, state: string | null, details?: Record<string, unknown>, local?: Draft['local']) => Draft, append: (block: Draft[], fallbackPrev: Draft) => void, local: Draft['local'] = {}): void {
    const lanes = occ.attempts[attempt] ?? [];
    const started =
      occ.state.type === 'Map'
        ? emit('MapStateStarted', realMs, occ.state.name, { mapStateStartedEventDetails: { length: lanes.reduce((n, l) => Math.max(n, l.key + 1), 0) } }, local)
        : emit('ParallelStateStarted', realMs, occ.state.name, {}, local);
    const blocks = [...lanes].sort((a, b) => a.key - b.key || a.id - b.id).map((l) => this.lane(l, started));
    append(mergeByTime(blocks), started);
  }

  private schedule(attempt: TaskAttempt, ev: LibraryStateEvent, realMs: number, task: TaskKind, emit: (type: HistoryEventType, realMs: number, state: string | null, details?: Record<string, unknown>, local?: Draft['local']) => Draft, local: Draft['local']): void {
    if (!this.called(attempt)) return;
    const info = this.input.index.state(attempt.state);
    const instrumented = this.instrumented(attempt.state);
    const at = attempt.call?.calledAtMs ?? realMs;
    const parameters = attempt.call?.inputJson ?? json(ev.state.input);
    const timeout = info?.timeoutSeconds != null ? { timeoutInSeconds: info.timeoutSeconds } : {};
    const marks = instrumented ? local : { ...local, uninstrumented: true as const };
    if (task.lambdaFunction) {
      emit('LambdaFunctionScheduled', at, attempt.state, { lambdaFunctionScheduledEventDetails: { resource: task.names.resource, input: parameters, inputDetails: { truncated: false }, ...timeout } }, marks);
      emit('LambdaFunctionStarted', at, attempt.state);
      return;
    }
    const heartbeat = info?.heartbeatSeconds != null ? { heartbeatInSeconds: info.heartbeatSeconds } : {};
    emit('TaskScheduled', at, attempt.state, { taskScheduledEventDetails: { ...task.names, region: this.input.region, parameters, ...timeout, ...heartbeat } }, marks);
    emit('TaskStarted', at, attempt.state, { taskStartedEventDetails: task.names });
  }

  /** Whether the handler ran for this attempt (always assumed for handlers the recorder did not wrap). */
  private called(attempt: TaskAttempt): boolean {
    return attempt.call !== null || !this.instrumented(attempt.state);
  }

  private instrumented(state: string): boolean {
    return this.input.instrumented.has(state);
  }

  private taskKind(state: string): TaskKind {
    const resource = this.input.index.state(state)?.resource ?? null;
    return { names: taskResource(resource), lambdaFunction: resource !== null && LAMBDA_FUNCTION_ARN.test(resource) };
  }

  private abortOpen(open: { state: string; type: StateType; entered: Draft | null }, realMs: number, emit: (type: HistoryEventType, realMs: number, state: string | null) => Draft): void {
    const type = ABORTED[open.type];
    if (type === undefined) return;
    const aborted = emit(type, realMs, open.state);
    if (open.type === 'Wait' && open.entered) open.entered.pair = aborted;
  }
}

/** When a lane was cut short: the end of the container attempt it belongs to. */
function laneEndMs(lane: Lane): number | null {
  const occ = lane.occurrence;
  if (occ === null) return null;
  const attempt = occ.attempts.findIndex((lanes) => lanes.includes(lane));
  const endings = occ.lane.items.filter((i) => i.seq > occ.entered.seq && isStateEvent(i.ev) && i.ev.state.name === occ.state.name && (i.ev.type === 'StateFailed' || i.ev.type === 'StateExited'));
  return endings[attempt]?.realMs ?? null;
}

/** Merge lanes by time; on equal times the lower iteration or branch first. Each lane keeps its own order. */
function mergeByTime(blocks: Draft[][]): Draft[] {
  const at = blocks.map(() => 0);
  const out: Draft[] = [];
  for (;;) {
    let best = -1;
    blocks.forEach((b, i) => {
      const d = b[at[i] ?? 0];
      if (d === undefined) return;
      const current = best === -1 ? undefined : blocks[best]?.[at[best] ?? 0];
      if (current === undefined || d.realMs < current.realMs) best = i;
    });
    if (best === -1) return out;
    const d = blocks[best]?.[at[best] ?? 0];
    if (d !== undefined) out.push(d);
    at[best] = (at[best] ?? 0) + 1;
  }
}

/**
 * Timestamps on the simulated clock: real time plus the jumps made before. A jump made for a Wait
 * state belongs between that state's entry and exit, wherever the runtime made it in real time (it
 * reacts to events a little late), so it counts only for events after the entry. Each event is then
 * at least as late as the one before it in its lane.
 */
function placeInTime(drafts: Draft[], clock: ClockTimeline | null): void {
  const advances = clock?.advances() ?? [];
  const position = new Map(drafts.map((d, i) => [d, i]));
  const used = new Set<Draft>();
  const jumps = advances.map((advance) => {
    const ms = Math.round(advance.seconds * 1000);
    const wait = advance.state === null ? undefined : nearestWait(drafts, advance, used);
    if (wait === undefined) return { ms, atRealMs: advance.atRealMs, after: -1, exit: undefined };
    used.add(wait);
    if (wait.pair !== undefined) wait.pair.local.clockAdvance = withoutRealTime(advance);
    return { ms, atRealMs: advance.atRealMs, after: position.get(wait) ?? -1, exit: wait.pair };
  });
  drafts.forEach((d, i) => {
    d.simMs = d.realMs + jumps.reduce((sum, j) => sum + ((i > j.after && d.realMs >= j.atRealMs) || d === j.exit ? j.ms : 0), 0);
  });
  for (const d of drafts) if (d.prev?.simMs !== undefined && d.simMs !== undefined && d.simMs < d.prev.simMs) d.simMs = d.prev.simMs;
}

/** The run of the advance's Wait state closest in real time to the advance (inside it, or the nearest one before or after). */
function nearestWait(drafts: readonly Draft[], advance: ClockAdvance, used: ReadonlySet<Draft>): Draft | undefined {
  let best: { d: Draft; distance: number } | undefined;
  for (const d of drafts) {
    if (d.type !== 'WaitStateEntered' || d.state !== advance.state || used.has(d)) continue;
    const end = d.pair?.realMs ?? Number.POSITIVE_INFINITY;
    const distance = advance.atRealMs < d.realMs ? d.realMs - advance.atRealMs : advance.atRealMs > end ? advance.atRealMs - end : 0;
    if (best === undefined || distance < best.distance) best = { d, distance };
  }
  return best?.d;
}

function withoutRealTime(a: ClockAdvance): Omit<ClockAdvance, 'atRealMs'> {
  return { from: a.from, to: a.to, seconds: a.seconds, reason: a.reason, state: a.state };
}

/** Each note goes on the event that ends its state's run (the first after the note), else on the state's last event. */
function attachNotes(drafts: Draft[], notes: RenderInput['notes']): Array<RuntimeNote & { state: string | null }> {
  const stray: Array<RuntimeNote & { state: string | null }> = [];
  for (const note of notes) {
    const own = drafts.filter((d) => d.state === note.state);
    const target = own.find((d) => ENDING.has(d.type) && d.realMs >= note.realMs) ?? own[own.length - 1];
    const entry: RuntimeNote = note.data === undefined ? { text: note.text } : { text: note.text, data: note.data };
    if (target === undefined) stray.push({ ...entry, state: note.state });
    else target.local.notes = [...(target.local.notes ?? []), entry];
  }
  return stray;
}

function toEvent(d: Draft): ExecutionHistoryEvent {
  const local = Object.keys(d.local).length > 0 ? { localDetails: d.local } : {};
  return { id: d.id ?? 0, previousEventId: d.prev?.id ?? 0, timestamp: new Date(d.simMs ?? d.realMs).toISOString(), type: d.type, ...d.details, ...local } as ExecutionHistoryEvent;
}

function json(value: unknown): string {
  return JSON.stringify(value === undefined ? null : value);
}

function causeText(cause: unknown): string {
  if (typeof cause === 'string') return cause;
  if (cause instanceof Error) return cause.message;
  return cause === undefined ? '' : json(cause);
}

