import { blockTargetFor, checkGuardrails, countRecentBlocks, GuardrailInputError, SPECIAL_RANGES, specialRangeOf, type GuardrailInput } from '../../../core/containment';

const base: GuardrailInput = { source: '203.0.113.50', allowlist: [], vpcCidrs: ['10.0.0.0/16', '2600:1f18:abcd:1200::/56'], allowPrivate: false, blocksInLastHour: 0, maxBlocksPerHour: 20 };
const check = (patch: Partial<GuardrailInput>) => checkGuardrails({ ...base, ...patch });
const refusedBy = (patch: Partial<GuardrailInput>): string | undefined => {
  const d = check(patch);
  return d.allowed ? undefined : d.refusal.guardrail;
};

describe('checkGuardrails', () => {
  it.each(['192.0.2.1', '198.51.100.7', '203.0.113.50', '2001:db8::1', '2001:db8:ffff::9'])('treats the documentation address %s as public: blockable', (source) => {
    expect(check({ source })).toMatchObject({ allowed: true });
  });

  it('targets a /32 in the IPv4 set and a /128 in the IPv6 set, in canonical text', () => {
    expect(check({ source: '203.0.113.50' })).toEqual({ allowed: true, target: { address: '203.0.113.50', cidr: '203.0.113.50/32', ipSet: 'IPV4' } });
    expect(check({ source: '2001:DB8:0:0::1' })).toEqual({ allowed: true, target: { address: '2001:db8::1', cidr: '2001:db8::1/128', ipSet: 'IPV6' } });
  });

  it.each([
    ['10.1.2.3', '10.0.0.0/8'],
    ['172.16.0.0', '172.16.0.0/12'],
    ['172.31.255.255', '172.16.0.0/12'],
    ['192.168.1.1', '192.168.0.0/16'],
    ['100.64.0.1', '100.64.0.0/10'],
    ['100.127.255.255', '100.64.0.0/10'],
    ['127.0.0.1', '127.0.0.0/8'],
    ['169.254.169.254', '169.254.0.0/16'],
    ['::1', '::1/128'],
    ['fe80::1', 'fe80::/10'],
    ['fc00::1', 'fc00::/7'],
    ['fd12:3456::1', 'fc00::/7'],
  ])('refuses the private address %s (%s) unless configured', (source, cidr) => {
    const d = check({ source, vpcCidrs: [] });
    expect(d).toMatchObject({ allowed: false, refusal: { guardrail: 'private-range', matched: cidr } });
    if (!d.allowed) expect(d.refusal.reason).toContain('allowPrivate');
    expect(check({ source, vpcCidrs: [], allowPrivate: true }).allowed).toBe(true);
  });

  it.each(['172.15.255.255', '172.32.0.0', '100.63.255.255', '100.128.0.0', '11.0.0.1', 'fbff::1', 'fe00::1'])('treats %s, just outside a private range, as public', (source) => {
    expect(check({ source }).allowed).toBe(true);
  });

  it.each([
    ['0.0.0.0', '0.0.0.0/8'],
    ['0.1.2.3', '0.0.0.0/8'],
    ['::', '::/128'],
    ['224.0.0.251', '224.0.0.0/4'],
    ['239.255.255.250', '224.0.0.0/4'],
    ['ff02::1', 'ff00::/8'],
    ['255.255.255.255', '240.0.0.0/4'],
  ])('never blocks %s, which is not a host, even when private ranges are allowed', (source, cidr) => {
    expect(check({ source, allowPrivate: true })).toMatchObject({ allowed: false, refusal: { guardrail: 'not-a-host', matched: cidr } });
  });

  it('judges an IPv4-mapped IPv6 source as its IPv4 address', () => {
    expect(refusedBy({ source: '::ffff:10.0.0.5', vpcCidrs: [] })).toBe('private-range');
    expect(refusedBy({ source: '::ffff:10.0.0.5' })).toBe('vpc-cidr');
    expect(check({ source: '::ffff:203.0.113.50' })).toEqual({ allowed: true, target: { address: '203.0.113.50', cidr: '203.0.113.50/32', ipSet: 'IPV4' } });
  });

  it('refuses allowlisted sources and names the range', () => {
    const d = check({ source: '198.51.100.20', allowlist: ['198.51.100.0/24'] });
    expect(d).toEqual({ allowed: false, refusal: { guardrail: 'allowlisted', matched: '198.51.100.0/24', reason: '198.51.100.20 is in the allowlisted range 198.51.100.0/24' } });
  });

  it("refuses the VPC's own CIDRs even when private ranges are allowed", () => {
    expect(check({ source: '10.0.3.4', allowPrivate: true })).toMatchObject({ allowed: false, refusal: { guardrail: 'vpc-cidr', matched: '10.0.0.0/16' } });
    expect(check({ source: '2600:1f18:abcd:12ff::1' })).toMatchObject({ allowed: false, refusal: { guardrail: 'vpc-cidr', matched: '2600:1f18:abcd:1200::/56' } });
    expect(check({ source: '10.1.3.4', allowPrivate: true }).allowed).toBe(true);
  });

  it('caps blocks per hour: allowed below the cap, refused at it', () => {
    expect(check({ maxBlocksPerHour: 3, blocksInLastHour: 2 }).allowed).toBe(true);
    expect(check({ maxBlocksPerHour: 3, blocksInLastHour: 3 })).toMatchObject({ allowed: false, refusal: { guardrail: 'rate-limit' } });
  });

  it('lets a retried block of an already-blocked source through the cap', () => {
    expect(check({ maxBlocksPerHour: 3, blocksInLastHour: 3, alreadyBlocked: true }).allowed).toBe(true);
  });

  it('refuses a source that is not an address', () => {
    expect(refusedBy({ source: 'attacker.example' })).toBe('invalid-address');
    expect(refusedBy({ source: '203.0.113.256' })).toBe('invalid-address');
  });

  it('reports a bad configured CIDR as a typed error naming the list', () => {
    expect(() => check({ allowlist: ['10.0.0.0/33'] })).toThrow(GuardrailInputError);
    expect(() => check({ vpcCidrs: ['vpc-123'] })).toThrow(/vpcCidrs/);
  });
});

describe('countRecentBlocks', () => {
  it('counts blocks in the hour up to now: one exactly an hour old no longer counts', () => {
    const now = 1763805600;
    expect(countRecentBlocks([now - 3600, now - 3599, now - 10, now, now + 1], now)).toBe(3);
  });
});

describe('special ranges', () => {
  it('says why for every range', () => {
    for (const r of SPECIAL_RANGES) expect(r.why.length).toBeGreaterThan(10);
  });

  it('finds nothing special in public or documentation addresses', () => {
    for (const a of ['8.8.8.8', '192.0.2.1', '2001:db8::1', '2600::1']) expect(specialRangeOf(a)).toBeUndefined();
  });

  it('blockTargetFor refuses non-addresses', () => {
    expect(blockTargetFor('')).toBeUndefined();
  });
});
