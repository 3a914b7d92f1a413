/**
 * ToFindings: one rule's query result → the findings that open incidents. Allowlisted sources are
 * dropped, repeats of an open or recent incident are recorded on it instead of opening another,
 * and the run's finding count goes to the alarms.
 */
import { findingsFromRows, type ResultRow as CompiledRow } from '../core/detection/compile';
import type { FlowirConfig } from '../core/detection/config';
import { applyAllowlist, type Finding } from '../core/detection/findings';
import { isDetectionId } from '../core/detection/rules';
import { CidrSet } from '../core/flowlog/address';
import { decideSuppression, executionName, suppressionKey, toFindingData, type SuppressionSettings } from '../core/incident';
import type { NewFinding, ToFindingsInput, ToFindingsOutput } from '../workflows/contract';
import type { Clock, SuppressionStore } from './ports';
import type { AthenaResultsPort } from './ports/athena-results';
import type { MetricsPort } from './ports/metrics';
import { describe, isJsonObject, requireObject, requireWindow, TaskInputError } from './task-input';

export interface ToFindingsDeps {
  readonly config: {
    readonly detection: FlowirConfig;
    readonly suppression: SuppressionSettings;
  };
  readonly suppressions: SuppressionStore;
  readonly metrics: MetricsPort;
  readonly clock: Clock;
  /** Engine athena: where the result rows are read (the workflow passes only the query execution id). */
  readonly athenaResults?: AthenaResultsPort;
}

/** Create the ToFindings handler: ToFindingsInput → ToFindingsOutput. */
export function createToFindingsHandler(deps: ToFindingsDeps): (input: ToFindingsInput) => Promise<ToFindingsOutput> {
  const { config, suppressions, metrics, clock, athenaResults } = deps;
  const allowlist = new CidrSet(config.detection.allowlist);

  return async (input) => {
    const doc = requireObject(input, 'input');
    const rule = requireObject(doc.rule, 'input.rule');
    const detection = rule.detection;
    if (typeof detection !== 'string' || !isDetectionId(detection)) throw new TaskInputError('input.rule.detection', `expected a detection name, got ${describe(detection)}`);
    const window = requireWindow(rule.window, 'input.rule.window');
    const rows = await resultRows(doc, athenaResults);

    const findings = findingsFromRows(detection, rows, { config: config.detection, window });
    const { kept, allowlisted } = applyAllowlist(findings, allowlist);
    checkOutputSize(detection, kept, allowlisted);

    const now = clock.now();
    const newFindings: NewFinding[] = [];
    const suppressed: string[] = [];
    for (const finding of kept) {
      const outcome = await claimIncident(finding, now);
      if (outcome.kind === 'new') newFindings.push({ finding: toFindingData(finding), executionName: outcome.executionName, suppressionKey: outcome.key });
      else suppressed.push(finding.id);
    }
    await metrics.findings([{ detection, findings: kept.length }]);
    return { detection, window, newFindings, suppressed, allowlisted: allowlisted.map((f) => f.id) };
  };

  async function claimIncident(finding: Finding, now: Date): Promise<{ kind: 'new'; executionName: string; key: string } | { kind: 'suppressed' }> {
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
    if (result.claimed) return { kind: 'new', executionName: record.executionName, key: record.key };
    // This very finding holds the claim: an earlier attempt of this state claimed it and then failed
    // before its output was recorded. Hand it on again; StartExecution by name is idempotent.
    if (result.existing.findingId === finding.id) return { kind: 'new', executionName: result.existing.executionName, key: record.key };
    await suppressions.recordRepeat(record.key, finding.id);
    return { kind: 'suppressed' };
  }
}

/** Step Functions refuses a state output over 256 KB; leave room for the rest of the state. */
export const MAX_OUTPUT_BYTES = 200_000;

export class TooManyFindingsError extends Error {
  override readonly name = 'TooManyFindingsError';
}

/**
 * Refuse, before anything is claimed, a result whose output Step Functions could not carry (the
 * largest output: every finding new). Claiming first and then failing on the output would leave
 * keys suppressed for a day with no incident behind them.
 */
function checkOutputSize(detection: string, kept: readonly Finding[], allowlisted: readonly Finding[]): void {
  const largest = JSON.stringify({ newFindings: kept.map((f) => ({ finding: toFindingData(f), executionName: executionName(f.id), suppressionKey: suppressionKey(f) })), allowlisted: allowlisted.map((f) => f.id) });
  const bytes = Buffer.byteLength(largest, 'utf8');
  if (bytes > MAX_OUTPUT_BYTES) {
    throw new TooManyFindingsError(
      `${detection}: ${kept.length} findings over threshold and ${allowlisted.length} allowlisted would make a ${bytes}-byte state output, over the ${MAX_OUTPUT_BYTES}-byte budget (Step Functions allows 256 KB); nothing was claimed. Raise the threshold or shorten the window.`,
    );
  }
}

const isoSeconds = (epochSeconds: number): string => new Date(epochSeconds * 1000).toISOString();

/** The result rows as column → value, from either engine; every row checked. */
async function resultRows(doc: Readonly<Record<string, unknown>>, athenaResults: AthenaResultsPort | undefined): Promise<CompiledRow[]> {
  const hasRows = doc.rows !== undefined;
  const id = doc.athenaQueryExecutionId;
  if (hasRows && id !== undefined) throw new TaskInputError('input', 'has both "rows" (Logs Insights) and "athenaQueryExecutionId" (Athena); expected one');
  if (hasRows) return logsInsightsRows(doc.rows);
  if (id !== undefined) {
    if (typeof id !== 'string' || id.length === 0) throw new TaskInputError('input.athenaQueryExecutionId', `expected a query execution id, got ${describe(id)}`);
    if (athenaResults === undefined) throw new Error('ToFindings was given an Athena query but has no Athena results reader: is this function deployed for engine athena?');
    return athenaRows(await athenaResults.rows(id), `athenaResults(${id})`);
  }
  throw new TaskInputError('input', 'needs the query result: "rows" (Logs Insights GetQueryResults) or "athenaQueryExecutionId" (Athena)');
}

/**
 * Logs Insights rows as Step Functions delivers them: `[{Field, Value}]` per row (PascalCase, as every
 * aws-sdk integration result). `@ptr` and other `@` fields are not columns of the query.
 */
export function logsInsightsRows(value: unknown): CompiledRow[] {
  if (!Array.isArray(value)) throw new TaskInputError('input.rows', `expected an array of result rows, got ${describe(value)}`);
  return (value as unknown[]).map((row, i) => {
    if (!Array.isArray(row)) throw new TaskInputError(`input.rows[${i}]`, `expected a list of {Field, Value}, got ${describe(row)}`);
    const out: Record<string, string> = {};
    (row as unknown[]).forEach((cell, j) => {
      if (!isJsonObject(cell) || typeof cell.Field !== 'string' || typeof cell.Value !== 'string') {
        throw new TaskInputError(`input.rows[${i}][${j}]`, `expected {"Field": string, "Value": string} (Step Functions' shape of GetQueryResults), got ${describe(cell)}`);
      }
      out[cell.Field] = cell.Value;
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
