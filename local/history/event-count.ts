/**
 * How many Step Functions history events one aws-local-stepfunctions event stands for, counted as
 * the recorder renders them (render.ts), so that the engine can keep an execution's history under
 * AWS's 25,000-event quota while it runs, without rendering it.
 *
 * - ExecutionStarted, a Map iteration's start and end, and each terminal event: one each.
 * - A state's entry: its `…StateEntered`; a Map or Parallel also its MapStateStarted /
 *   ParallelStateStarted.
 * - Each call of a Task's handler (the first, and each retry): TaskScheduled and TaskStarted (or
 *   the LambdaFunction pair), TASK_CALL_EVENTS, counted by whoever calls it: the recorder writes
 *   them for the attempts whose handler ran.
 * - A retry: a Map's or Parallel's new …Started.
 * - A failure: a Task's TaskFailed (or TaskTimedOut, LambdaFunctionFailed…), a Map's or
 *   Parallel's MapStateFailed / ParallelStateFailed; a Fail state's failure adds nothing.
 * - An exit: its `…StateExited`, after a Task's TaskSucceeded or a Map's or Parallel's
 *   …Succeeded; a catch takes that success back (the state failed, and exits caught).
 * - Parallel branch events: nothing (Step Functions writes no per-branch events).
 *
 * A Task that fails before its handler is called (its input cannot be built) has no TaskFailed in
 * the recorded history: the count is then one above it (such a failure is a States.Runtime that
 * ends the execution). The aborted ends the recorder writes for the iterations and branches a
 * failed Map or Parallel cuts short are counted by HistoryCounter; those of the states still
 * running when the execution itself ends are not counted (nothing follows them).
 */
import { DefinitionIndex, type StateType } from './definition';
import { LaneRouter, type Lane } from './lanes';
import type { LibraryEvent } from './library-events';

/** TaskScheduled and TaskStarted (or LambdaFunctionScheduled and LambdaFunctionStarted): the events of a Task handler's call. */
export const TASK_CALL_EVENTS = 2;

export function historyEventsOf(ev: LibraryEvent): number {
  switch (ev.type) {
    case 'ExecutionStarted':
    case 'ExecutionSucceeded':
    case 'ExecutionFailed':
    case 'ExecutionAborted':
    case 'ExecutionTimeout':
    case 'MapIterationStarted':
    case 'MapIterationSucceeded':
    case 'MapIterationFailed':
      return 1;
    case 'StateEntered':
      return container(ev.state.type) ? 2 : 1;
    case 'StateRetried':
      return container(ev.state.type) ? 1 : 0;
    case 'StateFailed':
      return ev.state.type === 'Task' || container(ev.state.type) ? 1 : 0;
    case 'StateCaught':
      return ev.state.type === 'Task' || container(ev.state.type) ? -1 : 0;
    case 'StateExited':
      return ev.state.type === 'Task' || container(ev.state.type) ? 2 : 1;
    default:
      return 0;
  }
}

function container(type: string): boolean {
  return type === 'Map' || type === 'Parallel';
}

/** Whether an event ends the execution. */
export function isTerminalEvent(ev: LibraryEvent): boolean {
  return ev.type === 'ExecutionSucceeded' || ev.type === 'ExecutionFailed' || ev.type === 'ExecutionAborted' || ev.type === 'ExecutionTimeout';
}

/**
 * The ExecutionFailed the engine writes when an execution's history is full (its 25,000th event):
 * the recorder then writes nothing more, not even the aborted ends of the states still running.
 */
export interface HistoryLimitFailure {
  readonly type: 'ExecutionFailed';
  readonly timestamp: number;
  readonly Error: string;
  readonly Cause: string;
  readonly historyLimit: true;
}

export function isHistoryLimitFailure(ev: unknown): ev is HistoryLimitFailure {
  return typeof ev === 'object' && ev !== null && (ev as { type?: unknown }).type === 'ExecutionFailed' && (ev as { historyLimit?: unknown }).historyLimit === true;
}

/** States whose run, cut short, the recorder ends with a …StateAborted event (render.ts). */
const ABORTABLE: ReadonlySet<StateType> = new Set(['Task', 'Wait', 'Map', 'Parallel']);

/**
 * The events of one execution's history so far, counted as the recorder writes them: each event's
 * (historyEventsOf), and, when a Map or Parallel fails, the aborted ends of the iterations and
 * branches it cut short: a MapIterationAborted for each iteration still running, a
 * …StateAborted for a state still running in one, and so on into the Maps and Parallels inside.
 * Those are found by routing the events into lanes as the recorder does (lanes.ts); a machine
 * without a Map or Parallel is not routed.
 */
export class HistoryCounter {
  private readonly index: DefinitionIndex;
  private readonly router: LaneRouter | undefined;

  constructor(definition: unknown) {
    this.index = new DefinitionIndex(definition);
    this.router = hasContainer(definition) ? new LaneRouter(this.index) : undefined;
  }

  /** The history events this library event makes (never those of a Task handler's call: TASK_CALL_EVENTS). */
  event(ev: LibraryEvent): number {
    const n = historyEventsOf(ev);
    if (this.router === undefined) return n;
    const routed = this.router.route(ev);
    if (ev.type !== 'StateFailed' || !container(ev.state.type) || routed.lane === undefined) return n;
    const occurrence = this.router.openOccurrence(routed.lane, ev.state.name);
    return n + (occurrence?.current ?? []).reduce((sum, lane) => sum + this.cut(lane), 0);
  }

  /** The aborted ends of a lane cut short: its iteration's, its running state's, and those of the lanes of a Map or Parallel running in it. */
  private cut(lane: Lane): number {
    if (lane.ended) return 0;
    let n = lane.scope.kind === 'map' ? 1 : 0;
    const open = lane.open;
    const last = lane.items[lane.items.length - 1]?.ev;
    // In flight: entered (or retried) and not failed since.
    if (open === null || last === undefined || !(last.type === 'StateEntered' || last.type === 'StateRetried')) return n;
    const type = this.index.state(open.state)?.type;
    if (type === undefined || !ABORTABLE.has(type)) return n;
    n++;
    if (type === 'Map' || type === 'Parallel') n += (this.router?.openOccurrence(lane, open.state)?.current ?? []).reduce((sum, l) => sum + this.cut(l), 0);
    return n;
  }
}

function hasContainer(machine: unknown): boolean {
  const states = (machine as { States?: Record<string, { Type?: string }> } | null)?.States;
  return states !== undefined && Object.values(states).some((s) => s.Type === 'Map' || s.Type === 'Parallel');
}
