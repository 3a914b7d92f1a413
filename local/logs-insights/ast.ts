/**
 * The syntax tree of a Logs Insights query (the part flowir compiles: see parser.ts). Every node
 * has its span in the query text, for errors; `canonicalQuery` drops the spans, so that two texts
 * that differ only in spacing, comments or keyword case compare equal.
 */
export interface Span {
  readonly start: number;
  readonly end: number;
}

export type CompareOp = '=' | '!=' | '<' | '<=' | '>' | '>=';

export interface StringLiteral {
  readonly kind: 'string';
  readonly value: string;
  readonly span: Span;
}

export interface NumberLiteral {
  readonly kind: 'number';
  /** Exact: a bigint for whole numbers past 2^53. */
  readonly value: number | bigint;
  readonly span: Span;
}

export type Literal = StringLiteral | NumberLiteral;

export interface FieldRef {
  readonly kind: 'field';
  /** Without backticks. */
  readonly name: string;
  readonly span: Span;
}

export interface Compare {
  readonly kind: 'compare';
  readonly op: CompareOp;
  readonly left: Expr;
  readonly right: Expr;
  readonly span: Span;
}

/** `value in [a, b]`, or `value not in [...]`: set membership on complete strings. */
export interface InList {
  readonly kind: 'in';
  readonly negated: boolean;
  readonly value: Expr;
  readonly list: readonly Literal[];
  readonly span: Span;
}

export interface Logical {
  readonly kind: 'and' | 'or';
  readonly left: Expr;
  readonly right: Expr;
  readonly span: Span;
}

export interface Not {
  readonly kind: 'not';
  readonly operand: Expr;
  readonly span: Span;
}

export type Expr = FieldRef | Literal | Compare | InList | Logical | Not;

/** `parse [field] "glob" as a, b, ...`: one name per `*`. */
export interface ParseCommand {
  readonly kind: 'parse';
  readonly source: string;
  readonly pattern: string;
  readonly names: readonly string[];
  readonly span: Span;
}

export interface FieldsCommand {
  readonly kind: 'fields';
  readonly items: ReadonlyArray<{ readonly field: string; readonly alias: string | undefined }>;
  readonly span: Span;
}

export interface DisplayCommand {
  readonly kind: 'display';
  readonly fields: readonly string[];
  readonly span: Span;
}

export interface FilterCommand {
  readonly kind: 'filter';
  readonly expr: Expr;
  readonly span: Span;
}

export type AggregateFunction = 'count' | 'sum' | 'count_distinct' | 'avg' | 'min' | 'max';

export interface Aggregate {
  readonly fn: AggregateFunction;
  /** The field aggregated; null for `count(*)` and `count()`. */
  readonly field: string | null;
  /** The output field: the alias, else the call as written (`count(*)`, `sum(bytes)`). */
  readonly name: string;
  readonly alias: string | undefined;
}

export type GroupKey =
  | { readonly kind: 'field'; readonly field: string; readonly name: string; readonly alias: string | undefined }
  /** `bin(period)`: `@timestamp` rounded down to the period. */
  | { readonly kind: 'bin'; readonly periodMs: number; readonly name: string; readonly alias: string | undefined };

export interface StatsCommand {
  readonly kind: 'stats';
  readonly aggregates: readonly Aggregate[];
  readonly groups: readonly GroupKey[];
  readonly span: Span;
}

export interface SortCommand {
  readonly kind: 'sort';
  readonly keys: ReadonlyArray<{ readonly field: string; readonly order: 'asc' | 'desc' }>;
  readonly span: Span;
}

export interface LimitCommand {
  readonly kind: 'limit';
  readonly count: number;
  readonly span: Span;
}

export type Command = ParseCommand | FieldsCommand | DisplayCommand | FilterCommand | StatsCommand | SortCommand | LimitCommand;

export interface Query {
  readonly text: string;
  readonly commands: readonly Command[];
}

/** The query without its text and spans, as one string: equal for equal queries. */
export function canonicalQuery(query: Query | readonly Command[]): string {
  const commands = 'commands' in query ? query.commands : query;
  return JSON.stringify(commands, (key, value: unknown) => {
    if (key === 'span') return undefined;
    return typeof value === 'bigint' ? `${value}n` : value;
  });
}
