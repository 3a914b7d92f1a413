import { DETECTION_FIELDS } from '../../flowlog/fields';
import type { FlowLogFormat } from '../../flowlog/format';
import type { FlowirConfig } from '../config';
import { RULES, type DetectionId, type RuleDefinition } from '../rules';
import type { TimeWindow } from '../window';

/** A rule cannot be compiled as asked (a format without the fields it needs, a bad window, a bad name). */
export class CompileError extends Error {
  override readonly name = 'CompileError';
}

/**
 * Column names every compiled detection query returns, on both engines, so that one mapping turns
 * rows into findings: the source address, the destination port (SUSPICIOUS_PORT_ACCESS only) and
 * the measured value.
 */
export const RESULT_COLUMNS = { source: 'srcaddr', port: 'dstport', value: 'value' } as const;

/** What a rule asks of the records, resolved against a config: the one input of every compiler. */
export interface RulePlan {
  readonly rule: RuleDefinition;
  /** Group-by columns, in order. */
  readonly groupBy: readonly ('srcaddr' | 'dstport')[];
  readonly measure: RuleDefinition['measure'];
  /** Only records with this action count, when set. */
  readonly action: 'REJECT' | undefined;
  /** Only records to these destination ports count, when set. */
  readonly ports: readonly number[] | undefined;
  /** Strict: a group is a finding when its value is greater than this. */
  readonly threshold: number;
}

export function planRule(detection: DetectionId, config: FlowirConfig): RulePlan {
  const rule = RULES[detection] as RuleDefinition | undefined;
  if (rule === undefined) throw new CompileError(`unknown detection "${String(detection)}"`);
  const settings = config.detections[detection];
  if (!Number.isSafeInteger(settings.threshold) || settings.threshold < 0) {
    throw new CompileError(`${detection}: threshold must be a whole number of at least 0, got ${settings.threshold}`);
  }
  let ports: readonly number[] | undefined;
  if (rule.filter.dstportInSuspiciousList) {
    if (config.suspiciousPorts.length === 0) throw new CompileError(`${detection}: the suspicious port list is empty`);
    for (const p of config.suspiciousPorts) {
      if (!Number.isInteger(p) || p < 0 || p > 65535) throw new CompileError(`${detection}: suspicious port ${p} is not a port number (0 to 65535)`);
    }
    ports = [...new Set(config.suspiciousPorts)].sort((a, b) => a - b);
  }
  return {
    rule,
    groupBy: rule.key === 'srcaddr' ? ['srcaddr'] : ['srcaddr', 'dstport'],
    measure: rule.measure,
    action: rule.filter.action,
    ports,
    threshold: settings.threshold,
  };
}

const COLUMN_NAME = /^[a-z][a-z0-9_]*$/;

/**
 * The column (and Logs Insights field) name of a flow-log field: hyphens become underscores, since
 * neither Logs Insights nor Athena accept `-` in a bare name.
 */
export function columnName(field: string): string {
  const name = field.trim().toLowerCase().replace(/-/g, '_');
  if (!COLUMN_NAME.test(name)) throw new CompileError(`flow-log field "${field}" cannot be a column name (letters, digits, "-" or "_", starting with a letter)`);
  return name;
}

/** Refuse a format that lacks a field detection reads: its records take no part in detection. */
export function requireDetectionFields(format: FlowLogFormat, what: string): void {
  const missing = format.missingDetectionFields();
  if (missing.length > 0) throw new CompileError(`${what}: the format lacks fields detection needs (${missing.join(', ')})`);
}

/** The detection fields, as column names, in the order records are checked. */
export const DETECTION_COLUMNS: readonly string[] = DETECTION_FIELDS.map(columnName);

export function checkWindow(window: TimeWindow, what: string): void {
  const ok = Number.isSafeInteger(window.start) && Number.isSafeInteger(window.end) && window.start >= 0 && window.start < window.end;
  if (!ok) throw new CompileError(`${what}: window must be whole epoch seconds with start < end, got [${window.start}, ${window.end})`);
}
