/**
 * ToFindings: one rule's query result → the findings that open incidents. It reads the result
 * itself (either engine, through the SDK), drops allowlisted sources, records repeats of an open or
 * recent incident on it instead of opening another, claims the rest, and files every finding and its
 * fate in the evidence store: the findings record, and the new findings in batches that
 * StartIncidents opens. Its own output stays a few kilobytes however many sources crossed the
 * threshold, so a window of 10,000 findings still fits the 262,144 bytes a state may carry.
 */
import { findingsBatchKey, findingsRecordKey } from '../core/evidence/layout';
import { findingsFromRows, type ResultRow as CompiledRow } from '../core/detection/compile';
import type { FlowirConfig } from '../core/detection/config';
import { applyAllowlist, type Finding } from '../core/detection/findings';
import { isDetectionId, type DetectionId } from '../core/detection/rules';
import type { TimeWindow } from '../core/detection/window';
import { CidrSet } from '../core/flowlog/address';
import { decideSuppression, toFindingData, type SuppressionSettings } from '../core/incident';
import {
  FINDINGS_BATCH_SIZE,
  QUERY_ROW_LIMIT,
  type FindingDoc,
  type FindingsBatch,
  type FindingsBatchRef,
  type FindingsRecord,
  type NewFinding,
  type ToFindingsInput,
  type ToFindingsOutput,
  type ToFindingsPending,
} from '../workflows/contract';
import type { Clock, ObjectStore, SuppressionStore } from './ports';
import { TooManyResultRowsError, type AthenaResultsPort } from './ports/athena-results';
import type { LogsInsightsResultsPort } from './ports/logs-insights-results';
import type { MetricsPort } from './ports/metrics';
import { mapPooled } from './pool';
import { describe, isJsonObject, requireObject, requireString, requireWindow, TaskInputError } from './task-input';

export interface ToFindingsDeps {
  readonly config: {
    readonly detection: FlowirConfig;
    readonly suppression: SuppressionSettings;
  };
  readonly suppressions: SuppressionStore;
  readonly metrics: MetricsPort;
  readonly clock: Clock;
  /** Where the findings record and the batches go (the evidence bucket). */
  readonly store: ObjectStore;
  /** Engine logs-insights: GetQueryResults. */
  readonly logsInsights?: LogsInsightsResultsPort;
  /** Engine athena: where the result rows are read (the workflow passes only the query execution id). */
  readonly athenaResults?: AthenaResultsPort;
  /**
   * Claims made at once (each is one conditional write).
   * @default 16
   */
  readonly claimConcurrency?: number;
}

/** The Logs Insights query ended without a result (Failed, Cancelled, Timeout, Unknown): the rule fails, recorded. */
export class QueryNotCompleteError extends Error {
  override readonly name = 'QueryNotCompleteError';
}

interface QueryResult {
  readonly engine: 'logs-insights' | 'athena';
  readonly id: string;
  readonly rows: CompiledRow[];
  readonly statistics: Readonly<Record<string, number>> | null;
}

/** Create the ToFindings handler: ToFindingsInput → ToFindingsOutput, or ToFindingsPending while a Logs Insights query runs. */
export function createToFindingsHandler(deps: ToFindingsDeps): (input: ToFindingsInput) => Promise<ToFindingsOutput | ToFindingsPending> {
  const { config, suppressions, metrics, clock, store } = deps;
  const allowlist = new CidrSet(config.detection.allowlist);
  const concurrency = deps.claimConcurrency ?? 16;

  return async (input) => {
    const doc = requireObject(input, 'input');
    const rule = requireObject(doc.rule, 'input.rule');
    const detection = rule.detection;
    if (typeof detection !== 'string' || !isDetectionId(detection)) throw new TaskInputError('input.rule.detection', `expected a detection name, got ${describe(detection)}`);
    const window = requireWindow(rule.window, 'input.rule.window');
    const execution = requireString(doc.execution, 'input.execution');
    const result = await queryResult(doc, deps);
    if (!('rows' in result)) return result;

    const findings = findingsFromRows(detection, result.rows, { config: config.detection, window });
    const { kept, allowlisted } = applyAllowlist(findings, allowlist);
    const now = clock.now();
    // Claims this call made: if anything fails before the output is returned, they are released, or
    // they would keep those sources silent for a day with no incident behind them.
    const fresh: Array<{ key: string; executionName: string }> = [];
    try {
      const outcomes = await mapPooled(kept, concurrency, (f) => claimIncident(f, now, fresh));
      return await fileFindings({ detection, window, execution, result, overThreshold: findings.length, kept, allowlisted, outcomes });
    } catch (e) {
      await mapPooled(fresh, concurrency, (c) => suppressions.release(c.key, c.executionName).catch(() => undefined));
      throw e;
    }
  };

  /** Write the findings record and the batches of new findings, publish the count, and say where they are. */
  async function fileFindings(run: {
    detection: DetectionId;
    window: TimeWindow;
    execution: string;
    result: QueryResult;
    overThreshold: number;
    kept: readonly Finding[];
    allowlisted: readonly Finding[];
    outcomes: ReadonlyArray<{ kind: 'new'; executionName: string; key: string } | { kind: 'suppressed'; by: string }>;
  }): Promise<ToFindingsOutput> {
    const { detection, window, execution, result, kept, allowlisted, outcomes } = run;
    const newFindings: NewFinding[] = [];
    const entries: Array<FindingsRecord['findings'][number]> = [];
    kept.forEach((finding, i) => {
      const outcome = outcomes[i];
      if (outcome === undefined) throw new Error('unreachable: one outcome per finding');
      const data = toFindingData(finding) as FindingDoc;
      if (outcome.kind === 'new') {
        newFindings.push({ finding: data, executionName: outcome.executionName, suppressionKey: outcome.key });
        entries.push({ finding: data, disposition: 'new', executionName: outcome.executionName });
      } else entries.push({ finding: data, disposition: 'suppressed', executionName: outcome.by });
    });
    for (const f of allowlisted) entries.push({ finding: toFindingData(f) as FindingDoc, disposition: 'allowlisted', executionName: null });

    // A result as long as the query may return can have cut off sources past its last row.
    const limitReached = result.rows.length >= QUERY_ROW_LIMIT;
    const batches = await writeBatches(store, execution, detection, window, newFindings);
    const record: FindingsRecord = { detection, window, execution, query: { engine: result.engine, id: result.id, rows: result.rows.length, limitReached }, findings: entries };
    const stored = await store.put(findingsRecordKey(execution, detection), JSON.stringify(record), 'application/json');
    await metrics.findings([{ detection, findings: kept.length }]);
    return {
      status: 'Complete',
      detection,
      window,
      rows: result.rows.length,
      limitReached,
      statistics: result.statistics,
      counts: { overThreshold: run.overThreshold, allowlisted: allowlisted.length, suppressed: kept.length - newFindings.length, new: newFindings.length },
      record: { key: stored.key, sha256: stored.sha256 },
      batches,
    };
  }

  async function claimIncident(finding: Finding, now: Date, fresh: Array<{ key: string; executionName: string }>): Promise<{ kind: 'new'; executionName: string; key: string } | { kind: 'suppressed'; by: string }> {
    const nowSeconds = Math.floor(now.getTime() / 1000);
    // With no stored record, core/incident says what a new incident's record holds (its key, name, periods).
    const decision = decideSuppression(finding, null, nowSeconds, config.suppression);
    if (decision.kind !== 'new') throw new Error('unreachable: a finding with no stored record always opens an incident');
    const { record } = decision;
    const result = await suppressions.claim(
      {
        key: record.key,
        findingId: finding.id,
        executionName: record.executionName,
        openedAt: isoSeconds(record.openedAt),
        expiresAt: isoSeconds(record.expiresAt),
        repeats: 0,
      },
      now.toISOString(),
    );
    if (result.claimed) {
      fresh.push({ key: record.key, executionName: record.executionName });
      return { kind: 'new', executionName: record.executionName, key: record.key };
    }
    // This very finding holds the claim: an earlier attempt of this state claimed it and then failed
    // before its output was recorded. Hand it on again; StartExecution by name is idempotent.
    if (result.existing.findingId === finding.id) return { kind: 'new', executionName: result.existing.executionName, key: record.key };
    await suppressions.recordRepeat(record.key, finding.id);
    return { kind: 'suppressed', by: result.existing.executionName };
  }
}

/** The new findings as batch objects of at most FINDINGS_BATCH_SIZE, in the order found. */
async function writeBatches(store: ObjectStore, execution: string, detection: DetectionId, window: TimeWindow, findings: readonly NewFinding[]): Promise<FindingsBatchRef[]> {
  const refs: FindingsBatchRef[] = [];
  for (let i = 0; i * FINDINGS_BATCH_SIZE < findings.length; i++) {
    const part = findings.slice(i * FINDINGS_BATCH_SIZE, (i + 1) * FINDINGS_BATCH_SIZE);
    const body: FindingsBatch = { detection, window, findings: part };
    const stored = await store.put(findingsBatchKey(execution, detection, i), JSON.stringify(body), 'application/json');
    refs.push({ key: stored.key, sha256: stored.sha256, count: part.length });
  }
  return refs;
}

const isoSeconds = (epochSeconds: number): string => new Date(epochSeconds * 1000).toISOString();

/** The result rows as column → value, from either engine; every row checked. */
async function queryResult(doc: Readonly<Record<string, unknown>>, deps: ToFindingsDeps): Promise<QueryResult | ToFindingsPending> {
  const li = doc.logsInsightsQueryId;
  const athena = doc.athenaQueryExecutionId;
  if (li !== undefined && athena !== undefined) throw new TaskInputError('input', 'has both "logsInsightsQueryId" and "athenaQueryExecutionId"; expected one');
  if (li !== undefined) {
    const id = requireString(li, 'input.logsInsightsQueryId');
    if (deps.logsInsights === undefined) throw new Error('ToFindings was given a Logs Insights query but has no Logs Insights client: is this function deployed for engine logs-insights?');
    // GetQueryResults may page a result (maxItems, nextToken in the SDK's current model, page size
    // not documented): a complete result is read to its last page, at most QUERY_ROW_LIMIT rows.
    let out = await deps.logsInsights.getQueryResults({ queryId: id, maxItems: QUERY_ROW_LIMIT });
    if (out.status === 'Scheduled' || out.status === 'Running') return { status: out.status };
    if (out.status !== 'Complete') throw new QueryNotCompleteError(`Logs Insights query ${id} ended ${String(out.status)}: no result to read`);
    // A result that is not a list is refused, naming it, by logsInsightsRows.
    if (!Array.isArray(out.results ?? [])) logsInsightsRows(out.results);
    const cells = [...(out.results ?? [])];
    const statistics = out.statistics;
    for (let pages = 1; out.nextToken !== undefined && out.nextToken !== ''; pages++) {
      if (cells.length > QUERY_ROW_LIMIT || pages >= 100) throw new TooManyResultRowsError(`Logs Insights query ${id}: more than ${QUERY_ROW_LIMIT} result rows; the rules return one row per key, so the rule fails rather than drop findings`);
      out = await deps.logsInsights.getQueryResults({ queryId: id, maxItems: QUERY_ROW_LIMIT, nextToken: out.nextToken });
      cells.push(...(out.results ?? []));
    }
    return { engine: 'logs-insights', id, rows: logsInsightsRows(cells), statistics: numericStatistics(statistics) };
  }
  if (athena !== undefined) {
    const id = requireString(athena, 'input.athenaQueryExecutionId');
    if (deps.athenaResults === undefined) throw new Error('ToFindings was given an Athena query but has no Athena results reader: is this function deployed for engine athena?');
    return { engine: 'athena', id, rows: athenaRows(await deps.athenaResults.rows(id), `athenaResults(${id})`), statistics: null };
  }
  throw new TaskInputError('input', 'needs the query: "logsInsightsQueryId" (Logs Insights) or "athenaQueryExecutionId" (Athena)');
}

function numericStatistics(stats: unknown): Readonly<Record<string, number>> | null {
  if (!isJsonObject(stats)) return null;
  const out: Record<string, number> = {};
  for (const [k, v] of Object.entries(stats)) if (typeof v === 'number' && Number.isFinite(v)) out[k] = v;
  return out;
}

/**
 * Logs Insights rows as the SDK v3 hands them: `[{field, value}]` per row. `@ptr` and other `@`
 * fields are not columns of the query.
 */
export function logsInsightsRows(value: unknown): CompiledRow[] {
  if (!Array.isArray(value)) throw new TaskInputError('results', `expected an array of result rows, got ${describe(value)}`);
  return (value as unknown[]).map((row, i) => {
    if (!Array.isArray(row)) throw new TaskInputError(`results[${i}]`, `expected a list of {field, value}, got ${describe(row)}`);
    const out: Record<string, string> = {};
    (row as unknown[]).forEach((cell, j) => {
      if (!isJsonObject(cell) || typeof cell.field !== 'string' || typeof cell.value !== 'string') {
        throw new TaskInputError(`results[${i}][${j}]`, `expected {"field": string, "value": string} (GetQueryResults' ResultField), got ${describe(cell)}`);
      }
      if (!cell.field.startsWith('@')) out[cell.field] = cell.value;
    });
    return out;
  });
}

/**
 * Athena rows: the first row names the columns, the others hold values (VarCharValue absent for NULL).
 * `where` names the result in errors.
 */
export function athenaRows(value: unknown, where = 'athenaRows'): CompiledRow[] {
  if (!Array.isArray(value)) throw new TaskInputError(where, `expected Athena ResultSet.Rows, got ${describe(value)}`);
  const rows = value as unknown[];
  const cells = (row: unknown, i: number): Array<string | undefined> => {
    const r = isJsonObject(row) ? row : undefined;
    if (r === undefined || !Array.isArray(r.Data)) throw new TaskInputError(`${where}[${i}]`, `expected {"Data": [{"VarCharValue": ...}]}, got ${describe(row)}`);
    return (r.Data as unknown[]).map((cell, j) => {
      if (!isJsonObject(cell) || (cell.VarCharValue !== undefined && typeof cell.VarCharValue !== 'string')) {
        throw new TaskInputError(`${where}[${i}].Data[${j}]`, `expected {"VarCharValue": string} or {}, got ${describe(cell)}`);
      }
      return cell.VarCharValue as string | undefined;
    });
  };
  if (rows.length === 0) throw new TaskInputError(where, 'is empty: Athena returns a header row first, even for no results');
  const header = cells(rows[0], 0);
  const names = header.map((h, j) => {
    if (h === undefined || h.length === 0) throw new TaskInputError(`${where}[0].Data[${j}]`, 'the header row names every column; this one is empty');
    return h;
  });
  return rows.slice(1).map((row, k) => {
    const values = cells(row, k + 1);
    if (values.length !== names.length) throw new TaskInputError(`${where}[${k + 1}]`, `has ${values.length} values for ${names.length} columns (${names.join(', ')})`);
    const out: Record<string, string | undefined> = {};
    names.forEach((n, j) => (out[n] = values[j]));
    return out;
  });
}
