import { DEFAULT_CONFIG } from '../../core/detection/config';
import { DEFAULT_INCIDENT_CONFIG, parseIncidentConfig } from '../../core/policy/incident-config';
import { guardrailSettings } from '../../handlers/containment/settings';
import { createPolicyHandler } from '../../handlers/policy';
import { evidence, finding } from './mocks/fixtures';

const VPC = ['10.0.0.0/16'];

function handler(incident = DEFAULT_INCIDENT_CONFIG, allowlist: string[] = []) {
  return createPolicyHandler({ incident, guardrails: guardrailSettings({ ...DEFAULT_CONFIG, allowlist }, incident, VPC) });
}

describe('policy handler', () => {
  it('asks for approval on critical findings and only notifies on warnings, by default', async () => {
    const decide = handler();
    const critical = await decide({ finding: finding('203.0.113.50', 'PORT_SCAN'), evidence: evidence() });
    expect(critical).toEqual({ policy: 'approve', guard: { allowed: true, guardrail: null, reason: null }, approvalTimeoutSeconds: 3600, blockSeconds: 86400 });
    expect((await decide({ finding: finding('203.0.113.50', 'HIGH_TRAFFIC_VOLUME'), evidence: evidence() })).policy).toBe('notify');
  });

  it('lets a per-detection policy override the severity default, and passes the configured timings on', async () => {
    const incident = parseIncidentConfig({ policy: { PORT_SCAN: 'auto', WARNING: 'approve' }, approvalTimeoutSeconds: 900, blockDurationSeconds: 7200 });
    const decide = handler(incident);
    expect(await decide({ finding: finding('203.0.113.50', 'PORT_SCAN'), evidence: evidence() })).toMatchObject({ policy: 'auto', approvalTimeoutSeconds: 900, blockSeconds: 7200 });
    expect((await decide({ finding: finding('203.0.113.50', 'SUSPICIOUS_PORT_ACCESS'), evidence: evidence() })).policy).toBe('approve');
    expect((await decide({ finding: finding('203.0.113.50', 'HIGH_CONNECTION_COUNT'), evidence: evidence() })).policy).toBe('approve');
  });

  it.each([
    ['a private source', '192.168.7.7', DEFAULT_INCIDENT_CONFIG, [], 'private-range'],
    ["one of the VPC's own addresses", '10.0.3.4', DEFAULT_INCIDENT_CONFIG, [], 'vpc-cidr'],
    ['a detection-allowlisted source', '203.0.113.50', DEFAULT_INCIDENT_CONFIG, ['203.0.113.0/24'], 'allowlisted'],
    ['a never-block source', '198.51.100.9', parseIncidentConfig({ neverBlock: ['198.51.100.0/24'] }), [], 'allowlisted'],
  ])('says up front that blocking %s would be refused', async (_what, source, incident, allowlist, guardrail) => {
    const out = await handler(incident, allowlist)({ finding: finding(source), evidence: evidence() });
    expect(out.guard).toEqual({ allowed: false, guardrail, reason: expect.stringContaining(source) });
  });

  it('allows a private source when the config allows private ranges', async () => {
    const out = await handler(parseIncidentConfig({ allowPrivate: true }))({ finding: finding('192.168.7.7'), evidence: evidence() });
    expect(out.guard.allowed).toBe(true);
  });

  it('refuses bad evidence with an error that names the field', async () => {
    const bad = { ...evidence(), summary: { ...evidence().summary, topPorts: [{ port: 70000, records: 1 }] } };
    await expect(handler()({ finding: finding('203.0.113.50'), evidence: bad })).rejects.toThrow(/^evidence\.summary\.topPorts\[0\]\.port: /);
  });
});
