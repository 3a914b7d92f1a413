/**
 * The policy step (is a block worth asking for?) and the block step (block now) judge a source with
 * the same guardrails: an address one of them refuses, the other refuses too, for the same reason,
 * and what the policy step passes, the block step blocks (issue 14.6).
 */
import { guardrailSettings } from '../../../handlers/containment/settings';
import { createPolicyHandler } from '../../../handlers/policy';
import { DEFAULT_CONFIG } from '../../../core/detection/config';
import { DEFAULT_INCIDENT_CONFIG } from '../../../core/policy/incident-config';
import { containmentWorld, DEFAULT_GUARDRAILS } from '../../handlers/mocks/containment-world';
import { evidence, executionFor, finding } from '../../handlers/mocks/fixtures';

const policy = createPolicyHandler({ incident: DEFAULT_INCIDENT_CONFIG, guardrails: guardrailSettings({ ...DEFAULT_CONFIG, allowlist: DEFAULT_GUARDRAILS.neverBlock }, DEFAULT_INCIDENT_CONFIG, DEFAULT_GUARDRAILS.vpcCidrs) });

describe('policy and block steps agree', () => {
  it.each([
    ['::a00:1', 'vpc-cidr'],
    // 198.51.100.1, in this world's allowlist 198.51.100.0/28.
    ['2002:c633:6401::1', 'allowlisted'],
    ['64:ff9b::a01:1', 'private-range'],
    ['64:ff9b::a9fe:a9fe', 'private-range'],
    ['2002:a01:1::1', 'private-range'],
    ['2001:0:4136:e378:8000:63bf:f5fe:fffe', 'private-range'],
    ['192.0.0.1', 'not-a-host'],
    ['198.18.0.1', 'not-a-host'],
    ['192.88.99.1', 'not-a-host'],
    ['100::1', 'not-a-host'],
    ['2001:10::1', 'not-a-host'],
    ['2001:2::1', 'not-a-host'],
  ])('%s: both refuse (%s), and nothing is blocked', async (source, guardrail) => {
    const f = finding(source);
    const decided = await policy({ finding: f, evidence: evidence() });
    expect(decided.guard).toMatchObject({ allowed: false, guardrail });
    const w = containmentWorld();
    const out = await w.block({ finding: f, executionName: executionFor(f), blockSeconds: 3600 });
    expect(out).toEqual({ status: 'guarded', guardrail, reason: decided.guard.reason });
    expect([...w.v4(), ...w.v6()]).toEqual([]);
  });

  it.each([
    ['2002:c633:64c8::1', '2002:c633:64c8::1/128'],
    ['::ffff:203.0.113.50', '203.0.113.50/32'],
    ['2606:4700::1111', '2606:4700::1111/128'],
  ])('%s: both allow, and the block is %s', async (source, cidr) => {
    const f = finding(source);
    expect((await policy({ finding: f, evidence: evidence() })).guard.allowed).toBe(true);
    const w = containmentWorld();
    expect(await w.block({ finding: f, executionName: executionFor(f), blockSeconds: 3600 })).toMatchObject({ status: 'blocked', blocked: [cidr] });
  });
});
