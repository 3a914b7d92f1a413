/**
 * The execution history as `flowir audit` reads it: the Step Functions GetExecutionHistory events
 * (details named as AWS names them, JSON payloads as text, timestamps as ISO 8601 text) inside the
 * document the AWS export-history handler writes to the evidence bucket, so both read alike.
 */
import type { HistoryEvent as SdkHistoryEvent, HistoryEventType } from '@aws-sdk/client-sfn';
import type { ClockAdvance } from '../adapters/clock';
import type { HistoryChainSummary } from './chain';

export type { HistoryEventType };

/** A note the local runtime attached to an event (a local run's own facts; AWS histories have none). */
export interface RuntimeNote {
  readonly text: string;
  readonly data?: unknown;
}

/**
 * `localDetails`: what a local run adds to an event. Absent in histories exported from AWS.
 * - `clockAdvance`: on WaitStateExited, the jump of the simulated clock that stood in for the wait.
 * - `retry`: on the TaskScheduled of a retried attempt (Step Functions shows a retry only as a new TaskScheduled).
 * - `caught`: on the StateExited of a state whose error a Catch handled.
 * - `laneUncertain`: the runner's events did not say for sure which Map iteration or branch this belongs to.
 * - `uninstrumented`: the task handler was not wrapped by the recorder: `parameters` is the state input and `output` the state output.
 */
export interface LocalEventDetails {
  readonly clockAdvance?: Omit<ClockAdvance, 'atRealMs'>;
  readonly retry?: { readonly attempt: number; readonly errorEquals: readonly string[] };
  readonly caught?: { readonly errorEquals: readonly string[]; readonly next: string };
  readonly notes?: readonly RuntimeNote[];
  readonly laneUncertain?: true;
  readonly uninstrumented?: true;
}

type Details = Omit<SdkHistoryEvent, 'timestamp' | 'type' | 'id' | 'previousEventId'>;

/** One event, in the shape of GetExecutionHistory with ISO timestamps. */
export type ExecutionHistoryEvent = Details & {
  readonly id: number;
  readonly previousEventId: number;
  readonly timestamp: string;
  readonly type: HistoryEventType;
  readonly localDetails?: LocalEventDetails;
};

export type ExecutionStatus = 'RUNNING' | 'SUCCEEDED' | 'FAILED' | 'TIMED_OUT' | 'ABORTED';

/** One execution and its full history (DescribeExecution fields + GetExecutionHistory events). */
export interface ExecutionHistoryDocument {
  readonly executionArn: string;
  readonly name: string;
  readonly stateMachineName: string;
  readonly status: ExecutionStatus;
  /** ISO 8601. */
  readonly startDate: string;
  readonly stopDate: string | null;
  /** JSON text, as DescribeExecution returns it. */
  readonly input: string | null;
  readonly output: string | null;
  readonly error: string | null;
  readonly cause: string | null;
  readonly events: ExecutionHistoryEvent[];
  /** Local runs only: every jump of the simulated clock, and notes that belong to no state. */
  readonly local?: {
    readonly clockAdvances: ReadonlyArray<Omit<ClockAdvance, 'atRealMs'>>;
    readonly notes: ReadonlyArray<RuntimeNote & { readonly state: string | null }>;
  };
  /**
   * As written to the state dir: the head of the history's hash chain and where its anchor is
   * (local/history/chain.ts). Not part of what the head covers; absent from the recorder's document.
   */
  readonly chain?: HistoryChainSummary;
}
