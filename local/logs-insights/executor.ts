/**
 * Runs a parsed query over log events, one at a time: memory is bounded by the number of groups a
 * `stats` keeps (and the distinct values a `count_distinct` keeps per group), and by the rows a
 * `sort` must hold to return its first N (N = the `limit` after it, or the 10,000 rows a query
 * returns), never by the number of events.
 *
 * Semantics (AWS's Logs Insights QL pages; the parser cites them): commands apply in order, each
 * to the rows the one before it leaves. Before the first `stats` the rows are log events, with
 * `@timestamp`, `@message`, `@ptr` and the fields `parse` and `fields ... as` make; a `stats` turns
 * them into one row per group (its `by` fields, then its aggregations), and after it only the
 * fields it made exist (TOOLING.md: "fields referenced after stats must be defined by it"; a field
 * that does not exist reads as absent). At most 10,000 rows come back unless `limit` or
 * StartQuery's `limit` says otherwise.
 *
 * Local choices where AWS says nothing, so that answers are deterministic:
 * - `sort` is stable, and rows equal on every sort key are ordered by their other fields (the
 *   natural sort order, field by field), then by arrival. A `sort` before a `stats` does not change
 *   its result, and is skipped.
 * - `stats` rows come out in the order their groups first appeared; `by` fields first, then the
 *   aggregations, each in the order written.
 * - `sum` is exact (bigint past 2^53) while the values are whole numbers; AWS likely sums doubles
 *   (UNVERIFIED). Text that is not a number is not summed. A group with nothing to sum has no value.
 * - `count_distinct` is exact; on AWS it "is just an approximation" at high cardinality
 *   (https://docs.aws.amazon.com/AmazonCloudWatch/latest/logs/CWL_QuerySyntax-Stats.html), which is
 *   why the incident workflow re-counts findings on the raw records.
 * - A row's absent fields are left out of its result row (GetQueryResults gives `{field, value}`
 *   pairs only for fields with a value).
 */
import { addCount } from '../../core/detection/tables';
import type { Aggregate, Command, Expr, GroupKey, Query, StatsCommand } from './ast';
import { LogsInsightsQueryError } from './errors';
import { compileGlob } from './glob';
import { compareOp, formatTimestamp, numeric, render, sortCells, sortOrder, type Cell } from './values';

/** One log event: CloudWatch's `timestamp` (epoch ms) and `message`, and a pointer to it. */
export interface LogEvent {
  readonly timestamp: number;
  readonly message: string;
  /** `@ptr`: where the event is, for the rows of a query without stats. */
  readonly ptr: string;
  /**
   * The message's fields, when its reader made it by joining them with single spaces (none holding
   * a space): a `parse` of `@message` with a `* * ... *` glob then takes them rather than splitting
   * the message again, with the same result.
   */
  readonly fields?: readonly string[];
}

/** GetQueryResults' `ResultField`. */
export interface ResultCell {
  readonly field: string;
  readonly value: string;
}

export interface ExecutionResult {
  readonly rows: ResultCell[][];
  /**
   * Log events that passed every `filter` before the first `stats` (every `filter`, for a query
   * without `stats`): AWS's `recordsMatched`, "The number of log events that matched the query string".
   */
  readonly recordsMatched: number;
}

export interface ExecutionOptions {
  /** The most rows returned (StartQuery's `limit`). @default 10,000 */
  readonly maxRows?: number;
}

/** Rows a query returns when neither it nor StartQuery says otherwise (the limit page). */
export const DEFAULT_MAX_ROWS = 10_000;

type Row = Cell[];

class Schema {
  readonly names: string[] = [];
  private readonly slots = new Map<string, number>();
  /** Slots that hold epoch milliseconds to print as times. */
  readonly times = new Set<number>();

  add(name: string, time = false): number {
    let slot = this.slots.get(name);
    if (slot === undefined) {
      slot = this.names.length;
      this.names.push(name);
      this.slots.set(name, slot);
    }
    if (time) this.times.add(slot);
    return slot;
  }

  slot(name: string): number | undefined {
    return this.slots.get(name);
  }

  get width(): number {
    return this.names.length;
  }
}

interface Operator {
  push(row: Row): void;
  end(): void;
}

type Pred = (row: Row) => boolean;
type Read = (row: Row) => Cell;

/** One stretch of commands between stats commands, with the fields its rows have. */
interface Segment {
  readonly schema: Schema;
  readonly commands: Command[];
  /** The stats command that ends it, if any. */
  readonly stats: StatsCommand | undefined;
}

class Sink implements Operator {
  readonly rows: Row[] = [];
  constructor(private readonly max: number) {}
  push(row: Row): void {
    if (this.rows.length < this.max) this.rows.push(row);
  }
  end(): void {}
}

class Counter implements Operator {
  count = 0;
  constructor(private readonly next: Operator) {}
  push(row: Row): void {
    this.count++;
    this.next.push(row);
  }
  end(): void {
    this.next.end();
  }
}

class Filter implements Operator {
  constructor(
    private readonly pred: Pred,
    private readonly next: Operator,
  ) {}
  push(row: Row): void {
    if (this.pred(row)) this.next.push(row);
  }
  end(): void {
    this.next.end();
  }
}

class Parse implements Operator {
  private readonly match: (text: string) => string[] | undefined;
  /** For `parse @message "* * ... *"`: the event's fields stand for the split. */
  readonly spaceSplitOfMessage: boolean;
  /** The fields of the event being pushed (Execution.push sets them). */
  eventFields: readonly string[] | undefined;
  constructor(
    pattern: string,
    names: readonly string[],
    private readonly source: number | undefined,
    private readonly targets: readonly number[],
    private readonly next: Operator,
    messageSlot: number | undefined,
  ) {
    const glob = compileGlob(pattern, names);
    this.match = glob.match;
    this.spaceSplitOfMessage = glob.separator === ' ' && source !== undefined && source === messageSlot;
  }
  push(row: Row): void {
    const v = this.source === undefined ? null : row[this.source];
    if (v !== null && v !== undefined) {
      const fields = this.spaceSplitOfMessage ? this.eventFields : undefined;
      const got = fields !== undefined ? splitOfFields(fields, this.targets.length) : this.match(typeof v === 'string' ? v : render(v));
      if (got !== undefined) for (let k = 0; k < got.length; k++) row[this.targets[k] as number] = got[k] as string;
    }
    this.next.push(row);
  }
  end(): void {
    this.next.end();
  }
}

/** What `* * ... *` (n wildcards, single spaces) captures of fields joined by single spaces. */
function splitOfFields(fields: readonly string[], n: number): string[] | undefined {
  if (fields.length < n) return undefined;
  if (fields.length === n) return fields as string[];
  const out = fields.slice(0, n - 1);
  out.push(fields.slice(n - 1).join(' '));
  return out;
}

class Copy implements Operator {
  constructor(
    private readonly pairs: ReadonlyArray<readonly [number | undefined, number]>,
    private readonly next: Operator,
  ) {}
  push(row: Row): void {
    for (const [from, to] of this.pairs) row[to] = from === undefined ? null : (row[from] ?? null);
    this.next.push(row);
  }
  end(): void {
    this.next.end();
  }
}

class Limit implements Operator {
  private left: number;
  constructor(
    count: number,
    private readonly next: Operator,
  ) {
    this.left = count;
  }
  push(row: Row): void {
    if (this.left > 0) {
      this.left--;
      this.next.push(row);
    }
  }
  end(): void {
    this.next.end();
  }
}

/** Sort, keeping only the first `cap` rows (bounded memory), then hand them on in order. */
class TopN implements Operator {
  private buffer: { row: Row; seq: number }[] = [];
  private seq = 0;
  constructor(
    private readonly compare: (a: Row, b: Row) => number,
    private readonly cap: number,
    private readonly next: Operator,
  ) {}
  private order = (a: { row: Row; seq: number }, b: { row: Row; seq: number }): number => this.compare(a.row, b.row) || a.seq - b.seq;
  push(row: Row): void {
    this.buffer.push({ row, seq: this.seq++ });
    if (this.buffer.length >= 2 * this.cap && this.buffer.length >= 1024) {
      this.buffer.sort(this.order);
      this.buffer.length = this.cap;
    }
  }
  end(): void {
    this.buffer.sort(this.order);
    for (let k = 0; k < Math.min(this.cap, this.buffer.length); k++) this.next.push((this.buffer[k] as { row: Row }).row);
    this.buffer = [];
    this.next.end();
  }
}

type AggState = { n: number } | { sum: number | bigint | null; float: boolean } | { set: Set<string> } | { total: number; n: number } | { best: Cell };

interface AggSpec {
  readonly fn: Aggregate['fn'];
  /** count(*) or count(): every row counts. */
  readonly star: boolean;
  /** The field's slot; undefined when the field does not exist (it reads as absent). */
  readonly slot: number | undefined;
}

function newState(spec: AggSpec): AggState {
  switch (spec.fn) {
    case 'count':
      return { n: 0 };
    case 'sum':
      return { sum: null, float: false };
    case 'count_distinct':
      return { set: new Set() };
    case 'avg':
      return { total: 0, n: 0 };
    case 'min':
    case 'max':
      return { best: null };
  }
}

function accumulate(spec: AggSpec, state: AggState, row: Row): void {
  const v = spec.slot === undefined ? null : (row[spec.slot] ?? null);
  switch (spec.fn) {
    case 'count':
      // count(*) and count() count rows; count(field) the rows that have the field.
      if (spec.star || v !== null) (state as { n: number }).n++;
      return;
    case 'sum': {
      if (v === null) return;
      const x = numeric(v);
      if (x === undefined) return;
      const s = state as { sum: number | bigint | null; float: boolean };
      if (s.float || (typeof x === 'number' && !Number.isInteger(x))) {
        s.float = true;
        s.sum = Number(s.sum ?? 0) + Number(x);
      } else {
        s.sum = s.sum === null ? x : addCount(s.sum, x);
      }
      return;
    }
    case 'count_distinct':
      if (v !== null) (state as { set: Set<string> }).set.add(typeof v === 'string' ? v : render(v));
      return;
    case 'avg': {
      const x = v === null ? undefined : numeric(v);
      if (x === undefined) return;
      const s = state as { total: number; n: number };
      s.total += Number(x);
      s.n++;
      return;
    }
    case 'min':
    case 'max': {
      if (v === null) return;
      const s = state as { best: Cell };
      if (s.best === null || (spec.fn === 'max' ? sortOrder(v, s.best) > 0 : sortOrder(v, s.best) < 0)) s.best = v;
      return;
    }
  }
}

function result(spec: AggSpec, state: AggState): Cell {
  switch (spec.fn) {
    case 'count':
      return (state as { n: number }).n;
    case 'sum':
      return (state as { sum: number | bigint | null }).sum;
    case 'count_distinct':
      return (state as { set: Set<string> }).set.size;
    case 'avg': {
      const s = state as { total: number; n: number };
      return s.n === 0 ? null : s.total / s.n;
    }
    case 'min':
    case 'max':
      return (state as { best: Cell }).best;
  }
}

class Stats implements Operator {
  private readonly groups = new Map<string, { keys: Cell[]; states: AggState[] }>();
  constructor(
    private readonly keyReaders: readonly Read[],
    private readonly specs: readonly AggSpec[],
    private readonly width: number,
    private readonly next: Operator,
  ) {}

  push(row: Row): void {
    const readers = this.keyReaders;
    let key: string;
    let keys: Cell[] | undefined;
    if (readers.length === 0) {
      key = '';
      keys = [];
    } else if (readers.length === 1) {
      const v = (readers[0] as Read)(row);
      key = v === null ? '\u0000' : typeof v === 'string' ? `s${v}` : `n${render(v)}`;
    } else {
      keys = readers.map((r) => r(row));
      key = keys.map((v) => (v === null ? '\u0000' : typeof v === 'string' ? `s${v}` : `n${render(v)}`)).join('\u0001');
    }
    let g = this.groups.get(key);
    if (g === undefined) {
      g = { keys: keys ?? readers.map((r) => r(row)), states: this.specs.map(newState) };
      this.groups.set(key, g);
    }
    for (let k = 0; k < this.specs.length; k++) accumulate(this.specs[k] as AggSpec, g.states[k] as AggState, row);
  }

  /** Rows as the stats made them, straight into what follows (the planned path hands them in). */
  pushGroupRow(row: Row): void {
    this.next.push(row);
  }

  end(): void {
    // Without `by`, one row even over no rows at all (as SQL's aggregates give; UNVERIFIED for AWS).
    if (this.keyReaders.length === 0 && this.groups.size === 0) this.groups.set('', { keys: [], states: this.specs.map(newState) });
    for (const g of this.groups.values()) {
      const row: Row = new Array<Cell>(this.width).fill(null);
      g.keys.forEach((v, k) => (row[k] = v));
      g.states.forEach((s, k) => (row[g.keys.length + k] = result(this.specs[k] as AggSpec, s)));
      this.next.push(row);
    }
    this.groups.clear();
    this.next.end();
  }

  endGroups(): void {
    this.next.end();
  }
}

/**
 * A query ready to run: `push` each log event in the time range, then `finish`. Building one checks
 * what parsing cannot (a condition that is not a comparison), so StartQuery can refuse the query.
 */
export class Execution {
  private readonly head: Operator;
  private readonly counter: Counter;
  private readonly sink: Sink;
  private readonly finalSchema: Schema;
  private readonly columns: readonly string[];
  private readonly eventRows: boolean;
  private readonly eventWidth: number;
  private readonly firstStats: Stats | undefined;
  private readonly firstStatsSchema: Schema | undefined;
  private readonly slots: { readonly timestamp: number; readonly message: number; readonly ptr: number };
  /** The parse commands that may take an event's fields (only while `@message` is unchanged: before any other parse writes it). */
  private readonly parses: Parse[] = [];
  private readonly fieldParses: Parse[];
  private done = false;

  constructor(
    readonly query: Query,
    options: ExecutionOptions = {},
  ) {
    const maxRows = options.maxRows ?? DEFAULT_MAX_ROWS;
    const segments = splitSegments(query.commands);
    const last = segments[segments.length - 1] as Segment;
    this.finalSchema = last.schema;
    this.eventRows = segments.length === 1;
    this.columns = outputColumns(last, this.eventRows);
    this.sink = new Sink(maxRows);
    const events = (segments[0] as Segment).schema;
    this.eventWidth = events.width;
    this.slots = { timestamp: events.slot('@timestamp') as number, message: events.slot('@message') as number, ptr: events.slot('@ptr') as number };

    // Built from the end: each segment's operators feed the next segment's stats.
    let downstream: Operator = this.sink;
    let counter: Counter | undefined;
    let firstStats: Stats | undefined;
    for (let s = segments.length - 1; s >= 0; s--) {
      const seg = segments[s] as Segment;
      const isLast = s === segments.length - 1;
      const ops = this.segmentOperators(seg, downstream, isLast ? maxRows : undefined, s === 0);
      downstream = ops.head;
      if (s === 0) counter = ops.counter;
      if (s > 0) {
        const statsCmd = (segments[s - 1] as Segment).stats as StatsCommand;
        const stats = this.statsOperator(statsCmd, (segments[s - 1] as Segment).schema, seg.schema, downstream);
        if (s === 1) firstStats = stats;
        downstream = stats;
      }
    }
    this.head = downstream;
    // The fields stand for the message only while no command writes @message itself.
    const writesMessage = query.commands.some((c) => (c.kind === 'parse' && c.names.includes('@message')) || (c.kind === 'fields' && c.items.some((i) => i.alias === '@message')));
    this.fieldParses = writesMessage ? [] : this.parses.filter((p) => p.spaceSplitOfMessage);
    this.counter = counter as Counter;
    this.firstStats = firstStats;
    this.firstStatsSchema = segments.length > 1 ? (segments[1] as Segment).schema : undefined;
  }

  private fail(detail: string, at: { start: number; end: number }): never {
    throw new LogsInsightsQueryError('unsupported', detail, { startCharOffset: at.start, endCharOffset: at.end }, this.query.text);
  }

  private segmentOperators(seg: Segment, downstream: Operator, finalCap: number | undefined, first: boolean): { head: Operator; counter: Counter | undefined } {
    const schema = seg.schema;
    // Sorts move down past row-by-row commands (which they commute with) to the limit, stats or
    // end that makes their order matter; several in a row sort by the last, then the earlier ones.
    type Step = { kind: 'row'; command: Command } | { kind: 'topn'; keys: { field: string; order: 'asc' | 'desc' }[]; cap: number } | { kind: 'limit'; count: number } | { kind: 'count' };
    const steps: Step[] = [];
    let pendingSort: { field: string; order: 'asc' | 'desc' }[] | null = null;
    const lastFilter = first ? seg.commands.map((c) => c.kind).lastIndexOf('filter') : -1;
    if (first && lastFilter === -1) steps.push({ kind: 'count' });
    seg.commands.forEach((command, index) => {
      if (command.kind === 'sort') pendingSort = [...command.keys, ...(pendingSort ?? [])];
      else if (command.kind === 'limit') {
        steps.push(pendingSort === null ? { kind: 'limit', count: command.count } : { kind: 'topn', keys: pendingSort, cap: command.count });
        pendingSort = null;
      } else steps.push({ kind: 'row', command });
      if (first && index === lastFilter) steps.push({ kind: 'count' });
    });
    const sorted = pendingSort as { field: string; order: 'asc' | 'desc' }[] | null;
    if (sorted !== null && finalCap !== undefined) steps.push({ kind: 'topn', keys: sorted, cap: finalCap });

    let op = downstream;
    let counter: Counter | undefined;
    for (let k = steps.length - 1; k >= 0; k--) {
      const step = steps[k] as Step;
      if (step.kind === 'count') {
        counter = new Counter(op);
        op = counter;
      } else if (step.kind === 'limit') op = new Limit(step.count, op);
      else if (step.kind === 'topn') op = new TopN(rowOrder(step.keys, schema), step.cap, op);
      else op = this.rowOperator(step.command, schema, op, first);
    }
    return { head: op, counter };
  }

  private rowOperator(command: Command, schema: Schema, next: Operator, events: boolean): Operator {
    switch (command.kind) {
      case 'parse': {
        const parse = new Parse(
          command.pattern,
          command.names,
          schema.slot(command.source),
          command.names.map((n) => schema.slot(n) as number),
          next,
          // Only over log events does @message hold the event's message.
          events ? schema.slot('@message') : undefined,
        );
        this.parses.push(parse);
        return parse;
      }
      case 'filter':
        return new Filter(this.predicate(command.expr, schema), next);
      case 'fields': {
        const pairs = command.items.filter((i) => i.alias !== undefined && i.alias !== i.field).map((i) => [schema.slot(i.field), schema.slot(i.alias as string) as number] as const);
        return pairs.length === 0 ? next : new Copy(pairs, next);
      }
      case 'display':
        return next;
      default:
        throw new Error(`internal: ${command.kind} is not a row command`);
    }
  }

  private predicate(expr: Expr, schema: Schema): Pred {
    switch (expr.kind) {
      case 'and': {
        const l = this.predicate(expr.left, schema);
        const r = this.predicate(expr.right, schema);
        return (row) => l(row) && r(row);
      }
      case 'or': {
        const l = this.predicate(expr.left, schema);
        const r = this.predicate(expr.right, schema);
        return (row) => l(row) || r(row);
      }
      case 'not': {
        const p = this.predicate(expr.operand, schema);
        return (row) => !p(row);
      }
      case 'in': {
        const read = this.operand(expr.value, schema);
        const set = new Set(expr.list.map((l) => render(l.value)));
        if (expr.negated) return (row) => {
          const v = read(row);
          return v !== null && !set.has(typeof v === 'string' ? v : render(v));
        };
        return (row) => {
          const v = read(row);
          return v !== null && set.has(typeof v === 'string' ? v : render(v));
        };
      }
      case 'compare': {
        const { op } = expr;
        const left = this.operand(expr.left, schema);
        // Equality with text that is not a number can only compare as text: skip the number test.
        if ((op === '=' || op === '!=') && expr.right.kind === 'string' && numeric(expr.right.value) === undefined) {
          const text = expr.right.value;
          const eq = op === '=';
          return (row) => {
            const v = left(row);
            if (v === null) return false;
            return ((typeof v === 'string' ? v : render(v)) === text) === eq;
          };
        }
        const right = this.operand(expr.right, schema);
        return (row) => compareOp(op, left(row), right(row));
      }
      default:
        return this.fail('a condition must be a comparison, "in", or "and" / "or" / "not" of conditions (ispresent() and bare fields are not run here)', expr.span);
    }
  }

  private operand(expr: Expr, schema: Schema): Read {
    switch (expr.kind) {
      case 'field': {
        const slot = schema.slot(expr.name);
        if (slot === undefined) return () => null;
        return (row) => row[slot] ?? null;
      }
      case 'string':
      case 'number': {
        const v = expr.value;
        return () => v;
      }
      default:
        return this.fail('a comparison of conditions (only fields and literals are compared here)', expr.span);
    }
  }

  private statsOperator(command: StatsCommand, input: Schema, output: Schema, next: Operator): Stats {
    const readers: Read[] = command.groups.map((g) => groupReader(g, input));
    const specs: AggSpec[] = command.aggregates.map((a) => ({ fn: a.fn, star: a.field === null, slot: a.field === null ? undefined : input.slot(a.field) }));
    return new Stats(readers, specs, output.width, next);
  }

  /** Feed one log event (already in the query's time range). */
  push(event: LogEvent): void {
    const row: Row = new Array<Cell>(this.eventWidth).fill(null);
    row[this.slots.timestamp] = event.timestamp;
    row[this.slots.message] = event.message;
    row[this.slots.ptr] = event.ptr;
    for (const p of this.fieldParses) p.eventFields = event.fields;
    this.head.push(row);
  }

  finish(): ExecutionResult {
    if (this.done) throw new Error('internal: an execution finishes once');
    this.done = true;
    this.head.end();
    return { rows: this.sink.rows.map((r) => this.resultRow(r)), recordsMatched: this.counter.count };
  }

  /**
   * The planned path: the rows the first `stats` would have made (field name → value), and the
   * number of events it would have counted; the commands after that `stats` run on them here.
   */
  finishFromStats(rows: ReadonlyArray<Readonly<Record<string, Cell>>>, recordsMatched: number): ExecutionResult {
    if (this.done) throw new Error('internal: an execution finishes once');
    const stats = this.firstStats;
    const schema = this.firstStatsSchema;
    if (stats === undefined || schema === undefined) throw new Error('internal: finishFromStats on a query without stats');
    this.done = true;
    const width = schema.width;
    for (const r of rows) {
      const row: Row = new Array<Cell>(width).fill(null);
      for (const [name, v] of Object.entries(r)) {
        const slot = schema.slot(name);
        if (slot === undefined) throw new Error(`internal: stats makes no field "${name}"`);
        row[slot] = v;
      }
      stats.pushGroupRow(row);
    }
    stats.endGroups();
    return { rows: this.sink.rows.map((r) => this.resultRow(r)), recordsMatched };
  }

  private resultRow(row: Row): ResultCell[] {
    const out: ResultCell[] = [];
    const schema = this.finalSchema;
    for (const name of this.columns) {
      const slot = schema.slot(name);
      if (slot === undefined) continue;
      const v = row[slot] ?? null;
      if (v === null) continue;
      out.push({ field: name, value: schema.times.has(slot) && typeof v === 'number' ? formatTimestamp(v) : render(v) });
    }
    return out;
  }
}

function groupReader(g: GroupKey, input: Schema): Read {
  if (g.kind === 'bin') {
    const ts = input.slot('@timestamp');
    const period = g.periodMs;
    if (ts === undefined) return () => null;
    return (row) => {
      const v = row[ts];
      return typeof v === 'number' ? Math.floor(v / period) * period : null;
    };
  }
  const slot = input.slot(g.field);
  if (slot === undefined) return () => null;
  return (row) => row[slot] ?? null;
}

function rowOrder(keys: ReadonlyArray<{ readonly field: string; readonly order: 'asc' | 'desc' }>, schema: Schema): (a: Row, b: Row) => number {
  const slots = keys.map((k) => ({ slot: schema.slot(k.field), order: k.order }));
  const keyed = new Set(slots.map((s) => s.slot));
  const rest = schema.names.map((_, i) => i).filter((i) => !keyed.has(i));
  return (a, b) => {
    for (const { slot, order } of slots) {
      if (slot === undefined) continue;
      const c = sortCells(a[slot] ?? null, b[slot] ?? null, order);
      if (c !== 0) return c;
    }
    for (const i of rest) {
      const c = sortCells(a[i] ?? null, b[i] ?? null, 'asc');
      if (c !== 0) return c;
    }
    return 0;
  };
}

function splitSegments(commands: readonly Command[]): Segment[] {
  const segments: Segment[] = [];
  let schema = new Schema();
  schema.add('@timestamp', true);
  schema.add('@message');
  schema.add('@ptr');
  let current: Command[] = [];
  const close = (stats: StatsCommand | undefined): void => {
    segments.push({ schema, commands: current, stats });
    current = [];
  };
  for (const c of commands) {
    if (c.kind === 'stats') {
      close(c);
      schema = new Schema();
      for (const g of c.groups) schema.add(g.name, g.kind === 'bin');
      for (const a of c.aggregates) schema.add(a.name);
      continue;
    }
    current.push(c);
    if (c.kind === 'parse') for (const n of c.names) schema.add(n);
    if (c.kind === 'fields') {
      for (const item of c.items) {
        if (item.alias === undefined) continue;
        const from = schema.slot(item.field);
        schema.add(item.alias, from !== undefined && schema.times.has(from));
      }
    }
  }
  close(undefined);
  return segments;
}

/**
 * The fields a result row shows: the last `display` of the final stretch, else its `fields`
 * (names and aliases, in order), else what its `stats` made, else `@timestamp` and `@message` (AWS:
 * without fields, "the results show the @timestamp and all log data in the @message field",
 * https://docs.aws.amazon.com/AmazonCloudWatch/latest/logs/CWL_QuerySyntax.html). Rows of log events
 * also carry `@ptr`.
 */
function outputColumns(last: Segment, events: boolean): string[] {
  const display = [...last.commands].reverse().find((c) => c.kind === 'display');
  let columns: string[];
  if (display !== undefined && display.kind === 'display') columns = [...display.fields];
  else {
    const fields = last.commands.flatMap((c) => (c.kind === 'fields' ? c.items.map((i) => i.alias ?? i.field) : []));
    if (fields.length > 0) columns = [...new Set(fields)];
    else if (!events) columns = [...last.schema.names];
    else columns = ['@timestamp', '@message'];
  }
  if (events && !columns.includes('@ptr')) columns.push('@ptr');
  return columns;
}
