/**
 * The flow-log group, locally: the log events CloudWatch Logs would hold for the input files of
 * `flowir run`, read again for each interpreted query (streaming, nothing kept).
 *
 * What an event is, from AWS's documentation:
 * - Each flow log record is one log event ("flow log records, which are log events consisting of
 *   fields that describe the traffic flow", https://docs.aws.amazon.com/AWSEC2/latest/APIReference/API_CreateFlowLogs.html),
 *   its `@message` the record as the flow log's LogFormat writes it, fields one space apart
 *   ("Each record is a string with fields separated by spaces",
 *   https://docs.aws.amazon.com/vpc/latest/userguide/flow-log-records.html).
 * - Its timestamp is the record's `start`: "In CloudWatch Logs, the timestamp field corresponds to
 *   the start time that's captured in the flow log record. The ingestionTime field provides the
 *   date and time when the flow log record was received by CloudWatch Logs"
 *   (https://docs.aws.amazon.com/vpc/latest/tgw/flow-logs-cwl.html, the Transit Gateway flow logs
 *   page; the VPC page says the same of VPC flow logs, as handlers/plan-window.ts quotes). So
 *   StartQuery's time range, which selects events by timestamp, selects records by `start`, in
 *   whole seconds; `@timestamp` is `start` × 1000.
 *
 * Local files are read as `flowir scan` reads them (core/flowlog's reference field parser, header
 * lines switching the layout per file, lines before any header in the configured format), then each
 * record is written as the log group would hold it: in the configured format (fields a file's
 * layout lacks as `-`), numbers and addresses in canonical form, one space apart. A line the
 * parser refuses (malformed) is no event: AWS writes no such record, and `flowir scan` reports it.
 * NODATA and SKIPDATA records are events (AWS delivers them, with their start time); a line whose
 * `start` is `-` has no timestamp and is no event. Header lines are not records.
 *
 * Inputs that the fast scan found to hold the same records as others (a sample's two layouts) are
 * left out here too (`leaveOut`), so that each record is one event; S3 objects whose key time rules
 * out the time range are not opened, as `flowir run`'s scan does not open them for its window.
 * Memory: one line and one event at a time.
 */
import type { Readable } from 'node:stream';
import type { FieldSpec } from '../../core/flowlog/fields';
import { FlowLogFormat } from '../../core/flowlog/format';
import { parseField, splitFields, type FieldValue } from '../../core/flowlog/record';
import { mayHoldWindow, objectKeyTime } from '../fast/object-pruning';
import { expandInputs, openSource, type InputSource } from '../input/sources';
import type { LogEvent } from './executor';

export interface LogGroupOptions {
  /** The input files and folders of the run. */
  readonly inputs: readonly string[];
  /** The flow log's LogFormat: the layout of `@message` (the config's `format`). */
  readonly format: FlowLogFormat;
  /** Inputs (files, or folders of a walk) to leave out, as the fast scan left them out as duplicates. */
  readonly leaveOut?: readonly string[];
  /**
   * Skip S3 objects whose key time rules out the time range, as `flowir run`'s scan does
   * (local/fast/object-pruning.ts). @default true
   */
  readonly prune?: boolean;
}

/** StartQuery's time range, epoch seconds, both ends included (StartQueryRequest `startTime`/`endTime`). */
export interface TimeRange {
  readonly startTime: number;
  readonly endTime: number;
}

/** What reading the log group over a time range saw. */
export interface LogGroupScan {
  /** Log events with a timestamp in the range. */
  readonly events: number;
  /** Their `@message` bytes (UTF-8). */
  readonly bytes: number;
  /** Inputs that could not be read to the end (the events before the damage count). */
  readonly problems: readonly string[];
}

export class LogGroupError extends Error {
  override readonly name = 'LogGroupError';
}

export class LogGroup {
  private sources: Promise<InputSource[]> | undefined;
  private readonly format: FlowLogFormat;

  constructor(private readonly options: LogGroupOptions) {
    this.format = options.format;
  }

  private async inputs(): Promise<InputSource[]> {
    this.sources ??= expandInputs(this.options.inputs).then((list) => {
      const leaveOut = new Set(this.options.leaveOut ?? []);
      const kept = [...list].filter((s) => !leaveOut.has(s.path) && !(s.folders ?? []).some((f) => leaveOut.has(f)));
      if (kept.some((s) => s.path === '-')) throw new LogGroupError('stdin (-) cannot be read again for a Logs Insights query: save the flow logs to a file and pass that instead');
      return kept;
    });
    return this.sources;
  }

  /**
   * Every log event whose timestamp is in the range, in input order. `stop` (when given and true)
   * ends the reading early.
   */
  async scan(range: TimeRange, onEvent: (event: LogEvent) => void, stop?: () => boolean): Promise<LogGroupScan> {
    const sources = await this.inputs();
    const reader = new EventReader(this.format, range, onEvent);
    const problems: string[] = [];
    const prune = this.options.prune !== false;
    for (let k = 0; k < sources.length; k++) {
      if (stop?.() === true) break;
      const source = sources[k] as InputSource;
      const keyTime = prune ? objectKeyTime(source.path) : undefined;
      if (keyTime !== undefined && !mayHoldWindow(keyTime, range.startTime, range.endTime + 1)) continue;
      const problem = await reader.read(source, k, stop);
      if (problem !== undefined) problems.push(`${source.name}: ${problem}`);
    }
    return { events: reader.events, bytes: reader.bytes, problems };
  }

  /** The mean `@message` size of the first events (at most `sample`), in bytes; undefined when there are none. */
  async meanMessageBytes(sample = 1000): Promise<number | undefined> {
    let n = 0;
    const got = await this.scan({ startTime: 0, endTime: Number.MAX_SAFE_INTEGER }, () => void n++, () => n >= sample);
    return got.events === 0 ? undefined : got.bytes / got.events;
  }
}

class EventReader {
  events = 0;
  bytes = 0;
  private readonly layouts = new Map<FlowLogFormat, Layout>();

  constructor(
    private readonly group: FlowLogFormat,
    private readonly range: TimeRange,
    private readonly onEvent: (event: LogEvent) => void,
  ) {}

  private layout(format: FlowLogFormat): Layout {
    let l = this.layouts.get(format);
    if (l === undefined) {
      const same = format.equals(this.group);
      l = { format, width: format.fields.length, startAt: format.indexOf('start'), specs: format.specs, toGroup: same ? undefined : this.group.fields.map((f) => format.indexOf(f)) };
      this.layouts.set(format, l);
    }
    return l;
  }

  read(source: InputSource, fileIndex: number, stop: (() => boolean) | undefined): Promise<string | undefined> {
    let layout = this.layout(this.group);
    let lineNo = 0;
    const { startTime, endTime } = this.range;
    const onLine = (line: string): void => {
      lineNo++;
      // Header lines are lower-case field names; a record never starts so unless its first field is text or an IPv6 address.
      const first = line.charCodeAt(0);
      if (first >= 97 && first <= 122) {
        const header = FlowLogFormat.fromHeader(line);
        if (header !== undefined) {
          layout = this.layout(header);
          return;
        }
      }
      const tokens = fieldsOf(line);
      // What the reference parser (parseLine) calls malformed is no event: a wrong field count, or a field that does not parse.
      if (tokens.length === 0 || tokens.length !== layout.width || layout.startAt === -1) return;
      // The time range first: a record outside it is no event of this query, whatever its other fields.
      const startValue = parseField(layout.specs[layout.startAt] as FieldSpec, tokens[layout.startAt] as string);
      if (!('value' in startValue) || typeof startValue.value !== 'number' || startValue.value < startTime || startValue.value > endTime) return;
      const values = new Array<string>(tokens.length);
      for (let k = 0; k < tokens.length; k++) {
        const r = parseField(layout.specs[k] as FieldSpec, tokens[k] as string);
        if (!('value' in r)) return;
        values[k] = text(r.value);
      }
      const fields = layout.toGroup === undefined ? values : layout.toGroup.map((k) => (k === -1 ? '-' : (values[k] as string)));
      const message = fields.join(' ');
      this.events++;
      this.bytes += Buffer.byteLength(message, 'utf8');
      this.onEvent({ timestamp: startValue.value * 1000, message, ptr: `${fileIndex.toString(36)}-${lineNo.toString(36)}`, fields });
    };
    return openSource(source).then(
      (opened) => eachLine(opened.stream, opened.gzip, onLine, stop),
      (e: unknown) => `cannot read (${(e as Error).message})`,
    );
  }
}

/** How one record layout maps to the log group's. */
interface Layout {
  readonly format: FlowLogFormat;
  readonly width: number;
  readonly startAt: number;
  readonly specs: readonly FieldSpec[];
  /** Per log-group field, its position in this layout (-1: absent); undefined when the layouts are the same. */
  readonly toGroup: readonly number[] | undefined;
}

/** splitFields (the reference split), with a quicker path for the usual line: single spaces, no tab, no CR. */
function fieldsOf(line: string): string[] {
  const n = line.length;
  if (n > 0 && line.charCodeAt(0) !== 32 && line.charCodeAt(n - 1) !== 32 && line.charCodeAt(n - 1) !== 13 && line.indexOf('\t') === -1 && line.indexOf('  ') === -1) return line.split(' ');
  return splitFields(line);
}

const text = (v: FieldValue): string => (v === null ? '-' : typeof v === 'string' ? v : String(v));

/** Call `onLine` for each line; resolves with a reason when the stream broke before its end. */
function eachLine(stream: Readable, gzip: boolean, onLine: (line: string) => void, stop: (() => boolean) | undefined): Promise<string | undefined> {
  return new Promise((resolve, reject) => {
    let pending = '';
    let done = false;
    const finish = (value: string | undefined): void => {
      if (done) return;
      done = true;
      resolve(value);
    };
    stream.setEncoding('utf8');
    // 'data' events rather than async iteration: on a damaged gzip member, iteration would drop the lines already decoded.
    stream.on('data', (chunk: string) => {
      if (done) return;
      try {
        const all = pending + chunk;
        let from = 0;
        let nl = all.indexOf('\n');
        while (nl !== -1) {
          onLine(all.slice(from, nl));
          from = nl + 1;
          if (stop?.() === true) {
            stream.destroy();
            finish(undefined);
            return;
          }
          nl = all.indexOf('\n', from);
        }
        pending = all.slice(from);
      } catch (e) {
        done = true;
        stream.destroy();
        reject(e instanceof Error ? e : new Error(String(e)));
      }
    });
    stream.once('end', () => {
      if (done) return;
      try {
        if (pending.length > 0) onLine(pending);
        finish(undefined);
      } catch (e) {
        done = true;
        reject(e instanceof Error ? e : new Error(String(e)));
      }
    });
    stream.once('error', (e: Error) => finish(gzip ? `damaged gzip data (${e.message})` : `read error (${e.message})`));
  });
}
