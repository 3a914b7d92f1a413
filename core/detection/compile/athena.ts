import type { FlowLogFormat } from '../../flowlog/format';
import type { FlowirConfig } from '../config';
import type { DetectionId } from '../rules';
import type { TimeWindow } from '../window';
import { checkWindow, CompileError, DETECTION_COLUMNS, RESULT_COLUMNS, columnName, planRule, requireDetectionFields, type RulePlan } from './rule-plan';

export interface AthenaColumn {
  readonly name: string;
  /** Hive type as Glue and Athena DDL spell it: int, bigint, string. */
  readonly type: string;
}

/** Column types as in AWS's "Create the table for VPC flow logs using partition projection"; others are string. */
const DOCUMENTED_TYPES: Readonly<Record<string, string>> = {
  version: 'int',
  srcport: 'int',
  dstport: 'int',
  protocol: 'bigint',
  packets: 'bigint',
  bytes: 'bigint',
  start: 'bigint',
  end: 'bigint',
  'tcp-flags': 'int',
  'traffic-path': 'int',
};

/**
 * The data column for the record's own `region` field (v4+). The table is partitioned by a
 * `region` key, and a column may not share a partition key's name; since the text is split by
 * position, the field still needs a column of its own.
 */
export const RECORD_REGION_COLUMN = 'flow_region';

/** Partition keys, as AWS documents them for the S3 delivery layout. */
export const ATHENA_PARTITION_KEYS: readonly AthenaColumn[] = [
  { name: 'accid', type: 'string' },
  { name: 'region', type: 'string' },
  { name: 'day', type: 'string' },
];

/**
 * The table's data columns for a record format, in record order (the text is space-delimited, so
 * every field of the format needs a column, in its place). Reused by the CDK Glue table.
 */
export function athenaColumns(format: FlowLogFormat): AthenaColumn[] {
  return format.fields.map((field) => {
    const name = field === 'region' ? RECORD_REGION_COLUMN : columnName(field);
    return { name, type: DOCUMENTED_TYPES[field] ?? 'string' };
  });
}

export interface AthenaTableOptions {
  /** `table` or `database.table`. */
  readonly table: string;
  /** The S3 prefix the flow log delivers under (`s3://bucket/` or `s3://bucket/prefix/`); `AWSLogs/` is below it. */
  readonly location: string;
  readonly format: FlowLogFormat;
  /** Account ids whose logs the bucket holds (partition projection enumerates them). */
  readonly accounts: readonly string[];
  readonly regions: readonly string[];
  /** First day to project, `yyyy/MM/dd`. */
  readonly startDay: string;
}

const TABLE_NAME = /^[A-Za-z_][A-Za-z0-9_]*(\.[A-Za-z_][A-Za-z0-9_]*)?$/;

function checkTableName(table: string): string[] {
  if (!TABLE_NAME.test(table)) throw new CompileError(`table "${table}" is not a name such as vpc_flow_logs or flowir.vpc_flow_logs`);
  return table.split('.');
}

function s3Root(location: string): string {
  if (!/^s3:\/\/[a-z0-9][a-z0-9.-]{1,61}[a-z0-9](\/[^\s'"]*)?$/.test(location)) {
    throw new CompileError(`location "${location}" is not an S3 URL such as s3://my-bucket/ or s3://my-bucket/prefix/`);
  }
  return location.endsWith('/') ? location : `${location}/`;
}

/** The table properties (partition projection exactly as AWS documents it), for DDL and for a Glue table. */
export function athenaTableParameters(options: AthenaTableOptions): Record<string, string> {
  const root = s3Root(options.location);
  const list = (what: string, values: readonly string[], pattern: RegExp): string => {
    if (values.length === 0) throw new CompileError(`${what}: at least one is needed for partition projection`);
    for (const v of values) if (!pattern.test(v)) throw new CompileError(`${what}: "${v}" is not valid`);
    return values.join(',');
  };
  if (!/^\d{4}\/\d{2}\/\d{2}$/.test(options.startDay)) throw new CompileError(`startDay "${options.startDay}" is not a yyyy/MM/dd day`);
  return {
    'skip.header.line.count': '1',
    'projection.enabled': 'true',
    'projection.accid.type': 'enum',
    'projection.accid.values': list('accounts', options.accounts, /^\d{12}$/),
    'projection.region.type': 'enum',
    'projection.region.values': list('regions', options.regions, /^[a-z]{2}(-[a-z]+)+-\d+$/),
    'projection.day.type': 'date',
    'projection.day.range': `${options.startDay},NOW`,
    'projection.day.format': 'yyyy/MM/dd',
    'storage.location.template': `${root}AWSLogs/\${accid}/vpcflowlogs/\${region}/\${day}`,
  };
}

// Hive DDL needs backticks around reserved words; AWS's example quotes `end`.
const HIVE_RESERVED = new Set(['end', 'date', 'timestamp', 'interval', 'user', 'function', 'table', 'order', 'group']);
const ddlName = (name: string): string => (HIVE_RESERVED.has(name) ? `\`${name}\`` : name);

/** `CREATE EXTERNAL TABLE` for the S3 archive, with partition projection over account, region and day. */
export function athenaTableDdl(options: AthenaTableOptions): string {
  const name = checkTableName(options.table).join('.');
  const params = athenaTableParameters(options);
  const columns = athenaColumns(options.format).map((c) => `  ${ddlName(c.name)} ${c.type}`);
  const keys = ATHENA_PARTITION_KEYS.map((k) => `${k.name} ${k.type}`).join(', ');
  const props = Object.entries(params).map(([k, v]) => `  "${k}" = "${v}"`);
  return [
    `CREATE EXTERNAL TABLE IF NOT EXISTS ${name} (`,
    columns.join(',\n'),
    ')',
    `PARTITIONED BY (${keys})`,
    'ROW FORMAT DELIMITED',
    "FIELDS TERMINATED BY ' '",
    `LOCATION '${s3Root(options.location)}AWSLogs/'`,
    'TBLPROPERTIES (',
    props.join(',\n'),
    ')',
  ].join('\n');
}

export interface AthenaQueryOptions {
  readonly config: FlowirConfig;
  /** `table` or `database.table`. */
  readonly table: string;
  /** Only records whose `start` is in `[start, end)` count. */
  readonly window: TimeWindow;
  /** Prune `day` partitions around the window (default true); false for a table without them. */
  readonly dayPartitions?: boolean;
  /** The table's record format, when known: checks the fields and omits the log_status test if absent. */
  readonly format?: FlowLogFormat;
}

const utcDay = (epochSeconds: number): string => {
  const d = new Date(epochSeconds * 1000);
  const pad = (n: number): string => String(n).padStart(2, '0');
  return `${d.getUTCFullYear()}/${pad(d.getUTCMonth() + 1)}/${pad(d.getUTCDate())}`;
};

/**
 * The `day` partitions that can hold a window's records. Objects are filed by delivery time, not by
 * record time, so a margin day on each side catches records delivered across midnight.
 */
export function dayPartitionRange(window: TimeWindow): { readonly from: string; readonly to: string } {
  return { from: utcDay(window.start - 86400), to: utcDay(window.end - 1 + 86400) };
}

const MEASURE: Readonly<Record<RulePlan['measure'], string>> = {
  'sum-bytes': 'sum(bytes)',
  count: 'count(*)',
  'distinct-dstport': 'count(DISTINCT dstport)',
};

const sqlTable = (table: string): string =>
  checkTableName(table)
    .map((p) => `"${p}"`)
    .join('.');

/**
 * Compile one rule to Athena (Trino) SQL over the archive table. Returns `srcaddr`, `dstport`
 * (SUSPICIOUS_PORT_ACCESS only) and `value` (see RESULT_COLUMNS) for groups over the threshold,
 * largest first; the counts are exact. Uses only SQL that DuckDB runs too (it is the test oracle).
 * Allowlisted sources are not excluded here: findings go through applyAllowlist afterwards.
 */
export function compileAthena(detection: DetectionId, options: AthenaQueryOptions): string {
  const { window, format } = options;
  const plan = planRule(detection, options.config);
  checkWindow(window, detection);
  if (format !== undefined) requireDetectionFields(format, detection);
  const where: string[] = [];
  if (options.dayPartitions !== false) {
    const days = dayPartitionRange(window);
    where.push(`day BETWEEN '${days.from}' AND '${days.to}'`);
  }
  where.push(`start >= ${window.start} AND start < ${window.end}`);
  if (format === undefined || format.has('log-status')) where.push("log_status = 'OK'");
  // A `-` reads as NULL in a numeric column, and as '-' (or NULL) in a text column.
  for (const c of DETECTION_COLUMNS) {
    const numeric = DOCUMENTED_TYPES[c] !== undefined;
    where.push(numeric ? `${c} IS NOT NULL` : `${c} IS NOT NULL AND ${c} <> '-'`);
  }
  if (plan.action !== undefined) where.push(`action = '${plan.action}'`);
  if (plan.ports !== undefined) where.push(`dstport IN (${plan.ports.join(', ')})`);
  const keys = plan.groupBy.join(', ');
  const measure = MEASURE[plan.measure];
  return [
    `SELECT ${keys}, ${measure} AS ${RESULT_COLUMNS.value}`,
    `FROM ${sqlTable(options.table)}`,
    `WHERE ${where.join('\n  AND ')}`,
    `GROUP BY ${keys}`,
    `HAVING ${measure} > ${plan.threshold}`,
    `ORDER BY ${RESULT_COLUMNS.value} DESC, ${keys}`,
  ].join('\n');
}
