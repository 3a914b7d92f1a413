/**
 * Lambda configuration from environment variables, read once at cold start. A missing or bad
 * variable fails the init with an error naming it, rather than the first invocation with a vague one.
 * The CDK app sets these; the names are exported so that both sides use the same ones.
 */
import { ConfigError, defaultConfigFor, parseConfig, type FlowirConfig } from '../../core/detection/config';
import { FlowLogFormat } from '../../core/flowlog/format';
import { maxIncidentSeconds, type SuppressionSettings } from '../../core/incident';
import { DEFAULT_INCIDENT_CONFIG, parseIncidentConfig, type IncidentConfig } from '../../core/policy';
import type { PlanWindowConfig, QueryEngine } from '../plan-window';

export const ENV = {
  /** Deployment name (`dev`, `prod`): the Environment dimension of the finding metrics. */
  envName: 'FLOWIR_ENV_NAME',
  /** The detection config as JSON (thresholds, ports, allowlist, window, format); defaults when unset. */
  detectionConfig: 'FLOWIR_DETECTION_CONFIG',
  /** The incident config as JSON (suppression period, approval timeout, block duration...); defaults when unset. */
  incidentConfig: 'FLOWIR_INCIDENT_CONFIG',
  /** `logs-insights` (default) or `athena`. */
  engine: 'FLOWIR_ENGINE',
  /** The archive table, `database.table` (athena engine). */
  athenaTable: 'FLOWIR_ATHENA_TABLE',
  suppressionTable: 'FLOWIR_SUPPRESSION_TABLE',
  evidenceBucket: 'FLOWIR_EVIDENCE_BUCKET',
  /** The flow log's CloudWatch Logs group, where evidence reads raw records. */
  flowLogGroup: 'FLOWIR_FLOW_LOG_GROUP',
  /** The incident state machine StartIncidents starts executions of. */
  incidentStateMachineArn: 'FLOWIR_INCIDENT_STATE_MACHINE_ARN',
  /** Seconds between GetQueryResults polls of the evidence query (default 2). */
  queryPollSeconds: 'FLOWIR_QUERY_POLL_SECONDS',
  /** Polls before the evidence query is given up (default 90: three minutes at 2 s). */
  queryMaxPolls: 'FLOWIR_QUERY_MAX_POLLS',
} as const;

export type Environment = Readonly<Record<string, string | undefined>>;

/** A Lambda environment variable is missing or malformed. */
export class ConfigurationError extends Error {
  override readonly name = 'ConfigurationError';
  constructor(
    readonly variable: string,
    message: string,
    options?: { cause?: unknown },
  ) {
    super(`environment variable ${variable}: ${message}`, options);
  }
}

export function requireEnv(env: Environment, name: string): string {
  const v = env[name];
  if (v === undefined || v.trim() === '') throw new ConfigurationError(name, 'is not set');
  return v.trim();
}

function wholeNumber(env: Environment, name: string, fallback: number, min: number, max: number): number {
  const v = env[name];
  if (v === undefined || v.trim() === '') return fallback;
  const n = Number(v.trim());
  if (!/^\d+$/.test(v.trim()) || n < min || n > max) throw new ConfigurationError(name, `expected a whole number from ${min} to ${max}, got "${v}"`);
  return n;
}

function jsonDocument(env: Environment, name: string): unknown {
  const v = env[name];
  if (v === undefined || v.trim() === '') return undefined;
  try {
    return JSON.parse(v);
  } catch (e) {
    throw new ConfigurationError(name, `is not valid JSON (${(e as Error).message})`, { cause: e });
  }
}

/**
 * The detection config from FLOWIR_DETECTION_CONFIG, checked as the CLI checks a config file; what it
 * leaves out (the delivery lag) defaults for the engine of FLOWIR_ENGINE.
 */
export function detectionConfigFromEnv(env: Environment): FlowirConfig {
  const doc = jsonDocument(env, ENV.detectionConfig);
  const engine = engineFromEnv(env);
  if (doc === undefined) return defaultConfigFor(engine);
  try {
    return parseConfig(doc, ENV.detectionConfig, { engine });
  } catch (e) {
    if (e instanceof ConfigError) throw new ConfigurationError(ENV.detectionConfig, e.message.slice(ENV.detectionConfig.length + 2), { cause: e });
    throw e;
  }
}

/** Suppression settings from FLOWIR_INCIDENT_CONFIG: the period, and the longest an incident can stay open. */
export function suppressionFromEnv(env: Environment): SuppressionSettings {
  const doc = jsonDocument(env, ENV.incidentConfig);
  let incident: IncidentConfig;
  try {
    incident = doc === undefined ? DEFAULT_INCIDENT_CONFIG : parseIncidentConfig(doc, ENV.incidentConfig, '');
  } catch (e) {
    if (e instanceof ConfigError) throw new ConfigurationError(ENV.incidentConfig, e.message.slice(ENV.incidentConfig.length + 2), { cause: e });
    throw e;
  }
  return { suppressionSeconds: incident.suppressionSeconds, maxOpenSeconds: maxIncidentSeconds(incident) };
}

const ENGINES: readonly QueryEngine[] = ['logs-insights', 'athena'];

/** FLOWIR_ENGINE: `logs-insights` when unset. */
export function engineFromEnv(env: Environment): QueryEngine {
  const engine = (env[ENV.engine]?.trim() || 'logs-insights') as QueryEngine;
  if (!ENGINES.includes(engine)) throw new ConfigurationError(ENV.engine, `expected ${ENGINES.join(' or ')}, got "${env[ENV.engine]}"`);
  return engine;
}

export function planWindowConfigFromEnv(env: Environment): PlanWindowConfig {
  const detection = detectionConfigFromEnv(env);
  const engine = engineFromEnv(env);
  if (engine === 'athena') return { detection, engine, athenaTable: requireEnv(env, ENV.athenaTable) };
  return { detection, engine };
}

export interface ToFindingsLambdaConfig {
  readonly envName: string;
  /** Which engine's results ToFindings reads itself (Logs Insights or Athena GetQueryResults). */
  readonly engine: QueryEngine;
  readonly suppressionTable: string;
  /** Where the findings record and the batches of new findings go (`detections/`). */
  readonly evidenceBucket: string;
  readonly detection: FlowirConfig;
  readonly suppression: SuppressionSettings;
}

export function toFindingsConfigFromEnv(env: Environment): ToFindingsLambdaConfig {
  return {
    envName: requireEnv(env, ENV.envName),
    engine: engineFromEnv(env),
    suppressionTable: requireEnv(env, ENV.suppressionTable),
    evidenceBucket: requireEnv(env, ENV.evidenceBucket),
    detection: detectionConfigFromEnv(env),
    suppression: suppressionFromEnv(env),
  };
}

export interface StartIncidentsLambdaConfig {
  readonly incidentStateMachineArn: string;
  readonly suppressionTable: string;
  readonly evidenceBucket: string;
}

export function startIncidentsConfigFromEnv(env: Environment): StartIncidentsLambdaConfig {
  const arn = requireEnv(env, ENV.incidentStateMachineArn);
  if (!/^arn:aws[a-z-]*:states:[a-z0-9-]+:\d{12}:stateMachine:[A-Za-z0-9_-]{1,80}$/.test(arn)) throw new ConfigurationError(ENV.incidentStateMachineArn, `expected a state machine ARN, got "${arn}"`);
  return { incidentStateMachineArn: arn, suppressionTable: requireEnv(env, ENV.suppressionTable), evidenceBucket: requireEnv(env, ENV.evidenceBucket) };
}

export interface EvidenceLambdaConfig {
  readonly evidenceBucket: string;
  readonly flowLogGroup: string;
  /** The flow log's record format (the detection config's `format`). */
  readonly format: FlowLogFormat;
  readonly poll: { readonly intervalMs: number; readonly maxPolls: number };
}

export function evidenceConfigFromEnv(env: Environment): EvidenceLambdaConfig {
  const detection = detectionConfigFromEnv(env);
  return {
    evidenceBucket: requireEnv(env, ENV.evidenceBucket),
    flowLogGroup: requireEnv(env, ENV.flowLogGroup),
    format: FlowLogFormat.parse(detection.format),
    poll: { intervalMs: wholeNumber(env, ENV.queryPollSeconds, 2, 1, 60) * 1000, maxPolls: wholeNumber(env, ENV.queryMaxPolls, 90, 1, 1000) },
  };
}

export function exportHistoryConfigFromEnv(env: Environment): { readonly evidenceBucket: string } {
  return { evidenceBucket: requireEnv(env, ENV.evidenceBucket) };
}
