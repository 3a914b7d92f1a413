import { DEFAULT_INCIDENT_CONFIG } from '../../core/policy/incident-config';
import { readInfraConfig, type ReadConfigOptions } from '../../infra/config';
import { errorOf } from './config-error';
import { detectionConfigDocument, incidentConfigDocument } from '../../infra/constructs/function-environment';
import { detectionConfigFromEnv, ENV } from '../../handlers/lambda/environment';
import { incidentConfigFromEnv } from '../../handlers/lambda/containment-environment';

// What the workflows take from the CDK context and the thresholds file (infra/config.ts).
const read = (context: Record<string, unknown>, files: Record<string, unknown> = {}) => {
  const readFile: ReadConfigOptions['readFile'] = (path) => {
    if (!(path in files)) throw new Error(`ENOENT: ${path}`);
    return JSON.stringify(files[path]);
  };
  return readInfraConfig((k) => context[k], { presentKeys: Object.keys(context), readFile });
};

describe('the incident config of the deployed workflows', () => {
  it('defaults to the core defaults: 1 h approval, 24 h block and suppression', () => {
    const c = read({});
    expect(c.incident).toEqual(DEFAULT_INCIDENT_CONFIG);
    expect([c.approvalTimeoutSeconds, c.blockDurationSeconds, c.suppressionSeconds]).toEqual([3600, 86400, 86400]);
    expect(c.vpcCidrs).toEqual([]);
  });

  it('reads the thresholds file’s incident section, as flowir scan --config does', () => {
    const c = read(
      { thresholdsFile: 'f.json' },
      { 'f.json': { allowlist: ['198.51.100.0/24'], incident: { policy: { PORT_SCAN: 'auto' }, approvalTimeoutSeconds: 600, blockDurationSeconds: 7200, suppressionSeconds: 0, maxBlocksPerHour: 3, allowPrivate: true, neverBlock: ['192.0.2.0/24'] } } },
    );
    expect(c.detection.allowlist).toEqual(['198.51.100.0/24']);
    expect(c.incident).toEqual({
      ...DEFAULT_INCIDENT_CONFIG,
      policy: { bySeverity: DEFAULT_INCIDENT_CONFIG.policy.bySeverity, byDetection: { PORT_SCAN: 'auto' } },
      approvalTimeoutSeconds: 600,
      blockDurationSeconds: 7200,
      suppressionSeconds: 0,
      maxBlocksPerHour: 3,
      allowPrivate: true,
      neverBlock: ['192.0.2.0/24'],
    });
    expect([c.approvalTimeoutSeconds, c.blockDurationSeconds, c.suppressionSeconds]).toEqual([600, 7200, 0]);
  });

  it('takes the approvalTimeout, blockDuration and suppressionPeriod keys over the file', () => {
    const c = read(
      { thresholdsFile: 'f.json', approvalTimeout: '30m', blockDuration: '2d', suppressionPeriod: '90m' },
      { 'f.json': { incident: { approvalTimeoutSeconds: 600, blockDurationSeconds: 7200, suppressionSeconds: 60, maxBlocksPerHour: 3 } } },
    );
    expect(c.incident).toMatchObject({ approvalTimeoutSeconds: 1800, blockDurationSeconds: 2 * 86400, suppressionSeconds: 5400, maxBlocksPerHour: 3 });
    expect([c.approvalTimeoutSeconds, c.blockDurationSeconds, c.suppressionSeconds]).toEqual([1800, 2 * 86400, 5400]);
  });

  it('accepts approval timeouts down to one second (local runs and their tests)', () => {
    expect(read({ approvalTimeout: 1 }).incident.approvalTimeoutSeconds).toBe(1);
  });

  it.each([
    [{ approvalTimeout: '8d' }, 'approvalTimeout', /8d is longer than the incident workflow accepts \(at most 7 days\)/],
    [{ blockDuration: '91d' }, 'blockDuration', /at most 90 days/],
    [{ suppressionPeriod: '31d' }, 'suppressionPeriod', /at most 30 days/],
    [{ approvalTimeout: 'soon' }, 'approvalTimeout', /not a duration/],
    [{ vpcCidrs: '10.0.0.0/16, 10.1.0.0/33' }, 'vpcCidrs', /"10.1.0.0\/33" is not a CIDR/],
    [{ vpcCidrs: 42 }, 'vpcCidrs', /expected comma-separated CIDRs/],
  ])('%j -> %s', (context, key, message) => {
    const e = errorOf(() => read(context));
    expect(e.key).toBe(key);
    expect(e.message).toMatch(message);
  });

  it('refuses, naming the file and the field, a bad incident section', () => {
    const e = errorOf(() => read({ thresholdsFile: 'f.json' }, { 'f.json': { incident: { policy: { PORT_SCAN: 'block' } } } }));
    expect(e.key).toBe('thresholdsFile');
    expect(e.message).toMatch(/^context "thresholdsFile": f\.json: incident\.policy\.PORT_SCAN: expected one of notify, approve, auto/);
  });

  it('takes the network ACL deny detections from the file: PORT_SCAN and SUSPICIOUS_PORT_ACCESS by default, an empty list turns it off', () => {
    expect(read({}).incident.networkAclDeny).toEqual(['PORT_SCAN', 'SUSPICIOUS_PORT_ACCESS']);
    expect(read({ thresholdsFile: 'f.json' }, { 'f.json': { incident: { networkAclDeny: ['SUSPICIOUS_PORT_ACCESS'] } } }).incident.networkAclDeny).toEqual(['SUSPICIOUS_PORT_ACCESS']);
    expect(read({ thresholdsFile: 'f.json' }, { 'f.json': { incident: { networkAclDeny: [] } } }).incident.networkAclDeny).toEqual([]);
  });

  it('reads the VPC CIDRs in canonical form', () => {
    expect(read({ vpcCidrs: '10.0.0.0/16, 2001:DB8::/32' }).vpcCidrs).toEqual(['10.0.0.0/16', '2001:db8::/32']);
    expect(read({ vpcCidrs: ['172.31.0.0/16'] }).vpcCidrs).toEqual(['172.31.0.0/16']);
  });
});

describe('the configs as the Lambdas receive them', () => {
  it('come back unchanged through the handlers’ readers', () => {
    const c = read(
      { thresholdsFile: 'f.json', flowLogFormat: 'v3' },
      { 'f.json': { detections: { PORT_SCAN: { threshold: 7, severity: 'WARNING' }, HIGH_TRAFFIC_VOLUME: { enabled: false } }, suspiciousPorts: [22, 2222], incident: { policy: { WARNING: 'approve', PORT_SCAN: 'auto' }, neverBlock: ['203.0.113.0/24'] } } },
    );
    expect(detectionConfigFromEnv({ [ENV.detectionConfig]: detectionConfigDocument(c.detection) })).toEqual(c.detection);
    expect(incidentConfigFromEnv({ [ENV.incidentConfig]: incidentConfigDocument(c.incident) })).toEqual(c.incident);
  });
});
