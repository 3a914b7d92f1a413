/**
 * Peak RSS for `npm run bench` where GNU time is missing: `node bench.rss.js <out-file> <script> [args...]`
 * runs the script in this process and, at exit, writes process.resourceUsage().maxRSS (kilobytes,
 * all threads) to the out-file.
 */
import { writeFileSync } from 'node:fs';
import * as path from 'node:path';

const [outFile, script, ...args] = process.argv.slice(2);
if (outFile === undefined || script === undefined) {
  process.stderr.write('usage: bench.rss.js <out-file> <script> [args...]\n');
  process.exit(1);
}
process.on('exit', () => writeFileSync(outFile, `${process.resourceUsage().maxRSS}\n`));
process.argv = [process.argv[0] as string, path.resolve(script), ...args];
// The script is a CommonJS entry point (the CLI or a bench child) that runs when loaded.
// eslint-disable-next-line @typescript-eslint/no-require-imports
require(path.resolve(script));
