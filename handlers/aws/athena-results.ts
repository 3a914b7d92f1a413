/** Athena query results through GetQueryResults, every page. */
import { GetQueryResultsCommand, type AthenaClient, type Row } from '@aws-sdk/client-athena';
import type { AthenaRow } from '../../workflows/contract';
import { MAX_ATHENA_DATA_ROWS, TooManyResultRowsError, type AthenaResultsPort } from '../ports/athena-results';

/**
 * GetQueryResults returns at most 1,000 rows a call (MaxResults "Valid Range: Minimum value of 1.
 * Maximum value of 1000") and a NextToken while more remain; for a SELECT the header row (the column
 * names) is the first row of the first page only. Sources: Athena API Reference, GetQueryResults,
 * https://docs.aws.amazon.com/athena/latest/APIReference/API_GetQueryResults.html; docs/aws-facts.md §4.
 */
export const PAGE_SIZE = 1000;

export class AthenaSdkResults implements AthenaResultsPort {
  constructor(
    private readonly athena: AthenaClient,
    private readonly maxDataRows: number = MAX_ATHENA_DATA_ROWS,
  ) {}

  async rows(queryExecutionId: string): Promise<AthenaRow[]> {
    const rows: AthenaRow[] = [];
    let nextToken: string | undefined;
    do {
      const page = await this.athena.send(new GetQueryResultsCommand({ QueryExecutionId: queryExecutionId, MaxResults: PAGE_SIZE, ...(nextToken !== undefined ? { NextToken: nextToken } : {}) }));
      for (const row of page.ResultSet?.Rows ?? []) rows.push(plainRow(row));
      // Refuse at the first page past the bound: the rest would only cost time and memory, and a
      // partial result would lose findings without a trace.
      if (rows.length - 1 > this.maxDataRows) {
        throw new TooManyResultRowsError(
          `Athena query ${queryExecutionId}: more than ${this.maxDataRows} result rows; ToFindings reads at most ${this.maxDataRows} (the rules return one row per key), so the rule fails rather than drop findings. Raise the thresholds or shorten the window.`,
        );
      }
      nextToken = page.NextToken === '' ? undefined : page.NextToken;
    } while (nextToken !== undefined);
    return rows;
  }
}

/** Plain JSON, as athenaRows() reads it: a NULL cell has no VarCharValue. */
function plainRow(row: Row): AthenaRow {
  return { Data: (row.Data ?? []).map((d) => (d.VarCharValue === undefined ? {} : { VarCharValue: d.VarCharValue })) };
}
