/**
 * ExportHistory: on each finished execution (an EventBridge "Step Functions Execution Status
 * Change" event), copy its full history to the evidence store. Step Functions keeps history for
 * 90 days; auditors need it for years, and the evidence bucket keeps it under Object Lock.
 */
import { createHash } from 'node:crypto';
import type { ObjectStore } from './ports';
import type { HistoryEvent, HistoryReader } from './ports/history';
import { describe, requireObject, requireString, TaskInputError } from './task-input';

/** The `detail` of an EventBridge "Step Functions Execution Status Change" event (the fields used here). */
export interface ExecutionStatusChangeDetail {
  readonly executionArn: string;
  readonly stateMachineArn: string;
  readonly name: string;
  readonly status: string;
  /** Epoch milliseconds. */
  readonly startDate?: number | null;
  readonly stopDate?: number | null;
}

export interface ExecutionStatusChangeEvent {
  readonly 'detail-type': string;
  readonly source: string;
  readonly detail: ExecutionStatusChangeDetail;
}

/** The statuses of a finished execution: only these have a complete history to keep. */
export const FINISHED_STATUSES: readonly string[] = ['SUCCEEDED', 'FAILED', 'TIMED_OUT', 'ABORTED'];

/** What lands in `executions/<stateMachineName>/<executionName>.json`. */
export interface ExecutionHistoryDocument {
  readonly executionArn: string;
  readonly stateMachineArn: string;
  readonly stateMachineName: string;
  readonly executionName: string;
  readonly status: string;
  readonly startDate: string | null;
  readonly stopDate: string | null;
  readonly exportedAt: string;
  readonly eventCount: number;
  readonly events: HistoryEvent[];
}

export type ExportHistoryOutput =
  | { readonly exported: true; readonly key: string; readonly sha256: string; readonly events: number }
  | { readonly exported: false; readonly reason: string };

export interface ExportHistoryDeps {
  readonly history: HistoryReader;
  readonly store: ObjectStore;
  readonly clock: { now(): Date };
}

/** The evidence-store key of an execution's history. */
export function historyKey(stateMachineName: string, executionName: string): string {
  return `executions/${stateMachineName}/${executionName}.json`;
}

const STATE_MACHINE_ARN = /^arn:aws[a-z-]*:states:[a-z0-9-]+:\d{12}:stateMachine:([^:/\s]{1,80})$/;

/**
 * A name as one segment of a key (and of a local file name). flowir's own names are already
 * `[A-Za-z0-9_-]`; a name started by hand may hold any Unicode, and its history must still be kept,
 * so other characters become `_` and a hash of the real name keeps two such names apart.
 */
export function keySegment(name: string): string {
  const safe = name.replace(/[^A-Za-z0-9_-]/g, '_');
  return safe === name ? name : `${safe}_${createHash('sha256').update(name, 'utf8').digest('hex').slice(0, 12)}`;
}

/** Create the ExportHistory handler: status-change event → the history written to the store. */
export function createExportHistoryHandler(deps: ExportHistoryDeps): (event: ExecutionStatusChangeEvent) => Promise<ExportHistoryOutput> {
  return async (event) => {
    const doc = requireObject(event, 'event');
    const detail = requireObject(doc.detail, 'event.detail');
    const status = requireString(detail.status, 'event.detail.status');
    if (!FINISHED_STATUSES.includes(status)) return { exported: false, reason: `execution status ${status} is not a finished one (${FINISHED_STATUSES.join(', ')})` };

    const executionArn = requireString(detail.executionArn, 'event.detail.executionArn');
    const stateMachineArn = requireString(detail.stateMachineArn, 'event.detail.stateMachineArn');
    const machine = STATE_MACHINE_ARN.exec(stateMachineArn)?.[1];
    if (machine === undefined) throw new TaskInputError('event.detail.stateMachineArn', `expected arn:aws:states:<region>:<account>:stateMachine:<name>, got ${describe(stateMachineArn)}`);
    const name = requireString(detail.name, 'event.detail.name');

    const events = await deps.history.history(executionArn);
    const document: ExecutionHistoryDocument = {
      executionArn,
      stateMachineArn,
      stateMachineName: machine,
      executionName: name,
      status,
      startDate: isoFromMillis(detail.startDate, 'event.detail.startDate'),
      stopDate: isoFromMillis(detail.stopDate, 'event.detail.stopDate'),
      exportedAt: deps.clock.now().toISOString(),
      eventCount: events.length,
      events,
    };
    const stored = await deps.store.put(historyKey(keySegment(machine), keySegment(name)), JSON.stringify(document, null, 1), 'application/json');
    return { exported: true, key: stored.key, sha256: stored.sha256, events: events.length };
  };
}

function isoFromMillis(value: unknown, field: string): string | null {
  if (value === undefined || value === null) return null;
  if (typeof value !== 'number' || !Number.isSafeInteger(value) || value < 0) throw new TaskInputError(field, `expected epoch milliseconds, got ${describe(value)}`);
  return new Date(value).toISOString();
}
