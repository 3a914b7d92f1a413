/**
 * Values of fields while a query runs, and how they compare, sort and print.
 *
 * A field parsed from `@message` is text; `stats` makes numbers; `@timestamp` and `bin()` are
 * epoch milliseconds, printed as times (the executor knows which fields are times). Absent (a field
 * the event does not have, a parse that did not match) is `null`.
 *
 * Comparisons (AWS: "Comparison operators accept all data types as arguments and return a Boolean
 * result", https://docs.aws.amazon.com/AmazonCloudWatch/latest/logs/CWL_QuerySyntax-operations-functions.html;
 * AWS's own filter examples compare parsed text with numbers, `filter (range>3000)`,
 * https://docs.aws.amazon.com/AmazonCloudWatch/latest/logs/CWL_QuerySyntax-Filter.html). How text
 * and numbers are coerced is not documented; here: when both sides read as numbers (a number, or text
 * that is only a decimal number) they compare as numbers, exactly (bigint past 2^53); otherwise as
 * text, by UTF-16 code units; a number (a number literal, or a value `stats` made) against text that
 * is not a number is unequal, and neither less nor greater. A comparison with an absent side is
 * false, `!=` included (UNVERIFIED: chosen so that an event a parse did not match never passes a
 * filter on its fields).
 *
 * `in [...]`: "The fields must be complete strings" (the filter page): the value's text equals one
 * element's text.
 *
 * Sorting follows the sort page (https://docs.aws.amazon.com/AmazonCloudWatch/latest/logs/CWL_QuerySyntax-Sort.html):
 * ascending, "All non-number values come before all number values"; non-number values compare in
 * chunks, digits against letters, "non-numeric portions by their Unicode values, and … numeric
 * portions by their length first and then by their numerical value"; descending is the reverse.
 * Absent values go last either way (the page does not say).
 */
export type Cell = string | number | bigint | null;

const INTEGER = /^-?\d+$/;
const DECIMAL = /^-?(?:\d+\.?\d*|\.\d+)(?:[eE][+-]?\d+)?$/;

/** The value as a number when it is one, or text that is only a decimal number; undefined otherwise. */
export function numeric(v: Cell): number | bigint | undefined {
  if (typeof v === 'number' || typeof v === 'bigint') return v;
  if (typeof v !== 'string' || v.length === 0) return undefined;
  if (INTEGER.test(v)) {
    if (v.length <= 15) return Number(v);
    const big = BigInt(v);
    return big >= BigInt(Number.MIN_SAFE_INTEGER) && big <= BigInt(Number.MAX_SAFE_INTEGER) ? Number(big) : big;
  }
  if (DECIMAL.test(v)) return Number(v);
  return undefined;
}

/** -1, 0 or 1; number and bigint mixed exactly. */
function compareNumbers(a: number | bigint, b: number | bigint): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

function compareText(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

/** The text of a value, as GetQueryResults gives it. */
export function render(v: Cell): string {
  if (v === null) return '';
  if (typeof v === 'number') return Number.isInteger(v) && Math.abs(v) < 1e21 ? v.toFixed(0) : String(v);
  return String(v);
}

/**
 * `YYYY-MM-DD HH:MM:SS.mmm` in UTC, the way Logs Insights shows `@timestamp` (UNVERIFIED for the
 * API: the console shows it so, and AWS's query examples compare against such text).
 */
export function formatTimestamp(ms: number): string {
  return new Date(ms).toISOString().replace('T', ' ').replace('Z', '');
}

/** The comparison operators of `filter`, on two values. */
export function compareOp(op: '=' | '!=' | '<' | '<=' | '>' | '>=', a: Cell, b: Cell): boolean {
  if (a === null || b === null) return false;
  const na = numeric(a);
  const nb = numeric(b);
  let c: number;
  if (na !== undefined && nb !== undefined) c = compareNumbers(na, nb);
  else if (typeof a !== 'string' || typeof b !== 'string') return op === '!=';
  else c = compareText(a, b);
  switch (op) {
    case '=':
      return c === 0;
    case '!=':
      return c !== 0;
    case '<':
      return c < 0;
    case '<=':
      return c <= 0;
    case '>':
      return c > 0;
    case '>=':
      return c >= 0;
  }
}

/** Whether a value reads as a number for sorting: "values that include only numbers". */
const isNumberValue = (v: Cell): boolean => typeof v === 'number' || typeof v === 'bigint' || (typeof v === 'string' && numeric(v) !== undefined);

const CHUNK = /\d+|\D+/g;

/** Natural order of two non-number texts, as the sort page describes it. */
function naturalText(a: string, b: string): number {
  const ca = a.match(CHUNK) ?? [];
  const cb = b.match(CHUNK) ?? [];
  for (let k = 0; k < Math.min(ca.length, cb.length); k++) {
    const x = ca[k] as string;
    const y = cb[k] as string;
    const dx = x.charCodeAt(0) >= 48 && x.charCodeAt(0) <= 57;
    const dy = y.charCodeAt(0) >= 48 && y.charCodeAt(0) <= 57;
    let c: number;
    if (dx && dy) c = x.length !== y.length ? x.length - y.length : compareText(x, y);
    else c = compareText(x, y);
    if (c !== 0) return c < 0 ? -1 : 1;
  }
  return ca.length === cb.length ? 0 : ca.length < cb.length ? -1 : 1;
}

/** Ascending sort order of two present values. */
export function sortOrder(a: Cell, b: Cell): number {
  const an = isNumberValue(a);
  const bn = isNumberValue(b);
  if (an && bn) return compareNumbers(numeric(a) as number | bigint, numeric(b) as number | bigint);
  if (an !== bn) return an ? 1 : -1;
  return naturalText(render(a), render(b));
}

/** Sort order with absent values last, whichever the direction. */
export function sortCells(a: Cell, b: Cell, order: 'asc' | 'desc'): number {
  if (a === null || b === null) return a === b ? 0 : a === null ? 1 : -1;
  const c = sortOrder(a, b);
  return order === 'asc' ? c : -c;
}
