/**
 * Athena GetQueryResults behind aws-sdk-client-mock, with the API's rules: MaxResults from 1 to 1000
 * (InvalidRequestException otherwise), a NextToken only if this fake issued it for the same query
 * execution, and, for a SELECT, the header row as the first row of the first page only
 * (https://docs.aws.amazon.com/athena/latest/APIReference/API_GetQueryResults.html; docs/aws-facts.md §4).
 */
import { AthenaClient, GetQueryResultsCommand, InvalidRequestException, type GetQueryResultsInput, type Row } from '@aws-sdk/client-athena';
import { mockClient } from 'aws-sdk-client-mock';

export interface FakeQueryResult {
  readonly columns: readonly string[];
  /** Data rows; `null` is a NULL cell. */
  readonly rows: ReadonlyArray<ReadonlyArray<string | null>>;
}

export function fakeAthenaResults(results: ReadonlyMap<string, FakeQueryResult>) {
  const mock = mockClient(AthenaClient);
  const issued = new Map<string, { id: string; offset: number }>();
  const invalid = (message: string) => new InvalidRequestException({ message, $metadata: { httpStatusCode: 400 } });
  mock.on(GetQueryResultsCommand).callsFake((input: GetQueryResultsInput) => {
    const id = input.QueryExecutionId ?? '';
    const result = results.get(id);
    if (result === undefined) throw invalid(`QUERY_NOT_FOUND: Query ${id} was not found`);
    const max = input.MaxResults ?? 1000;
    if (!Number.isInteger(max) || max < 1 || max > 1000) throw invalid(`1 validation error detected: Value '${max}' at 'maxResults' failed to satisfy constraint: Member must have value less than or equal to 1000`);
    // The header counts as a row of the first page; every page after holds data rows only.
    const all: Row[] = [{ Data: result.columns.map((c) => ({ VarCharValue: c })) }, ...result.rows.map((r) => ({ Data: r.map((v) => (v === null ? {} : { VarCharValue: v })) }))];
    let from = 0;
    if (input.NextToken !== undefined) {
      const token = issued.get(input.NextToken);
      if (token === undefined || token.id !== id) throw invalid('The token is not valid');
      from = token.offset;
    }
    const page = all.slice(from, from + max);
    const next = from + max < all.length ? `token-${issued.size + 1}` : undefined;
    if (next !== undefined) issued.set(next, { id, offset: from + max });
    return {
      ResultSet: { Rows: page, ResultSetMetadata: { ColumnInfo: result.columns.map((Name) => ({ Name, Label: Name, Type: 'varchar', CatalogName: 'hive', SchemaName: '', TableName: '' })) } },
      ...(next !== undefined ? { NextToken: next } : {}),
    };
  });
  return { mock, client: new AthenaClient({ region: 'us-east-1' }) };
}
