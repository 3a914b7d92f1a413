/**
 * Which detection execution opened an incident, and the rule query it ran: found in the detection
 * workflow's history (the StartIncidents call whose result names the incident, and the PlanWindow output
 * that planned the rule), so the report shows the query as it ran, not as it would compile today.
 */
import type { FindingDoc, RuleQuery } from '../../workflows/contract';
import { DETECTION_TASKS } from '../../workflows/contract';
import type { AuditedExecution } from './history';
import { stateRuns } from './state-runs';

export interface DetectionContext {
  readonly executionName: string;
  readonly stateMachineName: string;
  readonly location: string;
  /** When the detection execution started and when it asked for the incident. */
  readonly startedAt: string;
  readonly startedIncidentAt: string | null;
  readonly rule: RuleQuery | null;
  /** When the rule's query was sent (StartQuery or StartAthenaQuery entered). */
  readonly queriedAt: string | null;
  readonly engine: 'logs-insights' | 'athena' | null;
}

type Obj = Record<string, unknown>;
const isObj = (v: unknown): v is Obj => typeof v === 'object' && v !== null && !Array.isArray(v);

/** The detection execution among `detections` that started `incidentName`, or null. */
export function findDetectionContext(detections: readonly AuditedExecution[], incidentName: string, finding: FindingDoc | null): DetectionContext | null {
  for (const d of detections) {
    const { runs } = stateRuns(d.events);
    const start = runs.find((r) => r.name === DETECTION_TASKS.startIncidents && r.attempts.some((a) => a.end?.kind === 'succeeded' && startsIncident(a.end.output, incidentName)));
    if (start === undefined) continue;
    let rule: RuleQuery | null = null;
    for (const r of runs) {
      if (r.name !== DETECTION_TASKS.plan || !isObj(r.output) || !isObj(r.output.plan) || !Array.isArray(r.output.plan.rules)) continue;
      const found = r.output.plan.rules.find((q): q is RuleQuery => isRuleQuery(q) && q.detection === finding?.detection && q.window.start === finding.window.start && q.window.end === finding.window.end);
      if (found !== undefined) rule = found;
    }
    const query = runs.find((r) => (r.name === DETECTION_TASKS.startQuery || r.name === DETECTION_TASKS.startAthenaQuery) && isObj(r.input) && isObj(r.input.rule) && r.input.rule.detection === finding?.detection);
    return {
      executionName: d.name,
      stateMachineName: d.stateMachineName,
      location: d.location,
      startedAt: d.startDate,
      startedIncidentAt: start.attempts[0]?.scheduledAt ?? start.enteredAt,
      rule,
      queriedAt: query?.enteredAt ?? null,
      engine: query === undefined ? null : query.name === DETECTION_TASKS.startAthenaQuery ? 'athena' : 'logs-insights',
    };
  }
  return null;
}

/** A StartIncidents result that started the incident, or found it already started. */
function startsIncident(v: unknown, name: string): boolean {
  if (!isObj(v)) return false;
  const started = Array.isArray(v.started) && v.started.some((s) => isObj(s) && s.executionName === name);
  return started || (Array.isArray(v.alreadyStarted) && v.alreadyStarted.includes(name));
}

function isRuleQuery(q: unknown): q is RuleQuery {
  return isObj(q) && typeof q.detection === 'string' && typeof q.queryString === 'string' && isObj(q.window) && typeof q.window.start === 'number' && typeof q.window.end === 'number';
}
