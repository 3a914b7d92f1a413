import { readFileSync } from 'node:fs';
import { ConfigError, defaultConfigFor, parseConfig, type FlowirConfig, type QueryEngine } from '../core/detection/config';
import { TimeArgumentError, parseDuration } from '../core/detection/window';
import { CidrError, parseCidr } from '../core/flowlog/address';
import { DETECTION_FIELDS, isKnownField } from '../core/flowlog/fields';
import { DEFAULT_INCIDENT_CONFIG, INCIDENT_CONFIG_LIMITS, parseIncidentConfig, type IncidentConfig } from '../core/policy/incident-config';
import { FlowLogFormat, FormatError } from '../core/flowlog/format';

export type DetectionEngine = QueryEngine;
/** `CLOUDFRONT` IP sets and rule groups exist only in us-east-1. */
export type WafScope = 'REGIONAL' | 'CLOUDFRONT';
/** Object Lock mode: GOVERNANCE can be lifted by a principal allowed `s3:BypassGovernanceRetention`; COMPLIANCE by no one. */
export type EvidenceLockMode = 'GOVERNANCE' | 'COMPLIANCE';

/** Everything the CDK app is configured with, after defaults and checks. */
export interface InfraConfig {
  /** Short name of the deployment (`dev`, `prod`), part of every resource name. */
  readonly envName: string;
  /** The account the stack is bound to; undefined offline (then the template names none). */
  readonly account: string | undefined;
  /** The region the stack is bound to; undefined offline (then the template names none). */
  readonly region: string | undefined;
  readonly vpcId: string;
  /** True while `vpcId` is the offline placeholder: synth works, a deployment would not. */
  readonly vpcIdIsPlaceholder: boolean;
  readonly engine: DetectionEngine;
  /** The detection config (thresholds, ports, allowlist, schedules); its `format` is the flow log's format. */
  readonly detection: FlowirConfig;
  /** Where `detection` came from: a file path, or undefined for the built-in defaults. */
  readonly thresholdsFile: string | undefined;
  /** The record layout of the flow logs this app creates (CloudWatch Logs and S3 alike). */
  readonly flowLogFormat: FlowLogFormat;
  /** People who may approve a containment (the approval workflow mails them links). */
  readonly approverEmails: readonly string[];
  /** Subscribed to the `warning` topic. */
  readonly warningEmails: readonly string[];
  /** Subscribed to the `critical` topic. */
  readonly criticalEmails: readonly string[];
  readonly wafScope: WafScope;
  /** How long a containment block stays in the WAF IP set before it is lifted. */
  readonly blockDurationSeconds: number;
  /** How long a (detection, source[, port]) stays suppressed after an incident for it. */
  readonly suppressionSeconds: number;
  /** How long an approval waits for a decision before the incident escalates with no containment. */
  readonly approvalTimeoutSeconds: number;
  /**
   * What the incident workflow runs with: the thresholds file's `incident` section (policy,
   * guardrails), with the three durations above in place of its own.
   */
  readonly incident: IncidentConfig;
  /** The VPC's own CIDRs, which containment never blocks (canonical form). */
  readonly vpcCidrs: readonly string[];
  readonly evidenceRetentionDays: number;
  readonly evidenceLockMode: EvidenceLockMode;
  /** Athena workgroup limit on the bytes one query may scan. */
  readonly athenaBytesScannedCutoff: number;
  /** Whether the functions that want reserved concurrency get it (an account quota above 10 is needed). */
  readonly reservedConcurrency: boolean;
  /** `-c allowPlaceholders=true`: placeholders stay warnings even with an account known. */
  readonly allowPlaceholders: boolean;
  /**
   * Whether a placeholder (the VPC, approvals without approvers) fails the synth: an account is
   * known, so this may be `cdk deploy` (infra/placeholders.ts), and placeholders are not allowed.
   */
  readonly placeholdersFail: boolean;
}

/** The VPC id used when none is given, so that `cdk synth` works offline on a fresh clone. */
export const PLACEHOLDER_VPC_ID = 'vpc-00000000000000000';

/**
 * The flow log this app creates records AWS's version 5 fields unless told otherwise: they add the
 * VPC, subnet, instance, TCP flags and flow direction that evidence and the security-group review
 * need. (The detection config's own default, v2, describes headerless local files.)
 */
export const DEFAULT_FLOW_LOG_FORMAT = 'v5';

/** Fields the created flow log must record: detection, the saved queries and the traffic metrics read them. */
export const REQUIRED_FLOW_LOG_FIELDS: readonly string[] = [...new Set([...DETECTION_FIELDS, 'dstaddr', 'protocol', 'packets', 'log-status'])];

/** Every context key this app reads, with what it means and its default (the README's table comes from here). */
export const CONTEXT_KEYS = {
  envName: { default: 'dev', help: 'deployment name, part of every resource name: lower-case letters, digits, hyphens, up to 16' },
  vpcId: { default: PLACEHOLDER_VPC_ID, help: 'the VPC whose traffic is logged (the default is a placeholder: synth only)' },
  engine: { default: 'logs-insights', help: 'detection engine: logs-insights or athena (adds the Glue table and Athena workgroup)' },
  thresholdsFile: { default: '(built-in defaults)', help: 'JSON config, as flowir scan --config reads it (thresholds, ports, allowlist, schedules, format, incident policy and guardrails)' },
  flowLogFormat: { default: `(thresholds file's format, else ${DEFAULT_FLOW_LOG_FORMAT})`, help: 'flow-log record format: v2..v5 or a field list' },
  approverEmails: { default: '(none)', help: 'comma-separated addresses of the people who approve containment' },
  warningEmails: { default: '(approverEmails)', help: 'comma-separated addresses subscribed to the warning topic' },
  criticalEmails: { default: '(approverEmails)', help: 'comma-separated addresses subscribed to the critical topic' },
  wafScope: { default: 'REGIONAL', help: 'WAF scope: REGIONAL (ALB, API Gateway, AppSync) or CLOUDFRONT (us-east-1 only)' },
  blockDuration: { default: "(thresholds file's incident.blockDurationSeconds, else 24h)", help: 'how long a containment block lasts (seconds, or 90m, 24h, 7d; at most 90d)' },
  suppressionPeriod: { default: "(thresholds file's incident.suppressionSeconds, else 24h)", help: 'how long a repeat finding is folded into its open incident (at most 30d)' },
  approvalTimeout: { default: "(thresholds file's incident.approvalTimeoutSeconds, else 1h)", help: 'how long an approver has to decide before the incident escalates with no containment (at most 7d)' },
  vpcCidrs: { default: '(none)', help: "comma-separated CIDRs of the VPC, which containment never blocks (private ranges are never blocked anyway)" },
  evidenceRetentionDays: { default: '2555', help: 'Object Lock default retention of the evidence bucket, in days' },
  evidenceLockMode: { default: 'GOVERNANCE', help: 'Object Lock mode: GOVERNANCE or COMPLIANCE (irreversible)' },
  athenaScanLimitGb: { default: '10', help: 'athena engine: most data one query may scan, in GB' },
  allowPlaceholders: { default: 'false', help: 'true: the placeholder VPC and approvals without approvers stay warnings even with an account known (synth or diff before the values are known)' },
  account: { default: "(your credentials' account, CDK_DEFAULT_ACCOUNT)", help: 'AWS account id the stack is bound to' },
  region: { default: "(your credentials' region, CDK_DEFAULT_REGION, when an account is known)", help: 'AWS region the stack is bound to; offline with no account the template is region-agnostic' },
  reservedConcurrency: { default: 'false', help: 'true: reserve concurrency for the approval endpoint (5) and the sweeper (1); needs an account Lambda concurrency quota above 10' },
} as const;

export type ContextKey = keyof typeof CONTEXT_KEYS;

/** A context value that is missing, malformed or contradicts another. */
export class InfraConfigError extends Error {
  override readonly name = 'InfraConfigError';
  constructor(
    readonly key: string,
    message: string,
    options?: { cause?: unknown },
  ) {
    super(`context "${key}": ${message}`, options);
  }
}

/** Reads one context value (`app.node.tryGetContext` in the app, a plain object in tests). */
export type ContextReader = (key: string) => unknown;

export interface ReadConfigOptions {
  /** All context keys present, to catch a misspelt key that would otherwise be silently ignored. */
  readonly presentKeys?: readonly string[];
  /** Resolved deployment account, when known at synth time (infra/environment.ts). */
  readonly account?: string | undefined;
  /** Resolved deployment region, when known at synth time (infra/environment.ts). */
  readonly region?: string | undefined;
  readonly readFile?: (path: string) => string;
}

const EMAIL = /^[^\s@,;]+@[^\s@,;]+\.[^\s@,;]+$/;
const GB = 1_000_000_000;

/** Build the app's configuration from CDK context, applying defaults and naming the key at fault on any error. */
export function readInfraConfig(context: ContextReader, options: ReadConfigOptions = {}): InfraConfig {
  rejectUnknownKeys(options.presentKeys ?? []);
  const text = (key: ContextKey): string | undefined => {
    const v = context(key);
    if (v === undefined || v === null) return undefined;
    if (typeof v === 'string') return v.trim() === '' ? undefined : v.trim();
    if (typeof v === 'number' || typeof v === 'boolean') return String(v);
    throw new InfraConfigError(key, `expected a string, got ${JSON.stringify(v)}`);
  };

  const envName = text('envName') ?? CONTEXT_KEYS.envName.default;
  if (!/^[a-z][a-z0-9-]{0,15}$/.test(envName) || envName.endsWith('-')) {
    throw new InfraConfigError('envName', `"${envName}" must be 1 to 16 lower-case letters, digits or hyphens, starting with a letter`);
  }

  const vpcId = text('vpcId') ?? PLACEHOLDER_VPC_ID;
  if (!/^vpc-[0-9a-f]{8}([0-9a-f]{9})?$/.test(vpcId)) throw new InfraConfigError('vpcId', `"${vpcId}" is not a VPC id (vpc- and 8 or 17 hex digits)`);

  const engine = oneOf('engine', text('engine') ?? CONTEXT_KEYS.engine.default, ['logs-insights', 'athena'] as const);
  const wafScope = oneOf('wafScope', (text('wafScope') ?? CONTEXT_KEYS.wafScope.default).toUpperCase(), ['REGIONAL', 'CLOUDFRONT'] as const);
  if (wafScope === 'CLOUDFRONT' && options.region !== undefined && options.region !== 'us-east-1') {
    throw new InfraConfigError('wafScope', `CLOUDFRONT IP sets and rule groups can only be created in us-east-1, and this stack deploys to ${options.region}`);
  }

  const thresholdsFile = text('thresholdsFile');
  const { config: fileConfig, setsFormat, incident: fileIncident } = loadConfigFile(thresholdsFile, options.readFile ?? ((p) => readFileSync(p, 'utf8')), engine);
  const formatKey: ContextKey = text('flowLogFormat') !== undefined ? 'flowLogFormat' : 'thresholdsFile';
  const formatSpec = text('flowLogFormat') ?? (setsFormat ? fileConfig.format : DEFAULT_FLOW_LOG_FORMAT);
  const flowLogFormat = parseFlowLogFormat(formatKey, formatSpec);

  const approverEmails = emails('approverEmails', context('approverEmails')) ?? [];
  const warningEmails = emails('warningEmails', context('warningEmails')) ?? approverEmails;
  const criticalEmails = emails('criticalEmails', context('criticalEmails')) ?? approverEmails;

  // A duration given in context wins over the thresholds file's; each must also fit what the
  // incident workflow's Lambdas accept (INCIDENT_CONFIG_LIMITS), or they would fail at cold start.
  const timing = (key: ContextKey, field: keyof typeof INCIDENT_CONFIG_LIMITS, min: number): number => {
    const given = text(key);
    if (given === undefined) return fileIncident[field];
    const seconds = duration(key, given, min, 365 * 86400);
    const max = INCIDENT_CONFIG_LIMITS[field].max;
    if (seconds > max) throw new InfraConfigError(key, `${given} is longer than the incident workflow accepts (at most ${max / 86400} days)`);
    return seconds;
  };
  const blockDurationSeconds = timing('blockDuration', 'blockDurationSeconds', 60);
  const suppressionSeconds = timing('suppressionPeriod', 'suppressionSeconds', 60);
  const approvalTimeoutSeconds = timing('approvalTimeout', 'approvalTimeoutSeconds', INCIDENT_CONFIG_LIMITS.approvalTimeoutSeconds.min);
  const incident: IncidentConfig = { ...fileIncident, blockDurationSeconds, suppressionSeconds, approvalTimeoutSeconds };
  const vpcCidrs = cidrs('vpcCidrs', context('vpcCidrs'));
  const evidenceRetentionDays = wholeNumber('evidenceRetentionDays', text('evidenceRetentionDays') ?? CONTEXT_KEYS.evidenceRetentionDays.default, 1, 36500);
  const evidenceLockMode = oneOf('evidenceLockMode', (text('evidenceLockMode') ?? CONTEXT_KEYS.evidenceLockMode.default).toUpperCase(), ['GOVERNANCE', 'COMPLIANCE'] as const);
  const athenaScanLimitGb = wholeNumber('athenaScanLimitGb', text('athenaScanLimitGb') ?? CONTEXT_KEYS.athenaScanLimitGb.default, 1, 1_000_000);
  const reservedConcurrency = flag('reservedConcurrency', text('reservedConcurrency') ?? CONTEXT_KEYS.reservedConcurrency.default);
  const allowPlaceholders = flag('allowPlaceholders', text('allowPlaceholders') ?? CONTEXT_KEYS.allowPlaceholders.default);

  return {
    envName,
    account: options.account,
    region: options.region,
    vpcId,
    vpcIdIsPlaceholder: vpcId === PLACEHOLDER_VPC_ID,
    engine,
    // Detection reads the records this app's flow log writes, so it must parse them with that format.
    detection: { ...fileConfig, format: flowLogFormat.fields.join(' ') },
    thresholdsFile,
    flowLogFormat,
    approverEmails,
    warningEmails,
    criticalEmails,
    wafScope,
    blockDurationSeconds,
    suppressionSeconds,
    approvalTimeoutSeconds,
    incident,
    vpcCidrs,
    evidenceRetentionDays,
    evidenceLockMode,
    athenaBytesScannedCutoff: athenaScanLimitGb * GB,
    reservedConcurrency,
    allowPlaceholders,
    placeholdersFail: options.account !== undefined && !allowPlaceholders,
  };
}

function rejectUnknownKeys(presentKeys: readonly string[]): void {
  // CDK's own keys carry a prefix or separator (`@aws-cdk/...`, `aws:cdk:...`, lookups with `:`); a bare
  // camel-case word is one of ours, and an unknown one is most likely a typo that would be silently ignored.
  const known = Object.keys(CONTEXT_KEYS);
  for (const key of presentKeys) {
    if (!/^[A-Za-z][A-Za-z0-9]*$/.test(key) || known.includes(key)) continue;
    const near = known.find((k) => k.toLowerCase() === key.toLowerCase());
    throw new InfraConfigError(key, `unknown key${near ? ` (did you mean "${near}"?)` : ''}; known keys: ${known.join(', ')}`);
  }
}

function oneOf<T extends string>(key: ContextKey, value: string, allowed: readonly T[]): T {
  if ((allowed as readonly string[]).includes(value)) return value as T;
  throw new InfraConfigError(key, `"${value}" is not one of ${allowed.join(', ')}`);
}

/** `-c key=true` arrives as the string "true"; cdk.json may hold a real boolean (read as text by then). */
function flag(key: ContextKey, value: string): boolean {
  const v = value.toLowerCase();
  if (v === 'true') return true;
  if (v === 'false') return false;
  throw new InfraConfigError(key, `"${value}" must be true or false`);
}

function wholeNumber(key: ContextKey, value: string, min: number, max: number): number {
  const n = Number(value);
  if (!/^\d+$/.test(value) || n < min || n > max) throw new InfraConfigError(key, `"${value}" must be a whole number from ${min} to ${max}`);
  return n;
}

function duration(key: ContextKey, value: string, min: number, max: number): number {
  let seconds: number;
  try {
    seconds = parseDuration(value, key);
  } catch (e) {
    if (e instanceof TimeArgumentError) throw new InfraConfigError(key, `"${value}" is not a duration (seconds, or 90m, 24h, 7d)`, { cause: e });
    throw e;
  }
  if (seconds < min || seconds > max) throw new InfraConfigError(key, `${value} must be from ${min} s to ${max / 86400} days`);
  return seconds;
}

function emails(key: ContextKey, raw: unknown): string[] | undefined {
  if (raw === undefined || raw === null) return undefined;
  let items: unknown[];
  if (Array.isArray(raw)) items = raw;
  else if (typeof raw === 'string') items = raw.split(/[,;\s]+/).filter((s) => s !== '');
  else throw new InfraConfigError(key, `expected comma-separated addresses or a list, got ${JSON.stringify(raw)}`);
  const out: string[] = [];
  for (const item of items) {
    if (typeof item !== 'string' || !EMAIL.test(item.trim())) throw new InfraConfigError(key, `${JSON.stringify(item)} is not an e-mail address`);
    const address = item.trim();
    if (!out.some((a) => a.toLowerCase() === address.toLowerCase())) out.push(address);
  }
  return out;
}

function cidrs(key: ContextKey, raw: unknown): string[] {
  if (raw === undefined || raw === null) return [];
  let items: unknown[];
  if (Array.isArray(raw)) items = raw;
  else if (typeof raw === 'string') items = raw.split(/[,;\s]+/).filter((s) => s !== '');
  else throw new InfraConfigError(key, `expected comma-separated CIDRs or a list, got ${JSON.stringify(raw)}`);
  return items.map((item) => {
    if (typeof item !== 'string') throw new InfraConfigError(key, `${JSON.stringify(item)} is not a CIDR`);
    try {
      return parseCidr(item.trim()).text;
    } catch (e) {
      if (e instanceof CidrError) throw new InfraConfigError(key, `"${item}" is not a CIDR: ${e.message}`, { cause: e });
      throw e;
    }
  });
}

interface ConfigFile {
  readonly config: FlowirConfig;
  readonly setsFormat: boolean;
  readonly incident: IncidentConfig;
}

/**
 * The thresholds file as `flowir scan --config` reads it: the detection config, and its `incident`
 * section apart. What it leaves out gets the defaults of `engine` (its delivery lag differs).
 */
function loadConfigFile(path: string | undefined, readFile: (path: string) => string, engine: DetectionEngine): ConfigFile {
  if (path === undefined) return { config: defaultConfigFor(engine), setsFormat: false, incident: DEFAULT_INCIDENT_CONFIG };
  let text: string;
  try {
    text = readFile(path);
  } catch (e) {
    throw new InfraConfigError('thresholdsFile', `cannot read ${path}: ${(e as Error).message}`, { cause: e });
  }
  try {
    let doc: unknown;
    try {
      doc = JSON.parse(text);
    } catch (e) {
      throw new ConfigError(path, '', `not valid JSON (${(e as Error).message})`);
    }
    if (typeof doc !== 'object' || doc === null || Array.isArray(doc)) return { config: parseConfig(doc, path, { engine }), setsFormat: false, incident: DEFAULT_INCIDENT_CONFIG };
    const { incident, ...detection } = doc as Record<string, unknown>;
    return { config: parseConfig(detection, path, { engine }), setsFormat: Object.prototype.hasOwnProperty.call(detection, 'format'), incident: parseIncidentConfig(incident, path) };
  } catch (e) {
    if (e instanceof ConfigError) throw new InfraConfigError('thresholdsFile', e.message, { cause: e });
    throw e;
  }
}

function parseFlowLogFormat(key: ContextKey, spec: string): FlowLogFormat {
  let format: FlowLogFormat;
  try {
    format = FlowLogFormat.parse(spec);
  } catch (e) {
    if (e instanceof FormatError) throw new InfraConfigError(key, `flow-log format: ${e.message}`, { cause: e });
    throw e;
  }
  const unknown = format.fields.filter((f) => !isKnownField(f));
  if (unknown.length > 0) throw new InfraConfigError(key, `flow-log format: AWS records no field named ${unknown.join(', ')}`);
  const missing = REQUIRED_FLOW_LOG_FIELDS.filter((f) => !format.has(f));
  if (missing.length > 0) throw new InfraConfigError(key, `flow-log format lacks ${missing.join(', ')}, which detection, the saved queries and the traffic metrics read`);
  return format;
}
