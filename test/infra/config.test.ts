import { DEFAULT_CONFIG } from '../../core/detection/config';
import { FlowLogFormat } from '../../core/flowlog/format';
import { PLACEHOLDER_VPC_ID, readInfraConfig, type ReadConfigOptions } from '../../infra/config';
import { errorOf } from './config-error';

const read = (context: Record<string, unknown>, options: ReadConfigOptions = {}) =>
  readInfraConfig((k) => context[k], { presentKeys: Object.keys(context), ...options });

const files = (contents: Record<string, string>): ReadConfigOptions['readFile'] => (path) => {
  const text = contents[path];
  if (text === undefined) throw new Error(`ENOENT: no such file or directory, open '${path}'`);
  return text;
};

describe('readInfraConfig defaults (no context: offline synth on a fresh clone)', () => {
  const config = read({});

  it('uses the placeholder VPC and says so', () => {
    expect(config.vpcId).toBe(PLACEHOLDER_VPC_ID);
    expect(config.vpcIdIsPlaceholder).toBe(true);
  });

  it('defaults to env dev, logs-insights, REGIONAL WAF, 24 h block and suppression, governance lock for 2555 days, 10 GB scans', () => {
    expect(config).toMatchObject({
      envName: 'dev',
      engine: 'logs-insights',
      wafScope: 'REGIONAL',
      blockDurationSeconds: 86400,
      suppressionSeconds: 86400,
      evidenceLockMode: 'GOVERNANCE',
      evidenceRetentionDays: 2555,
      athenaBytesScannedCutoff: 10_000_000_000,
      approverEmails: [],
      warningEmails: [],
      criticalEmails: [],
      thresholdsFile: undefined,
      reservedConcurrency: false,
    });
  });

  it('records version 5 fields in the flow log it creates, and detection parses that format', () => {
    expect(config.flowLogFormat.equals(FlowLogFormat.V5)).toBe(true);
    expect(FlowLogFormat.parse(config.detection.format).equals(FlowLogFormat.V5)).toBe(true);
    expect(config.detection.detections).toEqual(DEFAULT_CONFIG.detections);
  });
});

describe('readInfraConfig from context', () => {
  it('reads every key', () => {
    const config = read({
      envName: 'prod-eu',
      vpcId: 'vpc-0123456789abcdef0',
      engine: 'athena',
      approverEmails: 'a@example.com, b@example.com',
      warningEmails: ['ops@example.com'],
      wafScope: 'cloudfront',
      blockDuration: '6h',
      suppressionPeriod: '90m',
      evidenceRetentionDays: '365',
      evidenceLockMode: 'compliance',
      athenaScanLimitGb: 2,
      flowLogFormat: 'v3',
    });
    expect(config).toMatchObject({
      envName: 'prod-eu',
      vpcId: 'vpc-0123456789abcdef0',
      vpcIdIsPlaceholder: false,
      engine: 'athena',
      approverEmails: ['a@example.com', 'b@example.com'],
      warningEmails: ['ops@example.com'],
      criticalEmails: ['a@example.com', 'b@example.com'],
      wafScope: 'CLOUDFRONT',
      blockDurationSeconds: 6 * 3600,
      suppressionSeconds: 90 * 60,
      evidenceRetentionDays: 365,
      evidenceLockMode: 'COMPLIANCE',
      athenaBytesScannedCutoff: 2_000_000_000,
    });
    expect(config.flowLogFormat.equals(FlowLogFormat.forVersion(3))).toBe(true);
  });

  it('loads thresholds through the core config parser and keeps the flow-log format in step', () => {
    const readFile = files({ 'thresholds.json': JSON.stringify({ detections: { PORT_SCAN: { threshold: 20 } }, allowlist: ['198.51.100.0/24'] }) });
    const config = read({ thresholdsFile: 'thresholds.json' }, { readFile });
    expect(config.thresholdsFile).toBe('thresholds.json');
    expect(config.detection.detections.PORT_SCAN.threshold).toBe(20);
    expect(config.detection.allowlist).toEqual(['198.51.100.0/24']);
    // The file does not name a format, so the created flow log keeps v5 and detection follows it.
    expect(config.flowLogFormat.equals(FlowLogFormat.V5)).toBe(true);
    expect(config.detection.format).toBe(FlowLogFormat.V5.fields.join(' '));
  });

  it("takes the thresholds file's format when it names one, and the flowLogFormat key over both", () => {
    const readFile = files({ 'f.json': JSON.stringify({ format: 'v4' }) });
    expect(read({ thresholdsFile: 'f.json' }, { readFile }).flowLogFormat.equals(FlowLogFormat.forVersion(4))).toBe(true);
    expect(read({ thresholdsFile: 'f.json', flowLogFormat: 'v2' }, { readFile }).flowLogFormat.equals(FlowLogFormat.V2)).toBe(true);
  });

  it("waits the engine's delivery lag unless the thresholds file sets one: 20 minutes for logs-insights, 25 for athena", () => {
    expect(read({}).detection.deliveryLagSeconds).toBe(1200);
    expect(read({ engine: 'athena' }).detection.deliveryLagSeconds).toBe(1500);
    const readFile = files({ 'silent.json': JSON.stringify({ windowSeconds: 1800 }), 'lag.json': JSON.stringify({ deliveryLagSeconds: 900 }) });
    expect(read({ engine: 'athena', thresholdsFile: 'silent.json' }, { readFile }).detection).toMatchObject({ windowSeconds: 1800, deliveryLagSeconds: 1500 });
    expect(read({ engine: 'logs-insights', thresholdsFile: 'silent.json' }, { readFile }).detection.deliveryLagSeconds).toBe(1200);
    expect(read({ engine: 'athena', thresholdsFile: 'lag.json' }, { readFile }).detection.deliveryLagSeconds).toBe(900);
  });

  it('accepts a custom field list in EC2 LogFormat syntax', () => {
    const spec = '${srcaddr} ${dstaddr} ${dstport} ${protocol} ${packets} ${bytes} ${start} ${action} ${log-status}';
    expect(read({ flowLogFormat: spec }).flowLogFormat.logFormat()).toBe(spec);
  });
});

describe('readInfraConfig errors name the key and the problem', () => {
  it.each([
    [{ vpcId: 'vpc-123' }, 'vpcId', /not a VPC id/],
    [{ envName: 'Prod' }, 'envName', /lower-case/],
    [{ envName: 'a-very-long-environment-name' }, 'envName', /1 to 16/],
    [{ engine: 'duckdb' }, 'engine', /not one of logs-insights, athena/],
    [{ wafScope: 'GLOBAL' }, 'wafScope', /not one of REGIONAL, CLOUDFRONT/],
    [{ approverEmails: 'alice@example.com, bob' }, 'approverEmails', /"bob" is not an e-mail address/],
    [{ criticalEmails: 42 }, 'criticalEmails', /expected comma-separated addresses/],
    [{ blockDuration: 'forever' }, 'blockDuration', /not a duration/],
    [{ blockDuration: '30s' }, 'blockDuration', /must be from 60 s/],
    [{ suppressionPeriod: '400d' }, 'suppressionPeriod', /to 365 days/],
    [{ evidenceRetentionDays: '0' }, 'evidenceRetentionDays', /whole number from 1/],
    [{ evidenceLockMode: 'LEGAL' }, 'evidenceLockMode', /GOVERNANCE, COMPLIANCE/],
    [{ athenaScanLimitGb: '1.5' }, 'athenaScanLimitGb', /whole number/],
    [{ reservedConcurrency: 'yes' }, 'reservedConcurrency', /"yes" must be true or false/],
    [{ flowLogFormat: 'v9' }, 'flowLogFormat', /flow-log format/],
    [{ flowLogFormat: 'srcaddr dstaddr dstport protocol bytes start action log-status' }, 'flowLogFormat', /lacks packets,/],
    [{ flowLogFormat: 'srcaddr dstport protocol packets bytes start action log-status' }, 'flowLogFormat', /lacks dstaddr,/],
    [{ flowLogFormat: 'srcaddr dstaddr dstport protocol packets bytes start action log-status colour' }, 'flowLogFormat', /no field named colour/],
    [{ vpcid: 'vpc-0123456789abcdef0' }, 'vpcid', /did you mean "vpcId"/],
    [{ thresholdFile: 'x.json' }, 'thresholdFile', /unknown key; known keys: envName, vpcId/],
  ])('%j -> %s', (context, key, message) => {
    const e = errorOf(() => read(context));
    expect(e.key).toBe(key);
    expect(e.message).toMatch(message);
    expect(e.message.startsWith(`context "${key}": `)).toBe(true);
  });

  it('leaves CDK feature flags and CLI keys alone', () => {
    expect(() => read({ '@aws-cdk/aws-s3:serverAccessLogsUseBucketPolicy': true, 'cli-telemetry': false, 'aws:cdk:enable-path-metadata': true })).not.toThrow();
  });

  it('refuses CLOUDFRONT scope for a stack deployed outside us-east-1, and allows it in us-east-1', () => {
    expect(errorOf(() => read({ wafScope: 'CLOUDFRONT' }, { region: 'eu-west-1' })).message).toMatch(/only be created in us-east-1.*eu-west-1/);
    expect(read({ wafScope: 'CLOUDFRONT' }, { region: 'us-east-1' }).wafScope).toBe('CLOUDFRONT');
  });

  it('names an unreadable thresholds file', () => {
    const e = errorOf(() => read({ thresholdsFile: 'missing.json' }, { readFile: files({}) }));
    expect(e.key).toBe('thresholdsFile');
    expect(e.message).toMatch(/cannot read missing\.json: ENOENT/);
  });

  it('passes on the core parser error with the file and the field', () => {
    const readFile = files({ 't.json': JSON.stringify({ detections: { PORT_SCAN: { threshold: -1 } } }) });
    const e = errorOf(() => read({ thresholdsFile: 't.json' }, { readFile }));
    expect(e.message).toMatch(/^context "thresholdsFile": t\.json: detections\.PORT_SCAN\.threshold: expected a whole number/);
    expect(errorOf(() => read({ thresholdsFile: 'bad.json' }, { readFile: files({ 'bad.json': '{' }) })).message).toMatch(/bad\.json: not valid JSON/);
  });

  it("refuses a thresholds file whose format the flow log could not feed to the metrics", () => {
    const readFile = files({ 'f.json': JSON.stringify({ format: 'srcaddr dstport bytes start action' }) });
    const e = errorOf(() => read({ thresholdsFile: 'f.json' }, { readFile }));
    expect(e.key).toBe('thresholdsFile');
    expect(e.message).toMatch(/lacks dstaddr, protocol, packets, log-status/);
  });
});
