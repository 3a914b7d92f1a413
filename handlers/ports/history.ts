/** The execution-history port: Step Functions GetExecutionHistory on AWS, the local history file locally. */

/** One history event as plain JSON (timestamps as ISO 8601 text), in the shape GetExecutionHistory returns. */
export type HistoryEvent = Readonly<Record<string, unknown>> & {
  readonly id: number;
  readonly type: string;
  readonly timestamp: string;
};

export interface HistoryReader {
  /** Every event of the execution, oldest first. */
  history(executionArn: string): Promise<HistoryEvent[]>;
}
