import { exceeds, type Finding } from '../detection/findings';
import { newTables, recordInto, type SourceStats } from '../detection/tables';
import { inWindow } from '../detection/window';
import { parseAddress } from '../flowlog/address';
import { FlowLogFormat } from '../flowlog/format';
import { parseLine, type Count } from '../flowlog/record';
import { countToData, type CountData } from '../incident/finding-data';

export interface RecountOptions {
  /** Layout of lines before any header line (default: version 2). */
  readonly format?: FlowLogFormat;
  /** How many problems to list; all are counted. Default 20. */
  readonly maxErrors?: number;
}

export interface RecountCounts {
  /** Non-header lines read. */
  read: number;
  /** Records of the finding's source inside its window: the ones the measure looked at. */
  matched: number;
  /** The source's records outside the window. */
  outOfWindow: number;
  /** Valid records of other sources (evidence may hold more than the finding's). */
  otherSources: number;
  /** NODATA, SKIPDATA, or a detection field `-`. */
  skipped: number;
  malformed: number;
}

export interface RecountProblem {
  readonly file: string;
  readonly line: number;
  readonly reason: string;
}

/** The exact recount of a finding: plain JSON data. */
export interface RecountResult {
  readonly findingId: string;
  /** The value recomputed from the raw records. */
  readonly value: CountData;
  /** The value the detection query reported (approximate for Logs Insights `count_distinct`). */
  readonly reportedValue: CountData;
  readonly threshold: number;
  /** The exact value is over the threshold (strictly, as in detection). */
  readonly confirmed: boolean;
  readonly records: RecountCounts;
  readonly errors: readonly RecountProblem[];
  readonly errorCount: number;
}

export class RecountError extends Error {
  override readonly name = 'RecountError';
}

function measure(finding: Finding, s: SourceStats | undefined): Count {
  if (s === undefined) return 0;
  switch (finding.detection) {
    case 'HIGH_TRAFFIC_VOLUME':
      return s.bytes;
    case 'HIGH_CONNECTION_COUNT':
      return s.count;
    case 'PORT_SCAN':
      return s.rejectPorts?.size ?? 0;
    case 'SUSPICIOUS_PORT_ACCESS':
      return finding.port === null ? 0 : (s.suspicious?.get(finding.port) ?? 0);
  }
}

/**
 * Recount a finding exactly on raw flow-log lines, with the detection semantics of the evaluator:
 * the same parser (log-status and `-` rules), the same window `[start, end)`, the same
 * accumulators (distinct REJECT destination ports for PORT_SCAN, REJECT records on the finding's
 * port for SUSPICIOUS_PORT_ACCESS, record count, exact byte sum). Feed files with {@link file}
 * and lines with {@link line}; header lines switch the format as in a scan.
 */
export class FindingRecount {
  private readonly source: string;
  private readonly defaultFormat: FlowLogFormat;
  private readonly maxErrors: number;
  private readonly ports: ReadonlySet<number>;
  private readonly table = newTables();
  private readonly counts: RecountCounts = { read: 0, matched: 0, outOfWindow: 0, otherSources: 0, skipped: 0, malformed: 0 };
  private readonly errors: RecountProblem[] = [];
  private errorCount = 0;
  private format: FlowLogFormat;
  private fileName = '<input>';
  private lineNo = 0;

  constructor(
    private readonly finding: Finding,
    options: RecountOptions = {},
  ) {
    const address = parseAddress(finding.source);
    if (address === undefined) throw new RecountError(`finding ${finding.id}: source "${finding.source}" is not an address`);
    this.source = address.text;
    this.defaultFormat = options.format ?? FlowLogFormat.V2;
    this.format = this.defaultFormat;
    this.maxErrors = options.maxErrors ?? 20;
    this.ports = new Set(finding.port === null ? [] : [finding.port]);
  }

  /** Start the next file (or object): line numbers restart and the default format applies until a header. */
  file(name: string): void {
    this.fileName = name;
    this.lineNo = 0;
    this.format = this.defaultFormat;
  }

  private problem(reason: string): void {
    this.errorCount++;
    if (this.errors.length < this.maxErrors) this.errors.push({ file: this.fileName, line: this.lineNo, reason });
  }

  line(text: string): void {
    this.lineNo++;
    const header = FlowLogFormat.fromHeader(text);
    if (header !== undefined) {
      this.format = header;
      const missing = header.missingDetectionFields();
      if (missing.length > 0) this.problem(`the header lacks fields detection needs (${missing.join(', ')}); its records are skipped`);
      return;
    }
    this.counts.read++;
    const r = parseLine(text, this.format);
    if (r.kind === 'skipped') {
      this.counts.skipped++;
      return;
    }
    if (r.kind === 'malformed') {
      this.counts.malformed++;
      this.problem(r.reason);
      return;
    }
    const rec = r.record;
    if (rec.srcaddr !== this.source) {
      this.counts.otherSources++;
      return;
    }
    if (!inWindow(this.finding.window, rec.start)) {
      this.counts.outOfWindow++;
      return;
    }
    this.counts.matched++;
    recordInto(this.table, rec.srcaddr, rec.dstport, rec.bytes, rec.action === 'REJECT', this.ports);
  }

  result(): RecountResult {
    const value = measure(this.finding, this.table.sources.get(this.source));
    return {
      findingId: this.finding.id,
      value: countToData(value),
      reportedValue: countToData(this.finding.value),
      threshold: this.finding.threshold,
      confirmed: exceeds(value, this.finding.threshold),
      records: { ...this.counts },
      errors: [...this.errors],
      errorCount: this.errorCount,
    };
  }
}

/** Recount a finding over lines of one input (see {@link FindingRecount}). */
export function recountFinding(finding: Finding, lines: Iterable<string>, options: RecountOptions & { readonly file?: string } = {}): RecountResult {
  const r = new FindingRecount(finding, options);
  if (options.file !== undefined) r.file(options.file);
  for (const l of lines) r.line(l);
  return r.result();
}
