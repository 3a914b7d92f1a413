/**
 * Peak RSS for `npm run bench` where GNU time is missing: `node bench.rss.js <out-file> <script> [args...]`
 * runs the script in this process and, at exit, writes to the out-file what GNU time's
 * `-f '%M %U %S'` would: peak RSS in kilobytes (all threads), user and system CPU seconds.
 */
import { writeFileSync } from 'node:fs';
import * as path from 'node:path';

const [outFile, script, ...args] = process.argv.slice(2);
if (outFile === undefined || script === undefined) {
  process.stderr.write('usage: bench.rss.js <out-file> <script> [args...]\n');
  process.exit(1);
}
process.on('exit', () => {
  const u = process.resourceUsage();
  writeFileSync(outFile, `${u.maxRSS} ${u.userCPUTime / 1e6} ${u.systemCPUTime / 1e6}\n`);
});
process.argv = [process.argv[0] as string, path.resolve(script), ...args];
// The script is a CommonJS entry point (the CLI or a bench child) that runs when loaded.
// eslint-disable-next-line @typescript-eslint/no-require-imports
require(path.resolve(script));
