/**
 * PlanWindow: the first state of a detection execution. It fixes the window the run looks at and
 * compiles each enabled rule of the group for the configured engine.
 */
import { compileAthena, compileLogsInsights } from '../core/detection/compile';
import { ConfigError, type FlowirConfig, type QueryEngine } from '../core/detection/config';
import { DETECTION_IDS, RULES, type DetectionGroup } from '../core/detection/rules';
import { parseInstant, TimeArgumentError, type TimeWindow } from '../core/detection/window';
import { FlowLogFormat } from '../core/flowlog/format';
import type { DetectionInput, PlanOutput, RuleQuery } from '../workflows/contract';
import type { Clock } from './ports';
import { describe, requireObject, requireWindow, TaskInputError } from './task-input';

export type { QueryEngine };

/**
 * How far the StartQuery time range reaches beyond the window on each side. CloudWatch Logs stamps
 * a flow-log event with the record's `start` (AWS: "the timestamp field corresponds to the start
 * time captured in the flow log record"), and the compiled query filters on `start` itself, so the
 * margin only has to cover rounding: `@timestamp` is in milliseconds and the range bounds are
 * inclusive. A minute is ample and costs one minute of extra scan per side.
 */
export const QUERY_TIME_MARGIN_SECONDS = 60;

/** The StartQuery time range for a window: widened by the margin, never ending after `now` unless the window does. */
export function queryTimeRange(window: TimeWindow, nowSeconds: number): { readonly queryStart: number; readonly queryEnd: number } {
  const queryStart = Math.max(0, window.start - QUERY_TIME_MARGIN_SECONDS);
  const queryEnd = Math.max(window.end, Math.min(window.end + QUERY_TIME_MARGIN_SECONDS, nowSeconds));
  return { queryStart, queryEnd };
}

export interface PlanWindowConfig {
  readonly detection: FlowirConfig;
  readonly engine: QueryEngine;
  /** The archive table (`table` or `database.table`), needed by the athena engine. */
  readonly athenaTable?: string;
}

export interface PlanWindowDeps {
  readonly config: PlanWindowConfig;
  readonly clock: Clock;
}

const GROUPS: readonly DetectionGroup[] = ['anomaly', 'security'];

/**
 * The window of a scheduled run: it ends the delivery lag before the scheduled time, aligned down
 * to the minute so that a schedule firing a few seconds late still gives the same window (and so
 * the same finding ids), and lasts the configured window length.
 */
export function scheduledWindow(scheduledSeconds: number, config: Pick<FlowirConfig, 'deliveryLagSeconds' | 'windowSeconds'>): TimeWindow {
  const end = Math.floor((scheduledSeconds - config.deliveryLagSeconds) / 60) * 60;
  return { start: end - config.windowSeconds, end };
}

/** Create the PlanWindow handler: DetectionInput → PlanOutput. */
export function createPlanWindowHandler(deps: PlanWindowDeps): (input: DetectionInput) => Promise<PlanOutput> {
  const { config, clock } = deps;
  if (config.engine === 'athena' && (config.athenaTable === undefined || config.athenaTable.length === 0)) {
    throw new ConfigError('PlanWindow', 'athenaTable', 'the athena engine needs the archive table name');
  }
  const format = FlowLogFormat.parse(config.detection.format);

  const compile = (detection: RuleQuery['detection'], window: TimeWindow): string =>
    config.engine === 'athena'
      ? compileAthena(detection, { config: config.detection, table: config.athenaTable ?? '', window, format })
      : compileLogsInsights(detection, { config: config.detection, format, window });

  return async (input) => {
    const doc = requireObject(input, 'input');
    const group = doc.group;
    if (typeof group !== 'string' || !(GROUPS as readonly string[]).includes(group)) {
      throw new TaskInputError('input.group', `expected one of ${GROUPS.join(', ')}, got ${describe(group)}`);
    }
    const window = planWindow(doc, config.detection);
    const nowSeconds = Math.floor(clock.now().getTime() / 1000);
    const range = queryTimeRange(window, nowSeconds);
    const rules: RuleQuery[] = DETECTION_IDS.filter((d) => RULES[d].group === group && config.detection.detections[d].enabled).map((detection) => ({
      detection,
      window,
      queryString: compile(detection, window),
      ...range,
    }));
    return { group: group as DetectionGroup, window, rules };
  };
}

/** An explicit window wins (backfills, local runs); otherwise the one the schedule implies. */
function planWindow(doc: Readonly<Record<string, unknown>>, config: FlowirConfig): TimeWindow {
  if (doc.window !== undefined) return requireWindow(doc.window, 'input.window');
  if (doc.scheduledTime === undefined) throw new TaskInputError('input', 'needs either "scheduledTime" (ISO 8601, from the schedule) or "window" ({start, end} in epoch seconds)');
  if (typeof doc.scheduledTime !== 'string') throw new TaskInputError('input.scheduledTime', `expected an ISO 8601 time, got ${describe(doc.scheduledTime)}`);
  let scheduled: number;
  try {
    scheduled = parseInstant(doc.scheduledTime, 'scheduledTime');
  } catch (e) {
    if (e instanceof TimeArgumentError) throw new TaskInputError('input.scheduledTime', e.message, { cause: e });
    throw e;
  }
  const window = scheduledWindow(scheduled, config);
  if (window.start < 0) throw new TaskInputError('input.scheduledTime', `"${doc.scheduledTime}" leaves no window before the epoch`);
  return window;
}
