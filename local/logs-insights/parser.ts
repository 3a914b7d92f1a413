/**
 * Query text → syntax tree, for the part of the Logs Insights language flowir compiles
 * (core/detection/compile/logs-insights.ts, saved-queries.ts, and the evidence query of
 * handlers/aws/flow-record-source.ts):
 *
 *   parse [field] "glob" as a, b, ...        (glob mode; the regular-expression mode is refused)
 *   fields a, b as c                         (field names, with aliases)
 *   display a, b
 *   filter <condition>                       = != < <= > >=, and / or / not, in [...], not in [...], ( )
 *   stats fn(x) [as n], ... [by f [as n], bin(period) [as n], ...]   (at most two stats)
 *         fn: count(*), count(), count(f), sum(f), count_distinct(f), avg(f), min(f), max(f)
 *   sort f asc|desc, ...
 *   limit N                                  (1 to 100,000)
 *
 * Sources (AWS, Logs Insights QL): command list and comments
 * https://docs.aws.amazon.com/AmazonCloudWatch/latest/logs/CWL_QuerySyntax.html; parse (glob mode,
 * "The number of `*` wildcards must equal the number of aliases"; `fieldName` defaults to
 * `@message`) https://docs.aws.amazon.com/AmazonCloudWatch/latest/logs/CWL_QuerySyntax-Parse.html;
 * filter (comparison and Boolean operators, `in` for set membership on complete strings, `not`
 * with `in`) https://docs.aws.amazon.com/AmazonCloudWatch/latest/logs/CWL_QuerySyntax-Filter.html;
 * stats and its aggregation functions, two stats per query, `bin()` units
 * https://docs.aws.amazon.com/AmazonCloudWatch/latest/logs/CWL_QuerySyntax-Stats.html; sort
 * https://docs.aws.amazon.com/AmazonCloudWatch/latest/logs/CWL_QuerySyntax-Sort.html; limit (default
 * 10,000, at most 100,000) https://docs.aws.amazon.com/AmazonCloudWatch/latest/logs/CWL_QuerySyntax-Limit.html.
 *
 * Anything else valid in Logs Insights (other commands, functions, regular expressions,
 * arithmetic) raises a LogsInsightsQueryError of kind `unsupported`; what is not valid at all, one
 * of kind `malformed`. Both name the position.
 */
import type { Aggregate, AggregateFunction, Command, CompareOp, Expr, GroupKey, Literal, Query, Span } from './ast';
import { LogsInsightsQueryError } from './errors';
import { tokenize, type Token } from './lexer';

/** Commands of Logs Insights QL this interpreter does not run (so that they are refused as unsupported, not as unknown). */
const OTHER_COMMANDS = new Set(['dedup', 'pattern', 'diff', 'anomaly', 'unmask', 'unnest', 'lookup', 'filterIndex', 'SOURCE', 'where', 'countFrequent', 'count_frequent', 'addtotals', 'join']);
const OTHER_AGGREGATES = new Set(['pct', 'stddev', 'earliest', 'latest', 'sortsFirst', 'sortsLast']);
const AGGREGATES: ReadonlySet<string> = new Set<AggregateFunction>(['count', 'sum', 'count_distinct', 'avg', 'min', 'max']);
/** Words that cannot be a bare field name. */
const KEYWORDS = new Set(['and', 'or', 'not', 'in', 'like', 'as', 'by', 'asc', 'desc']);

/** The most rows a query may ask for (`limit`). */
export const MAX_QUERY_LIMIT = 100_000;
/** At most two stats commands in a query. */
export const MAX_STATS_COMMANDS = 2;

/** `bin()` units (the stats page lists these, each also with a plural `s`); months and longer are calendar units, not run here. */
const UNIT_MS: Readonly<Record<string, number>> = {
  ms: 1,
  msec: 1,
  millisecond: 1,
  s: 1000,
  sec: 1000,
  second: 1000,
  m: 60_000,
  min: 60_000,
  minute: 60_000,
  h: 3_600_000,
  hr: 3_600_000,
  hour: 3_600_000,
  d: 86_400_000,
  day: 86_400_000,
  w: 604_800_000,
  week: 604_800_000,
};
const CALENDAR_UNITS = new Set(['mo', 'mon', 'month', 'q', 'qtr', 'quarter', 'y', 'yr', 'year']);

const lower = (t: Token): string => t.text.toLowerCase();

class Parser {
  private i = 0;

  constructor(
    private readonly query: string,
    private readonly tokens: readonly Token[],
  ) {}

  private peek(): Token {
    const t = this.tokens[this.i] as Token;
    if (t.error !== undefined) throw t.error;
    return t;
  }

  private next(): Token {
    const t = this.peek();
    if (t.kind !== 'eof') this.i++;
    return t;
  }

  private malformed(detail: string, at: Token | Span = this.peek()): never {
    throw new LogsInsightsQueryError('malformed', detail, { startCharOffset: at.start, endCharOffset: at.end }, this.query);
  }

  private unsupported(detail: string, at: Token | Span = this.peek()): never {
    throw new LogsInsightsQueryError('unsupported', detail, { startCharOffset: at.start, endCharOffset: at.end }, this.query);
  }

  private isKeyword(word: string, t: Token = this.peek()): boolean {
    return t.kind === 'word' && lower(t) === word;
  }

  private expect(kind: Token['kind'], what: string): Token {
    const t = this.peek();
    if (t.kind !== kind) this.malformed(`expected ${what}, found ${describe(t)}`);
    return this.next();
  }

  private atCommandEnd(): boolean {
    return this.peek().kind === '|' || this.peek().kind === 'eof';
  }

  parse(): Query {
    const commands: Command[] = [];
    if (this.peek().kind === 'eof') this.malformed('the query is empty');
    let stats = 0;
    for (;;) {
      const command = this.command();
      if (command.kind === 'stats' && ++stats > MAX_STATS_COMMANDS) this.malformed(`a query may have at most ${MAX_STATS_COMMANDS} stats commands`, command.span);
      commands.push(command);
      if (this.peek().kind === 'eof') break;
      this.expect('|', '"|" between commands');
    }
    return { text: this.query, commands };
  }

  private command(): Command {
    const head = this.peek();
    if (head.kind !== 'word') this.malformed(`expected a command, found ${describe(head)}`);
    const name = head.text;
    let command: Command;
    switch (name) {
      case 'parse':
        command = this.parseCommand();
        break;
      case 'fields':
        command = this.fieldsCommand();
        break;
      case 'display':
        command = this.displayCommand();
        break;
      case 'filter':
        this.next();
        if (this.atCommandEnd()) this.malformed('filter needs a condition');
        command = { kind: 'filter', expr: this.expression(), span: this.spanFrom(head) };
        break;
      case 'stats':
        command = this.statsCommand();
        break;
      case 'sort':
        command = this.sortCommand();
        break;
      case 'limit':
        command = this.limitCommand();
        break;
      default:
        if (OTHER_COMMANDS.has(name)) this.unsupported(`the ${name} command`, head);
        if (['parse', 'fields', 'display', 'filter', 'stats', 'sort', 'limit'].includes(name.toLowerCase())) this.malformed(`commands are written in lower case: "${name.toLowerCase()}"`, head);
        return this.malformed(`"${name}" is not a Logs Insights command`, head);
    }
    if (!this.atCommandEnd()) this.malformed(`expected "|" or the end of the query after the ${name} command, found ${describe(this.peek())}`);
    return command;
  }

  private spanFrom(first: Token): Span {
    const last = this.tokens[Math.max(0, this.i - 1)] as Token;
    return { start: first.start, end: Math.max(first.end, last.end) };
  }

  /** A field name: a bare word (not a keyword) or a name in backticks. */
  private fieldName(what = 'a field name'): string {
    const t = this.peek();
    if (t.kind === 'quoted') return this.next().text;
    if (t.kind === 'word' && !KEYWORDS.has(lower(t))) {
      if (this.tokens[this.i + 1]?.kind === '(') this.unsupported(`the function ${t.text}()`, t);
      return this.next().text;
    }
    return this.malformed(`expected ${what}, found ${describe(t)}`);
  }

  private alias(): string | undefined {
    if (!this.isKeyword('as')) return undefined;
    this.next();
    return this.fieldName('a name after "as"');
  }

  private parseCommand(): Command {
    const head = this.next();
    let source = '@message';
    if (this.peek().kind === 'word' || this.peek().kind === 'quoted') source = this.fieldName();
    const pattern = this.peek();
    if (pattern.kind !== 'string') {
      if (this.peek().kind === 'eof' || this.peek().kind === '|') this.malformed('parse needs a pattern: a quoted glob with "*"');
      return this.malformed(`expected a quoted glob pattern, found ${describe(pattern)}`);
    }
    this.next();
    if (!this.isKeyword('as')) this.malformed('a glob pattern needs "as" and one field name per "*"');
    this.next();
    const names = [this.fieldName('a field name after "as"')];
    while (this.peek().kind === ',') {
      this.next();
      names.push(this.fieldName());
    }
    const stars = pattern.text.split('*').length - 1;
    if (stars !== names.length) this.malformed(`the pattern has ${stars} "*" but ${names.length} field name${names.length === 1 ? '' : 's'} follow "as"`, { start: pattern.start, end: this.spanFrom(head).end });
    return { kind: 'parse', source, pattern: pattern.text, names, span: this.spanFrom(head) };
  }

  private fieldsCommand(): Command {
    const head = this.next();
    const items: { field: string; alias: string | undefined }[] = [];
    do {
      if (items.length > 0) this.next();
      const field = this.fieldName();
      this.rejectOperatorAfterField('fields');
      items.push({ field, alias: this.alias() });
    } while (this.peek().kind === ',');
    return { kind: 'fields', items, span: this.spanFrom(head) };
  }

  private displayCommand(): Command {
    const head = this.next();
    const fields = [this.fieldName()];
    while (this.peek().kind === ',') {
      this.next();
      fields.push(this.fieldName());
    }
    return { kind: 'display', fields, span: this.spanFrom(head) };
  }

  /** `fields a * b` and the like: arithmetic, which this interpreter does not do. */
  private rejectOperatorAfterField(command: string): void {
    const t = this.peek();
    if (t.kind === '*' || t.kind === 'op') this.unsupported(`expressions in ${command} (only field names and "as" aliases are run here)`, t);
  }

  private statsCommand(): Command {
    const head = this.next();
    const aggregates: Aggregate[] = [];
    do {
      if (aggregates.length > 0) this.next();
      aggregates.push(this.aggregate());
    } while (this.peek().kind === ',');
    const groups: GroupKey[] = [];
    if (this.isKeyword('by')) {
      this.next();
      do {
        if (groups.length > 0) this.next();
        groups.push(this.groupKey());
      } while (this.peek().kind === ',');
    }
    const names = [...groups.map((g) => g.name), ...aggregates.map((a) => a.name)];
    const twice = names.find((n, k) => names.indexOf(n) !== k);
    if (twice !== undefined) this.malformed(`stats names "${twice}" twice`, this.spanFrom(head));
    return { kind: 'stats', aggregates, groups, span: this.spanFrom(head) };
  }

  private aggregate(): Aggregate {
    const fnToken = this.peek();
    if (fnToken.kind !== 'word' || this.tokens[this.i + 1]?.kind !== '(') return this.malformed(`expected an aggregation such as count(*) or sum(field), found ${describe(fnToken)}`);
    const fn = fnToken.text;
    if (!AGGREGATES.has(fn)) {
      if (OTHER_AGGREGATES.has(fn)) this.unsupported(`the aggregation ${fn}()`, fnToken);
      return this.malformed(`"${fn}" is not an aggregation function`, fnToken);
    }
    this.next();
    this.next();
    let field: string | null = null;
    let arg = '';
    if (this.peek().kind === '*') {
      if (fn !== 'count') this.malformed(`${fn}(*) is not valid: only count takes "*"`);
      this.next();
      arg = '*';
    } else if (this.peek().kind === ')') {
      if (fn !== 'count') this.malformed(`${fn}() needs a field`);
    } else {
      const t = this.peek();
      field = this.fieldName('a field to aggregate');
      arg = t.kind === 'quoted' ? `\`${field}\`` : field;
      this.rejectOperatorAfterField('stats');
    }
    this.expect(')', '")"');
    const alias = this.alias();
    return { fn: fn as AggregateFunction, field, name: alias ?? `${fn}(${arg})`, alias };
  }

  private groupKey(): GroupKey {
    const t = this.peek();
    if (t.kind === 'word' && this.tokens[this.i + 1]?.kind === '(') {
      if (t.text !== 'bin') this.unsupported(`the function ${t.text}() in "by"`, t);
      this.next();
      this.next();
      const period = this.peek();
      if (period.kind !== 'duration' && period.kind !== 'number') this.malformed('bin() takes a period such as 5m or 1h');
      this.next();
      const periodMs = durationMs(period, (d, at) => this.malformed(d, at), (d, at) => this.unsupported(d, at));
      this.expect(')', '")"');
      const alias = this.alias();
      return { kind: 'bin', periodMs, name: alias ?? `bin(${period.text})`, alias };
    }
    const field = this.fieldName('a field to group by');
    this.rejectOperatorAfterField('stats ... by');
    const alias = this.alias();
    return { kind: 'field', field, name: alias ?? field, alias };
  }

  private sortCommand(): Command {
    const head = this.next();
    const keys: { field: string; order: 'asc' | 'desc' }[] = [];
    do {
      if (keys.length > 0) this.next();
      const fieldToken = this.peek();
      const field = this.fieldName('a field to sort by');
      const order = this.peek();
      if (!this.isKeyword('asc') && !this.isKeyword('desc')) {
        // AWS's sort page gives no default order, so a query that relies on one is not run here.
        this.unsupported(`sort without "asc" or "desc" (write the order: ${field} asc or ${field} desc)`, fieldToken);
      }
      this.next();
      keys.push({ field, order: lower(order) as 'asc' | 'desc' });
    } while (this.peek().kind === ',');
    return { kind: 'sort', keys, span: this.spanFrom(head) };
  }

  private limitCommand(): Command {
    const head = this.next();
    if (this.isKeyword('any')) this.unsupported('limit any');
    const n = this.peek();
    if (n.kind !== 'number' || !/^\d+$/.test(n.text)) return this.malformed(`limit takes a whole number from 1 to ${MAX_QUERY_LIMIT}, found ${describe(n)}`);
    this.next();
    const count = Number(n.text);
    if (count < 1 || count > MAX_QUERY_LIMIT) this.malformed(`limit takes a whole number from 1 to ${MAX_QUERY_LIMIT}, got ${n.text}`, n);
    return { kind: 'limit', count, span: this.spanFrom(head) };
  }

  // Conditions: `or` binds loosest, then `and`, then `not`, then comparisons.
  private expression(): Expr {
    let left = this.conjunction();
    while (this.isKeyword('or')) {
      this.next();
      const right = this.conjunction();
      left = { kind: 'or', left, right, span: { start: left.span.start, end: right.span.end } };
    }
    return left;
  }

  private conjunction(): Expr {
    let left = this.negation();
    while (this.isKeyword('and')) {
      this.next();
      const right = this.negation();
      left = { kind: 'and', left, right, span: { start: left.span.start, end: right.span.end } };
    }
    return left;
  }

  private negation(): Expr {
    if (this.isKeyword('not')) {
      const t = this.next();
      const operand = this.negation();
      return { kind: 'not', operand, span: { start: t.start, end: operand.span.end } };
    }
    return this.comparison();
  }

  private comparison(): Expr {
    const left = this.operand();
    const t = this.peek();
    if (t.kind === '*') this.unsupported('the arithmetic operator "*"', t);
    if (t.kind === 'op') {
      this.next();
      const right = this.operand();
      if (this.peek().kind === '*') this.unsupported('the arithmetic operator "*"');
      return { kind: 'compare', op: t.text as CompareOp, left, right, span: { start: left.span.start, end: right.span.end } };
    }
    if (this.isKeyword('like')) this.unsupported('like (substring and regular-expression matching)');
    let negated = false;
    if (this.isKeyword('not') && this.isKeyword('in', this.tokens[this.i + 1])) {
      this.next();
      negated = true;
    }
    if (this.isKeyword('in')) {
      this.next();
      this.expect('[', '"[" after in');
      const list: Literal[] = [];
      if (this.peek().kind !== ']') {
        list.push(this.literal());
        while (this.peek().kind === ',') {
          this.next();
          list.push(this.literal());
        }
      }
      const close = this.expect(']', '"]" or "," in the list');
      return { kind: 'in', negated, value: left, list, span: { start: left.span.start, end: close.end } };
    }
    return left;
  }

  private literal(): Literal {
    const t = this.peek();
    if (t.kind === 'string') {
      this.next();
      return { kind: 'string', value: t.text, span: t };
    }
    if (t.kind === 'number') {
      this.next();
      return { kind: 'number', value: numberValue(t.text), span: t };
    }
    return this.malformed(`expected a string or a number, found ${describe(t)}`);
  }

  private operand(): Expr {
    const t = this.peek();
    if (t.kind === '(') {
      this.next();
      const inner = this.expression();
      const close = this.expect(')', '")"');
      return { ...inner, span: { start: t.start, end: close.end } } as Expr;
    }
    if (t.kind === 'string' || t.kind === 'number') return this.literal();
    if (t.kind === 'duration') this.unsupported('a time period outside bin()', t);
    if (t.kind === 'word' && this.tokens[this.i + 1]?.kind === '(') this.unsupported(`the function ${t.text}()`, t);
    if (t.kind === 'word' && (lower(t) === 'true' || lower(t) === 'false' || lower(t) === 'null')) this.unsupported(`the literal ${t.text}`, t);
    if (t.kind === 'word' || t.kind === 'quoted') {
      const name = this.fieldName();
      return { kind: 'field', name, span: t };
    }
    return this.malformed(`expected a field, a string or a number, found ${describe(t)}`);
  }
}

function numberValue(text: string): number | bigint {
  if (/^\d+$/.test(text) && text.length > 15) {
    const big = BigInt(text);
    return big <= BigInt(Number.MAX_SAFE_INTEGER) ? Number(big) : big;
  }
  return Number(text);
}

function durationMs(t: Token, malformed: (d: string, at: Token) => never, unsupported: (d: string, at: Token) => never): number {
  const m = /^(\d+)([A-Za-z]*)$/.exec(t.text);
  if (m === null) return malformed(`"${t.text}" is not a period such as 5m or 1h`, t);
  const amount = Number(m[1]);
  const unitText = (m[2] ?? '').toLowerCase();
  if (unitText === '') return malformed(`"${t.text}" needs a unit (5m, 1h, 30s)`, t);
  const unit = unitText.length > 2 && unitText.endsWith('s') && UNIT_MS[unitText.slice(0, -1)] !== undefined ? unitText.slice(0, -1) : unitText;
  const ms = UNIT_MS[unit];
  if (ms === undefined) {
    if (CALENDAR_UNITS.has(unit) || CALENDAR_UNITS.has(unitText)) return unsupported(`calendar periods in bin() ("${t.text}")`, t);
    return malformed(`"${m[2]}" is not a time unit`, t);
  }
  if (amount < 1) return malformed('bin() needs a period longer than zero', t);
  return amount * ms;
}

function describe(t: Token): string {
  switch (t.kind) {
    case 'eof':
      return 'the end of the query';
    case 'string':
      return `the string "${t.text}"`;
    case 'quoted':
      return `\`${t.text}\``;
    default:
      return `"${t.text}"`;
  }
}

/** Parse a query; throws LogsInsightsQueryError (MalformedQueryException) naming the position. */
export function parseQuery(text: string): Query {
  return new Parser(text, tokenize(text)).parse();
}
