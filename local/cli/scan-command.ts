import { readFile } from 'node:fs/promises';
import type { Readable } from 'node:stream';
import { ConfigError, DEFAULT_CONFIG, parseConfig, type FlowirConfig } from '../../core/detection/config';
import { DEFAULT_INCIDENT_CONFIG, parseIncidentConfig, type IncidentConfig } from '../../core/policy/incident-config';
import { toJson } from '../../core/detection/findings';
import { formatDuration, parseDuration, parseInstant } from '../../core/detection/window';
import type { ScanResult } from '../../core/scan/scanner';
import { expandInputs, type InputSource } from '../input/sources';
import { fastScan } from '../fast/fast-scan';
import { parseCommandArgs } from './args';
import { SCAN_COMMAND } from './command-specs';
import { UsageError, EXIT_OK } from './errors';
import { Progress } from './progress';
import { renderScanTable } from './scan-table';

export interface CliIo {
  readonly stdout: NodeJS.WritableStream;
  readonly stderr: NodeJS.WritableStream & { isTTY?: boolean };
  readonly stdin: NodeJS.ReadableStream;
}

export interface ScanOptions {
  readonly paths: readonly string[];
  /**
   * Skip S3 objects whose key time cannot overlap the window. Faster on archives, but the lines of a
   * skipped object are not read, so `read`, `skipped` and `malformed` then count only the objects
   * read (`objectsSkipped` says how many were not). Off by default: DESIGN's `read` counts every line.
   */
  readonly prune?: boolean;
  readonly until?: number;
  readonly windowSeconds?: number;
  readonly config: FlowirConfig;
}

async function readConfigDoc(file: string): Promise<Record<string, unknown>> {
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch (e) {
    throw new UsageError(`cannot read config ${file}: ${(e as Error).message}`);
  }
  let doc: unknown;
  try {
    doc = JSON.parse(text);
  } catch (e) {
    throw new ConfigError(file, '', `not valid JSON (${(e as Error).message})`);
  }
  if (typeof doc !== 'object' || doc === null || Array.isArray(doc)) throw new ConfigError(file, '', 'expected a JSON object');
  return doc as Record<string, unknown>;
}

/** The detection config of a config file (its `incident` section is read by {@link loadIncidentConfig}). */
export async function loadConfig(file: string | undefined): Promise<FlowirConfig> {
  if (file === undefined) return DEFAULT_CONFIG;
  const { incident: _incident, ...detection } = await readConfigDoc(file);
  return parseConfig(detection, file);
}

/** The `incident` section of a config file: policy, approval timeout, block duration, guardrails. */
export async function loadIncidentConfig(file: string | undefined): Promise<IncidentConfig> {
  if (file === undefined) return DEFAULT_INCIDENT_CONFIG;
  return parseIncidentConfig((await readConfigDoc(file)).incident, file);
}

/** Parse the options shared by `scan` and `run`; `maxWindowSeconds` bounds `--window`. */
export async function commonScanOptions(values: { readonly until?: string; readonly window?: string; readonly config?: string }, paths: string[], maxWindowSeconds?: number): Promise<ScanOptions> {
  const until = values.until !== undefined ? parseInstant(values.until, '--until') : undefined;
  const window = values.window !== undefined ? parseDuration(values.window, '--window', maxWindowSeconds) : undefined;
  const config = await loadConfig(values.config);
  const windowSeconds = window ?? config.windowSeconds;
  // Without --until the window ends after the data, and one reaching before 1970 just takes in every record.
  if (until !== undefined && windowSeconds > until) {
    const end = new Date(until * 1000).toISOString().replace('.000Z', 'Z');
    throw new UsageError(`--until ${end} with a window of ${formatDuration(windowSeconds)}: the window would start before 1970-01-01; give a shorter --window or a later --until`);
  }
  return { paths, config, ...(until !== undefined ? { until } : {}), windowSeconds };
}

/**
 * Read all inputs through the streaming evaluator's fast path (local/fast): byte-level parsing on
 * worker threads; with `prune`, S3 objects outside the window skipped. For benchmarks and tests, FLOWIR_THREADS
 * (a count, 0 = none), FLOWIR_PRUNE=1 and FLOWIR_PIECE_BYTES (split plain files in ranges of
 * this size) override its defaults.
 */
export async function scanInputs(options: ScanOptions, io: CliIo, progress?: Progress): Promise<ScanResult> {
  const sources: InputSource[] = await expandInputs(options.paths);
  const threads = process.env.FLOWIR_THREADS;
  if (threads !== undefined && !/^\d{1,2}$/.test(threads)) throw new UsageError(`FLOWIR_THREADS: expected a number of threads (0 to 99), got "${threads}"`);
  const pieceBytes = process.env.FLOWIR_PIECE_BYTES;
  if (pieceBytes !== undefined && !/^[1-9]\d{0,15}$/.test(pieceBytes)) throw new UsageError(`FLOWIR_PIECE_BYTES: expected a size in bytes, got "${pieceBytes}"`);
  progress?.start(sources);
  const result = await fastScan(sources, {
    config: options.config,
    windowSeconds: options.windowSeconds ?? options.config.windowSeconds,
    ...(options.until !== undefined ? { until: options.until } : {}),
    ...(threads !== undefined ? { threads: Number(threads) } : {}),
    ...(pieceBytes !== undefined ? { pieceBytes: Number(pieceBytes) } : {}),
    prune: options.prune === true || process.env.FLOWIR_PRUNE === '1',
    stdin: io.stdin as Readable,
    onFileDone: (src, read) => progress?.fileDone(src, read),
    onRead: (bytes, records, stdin) => progress?.read(bytes, records, stdin),
    onNotice: (message) => io.stderr.write(`flowir: ${message}\n`),
  });
  progress?.done();
  return result;
}

export async function scanCommand(argv: string[], io: CliIo): Promise<number> {
  const { values, positionals } = parseCommandArgs(SCAN_COMMAND, argv);
  const options = { ...(await commonScanOptions(values, positionals)), prune: values.prune };
  const progress = values['no-progress'] ? undefined : new Progress(io.stderr);
  const result = await scanInputs(options, io, progress);
  if (values.json) io.stdout.write(`${toJson(scanJson(result))}\n`);
  else io.stdout.write(renderScanTable(result));
  return EXIT_OK;
}

/** The `--json` document of DESIGN section 7. */
export function scanJson(result: ScanResult): object {
  return {
    window: result.window,
    records: { ...result.records, errors: result.errorCount },
    findings: result.findings,
    allowlisted: result.allowlisted.map((f) => f.id),
    errors: result.errors,
  };
}
