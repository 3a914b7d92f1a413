/**
 * Athena's query API, locally: StartQueryExecution, GetQueryExecution and GetQueryResults in the
 * SDK v3's own input and output types, answering as the Athena API Reference says the service does
 * (https://docs.aws.amazon.com/athena/latest/APIReference/), the SQL run by DuckDB over the archive
 * table's files (query-engine.ts, table.ts).
 */
import { randomBytes, randomUUID } from 'node:crypto';
import {
  InternalServerException,
  InvalidRequestException,
  type AthenaError,
  type ColumnInfo,
  type GetQueryExecutionInput,
  type GetQueryExecutionOutput,
  type GetQueryResultsInput,
  type GetQueryResultsOutput,
  type QueryExecution,
  type QueryExecutionState,
  type Row,
  type StartQueryExecutionInput,
  type StartQueryExecutionOutput,
} from '@aws-sdk/client-athena';
import { QueryFailedError, type ExecutedQuery, type QueryEngine, type QueryFailure, type ResultColumn } from './query-engine';
import type { TablePlan } from './table';

/**
 * GetQueryResults' MaxResults: "Valid Range: Minimum value of 1. Maximum value of 1000."; a value
 * out of range is an InvalidRequestException ("a required parameter may be missing or out of
 * range", HTTP 400). Athena API Reference, GetQueryResults,
 * https://docs.aws.amazon.com/athena/latest/APIReference/API_GetQueryResults.html. Without it, a
 * page holds 1,000 rows (the CDK's AthenaGetQueryResults: "MaxResults ... Default: 1000").
 */
export const MAX_RESULTS_PER_PAGE = 1000;
/** StartQueryExecution's QueryString: "Length Constraints: Minimum length of 1. Maximum length of 262144." (API_StartQueryExecution). */
export const MAX_QUERY_STRING_LENGTH = 262_144;
/** GetQueryResults' NextToken: "Minimum length of 1. Maximum length of 1024." */
const MAX_TOKEN_LENGTH = 1024;
/** QueryExecutionId: "Minimum length of 1. Maximum length of 128. Pattern: \S+". */
const QUERY_ID = /^\S{1,128}$/;

export interface LocalAthenaServiceOptions {
  readonly engine: QueryEngine;
  /** The files the table reads (its bytes are DataScannedInBytes). */
  readonly plan: TablePlan;
  /** Workgroups that exist; `primary` exists in every account. */
  readonly workGroups: readonly string[];
  /** Where results are said to be written: `s3://bucket/prefix/` (the workgroup's enforced output location on AWS). */
  readonly outputLocation: string;
  readonly now?: () => Date;
}

interface QueryRecord {
  readonly id: string;
  readonly query: string;
  readonly database: string;
  readonly workGroup: string;
  readonly submitted: Date;
  state: QueryExecutionState;
  started: Date | null;
  completed: Date | null;
  failure: QueryFailure | null;
  result: ExecutedQuery | null;
  scannedBytes: number;
  readonly done: Promise<void>;
}

const invalid = (message: string): InvalidRequestException => new InvalidRequestException({ message, Message: message, $metadata: {} });

/**
 * Result column types as Trino names them in ColumnInfo. The AWS CLI's example for
 * `aws athena get-query-results` (aws/aws-cli, awscli/examples/athena/get-query-results.rst) shows
 * `varchar` with Precision 2147483647 and CaseSensitive true, `integer` with 10, `date` with 0, all
 * with CatalogName `hive`, empty SchemaName and TableName and Nullable `UNKNOWN`. The other
 * precisions follow the same rule (the type's decimal digits) but were not seen in an AWS example.
 * A sum of bigints is a HUGEINT in DuckDB and a bigint in Trino.
 */
function columnInfo(c: ResultColumn): ColumnInfo {
  const t = c.type.toUpperCase();
  const base = { CatalogName: 'hive', SchemaName: '', TableName: '', Name: c.name, Label: c.name, Nullable: 'UNKNOWN' as const };
  const decimal = /^DECIMAL\((\d+),\s*(\d+)\)$/.exec(t);
  if (decimal) return { ...base, Type: 'decimal', Precision: Number(decimal[1]), Scale: Number(decimal[2]), CaseSensitive: false };
  const simple: Record<string, [string, number]> = {
    VARCHAR: ['varchar', 2147483647],
    HUGEINT: ['bigint', 19],
    BIGINT: ['bigint', 19],
    UBIGINT: ['bigint', 19],
    INTEGER: ['integer', 10],
    UINTEGER: ['integer', 10],
    SMALLINT: ['smallint', 5],
    TINYINT: ['tinyint', 3],
    DOUBLE: ['double', 17],
    FLOAT: ['real', 9],
    BOOLEAN: ['boolean', 0],
    DATE: ['date', 0],
    TIMESTAMP: ['timestamp', 3],
  };
  const [type, precision] = simple[t] ?? ['varchar', 2147483647];
  return { ...base, Type: type, Precision: precision, Scale: 0, CaseSensitive: type === 'varchar' };
}

export class LocalAthenaService {
  private readonly queries = new Map<string, QueryRecord>();
  private readonly requestTokens = new Map<string, string>();
  private readonly pageTokens = new Map<string, { readonly queryId: string; readonly offset: number }>();
  /** Queries run one at a time on the one DuckDB connection; the others wait QUEUED. */
  private lane: Promise<void> = Promise.resolve();
  private closed = false;
  private readonly now: () => Date;

  constructor(private readonly options: LocalAthenaServiceOptions) {
    this.now = options.now ?? (() => new Date());
  }

  /** StartQueryExecution: the query is accepted (QUEUED) and runs in the background, as on Athena. */
  async startQueryExecution(input: StartQueryExecutionInput): Promise<StartQueryExecutionOutput> {
    const query = input.QueryString;
    if (typeof query !== 'string' || query.length < 1 || query.length > MAX_QUERY_STRING_LENGTH) {
      throw invalid(`QueryString: expected 1 to ${MAX_QUERY_STRING_LENGTH} characters, got ${typeof query === 'string' ? `${query.length}` : 'none'}`);
    }
    if (this.closed) throw internalError(new Error('the local Athena is closed'));
    const workGroup = input.WorkGroup ?? 'primary';
    if (!this.options.workGroups.includes(workGroup)) throw invalid(`WorkGroup ${workGroup} is not found.`);
    if (input.ExecutionParameters !== undefined && input.ExecutionParameters.length > 0) {
      throw invalid('ExecutionParameters: not supported by the local Athena (the detection queries have none)');
    }
    // "If another StartQueryExecution request is received, the same response is returned and another query is not created" (ClientRequestToken).
    const token = input.ClientRequestToken;
    if (token !== undefined) {
      if (token.length < 32 || token.length > 128) throw invalid('ClientRequestToken: expected 32 to 128 characters');
      const known = this.requestTokens.get(token);
      if (known !== undefined) return { QueryExecutionId: known };
    }
    const id = randomUUID();
    if (token !== undefined) this.requestTokens.set(token, id);
    // Athena's default database when none is given.
    const database = input.QueryExecutionContext?.Database ?? 'default';
    let settle!: () => void;
    const done = new Promise<void>((resolve) => (settle = resolve));
    const record: QueryRecord = { id, query, database, workGroup, submitted: this.now(), state: 'QUEUED', started: null, completed: null, failure: null, result: null, scannedBytes: 0, done };
    this.queries.set(id, record);
    this.lane = this.lane.then(() => this.run(record)).finally(settle);
    return { QueryExecutionId: id };
  }

  /**
   * Stop taking queries, interrupt the one running (it ends FAILED) and wait until none runs: the
   * query engine may then be closed under no query.
   */
  async close(): Promise<void> {
    this.closed = true;
    if ([...this.queries.values()].some((q) => q.state === 'RUNNING' || q.state === 'QUEUED')) this.options.engine.interrupt();
    await this.lane;
  }

  /** Settles when the query has reached SUCCEEDED or FAILED. */
  async whenDone(queryExecutionId: string): Promise<void> {
    await this.record(queryExecutionId).done;
  }

  async getQueryExecution(input: GetQueryExecutionInput): Promise<GetQueryExecutionOutput> {
    return { QueryExecution: this.describe(this.record(input.QueryExecutionId)) };
  }

  /**
   * GetQueryResults: a SELECT's rows in pages of at most MaxResults, "the first row of the result
   * set" being the column names on the first page only (the AWS CLI's documented example output; a
   * first page of 1,000 rows therefore holds 999 data rows, as users of the API report:
   * ghdna/athena-express#1, morganchorlton3/evidence-connector-aws-athena#1), NextToken while rows
   * remain, the column metadata on every page.
   */
  async getQueryResults(input: GetQueryResultsInput): Promise<GetQueryResultsOutput> {
    const max = input.MaxResults ?? MAX_RESULTS_PER_PAGE;
    if (!Number.isInteger(max) || max < 1 || max > MAX_RESULTS_PER_PAGE) {
      throw invalid(`1 validation error detected: Value '${String(max)}' at 'maxResults' failed to satisfy constraint: Member must have value ${max < 1 ? 'greater than or equal to 1' : `less than or equal to ${MAX_RESULTS_PER_PAGE}`}`);
    }
    if (input.QueryResultType !== undefined && input.QueryResultType !== 'DATA_ROWS') throw invalid(`QueryResultType ${input.QueryResultType}: a SELECT's result has no data manifest`);
    const record = this.record(input.QueryExecutionId);
    if (record.state === 'QUEUED' || record.state === 'RUNNING') throw invalid(`Query has not yet finished. Current state: ${record.state}`);
    if (record.state !== 'SUCCEEDED' || record.result === null) throw invalid(record.failure?.message ?? `Query did not succeed. Current state: ${record.state}`);
    let offset = 0;
    if (input.NextToken !== undefined) {
      const page = input.NextToken.length <= MAX_TOKEN_LENGTH ? this.pageTokens.get(input.NextToken) : undefined;
      if (page === undefined || page.queryId !== record.id) throw invalid('The token you provided is not valid for this query.');
      offset = page.offset;
    }
    const result = record.result;
    const header = offset === 0 && input.NextToken === undefined;
    const dataRows = header ? max - 1 : max;
    const values = await this.options.engine.page(result.resultTable, offset, dataRows);
    const rows: Row[] = [];
    if (header) rows.push({ Data: result.columns.map((c) => ({ VarCharValue: c.name })) });
    for (const v of values) rows.push({ Data: v.map((cell) => (cell === null ? {} : { VarCharValue: cell })) });
    const next = offset + values.length;
    let nextToken: string | undefined;
    if (next < result.rows) {
      nextToken = randomBytes(24).toString('base64url');
      this.pageTokens.set(nextToken, { queryId: record.id, offset: next });
    }
    return {
      UpdateCount: 0,
      ResultSet: { Rows: rows, ResultSetMetadata: { ColumnInfo: result.columns.map(columnInfo) } },
      ...(nextToken !== undefined ? { NextToken: nextToken } : {}),
    };
  }

  private record(queryExecutionId: string | undefined): QueryRecord {
    if (typeof queryExecutionId !== 'string' || !QUERY_ID.test(queryExecutionId)) throw invalid('QueryExecutionId: expected 1 to 128 characters, no whitespace');
    const record = this.queries.get(queryExecutionId);
    if (record === undefined) throw invalid(`QueryExecution ${queryExecutionId} was not found`);
    return record;
  }

  private async run(record: QueryRecord): Promise<void> {
    if (this.closed) {
      record.failure = { message: 'the local Athena was closed before the query ran', category: 1, type: 100 };
      record.state = 'FAILED';
      record.completed = this.now();
      return;
    }
    record.state = 'RUNNING';
    record.started = this.now();
    try {
      const result = await this.options.engine.execute(record.query, record.database);
      record.result = result;
      record.scannedBytes = this.scannedBytes(result.scans);
      record.state = 'SUCCEEDED';
    } catch (e) {
      record.failure = e instanceof QueryFailedError ? e.failure : { message: `internal error of the local Athena: ${(e as Error).message}`, category: 1, type: 100 };
      record.state = 'FAILED';
    }
    record.completed = this.now();
  }

  /**
   * DataScannedInBytes: the stored size of every file the query read (Athena counts the bytes it
   * reads from S3, compressed objects at their compressed size), which is every file of each table
   * branch the plan kept: a branch whose `day` the query rules out is not read.
   */
  private scannedBytes(scans: readonly string[]): number {
    const branches = this.options.plan.branches;
    const read = new Set<number>();
    for (const scan of scans) {
      let best = -1;
      let bestLength = -1;
      branches.forEach((b, i) => {
        const first = b.files[0]?.path ?? '';
        if (first.length > bestLength && scan.startsWith(first)) {
          best = i;
          bestLength = first.length;
        }
      });
      // A scan the profile does not name: count every file rather than too few.
      if (best === -1) return this.options.plan.bytes;
      read.add(best);
    }
    let bytes = 0;
    for (const i of read) for (const f of branches[i]?.files ?? []) bytes += f.size;
    return bytes;
  }

  private describe(r: QueryRecord): QueryExecution {
    const completed = r.completed;
    const totalMillis = Math.round((completed ?? this.now()).getTime() - r.submitted.getTime());
    const error: AthenaError | undefined = r.failure === null ? undefined : { ErrorCategory: r.failure.category, ErrorType: r.failure.type, Retryable: false, ErrorMessage: r.failure.message };
    return {
      QueryExecutionId: r.id,
      Query: r.query,
      StatementType: 'DML',
      ResultConfiguration: { OutputLocation: `${this.options.outputLocation}${r.id}.csv` },
      ResultReuseConfiguration: { ResultReuseByAgeConfiguration: { Enabled: false } },
      QueryExecutionContext: { Database: r.database, Catalog: 'awsdatacatalog' },
      Status: {
        State: r.state,
        SubmissionDateTime: r.submitted,
        ...(completed !== null ? { CompletionDateTime: completed } : {}),
        ...(r.failure !== null ? { StateChangeReason: r.failure.message, AthenaError: error } : {}),
      },
      Statistics: {
        EngineExecutionTimeInMillis: Math.round(r.result?.engineMillis ?? 0),
        DataScannedInBytes: r.scannedBytes,
        TotalExecutionTimeInMillis: totalMillis,
        QueryQueueTimeInMillis: Math.round((r.started ?? completed ?? this.now()).getTime() - r.submitted.getTime()),
        QueryPlanningTimeInMillis: Math.round(r.result?.planningMillis ?? 0),
        ServiceProcessingTimeInMillis: 0,
        ResultReuseInformation: { ReusedPreviousResult: false },
      },
      WorkGroup: r.workGroup,
      EngineVersion: { SelectedEngineVersion: 'Athena engine version 3', EffectiveEngineVersion: 'Athena engine version 3' },
      SubstatementType: 'SELECT',
    };
  }
}

/** A failure of the service itself (a bug), as Athena reports its own: InternalServerException, HTTP 500. */
export function internalError(e: unknown): InternalServerException {
  const message = `internal error of the local Athena: ${e instanceof Error ? e.message : String(e)}`;
  return new InternalServerException({ message, Message: message, $metadata: {} });
}
