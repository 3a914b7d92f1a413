import { formatDuration, parseInstant } from '../../core/detection/window';
import { SAMPLE_DEFAULTS, sampleSpan } from '../../core/sample/generate';
import { writeSample } from '../sample/write';
import { ArgumentError, parseCommandArgs } from './args';
import { SAMPLE_COMMAND, SAMPLE_MAX_RECORDS, SAMPLE_MAX_SEED } from './command-specs';
import { UsageError, EXIT_OK } from './errors';
import type { CliIo } from './scan-command';
import { loadConfig } from './scan-command';

/** A whole number within [0, max]; `_` may group digits (`1_000_000`). */
function wholeNumber(option: string, text: string | undefined, fallback: number, max: number): number {
  if (text === undefined) return fallback;
  const digits = text.trim().replace(/_/g, '');
  if (!/^\d+$/.test(digits)) throw new UsageError(`${option}: expected a whole number, got "${text}"`);
  const n = Number(digits);
  if (n > max) throw new UsageError(`${option}: at most ${max.toLocaleString('en-US')}, got ${text}`);
  return n;
}

export async function sampleCommand(argv: string[], io: CliIo): Promise<number> {
  const { values, positionals } = parseCommandArgs(SAMPLE_COMMAND, argv);
  const [outDir, ...extra] = positionals;
  if (outDir === undefined) throw new ArgumentError('an output folder is needed: flowir sample <out-dir>');
  if (extra.length > 0) throw new ArgumentError(`one output folder, got ${positionals.length}: ${positionals.join(' ')}`);
  const records = wholeNumber('--records', values.records, SAMPLE_DEFAULTS.records, SAMPLE_MAX_RECORDS);
  const seed = wholeNumber('--seed', values.seed, SAMPLE_DEFAULTS.seed, SAMPLE_MAX_SEED);
  const format = values.format ?? 'v2';
  if (format !== 'v2' && format !== 'v5') throw new UsageError(`--format: expected v2 or v5, got "${format}"`);
  const until = values.until === undefined ? SAMPLE_DEFAULTS.until : parseInstant(values.until, '--until');
  if (until % 3600 !== 0) throw new UsageError(`--until: the sample's window end must be a whole hour, got "${values.until}"`);
  const config = await loadConfig(values.config);
  const span = sampleSpan({ ...SAMPLE_DEFAULTS, until, config });
  if (span.start < 0) throw new UsageError(`--until: the sample covers the ${formatDuration(span.end - span.start)} before it, which would start before 1970-01-01; give a later time`);
  const large = records >= 500_000;
  const written = await writeSample(outDir, { records, seed, format, until, config }, (n) => {
    if (large && n % 4 === 0) io.stderr.write(`sample: ${n} objects written\n`);
  });
  io.stdout.write(
    [
      `Wrote ${written.records.toLocaleString('en-US')} flow-log records (${format}) in two layouts:`,
      `  S3 delivery layout (${written.objects} gz objects): ${written.s3Root}`,
      `  one plain file:                       ${written.plainFile}`,
      `  what was planted, what to expect:     ${written.manifestFile}`,
      `Window with the planted incidents: ${new Date((until - config.windowSeconds) * 1000).toISOString()} → ${new Date(until * 1000).toISOString()}`,
      '',
    ].join('\n'),
  );
  return EXIT_OK;
}
