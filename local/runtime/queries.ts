import type { Finding } from '../../core/detection/findings';
import type { DetectionId } from '../../core/detection/rules';
import type { TimeWindow } from '../../core/detection/window';
import type { GetQueryResultsCommandInput, GetQueryResultsCommandOutput, ResultField, StartQueryCommandInput, StartQueryCommandOutput, StopQueryCommandInput, StopQueryCommandOutput } from '@aws-sdk/client-cloudwatch-logs';
import type { PlanOutput, RuleQuery } from '../../workflows/contract';

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

  /** StartQuery, in the SDK v3's shape (the task wrapper converts from and to Step Functions'). */
  async startQuery(input: StartQueryCommandInput): Promise<StartQueryCommandOutput> {
    const rule = input.queryString === undefined ? undefined : this.plans.get(input.queryString);
    if (rule === undefined) throw new UnknownQueryError('the query is not one PlanWindow compiled');
    if (typeof input.startTime !== 'number' || typeof input.endTime !== 'number' || input.startTime > rule.window.start || input.endTime < rule.window.end) {
      throw new UnknownQueryError(`StartTime/EndTime must cover the window ${rule.window.start}..${rule.window.end}`);
    }
    const id = `local-query-${++this.next}`;
    this.queries.set(id, rule);
    return { $metadata: {}, queryId: id };
  }

  /** GetQueryResults, in the SDK v3's shape: `results` rows of `{field, value}`. */
  async getQueryResults(input: GetQueryResultsCommandInput): Promise<GetQueryResultsCommandOutput> {
    const rule = input.queryId === undefined ? undefined : this.queries.get(input.queryId);
    if (rule === undefined) throw new UnknownQueryError(`no query ${String(input.queryId)}`);
    const findings = await this.findings(rule.window);
    return { $metadata: {}, status: 'Complete', results: findings.filter((f) => f.detection === rule.detection).map((f) => rowOf(rule.detection, f)) };
  }

  /** StopQuery, in the SDK v3's shape. The local queries complete at once, so one still running never exists. */
  async stopQuery(input: StopQueryCommandInput): Promise<StopQueryCommandOutput> {
    if (input.queryId === undefined || !this.queries.has(input.queryId)) throw new UnknownQueryError(`no query ${String(input.queryId)}`);
    // CloudWatch Logs refuses to stop a query that is not running (StopQuery's API reference); the exact
    // error name is unverified, and the workflow catches States.ALL. Every local query has completed.
    throw new UnknownQueryError(`query ${input.queryId} is not running`);
  }

  private findings(window: TimeWindow): Promise<readonly Finding[]> {
    const key = `${window.start}-${window.end}`;
    let p = this.cache.get(key);
    if (p === undefined) this.cache.set(key, (p = this.evaluate(window)));
    return p;
  }
}

function rowOf(detection: DetectionId, f: Finding): ResultField[] {
  const row = [{ field: 'srcaddr', value: f.source }];
  if (detection === 'SUSPICIOUS_PORT_ACCESS') row.push({ field: 'dstport', value: String(f.port) });
  row.push({ field: 'value', value: String(f.value) });
  return row;
}
