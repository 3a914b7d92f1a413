import { parseArgs } from 'node:util';
import { parseInstant } from '../../core/detection/window';
import { writeSample } from '../sample/write';
import { UsageError, EXIT_OK } from './errors';
import type { CliIo } from './scan-command';
import { loadConfig } from './scan-command';

export async function sampleCommand(argv: string[], io: CliIo): Promise<number> {
  const { values, positionals } = parseArgs({
    args: argv,
    allowPositionals: true,
    options: {
      records: { type: 'string' },
      seed: { type: 'string' },
      format: { type: 'string' },
      until: { type: 'string' },
      config: { type: 'string' },
    },
  });
  const [outDir, ...extra] = positionals;
  if (outDir === undefined || extra.length > 0) throw new UsageError('sample takes one output folder: flowir sample <out-dir> [--records N] [--seed S] [--format v2|v5]');
  const whole = (name: string, text: string | undefined, fallback: number): number => {
    if (text === undefined) return fallback;
    if (!/^\d+$/.test(text.replace(/_/g, ''))) throw new UsageError(`--${name}: expected a whole number, got "${text}"`);
    return Number(text.replace(/_/g, ''));
  };
  const format = values.format ?? 'v2';
  if (format !== 'v2' && format !== 'v5') throw new UsageError(`--format: expected v2 or v5, got "${format}"`);
  const until = values.until === undefined ? 1763805600 : parseInstant(values.until, '--until');
  if (until % 3600 !== 0) throw new UsageError(`--until: the sample's window end must be a whole hour, got ${until}`);
  const config = await loadConfig(values.config);
  const records = whole('records', values.records, 20_000);
  const large = records >= 500_000;
  const written = await writeSample(outDir, { records, seed: whole('seed', values.seed, 1), format, until, config }, (n) => {
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
