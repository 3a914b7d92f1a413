/**
 * DuckDB behind the local Athena: it runs the SQL, keeps each result in a table of its own (as
 * Athena keeps it in S3) and says which files a query read. Loaded only when a local Athena is
 * made (`flowir run --engine athena`): every other command runs without it.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import type { DuckDBConnection, DuckDBInstance, DuckDBValue } from '@duckdb/node-api';
import { sqlName } from './table';

/** DuckDB could not be loaded: the athena engine cannot run here. */
export class DuckDbUnavailableError extends Error {
  override readonly name = 'DuckDbUnavailableError';
}

type DuckDbModule = typeof import('@duckdb/node-api');

/** The DuckDB module, imported on first use only. */
export async function loadDuckDb(): Promise<DuckDbModule> {
  try {
    return await import('@duckdb/node-api');
  } catch (e) {
    throw new DuckDbUnavailableError(
      `the athena engine runs its queries locally with DuckDB (the @duckdb/node-api package), which could not be loaded: ${(e as Error).message}. ` +
        'It is a dependency of flowir with a native binary for Linux, macOS and Windows (x64 and arm64): reinstall with npm ci, or run with --engine logs-insights.',
      { cause: e },
    );
  }
}

export interface QueryEngineOptions {
  /** DuckDB's memory_limit: beyond it, sorts and aggregations spill to a temporary folder. @default 512MB */
  readonly memoryLimit?: string;
  /** Threads DuckDB may use. @default 2 */
  readonly threads?: number;
}

/** Why a query failed, in Athena's terms (https://docs.aws.amazon.com/athena/latest/ug/error-reference.html). */
export interface QueryFailure {
  readonly message: string;
  /** 1 SYSTEM, 2 USER, 3 OTHER. */
  readonly category: 1 | 2 | 3;
  /** 1000 user error, 1001 data error, 200 query engine internal error. */
  readonly type: number;
}

export class QueryFailedError extends Error {
  override readonly name = 'QueryFailedError';
  constructor(readonly failure: QueryFailure) {
    super(failure.message);
  }
}

export interface ResultColumn {
  readonly name: string;
  /** DuckDB's type name (VARCHAR, BIGINT, HUGEINT, DECIMAL(18,3)...). */
  readonly type: string;
}

export interface ExecutedQuery {
  /** Where the rows are kept, in order: the table's qualified name, quoted. */
  readonly resultTable: string;
  readonly columns: readonly ResultColumn[];
  readonly rows: number;
  /** For each file scan of the executed plan, the files it lists (as DuckDB's profile names them, possibly cut short). */
  readonly scans: readonly string[];
  readonly planningMillis: number;
  readonly engineMillis: number;
}

/** DuckDB errors by kind → Athena's error category and type. */
function failureOf(e: unknown): QueryFailure {
  // DuckDB's message names the kind of error first ("Parser Error: ..."); some paths add an "Error: " before it.
  const message = (e instanceof Error ? e.message : String(e)).replace(/^Error: /, '');
  if (/^(Parser|Binder|Catalog|Not implemented|Syntax) Error/i.test(message)) return { message, category: 2, type: 1000 };
  if (/^(IO|Conversion|Invalid Input|Out of Range) Error/i.test(message)) return { message, category: 2, type: 1001 };
  return { message, category: 1, type: 200 };
}

/** The files each READ_CSV of a profiled plan lists. */
function scansOf(profile: unknown): string[] {
  const out: string[] = [];
  const walk = (node: unknown): void => {
    if (typeof node !== 'object' || node === null) return;
    const n = node as { operator_name?: unknown; extra_info?: Record<string, unknown>; children?: unknown[] };
    const info = n.extra_info ?? {};
    const isCsvScan = (typeof n.operator_name === 'string' && n.operator_name.trim() === 'READ_CSV') || info.Function === 'READ_CSV';
    if (isCsvScan) out.push(typeof info['Filename(s)'] === 'string' ? info['Filename(s)'] : '');
    for (const child of n.children ?? []) walk(child);
  };
  walk(profile);
  return out;
}

/** Where query results are kept: a schema of its own, seen by both connections. */
const RESULTS_SCHEMA = '__flowir_results';

/**
 * One DuckDB database in memory. Queries run one at a time on one connection (the caller queues
 * them); results are read on another, so that GetQueryResults need not wait for a query running.
 */
export class QueryEngine {
  private results = 0;

  private constructor(
    private readonly duckdb: DuckDbModule,
    private readonly instance: DuckDBInstance,
    private readonly connection: DuckDBConnection,
    private readonly reader: DuckDBConnection,
    private readonly spillDir: string,
  ) {}

  static async open(options: QueryEngineOptions = {}): Promise<QueryEngine> {
    const duckdb = await loadDuckDb();
    const spillDir = await mkdtemp(path.join(tmpdir(), 'flowir-athena-'));
    let instance: DuckDBInstance | undefined;
    try {
      instance = await duckdb.DuckDBInstance.create(':memory:', {
        memory_limit: options.memoryLimit ?? '512MB',
        threads: String(options.threads ?? 2),
        temp_directory: spillDir,
        // Extensions are never fetched: there is no network to fetch them from, and no query needs one.
        autoinstall_known_extensions: 'false',
        autoload_known_extensions: 'false',
      });
      const connection = await instance.connect();
      const reader = await instance.connect();
      await connection.run(`CREATE SCHEMA IF NOT EXISTS ${sqlName(RESULTS_SCHEMA)}`);
      return new QueryEngine(duckdb, instance, connection, reader, spillDir);
    } catch (e) {
      instance?.closeSync();
      await rm(spillDir, { recursive: true, force: true });
      throw e;
    }
  }

  /** A view named `database.table` over `select`; the database (a schema here) is created if missing. */
  async defineView(database: string, table: string, select: string): Promise<void> {
    await this.connection.run(`CREATE SCHEMA IF NOT EXISTS ${sqlName(database)}`);
    await this.connection.run(`CREATE OR REPLACE VIEW ${sqlName(database)}.${sqlName(table)} AS ${select}`);
  }

  async defineSchema(database: string): Promise<void> {
    await this.connection.run(`CREATE SCHEMA IF NOT EXISTS ${sqlName(database)}`);
  }

  /**
   * Run one SELECT with `database` as the default schema; its rows go to a table of their own. The
   * query is parsed and bound first on its own, so that an error names the query's own text.
   * Throws QueryFailedError.
   */
  async execute(sql: string, database: string): Promise<ExecutedQuery> {
    const started = performance.now();
    try {
      await this.connection.run(`USE ${sqlName(database)}`);
    } catch (e) {
      throw new QueryFailedError({ message: `Schema '${database}' does not exist (${(e as Error).message.split('\n')[0]})`, category: 2, type: 1000 });
    }
    const text = sql.replace(/[\s;]+$/u, '');
    let prepared;
    try {
      prepared = await this.connection.prepare(text);
    } catch (e) {
      throw new QueryFailedError(failureOf(e));
    }
    const statementType = prepared.statementType;
    prepared.destroySync();
    if (statementType !== this.duckdb.StatementType.SELECT) {
      throw new QueryFailedError({ message: 'the local Athena runs SELECT queries only (the detection queries are SELECTs); DDL and DML change the Glue catalog or S3 on AWS, which it does not model', category: 2, type: 1000 });
    }
    const planned = performance.now();
    const resultTable = `${sqlName(RESULTS_SCHEMA)}.${sqlName(`result_${++this.results}`)}`;
    let profile: unknown;
    try {
      // EXPLAIN ANALYZE runs the statement and returns its profile: the file scans the plan kept.
      const reader = await this.connection.runAndReadAll(`EXPLAIN (ANALYZE, FORMAT json) CREATE TABLE ${resultTable} AS ${text}\n`);
      const row = reader.getRowObjectsJS()[0];
      profile = JSON.parse(String(row?.explain_value ?? 'null'));
    } catch (e) {
      throw new QueryFailedError(failureOf(e));
    }
    const executed = performance.now();
    const described = await this.connection.runAndReadAll(`DESCRIBE ${resultTable}`);
    const columns = described.getRowObjectsJS().map((r) => ({ name: String(r.column_name), type: String(r.column_type) }));
    const counted = await this.connection.runAndReadAll(`SELECT count(*) AS n FROM ${resultTable}`);
    const rows = Number(counted.getRowObjectsJS()[0]?.n ?? 0);
    return { resultTable, columns, rows, scans: scansOf(profile), planningMillis: planned - started, engineMillis: executed - planned };
  }

  /** Run statements that return nothing worth reading (DDL, inserts). */
  async run(sql: string): Promise<void> {
    await this.connection.run(sql);
  }

  /** The first column of a query's rows, as text (NULLs left out). */
  async strings(sql: string): Promise<string[]> {
    const reader = await this.connection.runAndReadAll(sql);
    return reader
      .getRows()
      .map((row) => row[0])
      .filter((v) => v !== null && v !== undefined)
      .map(String);
  }

  /** Rows `[offset, offset + limit)` of a result, each value as Athena's text (null for NULL). */
  async page(resultTable: string, offset: number, limit: number): Promise<(string | null)[][]> {
    const reader = await this.reader.runAndReadAll(`SELECT * FROM ${resultTable} LIMIT ${Math.max(0, Math.floor(limit))} OFFSET ${Math.max(0, Math.floor(offset))}`);
    return reader.getRows().map((row) => row.map(textOf));
  }

  /** Interrupt the statement running, if any (it fails). */
  interrupt(): void {
    this.connection.interrupt();
  }

  async close(): Promise<void> {
    this.reader.closeSync();
    this.connection.closeSync();
    this.instance.closeSync();
    await rm(this.spillDir, { recursive: true, force: true });
  }
}

/** A value as the text GetQueryResults gives it in VarCharValue. */
function textOf(value: DuckDBValue): string | null {
  if (value === null) return null;
  if (typeof value === 'string') return value;
  if (typeof value === 'number' || typeof value === 'bigint' || typeof value === 'boolean') return String(value);
  return String(value);
}
