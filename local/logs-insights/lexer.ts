/**
 * Tokens of the Logs Insights query language, for the part flowir compiles.
 *
 * From AWS's query syntax pages (https://docs.aws.amazon.com/AmazonCloudWatch/latest/logs/CWL_QuerySyntax.html):
 * commands are separated by `|`; `#` starts a comment to the end of the line; a field name with
 * characters other than letters, digits, `@`, `.` and `_` is written in backticks (`` `foo-bar` ``);
 * strings are in double or single quotes. A bare `-` is subtraction, so `log-status` unquoted
 * reads as `log - status`: the arithmetic operators (`+ - * / % ^`), regular expressions (`/.../`)
 * and `=~` are valid Logs Insights, but flowir compiles none of them, so they are refused with
 * their position rather than misread.
 */
import { LogsInsightsQueryError } from './errors';

export type TokenKind =
  /** A bare word: a command, a keyword, a function or a field name. */
  | 'word'
  /** A field name in backticks (`text` without them). */
  | 'quoted'
  | 'string'
  | 'number'
  /** A number with a time unit (`5m`, `1h`), as `bin()` takes. */
  | 'duration'
  | 'op'
  | '('
  | ')'
  | '['
  | ']'
  | ','
  | '|'
  | '*'
  /** Something this interpreter refuses; the parser raises `error` when it reaches it, so that an earlier problem is named first. */
  | 'bad'
  | 'eof';

export interface Token {
  readonly kind: TokenKind;
  /** The token's value: a string's text unescaped, a quoted name without backticks. */
  readonly text: string;
  readonly start: number;
  readonly end: number;
  readonly error?: LogsInsightsQueryError;
}

const isWordStart = (c: string): boolean => (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c === '_' || c === '@';
const isWordChar = (c: string): boolean => isWordStart(c) || (c >= '0' && c <= '9') || c === '.';
const isDigit = (c: string | undefined): boolean => c !== undefined && c >= '0' && c <= '9';

export function tokenize(query: string): Token[] {
  const tokens: Token[] = [];
  const unsupported = (detail: string, start: number, end: number): void => {
    tokens.push({ kind: 'bad', text: query.slice(start, end), start, end, error: new LogsInsightsQueryError('unsupported', detail, { startCharOffset: start, endCharOffset: end }, query) });
  };
  const malformed = (detail: string, start: number, end: number): never => {
    throw new LogsInsightsQueryError('malformed', detail, { startCharOffset: start, endCharOffset: end }, query);
  };
  let i = 0;
  while (i < query.length) {
    const c = query[i] as string;
    if (c === ' ' || c === '\t' || c === '\n' || c === '\r') {
      i++;
      continue;
    }
    if (c === '#') {
      while (i < query.length && query[i] !== '\n') i++;
      continue;
    }
    const start = i;
    if (c === '"' || c === "'") {
      let text = '';
      i++;
      while (i < query.length && query[i] !== c) {
        // A backslash escapes the quote and itself; before anything else it stands for itself.
        if (query[i] === '\\' && (query[i + 1] === c || query[i + 1] === '\\')) {
          text += query[i + 1];
          i += 2;
        } else {
          text += query[i];
          i++;
        }
      }
      if (i >= query.length) malformed('a string is not closed', start, query.length);
      i++;
      tokens.push({ kind: 'string', text, start, end: i });
      continue;
    }
    if (c === '`') {
      const close = query.indexOf('`', i + 1);
      if (close === -1) malformed('a field name in backticks is not closed', start, query.length);
      if (close === i + 1) malformed('an empty field name', start, close + 1);
      i = close + 1;
      tokens.push({ kind: 'quoted', text: query.slice(start + 1, close), start, end: i });
      continue;
    }
    if (isDigit(c)) {
      while (isDigit(query[i])) i++;
      if (query[i] === '.' && isDigit(query[i + 1])) {
        i++;
        while (isDigit(query[i])) i++;
      }
      if (i < query.length && isWordStart(query[i] as string)) {
        while (i < query.length && isWordChar(query[i] as string)) i++;
        tokens.push({ kind: 'duration', text: query.slice(start, i), start, end: i });
        continue;
      }
      tokens.push({ kind: 'number', text: query.slice(start, i), start, end: i });
      continue;
    }
    if (isWordStart(c)) {
      while (i < query.length && isWordChar(query[i] as string)) i++;
      const word = query.slice(start, i);
      if (query[i] === '-' && /[A-Za-z]/.test(query[i + 1] ?? '')) {
        let k = i + 1;
        while (k < query.length && /[A-Za-z0-9_-]/.test(query[k] as string)) k++;
        const name = query.slice(start, k);
        unsupported(`"${name}" reads as a subtraction (arithmetic is not supported); a field name with "-" is written in backticks, \`${name}\``, start, k);
        i = k;
        continue;
      }
      tokens.push({ kind: 'word', text: word, start, end: i });
      continue;
    }
    const two = query.slice(i, i + 2);
    if (two === '!=' || two === '<=' || two === '>=') {
      i += 2;
      tokens.push({ kind: 'op', text: two, start, end: i });
      continue;
    }
    if (two === '=~') {
      unsupported('regular expression matching (=~)', start, start + 2);
      i += 2;
      continue;
    }
    if (c === '=' || c === '<' || c === '>') {
      i++;
      tokens.push({ kind: 'op', text: c, start, end: i });
      continue;
    }
    if (c === '(' || c === ')' || c === '[' || c === ']' || c === ',' || c === '|' || c === '*') {
      i++;
      tokens.push({ kind: c, text: c, start, end: i });
      continue;
    }
    i++;
    if (c === '/') unsupported('"/" (a regular expression or a division)', start, i);
    else if (c === '+' || c === '-' || c === '%' || c === '^') unsupported(`the arithmetic operator "${c}"`, start, i);
    else tokens.push({ kind: 'bad', text: c, start, end: i, error: new LogsInsightsQueryError('malformed', `unexpected character "${c}"`, { startCharOffset: start, endCharOffset: i }, query) });
  }
  tokens.push({ kind: 'eof', text: '', start: query.length, end: query.length });
  return tokens;
}
