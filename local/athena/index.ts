/**
 * Athena, locally: the athena engine's detection queries (core/detection/compile/athena.ts) run
 * unchanged by DuckDB over the same flow-log files a local run reads, through a view with the Glue
 * table's name and columns, and answered in Athena's shapes: the StartAthenaQuery `.sync` task for
 * the state machine, and an AthenaClient (on Athena's wire protocol) for ToFindings' results reader.
 *
 * DuckDB is loaded only by createLocalAthena: importing this module costs nothing else.
 */
import type { AthenaClient } from '@aws-sdk/client-athena';
import { FlowLogFormat } from '../../core/flowlog/format';
import { AthenaSdkResults } from '../../handlers/aws/athena-results';
import type { AthenaResultsPort } from '../../handlers/ports/athena-results';
import { DETECTION_TASKS } from '../../workflows/contract';
import type { TaskFn } from '../runtime/engine';
import { QueryEngine } from './query-engine';
import { LocalAthenaService } from './service';
import { startQueryExecutionSync } from './sync-task';
import { canonicalAddress } from '../../core/flowlog/address';
import { filesNeedingChecksQuery, ipv6ValuesQuery, IPV6_TABLE, planTable, sqlString, viewSelect, withChecksWhereNeeded, type TablePlan } from './table';
import { localAthenaClient } from './wire';

export { DuckDbUnavailableError, loadDuckDb } from './query-engine';
export { LocalAthenaService, MAX_RESULTS_PER_PAGE } from './service';
export { AthenaTaskError, startQueryExecutionSync, SyncTaskFailedError } from './sync-task';
export { filesNeedingChecksQuery, LocalAthenaInputError, planTable, s3Partition, viewSelect, withChecksWhereNeeded, type FilePartition, type TableBranch, type TableFile, type TablePlan } from './table';
export { LocalAthenaHttpHandler, localAthenaClient } from './wire';

/** The archive table and workgroup of the stack with the default envName (`dev`): what the synthesized definitions name. */
export const DEFAULT_LOCAL_ATHENA_TABLE = 'flowir_dev.vpc_flow_logs';
export const DEFAULT_LOCAL_ATHENA_WORKGROUP = 'flowir-dev';

export interface LocalAthenaOptions {
  /** Flow-log files and folders, as `flowir run` takes them. */
  readonly inputs: readonly string[];
  /** The table's record format (the Glue table's columns): the config's `format`. */
  readonly format: FlowLogFormat | string;
  /** `database.table` as PlanWindow compiles it (FLOWIR_ATHENA_TABLE on AWS). @default DEFAULT_LOCAL_ATHENA_TABLE */
  readonly table?: string;
  /** The workgroup the definition names; `primary` exists too. @default DEFAULT_LOCAL_ATHENA_WORKGROUP */
  readonly workGroup?: string;
  /** Files, or folders of files, left out: those the scan left out as duplicates (its records.duplicateOf paths). */
  readonly exclude?: readonly string[];
  /** Partition values of the files outside the S3 layout. @default 123456789012, us-east-1 */
  readonly account?: string;
  readonly region?: string;
  /** DuckDB's memory limit. @default 512MB */
  readonly memoryLimit?: string;
  /** DuckDB's threads. @default 2 */
  readonly threads?: number;
  /** Where results are said to be written (QueryExecution.ResultConfiguration.OutputLocation). @default s3://flowir-local-athena-results/results/ */
  readonly outputLocation?: string;
}

export interface LocalAthena {
  /** The detection workflow's Athena task, by state name. */
  readonly tasks: { readonly [DETECTION_TASKS.startAthenaQuery]: TaskFn };
  /** ToFindings' reader of query results: handlers/aws/athena-results.ts over the local client. */
  readonly results: AthenaResultsPort;
  /** The SDK client the results reader uses, for other callers of the API. */
  readonly client: AthenaClient;
  readonly service: LocalAthenaService;
  /** The files the table reads, by partition. */
  readonly plan: TablePlan;
  close(): Promise<void>;
}

function splitTable(table: string): { database: string; name: string } {
  const parts = table.split('.');
  if (parts.length > 2 || parts.some((p) => !/^[A-Za-z_][A-Za-z0-9_]*$/.test(p))) throw new Error(`table "${table}" is not a name such as vpc_flow_logs or flowir_dev.vpc_flow_logs`);
  return parts.length === 2 ? { database: parts[0] as string, name: parts[1] as string } : { database: 'default', name: parts[0] as string };
}

/**
 * One look at every file, when the table is made: the files holding a record the evaluator's field
 * checks would leave out or rewrite are read with the checks; the rest (everything AWS writes) are
 * read without them, at DuckDB's full speed. A branch that cannot be read (a damaged gzip) keeps the
 * checks, and its queries fail as Athena's would.
 */
async function checkedWhereNeeded(engine: QueryEngine, plan: TablePlan): Promise<TablePlan> {
  const need = new Set<string>();
  for (const branch of plan.branches) {
    try {
      for (const file of await engine.strings(filesNeedingChecksQuery(branch))) need.add(file);
    } catch {
      for (const f of branch.files) need.add(f.path);
    }
  }
  const checked = withChecksWhereNeeded(plan, need);
  // The canonical form of every IPv6 address the checked files hold, by the evaluator's own code.
  await engine.run(`CREATE SCHEMA IF NOT EXISTS "__flowir"`);
  await engine.run(`CREATE OR REPLACE TABLE ${IPV6_TABLE} (raw VARCHAR PRIMARY KEY, canonical VARCHAR)`);
  const values = new Set<string>();
  for (const branch of checked.branches.filter((b) => b.checked)) {
    try {
      for (const v of await engine.strings(ipv6ValuesQuery(branch))) values.add(v);
    } catch {
      // Unreadable: its queries fail before any address is looked up.
    }
  }
  const rows = [...values].map((v) => `(${sqlString(v)}, ${canonicalAddress(v) === undefined ? 'NULL' : sqlString(canonicalAddress(v) as string)})`);
  for (let i = 0; i < rows.length; i += 1000) await engine.run(`INSERT INTO ${IPV6_TABLE} VALUES ${rows.slice(i, i + 1000).join(', ')}`);
  return checked;
}

/**
 * Open a local Athena over the inputs: DuckDB is loaded (DuckDbUnavailableError when it cannot be),
 * the table's files are planned (LocalAthenaInputError for stdin), and the view made.
 */
export async function createLocalAthena(options: LocalAthenaOptions): Promise<LocalAthena> {
  const format = typeof options.format === 'string' ? FlowLogFormat.parse(options.format) : options.format;
  const { database, name } = splitTable(options.table ?? DEFAULT_LOCAL_ATHENA_TABLE);
  const planned = await planTable({ inputs: options.inputs, format, ...(options.exclude ? { exclude: options.exclude } : {}), ...(options.account ? { account: options.account } : {}), ...(options.region ? { region: options.region } : {}) });
  const engine = await QueryEngine.open({ ...(options.memoryLimit ? { memoryLimit: options.memoryLimit } : {}), ...(options.threads ? { threads: options.threads } : {}) });
  let plan: TablePlan;
  try {
    plan = await checkedWhereNeeded(engine, planned);
    await engine.defineSchema('default');
    await engine.defineView(database, name, viewSelect(plan, format));
  } catch (e) {
    await engine.close();
    throw e;
  }
  const service = new LocalAthenaService({
    engine,
    plan,
    workGroups: ['primary', options.workGroup ?? DEFAULT_LOCAL_ATHENA_WORKGROUP],
    outputLocation: options.outputLocation ?? 's3://flowir-local-athena-results/results/',
  });
  const client = localAthenaClient(service, options.region ?? 'us-east-1');
  let closed = false;
  return {
    tasks: { [DETECTION_TASKS.startAthenaQuery]: startQueryExecutionSync(service) },
    results: new AthenaSdkResults(client),
    client,
    service,
    plan,
    async close() {
      if (closed) return;
      closed = true;
      // No query may run on a closed database: the one running is interrupted and waited for.
      await service.close();
      client.destroy();
      await engine.close();
    },
  };
}
