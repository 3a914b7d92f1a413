/**
 * The Athena results port: every row of a finished query, read by ToFindings itself. A Step
 * Functions state carries at most 256 KiB, and one GetQueryResults page at most 1,000 rows, so the
 * workflow hands on only the query execution id (docs/aws-facts.md §2, §4).
 */
import type { AthenaRow } from '../../workflows/contract';

/**
 * The most data rows ToFindings reads from one query. The compiled rules return at most one row per
 * key (source, or source and port), and the Logs Insights engine stops at 10,000 rows (its StartQuery
 * Limit): Athena is held to the same bound, and a result over it fails the rule rather than lose rows.
 */
export const MAX_ATHENA_DATA_ROWS = 10_000;

/** The result has more data rows than ToFindings reads: the rule fails, recorded, with nothing dropped silently. */
export class TooManyResultRowsError extends Error {
  override readonly name = 'TooManyResultRowsError';
}

export interface AthenaResultsPort {
  /**
   * Every row of a SELECT's result, the header row (the column names) first and exactly once, then
   * the data rows; a NULL cell is `{}`. Throws TooManyResultRowsError past MAX_ATHENA_DATA_ROWS data rows.
   */
  rows(queryExecutionId: string): Promise<AthenaRow[]>;
}
