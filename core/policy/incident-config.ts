import { ConfigError } from '../detection/config';
import { DETECTION_IDS, isDetectionId, type DetectionId, type Severity } from '../detection/rules';
import { CidrError, parseCidr } from '../flowlog/address';
import { CONTAINMENT_POLICIES, DEFAULT_POLICY, isContainmentPolicy, type ContainmentPolicy, type PolicyTable } from './containment-policy';

/** How incidents are handled once a finding exists: timings, containment limits and policy. */
export interface IncidentConfig {
  /** How long an approval waits for a human before the incident closes as TIMED_OUT. */
  readonly approvalTimeoutSeconds: number;
  /** How long a source stays blocked before the block is removed. */
  readonly blockDurationSeconds: number;
  /** After an incident opens, the same (detection, source[, port]) opens no new one for this long. */
  readonly suppressionSeconds: number;
  /** Containment guardrail: at most this many new blocks in any hour. */
  readonly maxBlocksPerHour: number;
  /** Whether private ranges (10/8, 172.16/12, 192.168/16, 100.64/10, loopback, link-local, fc00::/7) may be blocked. */
  readonly allowPrivate: boolean;
  /** CIDRs never blocked, on top of the detection allowlist; unlike the allowlist they are still flagged. */
  readonly neverBlock: readonly string[];
  readonly policy: PolicyTable;
  /** Detections whose containment also adds a network ACL deny entry (WAF does not stop SSH or RDP). */
  readonly networkAclDeny: readonly DetectionId[];
}

const HOUR = 3600;
const DAY = 86400;

export const DEFAULT_INCIDENT_CONFIG: IncidentConfig = {
  approvalTimeoutSeconds: HOUR,
  blockDurationSeconds: DAY,
  suppressionSeconds: DAY,
  maxBlocksPerHour: 20,
  allowPrivate: false,
  neverBlock: [],
  policy: DEFAULT_POLICY,
  // WAF does not reach port scans or SSH/RDP/SMB/RPC/Telnet; a network ACL deny does (issue 13). An empty list turns it off.
  networkAclDeny: ['PORT_SCAN', 'SUSPICIOUS_PORT_ACCESS'],
};

/** Accepted ranges; the upper bounds keep every wait well inside a Step Functions execution's one-year life. */
export const INCIDENT_CONFIG_LIMITS = {
  approvalTimeoutSeconds: { min: 1, max: 7 * DAY },
  blockDurationSeconds: { min: 1, max: 90 * DAY },
  suppressionSeconds: { min: 0, max: 30 * DAY },
  // WAF accepts about one IP set update per second per account and region.
  maxBlocksPerHour: { min: 1, max: 3600 },
} as const;

const FIELDS = ['approvalTimeoutSeconds', 'blockDurationSeconds', 'suppressionSeconds', 'maxBlocksPerHour', 'allowPrivate', 'neverBlock', 'policy', 'networkAclDeny'];

/**
 * Check a parsed JSON object (the `incident` section of the config file, or CDK context) and merge
 * it over the defaults. Every field is optional; unknown fields are refused so a typo cannot
 * silently do nothing. Errors are {@link ConfigError}s naming `<prefix>.<field>`.
 *
 * `policy` maps severities and/or detection names to `notify`, `approve` or `auto`, e.g.
 * `{"CRITICAL": "approve", "PORT_SCAN": "auto"}`; a detection entry overrides its severity's.
 */
export function parseIncidentConfig(doc: unknown, source = 'config', prefix = 'incident'): IncidentConfig {
  const at = (field: string): string => (prefix ? `${prefix}.${field}` : field);
  const fail = (field: string, message: string): never => {
    throw new ConfigError(source, field, message);
  };
  if (doc === undefined) return DEFAULT_INCIDENT_CONFIG;
  if (!isPlainObject(doc)) return fail(prefix, 'expected a JSON object');
  for (const k of Object.keys(doc)) if (!FIELDS.includes(k)) fail(at(k), `unknown field (known: ${FIELDS.join(', ')})`);

  const integer = (field: keyof typeof INCIDENT_CONFIG_LIMITS): number => {
    const v = doc[field];
    const { min, max } = INCIDENT_CONFIG_LIMITS[field];
    if (v === undefined) return DEFAULT_INCIDENT_CONFIG[field];
    if (typeof v !== 'number' || !Number.isInteger(v) || v < min || v > max) {
      return fail(at(field), `expected a whole number from ${min} to ${max}, got ${JSON.stringify(v)}`);
    }
    return v;
  };

  const allowPrivate = doc.allowPrivate ?? DEFAULT_INCIDENT_CONFIG.allowPrivate;
  if (typeof allowPrivate !== 'boolean') fail(at('allowPrivate'), `expected true or false, got ${JSON.stringify(allowPrivate)}`);

  let neverBlock = DEFAULT_INCIDENT_CONFIG.neverBlock;
  if (doc.neverBlock !== undefined) {
    if (!Array.isArray(doc.neverBlock)) fail(at('neverBlock'), 'expected an array of CIDR strings');
    neverBlock = (doc.neverBlock as unknown[]).map((c, i) => {
      if (typeof c !== 'string') return fail(at(`neverBlock[${i}]`), `expected a CIDR string, got ${JSON.stringify(c)}`);
      try {
        return parseCidr(c).text;
      } catch (e) {
        return fail(at(`neverBlock[${i}]`), e instanceof CidrError ? e.message : String(e));
      }
    });
  }

  let policy = DEFAULT_INCIDENT_CONFIG.policy;
  if (doc.policy !== undefined) {
    if (!isPlainObject(doc.policy)) fail(at('policy'), 'expected an object such as {"CRITICAL": "approve", "PORT_SCAN": "auto"}');
    const bySeverity: Record<Severity, ContainmentPolicy> = { ...DEFAULT_POLICY.bySeverity };
    const byDetection: Partial<Record<DetectionId, ContainmentPolicy>> = {};
    for (const [name, value] of Object.entries(doc.policy as Record<string, unknown>)) {
      const field = at(`policy.${name}`);
      if (!isContainmentPolicy(value)) fail(field, `expected one of ${CONTAINMENT_POLICIES.join(', ')}, got ${JSON.stringify(value)}`);
      const p = value as ContainmentPolicy;
      if (name === 'WARNING' || name === 'CRITICAL') bySeverity[name] = p;
      else if (isDetectionId(name)) byDetection[name] = p;
      else fail(field, `not a severity or detection (known: WARNING, CRITICAL, ${DETECTION_IDS.join(', ')})`);
    }
    policy = { bySeverity, byDetection };
  }

  let networkAclDeny = DEFAULT_INCIDENT_CONFIG.networkAclDeny;
  if (doc.networkAclDeny !== undefined) {
    if (!Array.isArray(doc.networkAclDeny)) fail(at('networkAclDeny'), 'expected an array of detection names');
    networkAclDeny = (doc.networkAclDeny as unknown[]).map((d, i) => {
      if (typeof d !== 'string' || !isDetectionId(d)) return fail(at(`networkAclDeny[${i}]`), `expected a detection name (${DETECTION_IDS.join(', ')}), got ${JSON.stringify(d)}`);
      return d;
    });
    if (new Set(networkAclDeny).size !== networkAclDeny.length) fail(at('networkAclDeny'), 'lists a detection twice');
  }

  return {
    approvalTimeoutSeconds: integer('approvalTimeoutSeconds'),
    blockDurationSeconds: integer('blockDurationSeconds'),
    suppressionSeconds: integer('suppressionSeconds'),
    maxBlocksPerHour: integer('maxBlocksPerHour'),
    allowPrivate: allowPrivate as boolean,
    neverBlock,
    policy,
    networkAclDeny,
  };
}

function isPlainObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}
