/**
 * DuckDB is loaded by the athena engine alone: importing the local Athena (as the local runtime does
 * for every run) loads no DuckDB module; creating one does.
 */
import { execFile } from 'node:child_process';
import * as path from 'node:path';
import { promisify } from 'node:util';

const REPO = path.join(__dirname, '..', '..', '..');
const TSX = path.join(REPO, 'node_modules', '.bin', 'tsx');

const PRINT = `console.log(Object.keys(require.cache).some((k) => k.includes('@duckdb')))`;

/** Whether a script that ends by calling PRINT had DuckDB loaded by then. */
async function loadedDuckDb(script: string): Promise<boolean> {
  const { stdout } = await promisify(execFile)(TSX, ['-e', script], { cwd: REPO, timeout: 60_000 });
  return stdout.trim().split('\n').pop() === 'true';
}

it('importing local/athena loads no DuckDB', async () => {
  expect(await loadedDuckDb(`require('./local/athena'); ${PRINT}`)).toBe(false);
}, 60_000);

it('creating a local Athena does', async () => {
  const script = `require('./local/athena').createLocalAthena({ inputs: ['test/fixtures/flowlogs/plain'], format: 'v2' }).then((a) => a.close()).then(() => ${PRINT})`;
  expect(await loadedDuckDb(script)).toBe(true);
}, 60_000);
