import { DETECTION_FIELDS, defaultFieldsForVersion, fieldSpec, isKnownField, normalizeFieldName, type FieldSpec } from './fields';

/** A flow-log record layout: which fields, in which order. */
export class FlowLogFormat {
  readonly fields: readonly string[];
  readonly specs: readonly FieldSpec[];
  private readonly positions: ReadonlyMap<string, number>;

  constructor(fieldNames: readonly string[]) {
    if (fieldNames.length === 0) throw new FormatError('a flow-log format needs at least one field');
    this.fields = fieldNames.map(normalizeFieldName);
    const seen = new Map<string, number>();
    this.fields.forEach((f, i) => {
      if (seen.has(f)) throw new FormatError(`field "${f}" appears twice in the format`);
      seen.set(f, i);
    });
    this.positions = seen;
    this.specs = this.fields.map(fieldSpec);
  }

  /** Position of a field in a record, or -1. */
  indexOf(field: string): number {
    return this.positions.get(normalizeFieldName(field)) ?? -1;
  }

  has(field: string): boolean {
    return this.indexOf(field) !== -1;
  }

  /** Detection fields this format lacks (detection cannot run on its records without them). */
  missingDetectionFields(): string[] {
    return DETECTION_FIELDS.filter((f) => !this.has(f));
  }

  /** The header line AWS writes at the top of S3 objects for this format. */
  header(): string {
    return this.fields.join(' ');
  }

  /** The `LogFormat` string of the EC2 CreateFlowLogs API (`${field} ${field}`). */
  logFormat(): string {
    return this.fields.map((f) => '${' + f + '}').join(' ');
  }

  equals(other: FlowLogFormat): boolean {
    return this.fields.length === other.fields.length && this.fields.every((f, i) => other.fields[i] === f);
  }

  static readonly V2 = FlowLogFormat.forVersion(2);
  static readonly V5 = FlowLogFormat.forVersion(5);

  /** AWS's "all fields up to version N" layout, N from 2 to 5. */
  static forVersion(version: number): FlowLogFormat {
    if (!Number.isInteger(version) || version < 2 || version > 5) {
      throw new FormatError(`no default field list for flow-log version ${version} (2 to 5)`);
    }
    return new FlowLogFormat(defaultFieldsForVersion(version));
  }

  /**
   * Parse a format as people write it: `v2`..`v5`, a space-separated field list, or the
   * `${field} ${field}` LogFormat string of the EC2 API.
   */
  static parse(spec: string): FlowLogFormat {
    const text = spec.trim();
    const version = /^v([2-5])$/i.exec(text);
    if (version) return FlowLogFormat.forVersion(Number(version[1]));
    const tokens = text.split(/\s+/).filter((t) => t.length > 0);
    const names = tokens.map((t) => {
      const m = /^\$\{([^}]+)\}$/.exec(t);
      const name = m ? (m[1] ?? '') : t;
      if (!/^[a-z][a-z0-9_-]*$/i.test(name)) throw new FormatError(`"${t}" is not a flow-log field name`);
      return name;
    });
    return new FlowLogFormat(names);
  }

  /**
   * The format named by a header line, or undefined when the line is a record.
   * A header is a line of lower-case field names of which at least one is a known field;
   * records always hold upper-case words, digits or addresses, so the two never collide.
   */
  static fromHeader(line: string): FlowLogFormat | undefined {
    const tokens = line.trim().split(/\s+/);
    if (tokens.length === 0 || tokens[0] === '') return undefined;
    if (!tokens.every((t) => /^[a-z][a-z0-9_-]*$/.test(t))) return undefined;
    if (!tokens.some(isKnownField)) return undefined;
    try {
      return new FlowLogFormat(tokens);
    } catch {
      return undefined;
    }
  }
}

export class FormatError extends Error {
  override readonly name = 'FormatError';
}
