import { ConfigError } from '../../../core/detection/config';
import { DEFAULT_INCIDENT_CONFIG, DEFAULT_POLICY, parseIncidentConfig, policyFor } from '../../../core/policy';

const errorOf = (fn: () => unknown): ConfigError => {
  try {
    fn();
  } catch (e) {
    if (e instanceof ConfigError) return e;
    throw e;
  }
  throw new Error('expected a ConfigError');
};

describe('policyFor', () => {
  it('defaults: WARNING is notify, CRITICAL is approve', () => {
    expect(policyFor({ detection: 'HIGH_TRAFFIC_VOLUME', severity: 'WARNING' })).toBe('notify');
    expect(policyFor({ detection: 'PORT_SCAN', severity: 'CRITICAL' })).toBe('approve');
  });

  it('a detection override wins over its severity', () => {
    const { policy } = parseIncidentConfig({ policy: { CRITICAL: 'approve', PORT_SCAN: 'auto' } });
    expect(policyFor({ detection: 'PORT_SCAN', severity: 'CRITICAL' }, policy)).toBe('auto');
    expect(policyFor({ detection: 'SUSPICIOUS_PORT_ACCESS', severity: 'CRITICAL' }, policy)).toBe('approve');
  });

  it('a severity entry changes every detection of that severity without an override', () => {
    const { policy } = parseIncidentConfig({ policy: { WARNING: 'approve' } });
    expect(policyFor({ detection: 'HIGH_CONNECTION_COUNT', severity: 'WARNING' }, policy)).toBe('approve');
    expect(policyFor({ detection: 'PORT_SCAN', severity: 'CRITICAL' }, policy)).toBe('approve');
  });
});

describe('parseIncidentConfig', () => {
  it('gives the documented defaults for an empty or absent section', () => {
    for (const doc of [undefined, {}]) {
      const c = parseIncidentConfig(doc);
      expect(c.approvalTimeoutSeconds).toBe(3600);
      expect(c.blockDurationSeconds).toBe(86400);
      expect(c.suppressionSeconds).toBe(86400);
      expect(c.allowPrivate).toBe(false);
      expect(c.maxBlocksPerHour).toBe(DEFAULT_INCIDENT_CONFIG.maxBlocksPerHour);
      expect(c.policy).toEqual(DEFAULT_POLICY);
    }
  });

  it('reads every field', () => {
    const c = parseIncidentConfig({
      approvalTimeoutSeconds: 300,
      blockDurationSeconds: 7200,
      suppressionSeconds: 0,
      maxBlocksPerHour: 5,
      allowPrivate: true,
      neverBlock: ['198.51.100.7/24', '2001:DB8::/32'],
      policy: { WARNING: 'notify', HIGH_TRAFFIC_VOLUME: 'approve' },
      networkAclDeny: ['SUSPICIOUS_PORT_ACCESS'],
    });
    expect(c).toEqual({
      approvalTimeoutSeconds: 300,
      blockDurationSeconds: 7200,
      suppressionSeconds: 0,
      maxBlocksPerHour: 5,
      allowPrivate: true,
      neverBlock: ['198.51.100.0/24', '2001:db8::/32'],
      policy: { bySeverity: { WARNING: 'notify', CRITICAL: 'approve' }, byDetection: { HIGH_TRAFFIC_VOLUME: 'approve' } },
      networkAclDeny: ['SUSPICIOUS_PORT_ACCESS'],
    });
  });

  it.each([
    [{ approvalTimeoutSeconds: 0 }, 'incident.approvalTimeoutSeconds'],
    [{ approvalTimeoutSeconds: '1h' }, 'incident.approvalTimeoutSeconds'],
    [{ blockDurationSeconds: 1.5 }, 'incident.blockDurationSeconds'],
    [{ suppressionSeconds: -1 }, 'incident.suppressionSeconds'],
    [{ maxBlocksPerHour: 0 }, 'incident.maxBlocksPerHour'],
    [{ allowPrivate: 'yes' }, 'incident.allowPrivate'],
    [{ neverBlock: '10.0.0.0/8' }, 'incident.neverBlock'],
    [{ neverBlock: ['10.0.0.0/8', '10.0.0.300/32'] }, 'incident.neverBlock[1]'],
    [{ policy: { CRITICAL: 'block' } }, 'incident.policy.CRITICAL'],
    [{ policy: { PORTSCAN: 'auto' } }, 'incident.policy.PORTSCAN'],
    [{ networkAclDeny: ['SSH'] }, 'incident.networkAclDeny[0]'],
    [{ networkAclDeny: ['PORT_SCAN', 'PORT_SCAN'] }, 'incident.networkAclDeny'],
    [{ approvalTimeout: 60 }, 'incident.approvalTimeout'],
  ])('names the bad field in %j', (doc, field) => {
    const e = errorOf(() => parseIncidentConfig(doc, 'flowir.json'));
    expect(e.name).toBe('ConfigError');
    expect(e.field).toBe(field);
    expect(e.message).toContain(`flowir.json: ${field}: `);
  });

  it('refuses a non-object section', () => {
    expect(errorOf(() => parseIncidentConfig([], 'ctx')).field).toBe('incident');
  });
});
