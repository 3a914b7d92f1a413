import type { FlowirConfig } from '../detection/config';
import type { DetectionEvaluator, Evaluation } from '../detection/evaluator';
import type { Finding } from '../detection/findings';
import type { TimeWindow } from '../detection/window';
import { FlowLogFormat, FormatError } from '../flowlog/format';
import { parseLine } from '../flowlog/record';

export interface RecordCounts {
  /** Every non-header line, blank and malformed ones included. */
  read: number;
  inWindow: number;
  outOfWindow: number;
  /** Records that take no part in detection: NODATA, SKIPDATA, or a detection field `-`. */
  skipped: number;
  /** Lines that do not parse as a record of their file's format. */
  malformed: number;
  /** Files (or S3 objects) read. */
  files: number;
}

/** A file a folder walk found and did not read, and why (hidden, not named as a flow log, Parquet). */
export interface IgnoredInput {
  readonly file: string;
  readonly reason: string;
}

/** Inputs not counted because their records are those of another input, counted once. */
export interface DuplicateInput {
  /** A file, or a folder when all the files under it were left out. */
  readonly path: string;
  /** How many files that is. */
  readonly files: number;
  /** The file or folder holding the same records, counted. */
  readonly sameAs: string;
}

/**
 * What the scan did with the inputs besides reading them (the fast scan's result: local/fast).
 * Lists live beside the counts so that the JSON report names what its counts count.
 */
export interface InputCounts {
  /** Files a folder walk passed over: `ignored.length`. */
  filesIgnored: number;
  ignored: IgnoredInput[];
  /** Files left out as duplicates (the sum of `duplicateOf[].files`); their lines are in no other count. */
  duplicates: number;
  duplicateOf: DuplicateInput[];
}

/**
 * The layout of lines before any header line: the config's `format`. One that lacks a field
 * detection needs is refused, as nothing in a headerless file could be detected: where a header
 * line lacks them, only that file is concerned, and the scan reports it and goes on.
 */
export function headerlessFormat(config: FlowirConfig): FlowLogFormat {
  const format = FlowLogFormat.parse(config.format);
  const missing = format.missingDetectionFields();
  if (missing.length > 0) {
    throw new FormatError(`config "format" ("${config.format}") lacks fields detection needs (${missing.join(', ')}): the records of a file without a header line could never take part in detection`);
  }
  return format;
}

export interface ScanError {
  readonly file: string;
  /** 1-based line number, or null for a problem with the file as a whole. */
  readonly line: number | null;
  readonly reason: string;
}

export interface ScanResult {
  readonly window: TimeWindow;
  readonly records: RecordCounts;
  readonly findings: Finding[];
  readonly allowlisted: Finding[];
  /** The first `maxErrors` problems, in input order. */
  readonly errors: ScanError[];
  /** All problems, including those past the cap. */
  readonly errorCount: number;
}

export interface LineScannerOptions {
  readonly config: FlowirConfig;
  readonly evaluator: DetectionEvaluator;
  /** Layout of lines before any header line (default: the config's format). */
  readonly defaultFormat?: FlowLogFormat;
  /** How many problems to list; all are counted. Default 100. */
  readonly maxErrors?: number;
}

/** Reads lines one file at a time: header handling, parsing, counting and error reporting. */
export class LineScanner {
  readonly counts: RecordCounts = { read: 0, inWindow: 0, outOfWindow: 0, skipped: 0, malformed: 0, files: 0 };
  private readonly errors: ScanError[] = [];
  private errorCount = 0;
  private readonly maxErrors: number;
  private readonly defaultFormat: FlowLogFormat;

  constructor(private readonly options: LineScannerOptions) {
    this.maxErrors = options.maxErrors ?? 100;
    this.defaultFormat = options.defaultFormat ?? headerlessFormat(options.config);
  }

  get evaluator(): DetectionEvaluator {
    return this.options.evaluator;
  }

  error(file: string, line: number | null, reason: string): void {
    this.errorCount++;
    if (this.errors.length < this.maxErrors) this.errors.push({ file, line, reason });
  }

  /** Start a file; feed it lines (without their newline) in order. */
  file(name: string): FileScan {
    this.counts.files++;
    return new FileScan(this, name, this.defaultFormat);
  }

  /** Fold counts and errors found elsewhere (a worker thread) into this scanner. */
  absorb(counts: Omit<RecordCounts, 'inWindow' | 'outOfWindow'>, errors: readonly ScanError[], errorCount: number): void {
    this.counts.read += counts.read;
    this.counts.skipped += counts.skipped;
    this.counts.malformed += counts.malformed;
    this.counts.files += counts.files;
    for (const e of errors) if (this.errors.length < this.maxErrors) this.errors.push(e);
    this.errorCount += errorCount;
  }

  result(nowSeconds?: number): ScanResult {
    const evaluation: Evaluation = this.options.evaluator.finish(nowSeconds);
    const records = { ...this.counts, inWindow: evaluation.inWindow, outOfWindow: evaluation.outOfWindow };
    return { window: evaluation.window, records, findings: evaluation.findings, allowlisted: evaluation.allowlisted, errors: [...this.errors], errorCount: this.errorCount };
  }
}

export class FileScan {
  private lineNo = 0;
  private format: FlowLogFormat;

  constructor(
    private readonly scanner: LineScanner,
    readonly name: string,
    format: FlowLogFormat,
  ) {
    this.format = format;
  }

  get lines(): number {
    return this.lineNo;
  }

  line(text: string): void {
    this.lineNo++;
    const header = FlowLogFormat.fromHeader(text);
    if (header !== undefined) {
      this.format = header;
      const missing = header.missingDetectionFields();
      if (missing.length > 0) {
        this.scanner.error(this.name, this.lineNo, `the header lacks fields detection needs (${missing.join(', ')}); its records are skipped`);
      }
      return;
    }
    const counts = this.scanner.counts;
    counts.read++;
    const r = parseLine(text, this.format);
    if (r.kind === 'record') this.scanner.evaluator.add(r.record);
    else if (r.kind === 'skipped') counts.skipped++;
    else {
      counts.malformed++;
      this.scanner.error(this.name, this.lineNo, r.reason);
    }
  }

  /** The input ended early (a damaged gzip stream, a read error): `fragment` is a cut-off last line. */
  broken(reason: string, fragment: string): void {
    if (fragment.length > 0) {
      this.lineNo++;
      this.scanner.counts.read++;
      this.scanner.counts.malformed++;
      this.scanner.error(this.name, this.lineNo, `line cut short: ${reason}`);
    } else {
      this.scanner.error(this.name, this.lineNo + 1, reason);
    }
  }
}
