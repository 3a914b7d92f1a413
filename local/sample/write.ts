import { once } from 'node:events';
import { createWriteStream } from 'node:fs';
import { mkdir, writeFile } from 'node:fs/promises';
import * as path from 'node:path';
import { promisify } from 'node:util';
import { gzip } from 'node:zlib';
import { generateSample, resolveSampleOptions, sampleFormat, samplePlantedIncidents, type SampleOptions } from '../../core/sample/generate';
import { toJson } from '../../core/detection/findings';

const gzipAsync = promisify(gzip);

export interface WrittenSample {
  /** Root of the S3 delivery layout (contains `AWSLogs/`). */
  readonly s3Root: string;
  /** All records in one plain file with a header line. */
  readonly plainFile: string;
  /** What was planted and what a scan must find. */
  readonly manifestFile: string;
  readonly objects: number;
  /** Record lines written (background and planted; each appears once in each layout). */
  readonly records: number;
}

/** Write a sample as S3 objects (gz, header line) and as one plain file, plus a manifest of what was planted. */
export async function writeSample(outDir: string, options: Partial<SampleOptions>, onObject?: (done: number) => void): Promise<WrittenSample> {
  const o = resolveSampleOptions(options);
  const header = sampleFormat(o.format).header();
  const s3Root = path.join(outDir, 's3');
  const plainFile = path.join(outDir, 'plain', 'flow-logs.log');
  await mkdir(path.dirname(plainFile), { recursive: true });
  const plain = createWriteStream(plainFile);
  const write = async (text: string): Promise<void> => {
    if (!plain.write(text)) await once(plain, 'drain');
  };
  await write(`${header}\n`);
  let objects = 0;
  let records = 0;
  let pendingGzip: Promise<void> = Promise.resolve();
  for (const obj of generateSample(o)) {
    const body = `${header}\n${obj.lines.join('\n')}\n`;
    const file = path.join(s3Root, obj.key);
    await pendingGzip;
    // Compress one object while the next is generated.
    pendingGzip = mkdir(path.dirname(file), { recursive: true })
      .then(() => gzipAsync(body))
      .then((gz) => writeFile(file, gz));
    if (obj.lines.length > 0) await write(`${obj.lines.join('\n')}\n`);
    objects++;
    records += obj.lines.length;
    onObject?.(objects);
  }
  await pendingGzip;
  await new Promise<void>((resolve, reject) => plain.end((e?: Error | null) => (e ? reject(e) : resolve())));
  const manifestFile = path.join(outDir, 'planted.json');
  const planted = samplePlantedIncidents(o).map((i) => ({ name: i.name, description: i.description, flows: i.flows.length, expect: i.expect }));
  await writeFile(manifestFile, `${toJson({ seed: o.seed, format: o.format, records, window: { start: o.until - o.config.windowSeconds, end: o.until }, planted }, 2)}\n`);
  return { s3Root, plainFile, manifestFile, objects, records };
}
