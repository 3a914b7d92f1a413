/**
 * A refusal's reason is read by people (the run summary, the audit, the approval page): one block
 * is "1 block", and counts carry thousands separators as everywhere else in flowir.
 */
import { checkGuardrails, planAdd, type GuardrailInput } from '../../../core/containment';

const base: GuardrailInput = { source: '203.0.113.50', allowlist: [], vpcCidrs: ['10.0.0.0/16'], allowPrivate: false, blocksInLastHour: 0, maxBlocksPerHour: 20 };

function rateLimitReason(blocksInLastHour: number, maxBlocksPerHour: number): string {
  const d = checkGuardrails({ ...base, blocksInLastHour, maxBlocksPerHour });
  if (d.allowed) throw new Error(`expected a refusal for ${blocksInLastHour} blocks against a cap of ${maxBlocksPerHour}`);
  expect(d.refusal.guardrail).toBe('rate-limit');
  return d.refusal.reason;
}

describe('the rate-limit reason', () => {
  it.each([
    [1, 1, '1 block in the last hour reaches the cap of 1 per hour'],
    [2, 2, '2 blocks in the last hour reach the cap of 2 per hour'],
    // Over the cap: the cap was lowered while blocks from before still count.
    [5, 3, '5 blocks in the last hour reach the cap of 3 per hour'],
    [1200, 1000, '1,200 blocks in the last hour reach the cap of 1,000 per hour'],
  ])('%i blocks against a cap of %i: "%s"', (blocks, cap, reason) => {
    expect(rateLimitReason(blocks, cap)).toBe(reason);
  });
});

describe('the ip-set-limit reason', () => {
  const addresses = (n: number): string[] => Array.from({ length: n }, (_, i) => `198.51.${Math.floor(i / 256)}.${i % 256}/32`);

  it('one entry is "1 entry"', () => {
    const plan = planAdd(addresses(1), '203.0.113.50/32', 1);
    expect(plan).toEqual({ ok: false, refusal: { guardrail: 'ip-set-limit', matched: '1', reason: 'the IPv4 IP set holds 1 entry; adding 203.0.113.50/32 would pass its limit of 1' } });
  });

  it("WAF's limit reads 10,000", () => {
    const plan = planAdd(addresses(10_000), '203.0.113.50/32');
    expect(plan.ok ? null : plan.refusal.reason).toBe('the IPv4 IP set holds 10,000 entries; adding 203.0.113.50/32 would pass its limit of 10,000');
  });
});
