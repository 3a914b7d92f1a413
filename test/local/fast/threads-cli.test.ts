/**
 * The threaded fast path, through the built CLI (worker threads load the compiled worker, so this
 * runs `node bin/flowir.js`; `npm test` builds first): same JSON as the reference scanner, with
 * whole files and byte ranges spread over worker threads.
 */
import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { promisify } from 'node:util';
import { toJson } from '../../../core/detection/findings';
import { DEFAULT_CONFIG } from '../../../core/detection/config';
import { scanJson } from '../../../local/cli/scan-command';
import { writeSample } from '../../../local/sample/write';
import { adversarialText, gz, NOW, referenceScan } from './reference';

const ROOT = path.resolve(__dirname, '../../..');
const CLI = path.join(ROOT, 'bin/flowir.js');
const WORKER = path.join(ROOT, 'dist/local/fast/worker.js');
const run = promisify(execFile);

interface CliScan {
  records: Record<string, unknown>;
  [key: string]: unknown;
}

async function cliScan(args: string[], env: Record<string, string>): Promise<CliScan> {
  const { stdout } = await run(process.execPath, [CLI, 'scan', ...args, '--json', '--no-progress'], { env: { ...process.env, ...env }, maxBuffer: 64 << 20 });
  return JSON.parse(stdout) as CliScan;
}

/** The reference result as the CLI prints it (bigints as exact JSON numbers, read back as numbers). */
async function referenceJson(paths: string[], until?: number): Promise<CliScan> {
  const r = await referenceScan(paths, { config: DEFAULT_CONFIG, ...(until !== undefined ? { until } : {}) });
  return JSON.parse(toJson(scanJson(r))) as CliScan;
}

/** Without the counts the reference has not: objects, and what was passed over or left out (none here). */
const withoutObjectCounts = (j: CliScan): CliScan => {
  const { objectsRead: _r, objectsSkipped: _s, filesIgnored, ignored, duplicates, duplicateOf, ...records } = j.records;
  expect({ filesIgnored, ignored, duplicates, duplicateOf }).toEqual({ filesIgnored: 0, ignored: [], duplicates: 0, duplicateOf: [] });
  return { ...j, records };
};

describe('flowir scan on worker threads (built CLI)', () => {
  let dir: string;
  let inputs: string[];
  beforeAll(async () => {
    if (!existsSync(WORKER)) throw new Error(`${WORKER} is missing: run npm run build before these tests`);
    dir = await mkdtemp(path.join(tmpdir(), 'flowir-threads-'));
    // Two samples and two texts: inputs holding the same records would be read once (duplicates.ts),
    // and the reference reads everything given.
    const sample = await writeSample(path.join(dir, 'sample'), { records: 6000, seed: 5, format: 'v5' });
    const other = await writeSample(path.join(dir, 'other'), { records: 6000, seed: 6, format: 'v5' });
    const text = adversarialText(21, 3000);
    const plain = path.join(dir, 'adversarial.log');
    await writeFile(plain, text);
    await writeFile(path.join(dir, 'adversarial.log.gz'), gz(adversarialText(22, 3000)));
    // Cut short: the zlib path gives up on it in a worker, and the scan starts over with the reference pipeline.
    const packed = gz(text);
    await writeFile(path.join(dir, 'cut.log.gz'), packed.subarray(0, packed.length - 100));
    inputs = [sample.s3Root, other.plainFile, plain, path.join(dir, 'adversarial.log.gz'), path.join(dir, 'cut.log.gz')];
  });
  afterAll(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it.each([
    ['with --until', NOW],
    ['without --until', undefined],
  ])('prints what the reference scanner finds, %s, files and byte ranges on 2 threads', async (_name, until) => {
    const args = [...inputs, ...(until !== undefined ? ['--until', String(until)] : [])];
    const reference = await referenceJson(inputs, until);
    const threaded = await cliScan(args, { FLOWIR_THREADS: '2', FLOWIR_PRUNE: '0', FLOWIR_PIECE_BYTES: '50000' });
    expect(withoutObjectCounts(threaded)).toEqual(reference);
    expect(threaded.records).toMatchObject({ objectsRead: 24, objectsSkipped: 0 });
    // Without --until, an adversarial start far in the future sets the window: an edge case with no findings.
    if (until === undefined) expect(reference.findings).toEqual([]);
    else expect((reference.findings as unknown[]).length).toBeGreaterThanOrEqual(7);
  });

  it('prunes S3 objects with --prune and says so in records, with the same findings', async () => {
    const reference = await referenceJson(inputs, NOW);
    const pruned = await cliScan([...inputs, '--until', String(NOW), '--prune'], { FLOWIR_THREADS: '2' });
    expect(pruned.findings).toEqual(reference.findings);
    expect(pruned.records).toMatchObject({ inWindow: reference.records.inWindow, objectsRead: 15, objectsSkipped: 9, files: 19 });
  });
});
