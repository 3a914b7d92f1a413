/**
 * The execution-history recorder of the local runtime: aws-local-stepfunctions events in, Step
 * Functions GetExecutionHistory-shaped documents out, stored under `<state>/executions/`.
 */
export * from './chain';
export * from './definition';
export * from './document';
export * from './event-count';
export * from './recorder';
export * from './store';
export type { LibraryEvent, TaskHandlers, JsonValue } from './library-events';
