import { DEFAULT_CONFIG, type FlowirConfig } from '../../core/detection/config';
import { parseAddress } from '../../core/flowlog/address';
import { FlowLogFormat } from '../../core/flowlog/format';
import { splitFields } from '../../core/flowlog/record';
import type { FlowRecordSource } from '../../handlers/ports';
import { collectRecords, ScanAborted } from '../fast/fast-scan';
import { expandInputs, type InputSource } from '../input/sources';

export class FlowRecordSourceError extends Error {
  override readonly name = 'FlowRecordSourceError';
}

/** How requests are gathered into one pass over the inputs. */
export interface FlowRecordSourceOptions {
  /**
   * A pass begins once no request for its window has come for this long, in milliseconds: the
   * incidents of a run start together, and each asks for its source at once. @default 100
   */
  readonly quietMs?: number;
  /** ...or at the latest this long after the first request it answers. @default 1000 */
  readonly maxWaitMs?: number;
  /** Scan threads (see fastScan); 0 reads on the calling thread. Default: by input size and cores. */
  readonly threads?: number;
  /** Told of each pass over the inputs as it begins: its window and how many sources it collects. */
  readonly onPass?: (pass: { readonly window: { readonly start: number; readonly end: number }; readonly sources: number }) => void;
  /** See RESTART_BEFORE (tests). */
  readonly restartBefore?: number;
}

/**
 * A request for a new source that comes while a pass has read less than this share of the inputs
 * stops that pass and starts it again with the new source too (the incidents of a run start in a
 * few bursts, one per detection): the work thrown away is less than what a second pass would take.
 */
const RESTART_BEFORE = 0.5;
/** ...at most this many times per window; later ones wait for the next pass. */
const MAX_RESTARTS = 3;

/** What a pass is given: a signal to stop it, and where to tell how far it got (a share of the inputs). */
interface PassControl {
  readonly signal: AbortSignal;
  readonly progress: (share: number) => void;
}

type FlowRecords = Awaited<ReturnType<FlowRecordSource['records']>>;

interface Waiter {
  readonly resolve: (r: FlowRecords) => void;
  readonly reject: (e: Error) => void;
}

/**
 * The raw flow records behind a finding, read again from the input files of `flowir run` (Logs
 * Insights or the S3 archive on AWS): every record line whose srcaddr is the source and whose
 * start is in the window. Header lines switch the format per file as in a scan; lines without a
 * header use the default format. The result has one format, that of the first matching line;
 * a matching line in another format is rewritten into it (fields it lacks as `-`). Files that
 * cannot be read whole are named in `query`, so the evidence says it may be incomplete.
 *
 * The inputs are not read once per request: the requests for one window that come together (a
 * run's incidents start at once) are answered by one pass of the fast scan (collectRecords), which
 * keeps the lines of those sources alone and reads the inputs as the run's own scan does: S3
 * objects whose key time rules out the window are not read, and of inputs that hold the same
 * records (the two layouts `flowir sample` writes side by side) one is read, so no record is
 * listed twice. Requests that come while a pass runs are answered by the next one. Nothing is kept
 * once a pass has answered its requests.
 */
export class InputFlowRecordSource implements FlowRecordSource {
  private inputs: Promise<InputSource[]> | undefined;
  private readonly batches = new Map<string, WindowBatch>();
  private readonly config: FlowirConfig;
  /** Passes over the inputs so far. */
  passes = 0;

  constructor(
    private readonly paths: readonly string[],
    private readonly defaultFormat: FlowLogFormat = FlowLogFormat.V2,
    private readonly options: FlowRecordSourceOptions = {},
  ) {
    // The scan reads lines without a header in the config's format; nothing else of the config matters here.
    this.config = { ...DEFAULT_CONFIG, format: defaultFormat.header() };
  }

  async records(source: string, window: { start: number; end: number }): Promise<FlowRecords> {
    const address = parseAddress(source);
    if (address === undefined) throw new FlowRecordSourceError(`source: ${JSON.stringify(source)} is not an IPv4 or IPv6 address`);
    if (!Number.isSafeInteger(window.start) || !Number.isSafeInteger(window.end) || window.end <= window.start) {
      throw new FlowRecordSourceError(`window: expected whole epoch seconds with start < end, got ${JSON.stringify(window)}`);
    }
    this.inputs ??= expandInputs(this.paths);
    const inputs = await this.inputs;
    const stdin = inputs.find((i) => i.path === '-');
    if (stdin !== undefined) throw new FlowRecordSourceError('stdin (-) cannot be read a second time for evidence: save the flow logs to a file and pass that instead');
    return this.batchFor(inputs, window).request(address.text);
  }

  /**
   * Say which sources' records of a window will be asked for (the sources of the findings a run's
   * scan made): one pass for all of them begins now, so that the requests, as they come, find their
   * answers ready or on the way. Their answers are kept until asked for.
   */
  async expect(window: { start: number; end: number }, sources: readonly string[]): Promise<void> {
    const canonical = sources.map((s) => parseAddress(s)?.text).filter((s): s is string => s !== undefined);
    if (canonical.length === 0 || !Number.isSafeInteger(window.start) || !Number.isSafeInteger(window.end) || window.end <= window.start) return;
    this.inputs ??= expandInputs(this.paths);
    const inputs = await this.inputs;
    if (inputs.some((i) => i.path === '-')) return;
    this.batchFor(inputs, window).expect([...new Set(canonical)]);
  }

  private batchFor(inputs: readonly InputSource[], window: { start: number; end: number }): WindowBatch {
    const w = { start: window.start, end: window.end };
    const key = `${w.start}-${w.end}`;
    let batch = this.batches.get(key);
    if (batch === undefined) {
      const created: WindowBatch = new WindowBatch((sources, control) => this.pass(inputs, w, sources, control), this.options, () => {
        if (this.batches.get(key) === created) this.batches.delete(key);
      });
      this.batches.set(key, created);
      batch = created;
    }
    return batch;
  }

  /** One pass over the inputs for these sources: the answer for each. */
  private async pass(inputs: readonly InputSource[], window: { start: number; end: number }, sources: readonly string[], control: PassControl): Promise<FlowRecords[]> {
    this.passes++;
    this.options.onPass?.({ window, sources: sources.length });
    const total = Math.max(1, inputs.reduce((n, i) => n + i.size, 0));
    let read = 0;
    const collected = await collectRecords(inputs, {
      config: this.config,
      window,
      sources,
      signal: control.signal,
      onRead: (bytes) => control.progress((read += bytes) / total),
      ...(this.options.threads !== undefined ? { threads: this.options.threads } : {}),
    });
    const files = inputs.length === 1 ? `1 input file (${inputs[0]?.name ?? ''})` : `${inputs.length} input files`;
    const notes: string[] = [];
    const skipped = collected.objectsSkipped;
    if (skipped > 0) notes.push(`${skipped} S3 object${skipped === 1 ? '' : 's'} not read, as their key time rules out the window`);
    if (collected.duplicateOf.length > 0) {
      const n = collected.duplicates;
      const list = collected.duplicateOf.map((d) => `${d.path}${d.files > 1 ? ` (${d.files} files)` : ''} = ${d.sameAs}`);
      notes.push(`${n} input file${n === 1 ? '' : 's'} left out as holding the same records as others: ${list.join('; ')}`);
    }
    const incomplete = collected.problems.length > 0 ? `; INCOMPLETE, not read to the end: ${collected.problems.map((p) => `${p.file}: ${p.reason}`).join('; ')}` : '';
    return sources.map((source, i) => {
      const runs = collected.linesOf(i);
      const first = runs[0];
      const format = first === undefined ? this.defaultFormat : new FlowLogFormat(first.fields);
      const lines: string[] = [];
      for (const run of runs) {
        if (sameFields(run.fields, format.fields)) for (const line of run.lines) lines.push(withoutCr(line));
        else {
          const from = new FlowLogFormat(run.fields);
          for (const line of run.lines) lines.push(rewrite(splitFields(line), from, format));
        }
      }
      const where = `srcaddr = ${source} and start in [${window.start}, ${window.end}) (${iso(window.start)} to ${iso(window.end)})`;
      const query = `local scan of ${files}: ${where}${notes.length > 0 ? ` (${notes.join('; ')})` : ''}${incomplete}`;
      return { format: format.header(), lines, query };
    });
  }
}

/**
 * The requests for one window: gathered, then answered by one pass. A request for a source the
 * running pass collects waits for it; one for another source starts the pass again with it, if the
 * pass is not far along (RESTART_BEFORE), or else waits for the next. Sources announced by
 * `expect` start a pass at once, and their answers are kept until asked for.
 */
class WindowBatch {
  private pending = new Map<string, Waiter[]>();
  private running: { readonly sources: Map<string, Waiter[]>; readonly stop: AbortController; share: number } | null = null;
  /** Answers for announced sources not asked for yet. */
  private readonly kept = new Map<string, FlowRecords>();
  private restarts = 0;
  private firstAt = 0;
  private timer: NodeJS.Timeout | undefined;
  private readonly quietMs: number;
  private readonly maxWaitMs: number;
  private readonly restartBefore: number;

  constructor(
    private readonly pass: (sources: readonly string[], control: PassControl) => Promise<FlowRecords[]>,
    options: FlowRecordSourceOptions,
    private readonly onIdle: () => void,
  ) {
    this.quietMs = options.quietMs ?? 100;
    this.maxWaitMs = options.maxWaitMs ?? 1000;
    this.restartBefore = options.restartBefore ?? RESTART_BEFORE;
  }

  request(source: string): Promise<FlowRecords> {
    return new Promise((resolve, reject) => {
      const kept = this.kept.get(source);
      if (kept !== undefined) {
        this.kept.delete(source);
        resolve(kept);
        if (this.idle) this.onIdle();
        return;
      }
      const during = this.running?.sources.get(source);
      if (during !== undefined) {
        during.push({ resolve, reject });
        return;
      }
      if (this.pending.size === 0 && this.running === null) this.firstAt = Date.now();
      const waiters = this.pending.get(source);
      if (waiters === undefined) this.pending.set(source, [{ resolve, reject }]);
      else waiters.push({ resolve, reject });
      if (this.running === null) this.arm();
      else this.restartIfEarly();
    });
  }

  /** These sources will be asked for: a pass for them (and what waits) begins now, or after the running one. */
  expect(sources: readonly string[]): void {
    for (const s of sources) if (!this.kept.has(s) && this.running?.sources.has(s) !== true && !this.pending.has(s)) this.pending.set(s, []);
    if (this.pending.size === 0) return;
    if (this.running !== null) {
      this.restartIfEarly();
      return;
    }
    if (this.timer !== undefined) clearTimeout(this.timer);
    this.timer = undefined;
    void this.run();
  }

  private get idle(): boolean {
    return this.running === null && this.pending.size === 0 && this.kept.size === 0;
  }

  private restartIfEarly(): void {
    const r = this.running;
    if (r === null || r.stop.signal.aborted || r.share >= this.restartBefore || this.restarts >= MAX_RESTARTS) return;
    this.restarts++;
    r.stop.abort();
  }

  private arm(): void {
    if (this.timer !== undefined) clearTimeout(this.timer);
    const wait = Math.max(0, Math.min(this.quietMs, this.firstAt + this.maxWaitMs - Date.now()));
    this.timer = setTimeout(() => void this.run(), wait);
  }

  private async run(): Promise<void> {
    this.timer = undefined;
    const running = (this.running = { sources: this.pending, stop: new AbortController(), share: 0 });
    const batch = running.sources;
    this.pending = new Map();
    const sources = [...batch.keys()];
    try {
      const answers = await this.pass(sources, { signal: running.stop.signal, progress: (share) => (running.share = share) });
      sources.forEach((s, i) => {
        const answer = answers[i] as FlowRecords;
        const waiters = batch.get(s) ?? [];
        // Announced and not asked for yet: kept for its request.
        if (waiters.length === 0) this.kept.set(s, answer);
        for (const w of waiters) w.resolve(answer);
      });
    } catch (e) {
      if (e instanceof ScanAborted && running.stop.signal.aborted) {
        // Started again with those that came: what waited for this pass waits for that one.
        for (const [s, waiters] of batch) this.pending.set(s, [...waiters, ...(this.pending.get(s) ?? [])]);
      } else {
        const error = e instanceof Error ? e : new Error(String(e));
        for (const waiters of batch.values()) for (const w of waiters) w.reject(error);
      }
    } finally {
      this.running = null;
      if (this.pending.size > 0) {
        // Those that came during the pass have waited for it already: theirs begins now.
        this.firstAt = 0;
        this.arm();
      } else if (this.idle) this.onIdle();
    }
  }
}

const sameFields = (a: readonly string[], b: readonly string[]): boolean => a.length === b.length && a.every((f, i) => b[i] === f);

function withoutCr(line: string): string {
  return line.endsWith('\r') ? line.slice(0, -1) : line;
}

function rewrite(tokens: readonly string[], from: FlowLogFormat, to: FlowLogFormat): string {
  return to.fields.map((f) => tokens[from.indexOf(f)] ?? '-').join(' ');
}

function iso(seconds: number): string {
  return new Date(seconds * 1000).toISOString().replace('.000Z', 'Z');
}
