import { readFile } from 'node:fs/promises';
import { parseArgs } from 'node:util';
import { DEFAULT_CONFIG, parseConfigText, type FlowirConfig } from '../../core/detection/config';
import { DetectionEvaluator } from '../../core/detection/evaluator';
import { toJson } from '../../core/detection/findings';
import { parseDuration, parseInstant } from '../../core/detection/window';
import { LineScanner, type ScanResult } from '../../core/scan/scanner';
import { expandInputs, scanSource, type InputSource } from '../input/sources';
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
  readonly until?: number;
  readonly windowSeconds?: number;
  readonly config: FlowirConfig;
}

export async function loadConfig(file: string | undefined): Promise<FlowirConfig> {
  if (file === undefined) return DEFAULT_CONFIG;
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch (e) {
    throw new UsageError(`cannot read config ${file}: ${(e as Error).message}`);
  }
  return parseConfigText(text, file);
}

/** Parse the options shared by `scan` and `run`. */
export async function commonScanOptions(values: { until?: string; window?: string; config?: string }, paths: string[]): Promise<ScanOptions> {
  const config = await loadConfig(values.config);
  return {
    paths,
    config,
    ...(values.until !== undefined ? { until: parseInstant(values.until, '--until') } : {}),
    windowSeconds: values.window !== undefined ? parseDuration(values.window, '--window') : config.windowSeconds,
  };
}

/** Read all inputs through the streaming evaluator. */
export async function scanInputs(options: ScanOptions, io: CliIo, progress?: Progress): Promise<ScanResult> {
  const sources: InputSource[] = await expandInputs(options.paths);
  const evaluator = new DetectionEvaluator({ config: options.config, windowSeconds: options.windowSeconds ?? options.config.windowSeconds, ...(options.until !== undefined ? { until: options.until } : {}) });
  const scanner = new LineScanner({ config: options.config, evaluator });
  progress?.start(sources);
  for (const src of sources) {
    await scanSource(src, scanner, io.stdin as unknown as import('node:stream').Readable);
    progress?.fileDone(src, scanner.counts.read);
  }
  progress?.done();
  return scanner.result();
}

export async function scanCommand(argv: string[], io: CliIo): Promise<number> {
  const { values, positionals } = parseArgs({
    args: argv,
    allowPositionals: true,
    options: {
      until: { type: 'string' },
      window: { type: 'string' },
      config: { type: 'string' },
      json: { type: 'boolean', default: false },
      'no-progress': { type: 'boolean', default: false },
    },
  });
  const options = await commonScanOptions(values, positionals);
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
