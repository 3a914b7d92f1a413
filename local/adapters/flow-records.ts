import type { Readable } from 'node:stream';
import { parseAddress } from '../../core/flowlog/address';
import { FlowLogFormat } from '../../core/flowlog/format';
import { parseLine, splitFields } from '../../core/flowlog/record';
import type { FlowRecordSource } from '../../handlers/ports';
import { expandInputs, openSource, type InputSource } from '../input/sources';

export class FlowRecordSourceError extends Error {
  override readonly name = 'FlowRecordSourceError';
}

/**
 * The raw flow records behind a finding, read again from the input files of `flowir run` (Logs
 * Insights or the S3 archive on AWS): every record line whose srcaddr is the source and whose
 * start is in the window. Header lines switch the format per file as in a scan; lines without a
 * header use the default format. The result has one format, that of the first matching line;
 * a matching line in another format is rewritten into it (fields it lacks as `-`). Files that
 * cannot be read whole are named in `query`, so the evidence says it may be incomplete.
 */
export class InputFlowRecordSource implements FlowRecordSource {
  private inputs: Promise<InputSource[]> | undefined;

  constructor(
    private readonly paths: readonly string[],
    private readonly defaultFormat: FlowLogFormat = FlowLogFormat.V2,
  ) {}

  async records(source: string, window: { start: number; end: number }): Promise<{ readonly format: string; readonly lines: string[]; readonly query: string }> {
    const address = parseAddress(source);
    if (address === undefined) throw new FlowRecordSourceError(`source: ${JSON.stringify(source)} is not an IPv4 or IPv6 address`);
    if (!Number.isSafeInteger(window.start) || !Number.isSafeInteger(window.end) || window.end <= window.start) {
      throw new FlowRecordSourceError(`window: expected whole epoch seconds with start < end, got ${JSON.stringify(window)}`);
    }
    this.inputs ??= expandInputs(this.paths);
    const inputs = await this.inputs;
    const stdin = inputs.find((i) => i.path === '-');
    if (stdin !== undefined) throw new FlowRecordSourceError('stdin (-) cannot be read a second time for evidence: save the flow logs to a file and pass that instead');

    const matcher = new RecordMatcher(address.text, address.version === 4, window, this.defaultFormat);
    const problems: string[] = [];
    for (const input of inputs) {
      const problem = await matcher.readFile(input);
      if (problem !== undefined) problems.push(`${input.name}: ${problem}`);
    }
    const format = matcher.format ?? this.defaultFormat;
    const where = `srcaddr = ${address.text} and start in [${window.start}, ${window.end}) (${iso(window.start)} to ${iso(window.end)})`;
    const files = inputs.length === 1 ? `1 input file (${inputs[0]?.name ?? ''})` : `${inputs.length} input files`;
    const query = `local scan of ${files}: ${where}${problems.length > 0 ? `; INCOMPLETE, not read to the end: ${problems.join('; ')}` : ''}`;
    return { format: format.header(), lines: matcher.lines, query };
  }
}

class RecordMatcher {
  readonly lines: string[] = [];
  format: FlowLogFormat | undefined;

  constructor(
    private readonly source: string,
    /** IPv4 text in flow logs is always canonical, so a substring test can skip most lines unparsed. */
    private readonly prefilter: boolean,
    private readonly window: { start: number; end: number },
    private readonly defaultFormat: FlowLogFormat,
  ) {}

  /** Scan one file; a reason when it could not be read to the end. */
  async readFile(input: InputSource): Promise<string | undefined> {
    let lineFormat = this.defaultFormat;
    let opened;
    try {
      opened = await openSource(input);
    } catch (e) {
      return `cannot read (${(e as Error).message})`;
    }
    return eachLine(opened.stream, opened.gzip, (line) => {
      const header = FlowLogFormat.fromHeader(line);
      if (header !== undefined) {
        lineFormat = header;
        return;
      }
      if (this.prefilter && !line.includes(this.source)) return;
      const r = parseLine(line, lineFormat);
      if (r.kind !== 'record' || r.record.srcaddr !== this.source) return;
      if (r.record.start < this.window.start || r.record.start >= this.window.end) return;
      this.format ??= lineFormat;
      this.lines.push(lineFormat.equals(this.format) ? withoutCr(line) : rewrite(splitFields(line), lineFormat, this.format));
    });
  }
}

function withoutCr(line: string): string {
  return line.endsWith('\r') ? line.slice(0, -1) : line;
}

function rewrite(tokens: readonly string[], from: FlowLogFormat, to: FlowLogFormat): string {
  return to.fields.map((f) => tokens[from.indexOf(f)] ?? '-').join(' ');
}

/** Call `onLine` for each line; resolves with a reason when the stream broke before its end. */
function eachLine(stream: Readable, gzip: boolean, onLine: (line: string) => void): Promise<string | undefined> {
  return new Promise((resolve, reject) => {
    let pending = '';
    let done = false;
    stream.setEncoding('utf8');
    // 'data' events rather than async iteration: on a damaged gzip member, iteration would drop the lines already decoded.
    stream.on('data', (chunk: string) => {
      if (done) return;
      try {
        const parts = (pending + chunk).split('\n');
        pending = parts.pop() ?? '';
        for (const line of parts) onLine(line);
      } catch (e) {
        done = true;
        stream.destroy();
        reject(e instanceof Error ? e : new Error(String(e)));
      }
    });
    stream.once('end', () => {
      if (done) return;
      done = true;
      try {
        if (pending.length > 0) onLine(pending);
        resolve(undefined);
      } catch (e) {
        reject(e instanceof Error ? e : new Error(String(e)));
      }
    });
    stream.once('error', (e: Error) => {
      if (done) return;
      done = true;
      resolve(gzip ? `damaged gzip data (${e.message})` : `read error (${e.message})`);
    });
  });
}

function iso(seconds: number): string {
  return new Date(seconds * 1000).toISOString().replace('.000Z', 'Z');
}
