import { CidrError, parseCidr } from '../flowlog/address';
import { FlowLogFormat, FormatError } from '../flowlog/format';
import { DETECTION_IDS, isDetectionId, type DetectionGroup, type DetectionId, type Severity } from './rules';

export interface DetectionSettings {
  readonly enabled: boolean;
  /** Strict: a finding needs a value greater than this. */
  readonly threshold: number;
  readonly severity: Severity;
}

export interface ScheduleSettings {
  /** How often the group's detection workflow runs, in minutes. */
  readonly everyMinutes: number;
}

/** The one typed configuration read by the CLI (`--config`) and the CDK app (context). */
export interface FlowirConfig {
  /** Window length in seconds (records with start in [until - window, until)). */
  readonly windowSeconds: number;
  /** Delay between a scheduled run and the end of its window, for flow-log delivery (default: DEFAULT_DELIVERY_LAG_SECONDS). */
  readonly deliveryLagSeconds: number;
  /** Destination ports watched by SUSPICIOUS_PORT_ACCESS. */
  readonly suspiciousPorts: readonly number[];
  /** CIDRs never flagged. */
  readonly allowlist: readonly string[];
  /** Record layout for files without a header line (and the flow log the CDK app creates). */
  readonly format: string;
  readonly detections: Readonly<Record<DetectionId, DetectionSettings>>;
  readonly schedules: Readonly<Record<DetectionGroup, ScheduleSettings>>;
}

/** Where a deployment queries the flow log: its CloudWatch Logs group, or its S3 archive through Athena. */
export type QueryEngine = 'logs-insights' | 'athena';

/**
 * The longest aggregation interval a flow log can have, and the one the deployed flow logs use:
 * `MaxAggregationInterval` "The possible values are 60 seconds (1 minute) or 600 seconds (10
 * minutes) ... Default: 600" (SDK model docs, @aws-sdk/client-ec2 CreateFlowLogsRequest;
 * docs/aws-facts.md §5). A record's `start` is its flow's first packet in the interval, and the
 * record is published only once the interval has closed.
 */
export const FLOW_LOG_AGGREGATION_SECONDS = 600;

/**
 * What AWS says delivery takes once an aggregation interval has closed: "The flow log service
 * typically delivers logs to CloudWatch Logs in about 5 minutes and to Amazon S3 in about 10
 * minutes. However, log delivery is on a best effort basis, and your logs might be delayed beyond
 * the typical delivery time." (VPC User Guide, flow logs, "Aggregation interval":
 * https://docs.aws.amazon.com/vpc/latest/userguide/flow-log-records.html; its source is
 * awsdocs/amazon-vpc-user-guide doc_source/flow-logs.md.)
 */
export const TYPICAL_DELIVERY_SECONDS: Readonly<Record<QueryEngine, number>> = { 'logs-insights': 300, athena: 600 };

/** Allowance on top of the typical delivery, which AWS gives as best effort only. */
export const DELIVERY_MARGIN_SECONDS = 300;

/**
 * The one place that decides the default delivery lag, per engine, for a config that does not set
 * `deliveryLagSeconds`: a whole aggregation interval, then the engine's typical delivery, then the
 * margin (logs-insights 20 minutes, athena 25). A record delivered later than this is missed by the
 * first scheduled windows that cover it (README, "What a first deploy needs").
 */
export const DEFAULT_DELIVERY_LAG_SECONDS: Readonly<Record<QueryEngine, number>> = {
  'logs-insights': FLOW_LOG_AGGREGATION_SECONDS + TYPICAL_DELIVERY_SECONDS['logs-insights'] + DELIVERY_MARGIN_SECONDS,
  athena: FLOW_LOG_AGGREGATION_SECONDS + TYPICAL_DELIVERY_SECONDS.athena + DELIVERY_MARGIN_SECONDS,
};

/** The built-in defaults, for the default engine (logs-insights); `defaultConfigFor` gives another engine's. */
export const DEFAULT_CONFIG: FlowirConfig = {
  windowSeconds: 3600,
  deliveryLagSeconds: DEFAULT_DELIVERY_LAG_SECONDS['logs-insights'],
  suspiciousPorts: [22, 23, 3389, 445, 135, 139],
  allowlist: [],
  format: 'v2',
  detections: {
    HIGH_TRAFFIC_VOLUME: { enabled: true, threshold: 1_000_000_000, severity: 'WARNING' },
    HIGH_CONNECTION_COUNT: { enabled: true, threshold: 1000, severity: 'WARNING' },
    PORT_SCAN: { enabled: true, threshold: 50, severity: 'CRITICAL' },
    SUSPICIOUS_PORT_ACCESS: { enabled: true, threshold: 10, severity: 'CRITICAL' },
  },
  schedules: { anomaly: { everyMinutes: 15 }, security: { everyMinutes: 10 } },
};

/** The built-in defaults for a deployment that queries with `engine`: only the delivery lag differs. */
export function defaultConfigFor(engine: QueryEngine): FlowirConfig {
  return { ...DEFAULT_CONFIG, deliveryLagSeconds: DEFAULT_DELIVERY_LAG_SECONDS[engine] };
}

/** The longest window a config may set, so the longest any deployed detection run looks at. */
export const MAX_WINDOW_SECONDS = 7 * 86400;

export class ConfigError extends Error {
  override readonly name = 'ConfigError';
  constructor(
    readonly source: string,
    readonly field: string,
    message: string,
  ) {
    super(`${source}: ${field ? `${field}: ` : ''}${message}`);
  }
}

type Json = null | boolean | number | string | Json[] | { [key: string]: Json };
type JsonObject = { [key: string]: Json };

const isObject = (v: Json | undefined): v is JsonObject => typeof v === 'object' && v !== null && !Array.isArray(v);

/** The config file's top-level fields this module reads. */
const DETECTION_FIELDS = ['windowSeconds', 'deliveryLagSeconds', 'suspiciousPorts', 'allowlist', 'format', 'detections', 'schedules'];
/** The same file's incident section: core/policy/incident-config checks it, so it is left alone here. */
const INCIDENT_SECTION = 'incident';

export interface ParseConfigOptions {
  /**
   * The engine the config will be deployed with, which decides the delivery lag it gets when it
   * sets none.
   * @default 'logs-insights'
   */
  readonly engine?: QueryEngine;
}

/**
 * Check a parsed JSON document against the config shape and merge it over the defaults.
 * Every field is optional; unknown fields are refused so that a typo cannot silently do nothing.
 */
export function parseConfig(doc: unknown, source = 'config', options: ParseConfigOptions = {}): FlowirConfig {
  const fail = (field: string, message: string): never => {
    throw new ConfigError(source, field, message);
  };
  const root = doc as Json;
  if (!isObject(root)) return fail('', 'expected a JSON object');
  const known = [...DETECTION_FIELDS, INCIDENT_SECTION];
  for (const k of Object.keys(root)) if (!known.includes(k) && k !== '$schema') fail(k, `unknown field (known: ${known.join(', ')})`);

  const integer = (field: string, v: Json | undefined, fallback: number, min: number, max = Number.MAX_SAFE_INTEGER): number => {
    if (v === undefined) return fallback;
    if (typeof v !== 'number' || !Number.isInteger(v) || v < min || v > max) {
      return fail(field, `expected a whole number from ${min} to ${max}, got ${JSON.stringify(v)}`);
    }
    return v;
  };

  const windowSeconds = integer('windowSeconds', root.windowSeconds, DEFAULT_CONFIG.windowSeconds, 1, MAX_WINDOW_SECONDS);
  const deliveryLagSeconds = integer('deliveryLagSeconds', root.deliveryLagSeconds, DEFAULT_DELIVERY_LAG_SECONDS[options.engine ?? 'logs-insights'], 0, 86400);

  let suspiciousPorts = DEFAULT_CONFIG.suspiciousPorts;
  if (root.suspiciousPorts !== undefined) {
    const v = root.suspiciousPorts;
    if (!Array.isArray(v) || v.length === 0) fail('suspiciousPorts', 'expected a non-empty array of port numbers');
    suspiciousPorts = (v as Json[]).map((p, i) => integer(`suspiciousPorts[${i}]`, p, 0, 0, 65535));
    if (new Set(suspiciousPorts).size !== suspiciousPorts.length) fail('suspiciousPorts', 'lists a port twice');
  }

  let allowlist = DEFAULT_CONFIG.allowlist;
  if (root.allowlist !== undefined) {
    const v = root.allowlist;
    if (!Array.isArray(v)) fail('allowlist', 'expected an array of CIDR strings');
    allowlist = (v as Json[]).map((c, i) => {
      if (typeof c !== 'string') return fail(`allowlist[${i}]`, `expected a CIDR string, got ${JSON.stringify(c)}`);
      try {
        return parseCidr(c).text;
      } catch (e) {
        return fail(`allowlist[${i}]`, e instanceof CidrError ? e.message : String(e));
      }
    });
  }

  let format = DEFAULT_CONFIG.format;
  if (root.format !== undefined) {
    if (typeof root.format !== 'string') fail('format', 'expected a string such as "v2", "v5" or a field list');
    try {
      FlowLogFormat.parse(root.format as string);
    } catch (e) {
      fail('format', e instanceof FormatError ? e.message : String(e));
    }
    format = root.format as string;
  }

  const detections: Record<DetectionId, DetectionSettings> = { ...DEFAULT_CONFIG.detections };
  if (root.detections !== undefined) {
    if (!isObject(root.detections)) fail('detections', 'expected an object keyed by detection name');
    const ds = root.detections as JsonObject;
    for (const [name, raw] of Object.entries(ds)) {
      if (!isDetectionId(name)) fail(`detections.${name}`, `unknown detection (known: ${DETECTION_IDS.join(', ')})`);
      const id = name as DetectionId;
      const at = `detections.${id}`;
      if (!isObject(raw)) fail(at, 'expected an object');
      const r = raw as JsonObject;
      for (const k of Object.keys(r)) if (!['enabled', 'threshold', 'severity'].includes(k)) fail(`${at}.${k}`, 'unknown field (known: enabled, threshold, severity)');
      const base = DEFAULT_CONFIG.detections[id];
      if (r.enabled !== undefined && typeof r.enabled !== 'boolean') fail(`${at}.enabled`, `expected true or false, got ${JSON.stringify(r.enabled)}`);
      if (r.severity !== undefined && r.severity !== 'WARNING' && r.severity !== 'CRITICAL') {
        fail(`${at}.severity`, `expected "WARNING" or "CRITICAL", got ${JSON.stringify(r.severity)}`);
      }
      detections[id] = {
        enabled: (r.enabled as boolean | undefined) ?? base.enabled,
        threshold: integer(`${at}.threshold`, r.threshold, base.threshold, 0),
        severity: (r.severity as Severity | undefined) ?? base.severity,
      };
    }
  }

  const schedules: Record<DetectionGroup, ScheduleSettings> = { ...DEFAULT_CONFIG.schedules };
  if (root.schedules !== undefined) {
    if (!isObject(root.schedules)) fail('schedules', 'expected an object with "anomaly" and/or "security"');
    for (const [group, raw] of Object.entries(root.schedules as JsonObject)) {
      if (group !== 'anomaly' && group !== 'security') fail(`schedules.${group}`, 'unknown schedule (known: anomaly, security)');
      if (!isObject(raw)) fail(`schedules.${group}`, 'expected an object such as {"everyMinutes": 10}');
      const r = raw as JsonObject;
      for (const k of Object.keys(r)) if (k !== 'everyMinutes') fail(`schedules.${group}.${k}`, 'unknown field (known: everyMinutes)');
      schedules[group as DetectionGroup] = { everyMinutes: integer(`schedules.${group}.everyMinutes`, r.everyMinutes, DEFAULT_CONFIG.schedules[group as DetectionGroup].everyMinutes, 1, 1440) };
    }
  }

  return { windowSeconds, deliveryLagSeconds, suspiciousPorts, allowlist, format, detections, schedules };
}

/** Parse config text (a JSON file's content), naming the source in every error. */
export function parseConfigText(text: string, source: string, options: ParseConfigOptions = {}): FlowirConfig {
  let doc: unknown;
  try {
    doc = JSON.parse(text);
  } catch (e) {
    throw new ConfigError(source, '', `not valid JSON (${(e as Error).message})`);
  }
  return parseConfig(doc, source, options);
}
