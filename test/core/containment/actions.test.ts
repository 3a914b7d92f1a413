import { CONTAINMENT_ACTIONS, proposeContainment } from '../../../core/containment';

describe('containment actions', () => {
  it('says the WAF block stops only HTTP front doors, not SSH or RDP to instances', () => {
    const waf = CONTAINMENT_ACTIONS['waf-ip-set'];
    expect(waf.stops.join(' ')).toMatch(/CloudFront.*Application Load Balancers.*API Gateway/);
    expect(waf.doesNotStop.join(' ')).toMatch(/SSH, RDP/);
    expect(waf.doesNotStop.join(' ')).toMatch(/straight to instances/);
  });

  it('says a network ACL deny does stop SSH and RDP', () => {
    expect(CONTAINMENT_ACTIONS['network-acl-deny'].stops.join(' ')).toMatch(/SSH and RDP included/);
  });

  it('proposes the WAF block and review, and names the gap for SSH when no ACL deny is configured', () => {
    const p = proposeContainment({ detection: 'SUSPICIOUS_PORT_ACCESS', port: 22 }, { networkAclDeny: [], blockDurationSeconds: 86400 });
    expect(p.actions.map((a) => a.id)).toEqual(['waf-ip-set', 'security-group-review']);
    expect(p.gaps).toEqual(['The traffic targets port 22 (SSH); the WAF block does not stop it. A network ACL deny would (config: incident.networkAclDeny).']);
  });

  it('adds the network ACL deny for configured detections, leaving no gap', () => {
    const p = proposeContainment({ detection: 'SUSPICIOUS_PORT_ACCESS', port: 3389 }, { networkAclDeny: ['SUSPICIOUS_PORT_ACCESS'], blockDurationSeconds: 3600 });
    expect(p.actions.map((a) => a.id)).toEqual(['waf-ip-set', 'network-acl-deny', 'security-group-review']);
    expect(p.gaps).toEqual([]);
  });

  it('warns that a port scan reaches past the HTTP front doors', () => {
    const p = proposeContainment({ detection: 'PORT_SCAN', port: null }, { networkAclDeny: ['SUSPICIOUS_PORT_ACCESS'], blockDurationSeconds: 3600 });
    expect(p.gaps[0]).toMatch(/many ports/);
  });

  it('is plain JSON data', () => {
    const p = proposeContainment({ detection: 'HIGH_TRAFFIC_VOLUME', port: null }, { networkAclDeny: [], blockDurationSeconds: 86400 });
    expect(JSON.parse(JSON.stringify(p))).toEqual(p);
  });
});
