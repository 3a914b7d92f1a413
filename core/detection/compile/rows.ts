import { canonicalAddress } from '../../flowlog/address';
import { parseCount, type Count } from '../../flowlog/record';
import type { FlowirConfig } from '../config';
import { makeFinding, type Finding } from '../findings';
import type { DetectionId } from '../rules';
import type { TimeWindow } from '../window';
import { CompileError, RESULT_COLUMNS, planRule } from './rule-plan';

/** A result row of a compiled query: column name to value, as an engine's client hands it back. */
export type ResultRow = Readonly<Record<string, string | number | bigint | null | undefined>>;

function countValue(v: ResultRow[string]): Count | undefined {
  if (typeof v === 'bigint') return v >= 0n ? (v <= BigInt(Number.MAX_SAFE_INTEGER) ? Number(v) : v) : undefined;
  if (typeof v === 'number') return Number.isSafeInteger(v) && v >= 0 ? v : undefined;
  if (typeof v !== 'string') return undefined;
  const text = v.trim();
  const exact = parseCount(text);
  if (exact !== undefined) return exact;
  // Logs Insights may print large sums in exponent form; accept them only when still exact.
  const n = Number(text);
  return /^[0-9.]+(e\+?[0-9]+)?$/i.test(text) && Number.isSafeInteger(n) ? n : undefined;
}

/**
 * Turn the rows of a compiled detection query (Logs Insights or Athena) into findings, checking
 * every value: the rows come from outside, so a bad one is an error naming the row and column.
 * Allowlisting is left to applyAllowlist, as for the local evaluator.
 */
export function findingsFromRows(detection: DetectionId, rows: readonly ResultRow[], options: { readonly config: FlowirConfig; readonly window: TimeWindow }): Finding[] {
  const plan = planRule(detection, options.config);
  const withPort = plan.groupBy.includes('dstport');
  return rows.map((row, i) => {
    const bad = (column: string, why: string): never => {
      throw new CompileError(`${detection} result row ${i + 1}: ${column} ${why} (got ${JSON.stringify(String(row[column]))})`);
    };
    const rawSource = row[RESULT_COLUMNS.source];
    const source = typeof rawSource === 'string' ? canonicalAddress(rawSource.trim()) : undefined;
    if (source === undefined) return bad(RESULT_COLUMNS.source, 'is not an IPv4 or IPv6 address');
    let port: number | null = null;
    if (withPort) {
      const p = countValue(row[RESULT_COLUMNS.port]);
      if (typeof p !== 'number' || p > 65535) return bad(RESULT_COLUMNS.port, 'is not a port number');
      port = p;
    }
    const value = countValue(row[RESULT_COLUMNS.value]);
    if (value === undefined) return bad(RESULT_COLUMNS.value, 'is not a whole number');
    return makeFinding(options.config, detection, source, port, value, options.window);
  });
}
