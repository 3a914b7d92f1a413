/**
 * The table's partitions, as Athena's partition projection has them: an object's `day` is the folder
 * it is filed in, a query whose `day` predicate rules a folder out does not read it, and
 * DataScannedInBytes is the stored size of the files a query read. A file outside the S3 layout has
 * no partition: every query reads it whole.
 */
import { mkdirSync, statSync, writeFileSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { gzipSync } from 'node:zlib';
import { DEFAULT_CONFIG } from '../../../core/detection/config';
import { compileAthena, dayPartitionRange } from '../../../core/detection/compile';
import { FlowLogFormat } from '../../../core/flowlog/format';
import { createLocalAthena, DEFAULT_LOCAL_ATHENA_TABLE, s3Partition, type LocalAthena } from '../../../local/athena';
import { runQuery, startParameters } from './helpers';

const V2_HEADER = FlowLogFormat.V2.header();
const WINDOW = { start: 1763802000, end: 1763805600 }; // 2025-11-22T09:00Z to 10:00Z
const record = (src: string, port: number, start: number): string => `2 123456789012 eni-0a1b2c3d4e5f60718 ${src} 172.31.9.12 40000 ${port} 6 1 40 ${start} ${start + 60} REJECT OK`;

let dir: string;
let root: string;
let athena: LocalAthena;
const files: Record<string, string> = {};
const size = (key: string): number => statSync(files[key] as string).size;

function object(day: string, lines: string[]): string {
  const folder = path.join(root, 'AWSLogs', '123456789012', 'vpcflowlogs', 'us-east-1', ...day.split('/'));
  mkdirSync(folder, { recursive: true });
  const file = path.join(folder, `123456789012_vpcflowlogs_us-east-1_fl-0f1e2d3c4b5a69788_${day.replace(/\//g, '')}T0935Z_5e4d3c2b.log.gz`);
  writeFileSync(file, gzipSync(`${V2_HEADER}\n${lines.join('\n')}\n`));
  return file;
}

beforeAll(async () => {
  dir = await mkdtemp(path.join(tmpdir(), 'flowir-local-athena-days-'));
  root = path.join(dir, 's3');
  files.nov20 = object('2025/11/20', [record('203.0.113.1', 22, 1763630000)]);
  files.nov22 = object('2025/11/22', Array.from({ length: 12 }, (_, i) => record('203.0.113.50', 22, WINDOW.start + 60 * i)));
  files.nov24 = object('2025/11/24', [record('203.0.113.3', 22, 1763970000)]);
  // Not gzip at all: a query that read it would fail.
  const damaged = path.join(root, 'AWSLogs', '123456789012', 'vpcflowlogs', 'us-east-1', '2025', '11', '10');
  mkdirSync(damaged, { recursive: true });
  files.nov10 = path.join(damaged, '123456789012_vpcflowlogs_us-east-1_fl-0f1e2d3c4b5a69788_20251110T0935Z_00000000.log.gz');
  writeFileSync(files.nov10, Buffer.concat([Buffer.from([0x1f, 0x8b, 0x08, 0x00]), Buffer.from('not a gzip stream at all, only its magic')]));
  files.plain = path.join(dir, 'export.log');
  writeFileSync(files.plain, `${record('198.51.100.9', 3389, WINDOW.start + 5)}\n`);
  athena = await createLocalAthena({ inputs: [root, files.plain], format: 'v2' });
});
afterAll(async () => {
  await athena.close();
  await rm(dir, { recursive: true, force: true });
});

it("files each object under the account, region and day of its path, as the table's storage.location.template does", () => {
  expect(s3Partition(files.nov22 as string)).toEqual({ kind: 'path', accid: '123456789012', region: 'us-east-1', day: '2025/11/22' });
  expect(s3Partition(files.plain as string)).toBeUndefined();
  const days = athena.plan.branches.map((b) => (b.partition.kind === 'path' ? b.partition.day : 'records')).sort();
  expect(days).toEqual(['2025/11/10', '2025/11/20', '2025/11/22', '2025/11/24', 'records']);
});

it("a detection query reads only the day partitions of its window (and the file outside the layout): DataScannedInBytes is their files' size", async () => {
  // The compiled day range of this window: 2025/11/21 to 2025/11/23.
  expect(dayPartitionRange(WINDOW)).toEqual({ from: '2025/11/21', to: '2025/11/23' });
  const sql = compileAthena('SUSPICIOUS_PORT_ACCESS', { config: DEFAULT_CONFIG, table: DEFAULT_LOCAL_ATHENA_TABLE, window: WINDOW, format: FlowLogFormat.V2 });
  const result = await runQuery(athena, sql);
  // The damaged object of 2025/11/10 was not opened, or the query would have failed.
  expect(result.QueryExecution.Status.State).toBe('SUCCEEDED');
  expect(result.QueryExecution.Statistics.DataScannedInBytes).toBe(size('nov22') + size('plain'));
  const rows = await athena.results.rows(result.QueryExecution.QueryExecutionId);
  expect(rows.map((r) => r.Data.map((d) => d.VarCharValue))).toEqual([
    ['srcaddr', 'dstport', 'value'],
    ['203.0.113.50', '22', '12'],
  ]);
});

it('a predicate on one day reads that day alone; partition columns are strings', async () => {
  const result = await runQuery(athena, `SELECT accid, region, day, count(*) AS n FROM vpc_flow_logs WHERE day = '2025/11/20' GROUP BY accid, region, day`);
  expect(result.QueryExecution.Statistics.DataScannedInBytes).toBe(size('nov20') + size('plain'));
  const rows = await athena.results.rows(result.QueryExecution.QueryExecutionId);
  expect(rows.slice(1).map((r) => r.Data.map((d) => d.VarCharValue))).toEqual([['123456789012', 'us-east-1', '2025/11/20', '1']]);
});

it('a file outside the layout has the day of each record, constant account and region', async () => {
  const result = await runQuery(athena, `SELECT accid, region, day, srcaddr FROM vpc_flow_logs WHERE day >= '2025/11/21' AND srcaddr = '198.51.100.9'`);
  const rows = await athena.results.rows(result.QueryExecution.QueryExecutionId);
  expect(rows.slice(1).map((r) => r.Data.map((d) => d.VarCharValue))).toEqual([['123456789012', 'us-east-1', '2025/11/22', '198.51.100.9']]);
});

it('a query that reaches the damaged object fails, as Athena fails on an object it cannot read (a data error)', async () => {
  const e = (await athena.tasks.StartAthenaQuery(startParameters('SELECT count(*) AS n FROM vpc_flow_logs')).catch((err: unknown) => err)) as Error;
  expect(e.name).toBe('States.TaskFailed');
  const cause = JSON.parse(e.message) as { Status: { State: string; AthenaError: { ErrorCategory: number; ErrorType: number } } };
  expect(cause.Status.State).toBe('FAILED');
  expect(cause.Status.AthenaError).toMatchObject({ ErrorCategory: 2 });
});

it('an empty table answers a query with the header row alone', async () => {
  const empty = await createLocalAthena({ inputs: [files.nov24 as string], format: 'v2', exclude: [files.nov24 as string] });
  try {
    expect(empty.plan.files).toBe(0);
    const result = await runQuery(empty, compileAthena('PORT_SCAN', { config: DEFAULT_CONFIG, table: DEFAULT_LOCAL_ATHENA_TABLE, window: WINDOW, format: FlowLogFormat.V2 }));
    expect(result.QueryExecution.Statistics.DataScannedInBytes).toBe(0);
    expect(await empty.results.rows(result.QueryExecution.QueryExecutionId)).toEqual([{ Data: [{ VarCharValue: 'srcaddr' }, { VarCharValue: 'value' }] }]);
  } finally {
    await empty.close();
  }
});

it('refuses stdin: a query reads its files again', async () => {
  await expect(createLocalAthena({ inputs: ['-'], format: 'v2' })).rejects.toThrow('stdin');
});
