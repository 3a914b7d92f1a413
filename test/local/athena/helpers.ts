/** What the local Athena tests share: the detection queries as the workflow runs them, and the evaluator's answer. */
import { mkdirSync, readFileSync, readdirSync, statSync, writeFileSync } from 'node:fs';
import { dirname, join, relative } from 'node:path';
import { gzipSync } from 'node:zlib';
import { compileAthena, findingsFromRows } from '../../../core/detection/compile';
import type { FlowirConfig } from '../../../core/detection/config';
import { DetectionEvaluator } from '../../../core/detection/evaluator';
import { applyAllowlist, compareFindings, type Finding } from '../../../core/detection/findings';
import { DETECTION_IDS, type DetectionId } from '../../../core/detection/rules';
import type { TimeWindow } from '../../../core/detection/window';
import { CidrSet } from '../../../core/flowlog/address';
import { FlowLogFormat } from '../../../core/flowlog/format';
import { LineScanner } from '../../../core/scan/scanner';
import { athenaRows } from '../../../handlers/to-findings';
import { expandInputs, scanSource } from '../../../local/input/sources';
import { DEFAULT_LOCAL_ATHENA_TABLE, DEFAULT_LOCAL_ATHENA_WORKGROUP, type LocalAthena } from '../../../local/athena';

export const REPO = join(__dirname, '..', '..', '..');
export const FIXTURES = join(REPO, 'test', 'fixtures', 'flowlogs');

/** The StartAthenaQuery state's parameters, as the synthesized detection definition passes them. */
export function startParameters(queryString: string): Record<string, unknown> {
  return { QueryString: queryString, QueryExecutionContext: { Database: DEFAULT_LOCAL_ATHENA_TABLE.split('.')[0] }, ResultConfiguration: {}, WorkGroup: DEFAULT_LOCAL_ATHENA_WORKGROUP };
}

export interface SyncResult {
  readonly QueryExecution: {
    readonly QueryExecutionId: string;
    readonly Status: { readonly State: string; readonly SubmissionDateTime: number; readonly CompletionDateTime: number; readonly StateChangeReason?: string };
    readonly Statistics: { readonly DataScannedInBytes: number; readonly EngineExecutionTimeInMillis: number };
  } & Record<string, unknown>;
}

/** Run one query through the `.sync` task; its id and the task's result. */
export async function runQuery(athena: LocalAthena, queryString: string): Promise<SyncResult> {
  return (await athena.tasks.StartAthenaQuery(startParameters(queryString))) as SyncResult;
}

/** Each rule's compiled SQL run by the local Athena, its rows read as ToFindings reads them (every page), turned into findings. */
export async function athenaFindings(athena: LocalAthena, config: FlowirConfig, window: TimeWindow, detections: readonly DetectionId[] = DETECTION_IDS): Promise<{ findings: Finding[]; allowlisted: Finding[] }> {
  const format = FlowLogFormat.parse(config.format);
  const raw: Finding[] = [];
  for (const detection of detections) {
    if (!config.detections[detection].enabled) continue;
    const sql = compileAthena(detection, { config, table: DEFAULT_LOCAL_ATHENA_TABLE, window, format });
    const result = await runQuery(athena, sql);
    expect(result.QueryExecution.Status.State).toBe('SUCCEEDED');
    const rows = await athena.results.rows(result.QueryExecution.QueryExecutionId);
    raw.push(...findingsFromRows(detection, athenaRows(rows), { config, window }));
  }
  const { kept, allowlisted } = applyAllowlist(raw, new CidrSet(config.allowlist));
  return { findings: kept.sort(compareFindings), allowlisted: allowlisted.sort(compareFindings) };
}

/** The local evaluator (core/detection/evaluator.ts) over the same inputs, read line by line by the reference scanner. */
export async function evaluatorFindings(inputs: readonly string[], config: FlowirConfig, window: TimeWindow): Promise<{ findings: Finding[]; allowlisted: Finding[] }> {
  const evaluator = new DetectionEvaluator({ config, until: window.end, windowSeconds: window.end - window.start });
  const scanner = new LineScanner({ config, evaluator });
  for (const source of await expandInputs(inputs)) await scanSource(source, scanner);
  const result = scanner.result();
  return { findings: result.findings, allowlisted: result.allowlisted };
}

/** The hand-made S3 objects as S3 delivers them: each gzipped, the two halves as one two-member object (as test/local/cli/scan.test.ts does). */
export function gzipFixtureS3(into: string): string {
  const src = join(FIXTURES, 's3');
  const walk = (dir: string): string[] => readdirSync(dir).flatMap((n) => (statSync(join(dir, n)).isDirectory() ? walk(join(dir, n)) : [join(dir, n)]));
  for (const file of walk(src)) {
    const rel = relative(src, file);
    const member = /\.member(\d)\.log$/.exec(rel);
    const target = join(into, member ? rel.replace(/\.member\d\.log$/, '.log.gz') : `${rel}.gz`);
    mkdirSync(dirname(target), { recursive: true });
    const gz = gzipSync(readFileSync(file));
    writeFileSync(target, member && member[1] !== '1' ? Buffer.concat([readFileSync(target), gz]) : gz);
  }
  return join(into, 'AWSLogs');
}

/** A finding in one line, for readable differences. */
export const brief = (f: Finding): string => `${f.detection} ${f.source} ${f.port ?? '-'} ${String(f.value)}`;
