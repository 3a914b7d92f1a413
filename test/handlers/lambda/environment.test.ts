import { DEFAULT_CONFIG } from '../../../core/detection/config';
import { FlowLogFormat } from '../../../core/flowlog/format';
import { ConfigurationError, ENV, evidenceConfigFromEnv, exportHistoryConfigFromEnv, planWindowConfigFromEnv, toFindingsConfigFromEnv } from '../../../handlers/lambda/environment';

const toFindingsEnv = { [ENV.envName]: 'prod', [ENV.suppressionTable]: 'flowir-prod-suppression', [ENV.evidenceBucket]: 'flowir-prod-evidence' };

describe('Lambda configuration from the environment', () => {
  it('reads the detection and incident configs as JSON, with defaults when unset', () => {
    expect(toFindingsConfigFromEnv(toFindingsEnv)).toEqual({
      envName: 'prod',
      engine: 'logs-insights',
      suppressionTable: 'flowir-prod-suppression',
      evidenceBucket: 'flowir-prod-evidence',
      detection: DEFAULT_CONFIG,
      // 24 h suppression; an incident lives at most 1 h approval + 24 h block + 1 h.
      suppression: { suppressionSeconds: 86400, maxOpenSeconds: 93600 },
    });
    const custom = toFindingsConfigFromEnv({
      ...toFindingsEnv,
      [ENV.detectionConfig]: JSON.stringify({ allowlist: ['192.0.2.0/24'], detections: { PORT_SCAN: { threshold: 80 } } }),
      [ENV.incidentConfig]: JSON.stringify({ suppressionSeconds: 3600, approvalTimeoutSeconds: 300, blockDurationSeconds: 7200 }),
    });
    expect(custom.detection.detections.PORT_SCAN.threshold).toBe(80);
    expect(custom.detection.allowlist).toEqual(['192.0.2.0/24']);
    expect(custom.suppression).toEqual({ suppressionSeconds: 3600, maxOpenSeconds: 300 + 7200 + 3600 });
  });

  it.each<[string, Record<string, string>, string]>([
    ['a missing table', { [ENV.envName]: 'prod' }, 'environment variable FLOWIR_SUPPRESSION_TABLE: is not set'],
    ['an unknown engine', { ...toFindingsEnv, [ENV.engine]: 'duckdb' }, 'environment variable FLOWIR_ENGINE: expected logs-insights or athena, got "duckdb"'],
    ['an empty environment name', { ...toFindingsEnv, [ENV.envName]: ' ' }, 'environment variable FLOWIR_ENV_NAME: is not set'],
    ['detection config that is not JSON', { ...toFindingsEnv, [ENV.detectionConfig]: '{threshold: 5}' }, 'environment variable FLOWIR_DETECTION_CONFIG: is not valid JSON'],
    ['a detection config typo', { ...toFindingsEnv, [ENV.detectionConfig]: '{"windowSecond": 60}' }, 'environment variable FLOWIR_DETECTION_CONFIG: windowSecond: unknown field'],
    ['an incident config out of range', { ...toFindingsEnv, [ENV.incidentConfig]: '{"suppressionSeconds": -1}' }, 'environment variable FLOWIR_INCIDENT_CONFIG: suppressionSeconds: expected a whole number from 0 to 2592000, got -1'],
  ])('refuses %s at cold start, naming the variable', (_what, env, message) => {
    expect(() => toFindingsConfigFromEnv(env)).toThrow(ConfigurationError);
    expect(() => toFindingsConfigFromEnv(env)).toThrow(message);
  });

  it('plans with Logs Insights unless told athena, which needs its table', () => {
    expect(planWindowConfigFromEnv({})).toEqual({ detection: DEFAULT_CONFIG, engine: 'logs-insights' });
    expect(planWindowConfigFromEnv({ [ENV.engine]: 'athena', [ENV.athenaTable]: 'flowir.vpc_flow_logs' })).toMatchObject({ engine: 'athena', athenaTable: 'flowir.vpc_flow_logs' });
    expect(() => planWindowConfigFromEnv({ [ENV.engine]: 'athena' })).toThrow('environment variable FLOWIR_ATHENA_TABLE: is not set');
    expect(() => planWindowConfigFromEnv({ [ENV.engine]: 'duckdb' })).toThrow('environment variable FLOWIR_ENGINE: expected logs-insights or athena, got "duckdb"');
  });

  it('reads the evidence settings: bucket, log group, the flow log format and the poll budget', () => {
    const env = { [ENV.evidenceBucket]: 'evidence', [ENV.flowLogGroup]: '/aws/vpc/flowlogs/prod', [ENV.detectionConfig]: '{"format": "v5"}' };
    const config = evidenceConfigFromEnv(env);
    expect(config).toMatchObject({ evidenceBucket: 'evidence', flowLogGroup: '/aws/vpc/flowlogs/prod', poll: { intervalMs: 2000, maxPolls: 90 } });
    expect(config.format.equals(FlowLogFormat.V5)).toBe(true);
    expect(evidenceConfigFromEnv({ ...env, [ENV.queryPollSeconds]: '5', [ENV.queryMaxPolls]: '12' }).poll).toEqual({ intervalMs: 5000, maxPolls: 12 });
    expect(() => evidenceConfigFromEnv({ ...env, [ENV.queryMaxPolls]: '1e3' })).toThrow('environment variable FLOWIR_QUERY_MAX_POLLS: expected a whole number from 1 to 1000, got "1e3"');
    expect(() => evidenceConfigFromEnv({ [ENV.evidenceBucket]: 'evidence' })).toThrow('environment variable FLOWIR_FLOW_LOG_GROUP: is not set');
    expect(() => exportHistoryConfigFromEnv({})).toThrow('environment variable FLOWIR_EVIDENCE_BUCKET: is not set');
  });
});
