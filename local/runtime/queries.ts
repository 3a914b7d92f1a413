import type { Finding } from '../../core/detection/findings';
import type { DetectionId } from '../../core/detection/rules';
import type { TimeWindow } from '../../core/detection/window';
import type { PlanOutput, ResultRow, RuleQuery } from '../../workflows/contract';

/** Findings over threshold in a window, before the allowlist (what a detection query returns). */
export type WindowEvaluator = (window: TimeWindow) => Promise<readonly Finding[]>;

export class UnknownQueryError extends Error {
  override readonly name = 'CloudWatchLogs.InvalidParameterException';
}

/**
 * CloudWatch Logs Insights, locally: StartQuery and GetQueryResults answered by the streaming
 * evaluator over the input files. A query is recognised by its exact text, as the PlanWindow task
 * compiled it, so a workflow that sent any other query would fail here as it would find nothing on AWS.
 */
export class LocalLogsInsights {
  private readonly plans = new Map<string, RuleQuery>();
  private readonly queries = new Map<string, RuleQuery>();
  private readonly cache = new Map<string, Promise<readonly Finding[]>>();
  private next = 0;

  constructor(private readonly evaluate: WindowEvaluator) {}

  /** Remember the queries a PlanWindow task compiled. */
  planned(plan: PlanOutput): void {
    for (const rule of plan.rules) this.plans.set(rule.queryString, rule);
  }

  async startQuery(input: unknown): Promise<{ QueryId: string }> {
    const p = input as { QueryString?: unknown; StartTime?: unknown; EndTime?: unknown };
    const rule = typeof p.QueryString === 'string' ? this.plans.get(p.QueryString) : undefined;
    if (rule === undefined) throw new UnknownQueryError('the query is not one PlanWindow compiled');
    if (typeof p.StartTime !== 'number' || typeof p.EndTime !== 'number' || p.StartTime > rule.window.start || p.EndTime < rule.window.end) {
      throw new UnknownQueryError(`StartTime/EndTime must cover the window ${rule.window.start}..${rule.window.end}`);
    }
    const id = `local-query-${++this.next}`;
    this.queries.set(id, rule);
    return { QueryId: id };
  }

  async getQueryResults(input: unknown): Promise<{ Status: 'Complete'; Results: ResultRow[] }> {
    const id = (input as { QueryId?: unknown }).QueryId;
    const rule = typeof id === 'string' ? this.queries.get(id) : undefined;
    if (rule === undefined) throw new UnknownQueryError(`no query ${String(id)}`);
    const findings = await this.findings(rule.window);
    return { Status: 'Complete', Results: findings.filter((f) => f.detection === rule.detection).map((f) => rowOf(rule.detection, f)) };
  }

  private findings(window: TimeWindow): Promise<readonly Finding[]> {
    const key = `${window.start}-${window.end}`;
    let p = this.cache.get(key);
    if (p === undefined) this.cache.set(key, (p = this.evaluate(window)));
    return p;
  }
}

function rowOf(detection: DetectionId, f: Finding): ResultRow {
  const row = [{ field: 'srcaddr', value: f.source }];
  if (detection === 'SUSPICIOUS_PORT_ACCESS') row.push({ field: 'dstport', value: String(f.port) });
  row.push({ field: 'value', value: String(f.value) });
  return row;
}
