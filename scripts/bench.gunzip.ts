/**
 * The floor of `npm run bench`: gunzip every object of a folder and do nothing else, on worker
 * threads as flowir does. `node dist/scripts/bench.gunzip.js <whole|zlib|flowir> <folder> [threads]`.
 * - `whole`: Node's zlib `gunzipSync` on each file read whole, as flowir's fast path decodes S3
 *   objects, the output dropped: the cost of decompression alone.
 * - `zlib`: Node's zlib `createGunzip` streams (1 MB chunks), as flowir streams larger gzip files.
 * - `flowir`: flowir's reference input pipeline (`openSource`: member-by-member gunzip with CRC
 *   checks, so a damaged member keeps the records before it), which the scan falls back to for
 *   damaged files and stdin; the output dropped.
 */
import { createReadStream, readFileSync } from 'node:fs';
import { isMainThread, parentPort, Worker, workerData } from 'node:worker_threads';
import { createGunzip, gunzipSync } from 'node:zlib';
import type { Readable } from 'node:stream';
import { expandInputs, openSource } from '../local/input/sources';

interface Job {
  readonly mode: string;
  readonly files: readonly string[];
}

function drain(stream: Readable): Promise<number> {
  return new Promise((resolve, reject) => {
    let bytes = 0;
    stream.on('data', (chunk: Buffer) => {
      bytes += chunk.length;
    });
    stream.once('end', () => resolve(bytes));
    stream.once('error', reject);
  });
}

async function gunzipFile(mode: string, file: string): Promise<number> {
  if (mode === 'whole') return gunzipSync(readFileSync(file), { chunkSize: 33 << 20 }).length;
  if (mode === 'zlib') return drain(createReadStream(file, { highWaterMark: 1 << 20 }).pipe(createGunzip({ chunkSize: 1 << 20 })));
  const { stream } = await openSource({ name: file, path: file, size: 0 });
  return drain(stream);
}

async function worker(): Promise<void> {
  const job = workerData as Job;
  const port = parentPort;
  if (port === null) return;
  port.on('message', (i: number) => {
    const file = job.files[i];
    if (file === undefined) {
      port.close();
      return;
    }
    // A failure is unhandled here on purpose: it ends the worker with an 'error' the main thread reports.
    void gunzipFile(job.mode, file).then((bytes) => port.postMessage(bytes));
  });
}

async function main(): Promise<void> {
  const [mode, folder, threadsText] = process.argv.slice(2);
  if ((mode !== 'whole' && mode !== 'zlib' && mode !== 'flowir') || folder === undefined) throw new Error('usage: bench.gunzip.js <whole|zlib|flowir> <folder> [threads]');
  const files = (await expandInputs([folder])).map((s) => s.path);
  const threads = Number(threadsText ?? 2);
  let next = 0;
  let total = 0;
  await Promise.all(
    Array.from({ length: threads }, () => {
      const w = new Worker(__filename, { workerData: { mode, files } satisfies Job });
      return new Promise<void>((resolve, reject) => {
        w.on('message', (bytes: number) => {
          total += bytes;
          w.postMessage(next++);
        });
        w.once('error', reject);
        w.once('exit', () => resolve());
        w.postMessage(next++);
      });
    }),
  );
  process.stdout.write(`${JSON.stringify({ files: files.length, bytes: total })}\n`);
}

if (isMainThread) {
  main().catch((e: unknown) => {
    process.stderr.write(`bench.gunzip: ${e instanceof Error ? (e.stack ?? e.message) : String(e)}\n`);
    process.exitCode = 1;
  });
} else {
  void worker();
}
