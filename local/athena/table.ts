/**
 * The archive table of the athena engine, over local files: which files it reads, under which
 * partition, in which record layout, and the SQL of the view that reads them. Nothing here loads
 * DuckDB: what a query may read is known, and checked, before a query engine is opened.
 */
import { open } from 'node:fs/promises';
import * as path from 'node:path';
import { constants as zlibConstants, gunzipSync } from 'node:zlib';
import { ATHENA_PARTITION_KEYS, athenaColumns, type AthenaColumn } from '../../core/detection/compile/athena';
import { FlowLogFormat } from '../../core/flowlog/format';
import { expandInputs, type InputSource } from '../input/sources';

export class LocalAthenaInputError extends Error {
  override readonly name = 'LocalAthenaInputError';
}

export interface TableFile {
  readonly path: string;
  /** Bytes as stored (a gzip file's compressed size): what Athena counts as scanned. */
  readonly size: number;
}

/**
 * Where a file's partition values come from. An object in the S3 delivery layout is filed as the
 * table's partition projection template files it (`AWSLogs/${accid}/vpcflowlogs/${region}/${day}`);
 * a file outside that layout has no partition: account and region are constants and `day` is the
 * UTC day of each record's `start`, so that a day predicate never hides a record, and the file is
 * read whole by every query.
 */
export type FilePartition = { readonly kind: 'path'; readonly accid: string; readonly region: string; readonly day: string } | { readonly kind: 'records'; readonly accid: string; readonly region: string };

/** Files read the same way: one `read_csv` call of the table's view. */
export interface TableBranch {
  readonly files: readonly TableFile[];
  /** The record layout of these files (their header line's, else the table's). */
  readonly fields: readonly string[];
  /** Whether the first line of each file is skipped. */
  readonly header: boolean;
  readonly partition: FilePartition;
  /** Read with the evaluator's field checks (true unless a look at the files found them unneeded). */
  readonly checked: boolean;
}

export interface TablePlan {
  readonly branches: readonly TableBranch[];
  readonly files: number;
  readonly bytes: number;
}

export interface TablePlanOptions {
  /** Files and folders, as `flowir run` takes them (local/input/sources.ts expands them). */
  readonly inputs: readonly string[];
  /** The table's record format (the Glue table's columns): the config's `format`. */
  readonly format: FlowLogFormat;
  /** Files, or folders whose files, are left out: those the scan left out as duplicates of other inputs. */
  readonly exclude?: readonly string[];
  /** The partition values of files outside the S3 layout. @default 123456789012 and us-east-1, the local runtime's account and region */
  readonly account?: string;
  readonly region?: string;
}

/**
 * `AWSLogs/<account>/vpcflowlogs/<region>/<yyyy>/<MM>/<dd>/<object>`: the default S3 key layout of
 * flow logs (https://docs.aws.amazon.com/vpc/latest/userguide/flow-logs-s3-path.html), which the
 * table's partition projection reads (core/detection/compile/athena.ts, athenaTableParameters).
 */
const S3_LAYOUT = /(?:^|[\\/])AWSLogs[\\/](\d{12})[\\/]vpcflowlogs[\\/]([a-z]{2}(?:-[a-z]+)+-\d+)[\\/](\d{4})[\\/](\d{2})[\\/](\d{2})[\\/][^\\/]+$/;

export function s3Partition(file: string): FilePartition | undefined {
  const m = S3_LAYOUT.exec(file);
  if (m === null) return undefined;
  return { kind: 'path', accid: m[1] as string, region: m[2] as string, day: `${m[3]}/${m[4]}/${m[5]}` };
}

/** Compressed bytes read to find a file's first line (a header line is a few hundred bytes). */
const HEAD_BYTES = 64 * 1024;

/** The first line of a file, gunzipped when it starts with the gzip magic; '' for an empty file. */
async function firstLine(file: string): Promise<string> {
  const handle = await open(file, 'r');
  let head: Buffer;
  try {
    const buffer = Buffer.alloc(HEAD_BYTES);
    const { bytesRead } = await handle.read(buffer, 0, HEAD_BYTES, 0);
    head = buffer.subarray(0, bytesRead);
  } finally {
    await handle.close();
  }
  if (head.length >= 2 && head[0] === 0x1f && head[1] === 0x8b) {
    try {
      head = gunzipSync(head, { finishFlush: zlibConstants.Z_SYNC_FLUSH });
    } catch {
      // A damaged gzip: the query that reads it fails, as Athena's would.
      return '';
    }
  }
  const text = head.toString('utf8');
  const end = text.indexOf('\n');
  return end === -1 ? text : text.slice(0, end);
}

const under = (file: string, excluded: string): boolean => file === excluded || file.startsWith(excluded.endsWith(path.sep) ? excluded : excluded + path.sep);

/**
 * The files the table reads and how: the inputs expanded as `flowir run` expands them, each file's
 * layout taken from its header line (a custom format names its fields there), grouped by partition
 * and layout.
 *
 * - An S3 object's first line is skipped whatever it holds, as the table's
 *   `skip.header.line.count = 1` has Athena do (AWS starts every object with the header line).
 * - A file outside the layout (a CloudWatch Logs export, a plain file) is read from its first line
 *   unless that line is a header; without a header its layout is the table's.
 * - A file whose header names other fields than the table's is read by name: each table column from
 *   the file's field of that name, NULL where it has none. (On AWS the table and the flow log share
 *   the configured format, so the question does not arise; locally a sample of another version would
 *   otherwise be read into the wrong columns.)
 */
export async function planTable(options: TablePlanOptions): Promise<TablePlan> {
  const sources = await expandInputs(options.inputs);
  const exclude = (options.exclude ?? []).map((p) => path.resolve(p));
  const account = options.account ?? '123456789012';
  const region = options.region ?? 'us-east-1';
  const groups = new Map<string, { files: TableFile[]; fields: readonly string[]; header: boolean; partition: FilePartition; checked: boolean }>();
  let files = 0;
  let bytes = 0;
  for (const source of sources as readonly InputSource[]) {
    if (source.path === '-') throw new LocalAthenaInputError('the athena engine queries files, and stdin (-) is no file it can read again: save the flow logs to a file and pass that');
    const resolved = path.resolve(source.path);
    if (exclude.some((e) => under(resolved, e))) continue;
    const header = FlowLogFormat.fromHeader(await firstLine(source.path));
    const partition = s3Partition(resolved) ?? { kind: 'records', accid: account, region };
    const skipFirst = partition.kind === 'path' || header !== undefined;
    const fields = (header ?? options.format).fields;
    const key = JSON.stringify([partition, fields, skipFirst]);
    let group = groups.get(key);
    if (group === undefined) groups.set(key, (group = { files: [], fields, header: skipFirst, partition, checked: true }));
    group.files.push({ path: resolved, size: source.size });
    files++;
    bytes += source.size;
  }
  return { branches: [...groups.values()], files, bytes };
}

const DUCKDB_TYPES: Readonly<Record<string, string>> = { int: 'INTEGER', bigint: 'BIGINT', string: 'VARCHAR' };
const duckType = (c: AthenaColumn): string => DUCKDB_TYPES[c.type] ?? 'VARCHAR';
export const sqlString = (s: string): string => `'${s.replace(/'/g, "''")}'`;
export const sqlName = (s: string): string => `"${s.replace(/"/g, '""')}"`;

/** The table's columns, in the Glue table's order: the data columns of its format, then the partition keys. */
export function tableColumns(format: FlowLogFormat): AthenaColumn[] {
  return [...athenaColumns(format), ...ATHENA_PARTITION_KEYS];
}

/**
 * The table of IPv6 addresses as written in the files read with checks, each with its canonical form
 * by the evaluator's own code (core/flowlog/address.ts), NULL for text that is no address: filled
 * once, when the table is made (ipv6ValuesQuery), so that no query calls back into JavaScript.
 */
export const IPV6_TABLE = '"__flowir"."ipv6_canonical"';

/**
 * An IPv6 address that is surely in canonical form (RFC 5952, as the evaluator writes it): lower-case
 * hex groups of 1 to 4 digits without leading zeros, no run of two zero groups written out nor one beside `::`, and `::`
 * at most once, standing for two groups or more (so that a single zero group written out is never the
 * longest run). Some canonical addresses fail this (two zero groups written out beside a longer run
 * compressed); their files are then read with the checks, which costs time, not results.
 */
export function surelyCanonicalIpv6(c: string): string {
  return [
    `regexp_full_match(${c}, '[0-9a-f:]{2,39}')`,
    `NOT regexp_matches(${c}, '(^|:)0[0-9a-f]|(^|:)0:0(:|$)|(^|:)0::|::0(:|$)|[0-9a-f]{5}|:::|^:[^:]|[^:]:$')`,
    `CASE WHEN contains(${c}, '::') THEN len(string_split(${c}, '::')) = 2 AND len(list_filter(string_split(${c}, ':'), g -> g <> '')) <= 6 ELSE len(string_split(${c}, ':')) = 8 END`,
  ].join(' AND ');
}

/** A dotted quad as the local evaluator accepts it (core/flowlog/address.ts): four parts 0 to 255, no leading zeros. */
const IPV4 = "'(25[0-5]|2[0-4][0-9]|1[0-9][0-9]|[1-9]?[0-9])([.](25[0-5]|2[0-4][0-9]|1[0-9][0-9]|[1-9]?[0-9])){3}'";
/** The ranges the evaluator holds int fields to (core/flowlog/record.ts); the others up to 2^53 - 1. */
const INT_MAX: Readonly<Record<string, number>> = { srcport: 65535, dstport: 65535, protocol: 255, 'tcp-flags': 65535 };
const SAFE_MAX = Number.MAX_SAFE_INTEGER;

/**
 * How DuckDB reads a branch: one space between fields and no quoting, as the table's
 * LazySimpleSerDe (`field.delim ' '`) reads AWS's files, `-` read as NULL; a line with the wrong
 * number of fields is left out. Typed, a number that does not parse would leave its line out only
 * when a query reads that column (DuckDB parses the columns a query needs): so a branch is read
 * typed only when no such number is in it (filesNeedingChecksQuery), and as text otherwise.
 */
function readCsv(branch: TableBranch, options: { readonly typed: boolean; readonly filename?: boolean }): string {
  const fileColumns = athenaColumns(new FlowLogFormat(branch.fields));
  const columns = fileColumns.map((c) => `${sqlString(c.name)}: ${sqlString(options.typed ? duckType(c) : 'VARCHAR')}`).join(', ');
  const list = branch.files.map((f) => sqlString(f.path)).join(', ');
  return `read_csv([${list}], delim=' ', quote='', escape='', header=${branch.header}, nullstr='-', auto_detect=false, strict_mode=true, null_padding=false, ignore_errors=true${options.filename === true ? ', filename=true' : ''}, columns={${columns}})`;
}

interface FieldChecks {
  /** The file's columns from the text read: numbers cast, addresses in canonical form. */
  readonly values: readonly string[];
  /** What a record's text must satisfy to be one the evaluator accepts. */
  readonly valid: readonly string[];
  /** What it must satisfy to be accepted and already canonical, so that reading it typed and unchecked changes nothing. */
  readonly unchanged: readonly string[];
}

/**
 * The checks the local evaluator makes of each field (core/flowlog/record.ts, parseField), in SQL over
 * the fields' text: a number all digits and in its range (ports 0 to 65535, protocol 0 to 255, times
 * below 2^53, counts of at most 20 digits that the column holds), an action ACCEPT or REJECT, a
 * log-status OK, NODATA or SKIPDATA, an address a dotted quad without leading zeros or an IPv6 address
 * (in canonical form, by the evaluator's own code: IPV6_TABLE).
 */
function fieldChecks(branch: TableBranch): FieldChecks {
  const format = new FlowLogFormat(branch.fields);
  const columns = athenaColumns(format);
  const values: string[] = [];
  const valid: string[] = [];
  const unchanged: string[] = [];
  const both = (condition: string): void => {
    valid.push(condition);
    unchanged.push(condition);
  };
  format.specs.forEach((spec, i) => {
    const column = columns[i] as AthenaColumn;
    const c = sqlName(column.name);
    const numeric = column.type !== 'string';
    if (numeric) {
      const cast = `TRY_CAST(${c} AS ${duckType(column)})`;
      values.push(`${cast} AS ${c}`);
      const range = spec.type === 'count' ? `${cast} >= 0` : `${cast} BETWEEN 0 AND ${INT_MAX[spec.name] ?? SAFE_MAX}`;
      both(`(${c} IS NULL OR coalesce(regexp_full_match(${c}, '[0-9]{1,20}') AND ${range}, false))`);
      return;
    }
    switch (spec.type) {
      case 'addr': {
        const canonical = `CASE WHEN contains(${c}, ':') THEN (SELECT m.canonical FROM ${IPV6_TABLE} AS m WHERE m.raw = ${c}) WHEN regexp_full_match(${c}, ${IPV4}) THEN ${c} END`;
        values.push(`${canonical} AS ${c}`);
        valid.push(`(${c} IS NULL OR ${canonical} IS NOT NULL)`);
        unchanged.push(`(${c} IS NULL OR CASE WHEN contains(${c}, ':') THEN ${surelyCanonicalIpv6(c)} ELSE regexp_full_match(${c}, ${IPV4}) END)`);
        return;
      }
      case 'action':
        values.push(c);
        both(`(${c} IS NULL OR ${c} IN ('ACCEPT', 'REJECT'))`);
        return;
      case 'log-status':
        values.push(c);
        both(`(${c} IS NULL OR ${c} IN ('OK', 'NODATA', 'SKIPDATA'))`);
        return;
      default:
        values.push(c);
    }
  });
  return { values, valid, unchanged };
}

/**
 * A branch's records: those the local evaluator accepts (DESIGN §2: a line that does not parse is
 * malformed and takes no part in detection; addresses are kept in canonical form). A record with a
 * field its type does not allow (a number that does not parse or is out of range, an action other
 * than ACCEPT or REJECT, an address that is none) is left out, and an IPv6 address written otherwise
 * is rewritten canonically. On what AWS writes this changes nothing, and files found to need none of
 * it are read typed, unchecked. (Athena itself would read a malformed line with NULLs in its bad
 * fields, more fields than the table's dropped and missing ones NULL, and keep an address as written.)
 */
function branchRecords(branch: TableBranch): string {
  if (!branch.checked) return readCsv(branch, { typed: true });
  const { values, valid } = fieldChecks(branch);
  return `(SELECT ${values.join(', ')} FROM ${readCsv(branch, { typed: false })}${valid.length > 0 ? ` WHERE ${valid.join(' AND ')}` : ''})`;
}

/** The files of a branch holding a record the checks would leave out or rewrite: one `filename` per row. */
export function filesNeedingChecksQuery(branch: TableBranch): string {
  const { unchanged } = fieldChecks(branch);
  if (unchanged.length === 0) return 'SELECT NULL AS filename WHERE false';
  return `SELECT DISTINCT filename FROM ${readCsv(branch, { typed: false, filename: true })} WHERE NOT (${unchanged.join(' AND ')})`;
}

/** The text of every address field of a branch's files that holds a `:`: the IPv6 addresses (or not) that IPV6_TABLE must know. */
export function ipv6ValuesQuery(branch: TableBranch): string {
  const format = new FlowLogFormat(branch.fields);
  const columns = athenaColumns(format);
  const addresses = format.specs.flatMap((spec, i) => (spec.type === 'addr' ? [sqlName((columns[i] as AthenaColumn).name)] : []));
  if (addresses.length === 0) return 'SELECT NULL AS v WHERE false';
  return `SELECT DISTINCT v FROM (SELECT unnest([${addresses.join(', ')}]) AS v FROM ${readCsv(branch, { typed: false })}) WHERE contains(v, ':')`;
}

/** The plan with each branch's files split into those read with the checks (`needChecks`) and those read without. */
export function withChecksWhereNeeded(plan: TablePlan, needChecks: ReadonlySet<string>): TablePlan {
  const branches: TableBranch[] = [];
  for (const b of plan.branches) {
    const checked = b.files.filter((f) => needChecks.has(f.path));
    const unchecked = b.files.filter((f) => !needChecks.has(f.path));
    if (unchecked.length > 0) branches.push({ ...b, files: unchecked, checked: false });
    if (checked.length > 0) branches.push({ ...b, files: checked, checked: true });
  }
  return { ...plan, branches };
}

/** A record's `start` as its UTC day, `yyyy/MM/dd` like the `day` partition (NULL for no or an absurd start). */
const DAY_OF_START = `CASE WHEN "start" BETWEEN 0 AND 253402300799 THEN strftime(make_timestamp("start" * 1000000), '%Y/%m/%d') END`;

/**
 * The SELECT of a view with the Glue table's name and columns over the plan's files (one UNION ALL
 * branch per partition and layout, its partition values constants), so that compiled Athena SQL runs
 * unchanged, and DuckDB drops a branch whose `day` a query's predicate rules out without reading its
 * files, as Athena's partition projection does.
 */
export function viewSelect(plan: TablePlan, format: FlowLogFormat): string {
  const data = athenaColumns(format);
  const branches = plan.branches.map((branch) => {
    const has = new Set(athenaColumns(new FlowLogFormat(branch.fields)).map((c) => c.name));
    const values = data.map((c) => (has.has(c.name) ? sqlName(c.name) : `CAST(NULL AS ${duckType(c)}) AS ${sqlName(c.name)}`));
    const p = branch.partition;
    const hasStart = has.has('start');
    const day = p.kind === 'path' ? sqlString(p.day) : hasStart ? DAY_OF_START : 'CAST(NULL AS VARCHAR)';
    values.push(`${sqlString(p.accid)} AS "accid"`, `${sqlString(p.region)} AS "region"`, `${day} AS "day"`);
    return `SELECT ${values.join(', ')} FROM ${branchRecords(branch)}`;
  });
  if (branches.length === 0) {
    const nulls = tableColumns(format).map((c) => `CAST(NULL AS ${duckType(c)}) AS ${sqlName(c.name)}`);
    return `SELECT ${nulls.join(', ')} WHERE false`;
  }
  return branches.join('\nUNION ALL\n');
}
