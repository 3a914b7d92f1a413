/**
 * The local Athena answers in Athena's shapes, through the AWS SDK's own AthenaClient (its requests
 * answered on Athena's wire protocol), and the StartAthenaQuery `.sync` task as Step Functions
 * records it. Each expectation names the AWS document it copies.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { GetQueryExecutionCommand, GetQueryResultsCommand, InvalidRequestException, StartQueryExecutionCommand, type GetQueryResultsCommandOutput } from '@aws-sdk/client-athena';
import { DEFAULT_CONFIG } from '../../../core/detection/config';
import { compileAthena } from '../../../core/detection/compile';
import { FlowLogFormat } from '../../../core/flowlog/format';
import { createLocalAthena, DEFAULT_LOCAL_ATHENA_TABLE, type LocalAthena } from '../../../local/athena';
import { writeSample } from '../../../local/sample/write';
import { runQuery, startParameters } from './helpers';

const WINDOW = { start: 1763802000, end: 1763805600 };

let dir: string;
let athena: LocalAthena;
beforeAll(async () => {
  dir = await mkdtemp(path.join(tmpdir(), 'flowir-local-athena-api-'));
  const written = await writeSample(path.join(dir, 'sample'), { records: 3000, seed: 3, format: 'v5', until: WINDOW.end });
  athena = await createLocalAthena({ inputs: [written.s3Root], format: 'v5' });
});
afterAll(async () => {
  await athena.close();
  await rm(dir, { recursive: true, force: true });
});

/** Every page of a result through the SDK, MaxResults as given. */
async function pages(id: string, maxResults?: number): Promise<GetQueryResultsCommandOutput[]> {
  const out: GetQueryResultsCommandOutput[] = [];
  let token: string | undefined;
  do {
    const page = await athena.client.send(new GetQueryResultsCommand({ QueryExecutionId: id, ...(maxResults !== undefined ? { MaxResults: maxResults } : {}), ...(token !== undefined ? { NextToken: token } : {}) }));
    out.push(page);
    token = page.NextToken;
  } while (token !== undefined);
  return out;
}

async function succeeded(sql: string): Promise<string> {
  const result = await runQuery(athena, sql);
  expect(result.QueryExecution.Status).toMatchObject({ State: 'SUCCEEDED' });
  return result.QueryExecution.QueryExecutionId;
}

describe('GetQueryResults', () => {
  it("has the shape of the AWS CLI's documented example: the column names as the first row, ColumnInfo per column, UpdateCount 0", async () => {
    // aws/aws-cli awscli/examples/athena/get-query-results.rst: columns date, location, browser, uri,
    // status; its first row holds their names, the next ones the values, all as VarCharValue text.
    const id = await succeeded(`SELECT DATE '2014-07-05' AS "date", 'SFO4' AS location, 'Safari' AS browser, '/test-image-2.jpeg' AS uri, 200 AS status`);
    const [page, ...more] = await pages(id);
    expect(more).toEqual([]);
    expect(page?.UpdateCount).toBe(0);
    expect(page?.NextToken).toBeUndefined();
    expect(page?.ResultSet?.Rows).toEqual([
      { Data: [{ VarCharValue: 'date' }, { VarCharValue: 'location' }, { VarCharValue: 'browser' }, { VarCharValue: 'uri' }, { VarCharValue: 'status' }] },
      { Data: [{ VarCharValue: '2014-07-05' }, { VarCharValue: 'SFO4' }, { VarCharValue: 'Safari' }, { VarCharValue: '/test-image-2.jpeg' }, { VarCharValue: '200' }] },
    ]);
    // The example's ColumnInfo, member for member.
    const info = (name: string, type: string, precision: number, caseSensitive: boolean) => ({ CatalogName: 'hive', SchemaName: '', TableName: '', Name: name, Label: name, Type: type, Precision: precision, Scale: 0, Nullable: 'UNKNOWN', CaseSensitive: caseSensitive });
    expect(page?.ResultSet?.ResultSetMetadata?.ColumnInfo).toEqual([
      info('date', 'date', 0, false),
      info('location', 'varchar', 2147483647, true),
      info('browser', 'varchar', 2147483647, true),
      info('uri', 'varchar', 2147483647, true),
      info('status', 'integer', 10, false),
    ]);
  });

  it('gives a NULL cell no VarCharValue, and the compiled rules bigint columns', async () => {
    const id = await succeeded('SELECT CAST(NULL AS VARCHAR) AS srcaddr, CAST(NULL AS INTEGER) AS dstport');
    const [page] = await pages(id);
    expect(page?.ResultSet?.Rows?.[1]).toEqual({ Data: [{}, {}] });
    const rule = await succeeded(compileAthena('HIGH_TRAFFIC_VOLUME', { config: DEFAULT_CONFIG, table: DEFAULT_LOCAL_ATHENA_TABLE, window: WINDOW, format: FlowLogFormat.V5 }));
    const [first] = await pages(rule);
    // sum(bytes): a bigint in Trino (a HUGEINT in DuckDB), exact as text.
    expect(first?.ResultSet?.ResultSetMetadata?.ColumnInfo?.map((c) => [c.Name, c.Type])).toEqual([
      ['srcaddr', 'varchar'],
      ['value', 'bigint'],
    ]);
  });

  it('pages more than 1,000 rows: 1,000 rows a page with a NextToken while rows remain, the header row on the first page only', async () => {
    const id = await succeeded(`SELECT n, 'row ' || n AS label FROM range(2500) AS t(n) ORDER BY n`);
    const all = await pages(id);
    // The header row counts among the first page's 1,000 (users see 999 data rows there: ghdna/athena-express#1).
    expect(all.map((p) => p.ResultSet?.Rows?.length)).toEqual([1000, 1000, 501]);
    expect(all.map((p) => p.NextToken !== undefined)).toEqual([true, true, false]);
    const rows = all.flatMap((p) => p.ResultSet?.Rows ?? []).map((r) => r.Data?.map((d) => d.VarCharValue));
    expect(rows[0]).toEqual(['n', 'label']);
    expect(rows.slice(1)).toEqual(Array.from({ length: 2500 }, (_, n) => [String(n), `row ${n}`]));
    for (const p of all) expect(p.ResultSet?.ResultSetMetadata?.ColumnInfo?.map((c) => c.Name)).toEqual(['n', 'label']);
    // Smaller pages, as a caller may ask.
    expect((await pages(id, 300)).map((p) => p.ResultSet?.Rows?.length)).toEqual([300, ...Array(7).fill(300), 101]);
    // The results port (handlers/aws/athena-results.ts over the same client) reads them all, the header once.
    const read = await athena.results.rows(id);
    expect(read).toHaveLength(2501);
    expect(read[0]).toEqual({ Data: [{ VarCharValue: 'n' }, { VarCharValue: 'label' }] });
  });

  it('refuses MaxResults over 1,000 (or under 1) as Athena does: InvalidRequestException, HTTP 400', async () => {
    const id = await succeeded('SELECT 1 AS one');
    for (const max of [1001, 5000, 0]) {
      const e = await athena.client.send(new GetQueryResultsCommand({ QueryExecutionId: id, MaxResults: max })).catch((err: unknown) => err);
      // API_GetQueryResults: MaxResults "Valid Range: Minimum value of 1. Maximum value of 1000."
      expect(e).toBeInstanceOf(InvalidRequestException);
      expect((e as InvalidRequestException).$metadata.httpStatusCode).toBe(400);
      expect((e as Error).message).toContain(`Value '${max}' at 'maxResults' failed to satisfy constraint`);
    }
    await expect(athena.client.send(new GetQueryResultsCommand({ QueryExecutionId: id, MaxResults: 1000 }))).resolves.toMatchObject({ ResultSet: { Rows: [{ Data: [{ VarCharValue: 'one' }] }, { Data: [{ VarCharValue: '1' }] }] } });
  });

  it('refuses an unknown query, a token of another query, and a query that did not succeed', async () => {
    await expect(athena.client.send(new GetQueryResultsCommand({ QueryExecutionId: 'no-such-query' }))).rejects.toBeInstanceOf(InvalidRequestException);
    const a = await succeeded(`SELECT n FROM range(1500) AS t(n) ORDER BY n`);
    const b = await succeeded(`SELECT n FROM range(1500) AS t(n) ORDER BY n`);
    const token = (await athena.client.send(new GetQueryResultsCommand({ QueryExecutionId: a }))).NextToken;
    await expect(athena.client.send(new GetQueryResultsCommand({ QueryExecutionId: b, NextToken: token }))).rejects.toBeInstanceOf(InvalidRequestException);
  });
});

describe('while a query runs', () => {
  it('GetQueryExecution says RUNNING (or QUEUED), its results are refused until it ends, and other results can be read', async () => {
    const done = await succeeded(`SELECT n FROM range(1500) AS t(n) ORDER BY n`);
    const { QueryExecutionId: id } = await athena.client.send(new StartQueryExecutionCommand({ QueryString: 'SELECT sum(a.range * b.range) AS s FROM range(6000) AS a, range(6000) AS b', WorkGroup: 'primary' }));
    const running = await athena.client.send(new GetQueryExecutionCommand({ QueryExecutionId: id }));
    expect(['QUEUED', 'RUNNING']).toContain(running.QueryExecution?.Status?.State);
    expect(running.QueryExecution?.Status?.CompletionDateTime).toBeUndefined();
    await expect(athena.client.send(new GetQueryResultsCommand({ QueryExecutionId: id }))).rejects.toThrow(/^Query has not yet finished. Current state: (QUEUED|RUNNING)$/);
    // Another query's pages are read on their own connection, not behind the running query.
    expect((await pages(done)).map((p) => p.ResultSet?.Rows?.length)).toEqual([1000, 501]);
    await athena.service.whenDone(id as string);
    expect((await athena.client.send(new GetQueryExecutionCommand({ QueryExecutionId: id }))).QueryExecution?.Status?.State).toBe('SUCCEEDED');
  });
});

describe('a query that fails', () => {
  it('ends FAILED with the reason in StateChangeReason and AthenaError (a user error), and its results are refused', async () => {
    const { QueryExecutionId: id } = await athena.client.send(new StartQueryExecutionCommand({ QueryString: 'SELEC srcaddr FROM vpc_flow_logs', QueryExecutionContext: { Database: 'flowir_dev' }, WorkGroup: 'flowir-dev' }));
    expect(id).toMatch(/^[0-9a-f-]{36}$/);
    await athena.service.whenDone(id as string);
    const { QueryExecution: q } = await athena.client.send(new GetQueryExecutionCommand({ QueryExecutionId: id }));
    expect(q?.Status?.State).toBe('FAILED');
    expect(q?.Status?.StateChangeReason).toContain('syntax error at or near "SELEC"');
    // https://docs.aws.amazon.com/athena/latest/ug/error-reference.html: ErrorCategory 2 is USER, ErrorType 1000 a user error.
    expect(q?.Status?.AthenaError).toEqual({ ErrorCategory: 2, ErrorType: 1000, Retryable: false, ErrorMessage: q?.Status?.StateChangeReason });
    expect(q?.Statistics?.DataScannedInBytes).toBe(0);
    await expect(athena.client.send(new GetQueryResultsCommand({ QueryExecutionId: id }))).rejects.toThrow(/syntax error/);
  });

  it('fails the .sync task with States.TaskFailed, the QueryExecution as its cause', async () => {
    const e = (await athena.tasks.StartAthenaQuery(startParameters('SELECT no_such_column FROM vpc_flow_logs')).catch((err: unknown) => err)) as Error;
    expect(e.name).toBe('States.TaskFailed');
    const cause = JSON.parse(e.message) as { Status: { State: string; StateChangeReason: string }; Query: string };
    expect(cause.Status.State).toBe('FAILED');
    expect(cause.Status.StateChangeReason).toContain('no_such_column');
    expect(cause.Query).toBe('SELECT no_such_column FROM vpc_flow_logs');
  });

  it('runs SELECT only: the table cannot be dropped through it', async () => {
    const e = (await athena.tasks.StartAthenaQuery(startParameters('DROP VIEW vpc_flow_logs')).catch((err: unknown) => err)) as Error;
    expect(e.name).toBe('States.TaskFailed');
    await succeeded('SELECT count(*) AS n FROM vpc_flow_logs');
  });

  it('errors of the call itself fail the task as Athena.<error>: an unknown workgroup, an empty query', async () => {
    const unknown = (await athena.tasks.StartAthenaQuery({ ...startParameters('SELECT 1'), WorkGroup: 'nope' }).catch((err: unknown) => err)) as Error;
    expect(unknown.name).toBe('Athena.InvalidRequestException');
    expect(unknown.message).toBe('WorkGroup nope is not found.');
    const empty = (await athena.tasks.StartAthenaQuery(startParameters('')).catch((err: unknown) => err)) as Error;
    expect(empty.name).toBe('Athena.InvalidRequestException');
    // A parameter StartQueryExecution does not have is refused, as Step Functions refuses it.
    await expect(athena.tasks.StartAthenaQuery({ ...startParameters('SELECT 1'), QueryText: 'x' })).rejects.toThrow('has no parameter "QueryText"');
  });
});

describe('the StartAthenaQuery .sync task', () => {
  it('returns the GetQueryExecution response as recorded on AWS: PascalCase, timestamps epoch milliseconds, Statistics', async () => {
    const before = Date.now();
    const result = await runQuery(athena, compileAthena('PORT_SCAN', { config: DEFAULT_CONFIG, table: DEFAULT_LOCAL_ATHENA_TABLE, window: WINDOW, format: FlowLogFormat.V5 }));
    // The members of the output recorded in aws-samples/step-functions-workflows-collection,
    // ingest-and-analyze-historical-storm-events/README.md, with the same types.
    const q = result.QueryExecution;
    expect(Object.keys(q)).toEqual(expect.arrayContaining(['EngineVersion', 'Query', 'QueryExecutionContext', 'QueryExecutionId', 'ResultConfiguration', 'StatementType', 'Statistics', 'Status', 'WorkGroup']));
    expect(q).toMatchObject({
      QueryExecutionContext: { Catalog: 'awsdatacatalog', Database: 'flowir_dev' },
      StatementType: 'DML',
      WorkGroup: 'flowir-dev',
      EngineVersion: { EffectiveEngineVersion: 'Athena engine version 3', SelectedEngineVersion: 'Athena engine version 3' },
      ResultConfiguration: { OutputLocation: `s3://flowir-local-athena-results/results/${q.QueryExecutionId}.csv` },
    });
    expect(q.Status.State).toBe('SUCCEEDED');
    expect(typeof q.Status.SubmissionDateTime).toBe('number');
    expect(q.Status.SubmissionDateTime).toBeGreaterThanOrEqual(before - 1);
    expect(q.Status.CompletionDateTime).toBeGreaterThanOrEqual(q.Status.SubmissionDateTime);
    for (const k of ['DataScannedInBytes', 'EngineExecutionTimeInMillis', 'QueryPlanningTimeInMillis', 'QueryQueueTimeInMillis', 'ServiceProcessingTimeInMillis', 'TotalExecutionTimeInMillis']) {
      expect(typeof (q.Statistics as unknown as Record<string, unknown>)[k]).toBe('number');
    }
    // The same execution through GetQueryExecution (the SDK's shape: Dates) agrees.
    const got = await athena.client.send(new GetQueryExecutionCommand({ QueryExecutionId: q.QueryExecutionId }));
    expect(got.QueryExecution?.Status?.SubmissionDateTime?.getTime()).toBe(q.Status.SubmissionDateTime);
    expect(got.QueryExecution?.Statistics?.DataScannedInBytes).toBe(q.Statistics.DataScannedInBytes);
  });

  it('gives the same query execution id for a repeated ClientRequestToken, as StartQueryExecution documents', async () => {
    const token = 'a'.repeat(32);
    const one = await athena.client.send(new StartQueryExecutionCommand({ QueryString: 'SELECT 1', ClientRequestToken: token, WorkGroup: 'primary' }));
    const two = await athena.client.send(new StartQueryExecutionCommand({ QueryString: 'SELECT 1', ClientRequestToken: token, WorkGroup: 'primary' }));
    expect(two.QueryExecutionId).toBe(one.QueryExecutionId);
  });
});
