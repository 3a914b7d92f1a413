/**
 * The shapes aws-local-stepfunctions hands us. Its package exports only the StateMachine class
 * and option types, so the event and handler types are derived from `run`.
 */
import type { RunOptions, StateMachine } from 'aws-local-stepfunctions';

type Run = ReturnType<StateMachine['run']>;

/** One entry of `run().eventLogs`. */
export type LibraryEvent = Run['eventLogs'] extends AsyncGenerator<infer E> ? E : never;

/** A JSON value as the runner passes it between states. */
export type JsonValue = Parameters<StateMachine['run']>[0];

/** `overrides.taskResourceLocalHandlers`: one local function per Task state name. */
export type TaskHandlers = NonNullable<NonNullable<RunOptions['overrides']>['taskResourceLocalHandlers']>;

export type LibraryStateEvent = Extract<LibraryEvent, { readonly state: unknown }>;
export type LibraryMapIterationEvent = Extract<LibraryEvent, { readonly type: 'MapIterationStarted' | 'MapIterationSucceeded' | 'MapIterationFailed' }>;

export function isStateEvent(e: LibraryEvent): e is LibraryStateEvent {
  return e.type === 'StateEntered' || e.type === 'StateExited' || e.type === 'StateFailed' || e.type === 'StateRetried' || e.type === 'StateCaught';
}

export function isMapIterationEvent(e: LibraryEvent): e is LibraryMapIterationEvent {
  return e.type === 'MapIterationStarted' || e.type === 'MapIterationSucceeded' || e.type === 'MapIterationFailed';
}

/** Map iteration events carry the iteration's input or output at run time, though the types omit them. */
export function iterationValue(e: LibraryMapIterationEvent, key: 'input' | 'output'): unknown {
  return (e as unknown as Record<string, unknown>)[key];
}
