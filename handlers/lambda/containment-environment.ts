/**
 * Lambda configuration of the containment and approval functions, read once at cold start; a
 * missing or bad variable fails the init with an error naming it. Shares the detection functions'
 * variables (environment.ts) for the configs; the names below are for the CDK app to set.
 */
import { ConfigError } from '../../core/detection/config';
import { CidrError, parseCidr } from '../../core/flowlog/address';
import { DEFAULT_INCIDENT_CONFIG, parseIncidentConfig, type IncidentConfig } from '../../core/policy/incident-config';
import { guardrailSettings, type GuardrailSettings, type IpSetPair } from '../containment/settings';
import type { AlertTopic, IpSetRef } from '../ports';
import { ApprovalConfigError, checkApprovers, checkBaseUrl } from '../request-approval';
import { ConfigurationError, detectionConfigFromEnv, ENV, requireEnv, type Environment } from './environment';

export const CONTAINMENT_ENV = {
  /** DynamoDB table of blocks (handlers/aws/block-registry.ts BLOCK_TABLE_SCHEMA). */
  blockTable: 'FLOWIR_BLOCK_TABLE',
  /** DynamoDB table of pending approvals (handlers/aws/approval-store.ts APPROVAL_TABLE_SCHEMA). */
  approvalTable: 'FLOWIR_APPROVAL_TABLE',
  /** `REGIONAL` or `CLOUDFRONT`. */
  ipSetScope: 'FLOWIR_IP_SET_SCOPE',
  ipv4SetName: 'FLOWIR_IPV4_SET_NAME',
  ipv4SetId: 'FLOWIR_IPV4_SET_ID',
  ipv6SetName: 'FLOWIR_IPV6_SET_NAME',
  ipv6SetId: 'FLOWIR_IPV6_SET_ID',
  /** Comma-separated CIDRs of the VPC (never blocked); may be empty. */
  vpcCidrs: 'FLOWIR_VPC_CIDRS',
  warningTopicArn: 'FLOWIR_WARNING_TOPIC_ARN',
  criticalTopicArn: 'FLOWIR_CRITICAL_TOPIC_ARN',
  /** The approval topic, where each approver's subscription receives only the notices naming them (request-approval only). */
  approvalTopicArn: 'FLOWIR_APPROVAL_TOPIC_ARN',
  /** Comma-separated approvers (e-mail addresses): each gets a signed link. */
  approvers: 'FLOWIR_APPROVERS',
  /** Base URL of the approval endpoint (its Lambda function URL). */
  approvalBaseUrl: 'FLOWIR_APPROVAL_BASE_URL',
  /** Comma-separated extra origins the approval form may be posted from (a custom domain); optional. */
  approvalAllowedOrigins: 'FLOWIR_APPROVAL_ALLOWED_ORIGINS',
  /** Secrets Manager id or ARN of the approval-link HMAC key(s). */
  signingSecret: 'FLOWIR_SIGNING_SECRET',
  /** Set by the Lambda runtime: the region, for OpsCenter console links. */
  region: 'AWS_REGION',
} as const;

/** The incident config from FLOWIR_INCIDENT_CONFIG (defaults when unset). */
export function incidentConfigFromEnv(env: Environment): IncidentConfig {
  const text = env[ENV.incidentConfig];
  if (text === undefined || text.trim() === '') return DEFAULT_INCIDENT_CONFIG;
  let doc: unknown;
  try {
    doc = JSON.parse(text);
  } catch (e) {
    throw new ConfigurationError(ENV.incidentConfig, `is not valid JSON (${(e as Error).message})`, { cause: e });
  }
  try {
    return parseIncidentConfig(doc, ENV.incidentConfig, '');
  } catch (e) {
    if (e instanceof ConfigError) throw new ConfigurationError(ENV.incidentConfig, e.message.slice(ENV.incidentConfig.length + 2), { cause: e });
    throw e;
  }
}

/**
 * The incident config for the steps that contain: its `networkAclDeny` detections are denied in the
 * targeted subnets' network ACLs by BlockSource and released by ReleaseBlock and the sweeper.
 */
export function containmentConfigFromEnv(env: Environment): IncidentConfig {
  return incidentConfigFromEnv(env);
}

/** The guardrail settings: detection allowlist, incident config, VPC CIDRs. */
export function guardrailsFromEnv(env: Environment): GuardrailSettings {
  return guardrailSettings(detectionConfigFromEnv(env), incidentConfigFromEnv(env), vpcCidrsFromEnv(env));
}

function vpcCidrsFromEnv(env: Environment): string[] {
  return list(env, CONTAINMENT_ENV.vpcCidrs).map((c) => {
    try {
      return parseCidr(c).text;
    } catch (e) {
      throw new ConfigurationError(CONTAINMENT_ENV.vpcCidrs, e instanceof CidrError ? e.message : String(e), { cause: e });
    }
  });
}

export function ipSetsFromEnv(env: Environment): IpSetPair {
  const scope = requireEnv(env, CONTAINMENT_ENV.ipSetScope);
  if (scope !== 'REGIONAL' && scope !== 'CLOUDFRONT') throw new ConfigurationError(CONTAINMENT_ENV.ipSetScope, `expected REGIONAL or CLOUDFRONT, got "${scope}"`);
  const set = (name: string, id: string, version: 4 | 6): IpSetRef => ({ name: requireEnv(env, name), id: requireEnv(env, id), scope, version });
  return { IPV4: set(CONTAINMENT_ENV.ipv4SetName, CONTAINMENT_ENV.ipv4SetId, 4), IPV6: set(CONTAINMENT_ENV.ipv6SetName, CONTAINMENT_ENV.ipv6SetId, 6) };
}

export function topicsFromEnv(env: Environment): Readonly<Record<AlertTopic, string>> {
  return { warning: arn(env, CONTAINMENT_ENV.warningTopicArn, 'sns'), critical: arn(env, CONTAINMENT_ENV.criticalTopicArn, 'sns') };
}

export function approvalTopicFromEnv(env: Environment): string {
  return arn(env, CONTAINMENT_ENV.approvalTopicArn, 'sns');
}

export function approversFromEnv(env: Environment): string[] {
  try {
    return checkApprovers(list(env, CONTAINMENT_ENV.approvers));
  } catch (e) {
    if (e instanceof ApprovalConfigError) throw new ConfigurationError(CONTAINMENT_ENV.approvers, e.message, { cause: e });
    throw e;
  }
}

export function approvalBaseUrlFromEnv(env: Environment): string {
  try {
    return checkBaseUrl(requireEnv(env, CONTAINMENT_ENV.approvalBaseUrl));
  } catch (e) {
    if (e instanceof ApprovalConfigError) throw new ConfigurationError(CONTAINMENT_ENV.approvalBaseUrl, e.message, { cause: e });
    throw e;
  }
}

export function allowedOriginsFromEnv(env: Environment): string[] {
  return list(env, CONTAINMENT_ENV.approvalAllowedOrigins).map((o) => {
    let url: URL;
    try {
      url = new URL(o);
    } catch (e) {
      throw new ConfigurationError(CONTAINMENT_ENV.approvalAllowedOrigins, `"${o}" is not an origin such as https://approvals.example.com`, { cause: e });
    }
    if (url.protocol !== 'https:') throw new ConfigurationError(CONTAINMENT_ENV.approvalAllowedOrigins, `"${o}" must be https`);
    return url.origin;
  });
}

function list(env: Environment, name: string): string[] {
  return (env[name] ?? '')
    .split(',')
    .map((s) => s.trim())
    .filter((s) => s !== '');
}

function arn(env: Environment, name: string, service: string): string {
  const v = requireEnv(env, name);
  if (!new RegExp(`^arn:aws[a-z-]*:${service}:[a-z0-9-]+:\\d{12}:.+$`).test(v)) throw new ConfigurationError(name, `expected an ${service.toUpperCase()} ARN, got "${v}"`);
  return v;
}
