/**
 * The error a query the local Logs Insights cannot run raises at StartQuery.
 *
 * AWS: StartQuery's documented errors are InvalidParameterException, LimitExceededException,
 * MalformedQueryException, ResourceNotFoundException and ServiceUnavailableException; a query string
 * that is not valid is MalformedQueryException ("The query string is not valid. Details about this
 * error are displayed in a QueryCompileError object"), whose QueryCompileError carries a
 * `location` (`startCharOffset`, `endCharOffset`) and a `message`.
 * Sources: https://docs.aws.amazon.com/AmazonCloudWatchLogs/latest/APIReference/API_StartQuery.html
 * (Errors), https://docs.aws.amazon.com/botocore/latest/reference/services/logs/client/exceptions/MalformedQueryException.html,
 * and `MalformedQueryException` / `QueryCompileError` in @aws-sdk/client-cloudwatch-logs 3.1169.0.
 *
 * A query that Logs Insights would run but this interpreter does not (a regular expression, an
 * arithmetic operator, a command or function flowir never compiles) is refused the same way, with
 * `kind: 'unsupported'` and a message that says so: a local run then fails where the query would
 * not be answered as AWS answers it, rather than answering something else.
 */
export interface QueryLocation {
  /** 0-based offset of the first character of the offending text. */
  readonly startCharOffset: number;
  /** 0-based offset just after its last character. */
  readonly endCharOffset: number;
}

export type QueryErrorKind = 'malformed' | 'unsupported';

export class LogsInsightsQueryError extends Error {
  override readonly name = 'MalformedQueryException';
  /** 1-based line and column of `location.startCharOffset`. */
  readonly line: number;
  readonly column: number;

  constructor(
    readonly kind: QueryErrorKind,
    /** What is wrong, without the position. */
    readonly detail: string,
    readonly location: QueryLocation,
    query: string,
  ) {
    const { line, column } = lineAndColumn(query, location.startCharOffset);
    const near = query.slice(location.startCharOffset, Math.min(location.endCharOffset, location.startCharOffset + 40));
    const what = kind === 'unsupported' ? "not supported by flowir's local Logs Insights" : 'malformed query';
    super(`${what}: ${detail} (line ${line}, column ${column}${near.length > 0 ? `, at ${JSON.stringify(near)}` : ', at the end of the query'})`);
    this.line = line;
    this.column = column;
  }

  /** The SDK's `QueryCompileError` for this error. */
  get queryCompileError(): { readonly location: QueryLocation; readonly message: string } {
    return { location: this.location, message: this.message };
  }
}

export function lineAndColumn(text: string, offset: number): { line: number; column: number } {
  let line = 1;
  let lineStart = 0;
  for (let i = 0; i < offset && i < text.length; i++) {
    if (text[i] === '\n') {
      line++;
      lineStart = i + 1;
    }
  }
  return { line, column: offset - lineStart + 1 };
}
