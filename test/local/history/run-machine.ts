import { StateMachine, type RunOptions } from 'aws-local-stepfunctions';
import type { ClockTimeline } from '../../../local/adapters/clock';
import { ExecutionRecorder, type ExecutionHistoryDocument, type ExecutionHistoryEvent, type LibraryEvent, type TaskHandlers } from '../../../local/history';

export interface RunResult {
  readonly doc: ExecutionHistoryDocument;
  readonly recorder: ExecutionRecorder;
  readonly error: unknown;
}

/** Run a definition with aws-local-stepfunctions, recording it; handlers are instrumented unless listed as raw. */
export async function runMachine(
  definition: object,
  input: Parameters<StateMachine['run']>[0],
  handlers: TaskHandlers,
  options: { readonly raw?: TaskHandlers; readonly overrides?: NonNullable<RunOptions['overrides']>; readonly clock?: ClockTimeline; readonly onEvent?: (ev: LibraryEvent, recorder: ExecutionRecorder) => void; readonly whileRunning?: (abort: () => void) => void } = {},
): Promise<RunResult> {
  const recorder = new ExecutionRecorder({ definition, stateMachineName: 'test-machine', executionName: 'run-1', ...(options.clock ? { clock: options.clock } : {}) });
  const machine = machineFor(definition);
  const run = machine.run(input, { overrides: { ...options.overrides, taskResourceLocalHandlers: { ...recorder.instrument(handlers), ...options.raw } }, noThrowOnAbort: true });
  options.whileRunning?.(run.abort);
  const consumed = recorder.consume(run.eventLogs, (ev) => options.onEvent?.(ev, recorder));
  let error: unknown;
  try {
    await run.result;
  } catch (e) {
    error = e;
  }
  await consumed;
  return { doc: recorder.document(), recorder, error };
}

const machines = new WeakMap<object, StateMachine>();

/** Validating a definition costs ~150 ms: build each machine once. */
function machineFor(definition: object): StateMachine {
  let machine = machines.get(definition);
  if (machine === undefined) {
    machine = new StateMachine(definition as ConstructorParameters<typeof StateMachine>[0], { validationOptions: { checkArn: false } });
    machines.set(definition, machine);
  }
  return machine;
}

export const types = (events: readonly ExecutionHistoryEvent[]): string[] => events.map((e) => e.type);

/** Fail a task with this error name, as a Lambda error would. */
export function fail(name: string, message: string): Error {
  const e = new Error(message);
  e.name = name;
  return e;
}

/** The events from `from` (inclusive) up to the first `to` after it (inclusive). */
export function between(events: readonly ExecutionHistoryEvent[], from: (e: ExecutionHistoryEvent) => boolean, to: (e: ExecutionHistoryEvent) => boolean): ExecutionHistoryEvent[] {
  const start = events.findIndex(from);
  if (start === -1) return [];
  const end = events.findIndex((e, i) => i > start && to(e));
  return events.slice(start, end === -1 ? undefined : end + 1);
}
