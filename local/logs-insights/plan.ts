/**
 * Planning a query onto the fast scanner: a query whose syntax tree is exactly what
 * `compileLogsInsights` makes of one of the configured rules (its thresholds, port list and
 * format) is answered from `fastScan`'s result for the window, not record by record. The match is
 * on the tree (canonicalQuery), not the text, so spacing, comments and keyword case do not matter,
 * and any other query — a changed threshold, an extra filter — is interpreted.
 *
 * The rule's rows are the groups over the threshold: exactly the fast scan's findings (and the
 * allowlisted ones, which a query does not drop) for that rule. They enter the query where its
 * `stats` leaves its rows, and the query's own commands after it (`filter value > T`, `sort`,
 * `limit`) run on them in the interpreter, so that order and truncation are the interpreter's.
 */
import { compileLogsInsights, CompileError, RESULT_COLUMNS } from '../../core/detection/compile';
import { planRule } from '../../core/detection/compile/rule-plan';
import type { FlowirConfig } from '../../core/detection/config';
import type { Finding } from '../../core/detection/findings';
import { DETECTION_IDS, type DetectionId } from '../../core/detection/rules';
import type { TimeWindow } from '../../core/detection/window';
import type { FlowLogFormat } from '../../core/flowlog/format';
import { canonicalQuery, type Command, type Expr, type Query } from './ast';
import type { Cell } from './values';
import { parseQuery } from './parser';

export interface RuleMatch {
  readonly detection: DetectionId;
  /** The window the query's own filter on `start` keeps, `[start, end)`; undefined when it has none (the saved port-scan query). */
  readonly window: TimeWindow | undefined;
}

export class RulePlanner {
  private readonly compiled = new Map<string, string | null>();

  constructor(
    private readonly config: FlowirConfig,
    private readonly format: FlowLogFormat,
  ) {}

  /** The enabled rule this query is the compiled form of, or undefined. */
  match(query: Query): RuleMatch | undefined {
    const shape = canonicalQuery(query);
    const window = windowFilter(query.commands);
    const limitCommand = [...query.commands].reverse().find((c) => c.kind === 'limit');
    const limit = limitCommand?.kind === 'limit' ? limitCommand.count : undefined;
    for (const detection of DETECTION_IDS) {
      if (!this.config.detections[detection].enabled) continue;
      if (this.canonical(detection, window, limit) === shape) return { detection, window };
    }
    return undefined;
  }

  private canonical(detection: DetectionId, window: TimeWindow | undefined, limit: number | undefined): string | null {
    const key = `${detection}|${window === undefined ? '-' : `${window.start}-${window.end}`}|${limit ?? '-'}`;
    let c = this.compiled.get(key);
    if (c === undefined) {
      try {
        c = canonicalQuery(parseQuery(compileLogsInsights(detection, { config: this.config, format: this.format, ...(window !== undefined ? { window } : {}), ...(limit !== undefined ? { limit } : {}) })));
      } catch (e) {
        if (!(e instanceof CompileError)) throw e;
        c = null;
      }
      this.compiled.set(key, c);
    }
    return c;
  }
}

/** `filter start >= A and start < B` (the compiled window filter), as a window. */
function windowFilter(commands: readonly Command[]): TimeWindow | undefined {
  for (const c of commands) {
    if (c.kind !== 'filter' || c.expr.kind !== 'and') continue;
    const lo = bound(c.expr.left, '>=');
    const hi = bound(c.expr.right, '<');
    if (lo !== undefined && hi !== undefined && lo < hi) return { start: lo, end: hi };
  }
  return undefined;
}

function bound(e: Expr, op: '>=' | '<'): number | undefined {
  if (e.kind !== 'compare' || e.op !== op || e.left.kind !== 'field' || e.left.name !== 'start' || e.right.kind !== 'number') return undefined;
  const v = e.right.value;
  return typeof v === 'number' && Number.isSafeInteger(v) ? v : undefined;
}

/** The rows the rule's `stats` leaves after its threshold filter: the findings of that rule, as `{srcaddr, [dstport,] value}`. */
export function statsRowsOf(detection: DetectionId, config: FlowirConfig, findings: readonly Finding[]): Record<string, Cell>[] {
  const withPort = planRule(detection, config).groupBy.includes('dstport');
  return findings
    .filter((f) => f.detection === detection)
    .map((f) => ({
      [RESULT_COLUMNS.source]: f.source,
      ...(withPort ? { [RESULT_COLUMNS.port]: String(f.port) } : {}),
      [RESULT_COLUMNS.value]: f.value,
    }));
}
