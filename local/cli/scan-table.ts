import { RULES } from '../../core/detection/rules';
import type { InputCounts, ScanResult } from '../../core/scan/scanner';

const n = (v: number | bigint): string => v.toLocaleString('en-US');
const iso = (s: number): string => new Date(s * 1000).toISOString().replace('.000Z', 'Z');

function table(rows: string[][]): string {
  const widths = rows[0]?.map((_, i) => Math.max(...rows.map((r) => (r[i] ?? '').length))) ?? [];
  return rows.map((r) => r.map((c, i) => c.padEnd(widths[i] ?? 0)).join('  ').trimEnd()).join('\n');
}

/** Up to three items, and how many more. */
function some<T>(items: readonly T[], total: number, show: (item: T) => string): string {
  const shown = items.slice(0, 3).map(show).join('; ');
  return total > Math.min(3, items.length) ? `${shown}; and ${n(total - Math.min(3, items.length))} more` : shown;
}

/**
 * The human-readable scan report; with `--prune`, the S3 objects not opened are said too, and the
 * files a folder walk passed over and the inputs left out as duplicates when there are any.
 */
export function renderScanTable(result: ScanResult & { readonly records: { readonly objectsSkipped?: number } & Partial<InputCounts> }): string {
  const r = result.records;
  const lines: string[] = [];
  lines.push(`window   ${iso(result.window.start)} → ${iso(result.window.end)} (${result.window.end - result.window.start} s)`);
  lines.push(
    `records  ${n(r.read)} read in ${n(r.files)} file${r.files === 1 ? '' : 's'}: ${n(r.inWindow)} in window, ${n(r.outOfWindow)} outside, ${n(r.skipped)} skipped (NODATA/SKIPDATA/-), ${n(r.malformed)} malformed`,
  );
  const pruned = r.objectsSkipped ?? 0;
  if (pruned > 0) lines.push(`         ${n(pruned)} S3 object${pruned === 1 ? '' : 's'} not opened (--prune: key time outside the window; their records are in no count)`);
  const duplicates = r.duplicates ?? 0;
  if (duplicates > 0) {
    lines.push(
      `         ${n(duplicates)} file${duplicates === 1 ? '' : 's'} left out, holding the same records as other inputs (counted once): ` +
        some(r.duplicateOf ?? [], (r.duplicateOf ?? []).length, (d) => `${d.path}${d.files > 1 ? ` (${n(d.files)} files)` : ''} = ${d.sameAs}`),
    );
  }
  const ignored = r.filesIgnored ?? 0;
  if (ignored > 0) {
    lines.push(`         ${n(ignored)} file${ignored === 1 ? '' : 's'} in the folders passed over: ` + some(r.ignored ?? [], ignored, (f) => `${f.file} (${f.reason})`));
  }
  lines.push('');
  if (result.findings.length === 0) {
    lines.push('No findings.');
  } else {
    const rows = [['SEVERITY', 'DETECTION', 'SOURCE', 'PORT', 'VALUE', 'THRESHOLD', 'MEANING']];
    for (const f of result.findings) {
      rows.push([f.severity, f.detection, f.source, f.port === null ? '-' : String(f.port), n(f.value), n(f.threshold), RULES[f.detection].unit]);
    }
    lines.push(table(rows));
    const critical = result.findings.filter((f) => f.severity === 'CRITICAL').length;
    lines.push('');
    lines.push(`${result.findings.length} finding${result.findings.length === 1 ? '' : 's'}: ${critical} CRITICAL, ${result.findings.length - critical} WARNING.`);
  }
  if (result.allowlisted.length > 0) {
    lines.push(`${result.allowlisted.length} over threshold but allowlisted: ${result.allowlisted.map((f) => f.id).join(', ')}`);
  }
  if (result.errorCount > 0) {
    lines.push('');
    lines.push(`Problems: ${n(result.errorCount)}${result.errorCount > result.errors.length ? ` (first ${result.errors.length} shown)` : ''}`);
    for (const e of result.errors) lines.push(`  ${e.file}${e.line === null ? '' : `:${e.line}`}: ${e.reason}`);
  }
  return `${lines.join('\n')}\n`;
}
