import { PassThrough, Writable } from 'node:stream';
import { main } from '../../../local/cli/main';

class Capture extends Writable {
  text = '';
  override _write(chunk: Buffer | string, _encoding: BufferEncoding, done: (error?: Error | null) => void): void {
    this.text += chunk.toString();
    done();
  }
}

export interface MainRun {
  readonly code: number;
  readonly stdout: string;
  readonly stderr: string;
}

/** `flowir ...` in-process, through main() as bin/flowir.js calls it, with stdin empty unless given. */
export async function flowir(argv: string[], stdinText = ''): Promise<MainRun> {
  const stdout = new Capture();
  const stderr = new Capture();
  const stdin = new PassThrough();
  stdin.end(stdinText);
  const code = await main(argv, { stdout, stderr, stdin });
  return { code, stdout: stdout.text, stderr: stderr.text };
}
