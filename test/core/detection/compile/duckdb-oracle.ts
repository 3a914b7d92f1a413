/**
 * DuckDB as a stand-in for Athena in tests: a view with the archive table's name and columns over
 * flow-log files, so that compiled Athena SQL runs unchanged.
 */
import { DuckDBInstance, type DuckDBConnection } from '@duckdb/node-api';
import { athenaColumns } from '../../../../core/detection/compile/athena';
import type { ResultRow } from '../../../../core/detection/compile/rows';
import type { FlowLogFormat } from '../../../../core/flowlog/format';

const DUCKDB_TYPES: Readonly<Record<string, string>> = { int: 'INTEGER', bigint: 'BIGINT', string: 'VARCHAR' };

const sqlString = (s: string): string => `'${s.replace(/'/g, "''")}'`;

export interface Oracle {
  readonly connection: DuckDBConnection;
  /**
   * Create (or replace) a view named `table` over `files` (paths or globs, `.gz` included), with
   * the columns of athenaColumns(format). With `s3Layout`, the view also has the `day` partition
   * column, taken from each object's path as the partition projection template does.
   */
  view(table: string, format: FlowLogFormat, files: readonly string[], s3Layout: boolean): Promise<void>;
  query(sql: string): Promise<ResultRow[]>;
  close(): void;
}

export async function openOracle(): Promise<Oracle> {
  const instance = await DuckDBInstance.create(':memory:', { threads: '1' });
  const connection = await instance.connect();
  return {
    connection,
    async view(table, format, files, s3Layout) {
      const columns = athenaColumns(format)
        .map((c) => `${sqlString(c.name)}: ${sqlString(DUCKDB_TYPES[c.type] ?? 'VARCHAR')}`)
        .join(', ');
      const source = `read_csv([${files.map(sqlString).join(', ')}], delim=' ', header=true, nullstr='-', auto_detect=false, columns={${columns}}${s3Layout ? ', filename=true' : ''})`;
      const day = "regexp_extract(filename, '/vpcflowlogs/[^/]+/([0-9]{4}/[0-9]{2}/[0-9]{2})/', 1) AS day";
      const select = s3Layout ? `SELECT * EXCLUDE (filename), ${day} FROM ${source}` : `SELECT * FROM ${source}`;
      await connection.run(`CREATE OR REPLACE VIEW ${table} AS ${select}`);
    },
    async query(sql) {
      const reader = await connection.runAndReadAll(sql);
      return reader.getRowObjectsJS() as ResultRow[];
    },
    close() {
      connection.closeSync();
      instance.closeSync();
    },
  };
}
